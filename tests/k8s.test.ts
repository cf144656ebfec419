/**
 * The Kubernetes manifests of deploy/k8s, rendered by `kubectl kustomize` for each overlay and
 * judged by the schemas a cluster would judge them by: built-in kinds by kubernetes-validate
 * --strict, the custom resources of the Temporal Worker Controller and of KEDA by the
 * openAPIV3Schema of their real CRDs (taken from their Go modules), unknown fields refused as
 * `kubectl --validate=strict` refuses them, and a kind with no schema is a failure. The
 * templates of each WorkerResourceTemplate are judged as the controller will make them, one
 * per version. The settings are held to docker-compose.yml's. Then a real API server (etcd and
 * kube-apiserver built from the Go module proxy, tests/k8s-apiserver.sh) with both releases'
 * CRDs installed judges every object with `kubectl apply --dry-run=server`: admission and the
 * CRDs' CEL rules included.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from '../stack/topology';

/** The releases whose CRDs the manifests are written for (docs/kubernetes.md). */
const KEDA = { module: 'github.com/kedacore/keda/v2', version: 'v2.20.2', crds: 'config/crd/bases' };
const CONTROLLER = {
  module: 'github.com/temporalio/temporal-worker-controller',
  version: 'v1.8.1',
  crds: 'helm/temporal-worker-controller-crds/templates',
};
const OVERLAYS = ['self-hosted', 'temporal-cloud'];
const VALIDATE = join(ROOT, '.tools', 'k8s-validate', 'bin', 'kubernetes-validate');

type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, unknown> } & Record<
  string,
  unknown
>;

const work = mkdtempSync(join(tmpdir(), 'calc-k8s-'));
after(() => rmSync(work, { recursive: true, force: true }));

function render(overlay: string): Doc[] {
  const out = execFileSync('kubectl', ['kustomize', join(ROOT, 'deploy', 'k8s', 'overlays', overlay)], {
    encoding: 'utf8',
  });
  return parseAllDocuments(out).map((d) => d.toJS() as Doc);
}

const APISERVER = join(ROOT, 'tests', 'k8s-apiserver.sh');

/** The folder the Go module proxy unpacked a module into. */
function moduleDir({ module, version }: { module: string; version: string }): string {
  const env = { ...process.env, GOFLAGS: '', GOTOOLCHAIN: 'local' };
  const out = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8', env });
  return (JSON.parse(out) as { Dir: string }).Dir;
}

/**
 * Kubernetes prunes or (with strict validation) refuses a field its schema does not name:
 * every object schema with properties and no x-kubernetes-preserve-unknown-fields gets
 * additionalProperties false.
 */
function strict(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Record<string, unknown>>).map(([k, v]) => [k, strict(v)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && value && typeof value === 'object') {
      out[key] = strict(value as Record<string, unknown>);
    } else {
      out[key] = value;
    }
  }
  if (schema.properties && !schema['x-kubernetes-preserve-unknown-fields'] && !('additionalProperties' in schema)) {
    out.additionalProperties = false;
  }
  return out;
}

/** `<apiVersion>/<kind>` of every version of every CRD of both releases, with its validator. */
const crdFiles: string[] = [];

function crdValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv
    .addFormat('int32', true)
    .addFormat('int64', true)
    .addFormat('date-time', true)
    .addFormat('duration', true)
    .addFormat('byte', true);
  const validators = new Map<string, ValidateFunction>();
  for (const release of [KEDA, CONTROLLER]) {
    const dir = join(moduleDir(release), release.crds);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      // The controller's chart wraps its CRDs in Helm conditionals: lines of their own.
      const text = readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => !line.includes('{{'))
        .join('\n');
      crdFiles.push(join(work, `crd-${file}`));
      writeFileSync(crdFiles.at(-1)!, text);
      const crd = parse(text) as {
        spec: {
          group: string;
          names: { kind: string };
          versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[];
        };
      };
      for (const v of crd.spec.versions) {
        const schema = strict(v.schema.openAPIV3Schema);
        // metadata is the API server's to check, as it does for every kind.
        (schema.properties as Record<string, unknown>).metadata = { type: 'object' };
        validators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(schema));
      }
    }
  }
  return validators;
}

const validators = crdValidators();
const custom = (d: Doc) => validators.get(`${d.apiVersion}/${d.kind}`);

/** kubernetes-validate --strict over built-in kinds: its lines for every document. */
function validateBuiltIn(docs: Doc[], name: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, docs.map((d) => `---\n${JSON.stringify(d)}\n`).join(''));
  try {
    return execFileSync(VALIDATE, ['--strict', file], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const { stdout, stderr } = err as { stdout: string; stderr: string };
    assert.fail(`kubernetes-validate refused ${name}:\n${stdout}${stderr}`);
  }
}

