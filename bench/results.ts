/**
 * The benchmark's results as run.ts records them in latest.json, what one calculation costs
 * per process, and the ratios the project's targets are stated in. report.ts renders them.
 */
import type { OtherStackSettings } from './config';
import type { ApiLoadResult, LatencyResult, ThroughputResult, VariantKey } from './load';
import { BASELINE_SERVICE, type machine, type ProcessCost, type ProcessMemory, type versions } from './procs';

export interface BenchResults {
  date: string;
  note: string;
  settings: Record<string, unknown>;
  machine: ReturnType<typeof machine>;
  versions: ReturnType<typeof versions>;
  stackStartSeconds: number;
  baselineStartSeconds: number;
  labels: Partial<Record<VariantKey, string>>;
  latency: LatencyResult[];
  throughput: ThroughputResult[];
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

export const windowOf = (throughput: readonly ThroughputResult[], variant: VariantKey, concurrency: number) =>
  throughput.find((t) => t.variant === variant && t.concurrency === concurrency);

export const best = (throughput: readonly ThroughputResult[], variant: VariantKey) =>
  throughput.filter((t) => t.variant === variant).sort((a, b) => b.perSecond - a.perSecond)[0];

const SERVER = 'temporal';
/** Not ours: the launcher only relays logs, and the bench client is the load generator. */
const NOT_OURS = new Set([SERVER, 'launcher', 'bench']);

/**
 * The processes that served `variant`, by their service: the baseline's and the server for the
 * baseline, else the stack's; a process of another stack has the service `<service>@<tag>`,
 * and serves the variants `<variant>-<tag>`.
 */
export function servedBy(variant: VariantKey, cpu: readonly ProcessCost[]): ProcessCost[] {
  if (variant === 'baseline') return cpu.filter((p) => p.service === SERVER || p.service === BASELINE_SERVICE);
  const dash = variant.indexOf('-');
  const tag = dash < 0 ? undefined : variant.slice(dash + 1);
  return cpu.filter((p) => p.service !== BASELINE_SERVICE && p.service !== 'bench' && p.service.split('@')[1] === tag);
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
    workflowWorker: sum(served.filter((p) => bare(p) === 'workflow-worker' || p.name === 'baseline-workflow-worker')),
    api: of('api'),
    benchClient: sum(t.cpu.filter((p) => p.service === 'bench')),
  };
}
export type CostSummary = NonNullable<ReturnType<typeof costSummary>>;

export function ratios({ latency, throughput }: BenchResults) {
  const p50 = (variant: VariantKey) => latency.find((l) => l.variant === variant)?.summary.p50 ?? NaN;
  const [poly, base] = [best(throughput, 'direct'), best(throughput, 'baseline')];
  const throughputRatio = (poly?.perSecond ?? NaN) / (base?.perSecond ?? NaN);
  const p50Ratio = p50('direct') / p50('baseline');
  const apiOverhead = p50('api') - p50('direct');
  const at = (variant: VariantKey, c: number) => windowOf(throughput, variant, c)?.perSecond ?? NaN;
  const apiVsDirect = [...new Set(throughput.map((t) => t.concurrency))]
    .sort((a, b) => a - b)
    .map((c) => ({ c, ratio: at('api', c) / at('direct', c) }));
  const worst = apiVsDirect.reduce((a, b) => (b.ratio < a.ratio || !Number.isFinite(b.ratio) ? b : a), apiVsDirect[0]!);
  const latencies = (a: VariantKey, b: VariantKey) => `${p50(a).toFixed(1)} ms vs ${p50(b).toFixed(1)} ms`;
  return [
    {
      name: 'polyglot / baseline throughput, each at its best concurrency',
      value: throughputRatio,
      unit: 'x',
      target: '>= 0.9',
      met: throughputRatio >= 0.9,
      detail:
        `polyglot ${poly?.perSecond.toFixed(1)}/s at c=${poly?.concurrency}, ` +
        `baseline ${base?.perSecond.toFixed(1)}/s at c=${base?.concurrency}`,
    },
    {
      name: 'polyglot / baseline sequential p50 latency',
      value: p50Ratio,
      unit: 'x',
      target: '<= 1.25',
      met: p50Ratio <= 1.25,
      detail: latencies('direct', 'baseline'),
    },
    {
      name: 'API p50 - direct-start p50',
      value: apiOverhead,
      unit: 'ms',
      target: '<= 5',
      met: apiOverhead <= 5,
      detail: latencies('api', 'direct'),
    },
    {
      name: 'API / direct-start throughput, at every concurrency (the lowest)',
      value: worst?.ratio ?? NaN,
      unit: 'x',
      target: '>= 0.9',
      met: apiVsDirect.every((r) => r.ratio >= 0.9),
      detail: apiVsDirect.map((r) => `c=${r.c}: ${r.ratio.toFixed(2)}`).join(', '),
    },
  ];
}
