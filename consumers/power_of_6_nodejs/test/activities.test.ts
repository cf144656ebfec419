/**
 * power_of_6 over the shared vectors, in the SDK's activity test environment.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { powerOf6 } from '../src/activities';

interface Vectors {
  valid: { name: string; power_of_4: string; power_of_6: string }[];
  invalid: { name: string; value: unknown; mentions: string }[];
}
const vectors = JSON.parse(readFileSync(join(__dirname, '../../../contracts/vectors.json'), 'utf8')) as Vectors;
const power_of_6 = powerOf6(0);

/** An activity environment that logs only errors: the rejections below are on purpose. */
const environment = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

describe('power_of_6 computes n^6 exactly', () => {
  for (const v of vectors.valid) {
    it(`${v.name}: ${v.power_of_4.slice(0, 30)} -> ${v.power_of_6.slice(0, 30)}`, async () => {
      assert.equal(await environment().run(power_of_6, v.power_of_4), v.power_of_6);
    });
  }

  it('n = 3 gives 3^48 after the earlier steps', async () => {
    assert.equal(await environment().run(power_of_6, '6561'), '79766443076872509863361');
  });
});

describe('power_of_6 rejects what the contract rejects', () => {
  for (const v of vectors.invalid) {
    it(`${v.name} -> non-retryable InvalidNumber`, async () => {
      await assert.rejects(environment().run(power_of_6, v.value), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
        assert.equal(err.type, 'InvalidNumber');
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, /^power_of_6: invalid number /);
        assert.ok(err.message.includes(v.mentions), `${err.message.slice(0, 200)} should mention ${v.mentions}`);
        return true;
      });
    });
  }
});

describe('power_of_6 waits while heartbeating', () => {
  it('heartbeats during the wait and still returns the exact value', async () => {
    const env = environment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const started = Date.now();
    assert.equal(await env.run(powerOf6(0.3), '2'), '64');
    assert.ok(Date.now() - started >= 300, 'the wait was skipped');
    assert.ok(beats >= 1, 'no heartbeat during the wait');
  });

  it('stops waiting as soon as it is cancelled', async () => {
    const env = environment();
    const running = env.run(powerOf6(30), '2');
    setTimeout(() => env.cancel('CANCELLED'), 100);
    const started = Date.now();
    await assert.rejects(running, CancelledFailure);
    assert.ok(Date.now() - started < 5000, 'cancellation did not interrupt the wait');
  });
});
