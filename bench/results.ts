/**
 * The benchmark's results as run.ts records them in latest.json, what one calculation costs
 * per process, and the ratios the project's targets are stated in. report.ts renders them.
 */
import type { ServerCounter } from '../tests/prometheus';
import type { OtherStackSettings } from './config';
import type { ApiLoadResult, LatencyResult, ThroughputResult } from './load';
import type { VariantKey } from './variants';
import {
  BASELINE_SERVICE,
  BASELINE_WORKFLOW_WORKER,
  SPLIT_SERVICE,
  BURNER_SERVICE,
  type machine,
  type ProcessCost,
  type ProcessMemory,
  type versions,
} from './procs';

export interface BenchResults {
  date: string;
  /** The targets of the run before, from the latest.json this run replaced. */
  previous?: { date: string; targets: { name: string; value: number }[] };
  note: string;
  settings: Record<string, unknown>;
  machine: ReturnType<typeof machine>;
  versions: ReturnType<typeof versions>;
  stackStartSeconds: number;
  baselineStartSeconds: number;
  labels: Partial<Record<VariantKey, string>>;
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  /** Windows of describes of one finished calculation: what the API's describe per result read costs. */
  describe: ThroughputResult[];
  /** Windows of `GET /health`, which calls no Temporal service: what one HTTP round trip to the API costs. */
  health?: ThroughputResult[];
  /**
   * The direct start, in turns with the same beside a process that keeps `cores` of a core busy,
   * what the API spent at that concurrency: what one more busy process costs the others.
   */
  contention?: { cores: number; throughput: ThroughputResult[] };
  /** The API and the direct start at one rate both sustain, each client one calculation per `paceMs`, in turns. */
  sameRate?: { paceMs: number; throughput: ThroughputResult[] };
  api: ApiLoadResult[];
  /** Read after the calculations and before autocannon floods the API. */
  memoryBeforeApiLoad: ProcessMemory[];
  memoryAtEnd: ProcessMemory[];
  /** The API and direct variants in turns with the same on stacks with other settings, keyed `<variant>-<tag>`. */
  comparison?: {
    concurrency: number;
    stacks: OtherStackSettings[];
    latency: LatencyResult[];
    throughput: ThroughputResult[];
    /** OTLP export requests the traced stack sent to the benchmark's sink: proof that spans left. */
    otlpRequests: number;
  };
}

/** The median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Every window of `variant` at concurrency `c`, and the medians the report shows and the
 * targets are judged on: throughput (with its lowest and highest window), p50, what one
 * calculation cost and the server's counters per calculation; undefined without a window.
 */
export function point(throughput: readonly ThroughputResult[], variant: VariantKey, c: number) {
  const windows = throughput.filter((t) => t.variant === variant && t.concurrency === c);
  if (windows.length === 0) return undefined;
  const rates = windows.map((t) => t.perSecond);
  const costs = windows.flatMap((t) => costSummary(t) ?? []);
  const cost = (pick: (x: CostSummary) => number) => median(costs.map(pick));
  const counter = (k: ServerCounter) => median(windows.map((t) => t.server?.[k] ?? NaN));
  return {
    variant,
    concurrency: c,
    windows,
    perSecond: median(rates),
    lowest: Math.min(...rates),
    highest: Math.max(...rates),
    p50: median(windows.map((t) => t.latency.p50)),
    completed: windows.reduce((a, t) => a + t.completed, 0),
    errors: windows.reduce((a, t) => a + t.errors, 0),
    cost: {
      server: cost((x) => x.server),
      ours: cost((x) => x.ours),
      workflowWorker: cost((x) => x.workflowWorker),
      api: cost((x) => x.api),
      total: cost((x) => x.server + x.ours),
      benchClient: cost((x) => x.benchClient),
    },
    /** CPU ms per calculation of each process by name, medians over the windows. */
    perProcess: (name: string) =>
      median(windows.map((t) => servedBy(variant, t.cpu).find((p) => p.name === name)?.perCalcMs ?? NaN)),
    server: Object.fromEntries(SERVER_COUNTERS.map((k) => [k, counter(k)])) as Record<ServerCounter, number>,
  };
}
export type Point = NonNullable<ReturnType<typeof point>>;

const SERVER_COUNTERS: ServerCounter[] = ['pollSync', 'pollAll', 'createTasks', 'persistence', 'timerTasks'];

const SERVER = 'temporal';
/**
 * Not ours: the launcher only relays logs, the bench client is the load generator, and the
 * burner is the contention phase's stand-in for the API's CPU.
 */
const NOT_OURS = new Set([SERVER, 'launcher', 'bench', BURNER_SERVICE]);
/** Processes that serve no variant of a stack: the baseline's and the benchmark's own. */
const NOT_THE_STACKS = new Set([BASELINE_SERVICE, SPLIT_SERVICE, 'bench']);

/** Variants that ask only the server: the describes and the pace alone. */
const ON_THE_SERVER_ONLY = new Set<VariantKey>(['describe', 'pacedDescribe', 'idle']);

/**
 * The processes that served `variant`, by their service: the baseline's and the server for the
 * baseline, else the stack's; a process of another stack has the service `<service>@<tag>`,
 * and serves the variants `<variant>-<tag>`.
 */
