/**
 * Starts the real local stack the way `make up` does (stack/up.ts), on free ports and with
 * its own data folder, so that tests never collide with a running `make up`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';

const ROOT = join(__dirname, '..');

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

/** How many consecutive metrics ports the launcher hands out from METRICS_BASE_PORT. */
const WORKER_METRICS_PORTS = 5;

/** Every step's simulated wait at 0: what a test or a benchmark wants unless it studies the waits. */
export const ZERO_WAITS = {
  ACTIVITY_1_WAIT_TIMEOUT: '0',
  ACTIVITY_2_WAIT_TIMEOUT: '0',
  ACTIVITY_3_WAIT_TIMEOUT: '0',
} as const;

export interface RunningStack {
  api: string;
  /** First of the workers' five metrics ports (see WORKER_METRICS in stack/services.ts). */
  metricsBasePort: number;
  ui: string;
  temporalAddress: string;
  client: Client;
  /** Everything the launcher printed so far. */
  output: () => string;
  /** The pid of the latest start of a process of the stack (`temporal`, `api`, `power_of_4`, ...). */
  pidOf: (name: string) => number;
  /** Waits until the launcher has started `name` again with a pid other than `oldPid`. */
  restarted: (name: string, oldPid: number, timeoutMs?: number) => Promise<number>;
  stop: () => Promise<void>;
}

export async function startStack(extraEnv: Record<string, string> = {}, timeoutMs = 180_000): Promise<RunningStack> {
  const [temporalPort, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  // Never the defaults, which a `make up` running beside the tests holds.
  const metricsBasePort = await freePort(WORKER_METRICS_PORTS);
  const dataDir = mkdtempSync(join(tmpdir(), 'calc-stack-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'stack', 'up.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      API_PORT: String(apiPort),
      METRICS_BASE_PORT: String(metricsBasePort),
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
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  while (!/\[stack\] stack ready/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      const launcher = log.split('\n').filter((line) => line.startsWith('[stack]'));
      throw new Error(`the stack did not become ready:\n${launcher.join('\n')}\n...\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pidOf = (name: string) => {
    const starts = [...log.matchAll(/\[stack\] (\S+) started \(pid (\d+)\)/g)].filter((m) => m[1] === name);
    const last = starts.at(-1);
    if (!last) throw new Error(`the launcher never started ${name}`);
    return Number(last[2]);
  };
  const restarted = async (name: string, oldPid: number, waitMs = 60_000) => {
    const until = Date.now() + waitMs;
    while (pidOf(name) === oldPid) {
      if (Date.now() > until) throw new Error(`${name} was not started again within ${waitMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return pidOf(name);
  };
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const connection = await Connection.connect({ address: temporalAddress });
  return {
    api: `http://127.0.0.1:${apiPort}`,
    metricsBasePort,
    ui: `http://127.0.0.1:${uiPort}`,
    temporalAddress,
    client: new Client({ connection }),
    output: () => log,
    pidOf,
    restarted,
    stop: async () => {
      await connection.close();
      await stop();
    },
  };
}
