/**
 * BaselineCalculateWorkflow: CalculateWorkflow's own step loop (the same progress query,
 * timeouts, retry policy and cancellation; three activity tasks on three queues), but every
 * step is served by one TypeScript process: the floor the polyglot pipeline is compared against.
 * SplitBaselineCalculateWorkflow: the same on queues of its own, which TypeScript processes laid
 * out as the pipeline's activity workers serve, one step each (procs.ts).
 *
 * Bundled into Temporal's deterministic sandbox: no Node built-ins, no I/O here.
 */
import { STEPS } from '@calc/contracts';
import { runSteps, type CalculateOptions } from '../producers/workflow/workflows';

// The baseline shares the stack's Temporal server, so its queues must never be the contract's.
export const BASELINE_WORKFLOW_QUEUE = 'bench-baseline-calculation-queue';
const stepsOn = (prefix: string) => STEPS.map((s) => ({ ...s, taskQueue: `${prefix}-${s.taskQueue}` }));
export const BASELINE_STEPS = stepsOn('bench-baseline');
export const SPLIT_STEPS = stepsOn('bench-split');

const run = (steps: typeof BASELINE_STEPS, number: string, options: CalculateOptions) =>
  runSteps(
    number,
    steps.map((s) => ({ activity: s.activity, task_queue: s.taskQueue, language: 'typescript' })),
    options,
  );

export async function BaselineCalculateWorkflow(number: string, options: CalculateOptions = {}): Promise<string> {
  return run(BASELINE_STEPS, number, options);
}

export async function SplitBaselineCalculateWorkflow(number: string, options: CalculateOptions = {}): Promise<string> {
  return run(SPLIT_STEPS, number, options);
}
