/**
 * The worker's HTTP probe: /healthz, /readyz through starting, ready and stopping.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { startProbe, type Probe } from '@calc/runtime';

const identity = 'power_of_6-typescript-1@h:1';
const taskQueue = 'power-of-6-service-queue';
const version = { deploymentName: 'calculation', buildId: 'abc123' };
const worker = { identity, task_queue: taskQueue, build_id: 'abc123', deployment: 'calculation' };
let probe: Probe | undefined;

afterEach(async () => {
  await probe?.close();
  probe = undefined;
});

async function get(path: string): Promise<[number, string | null, unknown]> {
  const res = await fetch(`http://127.0.0.1:${probe!.port}${path}`);
  return [res.status, res.headers.get('content-type'), await res.json()];
}

describe('probe', () => {
  it('is live from the start and ready only between markReady and markStopping, naming its version', async () => {
    probe = await startProbe({ identity, taskQueue, version, port: 0, host: '127.0.0.1' });
    const json = 'application/json';
    assert.deepEqual(await get('/healthz'), [200, json, { status: 'ok', identity }]);
    assert.deepEqual(await get('/readyz'), [503, json, { status: 'starting', ...worker }]);
    probe.markReady();
    assert.deepEqual(await get('/readyz'), [200, json, { status: 'ready', ...worker }]);
    assert.deepEqual(await get('/readyz?verbose=1'), [200, json, { status: 'ready', ...worker }]);
    probe.markStopping();
    assert.deepEqual(await get('/readyz'), [503, json, { status: 'stopping', ...worker }]);
    probe.markReady();
    assert.equal((await get('/readyz'))[0], 503, 'a stopping worker never turns ready again');
    assert.deepEqual(await get('/healthz'), [200, json, { status: 'ok', identity }]);
    assert.equal((await get('/ready'))[0], 404);
    assert.equal((await get('/'))[0], 404);
  });

  it('names no version for an unversioned worker', async () => {
    probe = await startProbe({ identity, taskQueue, version: undefined, port: 0, host: '127.0.0.1' });
    probe.markReady();
    assert.deepEqual((await get('/readyz'))[2], { status: 'ready', identity, task_queue: taskQueue });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`turns "stopping" as soon as ${signal} arrives once ready`, async () => {
      probe = await startProbe({ identity, taskQueue, version, port: 0, host: '127.0.0.1' });
      probe.markReady();
      // The listener the probe adds stands in for the process's default action here.
      process.emit(signal, signal);
      assert.deepEqual((await get('/readyz')).slice(0, 1), [503]);
      assert.equal(((await get('/readyz'))[2] as { status: string }).status, 'stopping');
    });
  }

  it('leaves signals alone before it is ready and after it is closed', async () => {
    const before = process.listenerCount('SIGTERM');
    probe = await startProbe({ identity, taskQueue, version, port: 0, host: '127.0.0.1' });
    assert.equal(process.listenerCount('SIGTERM'), before);
    probe.markReady();
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    await probe.close();
    assert.equal(process.listenerCount('SIGTERM'), before);
  });

  it('refuses to start on a port in use, naming the address', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((done) => taken.once('listening', done));
    const { port } = taken.address() as { port: number };
    try {
      await assert.rejects(
        startProbe({ identity, taskQueue, version, port, host: '127.0.0.1' }),
        new RegExp(`EADDRINUSE.*127\\.0\\.0\\.1:${port}`),
      );
    } finally {
      taken.close();
    }
  });

  it('serves nothing without a port', async () => {
    probe = await startProbe({ identity, taskQueue, version, port: undefined, host: '127.0.0.1' });
    assert.equal(probe.port, undefined);
    probe.markReady();
    probe.markStopping();
  });
});
