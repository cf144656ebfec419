/**
 * Entry point of the power_of_6 worker: check the settings, connect, poll until SIGTERM/SIGINT.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Worker } from '@temporalio/worker';
import { powerOf6, STEP } from './activities';
import { ConfigError, loadWorkerConfig, workerIdentity } from './config';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env, STEP.waitVariable);
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const identity = workerIdentity(STEP.activity, STEP.language, config.replica);
    const worker = await Worker.create({
      connection,
      namespace: namespace ?? 'default',
      taskQueue: STEP.taskQueue,
      identity,
      activities: { [STEP.activity]: powerOf6(config.waitSeconds) },
      shutdownGraceTime: config.shutdownGraceSeconds * 1000,
    });
    // Worker.run() polls from its first tick; the Runtime turns SIGINT/SIGTERM into a drain.
    const running = worker.run();
    console.log(`worker ready identity=${identity} task_queue=${STEP.taskQueue} wait_seconds=${config.waitSeconds}`);
    await running;
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `power_of_6 worker: ${err.message}` : err);
  process.exit(1);
});
