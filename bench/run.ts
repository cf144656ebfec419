/**
 * `make bench`: starts the real stack on free ports (zero worker waits) and a TypeScript-only
 * baseline on the same Temporal server, measures latency, throughput, the API alone and the
 * memory of every process, and writes bench/results/latest.{json,md}.
 * It reports figures; it never passes or fails on them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exitOnSettingsError } from '@calc/telemetry';
import { startStack, ZERO_WAITS, type RunningStack } from '../tests/stack';
import { apiLoad, type ApiLoadResult } from './api-load';
import { startBaseline, type RunningBaseline } from './baseline';
import { loadBenchConfig } from './config';
import { rotated, sequentialLatency, throughputWindow, type ThroughputResult } from './load';
import { machine, versions } from './machine';
import { stackMemory } from './procs';
import { markdown, type BenchResults } from './report';
import { variants, type VariantKey } from './variants';

const PAUSE_BETWEEN_WINDOWS_MS = 500;

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const config = loadBenchConfig(process.env);
  log(`settings ${JSON.stringify(config)}`);

  let stack: RunningStack | undefined;
  let baseline: RunningBaseline | undefined;
  try {
    let t = performance.now();
    stack = await startStack({
      ...ZERO_WAITS,
    });
    const stackStartSeconds = (performance.now() - t) / 1000;
    log(`stack ready in ${stackStartSeconds.toFixed(1)} s (api ${stack.api}, temporal ${stack.temporalAddress})`);

    t = performance.now();
    baseline = await startBaseline(stack.temporalAddress, stack.client);
    const baselineStartSeconds = (performance.now() - t) / 1000;
    log(`baseline ready in ${baselineStartSeconds.toFixed(1)} s`);

    const all = variants(stack.api, stack.client);
    const labels = Object.fromEntries(all.map((v) => [v.key, v.label])) as Record<VariantKey, string>;

    log(`warm-up: ${config.warmupCalcs} sequential calculations per variant, then a short burst at concurrency 8`);
    await sequentialLatency(all, config.warmupCalcs, 500);
    for (const v of all) await throughputWindow(v, 8, Math.min(2, config.windowSeconds), 100);

    log(`latency: ${config.latencyCalcs} sequential calculations per variant, interleaved`);
    const latency = await sequentialLatency(all, config.latencyCalcs);
    for (const l of latency) log(`  ${l.variant}: p50 ${l.summary.p50.toFixed(1)} ms, errors ${l.errors}`);

    const throughput: ThroughputResult[] = [];
    for (const [i, c] of config.concurrencies.entries()) {
      for (const v of rotated(all, i)) {
        await sleep(PAUSE_BETWEEN_WINDOWS_MS);
        const r = await throughputWindow(v, c, config.windowSeconds, config.windowCalcs);
        log(
          `  throughput ${v.key} c=${c}: ${r.perSecond.toFixed(1)}/s (${r.completed} in ${r.seconds.toFixed(1)} s), errors ${r.errors}`,
        );
        throughput.push(r);
      }
    }

    const memoryBeforeApiLoad = stackMemory(stack, baseline.processes);

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
    };
    const report = markdown(results);
    mkdirSync(config.resultsDir, { recursive: true });
    writeFileSync(join(config.resultsDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(join(config.resultsDir, 'latest.md'), report);
    console.log(report);
    log(`results written to ${config.resultsDir}`);
  } finally {
    await baseline?.stop();
    await stack?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(exitOnSettingsError('bench', err));
  process.exitCode = 1;
});
