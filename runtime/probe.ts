/**
 * The worker's HTTP probe: /healthz while the process runs, /readyz once it polls its task
 * queue and until a stop signal starts the drain. Container health checks and the launcher
 * read it; each answer is one write, so a reader never sees a half-made state.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { DeploymentVersion } from './settings';

export interface Probe {
  /** The worker polls: /readyz answers 200 until markStopping or SIGINT/SIGTERM. */
  markReady(): void;
  /** The drain has begun: /readyz answers 503 "stopping" from now on. */
  markStopping(): void;
  close(): Promise<void>;
  /** The port listened on, or undefined without a probe. */
  readonly port: number | undefined;
}

export interface ProbeOptions {
  identity: string;
  taskQueue: string;
  /** The Worker Deployment version the worker runs as; undefined for an unversioned worker. */
  version: DeploymentVersion | undefined;
  /** HEALTH_PORT; undefined gives a probe that serves nothing. */
  port: number | undefined;
  host: string;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Listens before the worker connects, so that a port in use stops it at once (the error names the address). */
export async function startProbe({ identity, taskQueue, version, port, host }: ProbeOptions): Promise<Probe> {
  const worker = { identity, task_queue: taskQueue, build_id: version?.buildId, deployment: version?.deploymentName };
  let status: 'starting' | 'ready' | 'stopping' = 'starting';
  const markStopping = () => void (status = 'stopping');
  const probe = {
    markReady: () => {
      if (status !== 'starting') return;
      status = 'ready';
      // The Runtime turns these into a drain; no new task is taken from then on. Listening only
      // now leaves a signal during start-up to the Runtime (or to Node's default exit).
      for (const signal of SIGNALS) process.once(signal, markStopping);
    },
    markStopping,
    close: async () => {
      for (const signal of SIGNALS) process.off(signal, markStopping);
    },
  };
  if (port === undefined) return { ...probe, port: undefined };

  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    const [code, body] =
      path === '/healthz'
        ? [200, { status: 'ok', identity }]
        : path === '/readyz'
          ? [status === 'ready' ? 200 : 503, { status, ...worker }]
          : [404, { status: 'not found' }];
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return {
    ...probe,
    port: typeof address === 'object' && address ? address.port : port,
    close: async () => {
      await probe.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
