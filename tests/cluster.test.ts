/**
 * The production file past one server (deploy/cluster.yml): three Temporal server nodes on
 * the one PostgreSQL behind nginx, under Docker, with every service of ours. A server node is
 * killed while a few hundred calculations run, then started again; later the same with a
 * worker container of each language killed at the same moment. Every calculation must end
 * with its exact result, none started twice, and `tdbg` must show membership shrink and grow
 * back and the dead node's shards taken over (range_id up) and spread again.
 *
 * Figures are printed, not judged: recovery time, calculations in flight at the kill,
 * throughput before, during and after, and the server's CPU per calculation on PostgreSQL
 * against the embedded dev server's, under the same load in the same run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLUSTER_FILES, must } from '../deploy/engine';
import { composeProject, cpuPerCalculation, pidsOf, type ComposeProject, type Container } from './compose-project';
import { pool } from './pool';
import { startStack } from './stack';
import { finalResult, startCalculation } from './user-checks';

const NODES = 3;
const SHARDS = 16;
const CALCULATIONS = 240;
const IN_FLIGHT = 16;
// Steps that take a while, so that a kill always finds calculations in every state.
const WAITS = { ACTIVITY_1_WAIT_TIMEOUT: '0.3', ACTIVITY_2_WAIT_TIMEOUT: '0.3', ACTIVITY_3_WAIT_TIMEOUT: '0.3' };
const ROLES = ['frontend', 'history', 'matching', 'worker'];

let stack: ComposeProject;
const log = (message: string) => console.log(`[cluster] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `tdbg` of the admin-tools image, in a one-off container on the project's network. */
function tdbg(script: string): string {
  return stack.project.must(
    'run',
    '--rm',
    '--no-deps',
    '-T',
    '--entrypoint',
    'sh',
    'temporal-namespace',
    '-c',
    script.replace(/tdbg /g, 'tdbg --address temporal:7233 '),
  );
}

/** Each role's members, as host addresses: what `tdbg membership list-gossip` shows. */
function gossip(): Record<string, string[]> {
  const rings = JSON.parse(tdbg('tdbg membership list-gossip')) as { role: string; members: { identity: string }[] }[];
  return Object.fromEntries(rings.map((r) => [r.role, r.members.map((m) => m.identity.split(':')[0]!).sort()]));
}

interface Shard {
  shard: number;
  owner: string;
  rangeId: number;
}

/**
 * Every shard's owner (a host address) and range_id, in shard order: `tdbg shard describe`,
 * shard by shard. Throws unless every shard answered: a node that is starting or stopping
 * refuses the call for a moment, and a shard left out would shift the ones after it.
 */
function shards(): Shard[] {
  const out = tdbg(`for i in $(seq 1 ${SHARDS}); do tdbg shard describe --shard-id $i || exit 1; done`);
  const found = [...out.matchAll(/"shardId":\s*(\d+),\s*"rangeId":\s*"(\d+)",\s*"owner":\s*"([^:"]+):/g)];
  const all = found.map((m) => ({ shard: Number(m[1]), rangeId: Number(m[2]), owner: m[3]! }));
  assert.deepEqual(
    all.map((s) => s.shard),
    Array.from({ length: SHARDS }, (_, i) => i + 1),
    `tdbg shard describe answered for shards ${all.map((s) => s.shard).join(',')}`,
  );
  return all;
}

/** How many shards each node owns, by its address. */
const perNode = (all: Shard[]) =>
  all.reduce<Record<string, number>>((m, s) => ({ ...m, [s.owner]: (m[s.owner] ?? 0) + 1 }), {});

function addressOf(c: Container): string {
  const out = must('docker', [
    'inspect',
    '--format',
    `{{ (index .NetworkSettings.Networks "${stack.network}").IPAddress }}`,
    c.id,
  ]);
  return out.trim();
}

const nodes = () => stack.containers('temporal-node').filter((c) => c.state === 'running');

/**
 * Polls `check` every second until it holds; returns the seconds it took since `since`. A check
 * that throws counts as not yet (an admin call to a node on its way up or down fails for a
 * moment); its last error is in the timeout's message.
 */
