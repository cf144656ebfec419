/** The cells and tables of the benchmark's Markdown report, shared by its sections. */
import type { VariantKey } from './variants';
import type { BenchResults, Point } from './results';

export const fixed = (digits: number) => (v: number | undefined) => (Number.isFinite(v) ? v!.toFixed(digits) : '-');
export const [n1, n2] = [fixed(1), fixed(2)];

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export type View = { r: BenchResults; keys: VariantKey[]; concurrencies: number[]; labelOf: (k: VariantKey) => string };

export const COST_COLUMNS = ['Temporal server', 'workflow worker', 'API', 'ours', 'server + ours'];
export const COUNTERS = ['tasks matched at once', 'CreateTasks', 'persistence requests', 'timer tasks'];
export const costCells = ({ cost: x }: Point) => [x.server, x.workflowWorker, x.api, x.ours, x.total];
export const counters = (p: Point) => [
  `${n2(p.server.pollSync)} of ${n2(p.server.pollAll)}`,
  n2(p.server.createTasks),
  n1(p.server.persistence),
  n2(p.server.timerTasks),
];
/** The median of a point's windows, with the lowest and highest window: `12.3 (11.9-13.0)`. */
export const spread = (p: Point) => `${n1(p.perSecond)} (${n1(p.lowest)}-${n1(p.highest)})`;
