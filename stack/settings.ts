/**
 * The launcher's settings, read once with the project's settings rules; a malformed value stops
 * `make up` before anything starts, with the same one-line message every process gives.
 */
import { resolve } from 'node:path';
import { exitOnSettingsError, onOff, optionalPort, port, readSettings } from '@calc/runtime';
import { str } from 'envalid';
import contract from '../contracts/contract.json';
import { ROOT } from './topology';

export const START_TIMEOUT_MS = 120_000;

export function log(message: string): void {
  console.log(`[stack] ${message}`);
}

export const settings = (() => {
  try {
    return readSettings({
      TEMPORAL_PORT: port({ default: 7233 }),
      TEMPORAL_UI_PORT: port({ default: 8080 }),
      // The embedded server's Prometheus metrics, under the workers' METRICS_BASE_PORT.
      TEMPORAL_METRICS_PORT: port({ default: 9463 }),
      API_PORT: port({ default: 8000 }),
      METRICS_BASE_PORT: port({ default: 9464 }),
      HEALTH_BASE_PORT: port({ default: 9474 }),
      // Off: no worker is given a METRICS_PORT, so none serves Prometheus metrics.
      STACK_WORKER_METRICS: onOff({ default: true }),
      API_HOST: str({ default: '127.0.0.1' }),
      STACK_DATA_DIR: str({ default: '.data' }),
      TEMPORAL_ADDRESS: str({ default: '' }),
      // Comma-separated compose services to run instead of all, e.g. `temporal` alone.
      STACK_SERVICES: str({ default: '' }),
      TEMPORAL_NAMESPACE: str({ default: 'default' }),
      // More flags for the embedded server, separated by spaces.
      TEMPORAL_DEV_SERVER_ARGS: str({ default: '' }),
      // Checked by every process that reads them; here only passed on, or made when missing.
      PAYLOAD_KEYS: str({ default: '' }),
      PAYLOAD_ENCRYPTION: str({ default: 'on' }),
      TEMPORAL_WORKER_BUILD_ID: str({ default: '' }),
      TEMPORAL_DEPLOYMENT_NAME: str({ default: contract.deployment.defaultName }),
      // Unused here, read so that a malformed value is reported before anything starts.
      METRICS_PORT: optionalPort(),
    });
  } catch (err) {
    exitOnSettingsError('stack', err);
    throw err;
  }
})();

/** The server's state, the payload key made on the first run and stack.json. */
export const DATA_DIR = resolve(ROOT, settings.STACK_DATA_DIR);
