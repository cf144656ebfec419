/**
 * The benchmark's results (results.ts) as a Markdown report: tables, a Mermaid chart that
 * GitHub draws, the targets and the comparison with other settings.
 */
import { COST_COLUMNS, COUNTERS, costCells, counters, n1, n2, spread, table, type View } from './cells';
import type { VariantKey } from './variants';
import { BASELINE_SERVICE, SPLIT_SERVICE } from './procs';
import { comparisonSection, contentionSection, describeSection } from './report-settings';
import { point, servedBy, type BenchResults } from './results';
import { ratios } from './targets';

/** Mermaid's xy chart has no legend: the line colours are fixed here and named under it. */
const LINE_COLOR: Partial<Record<VariantKey, string>> = { api: 'red', direct: 'blue', baseline: 'green' };
const HEX: Record<string, string> = { red: '#d62728', blue: '#1f77b4', green: '#2ca02c' };

/** A target's intervals (at each concurrency it names) and what they say of its bound. */
function intervalText({ judged, sure }: ReturnType<typeof ratios>[number]) {
  if (sure === undefined) return '-';
  const each = judged.map(
    ({ c, interval: x }) => `${c === undefined ? '' : `c=${c}: `}${n2(x!.low)} to ${n2(x!.high)}`,
  );
  return `${each.join(', ')} (${Math.round(judged[0]!.interval!.coverage * 100)} %): ${sure}`;
}

function throughputSection({ r, keys, concurrencies, labelOf }: View) {
  const cell = (k: VariantKey, c: number) => {
    const p = point(r.throughput, k, c);
    return p ? `${spread(p)}, p50 ${n1(p.p50)} ms, n=${p.completed}${p.errors ? `, ${p.errors} errors` : ''}` : '-';
  };
  const windows = r.throughput.filter((t) => t.variant === keys[0] && t.concurrency === concurrencies[0]).length;
  return [
    '## Throughput, closed loop (calculations completed per second)',
    '',
    `The median of ${windows} windows per variant and concurrency, taken in turns, with the lowest and ` +
      "highest window in parentheses; p50 is the median of the windows' p50 latencies.",
    '',
    table(
      ['concurrency', ...keys.map(labelOf)],
      concurrencies.map((c) => [String(c), ...keys.map((k) => cell(k, c))]),
    ),
    '',
    '```mermaid',
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${keys.map((k) => HEX[LINE_COLOR[k] ?? '']).join(', ')}"}}}}%%`,
    'xychart-beta',
    '  title "Throughput vs concurrency (medians)"',
    `  x-axis "concurrent clients" [${concurrencies.map((c) => `"${c}"`).join(', ')}]`,
    '  y-axis "calculations / s"',
    ...keys.map(
      (k) =>
        `  line "${labelOf(k)}" [${concurrencies.map((c) => n1(point(r.throughput, k, c)?.perSecond ?? 0)).join(', ')}]`,
    ),
    '```',
    '',
    `Lines: ${keys.map((k) => `${LINE_COLOR[k]}: ${labelOf(k)}`).join('; ')}.`,
    '',
  ];
}

