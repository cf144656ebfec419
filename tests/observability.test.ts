/**
 * Observability of the whole system, on a stack started like `make up`: each worker's SDK
 * metrics and the API's own on Prometheus endpoints, one trace from the API's HTTP request
 * through the workflow to the three activities in Python, Go and TypeScript, the API's
 * liveness and readiness, and the probe every worker serves for the launcher and for container
 * health checks.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { serviceOf, STEPS, WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import { readTopology } from '../stack/topology';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver';
import { samplesOf, sumOf, type Sample } from './prometheus';
import { freePort, startStack, ZERO_WAITS, type RunningStack } from './stack';

/** The service.name each step's worker traces under: power-of-2-python, ... */
const tracedAs = (step: (typeof STEPS)[number]) => `${serviceOf(step)}-${step.language}`;
const SERVICES = ['calc-api', 'calc-workflow-worker', ...STEPS.map(tracedAs)];
const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
/** The queue each worker service polls. */
const QUEUES: Record<string, { name: string; type: number }> = {
  'workflow-worker': { name: WORKFLOW_TASK_QUEUE, type: TASK_QUEUE_TYPE_WORKFLOW },
  ...Object.fromEntries(STEPS.map((s) => [serviceOf(s), { name: s.taskQueue, type: TASK_QUEUE_TYPE_ACTIVITY }])),
};

let stack: RunningStack;
let receiver: OtlpReceiver;

before(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack({
    ...ZERO_WAITS,
    // Every process exports its spans over OTLP to this receiver, soon after each ends.
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
});

after(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function calculate(number: string): Promise<string> {
  const res = await fetch(`${stack.api}/?number=${number}`, { method: 'POST' });
  assert.equal(res.status, 202, await res.clone().text());
  const { workflow_id: id } = (await res.json()) as { workflow_id: string };
  const done = await fetch(`${stack.api}/result/${id}?wait=30`);
  assert.equal(((await done.json()) as { message: string }).message, 'completed');
  return id;
}

/** Sums each metric over its label sets; `name{a="b"}` keys keep the one series asked for. */
async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url} answered ${res.status}`);
  return samplesOf(await res.text());
}

/** Each worker process of the stack, by name, with its metrics endpoint. */
const workers = () => stack.processes().filter((p) => p.ports.METRICS_PORT !== undefined);

async function scrapeAll(): Promise<Record<string, Sample[]>> {
  const entries = await Promise.all(
    workers().map(async (p) => [p.name, await scrape(`http://127.0.0.1:${p.ports.METRICS_PORT}/metrics`)] as const),
  );
  return {
    ...Object.fromEntries(entries),
    api: await scrape(`${stack.api}/metrics`),
    temporal: await scrape(stack.temporalMetrics),
  };
}

describe('metrics', () => {
  it('every worker and the API count a calculation on their Prometheus endpoints', async () => {
    const before = await scrapeAll();
    await calculate('2');
    // The SDKs update some series a moment after the task completes.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await scrapeAll();
    const grew = (worker: string, metric: string, where?: (labels: Record<string, string>) => boolean) =>
      sumOf(after[worker]!, metric, where) - sumOf(before[worker]!, metric, where);

    assert.ok(
      grew('workflow-worker', 'temporal_workflow_completed') >= 1,
      'workflow worker: temporal_workflow_completed',
    );
    assert.ok(
      grew('workflow-worker', 'temporal_workflow_task_execution_latency_count') >= 1,
      'workflow worker: temporal_workflow_task_execution_latency_count',
    );
    // Each step was run, and scheduled, once by one of its service's replicas.
    const byService = (service: string, metric: string) =>
      workers()
        .filter((p) => p.service === service)
        .reduce((sum, p) => sum + grew(p.name, metric), 0);
    for (const step of STEPS) {
      for (const metric of [
        'temporal_activity_execution_latency_count',
        'temporal_activity_schedule_to_start_latency_count',
      ]) {
        assert.equal(byService(serviceOf(step), metric), 1, `${step.activity}: ${metric}`);
      }
    }

    // The server's own endpoint: 4 workflow tasks and 3 activity tasks handed to the workers.
    assert.ok(
      grew('temporal', 'poll_success') >= 7,
      `server: poll_success grew by ${grew('temporal', 'poll_success')}`,
    );

    const started = { method: 'POST', route: '/', status: '202' };
    const startedCount = grew('api', 'calc_api_http_request_duration_seconds_count', (l) =>
      Object.entries(started).every(([k, v]) => l[k] === v),
    );
    assert.equal(startedCount, 1, `calc_api_http_request_duration_seconds_count of ${JSON.stringify(started)}`);
    assert.ok(grew('api', 'calc_api_http_request_duration_seconds_count') >= 2, 'API request duration histogram');
  });
});

