/**
 * The processes once started: `concurrently` runs them (prefixed output, signals passed on);
 * this adds a restart policy like a container runtime's and stack.json, each process's pid,
 * ports, identity, version and last exit, replaced whole on every change.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concurrently, type Command } from 'concurrently';
import { shellCommand, type Planned } from './plan';
import { whenReady } from './readiness';
import { DATA_DIR, log } from './settings';

const RESTART_DELAY_MS = 1000;
const QUICK_EXIT_MS = 10_000;
const MAX_QUICK_EXITS = 5;

export interface Running {
  process: Planned;
  command: Command;
  identity?: string;
  /** The Worker Deployment version its probe reported: `<deployment>.<build id>`. */
  version?: { deployment: string; buildId: string };
  /** The code of its last exit, or the signal that ended it; absent until it first exits. */
  exitCode?: number | string;
}

export const running: Running[] = [];
let stopping = false;
/** Set once every process serves; from then on a process that ends is started again. */
let ready = false;
const stateFile = join(DATA_DIR, 'stack.json');

/** From now on the stack is ready: stack.json says so, and a process that ends is restarted. */
export function markReady(): void {
  ready = true;
  writeState();
}

/** stack.json: each process's pid, ports and identity; replaced whole, never half written. */
function writeState(): void {
  const state = {
    ready,
    processes: running.map(({ process: p, command, identity, version, exitCode }) => ({
      name: p.name,
      service: p.service,
      replica: p.replica,
      pid: command.pid,
      running: command.state === 'started',
      ports: p.portsByName,
      identity,
      version: version && { deployment: version.deployment, build_id: version.buildId },
      exitCode,
    })),
  };
  writeFileSync(`${stateFile}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${stateFile}.tmp`, stateFile);
}

export function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const { command } of running) if (command.state === 'started') command.kill('SIGTERM');
  const check = setInterval(() => {
    if (running.every(({ command }) => command.state !== 'started')) {
      clearInterval(check);
      process.exit(code);
    }
  }, 100);
}

/**
 * Like a container restart policy: a process that ends after the stack is ready (killed, or
 * drained by SIGTERM during a deploy) is started again; one that keeps failing at once, or
 * fails during start-up, stops the stack.
 */
function supervise(entry: Running): void {
  const { command } = entry;
  let startedAt = Date.now();
  let quickExits = 0;
  const started = () => {
    log(`${command.name} started (pid ${String(command.pid)})`);
    writeState();
  };
  started();
  // The state changes before the new pid is recorded, hence the microtask.
  command.stateChange.subscribe((state) => state === 'started' && queueMicrotask(started));
  command.close.subscribe((e) => {
    entry.exitCode = e.exitCode;
    if (stopping) return;
    writeState();
    const code = String(e.exitCode);
    if (!ready) {
      log(`${command.name} exited (code ${code}) during start-up; stopping the stack`);
      stop(1);
      return;
    }
    quickExits = Date.now() - startedAt < QUICK_EXIT_MS ? quickExits + 1 : 0;
    if (quickExits >= MAX_QUICK_EXITS) {
      log(`${command.name} exited ${MAX_QUICK_EXITS} times in a row soon after starting; stopping the stack`);
      stop(1);
      return;
    }
    log(`${command.name} exited (code ${code}); starting it again in ${RESTART_DELAY_MS / 1000} s`);
    setTimeout(() => {
      if (stopping) return;
      startedAt = Date.now();
      command.start();
    }, RESTART_DELAY_MS);
  });
}

/** Starts `wave` together and waits until each is ready. */
export async function start(wave: Planned[]): Promise<void> {
  const { commands, result } = concurrently(
    wave.map((p) => ({ name: p.name, command: shellCommand(p), cwd: p.cwd, env: p.env })),
    { prefix: 'name', padPrefix: true, handleInput: false, killSignal: 'SIGTERM' },
  );
  // Exits are watched command by command (see supervise); the summary promise is not needed.
  result.catch(() => undefined);
  const entries: Running[] = commands.map((command, i) => ({ process: wave[i]!, command }));
  running.push(...entries);
  entries.forEach(supervise);
  await Promise.all(
    entries.map(async (entry) => {
      // supervise records every exit, the first one included.
      const body = await whenReady(entry.process, () => entry.exitCode !== undefined);
      entry.identity = body.identity;
      if (body.deployment && body.build_id) entry.version = { deployment: body.deployment, buildId: body.build_id };
    }),
  );
  writeState();
}
