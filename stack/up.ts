/**
 * `make up`: runs every process of docker-compose.yml's `x-local` fields (stack/topology.ts):
 * the embedded Temporal server first, then the workers and the API once what they depend on
 * is ready; prints the URLs; stops everything on Ctrl-C or SIGTERM.
 *
 * With TEMPORAL_ADDRESS set, no server is started and every process connects there instead;
 * with STACK_SERVICES, only the services it names are started.
 *
 * `concurrently` runs the processes, prefixes their lines and passes signals on. What is kept
 * here is what it lacks: start order by readiness, one port per process, a restart policy like
 * a container runtime's, and stack.json, the state file tests and the benchmark read.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { concurrently, type Command } from 'concurrently';
import { Connection } from '@temporalio/client';
import { exitOnSettingsError, optionalPort, port, readSettings } from '@calc/telemetry';
import { str } from 'envalid';
import contract from '../contracts/contract.json';
import { readTopology, ROOT, type LocalProcess } from './topology';

const START_TIMEOUT_MS = 120_000;
const RESTART_DELAY_MS = 1000;
const QUICK_EXIT_MS = 10_000;
const MAX_QUICK_EXITS = 5;
/** Ports every instance needs one of: handed out upwards from <NAME>_BASE_PORT. */
const PER_INSTANCE_PORTS: Record<string, string> = {
  METRICS_PORT: 'METRICS_BASE_PORT',
  HEALTH_PORT: 'HEALTH_BASE_PORT',
};

function log(message: string): void {
  console.log(`[stack] ${message}`);
}

const settings = (() => {
  try {
    return readSettings({
      TEMPORAL_PORT: port({ default: 7233 }),
      TEMPORAL_UI_PORT: port({ default: 8080 }),
      API_PORT: port({ default: 8000 }),
      METRICS_BASE_PORT: port({ default: 9464 }),
      HEALTH_BASE_PORT: port({ default: 9474 }),
      API_HOST: str({ default: '127.0.0.1' }),
      STACK_DATA_DIR: str({ default: '.data' }),
      TEMPORAL_ADDRESS: str({ default: '' }),
      // Comma-separated compose services to run instead of all, e.g. `temporal` alone.
      STACK_SERVICES: str({ default: '' }),
      TEMPORAL_NAMESPACE: str({ default: 'default' }),
      // Checked by every process that reads them; here only passed on, or made when missing.
      PAYLOAD_KEYS: str({ default: '' }),
      PAYLOAD_ENCRYPTION: str({ default: 'on' }),
      WORKER_BUILD_ID: str({ default: '' }),
      WORKER_DEPLOYMENT_NAME: str({ default: contract.deployment.defaultName }),
      // Unused here, read so that a malformed value is reported before anything starts.
      METRICS_PORT: optionalPort(),
    });
  } catch (err) {
    exitOnSettingsError('stack', err);
    throw err;
  }
})();

/** A process of the topology with the settings the launcher gives it. */
interface Planned extends LocalProcess {
  env: Record<string, string>;
  /** Its ports by setting name, e.g. { HEALTH_PORT: 9474 }. */
  portsByName: Record<string, number>;
}

/**
 * The payload keys: PAYLOAD_KEYS when set, else a local key made on the first run and kept in
 * the data folder (which git ignores), so that encryption is on without a step of its own.
 */
function payloadKeys(dataDir: string): Record<string, string> {
  if (settings.PAYLOAD_KEYS || settings.PAYLOAD_ENCRYPTION === 'off') return {};
  const file = join(dataDir, 'payload-keys');
  if (!existsSync(file)) {
    writeFileSync(file, `local-1:${randomBytes(contract.encryption.keyBytes).toString('base64')}\n`, { mode: 0o600 });
    log(`made a payload encryption key in ${file}`);
  }
  return { PAYLOAD_KEYS: readFileSync(file, 'utf8').trim() };
}

/** WORKER_BUILD_ID when set, else the commit checked out, else the contract's default. */
function buildId(): string {
  if (settings.WORKER_BUILD_ID) return settings.WORKER_BUILD_ID;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return contract.deployment.defaultBuildId;
  }
}

