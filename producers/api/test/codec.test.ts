/**
 * The codec server: Temporal's remote codec protocol on /codec/encode and /codec/decode, its
 * CORS for the Temporal UI's origin and the bearer token. No Temporal is needed: the codec
 * routes never call it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { EncryptionCodec, readPayloadSettings, SettingsError } from '@calc/runtime';
import { buildApp } from '../app';
import { loadApiConfig } from '../config';

interface JsonPayload {
  metadata: Record<string, string>;
  data?: string;
}
const vectors = JSON.parse(
  readFileSync(join(__dirname, '../../../contracts/codec-vectors/typescript.json'), 'utf8'),
) as {
  keys: string;
  cases: { name: string; plain: JsonPayload; encrypted: JsonPayload }[];
};

const UI = 'http://localhost:8080';
const TOKEN = 'codec-test-token';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const plain: JsonPayload[] = [
  { metadata: { encoding: b64('json/plain') }, data: b64('"-12"') },
  { metadata: { encoding: b64('binary/null') } },
];

const connection = Connection.lazy({ address: '127.0.0.1:1' });
const settings = readPayloadSettings({ PAYLOAD_KEYS: vectors.keys });
assert.ok(settings.encryption);
const codec = new EncryptionCodec(settings.keys, settings.keyId);
const build = (env: Record<string, string>) =>
  buildApp({ client: new Client({ connection }), config: loadApiConfig(env), codec });

let app: FastifyInstance;
let guarded: FastifyInstance;
before(async () => {
  app = await build({ CODEC_CORS_ORIGIN: UI });
  guarded = await build({ CODEC_CORS_ORIGIN: UI, API_TOKEN: TOKEN });
});
after(async () => {
  await app?.close();
  await guarded?.close();
  await connection.close();
});

const call = (target: FastifyInstance, direction: string, body: unknown, headers: Record<string, string> = {}) =>
  target.inject({ method: 'POST', url: `/codec/${direction}`, payload: body as object, headers });

describe('codec server', () => {
  it('encrypts payloads, and decrypts them back to what was sent', async () => {
    const encoded = await call(app, 'encode', { payloads: plain }, { 'x-namespace': 'default' });
    assert.equal(encoded.statusCode, 200);
    const { payloads } = encoded.json<{ payloads: JsonPayload[] }>();
    assert.equal(payloads.length, 2);
    for (const p of payloads) {
      assert.deepEqual(p.metadata, { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('test-1') });
    }
    const decoded = await call(app, 'decode', { payloads });
    assert.equal(decoded.statusCode, 200);
    assert.deepEqual(decoded.json(), { payloads: plain });
  });

  it('decrypts the shared vectors and passes plain payloads through', async () => {
    const res = await call(app, 'decode', { payloads: [...vectors.cases.map((c) => c.encrypted), plain[0]] });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { payloads: [...vectors.cases.map((c) => c.plain), plain[0]] });
  });

  it('answers 400 naming the key id of a payload it cannot decrypt', async () => {
    const [encrypted] = vectors.cases.map((c) => c.encrypted);
    const unknown = { ...encrypted, metadata: { ...encrypted!.metadata, 'encryption-key-id': b64('retired') } };
    const res = await call(app, 'decode', { payloads: [unknown] });
    assert.equal(res.statusCode, 400);
    assert.equal(
      res.json<{ message: string }>().message,
      'cannot decode: payload encrypted with the unknown key id "retired"',
    );
    const data = Buffer.from(encrypted!.data!, 'base64');
    data[20]! ^= 1;
    const altered = await call(app, 'decode', { payloads: [{ ...encrypted, data: data.toString('base64') }] });
    assert.equal(altered.statusCode, 400);
    assert.match(altered.json<{ message: string }>().message, /failed authentication with key "test-1"/);
  });

  it('drops __proto__ and constructor.prototype keys, polluting nothing', async () => {
    const body =
      '{"payloads":[{"metadata":{"__proto__":{"polluted":"AAAA"},"encoding":"YQ=="},"data":"IjIi"}],' +
      '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}';
    const res = await app.inject({
      method: 'POST',
      url: '/codec/decode',
      payload: body,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { payloads: [{ metadata: { encoding: 'YQ==' }, data: 'IjIi' }] });
    assert.equal(({} as { polluted?: string }).polluted, undefined);
  });

  it('answers 400 to a body that is not payloads in JSON form, without coercing types', async () => {
    for (const body of [
      {},
      { payloads: {} },
      { payloads: [{ metadata: { encoding: true } }] },
      { payloads: [{ data: 1234 }] },
      { payloads: [{ data: 'not base64!' }] },
      { payloads: [{ data: 'IjI' }] },
    ]) {
      const res = await call(app, 'encode', body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.match(res.json<{ message: string }>().message, /^body/);
    }
  });
});

describe('codec server CORS', () => {
  const preflight = (target: FastifyInstance, origin: string) =>
    target.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace,authorization',
      },
    });

  for (const [name, target] of [
    ['without API_TOKEN', () => app],
    ['with API_TOKEN set, since a preflight carries no token', () => guarded],
  ] as const) {
    it(`answers a preflight from the UI's origin ${name}`, async () => {
      const res = await preflight(target(), UI);
      assert.equal(res.statusCode, 204);
      assert.equal(res.headers['access-control-allow-origin'], UI);
      assert.equal(res.headers['access-control-allow-credentials'], 'true');
      assert.equal(res.headers['access-control-allow-methods'], 'POST');
      assert.equal(res.headers['access-control-allow-headers'], 'Authorization, Content-Type, X-Namespace');
    });
  }

  it("lets the UI's page read an answer, with credentials", async () => {
    const res = await call(app, 'decode', { payloads: plain }, { origin: UI });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['access-control-allow-origin'], UI);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
  });

  it('gives no other origin, and no other route, any CORS header', async () => {
    for (const origin of ['http://localhost:8081', 'https://localhost:8080', 'http://evil.example']) {
      const res = await preflight(app, origin);
      assert.notEqual(res.statusCode, 204, origin);
      assert.equal(res.headers['access-control-allow-origin'], undefined, origin);
      const post = await call(app, 'decode', { payloads: plain }, { origin });
      assert.equal(post.headers['access-control-allow-origin'], undefined, origin);
    }
    const health = await app.inject({ method: 'GET', url: '/health', headers: { origin: UI } });
    assert.equal(health.headers['access-control-allow-origin'], undefined);
  });

  it('gives no CORS header at all without CODEC_CORS_ORIGIN', async () => {
    const plainApp = await build({});
    try {
      const res = await preflight(plainApp, UI);
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    } finally {
      await plainApp.close();
    }
  });

  it('refuses a CODEC_CORS_ORIGIN that is not an origin', () => {
    for (const bad of ['localhost:8080', 'http://localhost:8080/', 'http://localhost:8080/ui', 'ftp://host', '*']) {
      assert.throws(
        () => loadApiConfig({ CODEC_CORS_ORIGIN: bad }),
        (err: unknown) =>
          err instanceof SettingsError &&
          err.message ===
            `invalid setting CODEC_CORS_ORIGIN=${JSON.stringify(bad)}: expected an origin such as http://localhost:8080`,
      );
    }
  });
});

describe('API settings', () => {
  it('takes LOG_LEVEL by the rule the workers use', () => {
    assert.equal(loadApiConfig({ LOG_LEVEL: 'WARN' }).logLevel, 'warn');
    assert.throws(
      () => loadApiConfig({ LOG_LEVEL: 'loud' }),
      (err: unknown) =>
        err instanceof SettingsError && err.message.startsWith('invalid setting LOG_LEVEL="loud": expected one of '),
    );
  });

  it('takes API_EAGER_START as on or off, off by default, and refuses anything else', () => {
    assert.equal(loadApiConfig({}).eagerStart, false);
    assert.equal(loadApiConfig({ API_EAGER_START: 'on' }).eagerStart, true);
    assert.equal(loadApiConfig({ API_EAGER_START: 'off' }).eagerStart, false);
    for (const bad of ['true', 'ON', '1']) {
      assert.throws(
        () => loadApiConfig({ API_EAGER_START: bad }),
        (err: unknown) =>
          err instanceof SettingsError &&
          err.message === `invalid setting API_EAGER_START=${JSON.stringify(bad)}: expected on or off`,
      );
    }
  });
});

describe('codec server with API_TOKEN set', () => {
  it('answers 401 without the bearer token and serves with it', async () => {
    for (const direction of ['encode', 'decode']) {
      const refused = await call(guarded, direction, { payloads: plain }, { origin: UI });
      assert.equal(refused.statusCode, 401, direction);
      assert.equal(refused.headers['www-authenticate'], 'Bearer');
      const served = await call(guarded, direction, { payloads: plain }, { authorization: `Bearer ${TOKEN}` });
      assert.equal(served.statusCode, 200, direction);
    }
  });
});

describe('codec server document', () => {
  it('documents both routes with their bodies and every status code', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, { post: { requestBody: unknown; responses: Record<string, unknown> } }>;
    }>();
    for (const path of ['/codec/encode', '/codec/decode']) {
      const operation = spec.paths[path]!.post;
      assert.deepEqual(Object.keys(operation.responses).sort(), ['200', '400', '413', '415', '500']);
      assert.match(JSON.stringify(operation.requestBody), /"format":"byte"/);
    }
    const guardedSpec = (
      await guarded.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: `Bearer ${TOKEN}` } })
    ).json<{ paths: Record<string, { post: { responses: Record<string, unknown> } }> }>();
    assert.ok(guardedSpec.paths['/codec/decode']!.post.responses['401']);
  });
});
