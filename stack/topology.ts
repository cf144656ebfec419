/**
 * The system's processes, read from docker-compose.yml: every service with an `x-local` field
 * runs locally, deploy.replicas times, in the order its depends_on asks for. The launcher, the
 * tests, the benchmark and the PostgreSQL-backed run all take the topology from here.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const ROOT = resolve(__dirname, '..');
export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

interface LocalField {
  command: string[];
  cwd?: string;
  /** Port settings the process needs, e.g. METRICS_PORT, HEALTH_PORT. */
  ports?: string[];
  /** How the launcher tells that a process serves: an HTTP GET answered 200, or a namespace. */
  ready: { port: string; path: string } | { namespace: string };
}

interface ComposeService {
  'x-local'?: LocalField;
  deploy?: { replicas?: number };
  depends_on?: Record<string, unknown> | string[];
}

/** One process of the local stack: a service, or one replica of it. */
export type LocalProcess = ReturnType<typeof readTopology>[number];

export function readTopology(file = COMPOSE_FILE) {
  const model = parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
  const local = Object.entries(model.services).filter(
    (entry): entry is [string, ComposeService & { 'x-local': LocalField }] => entry[1]['x-local'] !== undefined,
  );
  const names = new Set(local.map(([name]) => name));
  return local.flatMap(([service, spec]) => {
    const x = spec['x-local'];
    const replicas = spec.deploy?.replicas ?? 1;
    const dependsOn = Array.isArray(spec.depends_on) ? spec.depends_on : Object.keys(spec.depends_on ?? {});
    return Array.from({ length: replicas }, (_, i) => ({
      name: replicas > 1 ? `${service}-${i + 1}` : service,
      service,
      // WORKER_REPLICA of a replicated service.
      replica: i + 1,
      replicas,
      command: x.command,
      cwd: resolve(ROOT, x.cwd ?? '.'),
      ports: x.ports ?? [],
      ready: x.ready,
      // Compose services with no local process (the schema job, the UI) are the dev server's.
      after: dependsOn.filter((d) => names.has(d)),
    }));
  });
}
