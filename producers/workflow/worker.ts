/**
 * Entry point of the workflow worker: serves CalculateWorkflow on calculation-task-queue.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { WORKFLOW_TASK_QUEUE, WORKFLOW_TYPE } from '@calc/contracts';
import {
  exitOnSettingsError,
  readDeploymentVersion,
  readPayloadSettings,
  readSettings,
  setUpTracing,
  startProbe,
  workerIdentity,
  workerRuntimeOptions,
  workerSettings,
} from '@calc/runtime';
import { createWorkflowWorker } from './create-worker';

async function main(): Promise<void> {
  const settings = readSettings(workerSettings);
  const payloads = readPayloadSettings();
  const version = readDeploymentVersion();
  const identity = workerIdentity(`${WORKFLOW_TYPE}-typescript`, settings.WORKER_REPLICA);
  const probe = await startProbe({
    identity,
    taskQueue: WORKFLOW_TASK_QUEUE,
    version,
    port: settings.HEALTH_PORT,
    host: settings.HEALTH_HOST,
  });
  Runtime.install(workerRuntimeOptions(settings, identity));
  const tracing = setUpTracing(process.env, 'calc-workflow-worker');
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const worker = await createWorkflowWorker({
      connection,
      namespace: namespace ?? 'default',
      identity,
      version,
      payloads,
      tracing,
      shutdownGraceMs: settings.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
    });
    // Worker.run() polls from its first tick; the Runtime turns SIGINT/SIGTERM into a drain.
    const running = worker.run();
    probe.markReady();
    Runtime.instance().logger.info('worker ready', {
      task_queue: WORKFLOW_TASK_QUEUE,
      deployment: version.deploymentName,
      build_id: version.buildId,
    });
    await running;
  } finally {
    await probe.close();
    await connection.close();
    await tracing?.shutdown();
  }
}

main().catch((err: unknown) => {
  console.error(exitOnSettingsError('workflow worker', err));
  process.exit(1);
});
