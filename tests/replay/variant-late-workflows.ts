/**
 * CalculateWorkflow with a change that only shows after the first step: a one-second timer
 * between power_of_2 and the rest. Replay must fail for the recorded runs that got past
 * power_of_2 and must still pass for those that ended during it (failed, cancelled), since
 * their recorded commands are still exactly what this code issues.
 */
import { sleep } from '@temporalio/workflow';
import { STEPS } from '@calc/contracts';
import { runSteps, type CalculateOptions } from '../../producers/workflow/workflows';

export async function CalculateWorkflow(number: string, options: CalculateOptions = {}): Promise<string> {
  const [first, ...rest] = STEPS.map((s) => ({ activity: s.activity, task_queue: s.taskQueue, language: s.language }));
  const squared = await runSteps(number, [first!], options);
  await sleep(1000);
  return runSteps(squared, rest, options);
}
