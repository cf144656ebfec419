/**
 * Worker settings: the shared wait-timeout vectors, the replica and the grace period.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SettingsError, workerIdentity } from '@calc/runtime';
import { loadWorkerConfig } from '../src/config';

interface WaitVectors {
  waitTimeouts: { valid: { value: string; seconds: number | null }[]; invalid: string[] };
}
const { waitTimeouts } = JSON.parse(
  readFileSync(join(__dirname, '../../../contracts/vectors.json'), 'utf8'),
) as WaitVectors;
const VAR = 'ACTIVITY_3_WAIT_TIMEOUT';

describe('ACTIVITY_3_WAIT_TIMEOUT', () => {
  for (const { value, seconds } of waitTimeouts.valid) {
    it(`${JSON.stringify(value)} -> ${seconds ?? 'the default (1)'} s`, () => {
      assert.equal(loadWorkerConfig({ [VAR]: value }).waitSeconds, seconds ?? 1);
    });
  }
  it('unset -> the default (1) s', () => assert.equal(loadWorkerConfig({}).waitSeconds, 1));
  for (const value of waitTimeouts.invalid) {
    it(`${JSON.stringify(value)} is refused with a message naming the variable`, () => {
      assert.throws(
        () => loadWorkerConfig({ [VAR]: value }),
        (err: unknown) => {
          assert.ok(err instanceof SettingsError);
          assert.ok(err.message.startsWith(`invalid setting ${VAR}=${JSON.stringify(value)}: `), err.message);
          return true;
        },
      );
    });
  }
});

describe('replica, grace period and identity', () => {
  it('defaults to replica 1 and a 10 s grace period', () => {
    const config = loadWorkerConfig({});
    assert.equal(config.WORKER_REPLICA, '1');
    assert.equal(config.WORKER_SHUTDOWN_GRACE_SECONDS, 10);
  });
  it('refuses a malformed grace period', () => {
    assert.throws(
      () => loadWorkerConfig({ WORKER_SHUTDOWN_GRACE_SECONDS: 'soon' }),
      /invalid setting WORKER_SHUTDOWN_GRACE_SECONDS="soon": expected /,
    );
  });
  it('names the activity, the language and the replica', () => {
    assert.match(workerIdentity('power_of_6-typescript', '2'), /^power_of_6-typescript-2@[^:]+:\d+$/);
  });
  it('the worker exits with code 2 and one line at start-up, before connecting, when the wait is malformed', () => {
    const main = join(__dirname, '../src/main.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, [VAR]: 'soon', TEMPORAL_ADDRESS: '127.0.0.1:1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 2);
    assert.equal(
      run.stderr,
      'power_of_6 worker: invalid setting ACTIVITY_3_WAIT_TIMEOUT="soon": ' +
        'expected a non-negative decimal number of seconds, such as 0, 1 or 2.5\n',
    );
  });
  it('the worker exits with code 2 at start-up, not showing the value, when PAYLOAD_KEYS is malformed or missing', () => {
    const main = join(__dirname, '../src/main.ts');
    for (const keys of ['k:c2VjcmV0', undefined]) {
      const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', PAYLOAD_ENCRYPTION: 'on' };
      if (keys === undefined) delete env.PAYLOAD_KEYS;
      else env.PAYLOAD_KEYS = keys;
      const run = spawnSync(process.execPath, ['--import', 'tsx', main], { env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 2);
      assert.equal(
        run.stderr,
        'power_of_6 worker: invalid setting PAYLOAD_KEYS (value not shown): ' +
          'expected comma-separated id:key pairs, each key 32 bytes in standard base64\n',
      );
    }
  });
});
