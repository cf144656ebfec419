/**
 * CalculateWorkflow and the REST API against a real Temporal dev server (the pinned binary),
 * with the contract's steps served by test activities on their own queues. The real Python
 * and Go workers are exercised by the end-to-end tests in tests/. Every step list is derived
 * from the contract: a step added there needs no edit here.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Context } from '@temporalio/activity';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  WorkflowFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { msToTs } from '@temporalio/common/lib/time';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import {
  calculate,
  PROGRESS_QUERY,
  RESULT_FORMULA,
  type Step,
  type StepName,
  STEPS,
  WORKFLOW_TASK_QUEUE,
  WORKFLOW_TYPE,
} from '@calc/contracts';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app';
import { loadApiConfig } from '../src/config';
import { CalculateWorkflow, progressQuery } from '../src/workflows';

const TEMPORAL_BIN = join(__dirname, '../../.tools/bin/temporal');

const FIRST = STEPS[0]!;
const SECOND = STEPS[1]!;
const LAST = STEPS[STEPS.length - 1]!;

/** What `step` receives in a calculation of `n`: n raised by the steps before it. */
function inputOf(step: Step, n: bigint): string {
  let value = n;
  for (const s of STEPS) {
    if (s === step) return value.toString();
    value **= BigInt(s.exponent);
  }
  throw new Error(`${step.activity} is not a step of the contract`);
}

/** What `step` answers when it is given `input`. */
const outputOf = (step: Step, input: string) => (BigInt(input) ** BigInt(step.exponent)).toString();

/** How the workflow names a step in a failure: `power_of_4 (go, power-of-4-service-queue)`. */
const named = (step: Step) => `${step.activity} \\(${step.language}, ${step.taskQueue}\\)`;

/** The calculation's result, as the API shows it. */
const resultOf = (n: bigint) => calculate(n).toString();

type Behaviour = (n: string) => Promise<string>;
interface Call {
  workflowId: string;
  activity: StepName;
  taskQueue: string;
  attempt: number;
  input: string;
}

const calls: Call[] = [];
/** What each test activity does; a test may replace one for a given input. */
const overrides = new Map<string, Behaviour>();

function testActivity(name: StepName, exponent: bigint): Behaviour {
  return async (n: string) => {
    const { info } = Context.current();
    calls.push({
      workflowId: info.workflowExecution?.workflowId ?? '',
      activity: name,
      taskQueue: info.taskQueue,
      attempt: info.attempt,
      input: n,
    });
    const override = overrides.get(`${name}:${n}`);
    return override ? override(n) : (BigInt(n) ** exponent).toString();
  };
}

const releases: (() => void)[] = [];
/**
 * Makes `step` hold on `input` until the returned function is called, then answer as usual.
 * It heartbeats while it holds, as the real workers do, so that a cancellation reaches it.
 */
function hold(step: Step, input: string): () => void {
  let release!: () => void;
  let released = false;
  const gate = new Promise<void>((r) => (release = r)).then(() => (released = true));
  releases.push(release);
  overrides.set(`${step.activity}:${input}`, async (n) => {
    const ctx = Context.current();
    while (!released) {
      ctx.heartbeat();
      // Context.sleep rejects as soon as a cancellation arrives.
      await Promise.race([gate, ctx.sleep(200)]);
    }
    return outputOf(step, n);
  });
  return release;
}

let env: TestWorkflowEnvironment;
let client: Client;
let app: FastifyInstance;
const workers: Worker[] = [];
const running: Promise<void>[] = [];

before(async () => {
  // Several tests make steps fail on purpose; only errors are worth printing.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: TEMPORAL_BIN } },
  });
  client = env.client;
  workers.push(
    await Worker.create({
      connection: env.nativeConnection,
      taskQueue: WORKFLOW_TASK_QUEUE,
      workflowsPath: require.resolve('../src/workflows'),
    }),
  );
  for (const step of STEPS) {
    workers.push(
      await Worker.create({
        connection: env.nativeConnection,
        taskQueue: step.taskQueue,
        activities: { [step.activity]: testActivity(step.activity, BigInt(step.exponent)) },
      }),
    );
  }
  running.push(...workers.map((w) => w.run()));
  app = await buildApp({
    client,
    config: loadApiConfig({ ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS: '5', ACTIVITY_MAXIMUM_ATTEMPTS: '3' }),
  });
});

