/**
 * The three ways of running one calculation that the benchmark compares. Each one checks the
 * answer against n^EXPONENT computed here with BigInt, and throws when it is not exact.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { calculate, WORKFLOW_TASK_QUEUE, WORKFLOW_TYPE } from '@calc/contracts';
import { loadApiConfig } from '../producers/api/config';
import { BASELINE_WORKFLOW_QUEUE, BASELINE_WORKFLOW_TYPE } from './baseline-queues';

/** `api-<tag>` and `direct-<tag>` run on a second stack started with other settings (run.ts). */
export type VariantKey = 'api' | 'direct' | 'baseline' | `${'api' | 'direct'}-${string}`;

export interface Variant {
  key: VariantKey;
  label: string;
  calculate: (n: number) => Promise<void>;
}

/** Inputs cycle through 2..1000 in a scattered order, so result sizes vary from call to call. */
export function numberAt(i: number): number {
  return 2 + ((i * 7919) % 999);
}

export function expected(n: number): string {
  return calculate(BigInt(n)).toString();
}

function check(n: number, got: unknown): void {
  if (got !== expected(n)) {
    const shown = typeof got === 'string' ? `${got.slice(0, 40)}...` : JSON.stringify(got);
    throw new Error(`wrong result for ${n}: ${shown}`);
  }
}

/**
 * The variants on one stack. `client` must carry the stack's data converter, since the
 * results come back encrypted. With `other`, the API and direct variants of a second stack
 * started with other settings, keyed `<variant>-<tag>`; no baseline.
 */
export function variants(api: string, client: Client, other?: { tag: string; label: string }): Variant[] {
  // The API passes these to every workflow it starts; the client-started variants pass the same.
  const options = loadApiConfig(process.env).workflowOptions;
  const viaClient = (type: string, taskQueue: string, prefix: string) => async (n: number) => {
    const result: unknown = await client.workflow.execute(type, {
      taskQueue,
      workflowId: `${prefix}-${randomUUID()}`,
      args: [String(n), options],
    });
    check(n, result);
  };
  const all: Variant[] = [
    {
      key: 'api',
      label: 'polyglot via API',
      calculate: async (n) => {
        const start = await fetch(`${api}/?number=${n}`, { method: 'POST' });
        const started = (await start.json()) as { workflow_id?: string };
        if (start.status !== 202 || !started.workflow_id) {
          throw new Error(`POST /?number=${n} answered ${start.status}: ${JSON.stringify(started)}`);
        }
        const res = await fetch(`${api}/result/${encodeURIComponent(started.workflow_id)}?wait=30`);
        const body = (await res.json()) as { message?: string; result?: string };
        if (res.status !== 200 || body.message !== 'completed') {
          throw new Error(`GET /result answered ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
        }
        check(n, body.result);
      },
    },
    {
      key: 'direct',
      label: 'polyglot, direct start',
      calculate: viaClient(WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE, 'bench-direct'),
    },
    {
      key: 'baseline',
      label: 'TypeScript-only baseline',
      calculate: viaClient(BASELINE_WORKFLOW_TYPE, BASELINE_WORKFLOW_QUEUE, 'bench-baseline'),
    },
  ];
  if (!other) return all;
  return all
    .filter((v) => v.key !== 'baseline')
    .map((v) => ({ ...v, key: `${v.key}-${other.tag}` as VariantKey, label: `${v.label}, ${other.label}` }));
}
