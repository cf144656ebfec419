/**
 * Entry point of the workflow worker: serves CalculateWorkflow on calculation-task-queue.
 */
import { hostname } from 'node:os';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Worker } from '@temporalio/worker';
import { WORKFLOW_TASK_QUEUE } from '@calc/contracts';

async function main(): Promise<void> {
  const replica = process.env.WORKER_REPLICA || '1';
  const identity = `CalculateWorkflow-typescript-${replica}@${hostname()}:${process.pid}`;
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const worker = await Worker.create({
      connection,
      namespace: namespace ?? 'default',
      taskQueue: WORKFLOW_TASK_QUEUE,
      identity,
      workflowsPath: require.resolve('./workflows'),
    });
    const running = worker.run();
    console.log(`worker ready identity=${identity} task_queue=${WORKFLOW_TASK_QUEUE}`);
    await running;
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
