/**
 * The benchmark's results (results.ts) as a Markdown report: tables, a Mermaid chart that
 * GitHub draws, the targets and the comparison with other settings.
 */
import { BASELINE_SERVICE } from './procs';
import { envText } from './config';
import type { VariantKey } from './load';
import { best, costSummary, ratios, servedBy, windowOf, type BenchResults, type CostSummary } from './results';

const fixed = (digits: number) => (v: number | undefined) => (Number.isFinite(v) ? v!.toFixed(digits) : '-');
const [n1, n2] = [fixed(1), fixed(2)];

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** Mermaid's xy chart has no legend: the line colours are fixed here and named under it. */
const LINE_COLOR: Partial<Record<VariantKey, string>> = { api: 'red', direct: 'blue', baseline: 'green' };
const HEX: Record<string, string> = { red: '#d62728', blue: '#1f77b4', green: '#2ca02c' };

type View = { r: BenchResults; keys: VariantKey[]; concurrencies: number[]; labelOf: (k: VariantKey) => string };

const COST_COLUMNS = ['Temporal server', 'workflow worker', 'API', 'ours', 'server + ours'];
const costCells = (x: CostSummary) => [x.server, x.workflowWorker, x.api, x.ours, x.server + x.ours];

function throughputSection({ r, keys, concurrencies, labelOf }: View) {
  const perSecond = (k: VariantKey, c: number) => windowOf(r.throughput, k, c)?.perSecond ?? 0;
  const cell = (k: VariantKey, c: number) => {
    const t = windowOf(r.throughput, k, c);
    return t ? `${n1(t.perSecond)} (p50 ${n1(t.latency.p50)} ms, n=${t.completed}, ${n1(t.seconds)} s)` : '-';
  };
  return [
    '## Throughput, closed loop (calculations completed per second)',
    '',
    table(
      ['concurrency', ...keys.map(labelOf)],
      concurrencies.map((c) => [String(c), ...keys.map((k) => cell(k, c))]),
    ),
    '',
    `Throughput errors: ${r.throughput.map((t) => `${t.variant}@${t.concurrency}=${t.errors}`).join(', ')}.`,
    '',
    '```mermaid',
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${keys.map((k) => HEX[LINE_COLOR[k] ?? '']).join(', ')}"}}}}%%`,
    'xychart-beta',
    '  title "Throughput vs concurrency"',
    `  x-axis "concurrent clients" [${concurrencies.map((c) => `"${c}"`).join(', ')}]`,
    '  y-axis "calculations / s"',
    ...keys.map((k) => `  line "${labelOf(k)}" [${concurrencies.map((c) => perSecond(k, c).toFixed(1)).join(', ')}]`),
    '```',
    '',
    `Lines: ${keys.map((k) => `${LINE_COLOR[k]}: ${labelOf(k)}`).join('; ')}.`,
    '',
  ];
}

function costSection({ r, keys, concurrencies, labelOf }: View) {
  const windows = keys.flatMap((k) => concurrencies.flatMap((c) => windowOf(r.throughput, k, c) ?? []));
  const summaries = windows.flatMap((t) => costSummary(t) ?? []);
  if (summaries.length === 0) return [];
  const perProcess = keys.flatMap((k) => {
    const cpus = concurrencies.map((c) => servedBy(k, windowOf(r.throughput, k, c)?.cpu ?? []));
    const names = [...new Set(cpus.flat().map((p) => p.name))];
    const rows = names.map((name) => [name, ...cpus.map((cpu) => n1(cpu.find((p) => p.name === name)?.perCalcMs))]);
    return [`${labelOf(k)}:`, '', table(['process', ...concurrencies.map((c) => `c=${c}`)], rows), ''];
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
      ['variant', 'concurrency', ...COST_COLUMNS, 'bench client'],
      summaries.map((x) => [labelOf(x.variant), String(x.concurrency), ...[...costCells(x), x.benchClient].map(n1)]),
    ),
    '',
    'Each process, per variant (ms per calculation):',
    '',
    ...perProcess,
  ];
}

