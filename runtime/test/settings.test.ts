/**
 * Settings read through envalid with the contract's rules, message and exit code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  exitOnSettingsError,
  logFormat,
  optionalPort,
  port,
  readDeploymentVersion,
  readSettings,
  replica,
  seconds,
  SettingsError,
  wholeNumber,
  workerSettings,
} from '@calc/runtime';

interface Contract {
  settings: { exitCode: number; seconds: { rule: string }; replica: { rule: string }; port: { rule: string } };
}
interface WaitVectors {
  waitTimeouts: { valid: { value: string; seconds: number | null }[]; invalid: string[] };
}
const contracts = join(__dirname, '../../contracts');
const { settings } = JSON.parse(readFileSync(join(contracts, 'contract.json'), 'utf8')) as Contract;
const { waitTimeouts } = JSON.parse(readFileSync(join(contracts, 'vectors.json'), 'utf8')) as WaitVectors;

/** The SettingsError `read` throws. */
function refusal(read: () => unknown): SettingsError {
  try {
    read();
  } catch (err) {
    assert.ok(err instanceof SettingsError, String(err));
    return err;
  }
  assert.fail('no SettingsError');
}

describe('seconds', () => {
  const spec = { WAIT: seconds({ default: 1 }) };
  for (const { value, seconds: expected } of waitTimeouts.valid) {
    it(`${JSON.stringify(value)} -> ${expected ?? 'the default'}`, () => {
      assert.equal(readSettings(spec, { WAIT: value }).WAIT, expected ?? 1);
    });
  }
  it('unset -> the default', () => assert.equal(readSettings(spec, {}).WAIT, 1));
  for (const value of waitTimeouts.invalid) {
    it(`${JSON.stringify(value)} is refused with the contract's rule`, () => {
      const err = refusal(() => readSettings(spec, { WAIT: value }));
      assert.equal(err.message, `invalid setting WAIT=${JSON.stringify(value)}: expected ${settings.seconds.rule}`);
    });
  }
});

describe('ports', () => {
  it('optionalPort is off when unset or empty, a number otherwise', () => {
    const spec = { PORT: optionalPort() };
    assert.equal(readSettings(spec, {}).PORT, undefined);
    assert.equal(readSettings(spec, { PORT: '' }).PORT, undefined);
    assert.equal(readSettings(spec, { PORT: '1' }).PORT, 1);
    assert.equal(readSettings(spec, { PORT: '65535' }).PORT, 65535);
  });
  it('port takes a default', () => {
    assert.equal(readSettings({ PORT: port({ default: 8081 }) }, {}).PORT, 8081);
  });
  for (const bad of ['0', '65536', 'http', ' 80', '80 ', '-1', '8.0', '0x50']) {
    it(`${JSON.stringify(bad)} is refused`, () => {
      const err = refusal(() => readSettings({ PORT: optionalPort() }, { PORT: bad }));
      assert.equal(err.message, `invalid setting PORT=${JSON.stringify(bad)}: expected ${settings.port.rule}`);
    });
  }
});

describe('replica, log format, whole numbers', () => {
  it('replica: letters, digits, . _ - not first', () => {
    const spec = { R: replica({ default: '1' }) };
    assert.equal(readSettings(spec, {}).R, '1');
    assert.equal(readSettings(spec, { R: 'a-2.b_c' }).R, 'a-2.b_c');
    for (const bad of ['-a', '.a', 'a b', 'a/b', 'é']) {
      assert.match(refusal(() => readSettings(spec, { R: bad })).message, /expected a replica name of letters/);
    }
  });
  it('log format: json or text, text by default', () => {
    const spec = { LOG_FORMAT: logFormat({ default: 'text' }) };
    assert.equal(readSettings(spec, {}).LOG_FORMAT, 'text');
    assert.equal(readSettings(spec, { LOG_FORMAT: 'json' }).LOG_FORMAT, 'json');
    assert.equal(
      refusal(() => readSettings(spec, { LOG_FORMAT: 'xml' })).message,
      'invalid setting LOG_FORMAT="xml": expected json or text',
    );
  });
  it('wholeNumber(min, max) keeps to its bounds and names them', () => {
    const spec = { N: wholeNumber(2, 10)({ default: 3 }) };
    assert.equal(readSettings(spec, {}).N, 3);
    assert.equal(readSettings(spec, { N: '10' }).N, 10);
    for (const bad of ['1', '11', '2.5', 'two']) {
      assert.equal(
        refusal(() => readSettings(spec, { N: bad })).message,
        `invalid setting N=${JSON.stringify(bad)}: expected a whole number from 2 to 10`,
      );
    }
  });
});

