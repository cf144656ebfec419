/**
 * The load shapes: one client in sequence, a closed loop of clients, and autocannon on the API
 * alone (the variants they run are in variants.ts).
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { BenchConfig } from './config';
import type { ServerCounter } from '../tests/prometheus';
import { costs, cpuNow, serverCountersAt, type MeasuredProcess } from './procs';
import { medianInterval } from './results';
import type { Variant } from './variants';

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

/**
 * The items in the order of row `round` of a Williams square: over n rounds (2n when n is odd)
 * each item runs first equally often and right after every other item equally often. A window
 * can cost more after one variant than after another, and in `rotated` order each variant always
 * follows the same one (bench/README.md, "Order").
 */
export function balanced<T>(items: readonly T[], round: number): T[] {
  const n = items.length;
  // 0, 1, n-1, 2, n-2, ...: the first row, whose steps between neighbours are all different.
  const first = items.map((_, j) => (j % 2 ? (j + 1) / 2 : (n - j / 2) % n));
  const row = round % (n % 2 ? 2 * n : n);
  const order = first.map((k) => items[(k + row) % n]!);
  return row < n ? order : order.reverse();
}

/** The variants interleaved call by call. */
export async function sequentialLatency(all: readonly Variant[], calcs: number, offset = 0) {
  const runs = all.map((v) => ({ v, samples: [] as number[], tally: tally() }));
  for (let i = 0; i < calcs; i++) {
    for (const r of balanced(runs, i)) {
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
