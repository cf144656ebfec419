/**
 * The measuring phases of `make bench` (run.ts runs them in order): throughput in rounds, what a
 * describe and an HTTP round trip cost, the direct start beside a busy process, and the same
 * pipeline on stacks with other settings. Each returns its part of `BenchResults`.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dataConverter, readPayloadSettings } from '@calc/runtime';
import { startStack, ZERO_WAITS, type RunningStack } from '../tests/stack';
import { CONTROL, otherStack, type BenchConfig } from './config';
import { balanced, rotated, sequentialLatency, throughputWindow, type ThroughputResult } from './load';
import { paced, variants, type Variant } from './variants';
import { stackProcesses, startBurner, type MeasuredProcess } from './procs';
import { paceOf, point, type BenchResults } from './results';
import { COST_CONCURRENCIES } from './targets';

const PAUSE_BETWEEN_WINDOWS_MS = 500;
/** The benchmark's own process: the client side of the direct and baseline variants. */
const BENCH_PROCESS: MeasuredProcess = { name: 'bench client', service: 'bench', pid: process.pid };

export const log = (message: string) => console.error(`[bench] ${message}`);
export const logLatency = (latency: BenchResults['latency']) =>
  latency.forEach((l) => log(`  ${l.variant}: p50 ${l.summary.p50.toFixed(1)} ms, errors ${l.errors}`));

/** Work to undo when the run ends, in reverse order (run.ts). */
export type Stops = (() => Promise<unknown>)[];

/**
 * A client of the stack's server with the stack's payload settings: the direct and baseline
 * variants encrypt their input and decrypt their result as the API does, over the SDK's Rust
 * connection as the API's client does, so that the bench client's own CPU in the direct
 * variant is what the SDK costs the API for the same calls.
 */
export async function clientFor(stack: RunningStack, env: Record<string, string>, stops: Stops) {
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  stops.push(() => connection.close());
  return new Client({ connection, dataConverter: dataConverter(readPayloadSettings(env)) });
}

/**
 * A throughput window with the CPU each of `processes` and the bench client used in it, logged.
 * `settle`: wait BENCH_SETTLE_SECONDS first, long enough for the timeouts the calculations of the
 * window before leave on its server to fire, so that no window pays for another's.
 */
async function costedWindow(v: Variant, c: number, config: BenchConfig, processes: MeasuredProcess[], settle = false) {
  await sleep(Math.max(PAUSE_BETWEEN_WINDOWS_MS, settle ? config.settleSeconds * 1000 : 0));
  const r = await throughputWindow(v, c, config, [...processes, BENCH_PROCESS]);
  // A process of another stack is shown with its stack's tag (`@<tag>` ending its service).
  const shown = r.cpu
    .filter((p) => p.perCalcMs >= 0.05)
    .map((p) => `${p.name}${p.service.replace(/^[^@]*/, '')} ${p.perCalcMs.toFixed(1)}`);
  log(
    `  throughput ${v.key} c=${c}: ${r.perSecond.toFixed(1)}/s (${r.completed} in ${r.seconds.toFixed(1)} s), ` +
      `errors ${r.errors}; CPU ms per calculation: ${shown.join(', ')}`,
  );
  return r;
}

/**
 * `processes`: those of the first stack and the baseline, read again for every window; `labels`:
 * where a phase that makes a variant of its own names it.
 */
export type OnFirstStack = {
  config: BenchConfig;
  processes: () => MeasuredProcess[];
  labels: BenchResults['labels'];
};

/**
 * BENCH_THROUGHPUT_WINDOWS windows per variant and concurrency, the variants in turns, each
 * round in the order `balanced` gives; the report judges their medians. `more`: variants measured at the
 * given concurrency only.
 */