function plan(processes: LocalProcess[], dataDir: string, temporalAddress: string): Planned[] {
  const ui = settings.TEMPORAL_UI_PORT;
  // What every process gets, and what `{NAME}` in a command can name.
  const shared: Record<string, string> = {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: settings.TEMPORAL_NAMESPACE,
    TEMPORAL_PORT: String(settings.TEMPORAL_PORT),
    TEMPORAL_UI_PORT: String(ui),
    API_PORT: String(settings.API_PORT),
    API_HOST: settings.API_HOST,
    STACK_DATA_DIR: dataDir,
    WORKER_DEPLOYMENT_NAME: settings.WORKER_DEPLOYMENT_NAME,
    WORKER_BUILD_ID: buildId(),
    // The Temporal UI asks the API's codec endpoint to decrypt what it shows.
    CODEC_CORS_ORIGIN: `http://localhost:${ui}`,
    ...payloadKeys(dataDir),
  };
  const next: Record<string, number> = {};
  return processes.map((p) => {
    const portsByName = Object.fromEntries(
      p.ports.map((name) => {
        const base = PER_INSTANCE_PORTS[name];
        if (!base) return [name, settings[name as keyof typeof settings] as number];
        const value = next[name] ?? (settings[base as keyof typeof settings] as number);
        next[name] = value + 1;
        return [name, value];
      }),
    );
    const env: Record<string, string> = {
      ...shared,
      ...Object.fromEntries(Object.entries(portsByName).map(([k, v]) => [k, String(v)])),
      ...(p.replicas > 1 ? { WORKER_REPLICA: String(p.replica) } : {}),
    };
    return { ...p, env, portsByName };
  });
}

const shellQuote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** The shell command concurrently runs: the argv with `{NAME}` filled in from the process's env. */
function shellCommand(p: Planned): string {
  const argv = p.command.map((arg) => arg.replace(/\{([A-Z0-9_]+)\}/g, (_, name: string) => p.env[name] ?? ''));
  const [program, ...args] = argv;
  // Paths in the topology are from the repository root (or the service's cwd); `node` is on PATH.
  const executable = program!.includes('/') ? resolve(p.cwd, program!) : program!;
  return ['exec', executable, ...args].map(shellQuote).join(' ');
}

async function assertPortFree(port: number, host: string, variable: string): Promise<void> {
  await new Promise<void>((done, fail) => {
    const probe = createServer();
    probe.once('error', () =>
      fail(
        new Error(`port ${port} on ${host} is already in use (another stack running?); set ${variable} to use another`),
      ),
    );
    probe.listen(port, host, () => probe.close(() => done()));
  });
}

/** Resolves once `p` is ready, with the body of its readiness answer (a worker's identity). */
async function whenReady(p: Planned, exited: () => boolean): Promise<unknown> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited()) throw new Error(`${p.name} exited before it was ready; see its log above`);
    try {
      if ('namespace' in p.ready) {
        const connection = await Connection.connect({ address: p.env.TEMPORAL_ADDRESS!, connectTimeout: 1000 });
        try {
          // The frontend answers before the namespace exists; workers that connect then would fail.
          const { namespace } = p.ready;
          await connection.withDeadline(Date.now() + 2000, () =>
            connection.workflowService.describeNamespace({ namespace }),
          );
          return {};
        } finally {
          await connection.close();
        }
      }
      const res = await fetch(`http://127.0.0.1:${p.portsByName[p.ready.port]}${p.ready.path}`);
      if (res.ok) return await res.json();
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${p.name} was not ready within ${START_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Makes the version the workers just started with the deployment's current one, so that new
 * calculations go to it; calculations already pinned to another version stay on that one. The
 * server accepts it once it has seen pollers of the version, hence the retries.
 */
async function makeCurrent(address: string, deploymentName: string, buildId: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        await connection.workflowService.setWorkerDeploymentCurrentVersion({
          namespace: settings.TEMPORAL_NAMESPACE,
          deploymentName,
          buildId,
          identity: 'stack launcher',
        });
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`version ${deploymentName}.${buildId} could not be made current`, { cause: err });
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await connection.close();
  }
}

interface Running {
  process: Planned;
  command: Command;
  identity?: string;
  /** The Worker Deployment version its probe reported: `<deployment>.<build id>`. */
  version?: { deployment: string; buildId: string };
  /** The code of its last exit, or the signal that ended it; absent until it first exits. */
  exitCode?: number | string;
}

const running: Running[] = [];
let stopping = false;
/** Set once every process serves; from then on a process that ends is started again. */
let ready = false;
let stateFile = '';

