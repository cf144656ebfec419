/**
 * API settings from the environment. Every value has a default; a malformed one stops the
 * API at start-up with a message naming the variable.
 */
import { DEFAULT_OPTIONS, type CalculateOptions } from './workflows';

export interface ApiConfig {
  host: string;
  port: number;
  /** Largest accepted input, in digits (the sign not counted). */
  maxInputDigits: number;
  /** Upper bound of `GET /result/{id}?wait=`. */
  maxResultWaitSeconds: number;
  workflowOptions: Required<CalculateOptions>;
  /** When set, every route but /health needs `Authorization: Bearer <token>`. */
  apiToken?: string;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function loadApiConfig(env: Env): ApiConfig {
  return {
    host: env.API_HOST || '127.0.0.1',
    port: integer(env, 'API_PORT', 8000, 0, 65535),
    maxInputDigits: integer(env, 'MAX_INPUT_DIGITS', 1000, 1, 100_000),
    maxResultWaitSeconds: integer(env, 'RESULT_MAX_WAIT_SECONDS', 60, 0, 3600),
    apiToken: env.API_TOKEN || undefined,
    workflowOptions: {
      startToCloseTimeoutSeconds: integer(
        env,
        'ACTIVITY_START_TO_CLOSE_TIMEOUT_SECONDS',
        DEFAULT_OPTIONS.startToCloseTimeoutSeconds,
        1,
        86_400,
      ),
      heartbeatTimeoutSeconds: integer(
        env,
        'ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS',
        DEFAULT_OPTIONS.heartbeatTimeoutSeconds,
        1,
        3600,
      ),
      maximumAttempts: integer(env, 'ACTIVITY_MAXIMUM_ATTEMPTS', DEFAULT_OPTIONS.maximumAttempts, 1, 1000),
    },
  };
}
