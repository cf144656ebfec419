/**
 * `make test-postgres`: the production topology of docker-compose.yml without Docker. A
 * private PostgreSQL cluster, the Temporal server release of the compose file built from
 * source and persisting to it, the schema and namespace set up by the very scripts compose
 * runs (each twice: the second run must change nothing), then our services started by the
 * local launcher and pointed at that server by TEMPORAL_ADDRESS alone. Then calculations end
 * to end, one step per language in the history, the rows in PostgreSQL, a server restart that
 * keeps the result, and every worker draining to exit 0 on SIGTERM.
 *
 *   node --import tsx deploy/postgres-e2e.ts [--server-only]
 *
 * --server-only stops after the server part (PostgreSQL, schema, server, namespace, restart).
 * PostgreSQL comes from Debian (`make install-system`). The first run builds temporal-server
 * and temporal-sql-tool from the Go module proxy into .tools/temporal-server-v<version>/
 * (several minutes on two cores); later runs reuse them. KEEP_WORK=1 keeps the work folder
 * (logs, cluster) of a failed run.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporal } from '@temporalio/proto';
import { STEPS } from '@calc/contracts';
import { readTopology, ROOT } from '../stack/topology';
import { stepRuns } from '../tests/history';
import { freePort, startStack, type RunningStack } from '../tests/stack';

/** The answers, written out rather than computed: 2^48 and 3^48. */
const EXPECTED: Record<string, string> = { '2': '281474976710656', '3': '79766443076872509863361' };
const TEMPORAL_CLI = join(ROOT, '.tools', 'bin', 'temporal');
const NAMESPACE = 'default';
const serverOnly = process.argv.includes('--server-only');
const begun = Date.now();
const isRoot = process.getuid?.() === 0;

const say = (message: string) => console.log(`[postgres-e2e] ${message}`);
const since = (start: number) => `${((Date.now() - start) / 1000).toFixed(1)}s`;

class Failure extends Error {}
function fail(message: string): never {
  throw new Failure(message);
}

