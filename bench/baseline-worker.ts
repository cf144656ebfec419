/**
 * The baseline's activity process: one Node.js process polling the three baseline queues,
 * one Worker per queue as each real worker has one. Started by baseline.ts.
 */
import { hostname } from 'node:os';
import { NativeConnection, Worker } from '@temporalio/worker';
import { dataConverter, readPayloadSettings } from '@calc/runtime';
import { BASELINE_STEPS } from './baseline-queues';
import { powerActivity } from './baseline-activities';

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set');
  const connection = await NativeConnection.connect({ address });
  try {
    const workers = await Promise.all(
      BASELINE_STEPS.map((step) =>
        Worker.create({
          connection,
          namespace: 'default',
          taskQueue: step.taskQueue,
          identity: `${step.activity}-typescript-baseline@${hostname()}:${process.pid}`,
          activities: { [step.activity]: powerActivity(step.activity, step.exponent) },
          dataConverter: dataConverter(readPayloadSettings()),
        }),
      ),
    );
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
