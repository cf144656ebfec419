/**
 * API settings from the environment, through the shared settings rules of @calc/runtime.
 * Every value has a default; a malformed one throws SettingsError naming the variable.
 */
import { str } from 'envalid';
import { logFormat, logLevel, matching, onOff, readSettings, wholeNumber } from '@calc/runtime';
import { DEFAULT_OPTIONS as defaults, type CalculateOptions } from '../workflow/workflows';

/** A web origin as browsers send it: scheme, host and port if not the default, nothing more. */
const origin = matching(/^https?:\/\/[^/?#\s]+$/, 'an origin such as http://localhost:8080', (raw) =>
  URL.canParse(raw) && new URL(raw).origin === raw ? raw : undefined,
);

export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(env: Record<string, string | undefined>) {
  const s = readSettings(
    {
      API_HOST: str({ default: '127.0.0.1' }),
      API_PORT: wholeNumber(0, 65535)({ default: 8000 }),
      MAX_INPUT_DIGITS: wholeNumber(1, 100_000)({ default: 1000 }),
      RESULT_MAX_WAIT_SECONDS: wholeNumber(0, 3600)({ default: 60 }),
      // When set, every route but /health and /ready needs `Authorization: Bearer <token>`.
      API_TOKEN: str({ default: undefined }),
      ACTIVITY_START_TO_CLOSE_TIMEOUT_SECONDS: wholeNumber(1, 86_400)({ default: defaults.startToCloseTimeoutSeconds }),
      ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS: wholeNumber(1, 3600)({ default: defaults.heartbeatTimeoutSeconds }),
      ACTIVITY_MAXIMUM_ATTEMPTS: wholeNumber(1, 1000)({ default: defaults.maximumAttempts }),
      LOG_FORMAT: logFormat({ default: 'text' }),
      LOG_LEVEL: logLevel({ default: 'info' }),
      // The one origin (the Temporal UI's) whose pages may call the codec routes.
      CODEC_CORS_ORIGIN: origin({ default: undefined }),
      // On: the API runs a workflow worker of its own and each start asks for the first workflow
      // task in its answer (eager start), skipping a round through the task queue.
      API_EAGER_START: onOff({ default: false }),
    },
    env,
  );
  return {
    host: s.API_HOST,
    port: s.API_PORT,
    maxInputDigits: s.MAX_INPUT_DIGITS,
    maxResultWaitSeconds: s.RESULT_MAX_WAIT_SECONDS,
    apiToken: s.API_TOKEN,
    workflowOptions: {
      startToCloseTimeoutSeconds: s.ACTIVITY_START_TO_CLOSE_TIMEOUT_SECONDS,
      heartbeatTimeoutSeconds: s.ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS,
      maximumAttempts: s.ACTIVITY_MAXIMUM_ATTEMPTS,
    } satisfies Required<CalculateOptions>,
    logFormat: s.LOG_FORMAT,
    logLevel: s.LOG_LEVEL,
    codecCorsOrigin: s.CODEC_CORS_ORIGIN,
    eagerStart: s.API_EAGER_START,
  };
}
