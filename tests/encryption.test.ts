/**
 * Only our processes see the numbers: after calculations with distinctive inputs, neither the
 * Temporal server's database file nor `temporal workflow show` holds the input, a step's value
 * or the result in plain text, while the API still answers exactly, the Temporal UI shows the
 * decoded input in a real browser through the API's codec endpoint, and a key retired from
 * current use still decrypts what it wrote.
 *
 * The same checks run first with encryption off, where they must find the values: that is what
 * shows they can find them at all.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { calculate, STEPS } from '@calc/contracts';
import { launchBrowser } from './browser';
import { startStack, ZERO_WAITS, type RunningStack } from './stack';

const TEMPORAL = join(__dirname, '..', '.tools', 'bin', 'temporal');
const key = () => randomBytes(32).toString('base64');

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'calc-encryption-'));
  dirs.push(dir);
  return dir;
}

async function calculateVia(stack: RunningStack, n: bigint, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${stack.api}/?number=${n}`, { method: 'POST', headers });
  assert.equal(res.status, 202, await res.clone().text());
  const { workflow_id: id } = (await res.json()) as { workflow_id: string };
  const body = (await (await fetch(`${stack.api}/result/${id}?wait=30`)).json()) as { message: string; result: string };
  assert.deepEqual([body.message, body.result], ['completed', calculate(n).toString()]);
  return id;
}

/** The input, every step's output and the result, in base 10. */
function valuesOf(n: bigint): string[] {
  const values = [n.toString()];
  let v = n;
  for (const step of STEPS) {
    v = v ** BigInt(step.exponent);
    values.push(v.toString());
  }
  return values;
}

/** Which of `values` stand in plain text in the server's files (the database and its WAL). */
function inDatabase(dir: string, values: string[]): string[] {
  const files = ['temporal.db', 'temporal.db-wal'].map((f) => join(dir, f)).filter((f) => existsSync(f));
  const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
  return values.filter((v) => bytes.includes(v));
}

function workflowShow(stack: RunningStack, id: string): string {
  return execFileSync(TEMPORAL, ['workflow', 'show', '-w', id, '--address', stack.temporalAddress, '-o', 'json'], {
    encoding: 'utf8',
  });
}

describe('payload encryption', () => {
  it('with encryption off, the checks below do find the plain values', async () => {
    const dir = dataDir();
    const stack = await startStack({ ...ZERO_WAITS, PAYLOAD_ENCRYPTION: 'off' }, { dataDir: dir });
    try {
      const n = 7_310_000_000_000_131n;
      const id = await calculateVia(stack, n);
      assert.deepEqual(inDatabase(dir, valuesOf(n)), valuesOf(n));
      const shown = workflowShow(stack, id);
      assert.ok(
        valuesOf(n).every(
          (v) => shown.includes(Buffer.from(JSON.stringify(v)).toString('base64')) || shown.includes(v),
        ),
        'temporal workflow show should show every value when nothing is encrypted',
      );
    } finally {
      await stack.stop();
    }
  });

  it('with encryption on, no input, step value or result is in the database or `workflow show`', async () => {
    const dir = dataDir();
    const stack = await startStack({ ...ZERO_WAITS, PAYLOAD_KEYS: `k1:${key()}` }, { dataDir: dir });
    try {
      const plain = 9_876_543_210_123n;
      const idempotent = 8_765_432_101_234n;
      const ids = [
        await calculateVia(stack, plain),
        // An idempotent start keeps its number in the memo.
        await calculateVia(stack, idempotent, { 'Idempotency-Key': `encryption-${process.pid}` }),
      ];
      const values = [...valuesOf(plain), ...valuesOf(idempotent)];
      assert.deepEqual(inDatabase(dir, values), [], 'plain values in the server database');
      for (const id of ids) {
        assert.ok(
          !id.includes(plain.toString()) && !id.includes(idempotent.toString()),
          `the id ${id} names the input`,
        );
        const shown = workflowShow(stack, id);
        const base64 = values.map((v) => Buffer.from(JSON.stringify(v)).toString('base64'));
        assert.deepEqual(
          values.filter((v, i) => shown.includes(v) || shown.includes(base64[i]!)),
          [],
          'plain values in temporal workflow show',
        );
        assert.match(shown, /binary\/encrypted|YmluYXJ5L2VuY3J5cHRlZA/, 'the payloads are marked encrypted');
      }
    } finally {
      await stack.stop();
    }
  });

  it('the Temporal UI shows the decoded input through the API codec endpoint', async () => {
    const stack = await startStack({ ...ZERO_WAITS, PAYLOAD_KEYS: `k1:${key()}` });
    const browser = await launchBrowser();
    try {
      const n = 4_242_424_242_424_242n;
      const id = await calculateVia(stack, n);
      const page = await browser.newPage();
      const codecCalls: string[] = [];
      page.on('request', (r) => r.url().includes('/codec/') && codecCalls.push(r.url()));
      // The UI's origin must be the one the API admits (CODEC_CORS_ORIGIN): localhost.
      const ui = stack.ui.replace('127.0.0.1', 'localhost');
      await page.goto(`${ui}/namespaces/default/workflows/${id}`);
      await page.getByText(n.toString()).first().waitFor({ timeout: 30_000 });
      assert.ok(codecCalls.length > 0, 'the UI never asked the codec endpoint');
    } finally {
      await browser.close();
      await stack.stop();
    }
  });

  it('after a rotation, what the retired key wrote still decrypts and new payloads use the new key', async () => {
    const dir = dataDir();
    const [k1, k2] = [key(), key()];
    const before = await startStack({ ...ZERO_WAITS, PAYLOAD_KEYS: `k1:${k1}` }, { dataDir: dir });
    const n = 1_234_567_890_987n;
    let id: string;
    try {
      id = await calculateVia(before, n);
    } finally {
      await before.stop();
    }
    const rotated = await startStack({ ...ZERO_WAITS, PAYLOAD_KEYS: `k2:${k2},k1:${k1}` }, { dataDir: dir });
    try {
      const res = await fetch(`${rotated.api}/result/${id}`);
      assert.deepEqual(((await res.json()) as { result: string }).result, calculate(n).toString());
      const next = await calculateVia(rotated, n + 1n);
      const history = await rotated.client.workflow.getHandle(next).fetchHistory();
      const keyIds = new Set(
        history.events!.flatMap((e) =>
          (e.workflowExecutionStartedEventAttributes?.input?.payloads ?? []).map((p) =>
            Buffer.from(p.metadata!['encryption-key-id']!).toString(),
          ),
        ),
      );
      assert.deepEqual([...keyIds], ['k2']);
    } finally {
      await rotated.stop();
    }
  });
});
