/**
 * The three ways of running one calculation that the benchmark compares, and the load shapes:
 * one client in sequence, a closed loop of clients, and autocannon on the API alone.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import autocannon from 'autocannon';
import { calculate, WORKFLOW_TASK_QUEUE, WORKFLOW_TYPE } from '@calc/contracts';
import { loadApiConfig } from '../producers/api/config';
import {
  BaselineCalculateWorkflow,
  BASELINE_WORKFLOW_QUEUE,
  SplitBaselineCalculateWorkflow,
} from './baseline-workflows';
import type { BenchConfig } from './config';
import type { ServerCounter } from '../tests/prometheus';
import { costs, cpuNow, serverCountersAt, type MeasuredProcess } from './procs';
import { medianInterval } from './results';

/**
 * `api-<tag>` and `direct-<tag>` run on a second stack started with other settings (run.ts);
 * `contended` is the direct start beside a process that burns what the API spends; `spaced`, the
 * direct start with a pause after each calculation as long as the API path adds to it.
 */
export type VariantKey =
  | 'api'
  | 'direct'
  | 'baseline'
  | 'split'
  | 'describe'
  | 'health'
  | 'paced'
  | 'spaced'
  | 'contended'
  | `${'api' | 'direct'}-${string}`;

/** `serverMetrics`: the Prometheus endpoint of the Temporal server that serves the variant. */
export type Variant = {
  key: VariantKey;
  label: string;
  serverMetrics: string;
  calculate: (n: number) => Promise<void>;
};

/** Every answer must be exactly n^EXPONENT, computed here with BigInt. */
function check(n: number, got: unknown): void {
  if (got !== calculate(BigInt(n)).toString()) {
    throw new Error(`wrong result for ${n}: ${JSON.stringify(got)?.slice(0, 40)}`);
  }
}

/** A calculation started and awaited through the SDK's client, as the API would start it. */
function viaClient(client: Client, type: string, taskQueue: string) {
  // The API passes these to every workflow it starts; the client-started variants pass the same.
  const options = loadApiConfig(process.env).workflowOptions;
  return async (n: number) => {
    const workflowId = `bench-${randomUUID()}`;
    check(n, await client.workflow.execute(type, { taskQueue, workflowId, args: [String(n), options] }));
  };
}

/**
 * The variants on one stack. `client` must carry the stack's data converter, since the
 * results come back encrypted. With `other`, the API and direct variants of a second stack
 * started with other settings, keyed `<variant>-<tag>`; no baseline.
 */
