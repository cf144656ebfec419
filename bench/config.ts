/**
 * Benchmark settings from the environment, checked like every process's settings: a bad
 * value stops the run with one line naming it (run.ts) before anything starts.
 * BENCH_QUICK=1 shrinks every phase to a smoke run that checks the wiring in about a minute;
 * its figures mean nothing.
 */
import { join } from 'node:path';
import { makeValidator, str } from 'envalid';
import { readSettings, SettingsError, wholeNumber, type Env } from '@calc/runtime';

export interface BenchConfig {
  quick: boolean;
  /** Sequential calculations per variant for the latency percentiles. */
  latencyCalcs: number;
  /** Sequential warm-up calculations per variant, not recorded. */
  warmupCalcs: number;
  /** A throughput window ends after this many seconds or BENCH_MIN_CALCS, whichever comes first. */
  windowSeconds: number;
  windowCalcs: number;
  concurrencies: number[];
  /** autocannon duration and connections for the API-alone figures. */
  apiSeconds: number;
  apiConnections: number;
  skipApiLoad: boolean;
  /** Stacks with other settings to measure in turns with the default one. */
  compare: OtherStack[];
  /** Sequential calculations per variant, and the concurrency, of that comparison. */
  compareLatencyCalcs: number;
  compareConcurrency: number;
  resultsDir: string;
  /** Free text recorded with the results, e.g. which tuning was applied to the stack. */
  note: string;
}

const MAX_CONCURRENCY = 4096;
const CONCURRENCY_RULE = `a comma-separated list of whole numbers from 1 to ${MAX_CONCURRENCY}, such as 1,8,32`;

// The one list setting, so its validator names its variable itself.
const concurrencyList = makeValidator<number[]>((raw) => {
  const values = raw.split(',').map(Number);
  if (!/^[0-9]+( *, *[0-9]+)*$/.test(raw) || values.some((v) => v < 1 || v > MAX_CONCURRENCY)) {
    throw new SettingsError('BENCH_CONCURRENCY', raw, CONCURRENCY_RULE);
  }
  return values;
});

/** The stacks with other settings that BENCH_COMPARE can name. */
export const OTHER_STACKS = ['encryption-off', 'tracing-on', 'logs-warn'] as const;
export type NamedStack = (typeof OTHER_STACKS)[number];
/** A named stack, or one with the given environment (`NAME=value`, several joined by `+`). */
export type OtherStack = NamedStack | { env: Record<string, string> };
const COMPARE_RULE =
  `a comma-separated list of ${OTHER_STACKS.join(', ')} or NAME=value settings ` +
  '(several for one stack joined by +), or none';

const otherStacks = makeValidator<OtherStack[]>((raw) => {
  if (raw === 'none') return [];
  return raw.split(',').map((entry): OtherStack => {
    const name = entry.trim();
    if ((OTHER_STACKS as readonly string[]).includes(name)) return name as NamedStack;
    const pairs = name.split('+').map((pair) => /^([A-Z][A-Z0-9_]*)=([^+,]*)$/.exec(pair));
    if (name === '' || pairs.some((p) => p === null)) throw new SettingsError('BENCH_COMPARE', raw, COMPARE_RULE);
    return { env: Object.fromEntries(pairs.map((p) => [p![1]!, p![2]!])) };
  });
});

const flag = wholeNumber(0, 1);
const count = wholeNumber(1, 1_000_000);
const seconds = wholeNumber(1, 3600);

/** Throws SettingsError for the first bad BENCH_* value. */
export function loadBenchConfig(env: Env): BenchConfig {
  const quick = readSettings({ BENCH_QUICK: flag({ default: 0 }) }, env).BENCH_QUICK === 1;
  const s = readSettings(
    {
      BENCH_LATENCY_CALCS: count({ default: quick ? 20 : 200 }),
      BENCH_WARMUP_CALCS: count({ default: quick ? 5 : 30 }),
      BENCH_SECONDS: seconds({ default: quick ? 3 : 20 }),
      BENCH_MIN_CALCS: count({ default: quick ? 60 : 500 }),
      BENCH_CONCURRENCY: concurrencyList({ default: quick ? [1, 8] : [1, 8, 32, 128] }),
      BENCH_API_SECONDS: seconds({ default: quick ? 2 : 10 }),
      BENCH_API_CONNECTIONS: count({ default: 32 }),
      BENCH_SKIP_API_LOAD: flag({ default: 0 }),
      BENCH_COMPARE: otherStacks({ default: [...OTHER_STACKS] }),
      BENCH_COMPARE_LATENCY_CALCS: count({ default: quick ? 10 : 100 }),
      BENCH_COMPARE_CONCURRENCY: wholeNumber(1, MAX_CONCURRENCY)({ default: 8 }),
      BENCH_RESULTS_DIR: str({ default: join(__dirname, 'results') }),
      BENCH_NOTE: str({ default: '' }),
    },
    env,
  );
  return {
    quick,
    latencyCalcs: s.BENCH_LATENCY_CALCS,
    warmupCalcs: s.BENCH_WARMUP_CALCS,
    windowSeconds: s.BENCH_SECONDS,
    windowCalcs: s.BENCH_MIN_CALCS,
    concurrencies: s.BENCH_CONCURRENCY,
    apiSeconds: s.BENCH_API_SECONDS,
    apiConnections: s.BENCH_API_CONNECTIONS,
    skipApiLoad: s.BENCH_SKIP_API_LOAD === 1,
    compare: s.BENCH_COMPARE,
    compareLatencyCalcs: s.BENCH_COMPARE_LATENCY_CALCS,
    compareConcurrency: s.BENCH_COMPARE_CONCURRENCY,
    resultsDir: s.BENCH_RESULTS_DIR,
    note: s.BENCH_NOTE,
  };
}
