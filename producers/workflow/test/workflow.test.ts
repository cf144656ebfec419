/**
 * CalculateWorkflow against a real dev server: the order and queues of the steps, exactness,
 * retries, failures and the progress query.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { STEPS } from '@calc/contracts';
import { progressQuery } from '../workflows';
import {
  FIRST,
  SECOND,
  inputOf,
  outputOf,
  named,
  resultOf,
  calls,
  overrides,
  hold,
  usePipeline,
  start,
} from './pipeline';

usePipeline();

describe('CalculateWorkflow', () => {
  it(`runs ${STEPS.map((s) => s.activity).join(', ')} in that order, each on its own queue`, async () => {
    const handle = await start('2');
    assert.equal(await handle.result(), resultOf(2n));
    const mine = calls.filter((c) => c.workflowId === handle.workflowId);
    assert.deepEqual(
      mine.map((c) => [c.activity, c.taskQueue, c.input]),
      STEPS.map((s) => [s.activity, s.taskQueue, inputOf(s, 2n)]),
    );
  });

  it('is exact far past 2^53: n = 3 and a 300-digit n', async () => {
    assert.equal(await (await start('3')).result(), resultOf(3n));
    const big = '9' + '8765432101'.repeat(29) + '876543210';
    assert.equal(await (await start(big)).result(), resultOf(BigInt(big)));
  });

  it('fails at once, without retrying, when a step reports InvalidNumber', async () => {
    overrides.set(`${SECOND.activity}:${inputOf(SECOND, -1001n)}`, async (n) => {
      throw ApplicationFailure.create({
        type: 'InvalidNumber',
        message: `${SECOND.activity}: invalid number ${JSON.stringify(n)}: test`,
        nonRetryable: true,
      });
    });
    const handle = await start('-1001');
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'InvalidNumber');
      assert.match(err.cause.message, new RegExp(`^${named(SECOND)} failed: ${SECOND.activity}: invalid number`));
      return true;
    });
    const mine = calls.filter((c) => c.workflowId === handle.workflowId);
    assert.deepEqual(
      mine.map((c) => [c.activity, c.attempt]),
      [
        [FIRST.activity, 1],
        [SECOND.activity, 1],
      ],
      'InvalidNumber was retried or later steps ran',
    );
  });

  it('retries a step that fails for another reason', async () => {
    let failures = 0;
    overrides.set(`${FIRST.activity}:5`, async (n) => {
      if (failures++ === 0) throw new Error('transient trouble');
      return outputOf(FIRST, n);
    });
    const handle = await start('5');
    assert.equal(await handle.result(), resultOf(5n));
    const attempts = calls.filter((c) => c.workflowId === handle.workflowId && c.activity === FIRST.activity);
    assert.deepEqual(
      attempts.map((c) => c.attempt),
      [1, 2],
    );
  });

  it('reports each step and its value through the progress query', async () => {
    const release = hold(SECOND, inputOf(SECOND, 7n));
    const handle = await start('7');
    let progress = await handle.query(progressQuery);
    for (let i = 0; i < 100 && progress.steps[1]?.status !== 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      progress = await handle.query(progressQuery);
    }
    assert.equal(progress.number, '7');
    assert.deepEqual(
      progress.steps.map((s) => [s.activity, s.language, s.status, s.input, s.output]),
      [
        [FIRST.activity, FIRST.language, 'completed', '7', outputOf(FIRST, '7')],
        [SECOND.activity, SECOND.language, 'running', inputOf(SECOND, 7n), undefined],
        ...STEPS.slice(2).map((s) => [s.activity, s.language, 'pending', undefined, undefined]),
      ],
    );
    release();
    assert.equal(await handle.result(), resultOf(7n));
    const done = await handle.query(progressQuery);
    assert.deepEqual(
      done.steps.map((s) => s.status),
      STEPS.map(() => 'completed'),
    );
  });
});
