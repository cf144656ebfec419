/**
 * The two load shapes: one client calculating in sequence (latency), and a closed loop of
 * `concurrency` clients, each starting its next calculation when the last one ends (throughput).
 */
import { performance } from 'node:perf_hooks';
import type { ProcessCost } from './cpu';
import { summarize, type LatencySummary } from './stats';
import { numberAt, type Variant, type VariantKey } from './variants';

/** Longest one calculation may take before it counts as an error; none should come close. */
const CALC_TIMEOUT_MS = 60_000;

export interface Tally {
  errors: number;
  /** The first few error messages, to tell what went wrong. */
  errorSamples: string[];
}

function recordError(tally: Tally, err: unknown): void {
  tally.errors += 1;
  if (tally.errorSamples.length < 5) tally.errorSamples.push(err instanceof Error ? err.message : String(err));
}

async function timed(variant: Variant, n: number): Promise<number> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CALC_TIMEOUT_MS / 1000} s`)), CALC_TIMEOUT_MS);
  });
  try {
    await Promise.race([variant.calculate(n), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return performance.now() - start;
}

/** The variants in another order for each round, so that no one always runs first or last. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export interface LatencyResult extends Tally {
  variant: VariantKey;
  summary: LatencySummary;
}

/** One client, calculations in sequence, the variants interleaved call by call. */
export async function sequentialLatency(all: readonly Variant[], calcs: number, offset = 0): Promise<LatencyResult[]> {
  const results = new Map<VariantKey, { samples: number[]; tally: Tally }>();
  for (const v of all) results.set(v.key, { samples: [], tally: { errors: 0, errorSamples: [] } });
  for (let i = 0; i < calcs; i++) {
    for (const v of rotated(all, i)) {
      const r = results.get(v.key)!;
      try {
        r.samples.push(await timed(v, numberAt(offset + i)));
      } catch (err) {
        recordError(r.tally, err);
      }
    }
  }
  return all.map((v) => {
    const r = results.get(v.key)!;
    return { variant: v.key, summary: summarize(r.samples), ...r.tally };
  });
}

export interface ThroughputResult extends Tally {
  variant: VariantKey;
  concurrency: number;
  /** Calculations completed (and checked) inside the window. */
  completed: number;
  /** Every calculation that ended well, those still running when the window closed included. */
  finished: number;
  seconds: number;
  perSecond: number;
  latency: LatencySummary;
  /** CPU each process used in the window, per calculation that ended (run.ts adds it). */
  cpu?: ProcessCost[];
}

/**
 * A closed loop of `concurrency` clients. The window ends after `seconds` or once `maxCalcs`
 * calculations have completed, whichever comes first; calculations still running then are
 * awaited and checked, but not counted, so the next window starts on an idle system.
 */
export async function throughputWindow(
  variant: Variant,
  concurrency: number,
  seconds: number,
  maxCalcs: number,
): Promise<ThroughputResult> {
  const tally: Tally = { errors: 0, errorSamples: [] };
  const samples: number[] = [];
  let next = 0;
  let completed = 0;
  let finished = 0;
  let end: number | undefined;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const closeIfDone = () => {
    if (end === undefined && (performance.now() >= deadline || completed >= maxCalcs)) end = performance.now();
  };
  const client = async () => {
    while (end === undefined) {
      const i = next++;
      try {
        const ms = await timed(variant, numberAt(i));
        finished += 1;
        if (end === undefined) {
          completed += 1;
          samples.push(ms);
        }
      } catch (err) {
        recordError(tally, err);
      }
      closeIfDone();
    }
  };
  // A timer closes the window on time even when every client is stuck in a slow calculation.
  const ticker = setInterval(closeIfDone, 50);
  try {
    await Promise.all(Array.from({ length: concurrency }, client));
  } finally {
    clearInterval(ticker);
  }
  const elapsed = ((end ?? performance.now()) - start) / 1000;
  return {
    variant: variant.key,
    concurrency,
    completed,
    finished,
    seconds: elapsed,
    perSecond: completed / elapsed,
    latency: summarize(samples),
    ...tally,
  };
}
