/**
 * The benchmark's results as run.ts records them, what one calculation costs per process, and
 * the ratios the project's targets are stated in. report.ts renders them as Markdown.
 */
import type { ApiLoadResult } from './api-load';
import type { LatencyResult, ThroughputResult } from './load';
import type { Machine, Versions } from './machine';
import { BASELINE_SERVICE } from './baseline';
import type { ProcessCost } from './cpu';
import type { ProcessMemory } from './procs';
import type { VariantKey } from './variants';

export interface BenchResults {
  date: string;
  note: string;
  settings: Record<string, unknown>;
  machine: Machine;
  versions: Versions;
  stackStartSeconds: number;
  baselineStartSeconds: number;
  labels: Partial<Record<VariantKey, string>>;
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  api: ApiLoadResult[];
  /** Memory read after the calculations and before autocannon floods the API. */
  memoryBeforeApiLoad: ProcessMemory[];
  /** Memory read at the very end, after autocannon. */
  memoryAtEnd: ProcessMemory[];
  /**
   * The API and direct variants measured in turns with the same on stacks started with other
   * settings (encryption off, tracing on), each variant keyed `<variant>-<tag>`.
   */
  comparison?: Comparison;
}

export interface Comparison {
  concurrency: number;
  /** Each other stack: its tag, what it changes, and the settings it was started with. */
  stacks: { tag: string; label: string; env: Record<string, string> }[];
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  /** OTLP export requests the traced stack sent to the benchmark's sink: proof that spans left. */
  otlpRequests: number;
}

/** The tag of a variant run on another stack (`api-plain` -> `plain`), or undefined. */
export function tagOf(variant: string): string | undefined {
  const dash = variant.indexOf('-');
  return dash < 0 ? undefined : variant.slice(dash + 1);
}

/** Whose CPU counts for a variant: the processes that serve it, by their service. */
const SERVER = 'temporal';
const NOT_OURS = new Set([SERVER, 'launcher', 'bench']);

/** The processes of the stack that served `variant`: another stack's for a tagged one. */
export function servedBy(variant: VariantKey, cpu: readonly ProcessCost[]): ProcessCost[] {
  if (variant === 'baseline') return cpu.filter((p) => p.service === SERVER || p.service === BASELINE_SERVICE);
  const tag = tagOf(variant);
  return cpu.filter((p) => p.service !== BASELINE_SERVICE && p.service !== 'bench' && p.service.split('@')[1] === tag);
}

export interface CostSummary {
  variant: VariantKey;
  concurrency: number;
  /** CPU ms per calculation of the Temporal server. */
  server: number;
  /** Of our own processes (workers and API; the baseline's two processes for the baseline). */
  ours: number;
  workflowWorker: number;
  api: number;
  /** Of the benchmark's own process, the client of the direct and baseline variants. */
  benchClient: number;
}

const sum = (list: readonly ProcessCost[]) =>
  list.reduce((a, p) => a + (Number.isFinite(p.perCalcMs) ? p.perCalcMs : 0), 0);
/** A process of another stack has the service `<service>@<tag>` (run.ts). */
const bare = (service: string) => service.split('@')[0]!;

export function costSummary(t: ThroughputResult): CostSummary | undefined {
  if (!t.cpu) return undefined;
  const served = servedBy(t.variant, t.cpu);
  const of = (service: string) => sum(served.filter((p) => bare(p.service) === service));
  return {
    variant: t.variant,
    concurrency: t.concurrency,
    server: of(SERVER),
    ours: sum(served.filter((p) => !NOT_OURS.has(bare(p.service)))),
    workflowWorker:
      t.variant === 'baseline'
        ? sum(served.filter((p) => p.name === 'baseline-workflow-worker'))
        : of('workflow-worker'),
    api: of('api'),
    benchClient: sum(t.cpu.filter((p) => p.service === 'bench')),
  };
}

export interface Ratio {
  name: string;
  value: number;
  unit: string;
  target: string;
  met: boolean;
  detail: string;
}

function best(results: readonly ThroughputResult[], variant: VariantKey): ThroughputResult | undefined {
  return results.filter((r) => r.variant === variant).sort((a, b) => b.perSecond - a.perSecond)[0];
}

function p50(results: BenchResults, variant: VariantKey): number {
  return results.latency.find((l) => l.variant === variant)?.summary.p50 ?? NaN;
}

export function ratios(results: BenchResults): Ratio[] {
  const poly = best(results.throughput, 'direct');
  const base = best(results.throughput, 'baseline');
  const throughputRatio = (poly?.perSecond ?? NaN) / (base?.perSecond ?? NaN);
  const p50Ratio = p50(results, 'direct') / p50(results, 'baseline');
  const apiOverhead = p50(results, 'api') - p50(results, 'direct');
  const perConcurrency = [...new Set(results.throughput.map((t) => t.concurrency))]
    .sort((a, b) => a - b)
    .map((c) => {
      const at = (v: VariantKey) =>
        results.throughput.find((t) => t.variant === v && t.concurrency === c)?.perSecond ?? NaN;
      return { c, ratio: at('api') / at('direct') };
    });
  const worst = perConcurrency.reduce(
    (a, b) => (b.ratio < a.ratio || !Number.isFinite(b.ratio) ? b : a),
    perConcurrency[0]!,
  );
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
      detail: `${p50(results, 'direct').toFixed(1)} ms vs ${p50(results, 'baseline').toFixed(1)} ms`,
    },
    {
      name: 'API p50 - direct-start p50',
      value: apiOverhead,
      unit: 'ms',
      target: '<= 5',
      met: apiOverhead <= 5,
      detail: `${p50(results, 'api').toFixed(1)} ms vs ${p50(results, 'direct').toFixed(1)} ms`,
    },
    {
      name: 'API / direct-start throughput, at every concurrency (the lowest)',
      value: worst?.ratio ?? NaN,
      unit: 'x',
      target: '>= 0.9',
      met: perConcurrency.every((r) => r.ratio >= 0.9),
      detail: perConcurrency.map((r) => `c=${r.c}: ${r.ratio.toFixed(2)}`).join(', '),
    },
  ];
}
