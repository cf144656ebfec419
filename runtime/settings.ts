/**
 * Settings from the environment, checked with envalid against the rules of contract.json, so
 * that every language refuses the same values with the same one-line message and exit code.
 */
import { customCleanEnv, makeValidator, str, type ValidatorSpec } from 'envalid';
// dist/ holds the copy each image ships; the source file stays in the build stage.
import contract from '@calc/contracts/dist/contract.json';

const { deployment, encryption, probe, settings } = contract;
const SHOWN_CHARS = 40;

export class SettingsError extends Error {
  override name = 'SettingsError';
  /** `value` undefined: a secret, which the message does not show. */
  constructor(
    readonly variable: string,
    readonly value: string | undefined,
    readonly rule: string,
  ) {
    const shown =
      value === undefined
        ? ' (value not shown)'
        : `=${JSON.stringify(value.slice(0, SHOWN_CHARS))}${value.length > SHOWN_CHARS ? '...' : ''}`;
    super(`invalid setting ${variable}${shown}: expected ${rule}`);
  }
}

/** What a parser throws; readSettings adds the variable's name and value. */
class RuleError extends Error {}
/** A RuleError about a secret: its value stays out of the message. */
class SecretRuleError extends RuleError {}

export function matching<T>(pattern: RegExp, rule: string, parse: (raw: string) => T | undefined) {
  return makeValidator<T>((raw) => {
    const value = pattern.test(raw) ? parse(raw) : undefined;
    if (value === undefined) throw new RuleError(rule);
    return value;
  });
}

/** One of `values`, exactly as written. */
export function oneOf<T>(values: readonly string[], rule: string, parse: (raw: string) => T) {
  return matching(new RegExp(`^(${values.join('|')})$`), rule, parse);
}

const DIGITS = /^[0-9]+$/;

export function wholeNumber(min: number, max: number, rule = `a whole number from ${min} to ${max}`) {
  return matching(DIGITS, rule, (raw) => (Number(raw) >= min && Number(raw) <= max ? Number(raw) : undefined));
}

export const seconds = matching(new RegExp(settings.seconds.pattern), settings.seconds.rule, Number);

export const port = wholeNumber(1, 65535, settings.port.rule);

/** A port that is off (undefined) when unset or empty. */
export const optionalPort = () => port({ default: undefined });

export const replica = matching(new RegExp(settings.replica.pattern), settings.replica.rule, (raw) => raw);

export type LogFormat = 'json' | 'text';
/** A switch such as PAYLOAD_ENCRYPTION: `on` or `off`. */
export const onOff = oneOf(['on', 'off'], encryption.switchRule, (raw) => raw === 'on');

export const logFormat = oneOf(['json', 'text'], settings.logFormat.rule, (raw) => raw as LogFormat);

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
      throw new SettingsError(name, err instanceof SecretRuleError ? undefined : (raw[name] ?? ''), err.message);
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

export type Pollers = 'fixed' | 'autoscaling';
export const pollers = oneOf(settings.pollers.values, settings.pollers.rule, (raw) => raw as Pollers);

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
  TEMPORAL_WORKER_POLLERS: pollers({ default: settings.pollers.default as Pollers }),
};
export type WorkerSettings = ReturnType<typeof readSettings<typeof workerSettings>>;

export const buildId = matching(new RegExp(deployment.buildIdPattern), deployment.buildIdRule, (raw) => raw);

const { versioning } = deployment;
const workerVersioning = oneOf(versioning.values, versioning.rule, (raw) => raw === 'on');

/** Whether a worker process runs as a Worker Deployment version, and which. */
export const deploymentSettings = {
  [versioning.variable]: workerVersioning({ default: versioning.default === 'on' }),
  [deployment.nameVariable]: str({ default: deployment.defaultName }),
  [deployment.buildIdVariable]: buildId({ default: deployment.defaultBuildId }),
} as const;

export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
}

/** The version a worker runs as; undefined with TEMPORAL_WORKER_VERSIONING=off (an unversioned worker). */
export function readDeploymentVersion(env: Env = process.env): DeploymentVersion | undefined {
  const s = readSettings(deploymentSettings, env);
  if (!s[versioning.variable]) return undefined;
  return { deploymentName: s[deployment.nameVariable] as string, buildId: s[deployment.buildIdVariable] as string };
}

const KEY_ID = new RegExp(encryption.keyIdPattern);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `<id>:<base64 of 32 bytes>` pairs, comma-separated; any flaw refuses the whole value. */
const payloadKeys = makeValidator<ReadonlyMap<string, Buffer>>((raw) => {
  const keys = new Map<string, Buffer>();
  for (const pair of raw.split(',')) {
    const colon = pair.indexOf(':');
    const id = pair.slice(0, colon);
    const text = pair.slice(colon + 1);
    const key = Buffer.from(text, 'base64');
    // Re-encoding catches what Node's lenient decoder lets by: missing padding, stray characters.
    const valid =
      colon > 0 &&
      KEY_ID.test(id) &&
      !keys.has(id) &&
      BASE64.test(text) &&
      key.length === encryption.keyBytes &&
      key.toString('base64') === text;
    if (!valid) throw new SecretRuleError(encryption.keysRule);
    keys.set(id, key);
  }
  return keys;
});

export type PayloadSettings =
  { encryption: false } | { encryption: true; keys: ReadonlyMap<string, Buffer>; keyId: string };

/**
 * PAYLOAD_ENCRYPTION, PAYLOAD_KEYS and PAYLOAD_KEY_ID, checked in that order. The keys are
 * required unless encryption is off, and no message ever shows them.
 */
export function readPayloadSettings(env: Env = process.env): PayloadSettings {
  const read = <T>(name: string, validator: ValidatorSpec<T>) => readSettings({ [name]: validator }, env)[name];
  if (!read(encryption.switchVariable, onOff({ default: true }))) return { encryption: false };
  const keys = read(encryption.keysVariable, payloadKeys({ default: undefined }));
  if (keys === undefined) throw new SettingsError(encryption.keysVariable, undefined, encryption.keysRule);
  const knownId = matching(/^.*$/s, encryption.keyIdRule, (raw) => (keys.has(raw) ? raw : undefined));
  return { encryption: true, keys, keyId: read(encryption.keyIdVariable, knownId({ default: [...keys.keys()][0]! }))! };
}
