/**
 * `docker compose up -d --wait` of the production file, for real: PostgreSQL, the Temporal
 * server on it, its jobs and UI, the API and every worker, each in its container, built from
 * the project's Dockerfiles. On a machine without Docker Hub the public images are the local
 * stand-ins of `make images` (deploy/standins.yml); nothing else differs. The engine is started
 * if none answers and stopped again only then; the project runs on free host ports, under a
 * name of its own, and is taken down with its volume at the end.
 *
 * Each fault prints its measured recovery time. Last, the cost of a calculation to the server:
 * the CPU of the Temporal server's container and of PostgreSQL, and what the server's own
 * Prometheus metrics count (tasks matched at once or persisted first, task writes, timers),
 * printed, not judged, beside checks that every calculation was exact and every task counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STEPS } from '@calc/contracts';
import { must, run } from '../deploy/engine';
import { composeProject, cpuPerCalculation, pidsOf, seconds, type ComposeProject } from './compose-project';
import { runningOn, stepRuns } from './history';
import { samplesOf, serverCounters, sumOf } from './prometheus';
import { assertStepsByLanguage, finalResult, userChecks, type Target } from './user-checks';

const JOBS = ['temporal-schema', 'temporal-namespace', 'worker-deployment'];
const OURS = ['api', 'workflow-worker', 'power-of-2', 'power-of-4', 'power-of-6'];

let stack: ComposeProject;
let target: Target;
const up = (...args: string[]) => stack.up(...args);
const containers = (service?: string) => stack.containers(service);
const containerOf = (identity: string) => stack.containerOf(identity);
const start = (n: bigint) => stack.start(n);

/** The server's counters (tests/prometheus.ts), read inside its container. */
function serverCountersNow() {
  const text = stack.project.must('exec', '-T', 'temporal', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8000/metrics');
  const samples = samplesOf(text);
  const timerOperations = new Set(
    samples.flatMap((s) =>
      s.name === 'task_requests' && s.labels.operation?.startsWith('TimerActive') ? [s.labels.operation] : [],
    ),
  );
  return {
    ...serverCounters(samples),
    /** The names of the kind read here, for a message when one is missing. */
    names: [...new Set(samples.map((s) => s.name))].filter((n) =>
      /poll_success|task_requests|persistence_requests/.test(n),
    ),
    timers: Object.fromEntries(
      [...timerOperations].map((op) => [op, sumOf(samples, 'task_requests', (l) => l.operation === op)]),
    ),
  };
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

describe('the cost of a calculation to the production server', () => {
  it('CPU of the server and PostgreSQL, and the server’s own counts, per calculation', async () => {
    // As deploy/cluster.yml is measured (docs/cluster.md): 200 calculations, 8 at a time, 0.3 s in each step.
    const count = 200;
    const waits = { ACTIVITY_1_WAIT_TIMEOUT: '0.3', ACTIVITY_2_WAIT_TIMEOUT: '0.3', ACTIVITY_3_WAIT_TIMEOUT: '0.3' };
    stack.upWith(waits);
    const groups = {
      server: containers('temporal').flatMap(pidsOf),
      postgres: containers('postgresql').flatMap(pidsOf),
    };
    const before = serverCountersNow();
    const cpu = await cpuPerCalculation(
      groups,
      async (n) => {
        const id = await start(n);
        assert.deepEqual(await finalResult(target.api, id), target.completed(id, n));
      },
      count,
    );
    // Each calculation leaves timers behind that fire after it ended, each then processed as a
    // timer task: one per workflow task (its timeout, 10 s) and one per step (its heartbeat
    // timeout, 5 s), 7 at least. Counted once they have all fired: 15 s on, or later on a slow machine.
    await new Promise((r) => setTimeout(r, 15_000));
    let after = serverCountersNow();
    for (let i = 0; i < 60 && after.timerTasks - before.timerTasks < 7 * count; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      after = serverCountersNow();
    }
    const per = (a: number, b: number) => (a - b) / count;
    const polled = after.pollAll - before.pollAll;
    const sync = after.pollSync - before.pollSync;
    const createTasks = after.createTasks - before.createTasks;
    const timerTasks = after.timerTasks - before.timerTasks;
    const timers = Object.entries(after.timers)
      .map(([op, v]) => `${op} ${per(v, before.timers[op] ?? 0).toFixed(2)}`)
      .join(', ');
    console.log(
      `[compose] per calculation (${count}, 8 at a time, 0.3 s a step): CPU of the server ${cpu.server.toFixed(1)} ms ` +
        `+ PostgreSQL ${cpu.postgres.toFixed(1)} ms = ${(cpu.server + cpu.postgres).toFixed(1)} ms; ` +
        `tasks handed to a poller ${(polled / count).toFixed(2)} (poll_success), matched at once ${(sync / count).toFixed(2)} ` +
        `(poll_success_sync), from the persisted backlog ${((polled - sync) / count).toFixed(2)}; ` +
        `persistence_requests CreateTasks ${(createTasks / count).toFixed(2)}; task_requests TimerActive* ` +
        `${(timerTasks / count).toFixed(2)} (${timers})`,
    );
    // Every calculation was exact (above); every one of its 4 workflow tasks and 3 activity
    // tasks went through matching to a poller, a task that did not match at once was written,
    // and every timer a calculation sets was processed.
    assert.ok(
      polled >= 7 * count,
      `poll_success rose by ${polled}, fewer than 7 for each of ${count} calculations; metrics: ${after.names.join(' ')}`,
    );
    assert.ok(sync <= polled, `poll_success_sync ${sync} > poll_success ${polled}`);
    if (polled > sync) assert.ok(createTasks > 0, `${polled - sync} tasks from the backlog, but no CreateTasks`);
    assert.ok(
      timerTasks >= 7 * count,
      `${timerTasks} TimerActive tasks, fewer than 7 for each of ${count} calculations`,
    );
    assert.ok(cpu.server > 0 && cpu.postgres > 0);
  });
});
