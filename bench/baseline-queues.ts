/**
 * Task queues of the single-language baseline. They live on the same Temporal server as the
 * polyglot stack, so their names must never collide with the contract's queues.
 */
import { STEPS, type StepName } from '@calc/contracts';

export const BASELINE_WORKFLOW_TYPE = 'BaselineCalculateWorkflow';
export const BASELINE_WORKFLOW_QUEUE = 'bench-baseline-calculation-queue';

/** The baseline queue of each step, in the order the workflow runs them. */
export const BASELINE_STEPS: readonly { activity: StepName; taskQueue: string; exponent: number }[] = STEPS.map(
  (s) => ({ activity: s.activity, taskQueue: `bench-baseline-${s.taskQueue}`, exponent: s.exponent }),
);
