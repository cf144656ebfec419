/**
 * Observability of the whole system, on a stack started like `make up`: each worker's SDK
 * metrics and the API's own on Prometheus endpoints, one trace from the API's HTTP request
 * through the workflow to the three activities in Python, Go and TypeScript, the API's
 * liveness and readiness, and the ready file every worker keeps for container health checks.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startStack, ZERO_WAITS, type RunningStack } from './stack';

const ROOT = join(__dirname, '..');
const SERVICES = ['calc-api', 'calc-workflow-worker', 'power-of-2-python', 'power-of-4-go', 'power-of-6-typescript'];

let stack: RunningStack;
let dir: string;
let tracesFile: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'calc-observability-'));
  tracesFile = join(dir, 'spans.jsonl');
  stack = await startStack({
    ...ZERO_WAITS,
    // Every process appends its finished spans to this one file.
    OTEL_TRACES_FILE: tracesFile,
  });
});

after(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
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
type Samples = Map<string, number>;

async function scrape(url: string): Promise<Samples> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url} answered ${res.status}`);
  const samples: Samples = new Map();
  for (const line of (await res.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!match) continue;
    const [, name, labels = '', value] = match;
    const add = (key: string) => samples.set(key, (samples.get(key) ?? 0) + Number(value));
    add(name!);
    if (labels) add(`${name}${labels}`);
  }
  return samples;
}

const workerMetrics = (offset: number) => `http://127.0.0.1:${stack.metricsBasePort + offset}/metrics`;
// The launcher's order (WORKER_METRICS in stack/services.ts).
const WORKERS = { workflow: 0, 'power_of_2#1': 1, 'power_of_2#2': 2, power_of_4: 3, power_of_6: 4 } as const;

async function scrapeAll(): Promise<Record<keyof typeof WORKERS | 'api', Samples>> {
  const entries = await Promise.all(
    Object.entries(WORKERS).map(async ([name, offset]) => [name, await scrape(workerMetrics(offset))] as const),
  );
  return { ...Object.fromEntries(entries), api: await scrape(`${stack.api}/metrics`) } as Record<
    keyof typeof WORKERS | 'api',
    Samples
  >;
}

describe('metrics', () => {
  it('every worker and the API count a calculation on their Prometheus endpoints', async () => {
    const before = await scrapeAll();
    await calculate('2');
    // The SDKs update some series a moment after the task completes.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await scrapeAll();
    const grew = (worker: keyof typeof before, metric: string) =>
      (after[worker].get(metric) ?? 0) - (before[worker].get(metric) ?? 0);

    assert.ok(grew('workflow', 'temporal_workflow_completed') >= 1, 'workflow worker: temporal_workflow_completed');
    assert.ok(
      grew('workflow', 'temporal_workflow_task_execution_latency_count') >= 1,
      'workflow worker: temporal_workflow_task_execution_latency_count',
    );
    // One of the two replicas ran the step.
    const python =
      grew('power_of_2#1', 'temporal_activity_execution_latency_count') +
      grew('power_of_2#2', 'temporal_activity_execution_latency_count');
    assert.equal(python, 1, 'power_of_2 replicas: temporal_activity_execution_latency_count');
    assert.equal(grew('power_of_4', 'temporal_activity_execution_latency_count'), 1, 'power_of_4');
    assert.equal(grew('power_of_6', 'temporal_activity_execution_latency_count'), 1, 'power_of_6');
    const toStart = 'temporal_activity_schedule_to_start_latency_count';
    assert.equal(grew('power_of_2#1', toStart) + grew('power_of_2#2', toStart), 1, `power_of_2: ${toStart}`);
    assert.equal(grew('power_of_4', toStart), 1, `power_of_4: ${toStart}`);
    assert.equal(grew('power_of_6', toStart), 1, `power_of_6: ${toStart}`);

    const started = 'calc_api_http_requests_total{method="POST",route="/",status="202"}';
    assert.equal(grew('api', started), 1, started);
    assert.ok(grew('api', 'calc_api_http_request_duration_seconds_count') >= 2, 'API request duration histogram');
  });
});

interface SpanLine {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
}

function readSpans(): SpanLine[] {
  if (!existsSync(tracesFile)) return [];
  return readFileSync(tracesFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SpanLine);
}

describe('tracing', () => {
  it('one trace runs from the API request through the workflow to the three activities', async () => {
    const started = await fetch(`${stack.api}/?number=3`, { method: 'POST' });
    assert.equal(started.status, 202);
    const { workflow_id: id } = (await started.json()) as { workflow_id: string };
    await fetch(`${stack.api}/result/${id}?wait=30`);

    // The file exporters write as each span ends; the workflow's own span ends last.
    let trace: SpanLine[] = [];
    const deadline = Date.now() + 15_000;
    for (;;) {
      const spans = readSpans();
      const start = spans.find((s) => s.name === 'StartWorkflow:CalculateWorkflow' && s.service === 'calc-api');
      const root = start && spans.find((s) => s.spanId === start.parentSpanId);
      trace = root ? spans.filter((s) => s.traceId === root.traceId) : [];
      const services = new Set(trace.map((s) => s.service));
      const activities = trace.filter((s) => s.name.startsWith('RunActivity:')).length;
      if ((SERVICES.every((s) => services.has(s)) && activities >= 3) || Date.now() > deadline) break;
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
    for (const [service, activity] of [
      ['power-of-2-python', 'power_of_2'],
      ['power-of-4-go', 'power_of_4'],
      ['power-of-6-typescript', 'power_of_6'],
    ] as const) {
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

describe('WORKER_READY_FILE', () => {
  // Last in this file: these extra workers poll the stack's queues too.
  const workers: [string, string, string[], string][] = [
    ['workflow worker', process.execPath, [join(ROOT, 'producers/dist/worker.js')], ROOT],
    [
      'power_of_2 (Python)',
      join(ROOT, 'consumers/power_of_2_python/.venv/bin/python'),
      ['-m', 'power_of_2'],
      join(ROOT, 'consumers/power_of_2_python'),
    ],
    ['power_of_4 (Go)', join(ROOT, 'consumers/power_of_4_golang/bin/power_of_4'), [], ROOT],
    ['power_of_6 (TypeScript)', process.execPath, [join(ROOT, 'consumers/power_of_6_nodejs/dist/main.js')], ROOT],
  ];
  for (const [name, command, args, cwd] of workers) {
    it(`${name} writes its identity into the file once polling and removes it on SIGTERM`, async () => {
      const file = join(dir, `ready-${name.replace(/\W+/g, '-')}`);
      const child = spawn(command, args, {
        cwd,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: stack.temporalAddress,
          TEMPORAL_NAMESPACE: 'default',
          WORKER_READY_FILE: file,
          WORKER_REPLICA: '9',
          OTEL_TRACES_FILE: '',
          METRICS_PORT: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 30_000;
        while (!existsSync(file) && Date.now() < deadline && child.exitCode === null) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(existsSync(file), `no ready file:\n${output}`);
        const identity = /worker ready identity=(\S+)/.exec(output)?.[1];
        assert.equal(readFileSync(file, 'utf8'), `${identity}\n`);
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0, output);
      assert.equal(existsSync(file), false, 'the ready file is still there after SIGTERM');
    });
  }
});
