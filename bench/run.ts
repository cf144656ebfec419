/**
 * `make bench`: starts the real stack on free ports (zero worker waits) and a TypeScript-only
 * baseline on the same Temporal server, measures latency, throughput, CPU per calculation, the
 * API alone and the memory of every process, and writes bench/results/latest.{json,md}.
 * It reports figures; it never passes or fails on them.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dataConverter, exitOnSettingsError, readPayloadSettings } from '@calc/runtime';
import { startStack, ZERO_WAITS, type RunningStack } from '../tests/stack';
import { CONTROL, loadBenchConfig, otherStack, type BenchConfig } from './config';
import {
  apiLoad,
  describeVariant,
  healthVariant,
  rotated,
  sequentialLatency,
  throughputWindow,
  variants,
  type ThroughputResult,
  type Variant,
} from './load';
import { machine, memoryOf, stackProcesses, startBaseline, startBurner, versions, type MeasuredProcess } from './procs';
import { markdown } from './report';
import { p50Of, point, type BenchResults } from './results';
import { COST_CONCURRENCIES, ratios } from './targets';

const PAUSE_BETWEEN_WINDOWS_MS = 500;
/** The benchmark's own process: the client side of the direct and baseline variants. */
const BENCH_PROCESS: MeasuredProcess = { name: 'bench client', service: 'bench', pid: process.pid };

const log = (message: string) => console.error(`[bench] ${message}`);
const logLatency = (latency: BenchResults['latency']) =>
  latency.forEach((l) => log(`  ${l.variant}: p50 ${l.summary.p50.toFixed(1)} ms, errors ${l.errors}`));

/**
 * A client of the stack's server with the stack's payload settings: the direct and baseline
 * variants encrypt their input and decrypt their result as the API does, over the SDK's Rust
 * connection as the API's client does, so that the bench client's own CPU in the direct
 * variant is what the SDK costs the API for the same calls.
 */
