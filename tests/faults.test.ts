/**
 * What real deployments do to the running system: workers killed mid-step, the Temporal
 * server killed under load, the API restarted, every kind of worker drained by SIGTERM, and a
 * calculation cancelled. The stack is the real one (`make up`'s launcher, which starts again
 * any process that ends, like a container restart policy), on free ports.
 *
 * Each test prints its measured recovery time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pidIn, runningOn, stepRuns } from './history';
import { startStack, type RunningStack } from './stack';
import { finalResult as finalResultAt } from './user-checks';

// power_of_2 waits 10 s, so there is time to act while it runs; the others 3 s.
const WAITS = { ACTIVITY_1_WAIT_TIMEOUT: '10', ACTIVITY_2_WAIT_TIMEOUT: '3', ACTIVITY_3_WAIT_TIMEOUT: '3' };
// Long enough for a step in flight to finish its wait after SIGTERM.
const GRACE = { WORKER_SHUTDOWN_GRACE_SECONDS: '20' };
const START_TO_CLOSE_SECONDS = 300;

let stack: RunningStack;

before(async () => {
  stack = await startStack({ ...WAITS, ...GRACE });
});

after(async () => {
  await stack?.stop();
});

async function start(number: string): Promise<string> {
  const res = await fetch(`${stack.api}/?number=${number}`, { method: 'POST' });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { workflow_id: string }).workflow_id;
}

const finalResult = (id: string, timeoutMs?: number) => finalResultAt(stack.api, id, timeoutMs);

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

describe('fault tolerance', () => {
  it('a power_of_2 replica killed mid-step: the other replica finishes it', async () => {
    const id = await start('101');
    const victim = await runningOn(stack.client, id, 'power_of_2');
    const killedAt = Date.now();
    process.kill(pidIn(victim), 'SIGKILL');
    assert.deepEqual(await finalResult(id), stack.completed(id, 101n));
    const recovery = (Date.now() - killedAt) / 1000;
    console.log(`recovery: power_of_2 replica SIGKILL -> completed in ${recovery.toFixed(1)} s`);

    const step = (await stepRuns(stack.client, id)).find((s) => s.activity === 'power_of_2')!;
    assert.equal(step.attempt, 2, 'the second attempt should have finished the step');
    assert.notEqual(step.completedBy, victim);
    assert.match(step.completedBy!, /^power_of_2-python-[12]@/);
    assert.ok(recovery < START_TO_CLOSE_SECONDS / 5, `took ${recovery} s: the heartbeat timeout did not hand it over`);
  });

  it('the Go worker killed mid-step comes back and finishes the calculation', async () => {
    const id = await start('102');
    const victim = await runningOn(stack.client, id, 'power_of_4', 60_000);
    const killedAt = Date.now();
    process.kill(pidIn(victim), 'SIGKILL');
    const newPid = await stack.restarted('power-of-4', pidIn(victim));
    assert.deepEqual(await finalResult(id), stack.completed(id, 102n));
    console.log(`recovery: Go worker SIGKILL -> completed in ${seconds(killedAt)} s`);
    const step = (await stepRuns(stack.client, id)).find((s) => s.activity === 'power_of_4')!;
    assert.equal(step.attempt, 2);
    assert.equal(pidIn(step.completedBy!), newPid, 'the restarted Go worker should have finished the step');
  });

  it('the Temporal server killed with 20 calculations under way: all 20 complete exactly', async () => {
    const numbers = Array.from({ length: 20 }, (_, i) => BigInt(200 + i));
    const ids = await Promise.all(numbers.map((n) => start(String(n))));
    await runningOn(stack.client, ids.at(-1)!, 'power_of_2');
    const server = stack.process('temporal').pid;
    const killedAt = Date.now();
    process.kill(server, 'SIGKILL');
    await stack.restarted('temporal', server);
    const results = await Promise.all(ids.map((id) => finalResult(id, 180_000)));
    console.log(`recovery: Temporal server SIGKILL with 20 running -> all completed in ${seconds(killedAt)} s`);
    results.forEach((r, i) => assert.deepEqual(r, stack.completed(ids[i]!, numbers[i]!)));
  });

  it('a restarted API still answers for calculations started before', async () => {
    const id = await start('103');
    const api = stack.process('api').pid;
    const killedAt = Date.now();
    process.kill(api, 'SIGKILL');
    await stack.restarted('api', api);
    assert.deepEqual(await finalResult(id), stack.completed(id, 103n));
    console.log(`recovery: API SIGKILL -> result served in ${seconds(killedAt)} s`);
  });

  it('SIGTERM to each kind of worker mid-step fails no calculation', async () => {
    const drain = async (number: bigint, activity: string) => {
      const id = await start(String(number));
      const worker = await runningOn(stack.client, id, activity, 60_000);
      process.kill(pidIn(worker), 'SIGTERM');
      assert.deepEqual(await finalResult(id), stack.completed(id, number));
      const step = (await stepRuns(stack.client, id)).find((s) => s.activity === activity)!;
      // The drained worker finished the step it had, in its first attempt.
      assert.deepEqual([step.attempt, step.completedBy], [1, worker]);
    };
    const drainWorkflowWorker = async (number: bigint) => {
      const id = await start(String(number));
      await runningOn(stack.client, id, 'power_of_2');
      process.kill(stack.process('workflow-worker').pid, 'SIGTERM');
      assert.deepEqual(await finalResult(id), stack.completed(id, number));
    };
    const startedAt = Date.now();
    await Promise.all([
      drain(111n, 'power_of_2'),
      drain(112n, 'power_of_4'),
      drain(113n, 'power_of_6'),
      drainWorkflowWorker(114n),
    ]);
    console.log(`recovery: SIGTERM to every kind of worker -> all four completed in ${seconds(startedAt)} s`);
  });

  it('a cancelled calculation stops its running step through the heartbeat', async () => {
    const id = await start('104');
    const worker = await runningOn(stack.client, id, 'power_of_2');
    const res = await fetch(`${stack.api}/workflows/${id}/cancel`, { method: 'POST' });
    assert.equal(res.status, 202);
    const cancelledAt = Date.now();
    const final = await finalResult(id);
    assert.equal(final.message, 'cancelled');
    console.log(`cancellation: request -> workflow cancelled in ${seconds(cancelledAt)} s`);
    const steps = await stepRuns(stack.client, id);
    assert.deepEqual(
      steps.map((s) => [s.activity, s.cancelRequested, s.outcome]),
      [['power_of_2', true, 'cancelled']],
      'power_of_2 should have acknowledged the cancellation, and nothing after it run',
    );
    assert.equal(steps[0]!.completedBy, worker);
  });
});
