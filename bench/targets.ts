/**
 * The project's targets (README "What a calculation costs"), judged on the results of one run:
 * each with its value, whether it is met, and the figures it comes from.
 */
import type { ThroughputResult } from './load';
import type { VariantKey } from './variants';
import {
  costOf,
  costSummary,
  medianInterval,
  p50Of,
  pacedDescribeCost,
  paired,
  perSecond,
  point,
  type BenchResults,
  type Interval,
} from './results';

/** The interval the windows or rounds give a target's median, at concurrency `c` where it names several. */
type Judged = { c?: number; interval: Interval | undefined };

/** Where the difference of two medians lies, from the interval of each: at least as likely as both. */
const differenceOf = (a: Interval | undefined, b: Interval | undefined): Interval | undefined =>
  a && b ? { low: a.low - b.high, high: a.high - b.low, coverage: a.coverage + b.coverage - 1 } : undefined;

/**
 * What the intervals say of a target's bound: met or missed when every one lies on one side of it
 * (missed as soon as one lies on the wrong side), else the rounds cannot tell; undefined where a
 * figure has no interval.
 */
function sureOf(op: '>=' | '<=', bound: number, judged: readonly Judged[]) {
  const intervals = judged.flatMap((j) => j.interval ?? []);
  if (intervals.length === 0 || intervals.length < judged.length) return undefined;
  const ok = (v: number) => (op === '>=' ? v >= bound : v <= bound);
  if (intervals.some((x) => !ok(x.low) && !ok(x.high))) return 'missed';
  return intervals.every((x) => ok(x.low) && ok(x.high)) ? 'met' : 'cannot tell';
}

/** `a` against `b` in throughput as the CPU of every process predicts it: the inverse ratio. */
const cpuBound = (throughput: readonly ThroughputResult[], ab: [VariantKey, VariantKey], c: number) =>
  paired(throughput, ab, c, costOf('machine'), (x, y) => y / x).value;

/**
 * A window's figure over the CPU its client (the benchmark's process) spent per calculation. The
 * direct start and the baseline cost their client the same SDK start and result, and a burst of
 * load from elsewhere on a shared machine makes every process spend more CPU on the same work in
 * that window, the client with them: the ratio of two such windows is meant to cancel it. Shown
 * beside the target, not judged: over six runs it was no steadier within a run (bench/README.md).
 */
const perClientCpu = (f: (t: ThroughputResult) => number) => (t: ThroughputResult) =>
  f(t) / (costSummary(t)?.benchClient ?? NaN);

/** The concurrencies at which the targets on CPU are judged: one client, and eight. */
export const COST_CONCURRENCIES = [1, 8];

/**
 * The project's targets (README "What a calculation costs"): each ratio of two variants judged
 * round by round (`paired`), the API's CPU on the median of its windows.
 */
