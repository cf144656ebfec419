/**
 * The whole system, as a user meets it: the real Temporal server, the real Python, Go and
 * TypeScript workers and the API, started the way `make up` starts them, on free ports.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { STEPS, WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser';
import { stepRuns } from './history';
import { ProbeStep } from './probe-workflow';
import { startStack, ZERO_WAITS, type RunningStack } from './stack';
import { resultOf as resultAt, startCalculation, userChecks } from './user-checks';

let stack: RunningStack;

before(async () => {
  // Zero waits keep the suite quick; the waits themselves are covered by each worker's tests.
  stack = await startStack({
    ...ZERO_WAITS,
  });
});

after(async () => {
  await stack?.stop();
});

const resultOf = (id: string) => resultAt(stack.api, id);

describe('the pipeline end to end', () => {
  userChecks(() => stack);

  it('runs two distinct power_of_2 replicas', async () => {
    const res = await stack.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: 'power-of-2-service-queue' },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    const identities = new Set(res.pollers.map((p) => p.identity?.replace(/@.*/, '')));
    assert.deepEqual([...identities].sort(), ['power_of_2-python-1', 'power_of_2-python-2']);
  });
});

describe('bad payloads sent straight to the workers', () => {
  let worker: Worker;
  let running: Promise<void>;
  let connection: NativeConnection;
  const taskQueue = `probe-${process.pid}`;

  before(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    connection = await NativeConnection.connect({ address: stack.temporalAddress });
    worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('./probe-workflow'),
      dataConverter: stack.dataConverter,
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
  });

  let probes = 0;
  for (const step of STEPS) {
    for (const payload of ['2.5', 5, '0x10']) {
      it(`${step.activity} (${step.language}) fails ${JSON.stringify(payload)} at once with InvalidNumber`, async () => {
        const handle = await stack.client.workflow.start(ProbeStep, {
          taskQueue,
          workflowId: `probe-${process.pid}-${++probes}`,
          args: [step.activity, step.taskQueue, payload],
        });
        await assert.rejects(handle.result(), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure);
          const failure = err.cause.cause;
          assert.ok(failure instanceof ApplicationFailure, String(failure));
          assert.equal(failure.type, 'InvalidNumber');
          assert.equal(failure.nonRetryable, true);
          assert.ok(
            failure.message.startsWith(`${step.activity}: invalid number ${JSON.stringify(payload)}`),
            failure.message,
          );
          return true;
        });
        const [run] = await stepRuns(stack.client, handle.workflowId);
        assert.deepEqual([run!.outcome, run!.attempt], ['failed', 1]);
        assert.match(run!.startedBy!, new RegExp(`^${step.activity}-${step.language}-`));
      });
    }
  }

  it('CalculateWorkflow started without the API fails at once on a malformed number', async () => {
    const handle = await stack.client.workflow.start('CalculateWorkflow', {
      taskQueue: 'calculation-task-queue',
      workflowId: `direct-${process.pid}`,
      args: ['1e3'],
    });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'InvalidNumber');
      assert.match(err.cause.message, /power_of_2: invalid number "1e3"/);
      return true;
    });
    const res = await fetch(`${stack.api}/result/direct-${process.pid}`);
    const body = (await res.json()) as { message: string; error_type: string };
    assert.deepEqual([res.status, body.message, body.error_type], [200, 'failed', 'InvalidNumber']);
  });
});

// Two settings of every worker, off their defaults in one stack.
describe('with TEMPORAL_WORKER_VERSIONING=off and TEMPORAL_WORKER_POLLERS=autoscaling', () => {
  let off: RunningStack;
  before(async () => {
    off = await startStack({
      ...ZERO_WAITS,
      TEMPORAL_WORKER_VERSIONING: 'off',
      TEMPORAL_WORKER_POLLERS: 'autoscaling',
    });
  });
  after(async () => {
    await off?.stop();
  });

  it('every worker process, in each language, says its pollers autoscale', () => {
    const ready = off
      .output()
      .split('\n')
      .filter((line) => /worker ready/.test(line));
    assert.equal(
      ready.length,
      off.processes().filter((p) => !['api', 'temporal'].includes(p.service)).length,
      ready.join('\n'),
    );
    for (const line of ready) assert.match(line, /pollers[ =":]+autoscaling/i);
  });

  it('unversioned workers compute 2 exactly, and nothing reports a version', async () => {
    assert.match(off.output(), /no version to make current/);
    assert.doesNotMatch(off.output(), /is the current version of worker deployment/);
    assert.deepEqual(
      off.processes().filter((p) => p.version),
      [],
    );
    const id = await startCalculation(off.api, '2');
    const { status, body } = await resultAt(off.api, id);
    assert.equal(status, 200);
    assert.deepEqual(body, { message: 'completed', workflow_id: id, result: '281474976710656' });
    const { TASK_QUEUE_TYPE_WORKFLOW: WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY: ACTIVITY } =
      temporal.api.enums.v1.TaskQueueType;
    const queues = [[WORKFLOW_TASK_QUEUE, WORKFLOW] as const, ...STEPS.map((s) => [s.taskQueue, ACTIVITY] as const)];
    for (const [name, taskQueueType] of queues) {
      const { pollers } = await off.client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name },
        taskQueueType,
      });
      assert.ok(pollers.length > 0, `no poller on ${name}`);
      for (const p of pollers) {
        assert.equal(p.deploymentOptions ?? undefined, undefined, `${name}: ${p.identity}`);
        assert.ok(!p.workerVersionCapabilities?.useVersioning, `${name}: ${p.identity}`);
      }
    }
  });
});

describe('Swagger UI in a browser', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('runs POST / through "Try it out" and shows the workflow id', async () => {
    const page = await browser.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(stack.api) && !r.url().startsWith('data:')) external.push(r.url());
    });
    await page.goto(`${stack.api}/docs`);
    await page.locator('#operations-calculations-startCalculation .opblock-summary').click();
    await page.getByRole('button', { name: 'Try it out' }).click();
    await page.locator('#operations-calculations-startCalculation input[placeholder="number"]').fill('2');
    await page.getByRole('button', { name: 'Execute' }).click();
    const response = page.locator(
      '#operations-calculations-startCalculation .live-responses-table .response-col_description pre',
    );
    await response.first().waitFor({ timeout: 15_000 });
    const text = await response.first().innerText();
    const match = /"workflow_id":\s*"(calculate-[0-9a-f-]{36})"/.exec(text);
    assert.ok(match, `no workflow id in the response shown: ${text}`);
    assert.deepEqual(external, [], 'the docs page loaded something from outside the API');
    const { body } = await resultOf(match[1]!);
    assert.equal(body.result, '281474976710656');
  });
});
