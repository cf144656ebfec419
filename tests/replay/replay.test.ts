/**
 * Replays the recorded histories of real calculations (tests/replay/histories/, made by
 * record.ts) against the workflow code of this checkout. A change that would make workflows
 * already running in production fail on the new worker (a step moved, added or removed, a
 * timer, anything that changes the commands the code issues) fails here, with no stack: the
 * replay runs in this process. Two deliberately changed copies of the workflow show that it
 * does.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DefaultLogger, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { recordedHistories, testDataConverter } from './histories';

/** One recorded run per way a calculation ends; record.ts writes exactly these. */
const RECORDED = ['cancelled', 'completed', 'failed-invalid-number', 'retried-after-kill'];

/** Each history's replay against the workflows of `workflowsPath`, by history name. */
async function replay(workflowsPath: string): Promise<Map<string, ReplayResult>> {
  const results = new Map<string, ReplayResult>();
  const replays = Worker.runReplayHistories(
    { workflowsPath, dataConverter: testDataConverter(), replayName: 'replay-test' },
    recordedHistories(),
  );
  for await (const result of replays) results.set(result.workflowId, result);
  assert.deepEqual([...results.keys()], RECORDED, 'every recorded history should have been replayed');
  return results;
}

/** The run a history recorded: the id any error of its replay carries. */
function recordedRunId(name: string): string {
  const { history } = recordedHistories().find((h) => h.workflowId === name)!;
  return history.events![0]!.workflowExecutionStartedEventAttributes!.originalExecutionRunId!;
}

function assertDivergence(results: Map<string, ReplayResult>, name: string, details: RegExp): void {
  const { workflowId, runId, error } = results.get(name)!;
  assert.ok(error instanceof DeterminismViolationError, `${name}: expected non-determinism, got ${String(error)}`);
  assert.deepEqual([workflowId, runId], [name, recordedRunId(name)], 'the error should name the history it came from');
  assert.match(error.message, details, name);
}

function assertReplayed(results: Map<string, ReplayResult>, name: string): void {
  const { error } = results.get(name)!;
  assert.equal(error, undefined, `${name}: ${error?.message}`);
}

describe('replay of recorded CalculateWorkflow histories', () => {
  before(() => {
    // The SDK logs a diverging replay as a failed workflow task; the assertions say all there is to say.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  });

  it('the current workflow code replays every recorded history', async () => {
    const results = await replay(require.resolve('../../producers/workflow/workflows'));
    for (const name of RECORDED) assertReplayed(results, name);
  });

  it('steps in another order fail every history with a DeterminismViolationError', async () => {
    const results = await replay(require.resolve('./variant-workflows'));
    for (const name of RECORDED) {
      assertDivergence(
        results,
        name,
        /Activity type of scheduled event 'power_of_2' does not match activity type of activity command 'power_of_4'/,
      );
    }
  });

  it('a timer after power_of_2 fails the runs that got past it, and only those', async () => {
    const results = await replay(require.resolve('./variant-late-workflows'));
    for (const name of ['completed', 'retried-after-kill']) {
      assertDivergence(
        results,
        name,
        /Timer machine does not handle this event: HistoryEvent\(id: \d+, ActivityTaskScheduled\)/,
      );
    }
    // These ended during power_of_2: the commands they recorded are still the ones this code issues.
    for (const name of ['cancelled', 'failed-invalid-number']) assertReplayed(results, name);
  });
});
