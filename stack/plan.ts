/**
 * What each process of the topology is given: its ports, its settings (the Temporal address,
 * the payload keys, the build id) and the shell command that runs it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import contract from '../contracts/contract.json';
import { log, settings } from './settings';
import { ROOT, type LocalProcess } from './topology';

/** Ports every instance needs one of: handed out upwards from <NAME>_BASE_PORT. */
export const PER_INSTANCE_PORTS: Record<string, string> = {
  METRICS_PORT: 'METRICS_BASE_PORT',
  HEALTH_PORT: 'HEALTH_BASE_PORT',
};

/** A process of the topology with the settings the launcher gives it. */
export interface Planned extends LocalProcess {
  env: Record<string, string>;
  /** Its ports by setting name, e.g. { HEALTH_PORT: 9474 }. */
  portsByName: Record<string, number>;
}

/**
 * The payload keys: PAYLOAD_KEYS when set, else a local key made on the first run and kept in
 * the data folder (which git ignores), so that encryption is on without a step of its own.
 */
function payloadKeys(dataDir: string): Record<string, string> {
  if (settings.PAYLOAD_KEYS || settings.PAYLOAD_ENCRYPTION === 'off') return {};
  const file = join(dataDir, 'payload-keys');
  if (!existsSync(file)) {
    writeFileSync(file, `local-1:${randomBytes(contract.encryption.keyBytes).toString('base64')}\n`, { mode: 0o600 });
    log(`made a payload encryption key in ${file}`);
  }
  return { PAYLOAD_KEYS: readFileSync(file, 'utf8').trim() };
}

/** TEMPORAL_WORKER_BUILD_ID when set, else the commit checked out, else the contract's default. */
function buildId(): string {
  if (settings.TEMPORAL_WORKER_BUILD_ID) return settings.TEMPORAL_WORKER_BUILD_ID;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return contract.deployment.defaultBuildId;
  }
}

export function plan(processes: LocalProcess[], dataDir: string, temporalAddress: string): Planned[] {
  const ui = settings.TEMPORAL_UI_PORT;
  // What every process gets, and what `{NAME}` in a command can name.
  const shared: Record<string, string> = {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: settings.TEMPORAL_NAMESPACE,
    TEMPORAL_PORT: String(settings.TEMPORAL_PORT),
    TEMPORAL_UI_PORT: String(ui),
    TEMPORAL_DEV_SERVER_ARGS: settings.TEMPORAL_DEV_SERVER_ARGS,
    API_PORT: String(settings.API_PORT),
    API_HOST: settings.API_HOST,
    STACK_DATA_DIR: dataDir,
    TEMPORAL_DEPLOYMENT_NAME: settings.TEMPORAL_DEPLOYMENT_NAME,
    TEMPORAL_WORKER_BUILD_ID: buildId(),
    // The Temporal UI asks the API's codec endpoint to decrypt what it shows.
    CODEC_CORS_ORIGIN: `http://localhost:${ui}`,
    ...payloadKeys(dataDir),
  };
  const next: Record<string, number> = {};
  return processes.map((p) => {
    const portsByName = Object.fromEntries(
      p.ports.flatMap((name) => {
        if (name === 'METRICS_PORT' && !settings.STACK_WORKER_METRICS) return [];
        const base = PER_INSTANCE_PORTS[name];
        if (!base) return [[name, settings[name as keyof typeof settings] as number]];
        const value = next[name] ?? (settings[base as keyof typeof settings] as number);
        next[name] = value + 1;
        return [[name, value]];
      }),
    );
    const env: Record<string, string> = {
      ...shared,
      ...Object.fromEntries(Object.entries(portsByName).map(([k, v]) => [k, String(v)])),
      ...(p.replicas > 1 ? { WORKER_REPLICA: String(p.replica) } : {}),
    };
    return { ...p, env, portsByName };
  });
}

const shellQuote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/**
 * The shell command concurrently runs: the argv with `{NAME}` filled in from the process's env,
 * and an argument `{...NAME}` replaced by the words of that setting, none when it is empty.
 */
export function shellCommand(p: Planned): string {
  const argv = p.command.flatMap((arg) => {
    const spread = /^\{\.\.\.([A-Z0-9_]+)\}$/.exec(arg);
    if (spread) return (p.env[spread[1]!] ?? '').split(/\s+/).filter(Boolean);
    return [arg.replace(/\{([A-Z0-9_]+)\}/g, (_, name: string) => p.env[name] ?? '')];
  });
  const [program, ...args] = argv;
  // Paths in the topology are from the repository root (or the service's cwd); `node` is on PATH.
  const executable = program!.includes('/') ? resolve(p.cwd, program!) : program!;
  return ['exec', executable, ...args].map(shellQuote).join(' ');
}
