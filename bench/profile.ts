/**
 * Where the CPU of one calculation goes: starts the stack as `make bench` does, with every
 * Node.js process under V8's CPU profiler (cpu-profile-preload.cjs), runs the direct variant and then the
 * API variant at concurrency 8 while `perf` samples the Temporal server, and prints the
 * heaviest functions of each. Used to write bench/README.md's breakdown; not part of
 * `make bench`.
 *
 *   node --import tsx bench/profile.ts [seconds per variant, default 20] [output folder]
 *
 * The server's samples need `perf` and the Go toolchain (its binary is stripped: addresses
 * are named through `go tool addr2line`, which reads Go's own line table).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { dataConverter, readPayloadSettings } from '@calc/telemetry';
import { startStack, ZERO_WAITS } from '../tests/stack';
import { costs, cpuSnapshot } from './cpu';
import { throughputWindow } from './load';
import { stackProcesses } from './procs';
import { variants } from './variants';

/** The services that run on Node.js, whose profiles the preloaded module writes. */
const NODE_SERVICES = new Set(['api', 'workflow-worker', 'power-of-6']);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self time by function and by file of one V8 profile, as shares of its samples. */
function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = profile.samples.length;
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  for (const id of profile.samples) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/work\/main\//, '');
    const name = `${functionName || '(anonymous)'} ${where}:${lineNumber}`;
    fn.set(name, (fn.get(name) ?? 0) + 1);
    const key =
      where === ''
        ? functionName
        : where
            .split('/')
            .slice(0, where.startsWith('@') ? 2 : 1)
            .join('/');
    area.set(key, (area.get(key) ?? 0) + 1);
  }
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${((v / total) * 100).toFixed(1).padStart(5)}% ${k}`)
      .join('\n');
  return `${total} samples\n by package or file:\n${list(area)}\n by function:\n${list(fn)}`;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 20);
  const out = process.argv[3] ?? join('/tmp', `calc-profile-${Date.now()}`);
  mkdirSync(out, { recursive: true });
  const keys = { PAYLOAD_KEYS: `bench-1:${randomBytes(32).toString('base64')}` };
  const stack = await startStack({
    ...ZERO_WAITS,
    ...keys,
    // NODE_OPTIONS refuses --cpu-prof: a preloaded module runs the same profiler.
    NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profile-preload.cjs')}`,
    CPU_PROFILE_DIR: out,
  });
  const pids: Record<string, number> = {};
  try {
    for (const p of stackProcesses(stack)) pids[p.name] = p.pid;
    const client = new Client({
      connection: stack.client.connection,
      dataConverter: dataConverter(readPayloadSettings(keys)),
    });
    const [api, direct] = variants(stack.api, client);
    for (const v of [direct!, api!]) {
      await throughputWindow(v, 8, 3, 100);
      const server = stack.process('temporal').pid;
      const perf = spawn(
        'perf',
        ['record', '-F', '499', '-g', '-p', String(server), '-o', join(out, `server-${v.key}.perf`)],
        {
          stdio: 'ignore',
        },
      );
      const measured = stackProcesses(stack);
      const node = measured.filter((p) => NODE_SERVICES.has(p.service));
      for (const p of node) process.kill(p.pid, 'SIGWINCH');
      const before = cpuSnapshot(measured);
      const r = await throughputWindow(v, 8, seconds, 1_000_000);
      const cost = costs(measured, before, cpuSnapshot(measured), r.finished);
      for (const p of node) {
        try {
          process.kill(p.pid, 'SIGWINCH');
        } catch {
          console.log(`  ${p.name} (pid ${p.pid}) ended while profiled`);
        }
      }
      perf.kill('SIGINT');
      await new Promise((resolve) => perf.once('exit', resolve));
      console.log(`${v.key}: ${r.finished} calculations, ${r.perSecond.toFixed(1)}/s`);
      for (const c of cost) console.log(`  ${c.name.padEnd(16)} ${c.perCalcMs.toFixed(2)} ms CPU per calculation`);
    }
  } catch (err) {
    console.error(stack.output().slice(-4000));
    throw err;
  } finally {
    await stack.stop();
  }
  // Each process (and each worker thread) wrote CPU.<round>.<pid>.<thread>.cpuprofile; round 1
  // is the direct variant's window, round 2 the API's.
  const names = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [pid, name]));
  for (const file of readdirSync(out).filter((f) => f.endsWith('.cpuprofile'))) {
    const [, round, pid, thread] = file.split('.');
    const name = names[Number(pid)];
    if (!name) continue;
    const variant = round === '1' ? 'direct' : 'api';
    console.log(`\n=== ${name} during ${variant} (thread ${thread}): ${file}\n${summarizeProfile(join(out, file))}`);
  }
  for (const v of ['direct', 'api']) {
    const data = join(out, `server-${v}.perf`);
    if (!existsSync(data)) continue;
    console.log(`\n=== Temporal server during ${v}: ${data}`);
    console.log(
      execFileSync('python3', [join(__dirname, 'gosym.py'), join(__dirname, '../.tools/bin/temporal'), data], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      }),
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
