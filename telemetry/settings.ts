/**
 * Settings from the environment, checked with envalid against the rules of contract.json, so
 * that every language refuses the same values with the same one-line message and exit code.
 */
import { customCleanEnv, makeValidator, str, type ValidatorSpec } from 'envalid';
// dist/ holds the copy each image ships; the source file stays in the build stage.
import contract from '@calc/contracts/dist/contract.json';

const { probe, settings } = contract;
const SHOWN_CHARS = 40;

export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly rule: string,
  ) {
    const shown =
      value.length > SHOWN_CHARS ? `${JSON.stringify(value.slice(0, SHOWN_CHARS))}...` : JSON.stringify(value);
    super(`invalid setting ${variable}=${shown}: expected ${rule}`);
  }
}

/** What a parser throws; readSettings adds the variable's name and value. */
class RuleError extends Error {}

function matching<T>(pattern: RegExp, rule: string, parse: (raw: string) => T | undefined) {
  return makeValidator<T>((raw) => {
    const value = pattern.test(raw) ? parse(raw) : undefined;
    if (value === undefined) throw new RuleError(rule);
    return value;
  });
}

const DIGITS = /^[0-9]+$/;

export function wholeNumber(min: number, max: number) {
  return matching(DIGITS, `a whole number from ${min} to ${max}`, (raw) => {
    const n = Number(raw);
    return n >= min && n <= max ? n : undefined;
  });
}

export const seconds = matching(new RegExp(settings.seconds.pattern), settings.seconds.rule, Number);

export const port = matching(DIGITS, settings.port.rule, (raw) => {
  const n = Number(raw);
  return n >= 1 && n <= 65535 ? n : undefined;
});

/** A port that is off (undefined) when unset or empty. */
export const optionalPort = () => port({ default: undefined });

export const replica = matching(new RegExp(settings.replica.pattern), settings.replica.rule, (raw) => raw);

export type LogFormat = 'json' | 'text';
export const logFormat = matching<LogFormat>(/^(json|text)$/, settings.logFormat.rule, (raw) => raw as LogFormat);

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const logLevel = matching<LogLevel>(
  new RegExp(`^(${LOG_LEVELS.join('|')})$`, 'i'),
  `one of ${LOG_LEVELS.join(', ')}`,
  (raw) => raw.toLowerCase() as LogLevel,
);

export type Env = Record<string, string | undefined>;

/**
 * The cleaned settings named by `spec`. An empty variable counts as unset (Compose and
 * Kubernetes pass `NAME=` for an optional setting left blank). Throws SettingsError naming the
 * first bad variable, in the order of `spec`.
 */
export function readSettings<S extends Record<string, ValidatorSpec<unknown>>>(spec: S, env: Env = process.env) {
  const raw = Object.fromEntries(Object.keys(spec).map((name) => [name, env[name] || undefined]));
  // A plain frozen object: envalid's default proxy adds isDev/isProd and throws on unknown keys.
  return customCleanEnv(raw, spec, (cleaned) => cleaned, {
    reporter: ({ errors }) => {
      const [name, err] = Object.entries(errors)[0] ?? [];
      if (name === undefined || err === undefined) return;
      if (!(err instanceof RuleError)) throw err;
      throw new SettingsError(name, raw[name] ?? '', err.message);
    },
  });
}

/**
 * For a process's top-level catch: a bad setting prints `<program>: <message>` and exits with
 * the contract's code; anything else is returned for the caller to report.
 */
export function exitOnSettingsError(program: string, err: unknown): unknown {
  if (!(err instanceof SettingsError)) return err;
  process.stderr.write(`${program}: ${err.message}\n`);
  process.exit(settings.exitCode);
}

/** What every worker process reads besides its own settings. */
export const workerSettings = {
  WORKER_REPLICA: replica({ default: settings.replica.default }),
  WORKER_SHUTDOWN_GRACE_SECONDS: seconds({ default: settings.shutdownGrace.default }),
  LOG_FORMAT: logFormat({ default: settings.logFormat.default as LogFormat }),
  LOG_LEVEL: logLevel({ default: 'info' }),
  METRICS_PORT: optionalPort(),
  METRICS_HOST: str({ default: '127.0.0.1' }),
  HEALTH_PORT: optionalPort(),
  HEALTH_HOST: str({ default: probe.defaultHost }),
};
export type WorkerSettings = ReturnType<typeof readSettings<typeof workerSettings>>;