after(async () => {
  for (const release of releases) release();
  await app?.close();
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await env?.teardown();
});

let seq = 0;
function start(number: string) {
  return client.workflow.start(CalculateWorkflow, {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: `wf-test-${process.pid}-${++seq}`,
    args: [number, { heartbeatTimeoutSeconds: 5, maximumAttempts: 3 }],
  });
}

describe('CalculateWorkflow', () => {
  it(`runs ${STEPS.map((s) => s.activity).join(', ')} in that order, each on its own queue`, async () => {
    const handle = await start('2');
    assert.equal(await handle.result(), resultOf(2n));
    const mine = calls.filter((c) => c.workflowId === handle.workflowId);
    assert.deepEqual(
      mine.map((c) => [c.activity, c.taskQueue, c.input]),
      STEPS.map((s) => [s.activity, s.taskQueue, inputOf(s, 2n)]),
    );
  });

  it('is exact far past 2^53: n = 3 and a 300-digit n', async () => {
    assert.equal(await (await start('3')).result(), resultOf(3n));
    const big = '9' + '8765432101'.repeat(29) + '876543210';
    assert.equal(await (await start(big)).result(), resultOf(BigInt(big)));
  });

  it('fails at once, without retrying, when a step reports InvalidNumber', async () => {
    overrides.set(`${SECOND.activity}:${inputOf(SECOND, -1001n)}`, async (n) => {
      throw ApplicationFailure.create({
        type: 'InvalidNumber',
        message: `${SECOND.activity}: invalid number ${JSON.stringify(n)}: test`,
        nonRetryable: true,
      });
    });
    const handle = await start('-1001');
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'InvalidNumber');
      assert.match(err.cause.message, new RegExp(`^${named(SECOND)} failed: ${SECOND.activity}: invalid number`));
      return true;
    });
    const mine = calls.filter((c) => c.workflowId === handle.workflowId);
    assert.deepEqual(
      mine.map((c) => [c.activity, c.attempt]),
      [
        [FIRST.activity, 1],
        [SECOND.activity, 1],
      ],
      'InvalidNumber was retried or later steps ran',
    );
  });

  it('retries a step that fails for another reason', async () => {
    let failures = 0;
    overrides.set(`${FIRST.activity}:5`, async (n) => {
      if (failures++ === 0) throw new Error('transient trouble');
      return outputOf(FIRST, n);
    });
    const handle = await start('5');
    assert.equal(await handle.result(), resultOf(5n));
    const attempts = calls.filter((c) => c.workflowId === handle.workflowId && c.activity === FIRST.activity);
    assert.deepEqual(
      attempts.map((c) => c.attempt),
      [1, 2],
    );
  });

  it('reports each step and its value through the progress query', async () => {
    const release = hold(SECOND, inputOf(SECOND, 7n));
    const handle = await start('7');
    let progress = await handle.query(progressQuery);
    for (let i = 0; i < 100 && progress.steps[1]?.status !== 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      progress = await handle.query(progressQuery);
    }
    assert.equal(progress.number, '7');
    assert.deepEqual(
      progress.steps.map((s) => [s.activity, s.language, s.status, s.input, s.output]),
      [
        [FIRST.activity, FIRST.language, 'completed', '7', outputOf(FIRST, '7')],
        [SECOND.activity, SECOND.language, 'running', inputOf(SECOND, 7n), undefined],
        ...STEPS.slice(2).map((s) => [s.activity, s.language, 'pending', undefined, undefined]),
      ],
    );
    release();
    assert.equal(await handle.result(), resultOf(7n));
    const done = await handle.query(progressQuery);
    assert.deepEqual(
      done.steps.map((s) => s.status),
      STEPS.map(() => 'completed'),
    );
  });
});

