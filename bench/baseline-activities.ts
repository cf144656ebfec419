/**
 * power_of_2, power_of_4 and power_of_6 as the baseline serves them: the contract check and
 * the BigInt power of the TypeScript worker (consumers/power_of_6_nodejs), with no wait, since
 * the benchmark runs every real worker with a zero wait too.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { INVALID_NUMBER, invalidNumberMessage, payloadProblem, type StepName } from '@calc/contracts';

export function powerActivity(activity: StepName, exponent: number): (payload: unknown) => Promise<string> {
  const power = BigInt(exponent);
  return async (payload) => {
    const problem = payloadProblem(payload);
    if (problem !== undefined) {
      throw ApplicationFailure.create({
        type: INVALID_NUMBER,
        message: invalidNumberMessage(activity, payload, problem),
        nonRetryable: true,
      });
    }
    const result = (BigInt(payload as string) ** power).toString();
    // The real workers log one line per computed step; the baseline pays the same.
    Context.current().log.info(`${activity} computed`, { digits: result.length });
    return result;
  };
}
