/**
 * `docker compose up -d --wait` of the production file, for real: PostgreSQL, the Temporal
 * server on it, its jobs and UI, the API and every worker, each in its container, built from
 * the project's Dockerfiles. On a machine without Docker Hub the public images are the local
 * stand-ins of `make images` (deploy/standins.yml); nothing else differs. The engine is started
 * if none answers and stopped again only then; the project runs on free host ports, under a
 * name of its own, and is taken down with its volume at the end.
 *
 * Each fault prints its measured recovery time.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { calculate, STEPS } from '@calc/contracts';
import { dataConverter, readPayloadSettings } from '@calc/runtime';
import { compose, ensureEngine, must, run } from '../deploy/engine';
import { buildImages } from '../deploy/standins/images';
import { ROOT } from '../stack/topology';
import { runningOn, stepRuns } from './history';
import { freePort } from './stack';
import { assertStepsByLanguage, finalResult, startCalculation, userChecks, type Target } from './user-checks';

const PROJECT = 'calc-compose-test';
const JOBS = ['temporal-schema', 'temporal-namespace', 'worker-deployment'];
const OURS = ['api', 'workflow-worker', 'power-of-2', 'power-of-4', 'power-of-6'];

/** The variables docker-compose.yml reads from the shell, so that none leaks in from the caller's. */
const interpolated = [...readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/\$\{([A-Z_]+)/g)].map(
  (m) => m[1]!,
);

let stopEngine: () => Promise<void> = async () => {};
let env: Record<string, string>;
let project: ReturnType<typeof compose>;
let target: Target;
let connection: Connection | undefined;

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
const up = (...args: string[]) => project.show('up', '--detach', '--wait', '--wait-timeout', '600', ...args);