function comparisonSection({ r: { comparison: e }, labelOf }: View) {
  if (!e) return [];
  const rows = (['api', 'direct'] as const).flatMap((k) =>
    [k, ...e.stacks.map((x) => `${k}-${x.tag}` as VariantKey)].map((variant) => {
      const cost = e.throughput.filter((t) => t.variant === variant).flatMap((t) => costSummary(t) ?? []);
      const mean = (i: number) => cost.reduce((a, x) => a + costCells(x)[i]!, 0) / cost.length;
      return [
        labelOf(variant),
        n1(e.latency.find((l) => l.variant === variant)?.summary.p50),
        n1(best(e.throughput, variant)?.perSecond),
        ...COST_COLUMNS.map((_, i) => n1(mean(i))),
      ];
    }),
  );
  const stacks = e.stacks.map((x) => (x.label.includes(envText(x.env)) ? x.label : `${x.label} (${envText(x.env)})`));
  return [
    '## Other settings against the default',
    '',
    `The same pipeline on ${e.stacks.length === 1 ? 'a second stack' : 'other stacks'} beside the first, ` +
      `measured in turns with it: ${stacks.join('; ')}. ` +
      `${e.latency[0]?.summary.count ?? 0} sequential calculations per variant, then two windows per variant at ` +
      `c=${e.concurrency} (throughput: the better window; CPU: the mean of both, ms per calculation).` +
      (e.stacks.some((x) => x.tag === 'traced')
        ? ` OTLP export requests received from the traced stack: ${e.otlpRequests}.`
        : ''),
    '',
    table(['variant', 'p50 ms', 'calculations/s', 'server', ...COST_COLUMNS.slice(1)], rows),
    '',
  ];
}

export function markdown(r: BenchResults): string {
  const { machine: m, versions: v } = r;
  const labelOf = (k: VariantKey) => r.labels[k] ?? k;
  const keys = r.latency.map((l) => l.variant);
  const concurrencies = [...new Set(r.throughput.map((t) => t.concurrency))].sort((a, b) => a - b);
  const view = { r, keys, concurrencies, labelOf };
  const errors = [...r.latency, ...r.throughput, ...r.api].reduce((a, x) => a + x.errors, 0);
  // Workers against workers: the Temporal server and the API serve both variants alike.
  const workerPeaks = (baseline: boolean) => {
    const workers = r.memoryBeforeApiLoad.filter((p) => p.language && (p.service === BASELINE_SERVICE) === baseline);
    const sum = workers.reduce((a, p) => a + (Number.isFinite(p.peakMiB) ? p.peakMiB : 0), 0);
    return `${workers.length} processes, ${n1(sum)} MiB`;
  };
  return [
    '# Benchmark: polyglot pipeline vs a TypeScript-only baseline',
    '',
    `Measured ${r.date}${r.note ? `; ${r.note}` : ''}.`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}. ` +
      `Node ${v.node}, ${v.python}, ${v.go}, ${v.temporalCli}. SDKs: TypeScript ${v.typescriptSdk}, ` +
      `Python temporalio ${v.pythonSdk}, Go ${v.goSdk}; Fastify ${v.fastify}.`,
    '',
    `Stack ready in ${n1(r.stackStartSeconds)} s; baseline workers ready in ${n1(r.baselineStartSeconds)} s. ` +
      `Every worker wait is 0. Errors in all phases: ${errors}.`,
    '',
    '## Targets',
    '',
    table(
      ['ratio', 'value', 'target', 'met', 'detail'],
      ratios(r).map((x) => [x.name, `${n2(x.value)} ${x.unit}`, x.target, x.met ? 'yes' : 'no', x.detail]),
    ),
    '',
    '## Latency, one client in sequence (ms)',
    '',
    table(
      ['variant', 'calcs', 'p50', 'p95', 'p99', 'mean', 'min', 'max', 'errors'],
      r.latency.map(({ variant, summary: s, errors }) => [
        labelOf(variant),
        String(s.count),
        ...[s.p50, s.p95, s.p99, s.mean, s.min, s.max].map(n1),
        String(errors),
      ]),
    ),
    '',
    ...throughputSection(view),
    ...costSection(view),
    ...comparisonSection(view),
    '## The API alone (autocannon)',
    '',
    r.api.length
      ? table(
          'endpoint,connections,seconds,requests/s,p50 ms,p99 ms,requests,errors,status codes'.split(','),
          r.api.map((a) => [
            a.endpoint,
            String(a.connections),
            ...[a.seconds, a.requestsPerSecond, a.latencyP50Ms, a.latencyP99Ms].map(n1),
            String(a.completed),
            String(a.errors),
            JSON.stringify(a.statusCodes),
          ]),
        )
      : '(skipped)',
    '',
    '## Peak resident memory (VmHWM, MiB)',
    '',
    table(
      ['process', 'pid', 'peak before API load', 'peak at end', 'RSS at end'],
      r.memoryAtEnd.map((end) => [
        end.language ? `${end.name} (${end.language})` : end.name,
        String(end.pid),
        ...[r.memoryBeforeApiLoad.find((b) => b.pid === end.pid)?.peakMiB, end.peakMiB, end.rssMiB].map(n1),
      ]),
    ),
    '',
    `Sum of worker peaks before API load: polyglot workers (${workerPeaks(false)}), ` +
      `baseline workers (${workerPeaks(true)}).`,
    '',
  ].join('\n');
}