/** Runs a command to its end; its output goes to `log` (a file of the work folder) when given. */
function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; log?: string } = {}): string {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (options.log) writeFileSync(options.log, `${result.stdout ?? ''}${result.stderr ?? ''}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    fail(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
  }
  return result.stdout;
}

/** PostgreSQL refuses to run as root; as root, its commands run as the postgres user. */
const asPostgres = (command: string, args: string[]): [string, string[]] =>
  isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch((err: unknown) => {
      if (err instanceof Failure) throw err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) fail(`${what}: not within ${seconds}s`);
    await sleep(250);
  }
}

// --- the Temporal server of the compose file --------------------------------------------------

function serverVersion(): string {
  const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const version = /temporalio\/server:(\d+\.\d+\.\d+)/.exec(compose)?.[1];
  return version ?? fail('no temporalio/server:<version> image in docker-compose.yml');
}

/** temporal-server and temporal-sql-tool of `version`, built once into .tools/. */
function serverBinaries(version: string): { server: string; sqlTool: string } {
  const dir = join(ROOT, '.tools', `temporal-server-v${version}`);
  const server = join(dir, 'temporal-server');
  const sqlTool = join(dir, 'temporal-sql-tool');
  if (!existsSync(server) || !existsSync(sqlTool)) {
    say(`building temporal-server and temporal-sql-tool v${version} from the Go module proxy`);
    const started = Date.now();
    const module = mkdtempSync(join(tmpdir(), 'temporal-server-build-'));
    const env = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' };
    const go = (...args: string[]) => spawnSync('go', args, { cwd: module, env, stdio: ['ignore', 'ignore', 'pipe'] });
    go('mod', 'init', 'temporal-server-build');
    for (const args of [
      ['get', `go.temporal.io/server@v${version}`],
      ['build', '-o', join(module, 'temporal-server'), 'go.temporal.io/server/cmd/server'],
      ['build', '-o', join(module, 'temporal-sql-tool'), 'go.temporal.io/server/cmd/tools/sql'],
    ]) {
      const result = go(...args);
      if (result.status !== 0) fail(`go ${args.join(' ')}:\n${result.stderr.toString().slice(-3000)}`);
    }
    mkdirSync(dir, { recursive: true });
    renameSync(join(module, 'temporal-server'), server);
    renameSync(join(module, 'temporal-sql-tool'), sqlTool);
    rmSync(module, { recursive: true, force: true });
    say(`built in ${since(started)}`);
  }
  if (!run(server, ['--version']).includes(version)) fail(`${server} is not version ${version}`);
  return { server, sqlTool };
}

/** The newest PostgreSQL of Debian's /usr/lib/postgresql/<major>/bin. */
function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))) : [];
  const newest = majors.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!newest || !existsSync('/usr/bin/psql')) fail('PostgreSQL is not installed: run `make install-system`');
  return join(base, newest, 'bin');
}

// --- the run ---------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'postgres-e2e-'));
const logs = join(work, 'logs');
const children: ChildProcess[] = [];
let stack: RunningStack | undefined;
let pgCtl: string | undefined;
const pgData = join(work, 'pgdata');

function startLogged(name: string, command: string, args: string[], options: SpawnOptions): ChildProcess {
  const out = openSync(join(logs, `${name}.log`), 'a');
  const child = spawn(command, args, { ...options, stdio: ['ignore', out, out] });
  children.push(child);
  return child;
}

function showLogs(): void {
  for (const file of existsSync(logs) ? readdirSync(logs).sort() : []) {
    const lines = readFileSync(join(logs, file), 'utf8').trimEnd().split('\n').slice(-25);
    console.error(`----- ${file} (last lines)\n${lines.map((l) => l.slice(0, 400)).join('\n')}`);
  }
}

async function main(): Promise<void> {
  const version = serverVersion();
  if (!existsSync(TEMPORAL_CLI)) fail(`${TEMPORAL_CLI} is missing: run \`make build\` first`);
  const pgBin = postgresBin();
  const { server, sqlTool } = serverBinaries(version);
  // PostgreSQL, run as its own user, writes its log here and keeps its cluster beside it.
  chmodSync(work, 0o755);
  mkdirSync(logs);
  chmodSync(logs, 0o777);

  // One block of free ports below the ephemeral range: Temporal stores membership ports in a
  // smallint column, so 32768 and up are refused there.
  const internal = ['FRONTEND_MEMBERSHIP', 'HISTORY_GRPC', 'HISTORY_MEMBERSHIP', 'MATCHING_GRPC'];
  internal.push('MATCHING_MEMBERSHIP', 'WORKER_GRPC', 'WORKER_MEMBERSHIP');
  const base = await freePort(3 + internal.length);
  const [pgPort, grpcPort, httpPort] = [base, base + 1, base + 2];
  const password = `e2e-${Math.random().toString(36).slice(2)}`;

  // --- PostgreSQL: a private cluster in the work folder
  let started = Date.now();
  const socketDir = join(work, 'pgsocket');
  const pwfile = join(work, 'pgpass');
  mkdirSync(pgData);
  mkdirSync(socketDir);
  writeFileSync(pwfile, `${password}\n`);
  if (isRoot) {
    const { uid, gid } = userIds('postgres');
    for (const path of [pgData, socketDir, pwfile]) chownSync(path, uid, gid);
  }
  const initdb = [`--pgdata=${pgData}`, '--username=temporal', `--pwfile=${pwfile}`, '--auth-local=trust'];
  run(...asPostgres(join(pgBin, 'initdb'), [...initdb, '--auth-host=scram-sha-256']), {
    log: join(logs, 'initdb.log'),
  });
  pgCtl = join(pgBin, 'pg_ctl');
  const options = `-p ${pgPort} -c listen_addresses=127.0.0.1 -k ${socketDir}`;
  run(...asPostgres(pgCtl, ['-D', pgData, '-l', join(logs, 'postgresql.log'), '-w', '-o', options, 'start']));
  const pgVersion = /\d+\.\d+/.exec(run(join(pgBin, 'postgres'), ['--version']))?.[0];
  say(`PostgreSQL ${pgVersion} on 127.0.0.1:${pgPort}, private cluster in ${work} (${since(started)})`);
  const psql = (database: string, sql: string) => {
    const args = ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'temporal', '-d', database, '-tA', '-c', sql];
    return run('psql', args, { env: { ...process.env, PGPASSWORD: password } }).trim();
  };

  // --- the schema: the script of the compose schema job, twice
  started = Date.now();
  const postgresClient = {
    POSTGRES_SEEDS: '127.0.0.1',
    DB_PORT: String(pgPort),
    POSTGRES_USER: 'temporal',
    POSTGRES_PWD: password,
  };
  for (const pass of ['first', 'second']) {
    const env = { ...process.env, ...postgresClient, TEMPORAL_SQL_TOOL: sqlTool };
    run('sh', ['deploy/temporal/setup-postgres.sh'], { env, log: join(logs, `schema-${pass}.log`) });
  }
  const schema = psql('temporal', 'select curr_version from schema_version');
  const visibility = psql('temporal_visibility', 'select curr_version from schema_version');
  say(`schema applied twice: temporal ${schema}, temporal_visibility ${visibility} (${since(started)})`);

  // --- the server: the configuration template built into temporalio/server
  const serverEnv = {
    PATH: process.env.PATH,
    DB: 'postgres12',
    ...postgresClient,
    BIND_ON_IP: '127.0.0.1',
    DYNAMIC_CONFIG_FILE_PATH: join(ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml'),
    FRONTEND_GRPC_PORT: String(grpcPort),
    FRONTEND_HTTP_PORT: String(httpPort),
    ...Object.fromEntries(internal.map((name, i) => [`${name}_PORT`, String(base + 3 + i)])),
    LOG_LEVEL: 'warn',
  };
  // The compose health check of the temporal service asks the same.
  const clusterInfo = `http://127.0.0.1:${httpPort}/api/v1/cluster-info`;
  const healthy = async () => (await fetch(clusterInfo, { signal: AbortSignal.timeout(2000) })).ok || undefined;
  let serverProcess: ChildProcess;
  let serverExited = Promise.resolve();
  const startServer = async (pass: string) => {
    const begin = Date.now();
    // As in its image, the server runs unprivileged.
    const asServer = isRoot ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'] : [];
    const [command, ...args] = [...asServer, server, 'start'];
    serverProcess = startLogged(`temporal-${pass}`, command!, args, { cwd: ROOT, env: serverEnv });
    let gone = false;
    serverExited = new Promise<void>((resolve) =>
      serverProcess.once('exit', () => {
        gone = true;
        resolve();
      }),
    );
    await until(`Temporal server healthy (${clusterInfo})`, 120, async () => {
      if (gone) fail('the Temporal server exited during start-up');
      return healthy();
    });
    say(`Temporal server v${version} healthy on 127.0.0.1:${grpcPort} after ${since(begin)} (${pass} start)`);
  };
  await startServer('first');

  const temporalAddress = `127.0.0.1:${grpcPort}`;
  for (const pass of ['first', 'second']) {
    const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: NAMESPACE, TEMPORAL_CLI };
    run('sh', ['deploy/temporal/create-namespace.sh'], { env, log: join(logs, `namespace-${pass}.log`) });
  }
  const said = (pass: string) =>
    readFileSync(join(logs, `namespace-${pass}.log`), 'utf8')
      .trim()
      .split('\n')
      .at(-1)!
      .replace(/^namespace: /, '');
  say(`namespace: ${said('first')}; again: ${said('second')}`);

  const restartServer = async () => {
    serverProcess.kill('SIGTERM');
    await serverExited;
    if (await healthy().catch(() => undefined)) fail('the server still answers after SIGTERM');
    await startServer('second');
  };

  if (serverOnly) {
    await restartServer();
    const rows = psql('temporal', `select count(*) from namespaces where name = '${NAMESPACE}'`);
    if (rows !== '1') fail(`PostgreSQL holds ${rows} rows for the namespace ${NAMESPACE} after the restart`);
    say('after the restart, PostgreSQL still holds the namespace (--server-only: our services not started)');
    return;
  }

  // --- our services, started by the launcher and pointed at this server
  started = Date.now();
  stack = await startStack({ TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: NAMESPACE });
  try {
    await checkServices(stack, psql, restartServer, started);
  } finally {
    writeFileSync(join(logs, 'launcher.log'), stack.output());
    await stack.stop();
    stack = undefined;
  }
}