export function servedBy(variant: VariantKey, cpu: readonly ProcessCost[]): ProcessCost[] {
  if (variant === 'baseline') return cpu.filter((p) => p.service === SERVER || p.service === BASELINE_SERVICE);
  if (variant === 'split') {
    const serves = (p: ProcessCost) => p.service === SPLIT_SERVICE || p.name === BASELINE_WORKFLOW_WORKER;
    return cpu.filter((p) => p.service === SERVER || serves(p));
  }
  if (ON_THE_SERVER_ONLY.has(variant)) return cpu.filter((p) => p.service === SERVER);
  const dash = variant.indexOf('-');
  const tag = dash < 0 ? undefined : variant.slice(dash + 1);
  return cpu.filter((p) => !NOT_THE_STACKS.has(p.service) && p.service.split('@')[1] === tag);
}

/**
 * CPU ms one calculation of window `t` cost the server, ours (workers and API; the baseline's
 * two processes for the baseline), the workflow worker and the API; none without CPU figures.
 */
export function costSummary(t: ThroughputResult) {
  if (!t.cpu) return undefined;
  const served = servedBy(t.variant, t.cpu);
  const sum = (list: readonly ProcessCost[]) =>
    list.reduce((a, p) => a + (Number.isFinite(p.perCalcMs) ? p.perCalcMs : 0), 0);
  const bare = (p: ProcessCost) => p.service.split('@')[0]!;
  const of = (service: string) => sum(served.filter((p) => bare(p) === service));
  return {
    variant: t.variant,
    concurrency: t.concurrency,
    server: of(SERVER),
    ours: sum(served.filter((p) => !NOT_OURS.has(bare(p)))),
    workflowWorker: sum(served.filter((p) => bare(p) === 'workflow-worker' || p.name === BASELINE_WORKFLOW_WORKER)),
    api: of('api'),
    benchClient: sum(t.cpu.filter((p) => p.service === 'bench')),
  };
}
export type CostSummary = NonNullable<ReturnType<typeof costSummary>>;

/**
 * A distribution-free confidence interval for the median of `values`, the sign test's: the k-th
 * lowest and the k-th highest value, with k the largest that still covers the true median with
 * probability `level` or more. Five values give their lowest and highest (0.94), eight the second
 * of each end (0.93); undefined for fewer than five.
 */
export function medianInterval(values: readonly number[], level = 0.9) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = v.length;
  // `below`: P(X <= j - 1) for X ~ Binomial(n, 1/2); `choose`: C(n, j - 1), then C(n, j).
  let [k, coverage, below, choose] = [0, NaN, 0, 1];
  for (let j = 1; j <= n / 2; j++) {
    below += choose / 2 ** n;
    choose = (choose * (n - j + 1)) / j;
    if (1 - 2 * below < level) break;
    [k, coverage] = [j, 1 - 2 * below];
  }
  return k === 0 ? undefined : { low: v[k - 1]!, high: v[n - k]!, coverage };
}
export type Interval = NonNullable<ReturnType<typeof medianInterval>>;

/**
 * `a` against `b` at concurrency `c`, round by round (the k-th window of each: taken in the
 * same round, close in time), then the median over the rounds: a drift of the machine over the
 * run cancels out of each round's figure. `f` reads a window; `against` combines the two
 * (a ratio unless given). With the median, the interval the rounds give it.
 */
export function paired(
  throughput: readonly ThroughputResult[],
  [a, b]: [VariantKey, VariantKey],
  c: number,
  f: (t: ThroughputResult) => number,
  against = (x: number, y: number) => x / y,
) {
  const of = (v: VariantKey) => throughput.filter((t) => t.variant === v && t.concurrency === c);
  const bs = of(b);
  const rounds = of(a).flatMap((t, k) => (bs[k] ? [against(f(t), f(bs[k]))] : []));
  return { value: median(rounds), rounds, interval: medianInterval(rounds) };
}
/** A window's throughput. */
export const perSecond = (t: ThroughputResult) => t.perSecond;
/**
 * A window's CPU per calculation: the server's, ours, both, or that of every process measured
 * (the load generator and idle stacks included): on a machine whose CPU is all in use, the
 * inverse of the last is what throughput follows.
 */
export const costOf = (part: 'server' | 'ours' | 'total' | 'machine') => (t: ThroughputResult) => {
  if (part === 'machine') return t.cpu.reduce((a, p) => a + (Number.isFinite(p.perCalcMs) ? p.perCalcMs : 0), 0);
  const x = costSummary(t);
  return x === undefined ? NaN : part === 'total' ? x.server + x.ours : x[part];
};

/** The p50 of one client in sequence for `variant`; NaN when it was not timed. */
export const p50Of = (latency: readonly LatencyResult[], variant: VariantKey) =>
  latency.find((l) => l.variant === variant)?.summary.p50 ?? NaN;

/**
 * What one describe at each client's pace cost the bench client above the pace alone at `c`,
 * round by round: the describe's share of the API's floor, its wake-up included.
 */
export const pacedDescribeCost = (describe: readonly ThroughputResult[], c: number) =>
  paired(
    describe,
    ['pacedDescribe', 'idle'],
    c,
    (t) => costSummary(t)?.benchClient ?? NaN,
    (x, y) => x - y,
  );

/**
 * How often each client of the API asks it for a calculation at `c` clients: the median of the
 * API's windows' p50 latency there. The paced `GET /health` runs at this pace.
 */
export const paceOf = (throughput: readonly ThroughputResult[], c: number) =>
  median(throughput.filter((t) => t.variant === 'api' && t.concurrency === c).map((t) => t.latency.p50));
