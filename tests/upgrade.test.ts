/**
 * A rolling upgrade under load, as a release does it (docs/releases.md): version A of
 * all five workers serves a few hundred calculations in flight; version B comes up beside it
 * and becomes the Worker Deployment's current version; A drains and stops. Every calculation
 * must complete exactly, each entirely on one version (its workflow tasks and its three steps,
 * in three languages), new ones on B, and nothing may fail or be retried because of the switch.
 *
 * One Temporal server serves both versions; each version is a launcher of its own, started on
 * it with another TEMPORAL_WORKER_BUILD_ID, so that stopping A stops exactly A's processes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { calculate } from '@calc/contracts';
import { pidIn } from './history';
import { pool } from './pool';
import { startStack, type RunningStack } from './stack';

const IN_FLIGHT = 200;
const AFTER_SWITCH = 20;
// Long enough steps that the calculations started on A are still running when B takes over.
const WAITS = { ACTIVITY_1_WAIT_TIMEOUT: '8', ACTIVITY_2_WAIT_TIMEOUT: '4', ACTIVITY_3_WAIT_TIMEOUT: '4' };
// While B's five workers and API start on the same two cores, 200 steps heartbeat through one
// busy server. A power_of_2 step was once retried here: within its 8 s nothing but the 5 s
// heartbeat timeout can end an attempt, and A's workers had not stopped. The switch is what this
// test judges, so a heartbeat may take up to 30 s here; the fault tests keep the default.
const HEARTBEAT = { ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS: '30' };
// Both versions must read each other's payloads: one key for the whole deployment.
const KEYS = { PAYLOAD_KEYS: `upgrade-1:${randomBytes(32).toString('base64')}` };
const A = 'rolling-a';
const B = 'rolling-b';

let server: RunningStack;
let a: RunningStack | undefined;
let b: RunningStack | undefined;

before(async () => {
  server = await startStack({ STACK_SERVICES: 'temporal' });
});

after(async () => {
  await b?.stop();
  await a?.stop();
  await server?.stop();
});

async function post(stack: RunningStack, n: bigint): Promise<string> {
  const res = await fetch(`${stack.api}/?number=${n}`, { method: 'POST' });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { workflow_id: string }).workflow_id;
}

interface Result {
  message: string;
  result?: string;
  worker_version?: { deployment: string; build_id: string };
}

async function result(stack: RunningStack, id: string): Promise<Result> {
  for (;;) {
    const res = await fetch(`${stack.api}/result/${id}?wait=30`);
    const body = (await res.json()) as Result;
    if (res.status === 200) return body;
    assert.equal(res.status, 202, JSON.stringify(body));
  }
}

/** What a calculation's history says about who ran it. */
async function runOf(stack: RunningStack, id: string) {
  const history = await stack.client.workflow.getHandle(id).fetchHistory();
  const events = history.events ?? [];
  return {
    // The version each workflow task was completed on.
    versions: new Set(events.flatMap((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId ?? [])),
    // Every worker that started a workflow or activity task, by identity.
    identities: events.flatMap(
      (e) => e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity ?? [],
    ),
    attempts: events.flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []),
    // What ended the attempt before a step's last one (a retried step's history keeps only that).
    lastFailures: events.flatMap((e) => e.activityTaskStartedEventAttributes?.lastFailure?.message ?? []),
    failures: events.filter(
      (e) =>
        e.workflowTaskFailedEventAttributes ??
        e.workflowTaskTimedOutEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes,
    ).length,
  };
}

describe('rolling upgrade', () => {
  it(`${IN_FLIGHT} calculations in flight on ${A} while ${B} takes over: none lost, each on one version`, async () => {
    const common = { TEMPORAL_ADDRESS: server.temporalAddress, ...KEYS, ...WAITS, ...HEARTBEAT };
    a = await startStack({ ...common, TEMPORAL_WORKER_BUILD_ID: A });
    const numbers = Array.from({ length: IN_FLIGHT }, (_, i) => BigInt(1000 + i));
    const onA = await pool(numbers, 50, (n) => post(a!, n));

    b = await startStack({ ...common, TEMPORAL_WORKER_BUILD_ID: B });
    const switchedAt = Date.now();
    const { count: running } = await server.client.workflow.count(
      `ExecutionStatus = 'Running' AND TemporalWorkerDeploymentVersion = 'calculation:${A}'`,
    );
    console.log(`upgrade: ${B} current with ${running} calculations running on ${A}`);
    assert.ok(running > 0, 'no calculation was still running on A at the switch: the test proves nothing');

    const later = Array.from({ length: AFTER_SWITCH }, (_, i) => BigInt(5000 + i));
    const onB = await pool(later, 20, (n) => post(b!, n));

    // Drain A: wait for everything it started, then stop its five workers and its API.
    const resultsA = await pool(onA, 50, (id) => result(b!, id));
    const drainedSeconds = (Date.now() - switchedAt) / 1000;
    const pidsA = new Set(a.processes().map((p) => p.pid));
    const pidsB = new Set(b.processes().map((p) => p.pid));
    await a.stop();
    a = undefined;
    console.log(`upgrade: ${A} drained ${drainedSeconds.toFixed(1)} s after the switch, then stopped`);
    const resultsB = await pool(onB, 20, (id) => result(b!, id));

    const check = async (ids: string[], results: Result[], inputs: bigint[], version?: string) => {
      for (const [i, id] of ids.entries()) {
        const r = results[i]!;
        assert.deepEqual([r.message, r.result], ['completed', calculate(inputs[i]!).toString()], id);
        const ranOn = r.worker_version?.build_id;
        if (version) assert.equal(ranOn, version, `${id} should have run on ${version}`);
        const run = await runOf(b!, id);
        assert.deepEqual([...run.versions], [ranOn], `${id}: workflow tasks on ${[...run.versions].join(', ')}`);
        const pids = ranOn === A ? pidsA : pidsB;
        for (const identity of run.identities) {
          assert.ok(pids.has(pidIn(identity)), `${id} ran on ${ranOn} but ${identity} is not one of its workers`);
        }
        assert.deepEqual(run.attempts, [1, 1, 1], `${id}: a step was retried after: ${run.lastFailures.join('; ')}`);
        assert.equal(run.failures, 0, `${id}: a task failed or timed out`);
      }
    };
    await check(onA, resultsA, numbers);
    await check(onB, resultsB, later, B);
    const byVersion = resultsA.reduce<Record<string, number>>((counts, r) => {
      const v = r.worker_version?.build_id ?? 'none';
      return { ...counts, [v]: (counts[v] ?? 0) + 1 };
    }, {});
    console.log(`upgrade: calculations started before the switch, by version: ${JSON.stringify(byVersion)}`);
  });
});
