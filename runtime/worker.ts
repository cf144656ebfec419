/**
 * The start-up every TypeScript worker process shares: settings, probe, logs and metrics,
 * tracing, the connection from the SDK's envconfig, then poll until SIGINT/SIGTERM, which the
 * Runtime turns into a drain of the tasks in hand.
 */
import type { VersioningBehavior } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import contract from '@calc/contracts/dist/contract.json';
import { dataConverter } from './codec';
import { setUpTracing, workerIdentity, workerRuntimeOptions, type Tracing } from './index';
import { startProbe } from './probe';
import {
  exitOnSettingsError,
  readDeploymentVersion,
  readPayloadSettings,
  readSettings,
  workerSettings,
  type DeploymentVersion,
  type PayloadSettings,
  type Pollers,
} from './settings';

/** What a worker is, besides its task queue and what it serves. */
export interface WorkerBase {
  connection: NativeConnection;
  namespace: string;
  identity: string;
  /** Undefined: an unversioned worker (TEMPORAL_WORKER_VERSIONING=off). */
  version: DeploymentVersion | undefined;
  payloads: PayloadSettings;
  tracing?: Tracing;
  shutdownGraceMs: number;
  /** fixed (unset): the SDK's default number of pollers; autoscaling: the SDK sizes them to the load. */
  pollers?: Pollers;
}

const AUTOSCALING = { type: 'autoscaling' } as const;

/** The options every worker of the project is created with. */
export function workerOptions(b: WorkerBase) {
  return {
    connection: b.connection,
    namespace: b.namespace,
    identity: b.identity,
    // The contract's default behaviour (pinned: a calculation finishes on the code it started
    // on); the SDK asks for one even on a worker without workflows, where it applies to nothing.
    // None without a version (TEMPORAL_WORKER_VERSIONING=off): an unversioned worker.
    workerDeploymentOptions: b.version && {
      useWorkerVersioning: true,
      version: b.version,
      defaultVersioningBehavior: contract.deployment.workflowVersioningBehavior.toUpperCase() as VersioningBehavior,
    },
    // The codec runs outside the workflow sandbox; the failure converter goes into its bundle.
    dataConverter: dataConverter(b.payloads),
    shutdownGraceTime: b.shutdownGraceMs,
    ...(b.pollers === 'autoscaling' && {
      workflowTaskPollerBehavior: AUTOSCALING,
      activityTaskPollerBehavior: AUTOSCALING,
    }),
    // Continues the trace of the headers; workflow spans leave the sandbox through a sink.
    plugins: b.tracing ? [new OpenTelemetryPlugin(b.tracing)] : [],
  } satisfies Partial<WorkerOptions>;
}

export interface WorkerProcess {
  /** The identity's prefix, `<activity>-<language>`, and the traces' service.name. */
  name: string;
  serviceName: string;
  /** The task queue, and the activities or workflows served there. */
  serves: Pick<WorkerOptions, 'taskQueue' | 'activities' | 'workflowsPath'> & { taskQueue: string };
  /** More fields of the `worker ready` record. */
  details?: Record<string, unknown>;
}

/**
 * Runs a worker process to its end. `describe` reads the worker's own settings first; a bad
 * setting exits with the contract's code, naming `program` (`power_of_6 worker`).
 */
export function runWorker(program: string, describe: () => WorkerProcess): void {
  run(describe).catch((err: unknown) => {
    console.error(exitOnSettingsError(program, err));
    process.exit(1);
  });
}

async function run(describe: () => WorkerProcess): Promise<void> {
  const { name, serviceName, serves, details } = describe();
  const settings = readSettings(workerSettings);
  const payloads = readPayloadSettings();
  const version = readDeploymentVersion();
  const identity = workerIdentity(name, settings.WORKER_REPLICA);
  const { taskQueue } = serves;
  const probe = await startProbe({
    identity,
    taskQueue,
    version,
    port: settings.HEALTH_PORT,
    host: settings.HEALTH_HOST,
  });
  Runtime.install(workerRuntimeOptions(settings, identity));
  const tracing = setUpTracing(process.env, serviceName);
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const pollers = settings.TEMPORAL_WORKER_POLLERS;
    const base = { connection, namespace, identity, version, payloads, tracing, pollers };
    const shutdownGraceMs = settings.WORKER_SHUTDOWN_GRACE_SECONDS * 1000;
    const worker = await Worker.create({ ...workerOptions({ ...base, shutdownGraceMs }), ...serves });
    // Worker.run() polls from its first tick.
    const running = worker.run();
    probe.markReady();
    const versioned = version
      ? { deployment: version.deploymentName, build_id: version.buildId }
      : { versioning: 'off' };
    Runtime.instance().logger.info('worker ready', { task_queue: taskQueue, ...versioned, pollers, ...details });
    await running;
  } finally {
    await probe.close();
    await connection.close();
    await tracing?.shutdown();
  }
}
