/**
 * The payload codec against every language's vectors in contracts/codec-vectors/, and the
 * encryption settings.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { dataConverter, EncryptionCodec, readPayloadSettings, SettingsError } from '@calc/runtime';

interface JsonPayload {
  metadata: Record<string, string>;
  data?: string;
}
interface VectorFile {
  producer: string;
  keys: string;
  cases: { name: string; plain: JsonPayload; encrypted: JsonPayload }[];
}

const contracts = join(__dirname, '../../contracts');
const contract = JSON.parse(readFileSync(join(contracts, 'contract.json'), 'utf8')) as {
  encryption: { keysRule: string; keyIdRule: string; switchRule: string };
  settings: { exitCode: number };
};
const vectorDir = join(contracts, 'codec-vectors');
const files = readdirSync(vectorDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(join(vectorDir, name), 'utf8')) as VectorFile);

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
/** Metadata and data as text and hex, so that absent and empty data compare equal. */
const shown = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString()])),
  data: Buffer.from(p.data ?? []).toString('hex'),
});

const KEYS = files.find((f) => f.producer === 'typescript')!.keys;
function codec(keyId?: string): EncryptionCodec {
  const settings = readPayloadSettings({ PAYLOAD_KEYS: KEYS, PAYLOAD_KEY_ID: keyId });
  assert.ok(settings.encryption);
  return new EncryptionCodec(settings.keys, settings.keyId);
}

describe('codec vectors', () => {
  it("include this implementation's own file", () => {
    assert.ok(files.some((f) => f.producer === 'typescript'));
  });
  for (const file of files) {
    describe(`made by ${file.producer}`, () => {
      const settings = readPayloadSettings({ PAYLOAD_KEYS: file.keys });
      assert.ok(settings.encryption);
      const decoder = new EncryptionCodec(settings.keys, settings.keyId);
      for (const { name, plain, encrypted } of file.cases) {
        it(`decrypts ${name}`, async () => {
          const [decoded] = await decoder.decode([fromJson(encrypted)]);
          assert.deepEqual(shown(decoded!), shown(fromJson(plain)));
        });
      }
    });
  }
});

describe('EncryptionCodec', () => {
  const plain = fromJson(files.find((f) => f.producer === 'typescript')!.cases[0]!.plain);

  it('encrypts under the chosen key with only the encoding and key id as metadata, and decrypts back', async () => {
    for (const keyId of ['test-1', 'test-2']) {
      const [encrypted] = await codec(keyId).encode([plain]);
      assert.deepEqual(shown(encrypted!).metadata, { encoding: 'binary/encrypted', 'encryption-key-id': keyId });
      assert.equal(Buffer.from(encrypted!.data!).includes(Buffer.from('-12')), false, 'plaintext visible');
      // Any key of the set decrypts, whichever one encrypts.
      assert.deepEqual(shown((await codec().decode([encrypted!]))[0]!), shown(plain));
    }
  });

  it('draws a fresh nonce for every payload', async () => {
    const encrypted = await codec().encode([plain, plain, plain]);
    const nonces = new Set(encrypted.map((p) => Buffer.from(p.data!).subarray(0, 12).toString('hex')));
    assert.equal(nonces.size, 3);
    assert.equal(new Set(encrypted.map((p) => Buffer.from(p.data!).toString('hex'))).size, 3);
    // 12-byte nonce, the ciphertext as long as the serialized payload, a 16-byte tag.
    assert.equal(encrypted[0]!.data!.length, 12 + temporal.api.common.v1.Payload.encode(plain).finish().length + 16);
  });

  it('passes a payload that is not encrypted through decode unchanged', async () => {
    const [decoded] = await codec().decode([plain]);
    assert.equal(decoded, plain);
  });

  it('refuses an unknown key id, naming it', async () => {
    const [encrypted] = await codec().encode([plain]);
    const other = { ...encrypted, metadata: { ...encrypted!.metadata, 'encryption-key-id': Buffer.from('retired-7') } };
    await assert.rejects(codec().decode([other]), /unknown key id "retired-7"/);
  });

  it('refuses a payload with any byte flipped or cut short', async () => {
    const [encrypted] = await codec().encode([plain]);
    const data = Buffer.from(encrypted!.data!);
    for (const at of [0, 12, data.length - 17, data.length - 1]) {
      const flipped = Buffer.from(data);
      flipped[at]! ^= 0x01;
      await assert.rejects(
        codec().decode([{ ...encrypted, data: flipped }]),
        /failed authentication with key "test-1"/,
        `byte ${at}`,
      );
    }
    await assert.rejects(codec().decode([{ ...encrypted, data: data.subarray(0, 27) }]), /too short/);
  });
});

