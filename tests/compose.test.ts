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
import { after, before, describe, it } from 'node:test';
import { STEPS } from '@calc/contracts';
import { must, run } from '../deploy/engine';
import { composeProject, seconds, type ComposeProject } from './compose-project';
import { runningOn, stepRuns } from './history';
import { assertStepsByLanguage, finalResult, userChecks, type Target } from './user-checks';

const JOBS = ['temporal-schema', 'temporal-namespace', 'worker-deployment'];
const OURS = ['api', 'workflow-worker', 'power-of-2', 'power-of-4', 'power-of-6'];

let stack: ComposeProject;
let target: Target;
const up = (...args: string[]) => stack.up(...args);
const containers = (service?: string) => stack.containers(service);
const containerOf = (identity: string) => stack.containerOf(identity);
const start = (n: bigint) => stack.start(n);

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
  // Steps long enough to act on while one runs.
  const waits = { ACTIVITY_1_WAIT_TIMEOUT: '3', ACTIVITY_2_WAIT_TIMEOUT: '3', ACTIVITY_3_WAIT_TIMEOUT: '1' };
  stack = await composeProject('calc-compose-test', undefined, waits, 'compose');
  target = stack.target;
});

after(async () => {
  await stack?.down();
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
    const dump = stack.project.must('exec', '-T', 'postgresql', 'pg_dump', '--username=temporal', 'temporal');
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
          env: { ...process.env, ...stack.env, BUILD_ID: 'v2' },
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
    stack.project.must('stop', 'power-of-4');
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
    stack.project.must('restart', 'temporal');
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
    stack.project.must('down');
    up();
    console.log(`[compose] down and up again: healthy ${seconds(downAt)} s later`);
    assert.deepEqual(await finalResult(target.api, id), target.completed(id, n));
    assertStepsByLanguage(await stepRuns(target.client, id));
  });
});