function costSection({ r, keys, concurrencies, labelOf }: View) {
  const points = keys.flatMap((k) => concurrencies.flatMap((c) => point(r.throughput, k, c) ?? []));
  if (!points.some((p) => Number.isFinite(p.cost.server))) return [];
  const perProcess = keys.flatMap((k) => {
    const ps = concurrencies.map((c) => point(r.throughput, k, c));
    const names = [
      ...new Set(ps.flatMap((p) => p?.windows.flatMap((t) => servedBy(k, t.cpu).map((x) => x.name)) ?? [])),
    ];
    const rows = names.map((name) => [name, ...ps.map((p) => n1(p?.perProcess(name)))]);
    return [`${labelOf(k)}:`, '', table(['process', ...concurrencies.map((c) => `c=${c}`)], rows), ''];
  });
  return [
    "## CPU per calculation (ms), and the server's own counters",
    '',
    'CPU time (user + system, from /proc/<pid>/stat) each process used from the start of a throughput window ' +
      'until its last calculation ended, divided by the calculations that ended; the median of the windows. ' +
      '"ours" is our workers and the API (for the baseline its workflow worker and its activity process, or ' +
      "its processes laid out as the pipeline's); the launcher only " +
      'relays logs and the bench client is the load generator, so neither is counted. The last four columns ' +
      "come from the server's Prometheus endpoint, read before and after each window, per calculation: tasks " +
      'handed to a waiting poller at once among all tasks handed out (a calculation needs 4 workflow tasks and ' +
      '3 activity tasks), tasks written to the database for later (CreateTasks), all requests to the ' +
      'database (the work a way of calling the server adds shows here), and timer tasks processed ' +
      '(timeouts that fire 5 to 10 s after their task started, whether it ended or not). Each window starts ' +
      `${r.settings.settleSeconds} s after the one before, once that one's timeouts have fired, so a window ` +
      'counts only timeouts of its own calculations: those that fire before it ends.',
    '',
    table(
      ['variant', 'concurrency', ...COST_COLUMNS, 'bench client', ...COUNTERS],
      points.map((p) => [
        labelOf(p.variant),
        String(p.concurrency),
        ...[...costCells(p), p.cost.benchClient].map(n1),
        ...counters(p),
      ]),
    ),
    '',
    'Each process, per variant (ms per calculation, medians):',
    '',
    ...perProcess,
  ];
}

export function markdown(r: BenchResults): string {
  const { machine: m, versions: v } = r;
  const labelOf = (k: VariantKey) => r.labels[k] ?? k;
  // The calculations: the latency phase also times requests that are none.
  const keys = r.latency.map((l) => l.variant).filter((k) => r.throughput.some((t) => t.variant === k));
  const concurrencies = [...new Set(r.throughput.map((t) => t.concurrency))].sort((a, b) => a - b);
  const view = { r, keys, concurrencies, labelOf };
  const errors = [
    ...r.latency,
    ...r.throughput,
    ...(r.describe ?? []),
    ...(r.health ?? []),
    ...(r.contention?.throughput ?? []),
    ...(r.sameRate?.throughput ?? []),
    ...r.api,
  ].reduce((a, x) => a + x.errors, 0);
  // Workers against workers: the Temporal server and the API serve both variants alike.
  const workerPeaks = (baseline: boolean) => {
    const of = (p: (typeof r.memoryBeforeApiLoad)[number]) =>
      baseline ? p.service === BASELINE_SERVICE : p.service !== BASELINE_SERVICE && p.service !== SPLIT_SERVICE;
    const workers = r.memoryBeforeApiLoad.filter((p) => p.language && of(p));
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
    'Each judged on medians of the windows. "Interval": where the median lies, with the probability ' +
      "given, by the spread of the rounds (of the windows, for the API's CPU) and nothing else: the " +
      'k-th lowest and highest of them (the sign test), at each concurrency a target names; met or ' +
      'missed when every interval lies on one side of the bound, else the rounds cannot tell.' +
      (r.previous
        ? ` "Run before": the same figure in the run of ${r.previous.date}, and how far this one is from it.`
        : ''),
    '',
    table(
      ['ratio', 'value', 'target', 'met', 'interval', 'detail', ...(r.previous ? ['run before', 'difference'] : [])],
      ratios(r).map((x) => {
        const before = r.previous?.targets.find((t) => t.name === x.name)?.value;
        const change = `${n1(((x.value - (before ?? NaN)) / Math.abs(before ?? NaN)) * 100)} %`;
        const cells = [x.name, `${n2(x.value)} ${x.unit}`, x.target, x.met ? 'yes' : 'no', intervalText(x), x.detail];
        return r.previous ? [...cells, n2(before), change] : cells;
      }),
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
    // The baseline laid out as the pipeline's processes runs in the throughput phase only.
    ...costSection({
      ...view,
      keys: [...keys, ...(r.throughput.some((t) => t.variant === 'split') ? ['split' as const] : [])],
    }),
    ...describeSection(view),
    ...contentionSection(view),
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
