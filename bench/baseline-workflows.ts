/**
 * BaselineCalculateWorkflow: CalculateWorkflow's own step loop (the same progress query,
 * timeouts, retry policy and cancellation; three activity tasks on three queues), but every
 * step is served by one TypeScript process: the floor the polyglot pipeline is compared against.
 *
 * Bundled into Temporal's deterministic sandbox: no Node built-ins, no I/O here.
 */
import { STEPS } from '@calc/contracts';
import { runSteps, type CalculateOptions } from '../producers/workflow/workflows';

// The baseline shares the stack's Temporal server, so its queues must never be the contract's.
export const BASELINE_WORKFLOW_QUEUE = 'bench-baseline-calculation-queue';
export const BASELINE_STEPS = STEPS.map((s) => ({ ...s, taskQueue: `bench-baseline-${s.taskQueue}` }));

export async function BaselineCalculateWorkflow(number: string, options: CalculateOptions = {}): Promise<string> {
  return runSteps(
    number,
    BASELINE_STEPS.map((s) => ({ activity: s.activity, task_queue: s.taskQueue, language: 'typescript' })),
    options,
  );
}
