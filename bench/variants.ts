/**
 * The ways of running one calculation that the benchmark compares (the API, the direct start,
 * the baseline and its layout), and the calls it costs beside them (a describe, GET /health).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { calculate, WORKFLOW_TASK_QUEUE, WORKFLOW_TYPE } from '@calc/contracts';
import { loadApiConfig } from '../producers/api/config';
import {
  BaselineCalculateWorkflow,
  BASELINE_WORKFLOW_QUEUE,
  SplitBaselineCalculateWorkflow,
} from './baseline-workflows';
/**
 * `api-<tag>` and `direct-<tag>` run on a second stack started with other settings (run.ts);
 * `contended` is the direct start beside a process that burns what the API spends; `spaced`, the
 * direct start with a pause after each calculation as long as the API path adds to it; `paced`, two
 * `GET /health` at the pace of the API's calculations; `pacedDescribe`, a describe at that pace;
 * `idle`, the pace alone.
 */
export type VariantKey =
  | 'api'
  | 'direct'
  | 'baseline'
  | 'split'
  | 'describe'
  | 'health'
  | 'paced'
  | 'pacedDescribe'
  | 'idle'
  | 'spaced'
  | 'contended'
  | `${'api' | 'direct'}-${string}`;

/** `serverMetrics`: the Prometheus endpoint of the Temporal server that serves the variant. */
export type Variant = {
  key: VariantKey;
  label: string;
  serverMetrics: string;
  calculate: (n: number) => Promise<void>;
};

/** Every answer must be exactly n^EXPONENT, computed here with BigInt. */
function check(n: number, got: unknown): void {
  if (got !== calculate(BigInt(n)).toString()) {
    throw new Error(`wrong result for ${n}: ${JSON.stringify(got)?.slice(0, 40)}`);
  }
}

/** A calculation started and awaited through the SDK's client, as the API would start it. */
function viaClient(client: Client, type: string, taskQueue: string) {
  // The API passes these to every workflow it starts; the client-started variants pass the same.
  const options = loadApiConfig(process.env).workflowOptions;
  return async (n: number) => {
    const workflowId = `bench-${randomUUID()}`;
    check(n, await client.workflow.execute(type, { taskQueue, workflowId, args: [String(n), options] }));
  };
}

/**
 * The variants on one stack. `client` must carry the stack's data converter, since the
 * results come back encrypted. With `other`, the API and direct variants of a second stack
 * started with other settings, keyed `<variant>-<tag>`; no baseline.
 */
export function variants(
  api: string,
  client: Client,
  serverMetrics: string,
  other?: { tag: string; label: string },
): Variant[] {
  const viaApi = async (n: number) => {
    const start = await fetch(`${api}/?number=${n}`, { method: 'POST' });
    const [location, text] = [start.headers.get('location'), await start.text()];
    if (start.status !== 202 || !location) throw new Error(`POST /?number=${n} answered ${start.status}: ${text}`);
    // The Location names the run, as a client that follows it would read it.
    const res = await fetch(`${api}${location}&wait=30`);
    const body = (await res.json()) as { message?: string; result?: string };
    if (res.status !== 200 || body.message !== 'completed') {
      throw new Error(`GET /result answered ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
    }
    check(n, body.result);
  };
  const baseline = viaClient(client, BaselineCalculateWorkflow.name, BASELINE_WORKFLOW_QUEUE);
  const all: Variant[] = [
    { key: 'api', label: 'polyglot via API', serverMetrics, calculate: viaApi },
    {
      key: 'direct',
      label: 'polyglot, direct start',
      serverMetrics,
      calculate: viaClient(client, WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE),
    },
    { key: 'baseline', label: 'TypeScript-only baseline', serverMetrics, calculate: baseline },
  ];
  if (!other) return all;
  return all
    .filter((v) => v.key !== 'baseline')
    .map((v) => ({ ...v, key: `${v.key}-${other.tag}` as VariantKey, label: `${v.label}, ${other.label}` }));
}

/**
 * The baseline with its steps on processes laid out as the pipeline's activity workers (procs.ts
 * startBaseline): what that layout alone costs, in the baseline's language.
 */
export function splitVariant(client: Client, serverMetrics: string): Variant {
  return {
    key: 'split',
    label: "TypeScript-only baseline, a process per activity worker of the pipeline's",
    serverMetrics,
    calculate: viaClient(client, SplitBaselineCalculateWorkflow.name, BASELINE_WORKFLOW_QUEUE),
  };
}

/**
 * Not a calculation: one description of a finished one by its run, as the API asks for on
 * every result read, so that a window of it gives what a describe costs the server.
 */
export function describeVariant(handle: WorkflowHandle, serverMetrics: string): Variant {
  const calculate = async () => {
    const { status } = await handle.describe();
    if (status.name !== 'COMPLETED') throw new Error(`${handle.workflowId} described as ${status.name}`);
  };
  return { key: 'describe', label: 'describe of a finished calculation', serverMetrics, calculate };
}

/**
 * Not a calculation either: `GET /health`, which asks nothing of Temporal, so that it gives
 * what one HTTP round trip to the API costs, the part of the API path no setting removes.
 */
export function healthVariant(api: string, serverMetrics: string): Variant {
  const calculate = async () => {
    const res = await fetch(`${api}/health`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /health answered ${res.status}: ${text}`);
  };
  return { key: 'health', label: 'GET /health, one HTTP round trip', serverMetrics, calculate };
}

/**
 * `times` calls of `v` in a row, then a pause until `paceMs` have passed since the first, as each
 * client's calculations ask the API: what the calls cost a process that idles between them, which
 * is more than back to back. `idle`, no call: what the pause alone costs the bench client. With no
 * `key`, the variant itself at that pace, under its own key.
 */
export function paced(v: Variant, times: number, paceMs: number, key?: 'paced' | 'pacedDescribe' | 'idle'): Variant {
  const calculate = async (n: number) => {
    const start = performance.now();
    for (let i = 0; i < times; i++) await v.calculate(n);
    await sleep(Math.max(0, paceMs - (performance.now() - start)));
  };
  if (key === undefined) return { ...v, calculate };
  const label = {
    paced: "two GET /health at each client's pace of calculations via the API",
    pacedDescribe: "a describe at each client's pace of calculations via the API",
    idle: 'the same pace with no call',
  }[key];
  return { ...v, key, label, calculate };
}
