/**
 * CalculateWorkflow: sends a number through power_of_2 (Python), power_of_4 (Go) and
 * power_of_6 (TypeScript), each on its own task queue with the same timeouts, retry policy and
 * cancellation, and returns n^EXPONENT (the product of the steps' exponents, see
 * @calc/contracts) as a decimal string; the progress query shows each step. The benchmark's
 * single-language baseline runs the same step loop (runSteps) on its own queues, so the two
 * can differ only in who serves the activities.
 *
 * Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O here.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { INVALID_NUMBER, PROGRESS_QUERY, STEPS, type StepName, type WorkerLanguage } from '@calc/contracts';

export interface StepProgress {
  activity: StepName;
  task_queue: string;
  language: WorkerLanguage;
  status: 'pending' | 'running' | 'completed' | 'failed';
  input?: string;
  output?: string;
}

export interface CalculationProgress {
  number: string;
  steps: StepProgress[];
}

/** Timeouts and retries, chosen by the caller (the API reads them from its environment). */
export interface CalculateOptions {
  /** Longest one attempt of a step may take, waiting included. */
  startToCloseTimeoutSeconds?: number;
  /** A worker silent for this long is presumed dead and its task is given to another. */
  heartbeatTimeoutSeconds?: number;
  /** Attempts per step before the calculation fails; InvalidNumber is never retried. */
  maximumAttempts?: number;
}

export const DEFAULT_OPTIONS: Required<CalculateOptions> = {
  startToCloseTimeoutSeconds: 300,
  heartbeatTimeoutSeconds: 5,
  maximumAttempts: 10,
};

export const progressQuery = defineQuery<CalculationProgress>(PROGRESS_QUERY);

type PowerActivities = Record<StepName, (n: string) => Promise<string>>;

/** Where each step runs: its activity, its task queue and the language serving it. */
export type StepPlan = Pick<StepProgress, 'activity' | 'task_queue' | 'language'>;

const PLAN: StepPlan[] = STEPS.map((s) => ({ activity: s.activity, task_queue: s.taskQueue, language: s.language }));

export async function CalculateWorkflow(number: string, options: CalculateOptions = {}): Promise<string> {
  return runSteps(number, PLAN, options);
}

/** Sends `number` through `plan` in order and returns the last step's output. */
export async function runSteps(number: string, plan: StepPlan[], options: CalculateOptions = {}): Promise<string> {
  const { startToCloseTimeoutSeconds, heartbeatTimeoutSeconds, maximumAttempts } = { ...DEFAULT_OPTIONS, ...options };
  const progress: CalculationProgress = { number, steps: plan.map((s) => ({ ...s, status: 'pending' })) };
  setHandler(progressQuery, () => progress);

  let value = number;
  for (const step of progress.steps) {
    // One proxy per step, because each step lives on its own task queue.
    const activities = proxyActivities<PowerActivities>({
      taskQueue: step.task_queue,
      startToCloseTimeout: startToCloseTimeoutSeconds * 1000,
      heartbeatTimeout: heartbeatTimeoutSeconds * 1000,
      // On cancellation, wait until the running step has heard of it and stopped.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
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
      // The proxy hands out a function for any activity name.
      value = await activities[step.activity]!(value);
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

/** Names the step that failed and keeps the worker's failure type (e.g. InvalidNumber). */
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
