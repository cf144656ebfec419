/**
 * `make bench`: starts the real stack on free ports (zero worker waits) and a TypeScript-only
 * baseline on the same Temporal server, measures latency, throughput, the API alone and the
 * memory of every process, and writes bench/results/latest.{json,md}.
 * It reports figures; it never passes or fails on them.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@temporalio/client';
import { dataConverter, exitOnSettingsError, readPayloadSettings } from '@calc/runtime';
import { startStack, ZERO_WAITS, type RunningStack } from '../tests/stack';
import { apiLoad, type ApiLoadResult } from './api-load';
import { startBaseline, type RunningBaseline } from './baseline';
import { loadBenchConfig, type NamedStack, type OtherStack } from './config';
import { otlpSink, type OtlpSink } from './otlp-sink';
import { costs, cpuSnapshot } from './cpu';
import { rotated, sequentialLatency, throughputWindow, type ThroughputResult } from './load';
import { machine, versions } from './machine';
import { stackMemory, stackProcesses, type MeasuredProcess } from './procs';
import { markdown } from './report';
import type { BenchResults, Comparison } from './results';
import { variants, type Variant, type VariantKey } from './variants';

const PAUSE_BETWEEN_WINDOWS_MS = 500;

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What each other stack of the comparison changes; `sink` is where traces go. */
const NAMED_STACKS: Record<NamedStack, (sink: string) => OtherStackSettings> = {
  'encryption-off': () => ({ tag: 'plain', label: 'unencrypted', env: { PAYLOAD_ENCRYPTION: 'off' } }),
  'tracing-on': (sink) => ({ tag: 'traced', label: 'traced', env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink } }),
  // Every process logs at least a line per step or request at info: what that costs.
  'logs-warn': () => ({ tag: 'quiet', label: 'logging warnings only', env: { LOG_LEVEL: 'warn' } }),
};

interface OtherStackSettings {
  tag: string;
  label: string;
  env: Record<string, string>;
}

/** A named stack, or one with the settings BENCH_COMPARE gave, tagged by its position. */
function otherStack(other: OtherStack, index: number, sink: string): OtherStackSettings {
  if (typeof other === 'string') return NAMED_STACKS[other](sink);
  const settings = Object.entries(other.env).map(([k, v]) => `${k}=${v}`);
  return { tag: `env${index + 1}`, label: `with ${settings.join(' ')}`, env: other.env };
}

/** The benchmark's own process: the client side of the direct and baseline variants. */
const BENCH_PROCESS: MeasuredProcess = { name: 'bench client', service: 'bench', pid: process.pid };

/**
 * A client on the stack's connection with the stack's payload settings: the direct and
 * baseline variants encrypt their input and decrypt their result as the API does.
 */
function clientFor(stack: RunningStack, env: Record<string, string>): Client {
  return new Client({ connection: stack.client.connection, dataConverter: dataConverter(readPayloadSettings(env)) });
}

/** A throughput window with the CPU every process used, from its start until its last calculation ended. */
async function costedWindow(
  variant: Variant,
  concurrency: number,
  seconds: number,
  calcs: number,
  processes: () => MeasuredProcess[],
): Promise<ThroughputResult> {
  const measured = processes();
  await sleep(PAUSE_BETWEEN_WINDOWS_MS);
  const before = cpuSnapshot(measured);
  const r = await throughputWindow(variant, concurrency, seconds, calcs);
  const cpu = costs(measured, before, cpuSnapshot(measured), r.finished);
  log(
    `  throughput ${variant.key} c=${concurrency}: ${r.perSecond.toFixed(1)}/s (${r.completed} in ${r.seconds.toFixed(1)} s), ` +
      `errors ${r.errors}; CPU ms per calculation: ${cpu
        .filter((p) => p.perCalcMs >= 0.05)
        .map(
          (p) => `${p.name}${p.service.includes('@') ? `@${p.service.split('@')[1]}` : ''} ${p.perCalcMs.toFixed(1)}`,
        )
        .join(', ')}`,
  );
  return { ...r, cpu };
}

