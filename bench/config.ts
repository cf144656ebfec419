/**
 * Benchmark settings from BENCH_* variables (bench/README.md lists them). BENCH_QUICK=1 shrinks
 * every phase to a smoke run that checks the wiring; its figures mean nothing.
 */
import { join } from 'node:path';

/** The stacks BENCH_COMPARE can name, and what each changes; `sink` is where traced spans go. */
const NAMED_STACKS = {
  'encryption-off': () => ({ tag: 'plain', label: 'unencrypted', env: { PAYLOAD_ENCRYPTION: 'off' } }),
  'tracing-on': (sink: string) => ({ tag: 'traced', label: 'traced', env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink } }),
  // Every process logs at least a line per step or request at info: what that costs.
  'logs-warn': () => ({ tag: 'quiet', label: 'logging warnings only', env: { LOG_LEVEL: 'warn' } }),
  'metrics-off': () => ({ tag: 'nometrics', label: 'no worker metrics', env: { STACK_WORKER_METRICS: 'off' } }),
  'versioning-off': () => ({
    tag: 'unversioned',
    label: 'unversioned workers',
    env: { TEMPORAL_WORKER_VERSIONING: 'off' },
  }),
  // The dev server's own default, which the stack turns off (docker-compose.yml).
  'search-attributes-uncached': () => ({
    tag: 'sareads',
    label: 'search attributes read from the database on every read',
    env: { TEMPORAL_DEV_SERVER_ARGS: '--dynamic-config-value=system.forceSearchAttributesCacheRefreshOnRead=true' },
  }),
  'pollers-autoscaling': () => ({
    tag: 'autopoll',
    label: 'autoscaling pollers',
    env: { TEMPORAL_WORKER_POLLERS: 'autoscaling' },
  }),
};
type NamedStack = keyof typeof NAMED_STACKS;
/** The stack every other setting is measured against: the default settings, on a fresh stack. */
export const CONTROL = { tag: 'default', label: 'default settings', env: {} };

/** A named stack, or one with the given environment (`NAME=value`, several joined by `+`). */
export type OtherStack = NamedStack | { env: Record<string, string> };
export type OtherStackSettings = { tag: string; label: string; env: Record<string, string> };

export const envText = (env: Record<string, string>) => Array.from(Object.entries(env), (kv) => kv.join('=')).join(' ');

/** What a stack of BENCH_COMPARE changes, tagged by its position when BENCH_COMPARE gave its settings. */
export function otherStack(other: OtherStack, index: number, sink: string): OtherStackSettings {
  if (typeof other === 'string') return NAMED_STACKS[other](sink);
  return { tag: `env${index + 1}`, label: `with ${envText(other.env)}`, env: other.env };
}

// Exits rather than throws: the run has started nothing yet, and the stack's processes refuse
// a bad setting with the same line and exit code.
function invalid(name: string, raw: string, rule: string): never {
  process.stderr.write(`bench: invalid setting ${name}=${JSON.stringify(raw)}: expected ${rule}\n`);
  process.exit(2);
}

const CONCURRENCY_RULE = 'a comma-separated list of whole numbers from 1 to 4096, such as 1,8,32';
function parseConcurrency(raw: string): number[] | undefined {
  const values = raw.split(',').map(Number);
  return /^[0-9]+( *, *[0-9]+)*$/.test(raw) && values.every((v) => v >= 1 && v <= 4096) ? values : undefined;
}

const COMPARE_RULE =
  `a comma-separated list of ${Object.keys(NAMED_STACKS).join(', ')} or NAME=value settings ` +
  '(several for one stack joined by +), or none';
function parseCompare(raw: string): OtherStack[] | undefined {
  if (raw === 'none') return [];
  const stacks = raw.split(',').map((entry) => {
    const name = entry.trim();
    if (Object.hasOwn(NAMED_STACKS, name)) return name as NamedStack;
    const pairs = name.split('+').map((pair) => /^([A-Z][A-Z0-9_]*)=([^+,]*)$/.exec(pair));
    return name && pairs.every((p) => p) ? { env: Object.fromEntries(pairs.map((p) => [p![1]!, p![2]!])) } : undefined;
  });
  return stacks.every((s): s is OtherStack => s !== undefined) ? stacks : undefined;
}

export type BenchConfig = ReturnType<typeof loadBenchConfig>;

export function loadBenchConfig(env: Record<string, string | undefined>) {
  // An empty variable counts as unset, as for every process of the stack.
  const read = <T>(name: string, fallback: T, rule: string, parse: (raw: string) => T | undefined): T => {
    const raw = env[name];
    return raw ? (parse(raw) ?? invalid(name, raw, rule)) : fallback;
  };
  const whole = (name: string, fallback: number, max = 1_000_000, min = 1) =>
    read(name, fallback, `a whole number from ${min} to ${max}`, (raw) =>
      /^[0-9]+$/.test(raw) && +raw >= min && +raw <= max ? +raw : undefined,
    );
  const quick = whole('BENCH_QUICK', 0, 1, 0) === 1;
  return {
    quick,
    latencyCalcs: whole('BENCH_LATENCY_CALCS', quick ? 20 : 300),
    warmupCalcs: whole('BENCH_WARMUP_CALCS', quick ? 5 : 30),
    windowSeconds: whole('BENCH_SECONDS', quick ? 3 : 10, 3600),
    windowCalcs: whole('BENCH_MIN_CALCS', quick ? 60 : 500),
    // The throughput phase, on which the ratio targets are judged, takes more rounds than the
    // others: with five, a ratio a few hundredths above its target fell below it in half the runs.
    throughputWindows: whole('BENCH_THROUGHPUT_WINDOWS', quick ? 1 : 8, 99),
    windows: whole('BENCH_WINDOWS', quick ? 1 : 5, 99),
    settleSeconds: whole('BENCH_SETTLE_SECONDS', quick ? 0 : 11, 600, 0),
    concurrencies: read('BENCH_CONCURRENCY', quick ? [1, 8] : [1, 8, 32, 128], CONCURRENCY_RULE, parseConcurrency),
    apiSeconds: whole('BENCH_API_SECONDS', quick ? 2 : 10, 3600),
    apiConnections: whole('BENCH_API_CONNECTIONS', 32),
    skipApiLoad: whole('BENCH_SKIP_API_LOAD', 0, 1, 0) === 1,
    // Every named stack but the poller autoscaling, measured and dropped (bench/README.md).
    compare: read(
      'BENCH_COMPARE',
      (Object.keys(NAMED_STACKS) as NamedStack[]).filter((name) => name !== 'pollers-autoscaling'),
      COMPARE_RULE,
      parseCompare,
    ),
    compareLatencyCalcs: whole('BENCH_COMPARE_LATENCY_CALCS', quick ? 10 : 100),
    compareConcurrency: whole('BENCH_COMPARE_CONCURRENCY', 8, 4096),
    resultsDir: env.BENCH_RESULTS_DIR || join(__dirname, 'results'),
    note: env.BENCH_NOTE ?? '',
  };
}
