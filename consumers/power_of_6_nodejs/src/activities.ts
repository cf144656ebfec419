/**
 * The power_of_6 activity: n -> n^6 with BigInt, after the configured simulated wait.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  HEARTBEAT_INTERVAL_SECONDS,
  INVALID_NUMBER,
  invalidNumberMessage,
  payloadProblem,
  stepNamed,
} from '@calc/contracts';

export const STEP = stepNamed('power_of_6');

/** Waits `seconds`, heartbeating so that a dead worker or a cancellation is noticed. */
async function waitWhileHeartbeating(seconds: number): Promise<void> {
  const ctx = Context.current();
  const deadline = Date.now() + seconds * 1000;
  for (let left = deadline - Date.now(); left > 0; left = deadline - Date.now()) {
    ctx.heartbeat();
    // Context.sleep rejects with CancelledFailure as soon as a cancellation arrives.
    await ctx.sleep(Math.min(left, HEARTBEAT_INTERVAL_SECONDS * 1000));
  }
}

/** Checks a payload against the contract and turns it into a BigInt. */
export function parsePayload(value: unknown): bigint {
  const problem = payloadProblem(value);
  if (problem !== undefined) {
    throw ApplicationFailure.create({
      type: INVALID_NUMBER,
      message: invalidNumberMessage(STEP.activity, value, problem),
      nonRetryable: true,
    });
  }
  return BigInt(value as string);
}

/** The activity function, registered under the contract's name (see main.ts). */
export function powerOf6(waitSeconds: number): (payload: unknown) => Promise<string> {
  return async (payload) => {
    const n = parsePayload(payload);
    if (waitSeconds > 0) await waitWhileHeartbeating(waitSeconds);
    const result = (n ** BigInt(STEP.exponent)).toString();
    Context.current().log.info('power_of_6 computed', { digits: result.length });
    return result;
  };
}
