/**
 * Entry point of the power_of_6 worker: check the settings, connect, poll until SIGTERM/SIGINT.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import {
  dataConverter,
  exitOnSettingsError,
  readDeploymentVersion,
  readPayloadSettings,
  setUpTracing,
  startProbe,
  workerIdentity,
  workerDeploymentOptions,
  workerRuntimeOptions,
} from '@calc/runtime';
import { powerOf6, STEP } from './activities';
import { loadWorkerConfig } from './config';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const payloads = readPayloadSettings();
  const version = readDeploymentVersion();
  const identity = workerIdentity(`${STEP.activity}-${STEP.language}`, config.WORKER_REPLICA);
  const probe = await startProbe({
    identity,
    taskQueue: STEP.taskQueue,
    version,
    port: config.HEALTH_PORT,
    host: config.HEALTH_HOST,
  });
  Runtime.install(workerRuntimeOptions(config, identity));
  const tracing = setUpTracing(process.env, 'power-of-6-typescript');
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const worker = await Worker.create({
      connection,
      namespace: namespace ?? 'default',
      taskQueue: STEP.taskQueue,
      identity,
      workerDeploymentOptions: workerDeploymentOptions(version),
      activities: { [STEP.activity]: powerOf6(config.waitSeconds) },
      dataConverter: dataConverter(payloads),
      shutdownGraceTime: config.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
      // Continues the trace the workflow put in the activity's headers (RunActivity span).
      plugins: tracing ? [new OpenTelemetryPlugin(tracing)] : [],
    });
    // Worker.run() polls from its first tick; the Runtime turns SIGINT/SIGTERM into a drain.
    const running = worker.run();
    probe.markReady();
    Runtime.instance().logger.info('worker ready', {
      task_queue: STEP.taskQueue,
      deployment: version.deploymentName,
      build_id: version.buildId,
      wait_seconds: config.waitSeconds,
    });
    await running;
  } finally {
    await probe.close();
    await connection.close();
    await tracing?.shutdown();
  }
}

main().catch((err: unknown) => {
  console.error(exitOnSettingsError('power_of_6 worker', err));
  process.exit(1);
});
