/**
 * The benchmark's results as JSON and as a Markdown report, and the ratios the project's
 * targets are stated in.
 */
import type { ApiLoadResult } from './api-load';
import type { LatencyResult, ThroughputResult } from './load';
import type { Machine, Versions } from './machine';
import { BASELINE_SERVICE } from './baseline';
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
  labels: Record<VariantKey, string>;
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  api: ApiLoadResult[];
  /** Memory read after the calculations and before autocannon floods the API. */
  memoryBeforeApiLoad: ProcessMemory[];
  /** Memory read at the very end, after autocannon. */
  memoryAtEnd: ProcessMemory[];
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
  ];
}

const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const n2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** Mermaid's xy chart has no legend: the line colours are fixed here and named under it. */
const LINE_COLORS: Record<VariantKey, { name: string; hex: string }> = {
  api: { name: 'red', hex: '#d62728' },
  direct: { name: 'blue', hex: '#1f77b4' },
  baseline: { name: 'green', hex: '#2ca02c' },
};

/** Throughput against concurrency as a Mermaid chart, which GitHub draws from the Markdown. */
function throughputChart(results: BenchResults, variantKeys: VariantKey[], concurrencies: number[]): string {
  const perSecond = (k: VariantKey, c: number) =>
    results.throughput.find((r) => r.variant === k && r.concurrency === c)?.perSecond ?? 0;
  const palette = variantKeys.map((k) => LINE_COLORS[k].hex).join(', ');
  return [
    '```mermaid',
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${palette}"}}}}%%`,
    'xychart-beta',
    '  title "Throughput vs concurrency"',
    `  x-axis "concurrent clients" [${concurrencies.map((c) => `"${c}"`).join(', ')}]`,
    '  y-axis "calculations / s"',
    ...variantKeys.map(
      (k) => `  line "${results.labels[k]}" [${concurrencies.map((c) => perSecond(k, c).toFixed(1)).join(', ')}]`,
    ),
    '```',
    '',
    `Lines: ${variantKeys.map((k) => `${LINE_COLORS[k].name}: ${results.labels[k]}`).join('; ')}.`,
  ].join('\n');
}

export function markdown(results: BenchResults): string {
  const { machine: m, versions: v } = results;
  const variantKeys = results.latency.map((l) => l.variant);
  const concurrencies = [...new Set(results.throughput.map((t) => t.concurrency))].sort((a, b) => a - b);
  const cell = (variant: VariantKey, c: number) => {
    const t = results.throughput.find((r) => r.variant === variant && r.concurrency === c);
    return t ? `${n1(t.perSecond)} (p50 ${n1(t.latency.p50)} ms, n=${t.completed}, ${n1(t.seconds)} s)` : '-';
  };
  const memoryRows = results.memoryAtEnd.map((end) => {
    const before = results.memoryBeforeApiLoad.find((b) => b.pid === end.pid);
    const name = end.language ? `${end.name} (${end.language})` : end.name;
    return [name, String(end.pid), n1(before?.peakMiB ?? NaN), n1(end.peakMiB), n1(end.rssMiB)];
  });
  // Workers against workers: the Temporal server and the API serve both variants alike.
  const workerPeaks = (baseline: boolean) => {
    const workers = results.memoryBeforeApiLoad.filter(
      (p) => p.language !== undefined && (p.service === BASELINE_SERVICE) === baseline,
    );
    const sum = workers.reduce((a, p) => a + (Number.isFinite(p.peakMiB) ? p.peakMiB : 0), 0);
    return `${workers.length} processes, ${n1(sum)} MiB`;
  };
  const errors =
    results.latency.reduce((a, l) => a + l.errors, 0) +
    results.throughput.reduce((a, t) => a + t.errors, 0) +
    results.api.reduce((a, r) => a + r.errors, 0);

  return [
    '# Benchmark: polyglot pipeline vs a TypeScript-only baseline',
    '',
    `Measured ${results.date}${results.note ? `; ${results.note}` : ''}.`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}. ` +
      `Node ${v.node}, ${v.python}, ${v.go}, ${v.temporalCli}. SDKs: TypeScript ${v.typescriptSdk}, ` +
      `Python temporalio ${v.pythonSdk}, Go ${v.goSdk}; Fastify ${v.fastify}.`,
    '',
    `Stack ready in ${n1(results.stackStartSeconds)} s; baseline workers ready in ${n1(results.baselineStartSeconds)} s. ` +
      `Every worker wait is 0. Errors in all phases: ${errors}.`,
    '',
    '## Targets',
    '',
    table(
      ['ratio', 'value', 'target', 'met', 'detail'],
      ratios(results).map((r) => [r.name, `${n2(r.value)} ${r.unit}`, r.target, r.met ? 'yes' : 'no', r.detail]),
    ),
    '',
    '## Latency, one client in sequence (ms)',
    '',
    table(
      ['variant', 'calcs', 'p50', 'p95', 'p99', 'mean', 'min', 'max', 'errors'],
      results.latency.map((l) => [
        results.labels[l.variant],
        String(l.summary.count),
        n1(l.summary.p50),
        n1(l.summary.p95),
        n1(l.summary.p99),
        n1(l.summary.mean),
        n1(l.summary.min),
        n1(l.summary.max),
        String(l.errors),
      ]),
    ),
    '',
    '## Throughput, closed loop (calculations completed per second)',
    '',
    table(
      ['concurrency', ...variantKeys.map((k) => results.labels[k])],
      concurrencies.map((c) => [String(c), ...variantKeys.map((k) => cell(k, c))]),
    ),
    '',
    `Throughput errors: ${results.throughput.map((t) => `${t.variant}@${t.concurrency}=${t.errors}`).join(', ')}.`,
    '',
    throughputChart(results, variantKeys, concurrencies),
    '',
    '## The API alone (autocannon)',
    '',
    results.api.length
      ? table(
          [
            'endpoint',
            'connections',
            'seconds',
            'requests/s',
            'p50 ms',
            'p99 ms',
            'requests',
            'errors',
            'status codes',
          ],
          results.api.map((a) => [
            a.endpoint,
            String(a.connections),
            n1(a.seconds),
            n1(a.requestsPerSecond),
            n1(a.latencyP50Ms),
            n1(a.latencyP99Ms),
            String(a.completed),
            String(a.errors),
            JSON.stringify(a.statusCodes),
          ]),
        )
      : '(skipped)',
    '',
    '## Peak resident memory (VmHWM, MiB)',
    '',
    table(['process', 'pid', 'peak before API load', 'peak at end', 'RSS at end'], memoryRows),
    '',
    `Sum of worker peaks before API load: polyglot workers (${workerPeaks(false)}), ` +
      `baseline workers (${workerPeaks(true)}).`,
    '',
  ].join('\n');
}