/** A WorkerResourceTemplate's resource as the controller makes it for one version. */
function perVersion(wrt: Doc): Doc {
  const template = structuredClone((wrt.spec as { template: Doc }).template);
  const version = 'v1-0123abcd';
  const fill = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'scaleTargetRef' && value && Object.keys(value).length === 0) {
        (node as Record<string, unknown>)[key] = { apiVersion: 'apps/v1', kind: 'Deployment', name: version };
      } else fill(value);
    }
  };
  fill(template.spec);
  const selector = (template.spec as { selector?: { matchLabels?: Record<string, string> } }).selector;
  if (selector?.matchLabels && Object.keys(selector.matchLabels).length === 0) {
    selector.matchLabels = { 'temporal.io/build-id': version, 'temporal.io/deployment-name': 'calculation_worker' };
  }
  return { ...template, metadata: { name: `${wrt.metadata.name}-${version}` } };
}

/** A compose service's environment with the defaults of its `${NAME:-default}` values. */
function composeEnv(service: string): Record<string, string> {
  const file = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string> }>;
  };
  const env = file.services[service]?.environment ?? {};
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      String(v).replace(/\$\{[A-Z0-9_]+(?::?[-?]([^}]*))?\}/g, (_, d = '') => d),
    ]),
  );
}

/**
 * What the manifests give a container, by name: its own env, the ConfigMaps it reads whole,
 * and, for a Secret it reads whole, a marker; the Worker Controller adds TEMPORAL_ADDRESS and
 * TEMPORAL_NAMESPACE to the workers from the Connection and the WorkerDeployment.
 */
function podEnv(docs: Doc[], pod: { containers: { env?: { name: string; value?: string }[]; envFrom?: unknown[] }[] }) {
  const [container] = pod.containers;
  const env: Record<string, string> = {};
  for (const from of (container?.envFrom ?? []) as {
    configMapRef?: { name: string };
    secretRef?: { name: string };
  }[]) {
    if (from.configMapRef) {
      const map = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === from.configMapRef!.name);
      Object.assign(env, (map as { data?: Record<string, string> } | undefined)?.data);
    }
    if (from.secretRef?.name === 'calc-payload-keys') env.PAYLOAD_KEYS = 'from the Secret calc-payload-keys';
  }
  for (const e of container?.env ?? []) env[e.name] = e.value ?? 'from a reference';
  return env;
}

/** Settings compose has that a cluster gives otherwise: each with where it comes from. */
const ELSEWHERE: Record<string, string> = {
  TEMPORAL_ADDRESS: 'the ConfigMap calc-temporal, the Connection for the workers',
  TEMPORAL_NAMESPACE: 'the ConfigMap calc-temporal, the WorkerDeployment for the workers',
  PAYLOAD_KEYS: 'the Secret calc-payload-keys',
  // The Temporal UI's origin on the machine compose runs on: a cluster's is its own to set.
  CODEC_CORS_ORIGIN: 'the cluster',
};

