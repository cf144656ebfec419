/**
 * Entry point of the REST API: read the settings, open the one Temporal client of this
 * process, listen, and close both cleanly on SIGTERM/SIGINT.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import pino from 'pino';
import { buildApp } from './app';
import { ConfigError, loadApiConfig } from './config';
import { formatLogLine, logFormat, setUpTracing, TelemetryConfigError, without, type LogFormat } from '@calc/telemetry';

/** pino writes JSON; in text mode each record is rewritten as one `time level msg k=v` line. */
function apiLogger(format: LogFormat, level: string) {
  const options = {
    level,
    base: { service: 'calc-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "info" rather than pino's 30, like the workers' records.
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === 'json') return pino(options);
  return pino(options, {
    write(line: string) {
      const record = JSON.parse(line) as Record<string, unknown>;
      const { time, level, msg } = record as { time: string; level: string; msg?: string };
      // pid, hostname and service are the same on every line: the text form leaves them out.
      const fields = without(record, ['time', 'level', 'msg', 'pid', 'hostname', 'service']);
      process.stdout.write(`${formatLogLine('text', new Date(time), level, msg ?? '', fields)}\n`);
    },
  });
}

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const loggerInstance = apiLogger(logFormat(process.env), process.env.LOG_LEVEL || 'info');
  const tracing = setUpTracing(process.env, 'calc-api');
  const { connectionOptions, namespace } = loadClientConnectConfig();
  // A lazy connection lets the API start (and report 503 on /ready) before Temporal is up.
  const connection = Connection.lazy(connectionOptions);
  const client = new Client({
    connection,
    namespace: namespace ?? 'default',
    // Puts the trace context into the workflow's headers: the workflow continues the trace.
    interceptors: tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined,
  });
  const app = await buildApp({ client, config, loggerInstance });

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
  const setting = err instanceof ConfigError || err instanceof TelemetryConfigError;
  console.error(setting ? `api: ${err.message}` : err);
  process.exit(1);
});
