/**
 * CalculateWorkflow: sends a number through power_of_2 (Python), power_of_4 (Go) and
 * power_of_6 (TypeScript), each on its own task queue, and returns n^EXPONENT (the product of
 * the steps' exponents, see @calc/contracts) as a decimal string.
 *
 * Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O here.
 */
import { STEPS } from '@calc/contracts';
import { runSteps, type CalculateOptions } from './steps';

export { DEFAULT_OPTIONS, progressQuery } from './steps';
export type { CalculateOptions, CalculationProgress, StepProgress, StepStatus } from './steps';

export async function CalculateWorkflow(number: string, options: CalculateOptions = {}): Promise<string> {
  return runSteps(
    number,
    STEPS.map((s) => ({ activity: s.activity, task_queue: s.taskQueue, language: s.language })),
    options,
  );
}
