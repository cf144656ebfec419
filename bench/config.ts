/**
 * Benchmark settings from the environment. BENCH_QUICK=1 shrinks every phase to a smoke run
 * that checks the wiring in about a minute; its figures mean nothing.
 */
import { join } from 'node:path';

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
  resultsDir: string;
  /** Free text recorded with the results, e.g. which tuning was applied to the stack. */
  note: string;
}

type Env = Record<string, string | undefined>;

function positive(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(raw) || value <= 0) {
    throw new Error(`${name}=${JSON.stringify(raw)} must be a positive number`);
  }
  return value;
}

function list(env: Env, name: string, fallback: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1 || v > 4096)) {
    throw new Error(`${name}=${JSON.stringify(raw)} must be a comma-separated list of whole numbers from 1 to 4096`);
  }
  return values;
}

export function loadBenchConfig(env: Env): BenchConfig {
  const quick = env.BENCH_QUICK === '1';
  return {
    quick,
    latencyCalcs: Math.round(positive(env, 'BENCH_LATENCY_CALCS', quick ? 20 : 200)),
    warmupCalcs: Math.round(positive(env, 'BENCH_WARMUP_CALCS', quick ? 5 : 30)),
    windowSeconds: positive(env, 'BENCH_SECONDS', quick ? 3 : 20),
    windowCalcs: Math.round(positive(env, 'BENCH_MIN_CALCS', quick ? 60 : 500)),
    concurrencies: list(env, 'BENCH_CONCURRENCY', quick ? [1, 8] : [1, 8, 32, 128]),
    apiSeconds: positive(env, 'BENCH_API_SECONDS', quick ? 2 : 10),
    apiConnections: Math.round(positive(env, 'BENCH_API_CONNECTIONS', 32)),
    skipApiLoad: env.BENCH_SKIP_API_LOAD === '1',
    resultsDir: env.BENCH_RESULTS_DIR || join(__dirname, 'results'),
    note: env.BENCH_NOTE ?? '',
  };
}
