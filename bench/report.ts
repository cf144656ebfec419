/**
 * The benchmark's results (results.ts) as a Markdown report: tables, a Mermaid chart, the
 * targets and the comparison with other settings.
 */
import { BASELINE_SERVICE } from './baseline';
import { costSummary, ratios, servedBy, type BenchResults, type CostSummary } from './results';
import type { VariantKey } from './variants';

const fixed = (digits: number) => (v: number) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const [n1, n2] = [fixed(1), fixed(2)];
const labelOf = (results: BenchResults, k: VariantKey) => results.labels[k] ?? k;

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** Mermaid's xy chart has no legend: the line colours are fixed here and named under it. */
const LINE_COLORS: Partial<Record<VariantKey, { name: string; hex: string }>> = {
  api: { name: 'red', hex: '#d62728' },
  direct: { name: 'blue', hex: '#1f77b4' },
  baseline: { name: 'green', hex: '#2ca02c' },
};

/** Throughput against concurrency as a Mermaid chart, which GitHub draws from the Markdown. */
function throughputChart(results: BenchResults, variantKeys: VariantKey[], concurrencies: number[]): string {
  const perSecond = (k: VariantKey, c: number) =>
    results.throughput.find((r) => r.variant === k && r.concurrency === c)?.perSecond ?? 0;
  const palette = variantKeys.map((k) => LINE_COLORS[k]?.hex).join(', ');
  return [
    '```mermaid',
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${palette}"}}}}%%`,
    'xychart-beta',
    '  title "Throughput vs concurrency"',
    `  x-axis "concurrent clients" [${concurrencies.map((c) => `"${c}"`).join(', ')}]`,
    '  y-axis "calculations / s"',
    ...variantKeys.map(
      (k) => `  line "${labelOf(results, k)}" [${concurrencies.map((c) => perSecond(k, c).toFixed(1)).join(', ')}]`,
    ),
    '```',
    '',
    `Lines: ${variantKeys.map((k) => `${LINE_COLORS[k]?.name}: ${labelOf(results, k)}`).join('; ')}.`,
  ].join('\n');
}

/** The CPU cost tables: a summary per window, then each process per variant and concurrency. */
function costSections(results: BenchResults, variantKeys: VariantKey[], concurrencies: number[]): string[] {
  const summaries = results.throughput.flatMap((t) => costSummary(t) ?? []);
  if (summaries.length === 0) return [];
  const ordered = variantKeys.flatMap((k) =>
    concurrencies.flatMap((c) => summaries.filter((x) => x.variant === k && x.concurrency === c)),
  );
  const perProcess = variantKeys.map((k) => {
    const windows = concurrencies.map((c) => results.throughput.find((t) => t.variant === k && t.concurrency === c));
    const names = [...new Set(windows.flatMap((w) => (w?.cpu ? servedBy(k, w.cpu).map((p) => p.name) : [])))];
    return [
      `${labelOf(results, k)}:`,
      '',
      table(
        ['process', ...concurrencies.map((c) => `c=${c}`)],
        names.map((name) => [
          name,
          ...windows.map((w) =>
            n1(w?.cpu?.find((p) => p.name === name && servedBy(k, [p]).length > 0)?.perCalcMs ?? NaN),
          ),
        ]),
      ),
      '',
    ].join('\n');
  });
  return [
    '## CPU per calculation (ms)',
    '',
    'CPU time (user + system, from /proc/<pid>/stat) each process used from the start of a throughput window ' +
      'until its last calculation ended, divided by the calculations that ended. "ours" is our workers and the ' +
      "API (the baseline's two processes for the baseline); the launcher only relays logs and the bench client " +
      'is the load generator, so neither is counted.',
    '',
    table(
      ['variant', 'concurrency', 'Temporal server', 'workflow worker', 'API', 'ours', 'server + ours', 'bench client'],
      ordered.map((x) => [
        labelOf(results, x.variant),
        String(x.concurrency),
        n1(x.server),
        n1(x.workflowWorker),
        n1(x.api),
        n1(x.ours),
        n1(x.server + x.ours),
        n1(x.benchClient),
      ]),
    ),
    '',
    'Each process, per variant (ms per calculation):',
    '',
    ...perProcess,
  ];
}

/** The default stack against the same with other settings (encryption off, tracing on), measured in turns. */
function comparisonSection(results: BenchResults): string[] {
  const e = results.comparison;
  if (!e) return [];
  const rows = (['api', 'direct'] as const).flatMap((k) =>
    [k, ...e.stacks.map((x) => `${k}-${x.tag}` as VariantKey)].map((v) => {
      const latency = e.latency.find((l) => l.variant === v)?.summary;
      const windows = e.throughput.filter((t) => t.variant === v);
      const bestWindow = [...windows].sort((a, b) => b.perSecond - a.perSecond)[0];
      const cost = windows.map(costSummary).filter((x): x is CostSummary => x !== undefined);
      const mean = (f: (x: CostSummary) => number) => cost.reduce((a, x) => a + f(x), 0) / cost.length;
      return [
        labelOf(results, v),
        n1(latency?.p50 ?? NaN),
        n1(bestWindow?.perSecond ?? NaN),
        n1(mean((x) => x.server)),
        n1(mean((x) => x.workflowWorker)),
        n1(mean((x) => x.api)),
        n1(mean((x) => x.ours)),
        n1(mean((x) => x.server + x.ours)),
      ];
    }),
  );
  return [
    '## Other settings against the default',
    '',
    `The same pipeline on ${e.stacks.length === 1 ? 'a second stack' : 'other stacks'} beside the first, ` +
      `measured in turns with it: ${e.stacks
        .map((x) => {
          const env = Object.entries(x.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ');
          return x.label.includes(env) ? x.label : `${x.label} (${env})`;
        })
        .join('; ')}. ` +
      `${e.latency[0]?.summary.count ?? 0} sequential calculations per variant, then two windows per variant at ` +
      `c=${e.concurrency} (throughput: the better window; CPU: the mean of both, ms per calculation).` +
      (e.stacks.some((x) => x.tag === 'traced')
        ? ` OTLP export requests received from the traced stack: ${e.otlpRequests}.`
        : ''),
    '',
    table(['variant', 'p50 ms', 'calculations/s', 'server', 'workflow worker', 'API', 'ours', 'server + ours'], rows),
    '',
  ];
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
        labelOf(results, l.variant),
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
      ['concurrency', ...variantKeys.map((k) => labelOf(results, k))],
      concurrencies.map((c) => [String(c), ...variantKeys.map((k) => cell(k, c))]),
    ),
    '',
    `Throughput errors: ${results.throughput.map((t) => `${t.variant}@${t.concurrency}=${t.errors}`).join(', ')}.`,
    '',
    throughputChart(results, variantKeys, concurrencies),
    '',
    ...costSections(results, variantKeys, concurrencies),
    ...comparisonSection(results),
    '## The API alone (autocannon)',
    '',
    results.api.length
      ? table(
          'endpoint,connections,seconds,requests/s,p50 ms,p99 ms,requests,errors,status codes'.split(','),
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
