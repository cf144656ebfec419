/**
 * The benchmark's results (results.ts) as a Markdown report: tables, a Mermaid chart that
 * GitHub draws, the targets and the comparison with other settings.
 */
import { BASELINE_SERVICE } from './procs';
import { CONTROL, envText } from './config';
import type { VariantKey } from './load';
import { costOf, paired, point, ratios, servedBy, type BenchResults, type Point } from './results';

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
const COUNTERS = ['tasks matched at once', 'CreateTasks', 'timer tasks'];
const costCells = ({ cost: x }: Point) => [x.server, x.workflowWorker, x.api, x.ours, x.total];
const counters = (p: Point) => [
  `${n2(p.server.pollSync)} of ${n2(p.server.pollAll)}`,
  n2(p.server.createTasks),
  n2(p.server.timerTasks),
];
/** The median of a point's windows, with the lowest and highest window: `12.3 (11.9-13.0)`. */
const spread = (p: Point) => `${n1(p.perSecond)} (${n1(p.lowest)}-${n1(p.highest)})`;

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
      '"ours" is our workers and the API (the baseline\'s two processes for the baseline); the launcher only ' +
      'relays logs and the bench client is the load generator, so neither is counted. The last three columns ' +
      "come from the server's Prometheus endpoint, read before and after each window, per calculation: tasks " +
      'handed to a waiting poller at once among all tasks handed out (a calculation needs 4 workflow tasks and ' +
      '3 activity tasks), tasks written to the database for later (CreateTasks), and timer tasks processed ' +
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

/** What a describe, the API's one per result read, costs against a whole calculation. */
function describeSection({ r }: View) {
  const d = point(r.describe, 'describe', r.describe[0]?.concurrency ?? 0);
  if (!d) return [];
  const calc = point(r.throughput, 'api', d.concurrency);
  const share = (d.cost.server / (calc?.cost.total ?? NaN)) * 100;
  return [
    '## The describe per result read',
    '',
    `Describing one finished calculation, ${d.concurrency} clients, ${d.windows.length} windows: ` +
      `${spread(d)} describes/s; per describe the server spent ${n2(d.cost.server)} ms of CPU and the ` +
      `client ${n2(d.cost.benchClient)} ms, ${n1(share)} % of a whole calculation via the API at that ` +
      `concurrency (${n1(calc?.cost.total)} ms, server + ours).`,
    '',
  ];
}

function comparisonSection({ r: { comparison: e }, labelOf }: View) {
  if (!e) return [];
  const c = e.concurrency;
  const rows = (['api', 'direct'] as const).flatMap((k) => {
    const base = point(e.throughput, `${k}-${CONTROL.tag}`, c);
    return e.stacks
      .map((x) => `${k}-${x.tag}` as VariantKey)
      .map((variant) => {
        const p = point(e.throughput, variant, c);
        const delta = paired(e.throughput, [variant, `${k}-${CONTROL.tag}`], c, costOf('total'), (x, y) => x - y).value;
        return [
          labelOf(variant),
          n1(e.latency.find((l) => l.variant === variant)?.summary.p50),
          p ? spread(p) : '-',
          ...(p ? costCells(p) : []).map(n1),
          ...(p ? counters(p) : []),
          variant === `${k}-${CONTROL.tag}`
            ? ''
            : `${delta >= 0 ? '+' : ''}${n1(delta)} (${n1((delta / (base?.cost.total ?? NaN)) * 100)} %)`,
        ];
      });
  });
  const stacks = e.stacks
    .filter((x) => x.tag !== CONTROL.tag)
    .map((x) => (x.label.includes(envText(x.env)) ? x.label : `${x.label} (${envText(x.env)})`));
  const windows = e.throughput.filter((t) => t.variant === `api-${CONTROL.tag}`).length;
  return [
    '## Other settings against the default',
    '',
    `The same pipeline on fresh stacks beside the first, each with its own server, measured in turns: one ` +
      `with the default settings, and ${stacks.join('; ')}. ` +
      `${e.latency[0]?.summary.count ?? 0} sequential calculations per variant, then ${windows} windows per ` +
      `variant at c=${c}; throughput and CPU (ms per calculation) are medians of the windows, and the last ` +
      'column is the difference in server + ours from the fresh default stack, window against window of the ' +
      'same round, the median over the rounds, in ms and as a share of the default. Every stack runs via the ' +
      'API, then every stack started directly, so that no two windows in a row share a server.' +
      (e.stacks.some((x) => x.tag === 'traced')
        ? ` OTLP export requests received from the traced stack: ${e.otlpRequests}.`
        : ''),
    '',
    table(
      ['variant', 'p50 ms', 'calculations/s', 'server', ...COST_COLUMNS.slice(1), ...COUNTERS, 'against the default'],
      rows,
    ),
    '',
  ];
}

export function markdown(r: BenchResults): string {
  const { machine: m, versions: v } = r;
  const labelOf = (k: VariantKey) => r.labels[k] ?? k;
  const keys = r.latency.map((l) => l.variant);
  const concurrencies = [...new Set(r.throughput.map((t) => t.concurrency))].sort((a, b) => a - b);
  const view = { r, keys, concurrencies, labelOf };
  const errors = [...r.latency, ...r.throughput, ...(r.describe ?? []), ...r.api].reduce((a, x) => a + x.errors, 0);
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
    'Each judged on medians of the windows.' +
      (r.previous
        ? ` "Run before": the same figure in the run of ${r.previous.date}, and how far this one is from it.`
        : ''),
    '',
    table(
      ['ratio', 'value', 'target', 'met', 'detail', ...(r.previous ? ['run before', 'difference'] : [])],
      ratios(r).map((x) => {
        const before = r.previous?.targets.find((t) => t.name === x.name)?.value;
        const change = `${n1(((x.value - (before ?? NaN)) / Math.abs(before ?? NaN)) * 100)} %`;
        const cells = [x.name, `${n2(x.value)} ${x.unit}`, x.target, x.met ? 'yes' : 'no', x.detail];
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
    ...costSection(view),
    ...describeSection(view),
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
