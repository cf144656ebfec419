/** The REST API with API_TOKEN set: the bearer token on every route but the probes, and its document. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app';
import { loadApiConfig } from '../config';
import { resultOf, pipeline, usePipeline } from '../../workflow/test/pipeline';

usePipeline();

describe('REST API with API_TOKEN set', () => {
  let guarded: FastifyInstance;
  before(async () => {
    guarded = await buildApp({ client: pipeline.client, config: loadApiConfig({ API_TOKEN: 's3cret-token' }) });
  });
  after(async () => guarded?.close());

  it('answers 401 without the token on every route but /health and /ready, and serves with it', async () => {
    for (const url of ['/result/anything', '/docs/', '/openapi.json', '/metrics']) {
      const res = await guarded.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 401, url);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }
    assert.equal((await guarded.inject({ method: 'POST', url: '/?number=2' })).statusCode, 401);
    const wrong = await guarded.inject({
      method: 'POST',
      url: '/?number=2',
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal((await guarded.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await guarded.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
    const auth = { authorization: 'Bearer s3cret-token' };
    const started = await guarded.inject({ method: 'POST', url: '/?number=2', headers: auth });
    assert.equal(started.statusCode, 202);
    const id = started.json<{ workflow_id: string }>().workflow_id;
    const done = await guarded.inject({ method: 'GET', url: `/result/${id}?wait=20`, headers: auth });
    assert.equal(done.statusCode, 200);
    assert.equal(done.json<{ result: string }>().result, resultOf(2n));
  });

  it('documents the bearer scheme on every route but the probes, and the 401 answers', async () => {
    const spec = (
      await guarded.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: 'Bearer s3cret-token' } })
    ).json<{
      security: unknown;
      components: { securitySchemes: unknown };
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    }>();
    assert.deepEqual(spec.security, [{ bearer: [] }]);
    assert.deepEqual(spec.components.securitySchemes, { bearer: { type: 'http', scheme: 'bearer' } });
    assert.deepEqual(spec.paths['/health']!.get!.security, []);
    assert.deepEqual(spec.paths['/ready']!.get!.security, []);
    for (const [path, method] of [
      ['/', 'post'],
      ['/result/{workflow_id}', 'get'],
      ['/workflows/{workflow_id}/cancel', 'post'],
      ['/metrics', 'get'],
    ] as const) {
      assert.ok(spec.paths[path]![method]!.responses['401'], `${method} ${path} documents no 401`);
    }
  });
});
