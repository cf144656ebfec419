/**
 * BaselineCalculateWorkflow: CalculateWorkflow step for step (same progress query, same
 * timeouts and retry policy, three activity tasks on three queues), but every step is served
 * by one TypeScript process. It is the floor the polyglot pipeline is compared against.
 *
 * Bundled into Temporal's deterministic sandbox: no Node built-ins, no I/O here.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import { INVALID_NUMBER, STEPS, type StepName } from '@calc/contracts';
import {
  DEFAULT_OPTIONS,
  progressQuery,
  type CalculateOptions,
  type CalculationProgress,
  type StepProgress,
} from '../producers/src/workflows';
import { BASELINE_STEPS } from './baseline-queues';

type PowerActivities = Record<StepName, (n: string) => Promise<string>>;

export async function BaselineCalculateWorkflow(number: string, options: CalculateOptions = {}): Promise<string> {
  const { startToCloseTimeoutSeconds, heartbeatTimeoutSeconds, maximumAttempts } = { ...DEFAULT_OPTIONS, ...options };
  const progress: CalculationProgress = {
    number,
    steps: STEPS.map((s, i) => ({
      activity: s.activity,
      task_queue: BASELINE_STEPS[i]!.taskQueue,
      language: 'typescript',
      status: 'pending',
    })),
  };
  setHandler(progressQuery, () => progress);

  let value = number;
  for (const step of progress.steps) {
    const activities = proxyActivities<PowerActivities>({
      taskQueue: step.task_queue,
      startToCloseTimeout: startToCloseTimeoutSeconds * 1000,
      heartbeatTimeout: heartbeatTimeoutSeconds * 1000,
      retry: {
        initialInterval: 1000,
        backoffCoefficient: 2,
        maximumInterval: 10_000,
        maximumAttempts,
        nonRetryableErrorTypes: [INVALID_NUMBER],
      },
    });
    step.status = 'running';
    step.input = value;
    try {
      value = await activities[step.activity](value);
    } catch (err) {
      step.status = 'failed';
      if (isCancellation(err)) throw err;
      throw stepFailure(step, err);
    }
    step.status = 'completed';
    step.output = value;
  }
  return value;
}

function stepFailure(step: StepProgress, err: unknown): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const type = cause instanceof ApplicationFailure && cause.type ? cause.type : 'StepFailed';
  const reason = cause?.message ?? (err instanceof Error ? err.message : String(err));
  return ApplicationFailure.create({
    type,
    message: `${step.activity} (${step.language}, ${step.task_queue}) failed: ${reason}`,
    nonRetryable: true,
    cause: err instanceof Error ? err : undefined,
  });
}
