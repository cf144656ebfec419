/**
 * The REST API, through Fastify's inject, against a real dev server running the workflow with
 * test activities: every answer of every route.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { PROGRESS_QUERY, RESULT_FORMULA, STEPS, WORKFLOW_TYPE } from '@calc/contracts';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../app';
import { loadApiConfig } from '../config';
import {
  FIRST,
  LAST,
  inputOf,
  named,
  resultOf,
  overrides,
  hold,
  pipeline,
  usePipeline,
} from '../../workflow/test/pipeline';

let app: FastifyInstance;
usePipeline(
  async () => {
    app = await buildApp({
      client: pipeline.client,
      config: loadApiConfig({ ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS: '5', ACTIVITY_MAXIMUM_ATTEMPTS: '3' }),
    });
  },
  async () => app?.close(),
);

describe('REST API', () => {
  const post = (query: string) => app.inject({ method: 'POST', url: `/${query}` });
  const result = (id: string, query = '') => app.inject({ method: 'GET', url: `/result/${id}${query}` });

  it('POST /?number=2 answers 202 with the id and a Location; the result is exact', async () => {
    const res = await post('?number=2');
    assert.equal(res.statusCode, 202);
    const body = res.json<{ message: string; workflow_id: string; run_id: string }>();
    assert.equal(body.message, 'workflow started');
    assert.match(body.workflow_id, /^calculate-[0-9a-f-]{36}$/);
    assert.equal(res.headers.location, `/result/${body.workflow_id}?run_id=${body.run_id}`);
    const done = await app.inject({ method: 'GET', url: `${res.headers.location}&wait=20` });
    assert.equal(done.statusCode, 200);
    assert.deepEqual(done.json(), { message: 'completed', workflow_id: body.workflow_id, result: resultOf(2n) });
  });

  it('gives every start its own id, even for the same number', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await post('?number=11')).json<{ workflow_id: string }>().workflow_id);
    assert.equal(ids.size, 20);
  });

  it('canonicalises the number (leading zeros, minus zero)', async () => {
    const id = (await post('?number=-007')).json<{ workflow_id: string }>().workflow_id;
    assert.match(id, /^calculate-[0-9a-f-]{36}$/, 'the id names no number');
    assert.equal((await result(id, '?wait=20')).json<{ result: string }>().result, resultOf(-7n));
    // The workflow got the canonical form.
    const progress = await pipeline.client.workflow.getHandle(id).query<{ number: string }>(PROGRESS_QUERY);
    assert.equal(progress.number, '-7');
  });

  const bad: [string, string, RegExp][] = [
    ['missing', '', /^number is required/],
    ['empty', '?number=', /got ""/],
    ['decimal', '?number=2.5', /got "2\.5"/],
    ['letters', '?number=abc', /got "abc"/],
    ['exponent', '?number=1e3', /got "1e3"/],
    ['hex', '?number=0x10', /got "0x10"/],
    ['plus sign', '?number=%2B5', /got "\+5"/],
    ['leading space', '?number=%202', /got " 2"/],
    ['trailing space', '?number=2%20', /got "2 "/],
    ['tab', '?number=%092', /got "\\t2"/],
    ['repeated', '?number=1&number=2', /^number must be given once/],
    ['too many digits', `?number=${'9'.repeat(1001)}`, /got 1001 digits/],
  ];
  for (const [name, query, detail] of bad) {
    it(`rejects a ${name} number with 400 naming number and the rule`, async () => {
      const before = (await pipeline.client.workflow.count(`WorkflowType = '${WORKFLOW_TYPE}'`)).count;
      const res = await post(query);
      assert.equal(res.statusCode, 400);
      const body = res.json<{ statusCode: number; error: string; message: string }>();
      assert.equal(body.statusCode, 400);
      assert.equal(body.error, 'Bad Request');
      assert.match(body.message, /number/);
      assert.match(body.message, /base-10 integer: an optional '-' followed by 1 to 1000 digits 0-9/);
      assert.match(body.message, detail);
      assert.equal(
        (await pipeline.client.workflow.count(`WorkflowType = '${WORKFLOW_TYPE}'`)).count,
        before,
        'a workflow started',
      );
    });
  }

  it('accepts exactly 1000 digits', async () => {
    assert.equal((await post(`?number=${'9'.repeat(1000)}`)).statusCode, 202);
  });

  it('answers 202 "running" with the steps so far, without waiting', async () => {
    const release = hold(FIRST, '12');
    const id = (await post('?number=12')).json<{ workflow_id: string }>().workflow_id;
    const started = Date.now();
    const res = await result(id);
    assert.ok(Date.now() - started < 3000, 'GET /result blocked');
    assert.equal(res.statusCode, 202);
    const body = res.json<{ message: string; steps: { activity: string; status: string }[] }>();
    assert.equal(body.message, 'running');
    assert.deepEqual(
      body.steps.map((s) => [s.activity, s.status]),
      STEPS.map((s) => [s.activity, s === FIRST ? 'running' : 'pending']),
    );
    // A bounded long-poll that ends before the workflow still says "running".
    const polled = await result(id, '?wait=0.5');
    assert.equal(polled.statusCode, 202);
    release();
    assert.equal((await result(id, '?wait=20')).json<{ result: string }>().result, resultOf(12n));
  });

  it('reports a failed calculation with its reason and error type', async () => {
    overrides.set(`${LAST.activity}:${inputOf(LAST, 37n)}`, async () => {
      throw ApplicationFailure.create({
        type: 'InvalidNumber',
        message: `${LAST.activity}: invalid number "x"`,
        nonRetryable: true,
      });
    });
    const id = (await post('?number=37')).json<{ workflow_id: string }>().workflow_id;
    const res = await result(id, '?wait=20');
    assert.equal(res.statusCode, 200);
    const body = res.json<{ message: string; reason: string; error_type: string }>();
    assert.equal(body.message, 'failed');
    assert.equal(body.error_type, 'InvalidNumber');
    assert.match(body.reason, new RegExp(`^${named(LAST)} failed: ${LAST.activity}: invalid number`));
  });

  it('reports cancelled and terminated calculations', async () => {
    const releaseCancelled = hold(FIRST, '13');
    const releaseTerminated = hold(FIRST, '14');
    const cancelled = (await post('?number=13')).json<{ workflow_id: string }>().workflow_id;
    const terminated = (await post('?number=14')).json<{ workflow_id: string }>().workflow_id;
    await pipeline.client.workflow.getHandle(cancelled).cancel();
    await pipeline.client.workflow.getHandle(terminated).terminate('stopped by an operator');
    releaseCancelled();
    releaseTerminated();
    const c = await result(cancelled, '?wait=20');
    assert.equal(c.statusCode, 200);
    assert.equal(c.json<{ message: string }>().message, 'cancelled');
    const t = await result(terminated, '?wait=5');
    assert.equal(t.statusCode, 200);
    assert.deepEqual(t.json(), { message: 'terminated', workflow_id: terminated, reason: 'stopped by an operator' });
  });

  it('answers 404 for an unknown id and for a workflow that is not a calculation', async () => {
    const unknown = await result('no-such-workflow');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json<{ message: string }>().message, /no calculation has the id "no-such-workflow"/);
    const other = await pipeline.client.workflow.start('SomethingElse', {
      taskQueue: 'nobody-polls-this',
      workflowId: `other-${process.pid}`,
    });
    const res = await result(other.workflowId);
    assert.equal(res.statusCode, 404);
    assert.equal(JSON.stringify(res.json()).includes('SomethingElse'), false);
    await other.terminate();
  });

  it('rejects a malformed or excessive wait with 400 naming wait and the value', async () => {
    for (const [wait, shown] of [
      ['soon', '"soon"'],
      ['-1', '-1'],
      ['61', '61'],
      ['', '""'],
      // Whitespace and hexadecimal, which a loose reading would take for 0 and 16 seconds.
      ['%0D', '"\\r"'],
      ['%20', '" "'],
      ['%205', '" 5"'],
      ['0x10', '"0x10"'],
    ]) {
      const res = await result('no-such-workflow', `?wait=${wait}`);
      assert.equal(res.statusCode, 400);
      assert.equal(
        res.json<{ message: string }>().message,
        `wait must be a number of seconds from 0 to 60; got ${shown}`,
      );
    }
  });

  it('accepts any number of seconds as wait, as the document says, decimals included', async () => {
    const release = hold(FIRST, '16');
    const id = (await post('?number=16')).json<{ workflow_id: string }>().workflow_id;
    for (const wait of ['0.0001', '0.3333333333333333', '1e-1'])
      assert.equal((await result(id, `?wait=${wait}`)).statusCode, 202);
    release();
    assert.equal((await result(id, '?wait=20')).statusCode, 200);
  });

  it('answers a method the document does not list on a known path with 405 and Allow', async () => {
    for (const [method, url, allow] of [
      ['TRACE', '/health', 'GET, HEAD'],
      ['QUERY', '/result/x', 'GET, HEAD'],
      ['DELETE', '/result/x?wait=1', 'GET, HEAD'],
      ['GET', '/', 'POST'],
      ['PUT', '/workflows/x/cancel', 'POST'],
      ['OPTIONS', '/metrics', 'GET, HEAD'],
    ] as const) {
      const res = await app.inject({ method, url });
      assert.equal(res.statusCode, 405, `${method} ${url}`);
      assert.equal(res.headers.allow, allow);
      assert.match(res.json<{ message: string }>().message, new RegExp(`^${method} is not allowed on /`));
    }
  });

  it('answers 503 when Temporal is unreachable, for a start as for a read', async () => {
    // A closed port, and one retry: the default retries take about 20 s to give up.
    const connection = Connection.lazy({
      address: '127.0.0.1:1',
      connectTimeout: 500,
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))],
    });
    const cut = await buildApp({ client: new Client({ connection }), config: loadApiConfig({}) });
    try {
      for (const [method, url] of [
        ['POST', '/?number=2'],
        ['GET', '/result/some-id'],
        ['POST', '/workflows/some-id/cancel'],
      ] as const) {
        const res = await cut.inject({ method, url });
        assert.equal(res.statusCode, 503, `${method} ${url}: ${res.body}`);
        assert.deepEqual(res.json(), {
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'Temporal is unreachable; try again shortly',
        });
      }
    } finally {
      await cut.close();
      await connection.close();
    }
  });

  it('answers liveness on /health, checking nothing outside the process', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  it('reports ready on /ready while Temporal answers and a workflow worker polls', async () => {
    const res = await app.inject({ method: 'GET', url: '/ready' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ready', temporal: 'reachable', workflow_worker: 'polling' });
  });

  it('answers 503 on /ready naming the check that failed', async () => {
    // A namespace no worker polls in: Temporal answers, no workflow worker is there. A new
    // namespace takes the server a moment to serve, hence the retries.
    const namespace = `no-worker-${process.pid}`;
    await pipeline.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const lonely = await buildApp({
      client: new Client({ connection: pipeline.client.connection, namespace }),
      config: loadApiConfig({}),
    });
    try {
      let body: unknown;
      for (let tries = 0; tries < 60; tries++) {
        const res = await lonely.inject({ method: 'GET', url: '/ready' });
        assert.equal(res.statusCode, 503);
        body = res.json();
        if ((body as { workflow_worker: string }).workflow_worker !== 'unknown') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(body, { status: 'unavailable', temporal: 'reachable', workflow_worker: 'not polling' });
    } finally {
      await lonely.close();
    }
    // A server that does not answer at all: a closed port.
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const cut = await buildApp({ client: new Client({ connection }), config: loadApiConfig({}) });
    try {
      const res = await cut.inject({ method: 'GET', url: '/ready' });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { status: 'unavailable', temporal: 'unreachable', workflow_worker: 'unknown' });
      assert.equal((await cut.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    } finally {
      await cut.close();
      await connection.close();
    }
  });

  it('counts requests by method, route pattern and status on /metrics', async () => {
    await app.inject({ method: 'GET', url: '/result/calculate-0-unknown-for-metrics' });
    await app.inject({ method: 'GET', url: '/no-route-for-metrics' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(
      res.body,
      /^calc_api_http_request_duration_seconds_count\{method="GET",route="\/result\/:workflow_id",status="404"\} [1-9]/m,
    );
    // A URL no route serves is counted under one label, so probing URLs makes no new series.
    assert.match(
      res.body,
      /^calc_api_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]/m,
    );
    assert.doesNotMatch(res.body, /for-metrics/);
    assert.match(res.body, /^calc_api_process_resident_memory_bytes /m);
    // Sampled ten times a second (plugins/metrics.ts), still reported.
    assert.match(res.body, /^calc_api_nodejs_eventloop_lag_p99_seconds /m);
  });

  it('documents every status code in /openapi.json and serves Swagger UI from local files', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const codes = (path: string, method: string) => Object.keys(spec.paths[path]![method]!.responses).sort();
    // No 401 and no security scheme: without API_TOKEN the server asks for none.
    assert.deepEqual(codes('/', 'post'), ['202', '400', '409', '500', '503']);
    assert.deepEqual(codes('/result/{workflow_id}', 'get'), ['200', '202', '400', '404', '500', '503']);
    assert.deepEqual(codes('/workflows/{workflow_id}/cancel', 'post'), ['202', '404', '409', '500', '503']);
    assert.equal(JSON.stringify(spec).includes('bearer'), false);
    // Inputs and examples come from the contract; a start leads to its result and its cancel.
    const start = spec.paths['/']!.post! as unknown as {
      parameters: { name: string; schema: { example?: string; pattern?: string } }[];
      responses: Record<string, { links?: Record<string, { operationId: string }> }>;
    };
    assert.equal(start.parameters.find((p) => p.name === 'number')?.schema.example, '2');
    assert.equal(start.parameters.find((p) => p.name === 'idempotency-key')?.schema.pattern, '^[\\x21-\\x7e]{1,200}$');
    assert.deepEqual(
      Object.values(start.responses['202']!.links!).map((l) => l.operationId),
      ['getResult', 'cancelCalculation'],
    );
    assert.ok(JSON.stringify(spec.paths['/result/{workflow_id}']).includes(`"example":"${resultOf(2n)}"`));
    assert.ok(JSON.stringify(spec).includes(RESULT_FORMULA));
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger-ui/i);
    assert.doesNotMatch(docs.body, /https?:\/\/(cdn|unpkg)/);
  });

  it('starts one calculation per Idempotency-Key, and refuses the key for another number', async () => {
    const key = `order-${process.pid}-${Date.now()}`;
    const send = (number: string, k = key) =>
      app.inject({ method: 'POST', url: `/?number=${number}`, headers: { 'idempotency-key': k } });
    const first = await send('21');
    const again = await send('21');
    const other = await send('22');
    assert.equal(first.statusCode, 202);
    assert.equal(again.statusCode, 202);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    const id = first.json<{ workflow_id: string }>().workflow_id;
    assert.equal(again.json<{ workflow_id: string }>().workflow_id, id);
    // The repeat names the same run, in its body and its Location.
    assert.equal(again.json<{ run_id: string }>().run_id, first.json<{ run_id: string }>().run_id);
    assert.equal(again.headers.location, first.headers.location);
    assert.equal((await pipeline.client.workflow.count(`WorkflowId = '${id}'`)).count, 1);
    assert.equal(other.statusCode, 409);
    assert.match(other.json<{ message: string }>().message, /Idempotency-Key was already used .* another number/);
    // Still the same answer once the calculation has ended.
    assert.equal((await result(id, '?wait=20')).json<{ result: string }>().result, resultOf(21n));
    assert.equal((await send('21')).json<{ workflow_id: string }>().workflow_id, id);
    const refused = await send('21', 'has space');
    assert.equal(refused.statusCode, 400);
    assert.equal(
      refused.json<{ message: string }>().message,
      'Idempotency-Key must be 1 to 200 printable ASCII characters without spaces, sent once',
    );
    assert.equal((await send('21', 'k'.repeat(201))).statusCode, 400);
  });

  it('logs one line per request, naming the calculation a start began or found again', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logged = await buildApp({ client: pipeline.client, config: loadApiConfig({}), logger: pino(sink) });
    try {
      const key = `logged-${process.pid}-${Date.now()}`;
      const send = () => logged.inject({ method: 'POST', url: '/?number=5', headers: { 'idempotency-key': key } });
      const id = (await send()).json<{ workflow_id: string }>().workflow_id;
      await send();
      assert.deepEqual(
        lines.map((l) => [l.msg, l.workflowId, l.replayed, (l.res as { statusCode: number }).statusCode]),
        [
          ['request completed', id, false, 202],
          ['request completed', id, true, 202],
        ],
      );
    } finally {
      await logged.close();
    }
  });

  it('cancels a running calculation, and answers 409 once it has ended and 404 for unknown ids', async () => {
    hold(FIRST, '15');
    const started = await post('?number=15');
    const id = started.json<{ workflow_id: string }>().workflow_id;
    const cancel = await app.inject({ method: 'POST', url: `/workflows/${id}/cancel` });
    assert.equal(cancel.statusCode, 202);
    assert.deepEqual(cancel.json(), { message: 'cancellation requested', workflow_id: id });
    assert.equal(cancel.headers.location, started.headers.location);
    const res = await app.inject({ method: 'GET', url: `${cancel.headers.location}&wait=20` });
    assert.equal(res.json<{ message: string }>().message, 'cancelled');
    const again = await app.inject({ method: 'POST', url: `/workflows/${id}/cancel` });
    assert.equal(again.statusCode, 409);
    assert.match(again.json<{ message: string }>().message, /has already ended \(cancelled\)/);
    assert.equal((await app.inject({ method: 'POST', url: '/workflows/nope/cancel' })).statusCode, 404);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ message: string }>().message, 'no route GET /nope');
  });
});
