/**
 * The baseline's workflow worker: serves BaselineCalculateWorkflow, configured as
 * producers/workflow/worker.ts configures the real one (defaults, bundle built at start).
 */
import { hostname } from 'node:os';
import { NativeConnection, Worker } from '@temporalio/worker';
import { dataConverter, readPayloadSettings } from '@calc/runtime';
import { BASELINE_WORKFLOW_QUEUE } from './baseline-queues';

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set');
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue: BASELINE_WORKFLOW_QUEUE,
      identity: `BaselineCalculateWorkflow-typescript-baseline@${hostname()}:${process.pid}`,
      workflowsPath: require.resolve('./baseline-workflows'),
      dataConverter: dataConverter(readPayloadSettings()),
    });
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