describe('launcher settings for measurements', () => {
  it('STACK_WORKER_METRICS=off serves no worker metrics; TEMPORAL_DEV_SERVER_ARGS reach the server', async () => {
    const flags = [
      '--dynamic-config-value=history.enableBestEffortDeleteTasksOnWorkflowUpdate=true',
      '--dynamic-config-value=limit.maxIDLength=200',
    ];
    const other = await startStack({
      ...ZERO_WAITS,
      STACK_WORKER_METRICS: 'off',
      TEMPORAL_DEV_SERVER_ARGS: flags.join(' '),
    });
    try {
      const res = await fetch(`${other.api}/?number=3`, { method: 'POST' });
      const { workflow_id: id } = (await res.json()) as { workflow_id: string };
      const done = (await (await fetch(`${other.api}/result/${id}?wait=30`)).json()) as { result: string };
      assert.equal(done.result, '79766443076872509863361');
      assert.deepEqual(
        other.processes().filter((p) => p.ports.METRICS_PORT !== undefined),
        [],
        'no process has a METRICS_PORT',
      );
      const server = other.processes().find((p) => p.service === 'temporal')!;
      const argv = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
      for (const flag of flags) assert.ok(argv.includes(flag), `${flag} in ${argv.join(' ')}`);
    } finally {
      await other.stop();
    }
  });
});

