/**
 * Contract fuzzing: schemathesis (pinned in requirements.txt) generates requests from the
 * API's own /openapi.json and checks every answer against that document, with all its checks
 * and all its phases, the stateful one included (start a calculation, then follow the
 * document's links to read and cancel it). Against the real stack, once without API_TOKEN
 * and once with it, since the document differs between the two. Any failure fails the test;
 * the number of generated cases, the seed and the time are printed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../../stack/topology';
import { startStack, ZERO_WAITS, type RunningStack } from '../stack';

const ST = join(ROOT, '.tools/schemathesis/bin/st');
const TOKEN = 'contract-fuzz-token';

/**
 * The seed of schemathesis's generator. `make test` uses a fixed one, so that a test run
 * depends on the code and not on luck (a fresh seed each time once let a rare case fail one
 * run in about twenty); `FUZZ_SEED=random make test-contract` explores new cases, and the
 * seed a failing run prints replays it (`FUZZ_SEED=<seed>`).
 */
const seed = process.env.FUZZ_SEED || '20261126';
if (!/^([0-9]+|random)$/.test(seed)) throw new Error(`FUZZ_SEED must be a whole number or "random"; got ${seed}`);

interface Run {
  code: number | null;
  output: string;
  seconds: number;
}

/** `st run` against the API; its own files (reports, example database) go to a temporary folder. */
function schemathesis(api: string, headers: string[]): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'contract-fuzz-'));
  const args = [
    'run',
    `${api}/openapi.json`,
    '--checks',
    'all',
    '--no-color',
    // Each run starts afresh: no examples remembered from an earlier run.
    '--generation-database',
    'none',
    ...(seed === 'random' ? [] : ['--seed', seed]),
    ...headers.flatMap((h) => ['--header', h]),
  ];
  const started = Date.now();
  const child = spawn(ST, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const modes: { name: string; env: Record<string, string>; headers: string[] }[] = [
  { name: 'without API_TOKEN', env: {}, headers: [] },
  { name: 'with API_TOKEN set', env: { API_TOKEN: TOKEN }, headers: [`Authorization: Bearer ${TOKEN}`] },
];

for (const mode of modes) {
  describe(`contract fuzzing ${mode.name}`, () => {
    let stack: RunningStack;
    before(async () => {
      assert.ok(existsSync(ST), `${ST} is missing: make test-contract installs it`);
      stack = await startStack({ ...ZERO_WAITS, ...mode.env });
    });
    after(async () => stack?.stop());

    it('schemathesis finds no failure with every check, the stateful phase included', async () => {
      const run = await schemathesis(stack.api, mode.headers);
      const generated = /(\d+) generated/.exec(run.output)?.[1];
      const scenarios = /Scenarios:\s+(\d+)/.exec(run.output)?.[1];
      const used = /Seed: (\d+)/.exec(run.output)?.[1];
      console.log(
        `contract fuzzing ${mode.name}: ${generated ?? '?'} cases generated ` +
          `(${scenarios ?? '?'} stateful scenarios) in ${run.seconds.toFixed(1)} s, seed ${used ?? '?'}`,
      );
      assert.equal(run.code, 0, `schemathesis reported failures:\n${run.output.slice(-20_000)}`);
      assert.ok(Number(generated) > 0, `schemathesis generated no case:\n${run.output}`);
      // Every phase ran, so a schema change cannot quietly turn one off.
      for (const phase of ['Examples', 'Coverage', 'Fuzzing', 'Stateful']) {
        assert.match(run.output, new RegExp(`✅ {2}${phase}`), `phase ${phase} did not pass`);
      }
      assert.match(run.output, /API Links:\s+[1-9]\d* covered/, 'the stateful phase followed no link');
    });
  });
}
