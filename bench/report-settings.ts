/**
 * The report's sections on the describe per result read and one HTTP round trip, on one more
 * busy process, and on the stacks with other settings.
 */
import { COST_COLUMNS, COUNTERS, costCells, counters, n1, n2, spread, table, type View } from './cells';
import { CONTROL, envText } from './config';
import { BURNER_SERVICE } from './procs';
import type { ThroughputResult } from './load';
import type { VariantKey } from './variants';
import { costOf, costSummary, median, p50Of, paceOf, pacedDescribeCost, paired, perSecond, point } from './results';

/** What a describe, the API's one per result read, and one HTTP round trip cost, at each concurrency measured. */
export function describeSection({ r }: View) {
  const clients = (c: number) => `${c} client${c === 1 ? '' : 's'}`;
  const concurrencies = [...new Set(r.describe.map((d) => d.concurrency))].sort((a, b) => a - b);
  if (concurrencies.length === 0) return [];
  const p50 = (k: VariantKey) => p50Of(r.latency, k);
  const at = (c: number) => {
    const d = point(r.describe, 'describe', c)!;
    const calc = point(r.throughput, 'api', c);
    const share = (d.cost.server / (calc?.cost.total ?? NaN)) * 100;
    // One HTTP round trip to the API, from runs that measured it.
    const h = r.health && point(r.health, 'health', c);
    const paced = r.health && point(r.health, 'paced', c);
    const wakes = pacedDescribeCost(r.describe, c);
    return [
      `Describing one finished calculation, ${clients(c)}, ${d.windows.length} windows: ` +
        `${spread(d)} describes/s; per describe the server spent ${n2(d.cost.server)} ms of CPU and the ` +
        `client ${n2(d.cost.benchClient)} ms, ${n1(share)} % of a whole calculation via the API at that ` +
        `concurrency (${n1(calc?.cost.total)} ms, server + ours).` +
        (h
          ? ` \`GET /health\`, which calls no Temporal service, ${clients(c)}: ${spread(h)} requests/s; ` +
            `per request the API spent ${n2(h.cost.api)} ms of CPU and the client ${n2(h.cost.benchClient)} ms.`
          : '') +
        (paced
          ? ` Two of them every ${n1(paceOf(r.throughput, c))} ms per client: ${n2(paced.cost.api)} ms of the API's CPU per pair.`
          : '') +
        (wakes.rounds.length
          ? ` A describe at that pace cost the client ${n2(wakes.value)} ms above the pace alone ` +
            `(rounds ${wakes.rounds.map(n2).join(', ')}).`
          : ''),
      '',
    ];
  };
  return [
    '## The describe per result read, and one HTTP round trip',
    '',
    ...concurrencies.flatMap(at),
    ...(r.health
      ? [`Sequential p50: ${n2(p50('health'))} ms for \`GET /health\`, ${n2(p50('describe'))} ms for a describe.`, '']
      : []),
  ];
}

/**
 * The direct start beside a process that burns what the API spent, against the direct start
 * alone, round by round, beside the same ratios of the API against the direct start.
 */
export function contentionSection({ r, labelOf }: View) {
  const e = r.contention;
  const c = e?.throughput[0]?.concurrency ?? 0;
  const [alone, beside] = [point(e?.throughput ?? [], 'direct', c), point(e?.throughput ?? [], 'contended', c)];
  if (!e || !alone || !beside) return [];
  const burner = (t: ThroughputResult) => t.cpu.find((p) => p.name === BURNER_SERVICE)?.perCalcMs ?? NaN;
  const ratio = (f: (t: ThroughputResult) => number) => [
    n2(paired(e.throughput, ['contended', 'direct'], c, f).value),
    n2(paired(r.throughput, ['api', 'direct'], c, f).value),
  ];
  const rows: [string, (t: ThroughputResult) => number][] = [
    ['calculations/s', perSecond],
    ['Temporal server CPU per calculation', costOf('server')],
    ['ours (workers and API) per calculation', costOf('ours')],
    ['bench client per calculation', (t) => costSummary(t)?.benchClient ?? NaN],
    ['every process measured, per calculation', costOf('machine')],
  ];
  return [
    '## One more busy process',
    '',
    `The API spends CPU on a machine the server and the workers share. Here the direct start ran alone and ` +
      `beside a process that spins ${n2(e.cores)} of a core (what the API spent at c=${c} in the throughput ` +
      `phase) and does nothing else, ${alone.windows.length} windows each in turns at c=${c}. The burner used ` +
      `${n1(median(beside.windows.map(burner)))} ms per calculation. Each ratio is taken round by round, as ` +
      'the targets are; beside it, the same ratio of the API against the direct start.',
    '',
    table(
      ['figure', `${labelOf('contended')} / alone`, 'via the API / direct start'],
      rows.map(([name, f]) => [name, ...ratio(f)]),
    ),
    '',
  ];
}

export function comparisonSection({ r: { comparison: e }, labelOf }: View) {
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
          n1(p50Of(e.latency, variant)),
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
