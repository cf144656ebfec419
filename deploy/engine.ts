/**
 * The Docker engine and Compose, as the compose targets and the compose test use them: the
 * `docker` and `docker compose` of the machine (`make install-system` brings both), and a
 * `dockerd` started here only when no daemon answers, stopped again by whoever started it.
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/topology';

/** The production file and, on a machine without Docker Hub, the override naming the stand-ins. */
export const COMPOSE_FILES = ['docker-compose.yml', 'deploy/standins.yml'];

/** Runs a command in the repository root and returns what it printed; never throws. */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  const out = typeof r.stdout === 'string' ? r.stdout : '';
  const err = (typeof r.stderr === 'string' ? r.stderr : '') + (r.error ? r.error.message : '');
  return { ok: r.status === 0, status: r.status, out, err };
}

/** Runs a command and returns its standard output, or throws with everything it printed. */
export function must(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = run(command, args, options);
  if (!r.ok) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${(r.out + r.err).slice(-4000)}`);
  return r.out;
}

/** Runs a command with its output shown as it comes (builds, which take a while). */
export function show(command: string, args: string[], options: SpawnSyncOptions = {}): void {
  const r = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

const answers = () => run('docker', ['info', '--format', '{{.ServerVersion}}']).ok;

/**
 * Makes sure a Docker daemon answers. When none does, starts `dockerd` (root only: there is
 * no systemd to ask) with its log in .tools/dockerd.log, and returns a function that stops
 * exactly that daemon; when one was already running, the function leaves it alone.
 */
export async function ensureEngine(): Promise<() => Promise<void>> {
  if (answers()) return async () => {};
  if (process.getuid?.() !== 0) throw new Error('no Docker daemon answers; start one (dockerd) or run as root');
  mkdirSync(join(ROOT, '.tools'), { recursive: true });
  const log = openSync(join(ROOT, '.tools', 'dockerd.log'), 'a');
  const daemon = spawn('dockerd', [], { stdio: ['ignore', log, log], detached: true });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  daemon.unref();
  for (let i = 0; i < 300 && !answers(); i++) {
    if (daemon.exitCode !== null) throw new Error('dockerd exited at start; see .tools/dockerd.log');
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!answers()) throw new Error('dockerd did not answer within 30 s; see .tools/dockerd.log');
  return async () => {
    daemon.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  };
}

/** The same with three Temporal server nodes behind nginx in place of the one server. */
export const CLUSTER_FILES = [
  'docker-compose.yml',
  'deploy/cluster.yml',
  'deploy/standins.yml',
  'deploy/cluster-standins.yml',
];

/** `docker compose` on the production file with the stand-ins, as project `project`. */
export function compose(project: string, env: NodeJS.ProcessEnv = {}, files = COMPOSE_FILES) {
  const base = ['compose', '-p', project, ...files.flatMap((f) => ['-f', f])];
  const options = { env: { ...process.env, ...env } };
  return {
    run: (...args: string[]) => run('docker', [...base, ...args], options),
    must: (...args: string[]) => must('docker', [...base, ...args], options),
    show: (...args: string[]) => show('docker', [...base, ...args], options),
  };
}
