/**
 * What a user checks first, whatever runs the system: exact results with each step on a
 * worker of its language, a 400 naming the parameter for every bad input, 404 for an unknown
 * id, the API's documents and the Temporal UI. The local stack (e2e.test.ts) and the
 * production file under Docker (compose.test.ts) both run these.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Client } from '@temporalio/client';
import { calculate, EXPONENT, STEPS } from '@calc/contracts';
import { stepRuns, type StepRun } from './history';

export interface Target {
  api: string;
  ui: string;
  client: Client;
  /** What `GET /result/{id}` answers once the calculation of `n` completed. */
  completed: (id: string, n: bigint) => Record<string, unknown>;
}

/** Starts a calculation of `number` and returns its id and the `Location` to read it at. */
export async function startedAt(api: string, number: string, idempotencyKey?: string) {
  const headers = idempotencyKey ? { 'idempotency-key': idempotencyKey } : undefined;
  const res = await fetch(`${api}/?number=${encodeURIComponent(number)}`, { method: 'POST', headers });
  assert.equal(res.status, 202, await res.clone().text());
  const body = (await res.json()) as { message: string; workflow_id: string; run_id: string };
  assert.equal(body.message, 'workflow started');
  assert.match(body.run_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const location = `/result/${body.workflow_id}?run_id=${body.run_id}`;
  assert.equal(res.headers.get('location'), location);
  return { id: body.workflow_id, location };
}

export async function startCalculation(api: string, number: string, idempotencyKey?: string): Promise<string> {
  return (await startedAt(api, number, idempotencyKey)).id;
}

/** What `GET /result/{id}` answers within 30 s; `query` may name the run (`run_id=...`). */
export async function resultOf(
  api: string,
  id: string,
  query = '',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${api}/result/${id}?wait=30${query && `&${query}`}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The final answer of a calculation, riding out the moments when the API or Temporal is down. */
export async function finalResult(api: string, id: string, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${api}/result/${id}?wait=20`);
      if (res.status === 200) return (await res.json()) as Record<string, unknown>;
      assert.ok([202, 503].includes(res.status), `unexpected ${res.status}: ${await res.text()}`);
    } catch (err) {
      // The API itself may be restarting.
      if (!(err instanceof TypeError)) throw err;
    }
    if (Date.now() > until) throw new Error(`${id} did not end within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const EXACT_CASES: [string, string][] = [
  ['2', '281474976710656'],
  ['3', '79766443076872509863361'],
  [
    '-12345678901234567890123456789012345678901234567890',
    calculate(-12345678901234567890123456789012345678901234567890n).toString(),
  ],
];

/** Checks that the steps of a calculation ran in order, each on a worker of its language. */
export function assertStepsByLanguage(steps: StepRun[]): void {
  assert.deepEqual(
    steps.map((s) => [s.activity, s.taskQueue]),
    STEPS.map((s) => [s.activity, s.taskQueue]),
  );
  // Each step ran on a worker of its own language: `<activity>-<language>-<replica>@host:pid`.
  steps.forEach((run, i) =>
    assert.match(run.completedBy!, new RegExp(`^${STEPS[i]!.activity}-${STEPS[i]!.language}-[0-9]+@`)),
  );
}

export function userChecks(target: () => Target): void {
  for (const [number, expected] of EXACT_CASES) {
    it(`POST ${number.length > 10 ? `a ${number.length - 1}-digit number` : number} gives n^${EXPONENT} exactly, ${STEPS.map((s) => s.language).join(' -> ')}`, async () => {
      const { api, client, completed } = target();
      const { id, location } = await startedAt(api, number);
      // At its Location (which names the run), then by the id alone.
      const { status, body } = await resultOf(api, id, location.split('?')[1]);
      assert.equal(status, 200);
      assert.equal(body.result, expected);
      assert.deepEqual(body, completed(id, BigInt(number)));
      assert.deepEqual(await resultOf(api, id), { status, body });
      assertStepsByLanguage(await stepRuns(client, id));
    });
  }

  const bad: [string, string][] = [
    ['missing', ''],
    ['empty', '?number='],
    ['decimal', '?number=2.5'],
    ['letters', '?number=abc'],
    ['exponent', '?number=1e3'],
    ['hex', '?number=0x10'],
    ['whitespace', '?number=%202%20'],
    ['too many digits', `?number=${'7'.repeat(1001)}`],
  ];
  for (const [name, query] of bad) {
    it(`answers 400 naming number for a ${name} input`, async () => {
      const res = await fetch(`${target().api}/${query}`, { method: 'POST' });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { message: string };
      assert.match(body.message, /^number (is required|must be)/);
      assert.match(body.message, /base-10 integer/);
    });
  }

  it('answers 404 for an unknown workflow id, or a run id of another calculation', async () => {
    const { api } = target();
    const res = await fetch(`${api}/result/calculate-does-not-exist`);
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { message: string }).message, /no calculation has the id/);
    const id = await startCalculation(api, '5');
    const otherRun = '0193e2a4-5b6c-7d8e-9f01-23456789abcd';
    const { status, body } = await resultOf(api, id, `run_id=${otherRun}`);
    assert.equal(status, 404);
    assert.equal(body.message, `no calculation has the id "${id}" and the run id "${otherRun}"`);
  });

  it('answers 400 naming run_id for a run id that is not a UUID', async () => {
    const { status, body } = await resultOf(target().api, 'calculate-any', 'run_id=not-a-uuid');
    assert.equal(status, 400);
    assert.equal(body.message, 'run_id must be a UUID, the run id that POST / returns; got "not-a-uuid"');
  });

  it('serves /docs, /openapi.json, /health, /ready and the Temporal UI', async () => {
    const { api, ui } = target();
    const docs = await fetch(`${api}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui/i);
    const spec = (await (await fetch(`${api}/openapi.json`)).json()) as { openapi: string };
    assert.match(spec.openapi, /^3\./);
    assert.equal((await fetch(`${api}/health`)).status, 200);
    assert.equal((await fetch(`${api}/ready`)).status, 200);
    const page = await fetch(ui);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
  });
}