export function variants(
  api: string,
  client: Client,
  serverMetrics: string,
  other?: { tag: string; label: string },
): Variant[] {
  const viaApi = async (n: number) => {
    const start = await fetch(`${api}/?number=${n}`, { method: 'POST' });
    const [location, text] = [start.headers.get('location'), await start.text()];
    if (start.status !== 202 || !location) throw new Error(`POST /?number=${n} answered ${start.status}: ${text}`);
    // The Location names the run, as a client that follows it would read it.
    const res = await fetch(`${api}${location}&wait=30`);
    const body = (await res.json()) as { message?: string; result?: string };
    if (res.status !== 200 || body.message !== 'completed') {
      throw new Error(`GET /result answered ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
    }
    check(n, body.result);
  };
  const baseline = viaClient(client, BaselineCalculateWorkflow.name, BASELINE_WORKFLOW_QUEUE);
  const all: Variant[] = [
    { key: 'api', label: 'polyglot via API', serverMetrics, calculate: viaApi },
    {
      key: 'direct',
      label: 'polyglot, direct start',
      serverMetrics,
      calculate: viaClient(client, WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE),
    },
    { key: 'baseline', label: 'TypeScript-only baseline', serverMetrics, calculate: baseline },
  ];
  if (!other) return all;
  return all
    .filter((v) => v.key !== 'baseline')
    .map((v) => ({ ...v, key: `${v.key}-${other.tag}` as VariantKey, label: `${v.label}, ${other.label}` }));
}

/**
 * The baseline with its steps on processes laid out as the pipeline's activity workers (procs.ts
 * startBaseline): what that layout alone costs, in the baseline's language.
 */
export function splitVariant(client: Client, serverMetrics: string): Variant {
  return {
    key: 'split',
    label: "TypeScript-only baseline, a process per activity worker of the pipeline's",
    serverMetrics,
    calculate: viaClient(client, SplitBaselineCalculateWorkflow.name, BASELINE_WORKFLOW_QUEUE),
  };
}

/**
 * Not a calculation: one description of a finished one by its run, as the API asks for on
 * every result read, so that a window of it gives what a describe costs the server.
 */
export function describeVariant(handle: WorkflowHandle, serverMetrics: string): Variant {
  const calculate = async () => {
    const { status } = await handle.describe();
    if (status.name !== 'COMPLETED') throw new Error(`${handle.workflowId} described as ${status.name}`);
  };
  return { key: 'describe', label: 'describe of a finished calculation', serverMetrics, calculate };
}

/**
 * Not a calculation either: `GET /health`, which asks nothing of Temporal, so that it gives
 * what one HTTP round trip to the API costs, the part of the API path no setting removes. With
 * `paceMs`, two requests in a row and then a pause until `paceMs` have passed since the first,
 * as one client's calculations ask the API (the start, then the result): what the two cost an
 * API that idles between calculations, which is more than back to back.
 */
export function healthVariant(api: string, serverMetrics: string, paceMs?: number): Variant {
  const get = async () => {
    const res = await fetch(`${api}/health`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /health answered ${res.status}: ${text}`);
  };
  if (paceMs === undefined)
    return { key: 'health', label: 'GET /health, one HTTP round trip', serverMetrics, calculate: get };
  const calculate = async () => {
    const start = performance.now();
    await get();
    await get();
    await sleep(Math.max(0, paceMs - (performance.now() - start)));
  };
  const label = `two GET /health every ${paceMs.toFixed(0)} ms, a calculation's pace at one client`;
  return { key: 'paced', label, serverMetrics, calculate };
}

/** Inputs cycle through 2..1000 in a scattered order, so result sizes vary from call to call. */
const numberAt = (i: number) => 2 + ((i * 7919) % 999);

/** Longest one calculation may take before it counts as an error; none should come close. */
const CALC_TIMEOUT_MS = 60_000;

/** Errors, with the first few messages to tell what went wrong. */
type Tally = { errors: number; errorSamples: string[] };
const tally = (): Tally => ({ errors: 0, errorSamples: [] });

/** The calculation's time in ms, or undefined once its error is counted in `t`. */
async function timed(variant: Variant, n: number, t: Tally): Promise<number | undefined> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CALC_TIMEOUT_MS / 1000} s`)), CALC_TIMEOUT_MS);
  });
  try {
    await Promise.race([variant.calculate(n), timeout]);
    return performance.now() - start;
  } catch (err) {
    t.errors += 1;
    if (t.errorSamples.length < 5) t.errorSamples.push(err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Latency samples in ms; percentiles by nearest rank, so each is a value actually observed. With
 * the interval of the median at 0.95, so that two of them bound a difference at 0.9.
 */
function summarize(samples: readonly number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1]! : NaN);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
  const [p50, p95, p99, min, max] = [at(50), at(95), at(99), s[0] ?? NaN, s.at(-1) ?? NaN];
  return { count: s.length, mean, p50, p95, p99, min, max, p50Interval: medianInterval(s, 0.95) };
}

/** The items in another order for each round, so that no variant always runs first or last. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** The variants interleaved call by call. */
export async function sequentialLatency(all: readonly Variant[], calcs: number, offset = 0) {
  const runs = all.map((v) => ({ v, samples: [] as number[], tally: tally() }));
  for (let i = 0; i < calcs; i++) {
    for (const r of rotated(runs, i)) {
      const ms = await timed(r.v, numberAt(offset + i), r.tally);
      if (ms !== undefined) r.samples.push(ms);
    }
  }
  return runs.map((r) => ({ variant: r.v.key, summary: summarize(r.samples), ...r.tally }));
}
export type LatencyResult = Awaited<ReturnType<typeof sequentialLatency>>[number];

/**
 * A closed loop of `c` clients. The window ends after BENCH_SECONDS or once BENCH_MIN_CALCS
 * calculations have completed, whichever comes first; calculations still running then are
 * awaited and checked, but not counted, so the next window starts on an idle system. `cpu`:
 * what each of `processes` used from the start until the last calculation ended.
 */
export async function throughputWindow(v: Variant, c: number, config: BenchConfig, processes: MeasuredProcess[] = []) {
  // Read outside the CPU figures: an answer of the server's metrics endpoint is about 2 MB.
  const countersBefore = await serverCountersAt(v.serverMetrics);
  const before = cpuNow(processes);
  const errors = tally();
  const samples: number[] = [];
  let [next, finished] = [0, 0];
  let end: number | undefined;
  const start = performance.now();
  const closeIfDone = () => {
    if (
      end === undefined &&
      (performance.now() >= start + config.windowSeconds * 1000 || samples.length >= config.windowCalcs)
    ) {
      end = performance.now();
    }
  };
  const client = async () => {
    while (end === undefined) {
      const ms = await timed(v, numberAt(next++), errors);
      if (ms !== undefined) finished += 1;
      if (ms !== undefined && end === undefined) samples.push(ms);
      closeIfDone();
    }
  };
  // A timer closes the window on time even when every client is stuck in a slow calculation.
  const ticker = setInterval(closeIfDone, 50);
  await Promise.all(Array.from({ length: c }, client)).finally(() => clearInterval(ticker));
  const elapsed = ((end ?? performance.now()) - start) / 1000;
  const cpu = costs(processes, before, finished);
  const countersAfter = await serverCountersAt(v.serverMetrics);
  const server = Object.fromEntries(
    Object.entries(countersAfter).map(([k, after]) => [k, (after - countersBefore[k as ServerCounter]) / finished]),
  ) as Record<ServerCounter, number>;
  return {
    variant: v.key,
    concurrency: c,
    /** Calculations completed (and checked) inside the window. */
    completed: samples.length,
    /** Every calculation that ended well, those still running when the window closed included. */
    finished,
    seconds: elapsed,
    perSecond: samples.length / elapsed,
    latency: summarize(samples),
    ...errors,
    cpu,
    /** The server's own counters per calculation that ended (tests/prometheus.ts serverCounters). */
    server,
  };
}
export type ThroughputResult = Awaited<ReturnType<typeof throughputWindow>>;

/**
 * The API alone under autocannon. Only the server's answers are checked (every one must be
 * 2xx); the calculations that POST / starts are left for the stack to drain.
 */
export async function apiLoad(endpoint: string, url: string, method: 'GET' | 'POST', config: BenchConfig) {
  const connections = config.apiConnections;
  const r = await autocannon({ url, method, connections, duration: config.apiSeconds });
  return {
    endpoint,
    connections,
    seconds: r.duration,
    requestsPerSecond: r.requests.total / r.duration,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    completed: r.requests.total,
    // autocannon counts a timeout among its errors already; an answer other than 2xx is one too.
    errors: r.errors + r.non2xx,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0])),
  };
}
export type ApiLoadResult = Awaited<ReturnType<typeof apiLoad>>;
