/**
 * The processes the benchmark measures: the stack's, and the baseline's (baseline-worker.ts),
 * which it starts and stops here. What each costs comes from /proc: CPU time (user + system,
 * which the kernel counts for all of a process's threads) and peak resident memory (VmHWM).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { stepOfService } from '@calc/contracts';
import { samplesOf, serverCounters } from '../tests/prometheus';
import type { RunningStack } from '../tests/stack';

const ROOT = join(__dirname, '..');

/** `service` is the docker-compose.yml service, `launcher`, `baseline` or `bench`; `language` is set for workers. */
export type MeasuredProcess = { name: string; service: string; pid: number; language?: string };

/** A figure that cannot be read (the process has ended, a tool is missing) is unknown, not zero. */
function orElse<T>(read: () => T, unknown: T): T {
  try {
    return read();
  } catch {
    return unknown;
  }
}

/** The launcher and every process it runs, as its stack.json last described them. */
export function stackProcesses(stack: RunningStack): MeasuredProcess[] {
  // A worker's identity, `<activity>-<language>-<replica>@host:pid`, names its language.
  const language = (identity?: string) => identity?.split('@')[0]?.split('-')[1];
  return [
    { name: 'launcher', service: 'launcher', pid: stack.launcherPid },
    ...stack.processes().map((p) => ({ name: p.name, service: p.service, pid: p.pid, language: language(p.identity) })),
  ];
}

export const BASELINE_SERVICE = 'baseline';
/** The baseline's activity processes laid out as the pipeline's (SplitBaselineCalculateWorkflow). */
export const SPLIT_SERVICE = 'baseline-split';
/** The one process both baseline workflows run on. */
export const BASELINE_WORKFLOW_WORKER = 'baseline-workflow-worker';
export const READY = 'baseline workers running';
const START_TIMEOUT_MS = 120_000;

function ready(child: ChildProcess, measured: MeasuredProcess): Promise<MeasuredProcess> {
  return new Promise((resolve, reject) => {
    // Its log shows only when it fails to start: the activities log a line per step.
    let tail = '';
    const keep = (d: Buffer) => {
      tail = (tail + d.toString()).slice(-4000);
      if (tail.includes(READY)) resolve(measured);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const fail = (why: string) => reject(new Error(`${measured.name} ${why}:\n${tail}`));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before running`));
    setTimeout(() => fail(`not running after ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS).unref();
  });
}

/**
 * The baseline's workflow worker and its one activity process; and, for each of the stack's
 * activity workers, a TypeScript process that serves the same step on the split queues: the
 * pipeline's layout of processes, in the baseline's language. `env` names the stack's Temporal
 * server (TEMPORAL_ADDRESS) and its payload settings, which the baseline encrypts with as the
 * real workers do.
 */
export async function startBaseline(env: Record<string, string | undefined>, stack: RunningStack) {
  const workers = stackProcesses(stack).flatMap((p) => {
    const step = stepOfService(p.service);
    return step ? [{ name: p.name, activity: step.activity }] : [];
  });
  const roles = [
    { name: BASELINE_WORKFLOW_WORKER, service: BASELINE_SERVICE, args: ['workflow'] },
    { name: 'baseline-activities', service: BASELINE_SERVICE, args: ['activities'] },
    ...workers.map((w) => ({ name: `split-${w.name}`, service: SPLIT_SERVICE, args: ['step', w.activity] })),
  ];
  const children = roles.map(({ args }) =>
    spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'baseline-worker.ts'), ...args], {
      cwd: join(__dirname, '..'),
      env: { ...env, TEMPORAL_NAMESPACE: 'default' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const stop = async () => {
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(running.map((c) => c.kill('SIGTERM') && once(c, 'exit')));
  };
  try {
    const started = roles.map(({ name, service }, i) =>
      ready(children[i]!, { name, service, pid: children[i]!.pid!, language: 'typescript' }),
    );
    return { processes: await Promise.all(started), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

export function cpuNow(processes: readonly MeasuredProcess[]): number[] {
  return processes.map(({ pid }) => {
    if (pid === process.pid) {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    }
    return orElse(() => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name, in parentheses, may hold spaces: utime and stime, fields 14 and 15
      // of the line, are the 12th and 13th after its end.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    }, NaN);
  });
}

/** What each process used since `before` (cpuNow of the same list), in all and per calculation. */
export function costs(processes: readonly MeasuredProcess[], before: number[], calcs: number) {
  const after = cpuNow(processes);
  return processes.map(({ name, service, pid }, i) => {
    const cpuMs = after[i]! - before[i]!;
    return { name, service, pid, cpuMs, perCalcMs: cpuMs / calcs };
  });
}
export type ProcessCost = ReturnType<typeof costs>[number];

export function memoryOf({ name, service, language, pid }: MeasuredProcess) {
  const status = orElse(() => readFileSync(`/proc/${pid}/status`, 'utf8'), '');
  const mib = (field: string) => Number(new RegExp(`^${field}:\\s+([0-9]+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { name, service, language, pid, peakMiB: mib('VmHWM'), rssMiB: mib('VmRSS') };
}
export type ProcessMemory = ReturnType<typeof memoryOf>;

/** What the figures were measured on, and the versions the stack installs. */
export function machine() {
  const list = cpus();
  const memoryGiB = Math.round((totalmem() / 2 ** 30) * 10) / 10;
  return { cores: list.length, cpuModel: list[0]?.model.trim() ?? 'unknown', memoryGiB, kernel: release() };
}

export function versions() {
  const firstLine = (command: string, arg: string) =>
    orElse(() => execFileSync(command, [arg], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]!.trim(), 'unknown');
  const match = (path: string, pattern: RegExp) =>
    orElse(() => pattern.exec(readFileSync(join(ROOT, path), 'utf8'))![1]!, 'unknown');
  const npm = (name: string) => match(`node_modules/${name}/package.json`, /"version": "([^"]+)"/);
  return {
    node: process.version,
    python: firstLine(join(ROOT, 'consumers/power_of_2_python/.venv/bin/python'), '--version'),
    go: firstLine('go', 'version'),
    temporalCli: firstLine(join(ROOT, '.tools/bin/temporal'), '--version'),
    typescriptSdk: npm('@temporalio/worker'),
    pythonSdk: match('consumers/power_of_2_python/uv.lock', /name = "temporalio"\nversion = "([^"]+)"/),
    goSdk: match('consumers/power_of_4_golang/go.mod', /go\.temporal\.io\/sdk (v[^\s]+)/),
    fastify: npm('fastify'),
  };
}

/** The Temporal server's own counters from its Prometheus endpoint (tests/prometheus.ts). */
export async function serverCountersAt(url: string) {
  return serverCounters(samplesOf(await (await fetch(url)).text()));
}

/** What a process that keeps `cores` of one core busy and does nothing else is called. */
export const BURNER_SERVICE = 'burner';

/**
 * A process that spins for `cores` (0 to 1) of every 20 ms and sleeps for the rest: the CPU of
 * one more busy process on the machine, with none of its work on a calculation's path.
 */
export async function startBurner(cores: number) {
  const busyMs = Math.max(0, Math.min(1, cores)) * 20;
  const script =
    `const spin = () => { const end = performance.now() + ${busyMs}; while (performance.now() < end);` +
    ` setTimeout(spin, ${20 - busyMs}); }; spin();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  await once(child, 'spawn');
  const measured: MeasuredProcess = { name: BURNER_SERVICE, service: BURNER_SERVICE, pid: child.pid! };
  return { process: measured, stop: async () => void (child.kill('SIGTERM') && (await once(child, 'exit'))) };
}
