/**
 * Starts the baseline's two processes (workflow worker, activity worker) against the stack's
 * Temporal server, waits until both poll, and stops them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { MeasuredProcess } from './procs';

/** The service name the baseline's processes are reported under. */
export const BASELINE_SERVICE = 'baseline';

const READY = /worker ready role=/;
const START_TIMEOUT_MS = 120_000;

export interface RunningBaseline {
  processes: MeasuredProcess[];
  stop: () => Promise<void>;
}

function startProcess(name: string, script: string, temporalAddress: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, script)], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: 'default' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Only a short tail is kept: the log lines are read, like the stack's, but never stored whole.
  let tail = '';
  let ready = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${name} was not ready within ${START_TIMEOUT_MS / 1000} s:\n${tail}`));
    }, START_TIMEOUT_MS);
    const onData = (d: Buffer) => {
      tail = (tail + d.toString()).slice(-4000);
      if (!ready && READY.test(tail)) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`${name} exited (code ${String(code)}) before it was ready:\n${tail}`));
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

export async function startBaseline(temporalAddress: string): Promise<RunningBaseline> {
  const started = await Promise.allSettled([
    startProcess('baseline-workflow', 'baseline-workflow-worker.ts', temporalAddress),
    startProcess('baseline-activities', 'baseline-worker.ts', temporalAddress),
  ]);
  const children = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(children.map(stopProcess));
    throw failed.reason;
  }
  const [workflow, activities] = children as [ChildProcess, ChildProcess];
  return {
    processes: [
      {
        name: 'baseline-workflow-worker',
        service: BASELINE_SERVICE,
        pid: workflow.pid!,
        identity: `BaselineCalculateWorkflow-typescript-baseline@${hostname()}:${workflow.pid}`,
      },
      {
        name: 'baseline-activities',
        service: BASELINE_SERVICE,
        pid: activities.pid!,
        identity: `power_of_2-typescript-baseline@${hostname()}:${activities.pid}`,
      },
    ],
    stop: async () => {
      await Promise.all(children.map(stopProcess));
    },
  };
}
