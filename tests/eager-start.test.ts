/**
 * API_EAGER_START=on: the API runs a workflow worker of its own and asks for each calculation's
 * first workflow task in the start's answer. A task started that way carries the identity of
 * the request that started it, the API's (`calc-api@host:pid`), where a task taken from the
 * queue carries a worker's; the later tasks of the calculation stay with the API's worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import { calculate, STEPS, WORKFLOW_TYPE } from '@calc/contracts';
import { startStack, ZERO_WAITS, type RunningStack } from './stack';

const EventType = temporal.api.enums.v1.EventType;
const CALCULATIONS = 20;

describe('eager workflow start in the API', () => {
  let stack: RunningStack;
  before(async () => {
    stack = await startStack({ ...ZERO_WAITS, API_EAGER_START: 'on' });
  });
  after(async () => stack?.stop());

  it(`takes the first workflow task of each of ${CALCULATIONS} calculations in the API's process`, async () => {
    const api = stack.process('api');
    const apiClient = new RegExp(`^calc-api@[^:]+:${api.pid}$`);
    const apiWorker = new RegExp(`^${WORKFLOW_TYPE}-typescript-api@[^:]+:${api.pid}$`);
    const numbers = Array.from({ length: CALCULATIONS }, (_, i) => BigInt(i + 2));
    const ids = await Promise.all(
      numbers.map(async (n) => {
        const res = await fetch(`${stack.api}/?number=${n}`, { method: 'POST' });
        assert.equal(res.status, 202, await res.clone().text());
        return ((await res.json()) as { workflow_id: string }).workflow_id;
      }),
    );
    for (const [i, id] of ids.entries()) {
      const res = await fetch(`${stack.api}/result/${id}?wait=30`);
      const body = (await res.json()) as { result?: string };
      assert.equal(res.status, 200);
      assert.equal(body.result, calculate(numbers[i]!).toString());
      const { events } = await stack.client.workflow.getHandle(id).fetchHistory();
      const [first, ...later] = (events ?? [])
        .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        .map((e) => e.workflowTaskCompletedEventAttributes!.identity ?? '');
      // Each task's completion names the worker that ran it; the first one started eagerly.
      assert.match(first ?? '', apiWorker, `first task of ${id}`);
      const started = events?.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
      assert.match(started?.workflowTaskStartedEventAttributes?.identity ?? '', apiClient, `eager start of ${id}`);
      assert.equal(later.length, STEPS.length);
      for (const identity of later) assert.match(identity, apiWorker, `later tasks of ${id}`);
    }
  });

  it('SIGTERM to the API stops its worker with it: exit code 0, and the restarted API serves again', async () => {
    const { pid } = stack.process('api');
    process.kill(pid, 'SIGTERM');
    await stack.restarted('api', pid);
    assert.equal(stack.process('api').exitCode, 0);
    // The new API listens once its connection is open.
    for (const until = Date.now() + 30_000; ;) {
      const up = await fetch(`${stack.api}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      assert.ok(Date.now() < until, 'the restarted API did not answer /health within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await fetch(`${stack.api}/?number=5`, { method: 'POST' });
    const { workflow_id: id } = (await res.json()) as { workflow_id: string };
    const done = await fetch(`${stack.api}/result/${id}?wait=30`);
    assert.equal(((await done.json()) as { result: string }).result, calculate(5n).toString());
  });

  it('with the workflow-worker process stopped, calculations still complete on the API alone', async () => {
    const worker = stack.process('workflow-worker');
    process.kill(worker.pid, 'SIGSTOP');
    try {
      const res = await fetch(`${stack.api}/?number=7`, { method: 'POST' });
      const { workflow_id: id } = (await res.json()) as { workflow_id: string };
      const done = await fetch(`${stack.api}/result/${id}?wait=30`);
      assert.equal(done.status, 200);
      assert.equal(((await done.json()) as { result: string }).result, calculate(7n).toString());
    } finally {
      process.kill(worker.pid, 'SIGCONT');
    }
  });
});
