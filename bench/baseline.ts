/**
 * Starts the baseline's two processes (workflow worker, activity worker) against the stack's
 * Temporal server, waits until the server sees each of them poll every queue it serves, and
 * stops them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { BASELINE_STEPS, BASELINE_WORKFLOW_QUEUE } from './baseline-queues';
import type { MeasuredProcess } from './procs';

/** The service name the baseline's processes are reported under. */
export const BASELINE_SERVICE = 'baseline';

const START_TIMEOUT_MS = 120_000;
const { TASK_QUEUE_TYPE_WORKFLOW: WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY: ACTIVITY } = temporal.api.enums.v1.TaskQueueType;

export interface RunningBaseline {
  processes: MeasuredProcess[];
  stop: () => Promise<void>;
}

interface Spec {
  name: string;
  script: string;
  queues: { name: string; type: temporal.api.enums.v1.TaskQueueType }[];
}

const SPECS: Spec[] = [
  {
    name: 'baseline-workflow-worker',
    script: 'baseline-workflow-worker.ts',
    queues: [{ name: BASELINE_WORKFLOW_QUEUE, type: WORKFLOW }],
  },
  {
    name: 'baseline-activities',
    script: 'baseline-worker.ts',
    queues: BASELINE_STEPS.map((s) => ({ name: s.taskQueue, type: ACTIVITY })),
  },
];

/** The identity of the process's poller on `queue`, once the server has seen one. */
async function pollerOf(client: Client, pid: number, queue: Spec['queues'][number]): Promise<string | undefined> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: queue.name },
    taskQueueType: queue.type,
  });
  // Identities end in `@host:pid`, and the stack's server is on this host.
  return pollers.find((p) => p.identity?.endsWith(`:${pid}`))?.identity ?? undefined;
}

async function start(
  env: Record<string, string | undefined>,
  client: Client,
  spec: Spec,
  children: ChildProcess[],
): Promise<MeasuredProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, spec.script)], {
    cwd: join(__dirname, '..'),
    env: { ...env, TEMPORAL_NAMESPACE: 'default' },
    // Its log shows only when it fails to start.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.name} exited (${child.exitCode ?? child.signalCode}) before polling:\n${tail}`);
    }
    const identities = await Promise.all(spec.queues.map((q) => pollerOf(client, child.pid!, q)));
    if (identities.every((id) => id !== undefined)) {
      return { name: spec.name, service: BASELINE_SERVICE, pid: child.pid!, identity: identities[0] };
    }
    if (Date.now() > deadline)
      throw new Error(`${spec.name} did not poll within ${START_TIMEOUT_MS / 1000} s:\n${tail}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Starts the baseline on the stack's Temporal server; `client` is connected to it. `env` names
 * the server (TEMPORAL_ADDRESS) and the stack's payload settings, which the baseline encrypts
 * with as the real workers do.
 */
export async function startBaseline(env: Record<string, string | undefined>, client: Client): Promise<RunningBaseline> {
  const children: ChildProcess[] = [];
  const stop = () => Promise.all(children.map(stopProcess)).then(() => undefined);
  const started = await Promise.allSettled(SPECS.map((spec) => start(env, client, spec, children)));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { processes: started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])), stop };
}