interface Container {
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

/** Every container of the project, stopped ones included, as `docker inspect` sees them. */
function containers(service?: string): Container[] {
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
}

/** The container whose hostname a worker identity (`<step>-<language>-<n>@<host>:<pid>`) names. */
function containerOf(identity: string): Container {
  const host = /@([^:]+):/.exec(identity)?.[1];
  const found = containers().find((c) => c.hostname === host);
  assert.ok(found, `no container of the project has the host of ${identity}`);
  return found;
}

/**
 * Starts a calculation as a careful client does across restarts: with an Idempotency-Key, and
 * again with the same key when the connection drops, so that nothing starts twice.
 */
async function start(n: bigint): Promise<string> {
  const key = `compose-test-${randomUUID()}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCalculation(target.api, n.toString(), key);
    } catch (err) {
      if (!(err instanceof TypeError) || attempt === 5) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * The power_of_2 containers that took work, from batches of concurrent calculations (each
 * checked exact) until `count` of them have, or six batches. Work, not DescribeTaskQueue's
 * pollers: a task queue has several partitions, and that call sees the pollers of one.
 */
async function replicasAtWork(count: number, first: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let batch = 0; batch < 6 && seen.size < count; batch++) {
    const numbers = Array.from({ length: 2 * count }, (_, i) => BigInt(first + batch * 2 * count + i));
    const ids = await Promise.all(numbers.map((n) => start(n)));
    for (const [i, id] of ids.entries()) {
      assert.deepEqual(await finalResult(target.api, id), target.completed(id, numbers[i]!));
      seen.add(containerOf((await stepRuns(target.client, id))[0]!.completedBy!).name);
    }
  }
  return [...seen].sort();
}

before(async () => {
  stopEngine = await ensureEngine();
  let started = Date.now();
  buildImages();
  console.log(`[compose] stand-in images ready in ${seconds(started)} s`);
  const api = await freePort(3);
  const [ui, temporalPort] = [api + 1, api + 2];
  env = {
    API_HOST_PORT: String(api),
    UI_HOST_PORT: String(ui),
    TEMPORAL_HOST_PORT: String(temporalPort),
    POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
    PAYLOAD_KEYS: `compose-1:${randomBytes(32).toString('base64')}`,
    // Steps long enough to act on while one runs.
    ACTIVITY_1_WAIT_TIMEOUT: '3',
    ACTIVITY_2_WAIT_TIMEOUT: '3',
    ACTIVITY_3_WAIT_TIMEOUT: '1',
  };
  const unset = Object.fromEntries(interpolated.filter((name) => !(name in env)).map((name) => [name, undefined]));
  project = compose(PROJECT, { ...unset, ...env });
  // Left by a run that was interrupted: start from nothing.
  project.run('down', '--volumes', '--remove-orphans');
  started = Date.now();
  up('--build');
  console.log(`[compose] docker compose up --build --wait: healthy in ${seconds(started)} s`);

  connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  const client = new Client({ connection, dataConverter: dataConverter(readPayloadSettings(env)) });
  target = {
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
});

after(async () => {
  await connection?.close();
  if (project) project.run('down', '--volumes', '--remove-orphans', '--timeout', '5');
  await stopEngine();
});

describe('docker compose up -d --wait of the production file', () => {
  it('brings every service to healthy and every job to exit 0', () => {
    const all = containers();
    for (const job of JOBS) {
      const [c] = all.filter((x) => x.service === job);
      assert.deepEqual([job, c?.state, c?.exitCode], [job, 'exited', 0]);
    }
    const serving = all.filter((c) => !JOBS.includes(c.service));
    assert.deepEqual([...new Set(serving.map((c) => c.service))].sort(), [
      'api',
      'postgresql',
      'power-of-2',
      'power-of-4',
      'power-of-6',
      'temporal',
      'temporal-ui',
      'workflow-worker',
    ]);
    for (const c of serving) assert.deepEqual([c.name, c.state, c.health], [c.name, 'running', 'healthy']);
    assert.equal(serving.filter((c) => c.service === 'power-of-2').length, 2);
  });

  it('runs each of our containers as a non-root user on a read-only root filesystem', () => {
    for (const c of containers().filter((x) => OURS.includes(x.service))) {
      assert.ok(c.readOnly, `${c.name} has a writable root filesystem`);
      const uid = must('docker', ['exec', c.id, 'id', '-u']).trim();
      assert.notEqual(uid, '0', `${c.name} runs as root`);
      const write = run('docker', ['exec', c.id, 'touch', '/probe']);
      assert.ok(!write.ok && /read-only file system/i.test(write.err), `${c.name}: ${write.err}`);
    }
  });

  userChecks(() => target);

  it('shares power_of_2 between its two replicas, each a container of its own', async () => {
    const replicas = containers('power-of-2').map((c) => c.name);
    assert.equal(replicas.length, 2);
    assert.deepEqual(await replicasAtWork(replicas.length, 0), replicas.sort());
  });

  it('keeps the histories in PostgreSQL, with no input, step value or result in plain text', async () => {
    const n = 98765432109876543210987654321n;
    const id = await start(n);
    assert.deepEqual(await finalResult(target.api, id), target.completed(id, n));
    const dump = project.must('exec', '-T', 'postgresql', 'pg_dump', '--username=temporal', 'temporal');
    // The history rows of this calculation are there...
    assert.ok(dump.includes(id), 'the dump holds no row of the calculation');
    // ...as protobuf in bytea columns, which pg_dump writes in hex: the activity names show.
    const hex = (s: string) => Buffer.from(s).toString('hex');
    assert.ok(dump.includes(hex(STEPS[0]!.activity)), 'no history blob in the dump');
    const values = [n, n ** 2n, n ** 8n, n ** 48n].map(String);
    for (const value of values) {
      assert.ok(!dump.includes(value), `${value.slice(0, 12)}... is in the dump in plain text`);
      assert.ok(!dump.includes(hex(value)), `${value.slice(0, 12)}... is in the dump in a bytea column`);
    }
  });

  it('shows a calculation in the Temporal UI, read from the server through the UI server', async () => {
    const id = await start(5n);
    await finalResult(target.api, id);
    const res = await fetch(`${target.ui}/api/v1/namespaces/default/workflows/${id}`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as {
      workflowExecutionInfo: { type: { name: string }; status: string; taskQueue: string };
    };
    const { type, status, taskQueue } = body.workflowExecutionInfo;
    assert.deepEqual(
      [type.name, status, taskQueue],
      ['CalculateWorkflow', 'WORKFLOW_EXECUTION_STATUS_COMPLETED', 'calculation-task-queue'],
    );
  });

  it('parses deploy/release.yml with the production file: a second project on the first one’s network', () => {
    const config = JSON.parse(
      must(
        'docker',
        [
          'compose',
          '-p',
          'calculation-v2',
          '-f',
          'docker-compose.yml',
          '-f',
          'deploy/release.yml',
          'config',
          '--format',
          'json',
        ],
        {
          env: { ...process.env, ...env, BUILD_ID: 'v2' },
        },
      ),
    ) as { networks: Record<string, { name?: string; external?: boolean }> };
    const { name, external } = config.networks.default!;
    assert.deepEqual({ name, external }, { name: 'polyglot-calculation_default', external: true });
  });
});

describe('faults in containers', () => {
  it('docker kill of a power_of_2 replica mid-step: the other replica finishes the step', async () => {
    const id = await start(101n);
    const victim = containerOf(await runningOn(target.client, id, STEPS[0]!.activity));
    const killedAt = Date.now();
    must('docker', ['kill', victim.id]);
    assert.deepEqual(await finalResult(target.api, id), target.completed(id, 101n));
    console.log(`[compose] power_of_2 replica killed mid-step: calculation done ${seconds(killedAt)} s later`);
    const [step] = await stepRuns(target.client, id);
    assert.equal(step!.attempt, 2);
    assert.notEqual(containerOf(step!.completedBy!).id, victim.id);
    up();
  });

  it('docker compose stop power-of-4 mid-step: the step finishes within the grace period', async () => {
    const id = await start(202n);
    const identity = await runningOn(target.client, id, STEPS[1]!.activity, 60_000);
    const stoppedAt = Date.now();
    project.must('stop', 'power-of-4');
    console.log(`[compose] power-of-4 stopped mid-step in ${seconds(stoppedAt)} s`);
    assert.deepEqual(await finalResult(target.api, id), target.completed(id, 202n));
    const step = (await stepRuns(target.client, id))[1]!;
    assert.deepEqual([step.attempt, step.completedBy], [1, identity]);
    up();
  });

  it('docker compose restart temporal with calculations running: none is lost', async () => {
    const numbers = Array.from({ length: 10 }, (_, i) => BigInt(300 + i));
    const ids = await Promise.all(numbers.map((n) => start(n)));
    const restartedAt = Date.now();
    project.must('restart', 'temporal');
    const results = await Promise.all(ids.map((id) => finalResult(target.api, id, 300_000)));
    console.log(
      `[compose] temporal restarted with ${ids.length} calculations running: all done ${seconds(restartedAt)} s later`,
    );
    results.forEach((body, i) => assert.deepEqual(body, target.completed(ids[i]!, numbers[i]!)));
    up();
  });

  it('--scale power-of-2=4: all four replicas get work', async () => {
    up('--scale', 'power-of-2=4');
    const replicas = containers('power-of-2').filter((c) => c.state === 'running');
    assert.equal(replicas.length, 4);
    assert.deepEqual(await replicasAtWork(replicas.length, 1000), replicas.map((c) => c.name).sort());
    up('--scale', 'power-of-2=2');
  });

  it('docker compose down, then up: earlier results still answer from the volume', async () => {
    const n = 7n;
    const id = await start(n);
    assert.deepEqual(await finalResult(target.api, id), target.completed(id, n));
    const downAt = Date.now();
    project.must('down');
    up();
    console.log(`[compose] down and up again: healthy ${seconds(downAt)} s later`);
    assert.deepEqual(await finalResult(target.api, id), target.completed(id, n));
    assertStepsByLanguage(await stepRuns(target.client, id));
  });
});
