/**
 * Prometheus text pages, as the Temporal server, the workers and the API serve them: their
 * samples, and the server's counters that the tests and the benchmark read per calculation.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of a page; comments and blank lines skipped, escaped quotes in labels kept. */
export function samplesOf(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) return [];
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    return [{ name: m[1]!, labels, value: Number(m[3]) }];
  });
}

/** The sum of the samples named `name` whose labels pass `where`. */
export function sumOf(samples: readonly Sample[], name: string, where = (_: Record<string, string>) => true): number {
  return samples.filter((s) => s.name === name && where(s.labels)).reduce((total, s) => total + s.value, 0);
}

/**
 * The Temporal server's counters, each summed over every other label: tasks handed to a poller
 * (`pollAll`) and, of those, to one already waiting (`pollSync`); task writes for later
 * (`createTasks`) among all persistence requests; timer tasks processed (`timerTasks`).
 */
export function serverCounters(samples: readonly Sample[]) {
  const operation = (test: (op: string) => boolean) => (labels: Record<string, string>) => test(labels.operation ?? '');
  return {
    pollSync: sumOf(samples, 'poll_success_sync'),
    pollAll: sumOf(samples, 'poll_success'),
    createTasks: sumOf(
      samples,
      'persistence_requests',
      operation((op) => op === 'CreateTasks'),
    ),
    persistence: sumOf(samples, 'persistence_requests'),
    timerTasks: sumOf(
      samples,
      'task_requests',
      operation((op) => op.startsWith('TimerActive')),
    ),
  };
}
export type ServerCounter = keyof ReturnType<typeof serverCounters>;