/** stack.json: each process's pid, ports and identity; replaced whole, never half written. */
function writeState(): void {
  const state = {
    ready,
    processes: running.map(({ process: p, command, identity, exitCode }) => ({
      name: p.name,
      service: p.service,
      replica: p.replica,
      pid: command.pid,
      running: command.state === 'started',
      ports: p.portsByName,
      identity,
      exitCode,
    })),
  };
  writeFileSync(`${stateFile}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${stateFile}.tmp`, stateFile);
}

function stop(code: number): void {
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
async function start(wave: Planned[]): Promise<void> {
  const { commands, result } = concurrently(
    wave.map((p) => ({ name: p.name, command: shellCommand(p), cwd: p.cwd, env: p.env })),
    { prefix: 'name', padPrefix: true, handleInput: false, killSignal: 'SIGTERM' },
  );
  // Exits are watched command by command (see supervise); the summary promise is not needed.
  result.catch(() => undefined);
  const entries: Running[] = commands.map((command, i) => ({ process: wave[i]!, command }));
  running.push(...entries);
  for (const entry of entries) {
    log(`${entry.command.name} started (pid ${String(entry.command.pid)})`);
    supervise(entry);
  }
  writeState();
  await Promise.all(
    entries.map(async (entry) => {
      let exited = false;
      entry.command.close.subscribe(() => (exited = true));
      const body = (await whenReady(entry.process, () => exited)) as {
        identity?: string;
        deployment?: string;
        build_id?: string;
      };
      entry.identity = body.identity;
      if (body.deployment && body.build_id) entry.version = { deployment: body.deployment, buildId: body.build_id };
    }),
  );
  writeState();
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping every process`);
      stop(0);
    });
  }
  const dataDir = resolve(ROOT, settings.STACK_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  stateFile = join(dataDir, 'stack.json');

  const external = settings.TEMPORAL_ADDRESS;
  const topology = readTopology();
  const only = settings.STACK_SERVICES.split(',').filter(Boolean);
  const unknown = only.filter((name) => !topology.some((p) => p.service === name));
  if (unknown.length > 0) throw new Error(`STACK_SERVICES names no local service ${unknown.join(', ')}`);
  const all = topology.filter(
    (p) => !(external && 'namespace' in p.ready) && (only.length === 0 || only.includes(p.service)),
  );
  const processes = plan(all, dataDir, external || `127.0.0.1:${settings.TEMPORAL_PORT}`);
  for (const p of processes) {
    for (const [name, value] of Object.entries(p.portsByName)) {
      const host = name === 'API_PORT' ? settings.API_HOST : '127.0.0.1';
      await assertPortFree(value, host, PER_INSTANCE_PORTS[name] ?? name);
    }
  }

  const begun = Date.now();
  log(external ? `using the Temporal server at ${external}` : `state of the Temporal server in ${dataDir}`);
  // Waves in depends_on order: each starts once everything it depends on is ready.
  const done = new Set<string>();
  while (done.size < processes.length) {
    const wave = processes.filter(
      (p) => !done.has(p.name) && p.after.every((s) => processes.every((q) => q.service !== s || done.has(q.name))),
    );
    if (wave.length === 0) throw new Error('docker-compose.yml: the depends_on of the local services form a cycle');
    await start(wave);
    for (const p of wave) done.add(p.name);
  }
  // The versions the workers run as (one, unless WORKER_BUILD_ID differs between them).
  const versions = new Map(running.flatMap(({ version: v }) => (v ? [[`${v.deployment}.${v.buildId}`, v]] : [])));
  for (const [name, v] of versions) {
    await makeCurrent(processes[0]!.env.TEMPORAL_ADDRESS!, v.deployment, v.buildId);
    log(`${name} is the current version of worker deployment ${v.deployment}`);
  }
  ready = true;
  writeState();

  log(`stack ready in ${((Date.now() - begun) / 1000).toFixed(1)} s`);
  const api = `http://localhost:${settings.API_PORT}`;
  console.log(
    [
      '',
      `  REST API      ${api}`,
      `  API docs      ${api}/docs`,
      ...(external
        ? [`  Temporal      ${external}`]
        : [
            `  Temporal UI   http://localhost:${settings.TEMPORAL_UI_PORT}`,
            `  Temporal gRPC 127.0.0.1:${settings.TEMPORAL_PORT}`,
          ]),
      '',
      `  Try it:  curl -X POST "${api}/?number=2"`,
      '  Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(`[stack] ${err instanceof Error ? err.message : String(err)}`);
  stop(1);
});