type Psql = (database: string, sql: string) => string;

async function checkServices(stack: RunningStack, psql: Psql, restartServer: () => Promise<void>, started: number) {
  const topology = readTopology();
  say(`${stack.processes().length} processes of the launcher ready after ${since(started)}`);

  // Every replica of each step's service polls this server (deploy.replicas of the compose file).
  const ActivityQueue = temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;
  for (const step of STEPS) {
    const prefix = `${step.activity}-${step.language}-`;
    const own = stack.processes().filter((p) => p.identity?.startsWith(prefix));
    const replicas = own.length ? topology.find((p) => p.name === own[0]!.name)!.replicas : 0;
    if (replicas < 1 || own.length !== replicas)
      fail(`${step.activity}: ${own.length} processes, expected ${replicas}`);
    const { pollers } = await stack.client.workflowService.describeTaskQueue({
      namespace: NAMESPACE,
      taskQueue: { name: step.taskQueue },
      taskQueueType: ActivityQueue,
    });
    const polling = new Set(pollers.map((p) => p.identity));
    const missing = own.filter((p) => !polling.has(p.identity));
    if (missing.length) fail(`${step.taskQueue}: ${missing.map((p) => p.identity).join(', ')} do not poll`);
  }

  const calculate = async (number: string) => {
    const begin = Date.now();
    const post = await fetch(`${stack.api}/?number=${number}`, { method: 'POST' });
    if (!post.ok) fail(`POST /?number=${number}: ${post.status} ${await post.text()}`);
    const { workflow_id: id } = (await post.json()) as { workflow_id: string };
    const answer = (await (await fetch(`${stack.api}/result/${id}?wait=30`)).json()) as Record<string, unknown>;
    if (answer.message !== 'completed' || answer.result !== EXPECTED[number]) {
      fail(`calculation of ${number}: ${JSON.stringify(answer)}`);
    }
    say(`POST /?number=${number} -> GET /result/${id} = ${EXPECTED[number]} (${since(begin)})`);
    return id;
  };
  const first = await calculate('2');

  // Which worker ran each step, from the history the server keeps in PostgreSQL.
  const runs = await stepRuns(stack.client, first);
  const ranOn = runs.map((r) => r.startedBy ?? '?');
  const expected = STEPS.map((s) => `${s.activity}-${s.language}-`);
  if (runs.length !== STEPS.length || !expected.every((prefix, i) => ranOn[i]!.startsWith(prefix))) {
    fail(`the history does not show one step per language: ${ranOn.join(', ')}`);
  }
  say(`steps ran on: ${ranOn.map((identity) => identity.split('@')[0]).join(', ')}`);

  // The visibility record is written asynchronously, a moment after the workflow closes.
  const visibility = `select status from executions_visibility where workflow_id = '${first}'`;
  await until(`visibility record of ${first} completed`, 30, async () =>
    psql('temporal_visibility', visibility) === '2' ? true : undefined,
  );
  const rows = Number(psql('temporal', 'select count(*) from executions'));
  if (!(rows >= 1)) fail('PostgreSQL: no row in executions');
  say(`PostgreSQL holds it: ${rows} execution row(s); visibility status 2 (completed)`);

  await restartServer();
  const again = (await (await fetch(`${stack.api}/result/${first}`)).json()) as { result?: string };
  if (again.result !== EXPECTED['2']) fail(`result lost across the restart: ${JSON.stringify(again)}`);
  say(`after the restart, GET /result/${first} still answers ${EXPECTED['2']}`);
  await calculate('3');

  // SIGTERM, as `docker compose stop` sends it: every worker drains and exits 0.
  const begin = Date.now();
  const workers = stack.processes().filter((p) => p.identity);
  await Promise.all(
    workers.map(async (worker) => {
      process.kill(worker.pid, 'SIGTERM');
      const code = await until(`${worker.name} exit after SIGTERM`, 30, async () => {
        // The code of the process's last exit, which the launcher records in stack.json.
        const now = stack.process(worker.name);
        return now.exitCode;
      });
      if (code !== 0) fail(`${worker.name} exited with ${code} after SIGTERM`);
    }),
  );
  say(`SIGTERM: ${workers.length} workers drained and exited 0 (${since(begin)})`);
}

function userIds(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) fail(`no user ${name} (it comes with Debian's postgresql package)`);
  return { uid: Number(uid), gid: Number(gid) };
}

function cleanup(passed: boolean): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  if (pgCtl && existsSync(join(pgData, 'postmaster.pid'))) {
    spawnSync(...asPostgres(pgCtl, ['-D', pgData, '-m', 'fast', 'stop']), { stdio: 'ignore' });
  }
  if (passed || !process.env.KEEP_WORK) rmSync(work, { recursive: true, force: true });
  else say(`kept ${work}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping`);
    void (stack?.stop() ?? Promise.resolve()).finally(() => {
      cleanup(false);
      process.exit(1);
    });
  });
}

main().then(
  () => {
    cleanup(true);
    say(`passed in ${since(begun)}`);
  },
  (err: unknown) => {
    console.error(`[postgres-e2e] FAIL: ${err instanceof Error ? err.message : String(err)}`);
    showLogs();
    cleanup(false);
    process.exitCode = 1;
  },
);