describe('REST API with API_TOKEN set', () => {
  let guarded: FastifyInstance;
  before(async () => {
    guarded = await buildApp({ client, config: loadApiConfig({ API_TOKEN: 's3cret-token' }) });
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

describe('REST API', () => {
  const post = (query: string) => app.inject({ method: 'POST', url: `/${query}` });
  const result = (id: string, query = '') => app.inject({ method: 'GET', url: `/result/${id}${query}` });

  it('POST /?number=2 answers 202 with the id and a Location; the result is exact', async () => {
    const res = await post('?number=2');
    assert.equal(res.statusCode, 202);
    const body = res.json<{ message: string; workflow_id: string }>();
    assert.equal(body.message, 'workflow started');
    assert.match(body.workflow_id, /^calculate-[0-9a-f-]{36}$/);
    assert.equal(res.headers.location, `/result/${body.workflow_id}`);
    const done = await result(body.workflow_id, '?wait=20');
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
    const progress = await client.workflow.getHandle(id).query<{ number: string }>(PROGRESS_QUERY);
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
      const before = (await client.workflow.count(`WorkflowType = '${WORKFLOW_TYPE}'`)).count;
      const res = await post(query);
      assert.equal(res.statusCode, 400);
      const body = res.json<{ statusCode: number; error: string; message: string }>();
      assert.equal(body.statusCode, 400);
      assert.equal(body.error, 'Bad Request');
      assert.match(body.message, /number/);
      assert.match(body.message, /base-10 integer: an optional '-' followed by 1 to 1000 digits 0-9/);
      assert.match(body.message, detail);
      assert.equal(
        (await client.workflow.count(`WorkflowType = '${WORKFLOW_TYPE}'`)).count,
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
    await client.workflow.getHandle(cancelled).cancel();
    await client.workflow.getHandle(terminated).terminate('stopped by an operator');
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
    const other = await client.workflow.start('SomethingElse', {
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
    await client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const lonely = await buildApp({
      client: new Client({ connection: client.connection, namespace }),
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
    assert.equal((await client.workflow.count(`WorkflowId = '${id}'`)).count, 1);
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

  it('cancels a running calculation, and answers 409 once it has ended and 404 for unknown ids', async () => {
    hold(FIRST, '15');
    const id = (await post('?number=15')).json<{ workflow_id: string }>().workflow_id;
    const cancel = await app.inject({ method: 'POST', url: `/workflows/${id}/cancel` });
    assert.equal(cancel.statusCode, 202);
    assert.deepEqual(cancel.json(), { message: 'cancellation requested', workflow_id: id });
    const res = await result(id, '?wait=20');
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

describe('REST API tracing', () => {
  const exporter = new InMemorySpanExporter();
  let traced: FastifyInstance;
  before(async () => {
    // As server.ts does when tracing is on, but after the app's modules are loaded.
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register({ contextManager: new AsyncLocalStorageContextManager() });
    traced = await buildApp({
      client: new Client({
        connection: client.connection,
        interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
      }),
      config: loadApiConfig({}),
    });
  });
  after(async () => traced?.close());

  it('continues the caller\'s trace in a "POST /" span, the parent of StartWorkflow', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const caller = 'b7ad6b7169203331';
    const res = await traced.inject({
      method: 'POST',
      url: '/?number=2',
      headers: { traceparent: `00-${traceId}-${caller}-01` },
    });
    assert.equal(res.statusCode, 202);
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const http = spans.find((s) => s.name === 'POST /');
    assert.ok(http, `no "POST /" span among ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(http.kind, SpanKind.SERVER);
    assert.equal(http.parentSpanId, caller);
    assert.equal(http.attributes['http.response.status_code'], 202);
    const start = spans.find((s) => s.name === 'StartWorkflow:CalculateWorkflow');
    assert.equal(start?.parentSpanId, http.spanContext().spanId);
  });

  it('leaves the probes and /metrics out of the traces', async () => {
    exporter.reset();
    for (const url of ['/health', '/ready', '/metrics']) {
      assert.equal((await traced.inject({ method: 'GET', url })).statusCode, 200, url);
    }
    assert.deepEqual(
      exporter.getFinishedSpans().map((s) => s.name),
      [],
    );
  });
});
