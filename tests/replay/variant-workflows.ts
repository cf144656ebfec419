/**
 * CalculateWorkflow as a careless change might leave it, for the replay test to catch: the same
 * steps, but power_of_4 (Go) before power_of_2 (Python). Every recorded run scheduled
 * power_of_2 first, so replaying any of them against this code must fail.
 */
import { STEPS } from '@calc/contracts';
import { runSteps, type CalculateOptions } from '../../producers/workflow/workflows';

export async function CalculateWorkflow(number: string, options: CalculateOptions = {}): Promise<string> {
  const [first, second, ...rest] = STEPS;
  return runSteps(
    number,
    [second!, first!, ...rest].map((s) => ({ activity: s.activity, task_queue: s.taskQueue, language: s.language })),
    options,
  );
}
