/**
 * The processes of the local stack, their commands and settings. The launcher (up.ts) and
 * the end-to-end tests both start the stack from this one description.
 */
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');

export interface StackSettings {
  /** gRPC frontend of the embedded Temporal server. */
  temporalPort: number;
  /** Temporal Web UI, served by the same dev server. */
  uiPort: number;
  apiPort: number;
  /** Folder of the server's SQLite file; its state survives a restart. */
  dataDir: string;
  /** Interface the Temporal server binds to. */
  host: string;
  /** Interface the API binds to (API_HOST). */
  apiHost: string;
  /**
   * First of the five consecutive Prometheus ports of the workers (METRICS_BASE_PORT), in the
   * order of WORKER_METRICS: workflow, power_of_2#1, power_of_2#2, power_of_4, power_of_6.
   */
  metricsBasePort: number;
}

/** The workers in the order of their metrics ports, from METRICS_BASE_PORT on. */
export const WORKER_METRICS = ['workflow', 'power_of_2#1', 'power_of_2#2', 'power_of_4', 'power_of_6'] as const;

/** The Prometheus port the launcher gives a worker (METRICS_PORT in its environment). */
export function metricsPort(s: StackSettings, name: (typeof WORKER_METRICS)[number]): number {
  return s.metricsBasePort + WORKER_METRICS.indexOf(name);
}

export interface Service {
  name: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
  /** A line the process prints once it is serving. */
  ready: RegExp;
}

type Env = Record<string, string | undefined>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < 1 || value > 65535) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a TCP port (1-65535)`);
  }
  return value;
}

export function stackSettings(env: Env): StackSettings {
  const metricsBasePort = port(env, 'METRICS_BASE_PORT', 9464);
  if (metricsBasePort + WORKER_METRICS.length - 1 > 65535) {
    throw new Error(`METRICS_BASE_PORT=${metricsBasePort} leaves no room for ${WORKER_METRICS.length} ports`);
  }
  return {
    temporalPort: port(env, 'TEMPORAL_PORT', 7233),
    uiPort: port(env, 'TEMPORAL_UI_PORT', 8080),
    apiPort: port(env, 'API_PORT', 8000),
    dataDir: resolve(ROOT, env.STACK_DATA_DIR || '.data'),
    host: '127.0.0.1',
    apiHost: env.API_HOST || '127.0.0.1',
    metricsBasePort,
  };
}

export const TEMPORAL_BIN = join(ROOT, '.tools', 'bin', 'temporal');
const PYTHON_WORKER = join(ROOT, 'consumers', 'power_of_2_python');
const GO_WORKER = join(ROOT, 'consumers', 'power_of_4_golang');
const WORKER_READY = /worker ready identity=(\S+)/;

export function temporalServer(s: StackSettings): Service {
  const args = [
    'server start-dev',
    `--ip ${s.host}`,
    `--port ${s.temporalPort}`,
    `--ui-port ${s.uiPort}`,
    `--db-filename ${join(s.dataDir, 'temporal.db')}`,
    '--ui-disable-news-fetch',
    '--log-level warn',
    // Write-ahead log without an fsync per commit: a killed server loses nothing (the OS
    // still has every write); only a power cut can lose the last transactions. Measured: about
    // 1.5x the throughput on a disk that takes 5 ms per synced write (see bench/README.md).
    '--sqlite-pragma journal_mode=WAL',
    '--sqlite-pragma synchronous=NORMAL',
    // The history service hands new tasks to matching at most this many times a second
    // (default 20), which added about 40 ms to every step of a calculation.
    '--dynamic-config-value history.transferProcessorMaxPollRPS=1000',
    // One partition per task queue: one machine gains nothing from more, and DescribeTaskQueue
    // (which the launcher uses to confirm that every worker polls) sees the root partition only.
    '--dynamic-config-value matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value matching.numTaskqueueWritePartitions=1',
  ];
  return { name: 'temporal', command: `exec ${TEMPORAL_BIN} ${args.join(' ')}`, cwd: ROOT, env: {}, ready: /./ };
}

/** The workers and the API; they need the Temporal server to be up first. */
export function applicationServices(s: StackSettings): Service[] {
  const temporal = { TEMPORAL_ADDRESS: `${s.host}:${s.temporalPort}`, TEMPORAL_NAMESPACE: 'default' };
  // Each worker serves its SDK's metrics on its own port (on 127.0.0.1 unless METRICS_HOST).
  const metrics = (name: (typeof WORKER_METRICS)[number]) => ({ METRICS_PORT: String(metricsPort(s, name)) });
  const node = (script: string) => `exec node ${join(ROOT, script)}`;
  const python = `exec ${join(PYTHON_WORKER, '.venv', 'bin', 'python')} -m power_of_2`;
  return [
    {
      name: 'workflow',
      command: node('producers/dist/worker.js'),
      cwd: ROOT,
      env: { ...temporal, ...metrics('workflow') },
      ready: WORKER_READY,
    },
    {
      name: 'power_of_2#1',
      command: python,
      cwd: PYTHON_WORKER,
      env: { ...temporal, ...metrics('power_of_2#1'), WORKER_REPLICA: '1' },
      ready: WORKER_READY,
    },
    {
      name: 'power_of_2#2',
      command: python,
      cwd: PYTHON_WORKER,
      env: { ...temporal, ...metrics('power_of_2#2'), WORKER_REPLICA: '2' },
      ready: WORKER_READY,
    },
    {
      name: 'power_of_4',
      command: `exec ${join(GO_WORKER, 'bin', 'power_of_4')}`,
      cwd: GO_WORKER,
      env: { ...temporal, ...metrics('power_of_4') },
      ready: WORKER_READY,
    },
    {
      name: 'power_of_6',
      command: node('consumers/power_of_6_nodejs/dist/main.js'),
      cwd: ROOT,
      env: { ...temporal, ...metrics('power_of_6') },
      ready: WORKER_READY,
    },
    {
      name: 'api',
      command: node('producers/dist/server.js'),
      cwd: ROOT,
      env: { ...temporal, API_HOST: s.apiHost, API_PORT: String(s.apiPort) },
      ready: /api ready url=(\S+)/,
    },
  ];
}
