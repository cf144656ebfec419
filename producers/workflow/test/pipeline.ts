/**
 * A real Temporal dev server (the pinned binary) with the workflow worker and the contract's
 * steps served by test activities on their own queues, for the workflow's and the API's tests.
 * The real Python and Go workers are exercised by the end-to-end tests in tests/. Every step
 * list is derived from the contract: a step added there needs no edit here.
 */
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { calculate, type Step, type StepName, STEPS, WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import { CalculateWorkflow } from '../workflows';

const TEMPORAL_BIN = join(__dirname, '../../../.tools/bin/temporal');

export const FIRST = STEPS[0]!;
export const SECOND = STEPS[1]!;
export const LAST = STEPS[STEPS.length - 1]!;

/** What `step` receives in a calculation of `n`: n raised by the steps before it. */
export function inputOf(step: Step, n: bigint): string {
  let value = n;
  for (const s of STEPS) {
    if (s === step) return value.toString();
    value **= BigInt(s.exponent);
  }
  throw new Error(`${step.activity} is not a step of the contract`);
}

/** What `step` answers when it is given `input`. */
export const outputOf = (step: Step, input: string) => (BigInt(input) ** BigInt(step.exponent)).toString();

/** How the workflow names a step in a failure: `power_of_4 (go, power-of-4-service-queue)`. */
export const named = (step: Step) => `${step.activity} \\(${step.language}, ${step.taskQueue}\\)`;

/** The calculation's result, as the API shows it. */
export const resultOf = (n: bigint) => calculate(n).toString();

export type Behaviour = (n: string) => Promise<string>;
export interface Call {
  workflowId: string;
  activity: StepName;
  taskQueue: string;
  attempt: number;
  input: string;
}

export const calls: Call[] = [];
/** What each test activity does; a test may replace one for a given input. */
export const overrides = new Map<string, Behaviour>();

export function testActivity(name: StepName, exponent: bigint): Behaviour {
  return async (n: string) => {
    const { info } = Context.current();
    calls.push({
      workflowId: info.workflowExecution?.workflowId ?? '',
      activity: name,
      taskQueue: info.taskQueue,
      attempt: info.attempt,
      input: n,
    });
    const override = overrides.get(`${name}:${n}`);
    return override ? override(n) : (BigInt(n) ** exponent).toString();
  };
}

export const releases: (() => void)[] = [];
/**
 * Makes `step` hold on `input` until the returned function is called, then answer as usual.
 * It heartbeats while it holds, as the real workers do, so that a cancellation reaches it.
 */
export function hold(step: Step, input: string): () => void {
  let release!: () => void;
  let released = false;
  const gate = new Promise<void>((r) => (release = r)).then(() => (released = true));
  releases.push(release);
  overrides.set(`${step.activity}:${input}`, async (n) => {
    const ctx = Context.current();
    while (!released) {
      ctx.heartbeat();
      // Context.sleep rejects as soon as a cancellation arrives.
      await Promise.race([gate, ctx.sleep(200)]);
    }
    return outputOf(step, n);
  });
  return release;
}

/** The dev server's client, once the calling test file's `before` hook has run. */
export const pipeline = {} as { env: TestWorkflowEnvironment; client: Client };

/**
 * Starts the server and the workers before the calling test file's tests, then `ready` (an
 * app built on the client, say); after them, `done`, then stops the workers and the server.
 * One hook each way, since node:test does not wait for one root hook before the next.
 */
export function usePipeline(ready?: () => Promise<void>, done?: () => Promise<void>): void {
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  before(async () => {
    // Several tests make steps fail on purpose; only errors are worth printing.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    pipeline.env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: TEMPORAL_BIN } },
    });
    pipeline.client = pipeline.env.client;
    const connection = pipeline.env.nativeConnection;
    workers.push(
      await Worker.create({
        connection,
        taskQueue: WORKFLOW_TASK_QUEUE,
        workflowsPath: require.resolve('../workflows'),
      }),
    );
    for (const step of STEPS) {
      const activities = { [step.activity]: testActivity(step.activity, BigInt(step.exponent)) };
      workers.push(await Worker.create({ connection, taskQueue: step.taskQueue, activities }));
    }
    running.push(...workers.map((w) => w.run()));
    await ready?.();
  });
  after(async () => {
    await done?.();
    for (const release of releases) release();
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await pipeline.env?.teardown();
  });
}

let seq = 0;
/** Starts CalculateWorkflow directly, as the API would, with short retries. */
export function start(number: string) {
  return pipeline.client.workflow.start(CalculateWorkflow, {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: `wf-test-${process.pid}-${++seq}`,
    args: [number, { heartbeatTimeoutSeconds: 5, maximumAttempts: 3 }],
  });
}
