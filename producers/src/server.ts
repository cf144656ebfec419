/**
 * Entry point of the REST API: read the settings, open the one Temporal client of this
 * process, listen, and close both cleanly on SIGTERM/SIGINT.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { buildApp } from './app';
import { ConfigError, loadApiConfig } from './config';

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const { connectionOptions, namespace } = loadClientConnectConfig();
  // A lazy connection lets the API start (and report 503 on /health) before Temporal is up.
  const connection = Connection.lazy(connectionOptions);
  const client = new Client({ connection, namespace: namespace ?? 'default' });
  const app = await buildApp({ client, config, logger: { level: process.env.LOG_LEVEL || 'info' } });

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
  console.error(err instanceof ConfigError ? `api: ${err.message}` : err);
  process.exit(1);
});