describe('encryption settings', () => {
  const refusal = (env: Record<string, string>) => {
    try {
      readPayloadSettings(env);
    } catch (err) {
      assert.ok(err instanceof SettingsError, String(err));
      return err.message;
    }
    assert.fail('no SettingsError');
  };
  const keysMessage = `invalid setting PAYLOAD_KEYS (value not shown): expected ${contract.encryption.keysRule}`;

  it('encrypts with the first key unless PAYLOAD_KEY_ID names another', () => {
    const first = readPayloadSettings({ PAYLOAD_KEYS: KEYS });
    assert.ok(first.encryption);
    assert.equal(first.keyId, 'test-1');
    assert.deepEqual([...first.keys.keys()], ['test-1', 'test-2']);
    assert.equal(first.keys.get('test-2')![31], 63);
    const second = readPayloadSettings({ PAYLOAD_KEYS: KEYS, PAYLOAD_KEY_ID: 'test-2' });
    assert.ok(second.encryption && second.keyId === 'test-2');
  });

  it('needs no key with PAYLOAD_ENCRYPTION=off, and then converts as the SDK does by default', () => {
    const off = readPayloadSettings({ PAYLOAD_ENCRYPTION: 'off', PAYLOAD_KEYS: 'not even checked' });
    assert.deepEqual(off, { encryption: false });
    assert.deepEqual(dataConverter(off), {});
    const on = dataConverter(readPayloadSettings({ PAYLOAD_KEYS: KEYS }));
    assert.ok(on.payloadCodecs?.[0] instanceof EncryptionCodec);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { failureConverter } = require(on.failureConverterPath!) as { failureConverter: { options: unknown } };
    assert.deepEqual(failureConverter.options, { encodeCommonAttributes: true });
  });

  const secret = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
  for (const [name, value] of [
    ['missing', undefined],
    ['empty', ''],
    ['no id', `:${secret}=`],
    ['no colon', `${secret}=`],
    ['31 bytes', 'k:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=='],
    ['33 bytes', 'k:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g'],
    ['unpadded base64', `k:${secret}`],
    ['URL-safe base64', 'k:_-_-AwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='],
    ['an id with a space', `a b:${secret}=`],
    ['a 65-character id', `${'i'.repeat(65)}:${secret}=`],
    ['the same id twice', `k:${secret}=,k:${secret}=`],
    ['a trailing comma', `k:${secret}=,`],
    ['a space after the comma', `k:${secret}=, j:${secret}=`],
  ] as const) {
    it(`refuses PAYLOAD_KEYS ${name} without showing the value`, () => {
      const message = refusal(value === undefined ? {} : { PAYLOAD_KEYS: value });
      assert.equal(message, keysMessage);
      assert.equal(message.includes(secret), false);
    });
  }

  it('refuses a PAYLOAD_KEY_ID that names none of the keys, and a PAYLOAD_ENCRYPTION besides on/off', () => {
    assert.equal(
      refusal({ PAYLOAD_KEYS: KEYS, PAYLOAD_KEY_ID: 'test-3' }),
      `invalid setting PAYLOAD_KEY_ID="test-3": expected ${contract.encryption.keyIdRule}`,
    );
    for (const bad of ['ON', 'true', 'yes', '0']) {
      assert.equal(
        refusal({ PAYLOAD_KEYS: KEYS, PAYLOAD_ENCRYPTION: bad }),
        `invalid setting PAYLOAD_ENCRYPTION=${JSON.stringify(bad)}: expected ${contract.encryption.switchRule}`,
      );
    }
  });
});
