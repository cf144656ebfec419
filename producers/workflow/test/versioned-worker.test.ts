/**
 * The real workflow worker (src/worker.ts) as one version of a Worker Deployment, with payload
 * encryption on, against a Temporal dev server: its probe names the version, the API reports
 * that version for the calculations it ran, and Temporal stores only ciphertext. The steps are
 * test activities on their own queues, unversioned, decrypting with the same keys.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { calculate, INVALID_NUMBER, STEPS, WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import { dataConverter, readPayloadSettings } from '@calc/runtime';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { loadApiConfig } from '../../api/config';

const TEMPORAL_BIN = join(__dirname, '../../../.tools/bin/temporal');
const KEYS = 'v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const DEPLOYMENT = 'calculation-test';
const BUILD_ID = `build-${process.pid}`;
const BAD_INPUT = '-77';

/** The stored history of a workflow as the bytes Temporal keeps: clear text would show in them. */
async function storedHistory(workflowId: string): Promise<Buffer> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
}

let env: TestWorkflowEnvironment;
let app: FastifyInstance;
let worker: ChildProcess;
let healthPort: number;
let stderr = '';
const activityWorkers: Worker[] = [];
const running: Promise<void>[] = [];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function readyz(): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** Makes the worker's version current; the server refuses until it has seen the version poll. */
async function setCurrentVersion(client: Client): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: client.options.namespace,
        deploymentName: DEPLOYMENT,
        buildId: BUILD_ID,
        identity: 'versioned-worker-test',
      });
      return;
    } catch (err) {
      if (attempt >= 60) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

before(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: TEMPORAL_BIN } },
  });
  healthPort = await freePort();
  worker = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../worker.ts')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      PAYLOAD_KEYS: KEYS,
      PAYLOAD_ENCRYPTION: 'on',
      TEMPORAL_DEPLOYMENT_NAME: DEPLOYMENT,
      TEMPORAL_WORKER_BUILD_ID: BUILD_ID,
      HEALTH_PORT: String(healthPort),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  worker.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

  const converter = dataConverter(readPayloadSettings({ PAYLOAD_KEYS: KEYS }));
  for (const step of STEPS) {
    const w = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: step.taskQueue,
      dataConverter: converter,
      activities: {
        [step.activity]: async (n: string) => {
          if (n === BAD_INPUT)
            throw ApplicationFailure.create({ type: INVALID_NUMBER, message: `${step.activity}: secret reason` });
          return (BigInt(n) ** BigInt(step.exponent)).toString();
        },
      },
    });
    activityWorkers.push(w);
    running.push(w.run());
  }
  for (let i = 0; i < 240 && (await readyz())?.status !== 200; i++) await new Promise((r) => setTimeout(r, 250));
  const client = new Client({ connection: env.connection, dataConverter: converter });
  await setCurrentVersion(client);
  app = await buildApp({ client, config: loadApiConfig({}) });
});

after(async () => {
  await app?.close();
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await once(worker, 'exit');
  }
  for (const w of activityWorkers) w.shutdown();
  await Promise.all(running);
  await env?.teardown();
});

describe('a versioned workflow worker with encryption on', () => {
  it('names its build id and deployment on /readyz', async () => {
    const ready = await readyz();
    assert.equal(ready?.status, 200, stderr);
    assert.equal(ready.body.build_id, BUILD_ID);
    assert.equal(ready.body.deployment, DEPLOYMENT);
    assert.equal(ready.body.task_queue, WORKFLOW_TASK_QUEUE);
  });

  it('runs a calculation that GET /result attributes to that version, and Temporal holds only ciphertext', async () => {
    const started = await app.inject({ method: 'POST', url: '/?number=3' });
    assert.equal(started.statusCode, 202);
    const id = started.json<{ workflow_id: string }>().workflow_id;
    const done = await app.inject({ method: 'GET', url: `/result/${id}?wait=30` });
    assert.equal(done.statusCode, 200, done.body);
    assert.deepEqual(done.json(), {
      message: 'completed',
      workflow_id: id,
      result: calculate(3n).toString(),
      worker_version: { deployment: DEPLOYMENT, build_id: BUILD_ID },
    });
    // Read again once ended: the version stays in the description.
    const again = await app.inject({ method: 'GET', url: `/result/${id}` });
    assert.deepEqual(again.json<{ worker_version: unknown }>().worker_version, {
      deployment: DEPLOYMENT,
      build_id: BUILD_ID,
    });

    const stored = await storedHistory(id);
    assert.ok(stored.includes('binary/encrypted'));
    assert.ok(!stored.includes(calculate(3n).toString()), 'the result is stored in clear');
    assert.ok(!stored.includes('"6561"'), 'a step output is stored in clear');
  });

  it('reports a step failure through the API while the message stays encrypted in Temporal', async () => {
    const id = (await app.inject({ method: 'POST', url: `/?number=${BAD_INPUT}` })).json<{ workflow_id: string }>()
      .workflow_id;
    const done = await app.inject({ method: 'GET', url: `/result/${id}?wait=30` });
    const body = done.json<{ message: string; error_type: string; reason: string }>();
    assert.equal(body.message, 'failed', done.body);
    assert.equal(body.error_type, INVALID_NUMBER);
    assert.match(
      body.reason,
      new RegExp(`^${STEPS[0]!.activity} \\(.*\\) failed: ${STEPS[0]!.activity}: secret reason`),
    );
    assert.ok(!(await storedHistory(id)).includes('secret reason'), 'a failure message is stored in clear');
  });

  it('drains and exits 0 on SIGTERM', async () => {
    worker.kill('SIGTERM');
    const [code] = (await once(worker, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
  });
});
