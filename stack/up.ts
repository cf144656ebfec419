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
import { mkdirSync } from 'node:fs';
import { PER_INSTANCE_PORTS, plan } from './plan';
import { assertPortFree, makeCurrent } from './readiness';
import { DATA_DIR, log, settings } from './settings';
import { markReady, running, start, stop } from './supervisor';
import { readTopology } from './topology';

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping every process`);
      stop(0);
    });
  }
  mkdirSync(DATA_DIR, { recursive: true });

  const external = settings.TEMPORAL_ADDRESS;
  const topology = readTopology();
  const only = settings.STACK_SERVICES.split(',').filter(Boolean);
  const unknown = only.filter((name) => !topology.some((p) => p.service === name));
  if (unknown.length > 0) throw new Error(`STACK_SERVICES names no local service ${unknown.join(', ')}`);
  const all = topology.filter(
    (p) => !(external && 'namespace' in p.ready) && (only.length === 0 || only.includes(p.service)),
  );
  const processes = plan(all, DATA_DIR, external || `127.0.0.1:${settings.TEMPORAL_PORT}`);
  for (const p of processes) {
    for (const [name, value] of Object.entries(p.portsByName)) {
      const host = name === 'API_PORT' ? settings.API_HOST : '127.0.0.1';
      await assertPortFree(value, host, PER_INSTANCE_PORTS[name] ?? name);
    }
  }

  const begun = Date.now();
  log(external ? `using the Temporal server at ${external}` : `state of the Temporal server in ${DATA_DIR}`);
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
  // The versions the workers run as (one, unless TEMPORAL_WORKER_BUILD_ID differs between them);
  // none with TEMPORAL_WORKER_VERSIONING=off, whose workers poll unversioned.
  const versions = new Map(running.flatMap(({ version: v }) => (v ? [[`${v.deployment}.${v.buildId}`, v]] : [])));
  if (versions.size === 0 && running.some((r) => r.identity))
    log('the workers report no Worker Deployment version (unversioned): no version to make current');
  for (const [name, v] of versions) {
    await makeCurrent(processes[0]!.env.TEMPORAL_ADDRESS!, v.deployment, v.buildId);
    log(`${name} is the current version of worker deployment ${v.deployment}`);
  }
  markReady();

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
