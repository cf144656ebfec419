/**
 * A thousand calculations through the API at once (50 in flight), with zero waits: every
 * result exact, none lost or duplicated, and the two power_of_2 replicas sharing the work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WORKFLOW_TYPE } from '@calc/contracts';
import { stepRuns } from './history';
import { pool } from './pool';
import { startStack, ZERO_WAITS, type RunningStack } from './stack';

const CALCULATIONS = 1000;
const CONCURRENCY = 50;

let stack: RunningStack;

before(async () => {
  stack = await startStack({
    ...ZERO_WAITS,
  });
});

after(async () => {
  await stack?.stop();
});

describe('load', () => {
  it(`${CALCULATIONS} calculations at concurrency ${CONCURRENCY}: all exact, none duplicated, both replicas used`, async () => {
    const numbers = Array.from({ length: CALCULATIONS }, (_, i) => BigInt(i - 500));
    const startedAt = Date.now();
    const ids = await pool(numbers, CONCURRENCY, async (n) => {
      const res = await fetch(`${stack.api}/?number=${n}`, { method: 'POST' });
      assert.equal(res.status, 202);
      return ((await res.json()) as { workflow_id: string }).workflow_id;
    });
    const results = await pool(ids, CONCURRENCY, async (id) => {
      for (;;) {
        const res = await fetch(`${stack.api}/result/${id}?wait=30`);
        if (res.status === 200) return (await res.json()) as { message: string; result?: string };
        assert.equal(res.status, 202);
      }
    });
    const elapsed = (Date.now() - startedAt) / 1000;
    console.log(
      `load: ${CALCULATIONS} calculations in ${elapsed.toFixed(1)} s (${(CALCULATIONS / elapsed).toFixed(1)}/s)`,
    );

    results.forEach((r, i) => assert.deepEqual(r, stack.completed(ids[i]!, numbers[i]!)));
    assert.equal(new Set(ids).size, CALCULATIONS);
    const { count } = await stack.client.workflow.count(`WorkflowType = '${WORKFLOW_TYPE}'`);
    assert.equal(count, CALCULATIONS, 'the server holds another number of calculations than were started');

    const byReplica = new Map<string, number>();
    await pool(ids, CONCURRENCY, async (id) => {
      const step = (await stepRuns(stack.client, id)).find((s) => s.activity === 'power_of_2')!;
      const replica = step.completedBy!.replace(/@.*/, '');
      byReplica.set(replica, (byReplica.get(replica) ?? 0) + 1);
    });
    console.log(`load: power_of_2 activities per replica ${JSON.stringify(Object.fromEntries(byReplica))}`);
    assert.deepEqual([...byReplica.keys()].sort(), ['power_of_2-python-1', 'power_of_2-python-2']);
    for (const [replica, ran] of byReplica) {
      assert.ok(ran >= CALCULATIONS * 0.2, `${replica} ran only ${ran} of ${CALCULATIONS} power_of_2 activities`);
    }
  });
});
