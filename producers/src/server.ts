/**
 * Entry point of the REST API: read the settings, open the one Temporal client of this
 * process, listen, and close both cleanly on SIGTERM/SIGINT.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { FastifyServerOptions } from 'fastify';
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import {
  dataConverter,
  exitOnSettingsError,
  payloadCodec,
  readPayloadSettings,
  setUpTracing,
  type LogFormat,
} from '@calc/telemetry';
import { buildApp } from './app';
import { loadApiConfig } from './config';

/** Fastify's pino: JSON records, or one `[time] LEVEL: message {fields}` line each in text. */
function loggerOptions(format: LogFormat, level: string): FastifyServerOptions['logger'] {
  const options = { level, base: { service: 'calc-api' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') {
    // "info" rather than pino's 30, like the workers' records.
    return { ...options, formatters: { level: (label: string) => ({ level: label }) } };
  }
  // pid, hostname and service are the same on every line: the text form leaves them out. An
  // error stays on its record's line too (pino-pretty's stream would print it as a block).
  const prettify = prettyFactory({
    singleLine: true,
    errorLikeObjectKeys: [],
    ignore: 'pid,hostname,service',
    translateTime: false,
  });
  return { ...options, stream: { write: (record: string) => process.stdout.write(prettify(record)) } };
}

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const payloads = readPayloadSettings();
  const tracing = setUpTracing(process.env, 'calc-api');
  const { connectionOptions, namespace } = loadClientConnectConfig();
  // A lazy connection lets the API start (and report 503 on /ready) before Temporal is up.
  const connection = Connection.lazy(connectionOptions);
  const client = new Client({
    connection,
    namespace: namespace ?? 'default',
    dataConverter: dataConverter(payloads),
    // Puts the trace context into the workflow's headers: the workflow continues the trace.
    interceptors: tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined,
  });
  const app = await buildApp({
    client,
    config,
    codec: payloadCodec(payloads),
    logger: loggerOptions(config.logFormat, config.logLevel),
  });

  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // Requests in flight (a long-poll included) get this long to finish.
    setTimeout(() => {
      app.log.warn('requests still open after 10 s; exiting');
      process.exit(0);
    }, 10_000).unref();
    app
      .close()
      .then(() => connection.close())
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);

  const address = await app.listen({ host: config.host, port: config.port });
  console.log(`api ready url=${address}`);
}

main().catch((err: unknown) => {
  console.error(exitOnSettingsError('api', err));
  process.exit(1);
});