async function main(): Promise<void> {
  const config = loadBenchConfig(process.env);
  log(`settings ${JSON.stringify(config)}`);

  let stack: RunningStack | undefined;
  const otherStacks: RunningStack[] = [];
  let sink: OtlpSink | undefined;
  let baseline: RunningBaseline | undefined;
  // One key for the stack, the baseline and the benchmark's own client, made for this run.
  const keys = { PAYLOAD_KEYS: `bench-1:${randomBytes(32).toString('base64')}`, PAYLOAD_ENCRYPTION: 'on' };
  try {
    let t = performance.now();
    stack = await startStack({ ...ZERO_WAITS, ...keys });
    const stackStartSeconds = (performance.now() - t) / 1000;
    log(`stack ready in ${stackStartSeconds.toFixed(1)} s (api ${stack.api}, temporal ${stack.temporalAddress})`);

    t = performance.now();
    baseline = await startBaseline({ ...process.env, ...keys, TEMPORAL_ADDRESS: stack.temporalAddress }, stack.client);
    const baselineStartSeconds = (performance.now() - t) / 1000;
    log(`baseline ready in ${baselineStartSeconds.toFixed(1)} s`);

    const all = variants(stack.api, clientFor(stack, keys));
    const running = stack;
    const baselineProcesses = baseline.processes;
    const measured = () => [...stackProcesses(running), ...baselineProcesses, BENCH_PROCESS];
    const labels = Object.fromEntries(all.map((v) => [v.key, v.label])) as Partial<Record<VariantKey, string>>;

    log(`warm-up: ${config.warmupCalcs} sequential calculations per variant, then a short burst at concurrency 8`);
    await sequentialLatency(all, config.warmupCalcs, 500);
    for (const v of all) await throughputWindow(v, 8, Math.min(2, config.windowSeconds), 100);

    log(`latency: ${config.latencyCalcs} sequential calculations per variant, interleaved`);
    const latency = await sequentialLatency(all, config.latencyCalcs);
    for (const l of latency) log(`  ${l.variant}: p50 ${l.summary.p50.toFixed(1)} ms, errors ${l.errors}`);

    const throughput: ThroughputResult[] = [];
    for (const [i, c] of config.concurrencies.entries()) {
      for (const v of rotated(all, i)) {
        throughput.push(await costedWindow(v, c, config.windowSeconds, config.windowCalcs, measured));
      }
    }

    const memoryBeforeApiLoad = stackMemory(stack, baseline.processes);

    let comparison: Comparison | undefined;
    if (config.compare.length > 0) {
      // The same pipeline with other settings: stacks beside the first, so that they are
      // measured in turns with it, under the same noise, with the same harness. Before the
      // autocannon phase, whose POST flood leaves the first stack calculations to drain.
      sink = await otlpSink();
      const stacks = config.compare.map((other, i) => otherStack(other, i, sink!.url));
      const others: Variant[] = [];
      const otherProcesses: MeasuredProcess[] = [];
      for (const other of stacks) {
        log(`${other.label}: a stack with ${JSON.stringify(other.env)}`);
        const env = { ...keys, ...other.env };
        const started = await startStack({ ...ZERO_WAITS, ...env });
        otherStacks.push(started);
        others.push(...variants(started.api, clientFor(started, env), other));
        otherProcesses.push(...stackProcesses(started).map((p) => ({ ...p, service: `${p.service}@${other.tag}` })));
      }
      const turns = [...all.filter((v) => v.key !== 'baseline'), ...others];
      const measuredAll = () => [...measured(), ...otherProcesses];
      await sequentialLatency(turns, config.warmupCalcs, 700);
      const latency = await sequentialLatency(turns, config.compareLatencyCalcs, 900);
      for (const l of latency) log(`  ${l.variant}: p50 ${l.summary.p50.toFixed(1)} ms, errors ${l.errors}`);
      const windows: ThroughputResult[] = [];
      // Each variant twice, in two orders, so that no setting always runs first.
      for (const v of [...turns, ...rotated(turns, Math.floor(turns.length / 2))]) {
        windows.push(
          await costedWindow(v, config.compareConcurrency, config.windowSeconds, config.windowCalcs, measuredAll),
        );
      }
      for (const v of turns) labels[v.key] = v.label;
      comparison = {
        concurrency: config.compareConcurrency,
        stacks,
        latency,
        throughput: windows,
        otlpRequests: sink.requests(),
      };
    }

    const api: ApiLoadResult[] = [];
    if (!config.skipApiLoad) {
      // A finished calculation to read; the POST flood comes last, since it leaves work behind.
      const start = await fetch(`${stack.api}/?number=2`, { method: 'POST' });
      const { workflow_id: id } = (await start.json()) as { workflow_id: string };
      await (await fetch(`${stack.api}/result/${encodeURIComponent(id)}?wait=30`)).json();
      const read = `${stack.api}/result/${encodeURIComponent(id)}`;
      log(`autocannon GET /result/{id} for ${config.apiSeconds} s`);
      api.push(await apiLoad('GET /result/{id} (finished)', read, 'GET', config.apiSeconds, config.apiConnections));
      log(`autocannon POST /?number=7 for ${config.apiSeconds} s`);
      api.push(
        await apiLoad('POST /?number=7', `${stack.api}/?number=7`, 'POST', config.apiSeconds, config.apiConnections),
      );
      for (const a of api) log(`  ${a.endpoint}: ${a.requestsPerSecond.toFixed(0)} req/s, errors ${a.errors}`);
    }
    const memoryAtEnd = stackMemory(stack, baseline.processes);

    const results: BenchResults = {
      date: new Date().toISOString(),
      note: config.note,
      settings: { ...config, resultsDir: undefined },
      machine: machine(),
      versions: versions(),
      stackStartSeconds,
      baselineStartSeconds,
      labels,
      latency,
      throughput,
      api,
      memoryBeforeApiLoad,
      memoryAtEnd,
      comparison,
    };
    const report = markdown(results);
    mkdirSync(config.resultsDir, { recursive: true });
    writeFileSync(join(config.resultsDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(join(config.resultsDir, 'latest.md'), report);
    console.log(report);
    log(`results written to ${config.resultsDir}`);
  } finally {
    await baseline?.stop();
    for (const other of otherStacks) await other.stop();
    await sink?.close();
    await stack?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(exitOnSettingsError('bench', err));
  process.exitCode = 1;
});