export async function throughputPhase(
  { config, processes }: OnFirstStack,
  all: Variant[],
  more: Partial<Record<number, Variant[]>>,
) {
  log(`throughput: ${config.throughputWindows} windows per variant and concurrency, in turns`);
  const throughput: ThroughputResult[] = [];
  for (const [i, c] of config.concurrencies.entries()) {
    for (let w = 0; w < config.throughputWindows; w++) {
      for (const v of balanced([...all, ...(more[c] ?? [])], i + w)) {
        throughput.push(await costedWindow(v, c, config, processes(), true));
      }
    }
  }
  return throughput;
}

/**
 * What a describe and `GET /health` cost, at each concurrency the API's CPU target names: back to
 * back, and at the pace of the API's calculations there (`paceOf`), since a call that wakes an
 * idle process costs it more than one that follows another. The paced describe runs on the bench
 * client, which idles between calls too: a window of the pace alone, in the same rounds, gives
 * what the idling costs it. No window starts a calculation, so only the first waits for the
 * throughput phase's timeouts to fire.
 */
export async function describePhase(
  { config, processes, labels }: OnFirstStack,
  describing: Variant,
  health: Variant,
  throughput: readonly ThroughputResult[],
) {
  log(`describe and GET /health: what the API's describe per result read and one HTTP round trip cost`);
  const describe: ThroughputResult[] = [];
  const healthWindows: ThroughputResult[] = [];
  let settle = true;
  for (const c of COST_CONCURRENCIES) {
    const pace = paceOf(throughput, c);
    log(`  the pace at c=${c}: one calculation every ${pace.toFixed(0)} ms per client`);
    const kinds = [
      { v: describing, to: describe },
      { v: health, to: healthWindows },
      { v: paced(health, 2, pace, 'paced'), to: healthWindows },
      { v: paced(describing, 1, pace, 'pacedDescribe'), to: describe },
      { v: paced(describing, 0, pace, 'idle'), to: describe },
    ];
    for (const { v } of kinds) labels[v.key] = v.label;
    for (let w = 0; w < config.windows; w++) {
      for (const { v, to } of balanced(kinds, w)) {
        to.push(await costedWindow(v, c, config, processes(), settle));
        settle = false;
      }
    }
  }
  return { describe, health: healthWindows };
}

/** How much slower than the API's own pace at c=8 both paths run in `sameRatePhase`. */
const SAME_RATE_SLACK = 1.25;

/**
 * At c=8 the server's CPU per calculation is mostly its share of the cores over the rate
 * (docs/benchmark.md): the slower path shows more per calculation for the same work. Here the API
 * and the direct start run at one rate that both sustain, each client paced to 5/4 of the API's
 * pace in the throughput phase, in turns: the server's CPU per calculation then compares the work
 * each path asks of it.
 */
export async function sameRatePhase(
  { config, processes }: OnFirstStack,
  both: readonly Variant[],
  throughput: readonly ThroughputResult[],
): Promise<BenchResults['sameRate']> {
  const c = config.compareConcurrency;
  const paceMs = SAME_RATE_SLACK * paceOf(throughput, c);
  if (!Number.isFinite(paceMs)) return undefined;
  log(`one rate: the API and the direct start, each of ${c} clients one calculation every ${paceMs.toFixed(0)} ms`);
  const windows: ThroughputResult[] = [];
  for (let w = 0; w < config.windows; w++) {
    for (const v of balanced(both, w))
      windows.push(await costedWindow(paced(v, 1, paceMs), c, config, processes(), true));
  }
  return { paceMs, throughput: windows };
}

/**
 * The API is one more busy process on the machine: does its CPU alone, spent off the
 * calculation's path, raise what the other processes spend per calculation? The direct start
 * alone and beside a process as busy as the API was in `throughput`, in turns.
 */