for (const overlay of OVERLAYS) {
  describe(`deploy/k8s/overlays/${overlay}`, () => {
    const docs = render(overlay);
    const embedded = docs.filter((d) => d.kind === 'WorkerResourceTemplate').map(perVersion);

    it('renders our five services: the API, and four workers each with a scaler and a disruption budget', () => {
      const named = (kind: string) => docs.filter((d) => d.kind === kind).map((d) => d.metadata.name);
      assert.deepEqual(named('Deployment'), ['api']);
      assert.deepEqual(named('WorkerDeployment').sort(), ['power-of-2', 'power-of-4', 'power-of-6', 'workflow-worker']);
      assert.deepEqual(
        embedded.map((d) => `${d.kind} ${d.metadata.name.replace(/-v1-.*/, '')}`).sort(),
        ['power-of-2', 'power-of-4', 'power-of-6', 'workflow-worker']
          .flatMap((w) => [`PodDisruptionBudget ${w}-pdb`, `ScaledObject ${w}-scaler`])
          .sort(),
      );
    });

    it('passes kubernetes-validate --strict for every built-in kind, the per-version copies included', () => {
      const builtIn = [...docs, ...embedded].filter((d) => !custom(d));
      const report = validateBuiltIn(builtIn, overlay);
      assert.doesNotMatch(report, /WARN|ERROR|Couldn't find schema/, report);
      assert.equal(report.match(/ passed for resource /g)?.length, builtIn.length, report);
    });

    it("matches the Worker Controller's and KEDA's CRD schemas for every custom resource", () => {
      for (const d of [...docs, ...embedded].filter(custom)) {
        const validate = custom(d)!;
        assert.ok(validate(d), `${d.kind} ${d.metadata.name}: ${JSON.stringify(validate.errors, null, 2)}`);
      }
    });

    it('gives each service the settings docker-compose.yml gives it, with the same values', () => {
      const pods: Record<string, { containers: never[] }> = {
        api: (docs.find((d) => d.kind === 'Deployment')!.spec as { template: { spec: { containers: never[] } } })
          .template.spec,
      };
      for (const w of docs.filter((d) => d.kind === 'WorkerDeployment')) {
        pods[w.metadata.name] = (w.spec as { template: { spec: { containers: never[] } } }).template.spec;
      }
      for (const [service, pod] of Object.entries(pods)) {
        const given = podEnv(docs, pod);
        for (const [name, value] of Object.entries(composeEnv(service))) {
          // Empty in compose is unset: optional settings the manifests may leave out.
          if (value === '' || name in ELSEWHERE) continue;
          assert.equal(given[name], value, `${service}: ${name}`);
        }
        if ('PAYLOAD_KEYS' in composeEnv(service)) assert.ok(given.PAYLOAD_KEYS, `${service}: PAYLOAD_KEYS`);
      }
    });

    it('refuses what the schemas refuse: an unknown field, a missing required one', () => {
      const wd = structuredClone(docs.find((d) => d.kind === 'WorkerDeployment')!);
      (wd.spec as Record<string, unknown>).replica = 2;
      assert.equal(custom(wd)!(wd), false);
      const so = structuredClone(embedded.find((d) => d.kind === 'ScaledObject')!);
      delete (so.spec as { triggers: { type?: string }[] }).triggers[0]!.type;
      assert.equal(custom(so)!(so), false);
    });
  });
}

describe('kubectl apply --dry-run=server against a real API server with the CRDs installed', () => {
  const dir = join(work, 'apiserver');
  const kubectl = (args: string[], input?: string) =>
    execFileSync('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), ...args], {
      encoding: 'utf8',
      input,
      stdio: 'pipe',
    });
  /** What the server says to a dry-run apply of `docs`: its output, or its refusal. */
  const dryRun = (docs: Doc[]) => {
    try {
      return {
        ok: true,
        out: kubectl(['apply', '--dry-run=server', '-f', '-'], docs.map((d) => `---\n${JSON.stringify(d)}\n`).join('')),
      };
    } catch (err) {
      const { stdout, stderr } = err as { stdout: string; stderr: string };
      return { ok: false, out: stdout + stderr };
    }
  };

  before(() => {
    const started = Date.now();
    console.log(execFileSync(APISERVER, ['start', dir], { encoding: 'utf8' }).trim());
    console.log(`[k8s] API server built (if needed) and ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const file of crdFiles) kubectl(['apply', '--server-side', '-f', file]);
    kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    // Namespaced objects of a dry run need their namespace to exist.
    kubectl(['create', 'namespace', 'calculation']);
  });
  after(() => execFileSync(APISERVER, ['stop', dir]));

  for (const overlay of OVERLAYS) {
    it(`accepts every object of ${overlay}, and each per-version copy`, () => {
      const docs = render(overlay);
      const copies = docs
        .filter((d) => d.kind === 'WorkerResourceTemplate')
        .map((d) => ({ ...perVersion(d), metadata: { ...perVersion(d).metadata, namespace: 'calculation' } }));
      const { ok, out } = dryRun([...docs, ...copies]);
      assert.ok(ok, out);
      assert.equal(out.match(/\(server dry run\)/g)?.length, docs.length + copies.length, out);
    });
  }

  it("refuses what the CRDs' CEL rules refuse: a Progressive rollout without steps, a pause under 30 s", () => {
    type Rollout = { steps?: { pauseDuration: string }[] };
    const wd = render('self-hosted').find(
      (d) => d.kind === 'WorkerDeployment' && d.metadata.name === 'workflow-worker',
    )!;
    const rollout = (d: Doc) => (d.spec as { rollout: Rollout }).rollout;
    const noSteps = structuredClone(wd);
    delete rollout(noSteps).steps;
    const refusal = dryRun([noSteps]);
    assert.ok(!refusal.ok && refusal.out.includes('steps are required for Progressive rollout'), refusal.out);
    const short = structuredClone(wd);
    rollout(short).steps![0]!.pauseDuration = '5s';
    const tooShort = dryRun([short]);
    assert.ok(!tooShort.ok && tooShort.out.includes('pause duration must be at least 30s'), tooShort.out);
  });
});

describe('the Temporal Worker Controller itself, against a real API server and a Temporal dev server', () => {
  it('rolls power-of-4 from :v1 to :v2: a Deployment per build id, each made current, the old one drained', () => {
    // tests/k8s-controller.sh: the controller v1.8.1 built from the Go module proxy; no pods run
    // here, so the script stands in for the Deployment controller and starts the real worker
    // binary with the environment the controller wrote into each versioned pod template.
    let out: string;
    try {
      out = execFileSync('bash', [join(ROOT, 'tests', 'k8s-controller.sh')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const { stdout, stderr } = err as { stdout: string; stderr: string };
      assert.fail(`tests/k8s-controller.sh failed:\n${stdout}${stderr}`);
    }
    console.log(out);
    const current = [...out.matchAll(/build id (\S+) is current/g)].map((m) => m[1]);
    assert.equal(current.length, 2, out);
    assert.match(out, new RegExp(`TEMPORAL_WORKER_BUILD_ID=${current[1]}`));
    assert.match(out, new RegExp(`old version ${current[0]} is Drained`));
  });
});
