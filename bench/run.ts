/**
 * `make bench`: starts the real stack on free ports (zero worker waits) and a TypeScript-only
 * baseline on the same Temporal server, measures latency, throughput, CPU per calculation, the
 * API alone and the memory of every process, and writes bench/results/latest.{json,md}.
 * It reports figures; it never passes or fails on them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { exitOnSettingsError } from '@calc/runtime';
import { startStack, ZERO_WAITS } from '../tests/stack';
import { loadBenchConfig } from './config';
import { apiLoad, sequentialLatency, throughputWindow } from './load';
import {
  clientFor,
  comparisonPhase,
  contentionPhase,
  describePhase,
  log,
  logLatency,
  sameRatePhase,
  throughputPhase,
  type OnFirstStack,
  type Stops,
} from './phases';
import { machine, memoryOf, stackProcesses, startBaseline, versions } from './procs';
import { markdown } from './report';
import { p50Of, type BenchResults } from './results';
import { ratios } from './targets';
import { describeVariant, healthVariant, splitVariant, variants, type Variant } from './variants';

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
  const stops: Stops = [];
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
    const baseline = await startBaseline({ ...process.env, ...keys, TEMPORAL_ADDRESS: stack.temporalAddress }, stack);
    stops.push(baseline.stop);
    const baselineStartSeconds = (performance.now() - t) / 1000;
    log(`baseline ready in ${baselineStartSeconds.toFixed(1)} s`);

    const client = await clientFor(stack, keys, stops);
    const all = variants(stack.api, client, stack.temporalMetrics);
    const first: OnFirstStack = {
      config,
      // Read again for every window: the launcher restarts a replica that exits.
      processes: () => [...stackProcesses(stack), ...baseline.processes],
      labels: Object.fromEntries(all.map((v) => [v.key, v.label])),
    };
    const { labels, processes } = first;
    // The baseline laid out as the pipeline's processes, measured at the concurrency the target
    // on our processes' CPU names.
    const split = splitVariant(client, stack.temporalMetrics);
    labels.split = split.label;

    log(`warm-up: ${config.warmupCalcs} sequential calculations per variant, then a short burst at concurrency 8`);
    const warm = [...all, split];
    await sequentialLatency(warm, config.warmupCalcs, 500);
    const burst = { ...config, windowSeconds: Math.min(2, config.windowSeconds), windowCalcs: 100 };
    for (const v of warm) await throughputWindow(v, 8, burst);

    // A finished calculation, to describe and to read under autocannon below.
    const start = await fetch(`${stack.api}/?number=2`, { method: 'POST' });
    const finished = (await start.json()) as { workflow_id: string; run_id: string };
    const finishedId = finished.workflow_id;
    await (await fetch(`${stack.api}${start.headers.get('location')}&wait=30`)).json();
    const describing = describeVariant(client.workflow.getHandle(finishedId, finished.run_id), stack.temporalMetrics);
    const health = healthVariant(stack.api, stack.temporalMetrics);

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
    const throughput = await throughputPhase(first, all, { 1: [spaced], 8: [split] });

    const costs = await describePhase(first, describing, health, throughput);
    const contention = await contentionPhase(first, direct, throughput);
    const sameRate = await sameRatePhase(first, [all.find((v) => v.key === 'api')!, direct], throughput);
    const memoryBeforeApiLoad = processes().map(memoryOf);
    // Before the autocannon phase, whose POST flood leaves the first stack calculations to drain.
    const comparison = config.compare.length > 0 ? await comparisonPhase(config, keys, stops, labels) : undefined;

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
      ...costs,
      contention,
      sameRate,
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