export async function contentionPhase(
  { config, processes, labels }: OnFirstStack,
  direct: Variant,
  throughput: ThroughputResult[],
): Promise<BenchResults['contention']> {
  const apiPoint = point(throughput, 'api', config.compareConcurrency);
  if (!apiPoint) return undefined;
  const cores = (apiPoint.cost.api * apiPoint.perSecond) / 1000;
  const contended: Variant = {
    ...direct,
    key: 'contended',
    label: `polyglot, direct start, beside a process busy ${cores.toFixed(2)} of a core`,
  };
  labels.contended = contended.label;
  log(`contention: the direct start alone and beside a process busy ${cores.toFixed(2)} of a core, in turns`);
  const windows: ThroughputResult[] = [];
  for (let w = 0; w < config.windows; w++) {
    for (const v of w % 2 ? [contended, direct] : [direct, contended]) {
      const burner = v === contended ? await startBurner(cores) : undefined;
      try {
        const measured = [...processes(), ...(burner ? [burner.process] : [])];
        windows.push(await costedWindow(v, config.compareConcurrency, config, measured, true));
      } finally {
        await burner?.stop();
      }
    }
  }
  return { cores, throughput: windows };
}

/**
 * Where the traced stack sends its spans: an OTLP/HTTP endpoint that reads and drops every
 * request and answers with an empty (valid) export response, so that tracing costs the stack
 * what it would with a collector, and the benchmark only a read.
 */
async function otlpSink() {
  let requests = 0;
  const server = createServer((req, res) =>
    req.resume().on('end', () => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    }),
  );
  await once(server.listen(0, '127.0.0.1'), 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests: () => requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * The same pipeline with other settings (BENCH_COMPARE): stacks of their own, measured in turns.
 * The first stack has served every phase before, and a server with a longer history costs more:
 * each setting is held against a fresh stack with the default settings instead.
 */
export async function comparisonPhase(
  config: BenchConfig,
  keys: Record<string, string>,
  stops: Stops,
  labels: BenchResults['labels'],
): Promise<BenchResults['comparison']> {
  const sink = await otlpSink();
  stops.push(sink.close);
  const stacks = [CONTROL, ...config.compare.map((other, i) => otherStack(other, i, sink.url))];
  const viaApi: Variant[] = [];
  const direct: Variant[] = [];
  const otherProcesses: MeasuredProcess[] = [];
  for (const other of stacks) {
    log(`${other.label}: a stack with ${JSON.stringify(other.env)}`);
    const env = { ...keys, ...other.env };
    const started = await startStack({ ...ZERO_WAITS, ...env });
    stops.push(() => started.stop());
    const client = await clientFor(started, env, stops);
    const [a, d] = variants(started.api, client, started.temporalMetrics, other);
    viaApi.push(a!);
    direct.push(d!);
    otherProcesses.push(...stackProcesses(started).map((p) => ({ ...p, service: `${p.service}@${other.tag}` })));
  }
  // Every stack via the API, then every stack started directly: two windows in a row never
  // share a server, so that the timeouts one window leaves fire while its server is not measured.
  const turns = [...viaApi, ...direct];
  await sequentialLatency(turns, config.warmupCalcs, 700);
  const latency = await sequentialLatency(turns, config.compareLatencyCalcs, 900);
  logLatency(latency);
  const windows: ThroughputResult[] = [];
  // Each variant BENCH_WINDOWS times, each round in another order, so that no setting always
  // runs first; every other round backwards, so that no window always follows the same one.
  for (let w = 0; w < config.windows; w++) {
    const order = rotated(turns, Math.round((w * turns.length) / config.windows));
    for (const v of w % 2 ? order.reverse() : order) {
      // Only the stack that serves the variant: the others sit idle, and reading them is noise.
      const own = otherProcesses.filter((p) => p.service.endsWith(`@${v.key.slice(v.key.indexOf('-') + 1)}`));
      windows.push(await costedWindow(v, config.compareConcurrency, config, own));
    }
  }
  for (const v of turns) labels[v.key] = v.label;
  const otlpRequests = sink.requests();
  return { concurrency: config.compareConcurrency, stacks, latency, throughput: windows, otlpRequests };
}