describe('the message', () => {
  it('cuts a value over 40 characters and keeps JSON quoting', () => {
    const long = `"${'x'.repeat(60)}`;
    const err = refusal(() => readSettings({ P: optionalPort() }, { P: long }));
    assert.equal(
      err.message,
      `invalid setting P=${JSON.stringify(long.slice(0, 40))}...: expected ${settings.port.rule}`,
    );
    assert.equal(err.variable, 'P');
    assert.equal(err.value, long);
  });
  it('names the first bad variable in the order of the spec', () => {
    const spec = { A: seconds({ default: 0 }), B: optionalPort(), C: optionalPort() };
    assert.equal(refusal(() => readSettings(spec, { C: 'x', B: 'y' })).variable, 'B');
  });
  it('reads process.env by default', () => {
    process.env.SETTINGS_TEST_PORT = '99999';
    try {
      assert.equal(refusal(() => readSettings({ SETTINGS_TEST_PORT: optionalPort() })).value, '99999');
    } finally {
      delete process.env.SETTINGS_TEST_PORT;
    }
  });
});

describe('exitOnSettingsError', () => {
  it('prints one line with the program name and exits with the contract code', () => {
    const script = `
      const { exitOnSettingsError, optionalPort, readSettings } = require('@calc/runtime');
      try { readSettings({ HEALTH_PORT: optionalPort() }); } catch (err) { exitOnSettingsError('some worker', err); }
      console.log('not reached');`;
    const run = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, HEALTH_PORT: 'http' },
      encoding: 'utf8',
    });
    assert.equal(run.status, settings.exitCode);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, `some worker: invalid setting HEALTH_PORT="http": expected ${settings.port.rule}\n`);
  });
  it('hands any other error back', () => {
    const other = new Error('connection refused');
    assert.equal(exitOnSettingsError('w', other), other);
  });
});

describe('TEMPORAL_WORKER_POLLERS', () => {
  const read = (value: string) =>
    readSettings(workerSettings, { TEMPORAL_WORKER_POLLERS: value }).TEMPORAL_WORKER_POLLERS;
  it('is fixed unless autoscaling is asked for', () => {
    assert.equal(read(''), 'fixed');
    assert.equal(read('fixed'), 'fixed');
    assert.equal(read('autoscaling'), 'autoscaling');
  });
  for (const bad of ['auto', 'Autoscaling', '5', ' fixed']) {
    it(`refuses ${JSON.stringify(bad)} with the contract's rule`, () => {
      assert.equal(
        refusal(() => read(bad)).message,
        `invalid setting TEMPORAL_WORKER_POLLERS=${JSON.stringify(bad)}: expected fixed or autoscaling`,
      );
    });
  }
});

describe('deployment version', () => {
  it("defaults to the contract's deployment and build id", () => {
    assert.deepEqual(readDeploymentVersion({}), { deploymentName: 'calculation', buildId: 'dev' });
    assert.deepEqual(
      readDeploymentVersion({ TEMPORAL_DEPLOYMENT_NAME: 'calc-blue', TEMPORAL_WORKER_BUILD_ID: 'v1.2_3-abc' }),
      {
        deploymentName: 'calc-blue',
        buildId: 'v1.2_3-abc',
      },
    );
  });
  it('TEMPORAL_WORKER_VERSIONING: on (the default, also when empty) gives the version, off none', () => {
    const version = { deploymentName: 'calculation', buildId: 'dev' };
    assert.deepEqual(readDeploymentVersion({ TEMPORAL_WORKER_VERSIONING: '' }), version);
    assert.deepEqual(readDeploymentVersion({ TEMPORAL_WORKER_VERSIONING: 'on' }), version);
    assert.equal(
      readDeploymentVersion({ TEMPORAL_WORKER_VERSIONING: 'off', TEMPORAL_WORKER_BUILD_ID: 'v2' }),
      undefined,
    );
  });
  for (const bad of ['yes', 'ON', 'false', ' off']) {
    it(`refuses TEMPORAL_WORKER_VERSIONING=${JSON.stringify(bad)} with the contract's rule`, () => {
      const err = refusal(() => readDeploymentVersion({ TEMPORAL_WORKER_VERSIONING: bad }));
      assert.equal(err.variable, 'TEMPORAL_WORKER_VERSIONING');
      assert.equal(
        err.message,
        `invalid setting TEMPORAL_WORKER_VERSIONING=${JSON.stringify(bad)}: expected on or off`,
      );
    });
  }
  for (const bad of ['a b', 'a/b', 'b'.repeat(65), 'é']) {
    it(`refuses the build id ${JSON.stringify(bad.slice(0, 10))} with the contract's rule`, () => {
      const err = refusal(() => readDeploymentVersion({ TEMPORAL_WORKER_BUILD_ID: bad }));
      assert.equal(err.variable, 'TEMPORAL_WORKER_BUILD_ID');
      assert.match(err.message, /: expected a build id of letters, digits, '\.', '_' or '-'$/);
    });
  }
});
