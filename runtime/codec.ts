/**
 * Payload encryption, in the format every language of the pipeline shares (contract.json's
 * `encryption` section): an encrypted payload's data is nonce || AES-256-GCM ciphertext || tag
 * of the original payload serialized as protobuf, its metadata the encoding and the key id.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import contract from '@calc/contracts/dist/contract.json';
import type { PayloadSettings } from './settings';

const { encryption } = contract;
const ProtoPayload = temporal.api.common.v1.Payload;
const ALGORITHM = 'aes-256-gcm';
const TAG_BYTES = 16;
const ENCODING = Buffer.from(encryption.encoding);

export class EncryptionCodec implements PayloadCodec {
  /** `keys` by id, all of which decrypt; `keyId` names the one that encrypts. */
  constructor(
    private readonly keys: ReadonlyMap<string, Uint8Array>,
    private readonly keyId: string,
  ) {
    if (!keys.has(keyId)) throw new Error(`no key has the id ${JSON.stringify(keyId)}`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    // A fresh random nonce for each payload: GCM must never see a nonce twice under one key.
    const nonce = randomBytes(encryption.nonceBytes);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.keyId)!, nonce);
    const plain = ProtoPayload.encode(payload).finish();
    const data = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: ENCODING, [encryption.keyIdMetadata]: Buffer.from(this.keyId) },
      data,
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || !ENCODING.equals(encoding)) return payload;
    const idBytes = payload.metadata?.[encryption.keyIdMetadata];
    const keyId = idBytes ? Buffer.from(idBytes).toString() : '';
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`payload encrypted with the unknown key id ${JSON.stringify(keyId)}`);
    const data = Buffer.from(payload.data ?? []);
    if (data.length < encryption.nonceBytes + TAG_BYTES) {
      throw new Error(`encrypted payload too short: ${data.length} bytes`);
    }
    const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, encryption.nonceBytes));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(encryption.nonceBytes, -TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(
        `encrypted payload failed authentication with key ${JSON.stringify(keyId)}: altered or wrong key`,
      );
    }
    const { metadata, data: original } = ProtoPayload.decode(plain);
    return { metadata, data: original };
  }
}

/** The codec of `settings`, or undefined when encryption is off. */
export function payloadCodec(settings: PayloadSettings): EncryptionCodec | undefined {
  return settings.encryption ? new EncryptionCodec(settings.keys, settings.keyId) : undefined;
}

/**
 * The data converter of every TypeScript client and worker: the codec, and failure messages
 * and stack traces moved into an encoded payload so that the codec encrypts them as well.
 * With encryption off, the SDK's defaults (plain payloads and failures).
 */
export function dataConverter(settings: PayloadSettings): DataConverter {
  const codec = payloadCodec(settings);
  if (!codec) return {};
  return { payloadCodecs: [codec], failureConverterPath: require.resolve('./failure-converter') };
}
