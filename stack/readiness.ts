/**
 * How the launcher knows where it stands: a port is free, a process is ready (its HTTP probe
 * answers 200, or the server knows the namespace), and a version is the deployment's current.
 */
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import type { Planned } from './plan';
import { settings, START_TIMEOUT_MS } from './settings';

export async function assertPortFree(port: number, host: string, variable: string): Promise<void> {
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

/** What a worker's probe answers on /readyz; the server's readiness gives none of it. */
type ReadyBody = { identity?: string; deployment?: string; build_id?: string };

/** Resolves once `p` is ready, with the body of its readiness answer (a worker's identity). */
export async function whenReady(p: Planned, exited: () => boolean): Promise<ReadyBody> {
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
      if (res.ok) return (await res.json()) as ReadyBody;
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
export async function makeCurrent(address: string, deploymentName: string, buildId: string): Promise<void> {
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