export function ratios({ latency, throughput, describe, health = [], sameRate, labels }: BenchResults) {
  const labelOf = (k: VariantKey) => labels[k] ?? k;
  const p50 = (variant: VariantKey) => p50Of(latency, variant);
  const intervalOf = (variant: VariantKey) => latency.find((l) => l.variant === variant)?.summary.p50Interval;
  const at = (variant: VariantKey, c: number) => point(throughput, variant, c);
  const concurrencies = [...new Set(throughput.map((t) => t.concurrency))].sort((a, b) => a - b);
  // The worst of a figure over several concurrencies, with each shown, and each one's interval.
  type Figure = { value: number; interval: Interval | undefined };
  const worst = (cs: number[], f: (c: number) => Figure, higherIsWorse: boolean) => {
    const each = cs.map((c) => ({ c, ...f(c) }));
    const value = each.reduce(
      (w, x) => (!Number.isFinite(x.value) || (higherIsWorse ? x.value > w : x.value < w) ? x.value : w),
      higherIsWorse ? -Infinity : Infinity,
    );
    const judged: Judged[] = each.map(({ c, interval }) => ({ c, interval }));
    return { value, detail: each.map((x) => `c=${x.c}: ${x.value.toFixed(2)}`).join(', '), judged };
  };
  const [direct8, base8] = [at('direct', 8), at('baseline', 8)];
  const f1 = (v: number | undefined) => (v ?? NaN).toFixed(1);
  const versus = (a: number | undefined, b: number | undefined, unit: string) => `${f1(a)}${unit} vs ${f1(b)}${unit}`;
  const apiVsDirect = worst(concurrencies, (c) => paired(throughput, ['api', 'direct'], c, perSecond), false);
  const apiWindows = (c: number) =>
    throughput.filter((t) => t.variant === 'api' && t.concurrency === c).map((t) => costSummary(t)?.api ?? NaN);
  const predicted = (ab: [VariantKey, VariantKey], cs: number[]) =>
    `; as the CPU of every process predicts it: ${cs.map((c) => `c=${c}: ${cpuBound(throughput, ab, c).toFixed(2)}`).join(', ')}`;
  const apiCpu = worst(
    COST_CONCURRENCIES,
    (c) => ({ value: at('api', c)?.cost.api ?? NaN, interval: medianInterval(apiWindows(c)) }),
    true,
  );
  const totalVsBaseline = worst(
    COST_CONCURRENCIES,
    (c) => paired(throughput, ['api', 'baseline'], c, costOf('total')),
    true,
  );
  // The API's CPU that no setting removes, at each concurrency of the target: the SDK's start
  // and result (what they cost the bench client in the direct variant), the describe's client
  // side and two HTTP requests, all three at the pace of the API's calculations: the describe
  // as it cost the bench client above the pace alone, round by round.
  const floorAt = (c: number) => {
    const sdk = at('direct', c)?.cost.benchClient ?? NaN;
    const [described, answered] = [point(describe, 'describe', c), point(health, 'paced', c)];
    if (!described || !answered)
      return { value: sdk, text: `c=${c}: ${f1(sdk)} (the SDK's part only; the others not measured at c=${c})` };
    const d = pacedDescribeCost(describe, c).value;
    const h = answered.cost.api;
    const backToBack = `back to back ${f1(described.cost.benchClient)} and ${f1(2 * (point(health, 'health', c)?.cost.api ?? NaN))}`;
    return {
      value: sdk + d + h,
      text: `c=${c}: ${f1(sdk)} + ${f1(d)} + ${f1(h)} = ${f1(sdk + d + h)} (${backToBack})`,
    };
  };
  const apiFloor =
    "what the SDK's start and result cost the bench client (direct) + a describe's client side + " +
    `two GET /health in the API, the last two at a calculation's pace: ${COST_CONCURRENCIES.map((c) => floorAt(c).text).join(', ')}`;
  // The least the API path can cost against the baseline: the direct start's server + ours, and
  // the API's floor above; at one client, the direct start spaced by the API path's extra time
  // where measured, since the server and the workers spend more per calculation when they idle.
  const totalFloor = COST_CONCURRENCIES.map((c) => {
    const spaced = at('spaced', c)?.cost.total;
    const [direct, base, floor] = [
      spaced ?? at('direct', c)?.cost.total ?? NaN,
      at('baseline', c)?.cost.total ?? NaN,
      floorAt(c).value,
    ];
    const which = spaced === undefined ? '' : ` (${labelOf('spaced')}; not spaced ${f1(at('direct', c)?.cost.total)})`;
    return `c=${c}: (${f1(direct)} + ${f1(floor)}) / ${f1(base)} = ${((direct + floor) / base).toFixed(2)}${which}`;
  });
  // At one client throughput is the inverse of latency: the direct start spaced by the API path's
  // extra time gives the throughput ratio that time alone allows.
  const spacedRatio = at('spaced', 1)
    ? `; ${labelOf('spaced')} / direct start, c=1: ${paired(throughput, ['spaced', 'direct'], 1, perSecond).value.toFixed(2)}`
    : '';
  const roundsOf = (x: ReturnType<typeof paired>) => `rounds ${x.rounds.map((r) => r.toFixed(2)).join(', ')}`;
  const rounded = (x: ReturnType<typeof paired>) => `${x.value.toFixed(2)} (${roundsOf(x)})`;
  // The floor of our processes' CPU that the pipeline's layout sets: the baseline with a process
  // per activity worker of the pipeline's, against the baseline; and what ours adds to that.
  const layoutFloor = at('split', 8)
    ? `; ${labelOf('split')} / baseline: ${rounded(paired(throughput, ['split', 'baseline'], 8, costOf('ours')))}, ` +
      `medians ${versus(at('split', 8)?.cost.ours, base8?.cost.ours, ' ms')}; polyglot (direct start) / that: ` +
      rounded(paired(throughput, ['direct', 'split'], 8, costOf('ours')))
    : '';
  // A ratio judged round by round, with each round's value and the medians it compares.
  const pair = (ab: [VariantKey, VariantKey], c: number, f: (t: ThroughputResult) => number, medians: string) => {
    const x = paired(throughput, ab, c, f);
    return [x.value, `${roundsOf(x)}; medians ${medians}`, [{ interval: x.interval }]] as const;
  };
  // At one rate both paths sustain (run.ts sameRatePhase), where the server's CPU per calculation
  // is the work each path asks of it; at saturation, beside it, it follows the rate (docs/benchmark.md).
  const serverAtOneRate = () => {
    const windows = sameRate?.throughput ?? [];
    // The phase's concurrency (BENCH_COMPARE_CONCURRENCY, 8 unless set).
    const c = windows[0]?.concurrency ?? 8;
    const [api, direct] = [point(windows, 'api', c), point(windows, 'direct', c)];
    const x = paired(windows, ['api', 'direct'], c, costOf('server'));
    const saturated = paired(throughput, ['api', 'direct'], c, costOf('server'));
    // What the server is asked to store and read, steadier than its CPU time: the same ratio,
    // round by round, of its persistence requests per calculation.
    const persistence = paired(windows, ['api', 'direct'], c, (t) => t.server?.persistence ?? NaN).value;
    const detail =
      `each client one calculation every ${f1(sameRate?.paceMs)} ms (${versus(api?.perSecond, direct?.perSecond, '/s')}); ` +
      `${roundsOf(x)}; medians ${versus(api?.cost.server, direct?.cost.server, ' ms')}; persistence requests ` +
      `${versus(api?.server.persistence, direct?.server.persistence, '')}, ${persistence.toFixed(3)} x; the API's CPU ` +
      `${f1(api?.cost.api)} ms; at saturation (throughput phase): ${rounded(saturated)}, medians ` +
      versus(at('api', c)?.cost.server, at('direct', c)?.cost.server, ' ms');
    return [x.value, detail, [{ interval: x.interval }]] as const;
  };
  // Name, unit, target, value, the figures it comes from, and the intervals of its medians.
  const targets: (readonly [string, string, string, number, string, readonly Judged[]])[] = [
    [
      'polyglot (direct start) / baseline throughput at c=8',
      'x',
      '>= 0.9',
      ...pair(
        ['direct', 'baseline'],
        8,
        perSecond,
        versus(direct8?.perSecond, base8?.perSecond, '/s') + predicted(['direct', 'baseline'], [8]),
      ),
    ],
    [
      "our processes' CPU per calculation, polyglot (direct start) / baseline, c=8",
      'x',
      '<= 1.15',
      ...pair(
        ['direct', 'baseline'],
        8,
        costOf('ours'),
        `${versus(direct8?.cost.ours, base8?.cost.ours, ' ms')}; each window's figure over its client's CPU per ` +
          `calculation, a gauge of the machine's speed in that window: ` +
          rounded(paired(throughput, ['direct', 'baseline'], 8, perClientCpu(costOf('ours')))) +
          layoutFloor,
      ),
    ],
    [
      'API / direct-start throughput, at every concurrency (the lowest)',
      'x',
      '>= 0.9',
      apiVsDirect.value,
      apiVsDirect.detail + predicted(['api', 'direct'], concurrencies) + spacedRatio,
      apiVsDirect.judged,
    ],
    [
      "the API's own CPU per calculation, c=1 and c=8 (the highest)",
      'ms',
      '<= 3',
      apiCpu.value,
      `${apiCpu.detail}; ${apiFloor}`,
      apiCpu.judged,
    ],
    ['server CPU per calculation, via the API / direct start, c=8, at one rate', 'x', '<= 1.05', ...serverAtOneRate()],
    [
      'sequential p50, via the API - direct start',
      'ms',
      '<= 2',
      p50('api') - p50('direct'),
      versus(p50('api'), p50('direct'), ' ms') +
        // What the API path adds that no setting removes: two HTTP round trips and the describe
        // (the second request travels while the calculation runs, so not all of it is on the path).
        `; two GET /health and one describe in the same turns: ${f1(2 * p50('health') + p50('describe'))} ms, ` +
        `one GET /health and one describe: ${f1(p50('health') + p50('describe'))} ms`,
      [{ interval: differenceOf(intervalOf('api'), intervalOf('direct')) }],
    ],
    [
      'server + ours per calculation via the API / the whole baseline, c=1 and c=8 (the highest)',
      'x',
      '<= 1.10',
      totalVsBaseline.value,
      `${totalVsBaseline.detail}; the direct start's server + ours and the API's floor, over the baseline's ` +
        `(medians): ${totalFloor.join(', ')}`,
      totalVsBaseline.judged,
    ],
  ];
  return targets.map(([name, unit, target, value, detail, judged]) => {
    const [op, bound] = target.split(' ') as ['>=' | '<=', string];
    const met = op === '>=' ? value >= Number(bound) : value <= Number(bound);
    return { name, value, unit, target, detail, met, judged, sure: sureOf(op, Number(bound), judged) };
  });
}
