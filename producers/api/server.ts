/**
 * Entry point of the REST API: read the settings, open the one Temporal client of this
 * process, listen, and close both cleanly on SIGTERM/SIGINT.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import {
  createLogger,
  dataConverter,
  exitOnSettingsError,
  payloadCodec,
  readPayloadSettings,
  readDeploymentVersion,
  setUpTracing,
  workerIdentity,
  workerRuntimeOptions,
} from '@calc/runtime';
import { WORKFLOW_TYPE } from '@calc/contracts';
import { NativeConnection, Runtime, TransportError, type NativeConnectionOptions } from '@temporalio/worker';
import { buildApp } from './app';
import { loadApiConfig } from './config';
import { createWorkflowWorker } from '../workflow/create-worker';

/**
 * The SDK's Rust client, as the workers use: it costs the API a third less CPU per calculation
 * than @grpc/grpc-js (bench/README.md). It connects before it is returned, so the API listens
 * once Temporal answers, retrying each second and saying so; once connected it reconnects by
 * itself, and a request meanwhile gets 503.
 */
async function connect(options: NativeConnectionOptions): Promise<NativeConnection> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await NativeConnection.connect(options);
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      if (attempt === 1 || attempt % 30 === 0)
        console.error(`api: Temporal at ${options.address} is unreachable (${err.message}); retrying every second`);
      await sleep(1000);
    }
  }
}

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const payloads = readPayloadSettings();
  const tracing = setUpTracing(process.env, 'calc-api');
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  // Until the connection is open a stop signal ends the process at once.
  const stopEarly = () => process.exit(0);
  process.once('SIGTERM', stopEarly);
  process.once('SIGINT', stopEarly);
  // Who starts calculations (in their histories), and the workflow worker's name, replica
  // `api`, for the worker the API runs with eager start.
  const clientIdentity = workerIdentity('calc', 'api');
  const logSettings = { LOG_FORMAT: config.logFormat, LOG_LEVEL: config.logLevel };
  const identity = workerIdentity(`${WORKFLOW_TYPE}-typescript`, 'api');
  // The API's own handlers (below) decide what a stop signal does, to a worker here too.
  Runtime.install({
    ...workerRuntimeOptions(
      { ...logSettings, METRICS_PORT: undefined, METRICS_HOST: '' },
      config.eagerStart ? identity : clientIdentity,
    ),
    shutdownSignals: [],
  });
  const connection = await connect(connectionOptions);
  process.off('SIGTERM', stopEarly);
  process.off('SIGINT', stopEarly);
  const client = new Client({
    connection,
    identity: clientIdentity,
    namespace,
    dataConverter: dataConverter(payloads),
    // Puts the trace context into the workflow's headers: the workflow continues the trace.
    interceptors: tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined,
  });
  let closing = false;
  const worker = config.eagerStart
    ? await createWorkflowWorker({
        connection,
        namespace,
        identity,
        version: readDeploymentVersion(),
        payloads,
        tracing,
        // Workflow tasks take milliseconds; the stop below bounds the whole drain anyway.
        shutdownGraceMs: 10_000,
      })
    : undefined;
  // A worker that stops by itself (not from the stop below) takes the API down with it, as it
  // would the workflow-worker process, so that a supervisor restarts both together.
  const working = worker?.run().then(() => {
    if (!closing) throw new Error('the workflow worker stopped');
  });
  working?.catch((err: unknown) => {
    console.error('api: the workflow worker failed:', err);
    process.exit(1);
  });
  const app = await buildApp({
    client,
    config,
    codec: payloadCodec(payloads),
    logger: createLogger(logSettings, { service: 'calc-api' }),
  });

  const close = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // Requests in flight (a long-poll included) and a worker's tasks get this long to finish.
    setTimeout(() => {
      app.log.warn('requests or workflow tasks still open after 10 s; exiting');
      process.exit(0);
    }, 10_000).unref();
    try {
      await app.close();
      // The worker's tasks in hand finish (or are handed back) before the connection closes.
      worker?.shutdown();
      await working;
      await connection.close();
      await tracing?.shutdown();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', (signal) => void close(signal));
  process.once('SIGINT', (signal) => void close(signal));

  const address = await app.listen({ host: config.host, port: config.port });
  console.log(`api ready url=${address}${worker ? ` eager_start=on worker=${identity}` : ''}`);
}

main().catch((err: unknown) => {
  console.error(exitOnSettingsError('api', err));
  process.exit(1);
});