async function clientFor(stack: RunningStack, env: Record<string, string>) {
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  return { client: new Client({ connection, dataConverter: dataConverter(readPayloadSettings(env)) }), connection };
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

/** The targets of the run whose results are about to be replaced, to show beside this run's. */
function previousTargets(file: string): BenchResults['previous'] {
  if (!existsSync(file)) return undefined;
  const old = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  return { date: old.date, targets: ratios(old).map(({ name, value }) => ({ name, value })) };
}

async function main(): Promise<void> {
  const config = loadBenchConfig(process.env);
  log(`settings ${JSON.stringify(config)}`);
  // Run in reverse at the end: the baseline stops before the server it polls.
  const stops: (() => Promise<unknown>)[] = [];
  // Each stop runs once, whichever comes first: the end of the run or Ctrl-C.
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping what the run started`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  // One key for the stack, the baseline and the benchmark's own client, made for this run.
  const keys = { PAYLOAD_KEYS: `bench-1:${randomBytes(32).toString('base64')}`, PAYLOAD_ENCRYPTION: 'on' };
  try {
    let t = performance.now();
    const stack = await startStack({ ...ZERO_WAITS, ...keys });
    stops.push(() => stack.stop());
    const stackStartSeconds = (performance.now() - t) / 1000;
    log(`stack ready in ${stackStartSeconds.toFixed(1)} s (api ${stack.api}, temporal ${stack.temporalAddress})`);

    t = performance.now();
    const baseline = await startBaseline({ ...process.env, ...keys, TEMPORAL_ADDRESS: stack.temporalAddress });
    stops.push(baseline.stop);
    const baselineStartSeconds = (performance.now() - t) / 1000;
    log(`baseline ready in ${baselineStartSeconds.toFixed(1)} s`);

    const { client, connection } = await clientFor(stack, keys);
    stops.push(() => connection.close());
    const all = variants(stack.api, client, stack.temporalMetrics);
    // Read again for every window: the launcher restarts a replica that exits.
    const processes = () => [...stackProcesses(stack), ...baseline.processes];
    const labels: BenchResults['labels'] = Object.fromEntries(all.map((v) => [v.key, v.label]));

    log(`warm-up: ${config.warmupCalcs} sequential calculations per variant, then a short burst at concurrency 8`);
    await sequentialLatency(all, config.warmupCalcs, 500);
    const burst = { ...config, windowSeconds: Math.min(2, config.windowSeconds), windowCalcs: 100 };
    for (const v of all) await throughputWindow(v, 8, burst);

    // A finished calculation, to describe and to read under autocannon below.
    const start = await fetch(`${stack.api}/?number=2`, { method: 'POST' });
    const finished = (await start.json()) as { workflow_id: string; run_id: string };
    const finishedId = finished.workflow_id;
    await (await fetch(`${stack.api}${start.headers.get('location')}&wait=30`)).json();
    const describing = describeVariant(client.workflow.getHandle(finishedId, finished.run_id), stack.temporalMetrics);
    const health = healthVariant(stack.api, stack.temporalMetrics);
    labels.describe = describing.label;
    labels.health = health.label;

    // With a describe and an HTTP round trip in the same turns: the parts of the API path's
    // latency that the API cannot drop.
    log(`latency: ${config.latencyCalcs} sequential calculations per variant, interleaved`);
    const latency = await sequentialLatency([...all, describing, health], config.latencyCalcs);
    logLatency(latency);

    // At one client, the direct start as well with a pause after each calculation as long as the
    // API path adds: what the API's extra time alone, idle for the server and the workers, costs.
    const direct = all.find((v) => v.key === 'direct')!;
    const extraMs = Math.max(0, p50Of(latency, 'api') - p50Of(latency, 'direct'));
    const spaced: Variant = {
      ...direct,
      key: 'spaced',
      label: `polyglot, direct start, ${extraMs.toFixed(1)} ms apart`,
      calculate: async (n) => {
        await direct.calculate(n);
        await sleep(extraMs);
      },
    };
    labels.spaced = spaced.label;
    // BENCH_THROUGHPUT_WINDOWS windows per variant and concurrency, the variants in turns, each
    // round in another order; the report judges their medians.
    log(`throughput: ${config.throughputWindows} windows per variant and concurrency, in turns`);
    const throughput: BenchResults['throughput'] = [];
    for (const [i, c] of config.concurrencies.entries()) {
      for (let w = 0; w < config.throughputWindows; w++) {
        for (const v of rotated(c === 1 ? [...all, spaced] : all, i + w)) {
          throughput.push(await costedWindow(v, c, config, processes(), true));
        }
      }
    }

    // At each concurrency the API's CPU target names: each costs more per call at one client.
    log(`describe and GET /health: what the API's describe per result read and one HTTP round trip cost`);
    // At one client, two requests at the pace of the API's calculations as well: a request that
    // wakes an idle API costs it more than one that follows another.
    const paced = healthVariant(stack.api, stack.temporalMetrics, p50Of(latency, 'api'));
    labels.paced = paced.label;
    const describe: ThroughputResult[] = [];
    const healthWindows: ThroughputResult[] = [];
    for (const c of COST_CONCURRENCIES) {
      for (let w = 0; w < config.windows; w++) {
        describe.push(await costedWindow(describing, c, config, processes(), true));
        healthWindows.push(await costedWindow(health, c, config, processes(), true));
        if (c === 1) healthWindows.push(await costedWindow(paced, c, config, processes(), true));
      }
    }

    // The API is one more busy process on the machine: does its CPU alone, spent off the
    // calculation's path, raise what the other processes spend per calculation?
    let contention: BenchResults['contention'];
    const apiPoint = point(throughput, 'api', config.compareConcurrency);
    if (apiPoint) {
      const cores = (apiPoint.cost.api * apiPoint.perSecond) / 1000;
      const contended: Variant = {
        ...direct,
        key: 'contended',
        label: `polyglot, direct start, beside a process busy ${cores.toFixed(2)} of a core`,
      };
      labels.contended = contended.label;
      log(`contention: the direct start alone and beside a process busy ${cores.toFixed(2)} of a core, in turns`);
      const windows: BenchResults['throughput'] = [];
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
      contention = { cores, throughput: windows };
    }
    const memoryBeforeApiLoad = processes().map(memoryOf);

    let comparison: BenchResults['comparison'];
    if (config.compare.length > 0) {
      // The same pipeline with other settings: stacks beside the first, so that they are
      // measured in turns with it, under the same noise, with the same harness. Before the
      // autocannon phase, whose POST flood leaves the first stack calculations to drain.
      const sink = await otlpSink();
      stops.push(sink.close);
      // The first stack has served every phase so far, and a server with a longer history costs
      // more: each setting is held against a fresh stack with the default settings instead.
      const stacks = [CONTROL, ...config.compare.map((other, i) => otherStack(other, i, sink.url))];
      const viaApi: Variant[] = [];
      const direct: Variant[] = [];
      const otherProcesses: MeasuredProcess[] = [];
      for (const other of stacks) {
        log(`${other.label}: a stack with ${JSON.stringify(other.env)}`);
        const env = { ...keys, ...other.env };
        const started = await startStack({ ...ZERO_WAITS, ...env });
        stops.push(() => started.stop());
        const own = await clientFor(started, env);
        stops.push(() => own.connection.close());
        const [a, d] = variants(started.api, own.client, started.temporalMetrics, other);
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
      const windows: BenchResults['throughput'] = [];
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
      comparison = { concurrency: config.compareConcurrency, stacks, latency, throughput: windows, otlpRequests };
    }

    const api: BenchResults['api'] = [];
    if (!config.skipApiLoad) {
      // The POST flood comes last, since it leaves work behind.
      const id = encodeURIComponent(finishedId);
      log(`autocannon GET /result/{id}, then POST /?number=7, for ${config.apiSeconds} s each`);
      api.push(await apiLoad('GET /result/{id} (finished)', `${stack.api}/result/${id}`, 'GET', config));
      api.push(await apiLoad('POST /?number=7', `${stack.api}/?number=7`, 'POST', config));
      for (const a of api) log(`  ${a.endpoint}: ${a.requestsPerSecond.toFixed(0)} req/s, errors ${a.errors}`);
    }

    const results: BenchResults = {
      date: new Date().toISOString(),
      previous: previousTargets(join(config.resultsDir, 'latest.json')),
      note: config.note,
      settings: { ...config, resultsDir: undefined },
      machine: machine(),
      versions: versions(),
      stackStartSeconds,
      baselineStartSeconds,
      labels,
      latency,
      throughput,
      describe,
      health: healthWindows,
      contention,
      api,
      memoryBeforeApiLoad,
      memoryAtEnd: processes().map(memoryOf),
      comparison,
    };
    const report = markdown(results);
    mkdirSync(config.resultsDir, { recursive: true });
    writeFileSync(join(config.resultsDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(join(config.resultsDir, 'latest.md'), report);
    console.log(report);
    log(`results written to ${config.resultsDir}`);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  // A bad setting the stack reads (LOG_LEVEL, ACTIVITY_*, ...) stops the run with one line too.
  console.error(exitOnSettingsError('bench', err));
  process.exitCode = 1;
});
