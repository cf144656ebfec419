/**
 * One of the baseline's processes (procs.ts starts them). `workflow` serves both baseline
 * workflows, its bundle built at start as the real workflow worker's is. `activities` serves the
 * three steps, one Worker per queue as each real worker has one, with the contract check and
 * BigInt power of the TypeScript worker (consumers/power_of_6_nodejs) and no wait, as the
 * benchmark runs every real worker. `step <activity>` serves that one step on the split queues,
 * as one of the pipeline's activity workers does.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { INVALID_NUMBER, invalidNumberMessage, payloadProblem, type StepName } from '@calc/contracts';
import { dataConverter, readPayloadSettings } from '@calc/runtime';
import { READY } from './procs';
import { BASELINE_STEPS, BASELINE_WORKFLOW_QUEUE, SPLIT_STEPS } from './baseline-workflows';

function powerActivity(activity: StepName, exponent: number) {
  return async (payload: unknown): Promise<string> => {
    const problem = payloadProblem(payload);
    if (problem !== undefined) {
      const message = invalidNumberMessage(activity, payload, problem);
      throw ApplicationFailure.create({ type: INVALID_NUMBER, message, nonRetryable: true });
    }
    const result = (BigInt(payload as string) ** BigInt(exponent)).toString();
    // The real workers log one line per computed step; the baseline pays the same.
    Context.current().log.info(`${activity} computed`, { digits: result.length });
    return result;
  };
}

async function main(role: string | undefined, step: string | undefined): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const common = { connection, namespace: 'default', dataConverter: dataConverter(readPayloadSettings()) };
  const roles: Pick<WorkerOptions, 'taskQueue' | 'workflowsPath' | 'activities'>[] =
    role === 'workflow'
      ? [{ taskQueue: BASELINE_WORKFLOW_QUEUE, workflowsPath: require.resolve('./baseline-workflows') }]
      : (role === 'step' ? SPLIT_STEPS.filter((s) => s.activity === step) : BASELINE_STEPS).map(
          ({ activity, taskQueue, exponent }) => ({
            taskQueue,
            activities: { [activity]: powerActivity(activity, exponent) },
          }),
        );
  if (roles.length === 0) throw new Error(`no step named ${step}`);
  try {
    const workers = await Promise.all(roles.map((options) => Worker.create({ ...common, ...options })));
    const running = workers.map((w) => w.run());
    console.log(READY);
    await Promise.all(running);
  } finally {
    await connection.close();
  }
}

main(process.argv[2], process.argv[3]).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
