/**
 * A compose project of the production file for a test: the engine started if none answers,
 * the stand-in images built, the project up on free host ports under a name of its own, with
 * its own database password and payload key, and taken down with its volume at the end.
 * compose.test.ts runs the single server, cluster.test.ts the three nodes of deploy/cluster.yml;
 * both measure the server's CPU per calculation with the helpers at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { calculate } from '@calc/contracts';
import { dataConverter, readPayloadSettings } from '@calc/runtime';
import { compose, ensureEngine, must } from '../deploy/engine';
import { buildImages } from '../deploy/standins/images';
import { ROOT } from '../stack/topology';
import { pool } from './pool';
import { freePort } from './stack';
import { startCalculation, type Target } from './user-checks';

export interface Container {
  id: string;
  name: string;
  service: string;
  hostname: string;
  user: string;
  readOnly: boolean;
  state: string;
  health?: string;
  exitCode: number;
}

/** The variables docker-compose.yml reads from the shell, so that none leaks in from the caller's. */
const interpolated = [...readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/\$\{([A-Z_]+)/g)].map(
  (m) => m[1]!,
);

export const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

export interface ComposeProject {
  project: ReturnType<typeof compose>;
  env: Record<string, string>;
  target: Target;
  /** The Compose network, for a one-off container of the admin tools. */
  network: string;
  up: (...args: string[]) => void;
  /** `up` with some settings other than the project's (e.g. the steps' waits): the services that read them are recreated. */
  upWith: (settings: Record<string, string>, ...args: string[]) => void;
  containers: (service?: string) => Container[];
  /** The container whose hostname a worker identity (`<step>-<language>-<n>@<host>:<pid>`) names. */
  containerOf: (identity: string) => Container;
  /** Starts a calculation as a careful client does: with an Idempotency-Key, sent again on a dropped connection or a 503. */
  start: (n: bigint) => Promise<string>;
  down: () => Promise<void>;
}

export async function composeProject(
  name: string,
  files: string[] | undefined,
  settings: Record<string, string>,
  log: string,
): Promise<ComposeProject> {
  const stopEngine = await ensureEngine();
  let started = Date.now();
  buildImages();
  console.log(`[${log}] stand-in images ready in ${seconds(started)} s`);
  const api = await freePort(3);
  const [ui, temporalPort] = [api + 1, api + 2];
  const env = {
    API_HOST_PORT: String(api),
    UI_HOST_PORT: String(ui),
    TEMPORAL_HOST_PORT: String(temporalPort),
    POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
    PAYLOAD_KEYS: `compose-1:${randomBytes(32).toString('base64')}`,
    ...settings,
  };
  const unset = Object.fromEntries(interpolated.filter((v) => !(v in env)).map((v) => [v, undefined]));
  const project = compose(name, { ...unset, ...env }, files);
  const upArgs = ['up', '--detach', '--wait', '--wait-timeout', '600'];
  const up = (...args: string[]) => project.show(...upArgs, ...args);
  const upWith = (changed: Record<string, string>, ...args: string[]) =>
    compose(name, { ...unset, ...env, ...changed }, files).show(...upArgs, ...args);
  // Left by a run that was interrupted: start from nothing.
  project.run('down', '--volumes', '--remove-orphans');
  started = Date.now();
  up('--build');
  console.log(`[${log}] docker compose up --build --wait: healthy in ${seconds(started)} s`);

  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  const client = new Client({ connection, dataConverter: dataConverter(readPayloadSettings(env)) });
  const target: Target = {
    api: `http://127.0.0.1:${api}`,
    ui: `http://127.0.0.1:${ui}`,
    client,
    completed: (id, n) => ({
      message: 'completed',
      workflow_id: id,
      result: calculate(n).toString(),
      worker_version: { deployment: 'calculation', build_id: 'dev' },
    }),
  };

  const containers = (service?: string): Container[] => {
    const ids = project
      .must('ps', '--all', '--quiet', ...(service ? [service] : []))
      .split('\n')
      .filter(Boolean);
    if (ids.length === 0) return [];
    const inspected = JSON.parse(must('docker', ['inspect', ...ids])) as {
      Id: string;
      Name: string;
      Config: { Hostname: string; User: string; Labels: Record<string, string> };
      HostConfig: { ReadonlyRootfs: boolean };
      State: { Status: string; ExitCode: number; Health?: { Status: string } };
    }[];
    return inspected.map((c) => ({
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      service: c.Config.Labels['com.docker.compose.service']!,
      hostname: c.Config.Hostname,
      user: c.Config.User,
      readOnly: c.HostConfig.ReadonlyRootfs,
      state: c.State.Status,
      health: c.State.Health?.Status,
      exitCode: c.State.ExitCode,
    }));
  };

  return {
    project,
    env,
    target,
    network: `${name}_default`,
    up,
    upWith,
    containers,
    containerOf: (identity) => {
      const host = /@([^:]+):/.exec(identity)?.[1];
      const found = containers().find((c) => c.hostname === host);
      assert.ok(found, `no container of the project has the host of ${identity}`);
      return found;
    },
    start: async (n) => {
      const key = `${name}-${randomUUID()}`;
      for (let attempt = 1; ; attempt++) {
        try {
          return await startCalculation(target.api, n.toString(), key);
        } catch (err) {
          // A dropped connection, or the API's 503 while Temporal is out of reach: the same
          // key again is safe, it starts the calculation at most once.
          const again = err instanceof TypeError || (err instanceof assert.AssertionError && err.actual === 503);
          if (!again || attempt === 60) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    },
    down: async () => {
      await connection.close();
      project.run('down', '--volumes', '--remove-orphans', '--timeout', '5');
      await stopEngine();
    },
  };
}

/** CPU seconds of the processes with these host pids so far, from /proc as the benchmark reads it. */
export function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return sum; // ended meanwhile
    }
  }, 0);
}

/** The host pids of a container's processes. */
export const pidsOf = (c: Container) =>
  must('docker', ['top', c.id, '-eo', 'pid']).split('\n').slice(1).map(Number).filter(Boolean);

/** Milliseconds of CPU per calculation of each group of pids, over `count` calculations 8 at a time. */
export async function cpuPerCalculation<K extends string>(
  groups: Record<K, number[]>,
  startOne: (n: bigint) => Promise<unknown>,
  count: number,
): Promise<Record<K, number>> {
  const entries = Object.entries(groups) as [K, number[]][];
  const before = entries.map(([, pids]) => cpuSeconds(pids));
  await pool(
    Array.from({ length: count }, (_, i) => BigInt(i + 2)),
    8,
    startOne,
  );
  const spent = entries.map(([name, pids], i) => [name, ((cpuSeconds(pids) - before[i]!) * 1000) / count]);
  return Object.fromEntries(spent) as Record<K, number>;
}