describe('tracing', () => {
  it('one trace runs from the API request through the workflow to the three activities', async () => {
    const started = await fetch(`${stack.api}/?number=3`, { method: 'POST' });
    assert.equal(started.status, 202);
    const { workflow_id: id } = (await started.json()) as { workflow_id: string };
    await fetch(`${stack.api}/result/${id}?wait=30`);

    // Each process exports in batches; the workflow's own span ends last.
    let trace: ReceivedSpan[] = [];
    const deadline = Date.now() + 15_000;
    for (;;) {
      const spans = receiver.spans;
      const start = spans.find((s) => s.name === 'StartWorkflow:CalculateWorkflow' && s.service === 'calc-api');
      const root = start && spans.find((s) => s.spanId === start.parentSpanId);
      trace = root ? spans.filter((s) => s.traceId === root.traceId) : [];
      const services = new Set(trace.map((s) => s.service));
      const activities = trace.filter((s) => s.name.startsWith('RunActivity:')).length;
      if ((SERVICES.every((s) => services.has(s)) && activities >= STEPS.length) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const summary = trace.map((s) => `${s.service} ${s.name}`).join('\n');
    assert.deepEqual([...new Set(trace.map((s) => s.service))].sort(), [...SERVICES].sort(), summary);

    const named = (service: string, name: string) => {
      const span = trace.find((s) => s.service === service && s.name === name);
      assert.ok(span, `no ${name} span from ${service} in the trace:\n${summary}`);
      return span;
    };
    const http = named('calc-api', 'POST /');
    assert.equal(http.parentSpanId, '', 'the HTTP request span starts the trace');
    assert.equal(named('calc-api', 'StartWorkflow:CalculateWorkflow').parentSpanId, http.spanId);
    named('calc-workflow-worker', 'RunWorkflow:CalculateWorkflow');
    for (const step of STEPS) {
      const [service, activity] = [tracedAs(step), step.activity];
      const run = named(service, `RunActivity:${activity}`);
      const schedule = trace.find((s) => s.spanId === run.parentSpanId);
      assert.equal(schedule?.name, `StartActivity:${activity}`, `${activity} runs under the workflow's StartActivity`);
      assert.equal(schedule?.service, 'calc-workflow-worker');
    }
  });
});

describe('API probes', () => {
  it('/health answers liveness only, /ready checks Temporal and the workflow worker', async () => {
    const health = await fetch(`${stack.api}/health`);
    assert.deepEqual([health.status, await health.json()], [200, { status: 'ok' }]);
    const ready = await fetch(`${stack.api}/ready`);
    assert.deepEqual(
      [ready.status, await ready.json()],
      [200, { status: 'ready', temporal: 'reachable', workflow_worker: 'polling' }],
    );
  });
});

describe('API without Temporal', () => {
  it('started while Temporal is down, says so, listens on nothing, and SIGTERM ends it with 0', async () => {
    const port = await freePort();
    const api = spawn(process.execPath, ['producers/dist/api/server.js'], {
      cwd: resolve(__dirname, '..'),
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
        API_PORT: String(port),
        PAYLOAD_ENCRYPTION: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    api.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => api.once('exit', (code) => r(code)));
    for (const until = Date.now() + 20_000; !stderr.includes('is unreachable');) {
      assert.ok(Date.now() < until, `no word from the API within 20 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(stderr, /^api: Temporal at 127\.0\.0\.1:\d+ is unreachable \(.*\); retrying every second$/m);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
    api.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

describe('worker probes', () => {
  it('every worker of the stack is ready only while its identity polls its task queue', async () => {
    for (const p of workers()) {
      const res = await fetch(`http://127.0.0.1:${p.ports.HEALTH_PORT}/readyz`);
      const body = (await res.json()) as { status: string; identity: string };
      assert.deepEqual([res.status, body.status, body.identity], [200, 'ready', p.identity], p.name);
      const queue = QUEUES[p.service]!;
      const { pollers } = await stack.client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: queue.name },
        taskQueueType: queue.type,
      });
      assert.ok(
        pollers.some((poller) => poller.identity === p.identity),
        `${p.name}: ${p.identity} is not among the pollers of ${queue.name}`,
      );
      const live = await fetch(`http://127.0.0.1:${p.ports.HEALTH_PORT}/healthz`);
      assert.deepEqual([live.status, ((await live.json()) as { status: string }).status], [200, 'ok'], p.name);
    }
  });

  // Last in this file: these extra workers poll the stack's queues too. Each is started from
  // its own x-local command in docker-compose.yml, as the launcher starts it.
  const services = [
    ...new Map(
      readTopology()
        .filter((p) => p.ports.includes('HEALTH_PORT'))
        .map((p) => [p.service, p]),
    ).values(),
  ];
  for (const service of services) {
    it(`${service.service}: /readyz is 503 until it polls, 200 with its identity, and SIGTERM exits 0`, async () => {
      const healthPort = await freePort();
      const [program, ...args] = service.command;
      const child = spawn(program!.includes('/') ? resolve(service.cwd, program!) : program!, args, {
        cwd: service.cwd,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: stack.temporalAddress,
          TEMPORAL_NAMESPACE: 'default',
          ...stack.payloadEnv,
          HEALTH_PORT: String(healthPort),
          WORKER_REPLICA: '9',
          METRICS_PORT: '',
          OTEL_EXPORTER_OTLP_ENDPOINT: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      const statuses = new Set<string>();
      try {
        let body: { status?: string; identity?: string } = {};
        const deadline = Date.now() + 30_000;
        while (body.status !== 'ready' && Date.now() < deadline && child.exitCode === null) {
          try {
            const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
            body = (await res.json()) as typeof body;
            statuses.add(`${res.status} ${body.status}`);
          } catch {
            // Not listening yet.
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(body.status, 'ready', `not ready:\n${output}`);
        assert.ok(![...statuses].some((s) => s.startsWith('200') && !s.endsWith('ready')), [...statuses].join(', '));
        assert.match(body.identity ?? '', /-9@[^:]+:[0-9]+$/, 'the identity names replica 9 and the pid');
        assert.ok(body.identity?.endsWith(`:${child.pid}`), `${body.identity} is not this process (${child.pid})`);
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0, output);
    });
  }
});
