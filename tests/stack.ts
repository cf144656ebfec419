/**
 * Starts the real local stack the way `make up` does (stack/up.ts), on free ports and with
 * its own data folder, so that tests never collide with a running `make up`. What it needs to
 * know of the running processes (pids, ports, identities) it reads from the launcher's
 * stack.json, never from the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { calculate } from '@calc/contracts';
import { dataConverter, readPayloadSettings } from '@calc/runtime';
import { readTopology, ROOT } from '../stack/topology';

/**
 * A port that is free now, chosen below Linux's ephemeral range (32768 and up): the dev
 * server asks the OS for ephemeral ports for its internal services at start-up, and one of
 * those may otherwise land on the frontend port picked here before the server binds it.
 */
export async function freePort(count = 1): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let tries = 0; tries < 100; tries++) {
    const port = 20_000 + Math.floor(Math.random() * (12_000 - count));
    let free = true;
    for (let i = 0; i < count && free; i++) free = await isFree(port + i);
    if (free) return port;
  }
  throw new Error(`no ${count} free consecutive ports found between 20000 and 32000`);
}

/** Every step's simulated wait at 0: what a test or a benchmark wants unless it studies the waits. */
export const ZERO_WAITS = {
  ACTIVITY_1_WAIT_TIMEOUT: '0',
  ACTIVITY_2_WAIT_TIMEOUT: '0',
  ACTIVITY_3_WAIT_TIMEOUT: '0',
} as const;

/** One process as the launcher's stack.json describes it. */
export interface StackProcess {
  /** `temporal`, `api`, `workflow-worker`, `power-of-2-1`, `power-of-2-2`, `power-of-4`, ... */
  name: string;
  service: string;
  replica: number;
  pid: number;
  running: boolean;
  /** Its ports by setting name: METRICS_PORT, HEALTH_PORT, API_PORT, ... */
  ports: Record<string, number>;
  /** The worker identity its probe reported. */
  identity?: string;
  /** The Worker Deployment version its probe reported. */
  version?: WorkerVersion;
  /** The code of its last exit, or the signal that ended it; absent until it first exits. */
  exitCode?: number | string;
}

/** A Worker Deployment version as the API and stack.json name it. */
export interface WorkerVersion {
  deployment: string;
  build_id: string;
}

export interface RunningStack {
  /** The launcher's own pid. */
  launcherPid: number;
  /** Where the server keeps its SQLite file and the launcher its state. */
  dataDir: string;
  api: string;
  ui: string;
  /** The embedded server's Prometheus endpoint (none when TEMPORAL_ADDRESS names another server). */
  temporalMetrics: string;
  temporalAddress: string;
  /** A client that reads and writes the stack's payloads: its codec, with its keys. */
  client: Client;
  dataConverter: DataConverter;
  /** The payload settings the stack's processes share, for a process a test starts beside them. */
  payloadEnv: Record<string, string>;
  /** The version the stack's workers run as. */
  workerVersion: () => WorkerVersion | undefined;
  /** What `GET /result/{id}` answers once the calculation of `n` completed on this stack. */
  completed: (id: string, n: bigint) => Record<string, unknown>;
  /** Everything the launcher printed so far. */
  output: () => string;
  /** The processes as the launcher last described them. */
  processes: () => StackProcess[];
  process: (name: string) => StackProcess;
  /** Waits until the launcher has started `name` again with a pid other than `oldPid`. */
  restarted: (name: string, oldPid: number, timeoutMs?: number) => Promise<number>;
  stop: () => Promise<void>;
}

export interface StackOptions {
  /** The folder of the server's state and the launcher's files; kept at stop when given. */
  dataDir?: string;
  timeoutMs?: number;
}