async function until(what: string, since: number, check: () => boolean, timeoutMs = 120_000): Promise<number> {
  let last: unknown;
  for (;;) {
    try {
      if (check()) return (Date.now() - since) / 1000;
    } catch (err) {
      last = err;
    }
    if (Date.now() - since > timeoutMs) {
      throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? `; last error: ${String(last)}` : ''}`);
    }
    await sleep(1000);
  }
}

/** `read()` once it answers, retried as `until` does. */
async function once<T>(what: string, read: () => T): Promise<T> {
  let value: T | undefined;
  await until(what, Date.now(), () => ((value = read()), true));
  return value!;
}

interface Run {
  n: bigint;
  id: string;
  startedAt: number;
  endedAt: number;
}

/** Calculations per second among `runs` that ended in [from, to). */
function rate(runs: Run[], from: number, to: number): string {
  const ended = runs.filter((r) => r.endedAt >= from && r.endedAt < to).length;
  return (ended / ((to - from) / 1000)).toFixed(1);
}

/**
 * CALCULATIONS calculations, IN_FLIGHT at a time; once a third have ended, `kill` (the
 * containers it returns are started again when membership has shrunk and 10 s have passed).
 * Asserts every result, and that the server holds exactly one calculation per start.
 */
async function underFault(first: number, kill: () => Container[]): Promise<void> {
  const since = new Date();
  const runs: Run[] = [];
  let killedAt = 0;
  let inFlightAtKill: Run[] = [];
  const before = await once('the shards before the kill', shards);
  log(`before: ${NODES} members in every role, shards per node ${JSON.stringify(perNode(before))}`);
  let failed = false;
  const faults = (async () => {
    const third = () => runs.filter((r) => r.endedAt).length >= CALCULATIONS / 3;
    await until('a third ended', Date.now(), () => failed || third(), 300_000);
    if (failed) return 0;
    const victims = kill();
    const node = victims.find((c) => c.service === 'temporal-node')!;
    const address = addressOf(node);
    killedAt = Date.now();
    for (const v of victims) must('docker', ['kill', v.id]);
    inFlightAtKill = runs.filter((r) => !r.endedAt);
    log(`killed ${victims.map((v) => v.name).join(', ')} with ${inFlightAtKill.length} calculations in flight`);
    const shrank = await until('membership shrinks', killedAt, () =>
      Object.values(gossip()).every((members) => members.length === NODES - 1 && !members.includes(address)),
    );
    const moved = await once('the shards after the kill', shards);
    log(
      `membership shrank to ${NODES - 1} in every role ${shrank.toFixed(1)} s after the kill; shards per node ${JSON.stringify(perNode(moved))}`,
    );
    for (const [i, b] of before.entries()) {
      if (b.owner !== address) continue;
      assert.notEqual(moved[i]!.owner, address, `shard ${i + 1} still owned by the dead node`);
      assert.ok(moved[i]!.rangeId > b.rangeId, `shard ${i + 1}: range_id ${b.rangeId} -> ${moved[i]!.rangeId}`);
    }
    const taken = before.filter((b) => b.owner === address).length;
    log(`the dead node's ${taken} shards moved to the others, each with a higher range_id`);
    await sleep(Math.max(0, killedAt + 10_000 - Date.now()));
    const restartedAt = Date.now();
    for (const v of victims) must('docker', ['start', v.id]);
    const back = addressOf(stack.containers('temporal-node').find((c) => c.id === node.id)!);
    const grew = await until('membership grows back', restartedAt, () =>
      Object.values(gossip()).every((members) => members.length === NODES && members.includes(back)),
    );
    const spread = await until('shards spread again', restartedAt, () => shards().some((s) => s.owner === back));
    const owners = perNode(await once('the shards after the restart', shards));
    log(
      `restarted: every role has ${NODES} members ${grew.toFixed(1)} s later; shards per node ${JSON.stringify(owners)} (${spread.toFixed(1)} s)`,
    );
    return restartedAt;
  })();

  const numbers = Array.from({ length: CALCULATIONS }, (_, i) => BigInt(first + i));
  const load = pool(numbers, IN_FLIGHT, async (n) => {
    const run: Run = { n, id: '', startedAt: Date.now(), endedAt: 0 };
    runs.push(run);
    run.id = await stack.start(n);
    const body = await finalResult(stack.target.api, run.id, 300_000);
    run.endedAt = Date.now();
    return { run, body };
  });
  // Neither is left running when the other fails.
  load.catch(() => (failed = true));
  const [results, restartedAt] = await Promise.all([load, faults]);
  for (const { run, body } of results) assert.deepEqual(body, stack.target.completed(run.id, run.n));

  const recovered = Math.max(...inFlightAtKill.map((r) => r.endedAt)) - killedAt;
  const end = Math.max(...runs.map((r) => r.endedAt));
  log(
    `all ${CALCULATIONS} exact; the ${inFlightAtKill.length} in flight at the kill all ended ${(recovered / 1000).toFixed(1)} s after it; ` +
      `calculations/s before ${rate(runs, runs[0]!.startedAt, killedAt)}, kill to restart ${rate(runs, killedAt, restartedAt)}, ` +
      `after ${rate(runs, restartedAt, end + 1)}`,
  );
  // One workflow per start: a start sent again after a dropped connection found its first run.
  const count = await stack.target.client.workflow.count(
    `WorkflowType = 'CalculateWorkflow' AND StartTime >= '${since.toISOString()}'`,
  );
  assert.equal(count.count, CALCULATIONS);
}

