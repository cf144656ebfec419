/**
 * BaselineCalculateWorkflow: CalculateWorkflow's own steps (the same workflow code, progress
 * query, timeouts, retry policy and cancellation; three activity tasks on three queues), but
 * every step is served by one TypeScript process: the floor the polyglot pipeline is compared
 * against.
 *
 * Bundled into Temporal's deterministic sandbox: no Node built-ins, no I/O here.
 */
import { runSteps, type CalculateOptions } from '../producers/workflow/workflows';
import { BASELINE_STEPS } from './baseline-queues';

export async function BaselineCalculateWorkflow(number: string, options: CalculateOptions = {}): Promise<string> {
  return runSteps(
    number,
    BASELINE_STEPS.map((s) => ({ activity: s.activity, task_queue: s.taskQueue, language: 'typescript' })),
    options,
  );
}