/** Starts the stack; `TEMPORAL_ADDRESS` in `extraEnv` points it at a server already running. */
export async function startStack(
  extraEnv: Record<string, string> = {},
  { dataDir: given, timeoutMs = 180_000 }: StackOptions = {},
): Promise<RunningStack> {
  const topology = readTopology();
  const instances = (port: string) => topology.filter((p) => p.ports.includes(port)).length;
  // Never the defaults, which a `make up` running beside the tests holds; one block of
  // consecutive free ports, so that no two of them can be the same.
  const metrics = instances('METRICS_PORT');
  const base = await freePort(4 + metrics + instances('HEALTH_PORT'));
  const ports = {
    TEMPORAL_PORT: base,
    TEMPORAL_UI_PORT: base + 1,
    API_PORT: base + 2,
    TEMPORAL_METRICS_PORT: base + 3,
    METRICS_BASE_PORT: base + 4,
    HEALTH_BASE_PORT: base + 4 + metrics,
  };
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'calc-stack-'));
  const stateFile = join(dataDir, 'stack.json');
  // A state file left by an earlier stack on the same folder must not pass for this one's.
  rmSync(stateFile, { force: true });
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'stack', 'up.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      STACK_DATA_DIR: dataDir,
      FORCE_COLOR: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    if (!given) rmSync(dataDir, { recursive: true, force: true });
  };

  const readState = (): { ready: boolean; processes: StackProcess[] } =>
    existsSync(stateFile)
      ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { ready: boolean; processes: StackProcess[] })
      : { ready: false, processes: [] };

  const deadline = Date.now() + timeoutMs;
  while (!readState().ready) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      const launcher = log.split('\n').filter((line) => line.startsWith('[stack]'));
      throw new Error(`the stack did not become ready:\n${launcher.join('\n')}\n...\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const processes = () => readState().processes;
  const processNamed = (name: string) => {
    const found = processes().find((p) => p.name === name);
    if (!found)
      throw new Error(
        `the stack has no process ${name}: ${processes()
          .map((p) => p.name)
          .join(', ')}`,
      );
    return found;
  };
  const restarted = async (name: string, oldPid: number, waitMs = 60_000) => {
    const until = Date.now() + waitMs;
    for (;;) {
      const p = processNamed(name);
      if (p.running && p.pid !== oldPid) return p.pid;
      if (Date.now() > until) throw new Error(`${name} was not started again within ${waitMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const temporalAddress = extraEnv.TEMPORAL_ADDRESS ?? `127.0.0.1:${ports.TEMPORAL_PORT}`;
  const connection = await Connection.connect({ address: temporalAddress });
  // The launcher's key when the caller gave none (it makes one on its first run).
  const keysFile = join(dataDir, 'payload-keys');
  const payloadEnv = {
    PAYLOAD_ENCRYPTION: extraEnv.PAYLOAD_ENCRYPTION,
    PAYLOAD_KEYS: extraEnv.PAYLOAD_KEYS ?? (existsSync(keysFile) ? readFileSync(keysFile, 'utf8').trim() : undefined),
    PAYLOAD_KEY_ID: extraEnv.PAYLOAD_KEY_ID,
  };
  const converter = dataConverter(readPayloadSettings(payloadEnv));
  const definedPayloadEnv = Object.fromEntries(
    Object.entries(payloadEnv).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const workerVersion = () => processes().find((p) => p.version)?.version;
  return {
    launcherPid: child.pid!,
    dataDir,
    api: `http://127.0.0.1:${ports.API_PORT}`,
    ui: `http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`,
    temporalMetrics: `http://127.0.0.1:${ports.TEMPORAL_METRICS_PORT}/metrics`,
    temporalAddress,
    client: new Client({ connection, dataConverter: converter }),
    dataConverter: converter,
    payloadEnv: definedPayloadEnv,
    workerVersion,
    completed: (id, n) => ({
      message: 'completed',
      workflow_id: id,
      result: calculate(n).toString(),
      ...(workerVersion() ? { worker_version: workerVersion() } : {}),
    }),
    output: () => log,
    processes,
    process: processNamed,
    restarted,
    stop: async () => {
      await connection.close();
      await stop();
    },
  };
}
