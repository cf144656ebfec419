/**
 * `make up`: starts the embedded Temporal server, then the workflow worker, the two
 * power_of_2 replicas, the power_of_4 and power_of_6 workers and the API; waits until each
 * serves; prints the URLs; stops everything on Ctrl-C or SIGTERM.
 *
 * The processes are run by `concurrently`, which prefixes every line with the process's name
 * and passes signals on; this file only orders the start and checks readiness.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { concurrently, type Command } from 'concurrently';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { STEPS, WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import { applicationServices, stackSettings, temporalServer, type Service, type StackSettings } from './services';

const TaskQueueType = temporal.api.enums.v1.TaskQueueType;
const START_TIMEOUT_MS = 120_000;
const NAMESPACE = 'default';

function log(message: string): void {
  console.log(`[stack] ${message}`);
}

async function assertPortFree(port: number, host: string, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', () =>
      reject(
        new Error(`port ${port} on ${host} is already in use (another stack running?); set ${variable} to use another`),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function run(services: Service[]): Command[] {
  const { commands, result } = concurrently(
    services.map((s) => ({ name: s.name, command: s.command, cwd: s.cwd, env: s.env })),
    { prefix: 'name', padPrefix: true, handleInput: false, killSignal: 'SIGTERM' },
  );
  // Exits are watched command by command (see watch); the summary promise is not needed.
  result.catch(() => undefined);
  return commands;
}

/** Resolves with the first capture of `ready` in the command's output. */
function readyLine(command: Command, ready: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onChunk = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      const match = ready.exec(seen);
      if (match) {
        out.unsubscribe();
        err.unsubscribe();
        resolve(match[1] ?? match[0]);
      }
    };
    const out = command.stdout.subscribe(onChunk);
    const err = command.stderr.subscribe(onChunk);
    command.close.subscribe((e) =>
      reject(new Error(`${command.name} exited (code ${String(e.exitCode)}) before it was ready`)),
    );
  });
}

async function waitForTemporal(s: StackSettings, server: Command): Promise<Connection> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  server.close.subscribe(() => (exited = true));
  for (;;) {
    if (exited) throw new Error('the Temporal server exited during start-up; see its log above');
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address: `${s.host}:${s.temporalPort}`, connectTimeout: 1000 });
      const ready = connection;
      // The frontend answers before the namespace exists; workers that connect then would fail.
      await ready.withDeadline(Date.now() + 2000, () =>
        ready.workflowService.describeNamespace({ namespace: NAMESPACE }),
      );
      return connection;
    } catch (err) {
      await connection?.close();
      if (Date.now() > deadline) {
        throw new Error(`the Temporal server did not answer within ${START_TIMEOUT_MS / 1000} s`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Confirms with the server that every worker that said it was ready is polling its queue. */
async function assertPolling(connection: Connection, identities: string[]): Promise<void> {
  const client = new Client({ connection });
  const queues = [
    { name: WORKFLOW_TASK_QUEUE, type: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW },
    ...STEPS.map((s) => ({ name: s.taskQueue, type: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY })),
  ];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const polling = new Set<string>();
    for (const q of queues) {
      const { pollers } = await client.workflowService.describeTaskQueue({
        namespace: NAMESPACE,
        taskQueue: { name: q.name },
        taskQueueType: q.type,
      });
      for (const p of pollers) if (p.identity) polling.add(p.identity);
    }
    const missing = identities.filter((id) => !polling.has(id));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`these workers said they were ready but do not poll: ${missing.join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const all: Command[] = [];
let stopping = false;
/** Set once every process serves; from then on a process that ends is started again. */
let ready = false;
const RESTART_DELAY_MS = 1000;
const QUICK_EXIT_MS = 10_000;
const MAX_QUICK_EXITS = 5;

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of all) if (c.state === 'started') c.kill('SIGTERM');
  const check = setInterval(() => {
    if (all.every((c) => c.state !== 'started')) {
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
function watch(commands: Command[]): void {
  for (const c of commands) {
    all.push(c);
    let startedAt = Date.now();
    let quickExits = 0;
    // concurrently starts each command before handing it over; later starts are restarts.
    const logStart = () => log(`${c.name} started (pid ${String(c.pid)})`);
    if (c.state === 'started') logStart();
    // The state changes before the new pid is recorded, hence the microtask.
    c.stateChange.subscribe((state) => state === 'started' && queueMicrotask(logStart));
    c.close.subscribe((e) => {
      if (stopping) return;
      const code = String(e.exitCode);
      if (!ready) {
        log(`${c.name} exited (code ${code}) during start-up; stopping the stack`);
        stop(1);
        return;
      }
      quickExits = Date.now() - startedAt < QUICK_EXIT_MS ? quickExits + 1 : 0;
      if (quickExits >= MAX_QUICK_EXITS) {
        log(`${c.name} exited ${MAX_QUICK_EXITS} times in a row soon after starting; stopping the stack`);
        stop(1);
        return;
      }
      log(`${c.name} exited (code ${code}); starting it again in ${RESTART_DELAY_MS / 1000} s`);
      setTimeout(() => {
        if (stopping) return;
        startedAt = Date.now();
        c.start();
      }, RESTART_DELAY_MS);
    });
  }
}

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping every process`);
      stop(0);
    });
  }

  const settings = stackSettings(process.env);
  await assertPortFree(settings.temporalPort, settings.host, 'TEMPORAL_PORT');
  await assertPortFree(settings.uiPort, settings.host, 'TEMPORAL_UI_PORT');
  await assertPortFree(settings.apiPort, settings.apiHost, 'API_PORT');
  mkdirSync(settings.dataDir, { recursive: true });

  const started = Date.now();
  log(`starting the Temporal server (state in ${settings.dataDir})`);
  const [server] = run([temporalServer(settings)]);
  watch([server!]);
  const connection = await waitForTemporal(settings, server!);

  const services = applicationServices(settings);
  const commands = run(services);
  watch(commands);
  const readiness = await Promise.all(commands.map((c, i) => readyLine(c, services[i]!.ready)));
  await assertPolling(
    connection,
    readiness.filter((_, i) => services[i]!.name !== 'api'),
  );
  await connection.close();
  ready = true;

  const api = `http://localhost:${settings.apiPort}`;
  log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(
    [
      '',
      `  REST API      ${api}`,
      `  API docs      ${api}/docs`,
      `  Temporal UI   http://localhost:${settings.uiPort}`,
      `  Temporal gRPC ${settings.host}:${settings.temporalPort}`,
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
