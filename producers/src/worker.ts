/**
 * Entry point of the workflow worker: serves CalculateWorkflow on calculation-task-queue.
 */
import { hostname } from 'node:os';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import { announceReady, logFormat, ReadyFile, setUpTracing, workerRuntimeOptions } from '@calc/telemetry';

async function main(): Promise<void> {
  const replica = process.env.WORKER_REPLICA || '1';
  const identity = `CalculateWorkflow-typescript-${replica}@${hostname()}:${process.pid}`;
  const format = logFormat(process.env);
  const ready = new ReadyFile(process.env.WORKER_READY_FILE).clearOnStopSignal();
  Runtime.install(workerRuntimeOptions(process.env, identity));
  const tracing = setUpTracing(process.env, 'calc-workflow-worker');
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const worker = await Worker.create({
      connection,
      namespace: namespace ?? 'default',
      taskQueue: WORKFLOW_TASK_QUEUE,
      identity,
      workflowsPath: require.resolve('./workflows'),
      // Workflow spans are made in the sandbox and handed out through a sink to this processor.
      plugins: tracing ? [new OpenTelemetryPlugin(tracing)] : [],
    });
    const running = worker.run();
    announceReady(format, identity, { task_queue: WORKFLOW_TASK_QUEUE });
    ready.mark(identity);
    await running;
  } finally {
    ready.clear();
    await connection.close();
    await tracing?.shutdown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