before(async () => {
  stack = await composeProject('calc-cluster-test', CLUSTER_FILES, WAITS, 'cluster');
});

after(async () => {
  // What a failed run needs to be understood: each node's state and its last words.
  for (const c of stack?.containers('temporal-node') ?? []) {
    log(`${c.name}: ${c.state} ${c.health ?? ''}`);
    if (c.state !== 'running' || c.health !== 'healthy') console.log(must('docker', ['logs', '--tail', '30', c.id]));
  }
  await stack?.down();
});

describe('three Temporal server nodes behind nginx (deploy/cluster.yml)', () => {
  it('runs every node in every role, with the shards spread over all three', () => {
    assert.equal(nodes().length, NODES);
    const addresses = nodes().map(addressOf).sort();
    const rings = gossip();
    for (const role of ROLES) assert.deepEqual([role, rings[role]], [role, addresses]);
    const owners = new Set(shards().map((s) => s.owner));
    assert.deepEqual([...owners].sort(), addresses);
  });

  it('a server node killed under load: nothing lost, nothing twice, its shards taken over and given back', async () => {
    await underFault(1_000, () => [nodes()[1]!]);
  });

  it('a node and a worker of each language killed at once: the same', async () => {
    const worker = (service: string) => stack.containers(service).find((c) => c.state === 'running')!;
    await underFault(2_000, () => [nodes()[2]!, worker('power-of-2'), worker('power-of-4'), worker('power-of-6')]);
    stack.up();
  });

  it('CPU per calculation: the three nodes and PostgreSQL against the embedded dev server', async () => {
    const count = 200;
    const finish = (api: string, start: (n: bigint) => Promise<string>) => async (n: bigint) =>
      finalResult(api, await start(n));
    const groups = {
      nodes: stack.containers('temporal-node').flatMap(pidsOf),
      postgres: stack.containers('postgresql').flatMap(pidsOf),
    };
    const cluster = await cpuPerCalculation(groups, finish(stack.target.api, stack.start), count);
    const local = await startStack({ ...WAITS });
    try {
      const { dev } = await cpuPerCalculation(
        { dev: [local.process('temporal').pid] },
        finish(local.api, (n) => startCalculation(local.api, n.toString())),
        count,
      );
      const total = cluster.nodes + cluster.postgres;
      log(
        `server CPU per calculation (${count} calculations, 8 at a time): three nodes ${cluster.nodes.toFixed(1)} ms ` +
          `+ PostgreSQL ${cluster.postgres.toFixed(1)} ms = ${total.toFixed(1)} ms; embedded dev server ` +
          `${dev.toFixed(1)} ms (${(total / dev).toFixed(2)}x)`,
      );
      assert.ok(cluster.nodes > 0 && cluster.postgres > 0 && dev > 0);
    } finally {
      await local.stop();
    }
  });
});
