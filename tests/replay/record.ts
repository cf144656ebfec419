/**
 * Records the histories tests/replay/replay.test.ts replays: four real runs of
 * CalculateWorkflow on the real stack (the launcher of `make up`, on free ports), each ending
 * in one of the ways a calculation can end, written to tests/replay/histories/<name>.json in
 * Temporal's JSON form of a history. Payloads are encrypted with the public test key.
 *
 *   make build && node --import tsx tests/replay/record.ts
 *
 * Run it only when a change to the workflow is meant to break replay of older histories (see
 * docs/releases.md); the new files then describe the new code.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { calculate, WORKFLOW_TASK_QUEUE, WORKFLOW_TYPE } from '@calc/contracts';
import { format, resolveConfig } from 'prettier';
import { pidIn, runningOn, stepRuns } from '../history';
import { startStack, type RunningStack } from '../stack';
import { HISTORIES_DIR, TEST_PAYLOAD_KEYS, testDataConverter } from './histories';

// power_of_2 waits long enough to be cancelled or killed while it runs; the other steps need no time.
const WAITS = { ACTIVITY_1_WAIT_TIMEOUT: '8', ACTIVITY_2_WAIT_TIMEOUT: '0', ACTIVITY_3_WAIT_TIMEOUT: '0' };

async function startThroughApi(stack: RunningStack, number: string): Promise<string> {
  const res = await fetch(`${stack.api}/?number=${number}`, { method: 'POST' });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { workflow_id: string }).workflow_id;
}

async function finalAnswer(stack: RunningStack, id: string): Promise<Record<string, unknown>> {
  for (let tries = 0; tries < 6; tries++) {
    const res = await fetch(`${stack.api}/result/${id}?wait=20`);
    if (res.status === 200) return (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 202, await res.text());
  }
  throw new Error(`${id} did not end within two minutes`);
}

function assertCompleted(answer: Record<string, unknown>, n: bigint): void {
  assert.deepEqual([answer.message, answer.result], ['completed', calculate(n).toString()], JSON.stringify(answer));
}

async function completed(stack: RunningStack): Promise<string> {
  const id = await startThroughApi(stack, '2');
  assertCompleted(await finalAnswer(stack, id), 2n);
  return id;
}

/** Straight through the client, as a caller that skips the API's input check would. */
async function failedInvalidNumber(client: Client): Promise<string> {
  const handle = await client.workflow.start(WORKFLOW_TYPE, {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: `replay-invalid-number-${process.pid}`,
    args: ['1e3'],
  });
  await assert.rejects(handle.result(), (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure, String(err));
    assert.equal(err.cause.type, 'InvalidNumber');
    return true;
  });
  return handle.workflowId;
}

async function cancelledMidStep(stack: RunningStack, client: Client): Promise<string> {
  const id = await startThroughApi(stack, '3');
  await runningOn(client, id, 'power_of_2');
  const res = await fetch(`${stack.api}/workflows/${id}/cancel`, { method: 'POST' });
  assert.equal(res.status, 202, await res.text());
  await assert.rejects(client.workflow.getHandle(id).result(), (err: unknown) => {
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
    return true;
  });
  const steps = await stepRuns(client, id);
  assert.deepEqual(
    steps.map((s) => [s.activity, s.cancelRequested, s.outcome]),
    [['power_of_2', true, 'cancelled']],
  );
  return id;
}

async function retriedAfterKill(stack: RunningStack, client: Client): Promise<string> {
  const id = await startThroughApi(stack, '5');
  const victim = await runningOn(client, id, 'power_of_2');
  process.kill(pidIn(victim), 'SIGKILL');
  assertCompleted(await finalAnswer(stack, id), 5n);
  const step = (await stepRuns(client, id)).find((s) => s.activity === 'power_of_2')!;
  assert.equal(step.attempt, 2, 'the second attempt should have finished the step');
  assert.notEqual(step.completedBy, victim);
  return id;
}

async function main(): Promise<void> {
  const started = Date.now();
  const stack = await startStack({ ...WAITS, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS });
  try {
    const client = new Client({ connection: stack.client.connection, dataConverter: testDataConverter() });
    // Killing a power_of_2 replica would disturb the other runs, so that one comes last, alone.
    const [done, failed, cancelled] = await Promise.all([
      completed(stack),
      failedInvalidNumber(client),
      cancelledMidStep(stack, client),
    ]);
    const retried = await retriedAfterKill(stack, client);
    const runs = { completed: done, 'failed-invalid-number': failed, cancelled, 'retried-after-kill': retried };

    // The set replaces the old one whole, so that no history of an older scenario stays behind.
    mkdirSync(HISTORIES_DIR, { recursive: true });
    for (const old of readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'))) rmSync(join(HISTORIES_DIR, old));
    // Formatted as `prettier --check .` in `make lint` wants them.
    const prettier = { ...(await resolveConfig(join(HISTORIES_DIR, 'completed.json'))), parser: 'json' };
    for (const [name, id] of Object.entries(runs)) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      const text = await format(historyToJSON(history), prettier);
      writeFileSync(join(HISTORIES_DIR, `${name}.json`), text);
      console.log(`${name}.json: ${history.events?.length} events, ${text.length} bytes (workflow ${id})`);
    }
  } finally {
    await stack.stop();
  }
  console.log(`recorded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
