/**
 * What the API asks of Temporal: start a calculation, find one, read how it ended or how far
 * it got, cancel it. One Client, created by the caller at start-up, serves every request.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  type Client,
  isGrpcServiceError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import { WORKFLOW_TASK_QUEUE, WORKFLOW_TYPE } from '@calc/contracts';
import { httpErrors } from '@fastify/sensible';
import { progressQuery, type CalculateOptions, type CalculateWorkflow } from '../workflow/workflows';

type Handle = WorkflowHandle<typeof CalculateWorkflow>;

/** The statuses of a closed workflow; each, in lower case, is the `message` of its answer. */
const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'];
const QUERY_DEADLINE_MS = 3000;

/**
 * The gRPC status code of a failed call to Temporal, or undefined for any other error. The
 * client throws the gRPC error itself from some calls and wraps it in a ServiceError in others
 * (starting a workflow, describing one).
 */
export function grpcStatusOf(err: unknown): grpcStatus | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}

/** How a closed calculation ended, or undefined while it runs. */
function endedAs({ status }: WorkflowExecutionDescription): string | undefined {
  return ENDED.includes(status.name) ? status.name.toLowerCase() : undefined;
}

/**
 * Which version ran the calculation, from the versioning info of its description; undefined
 * for an unversioned worker, or before a worker has taken its first task.
 */
export function workerVersion(description: WorkflowExecutionDescription) {
  const version = description.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion;
  if (!version?.deploymentName || !version.buildId) return undefined;
  return { deployment: version.deploymentName, build_id: version.buildId };
}

export class Calculations {
  constructor(
    private readonly client: Client,
    private readonly options: Required<CalculateOptions>,
    /** Ask for the first workflow task in the start's answer: a workflow worker shares the client's connection. */
    private readonly eagerStart = false,
  ) {}

  /**
   * Starts a calculation of `number`. With an idempotency key, a repeat of the same request
   * starts nothing and returns the first calculation's id; the same key with another number
   * is a conflict.
   */
  async start(
    number: string,
    idempotencyKey?: string,
  ): Promise<{ workflowId: string; runId: string; replayed: boolean }> {
    // A fresh id names no number: workflow ids are stored and shown in plain text by the server,
    // its UI and our traces, while the numbers themselves travel encrypted. An id derived from a
    // key makes the same key always name the same calculation.
    const workflowId =
      idempotencyKey === undefined
        ? `calculate-${randomUUID()}`
        : `calculate-key-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;
    try {
      const handle = await this.client.workflow.start<typeof CalculateWorkflow>(WORKFLOW_TYPE, {
        taskQueue: WORKFLOW_TASK_QUEUE,
        workflowId,
        args: [number, this.options],
        // Only an idempotent start reads it back (below); without a key it would be one more
        // payload to encrypt and store per calculation.
        ...(idempotencyKey !== undefined && { memo: { number } }),
        // A key stays bound to its calculation after it ends, not only while it runs.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        requestEagerStart: this.eagerStart,
      });
      return { workflowId, runId: handle.firstExecutionRunId, replayed: false };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || idempotencyKey === undefined) throw err;
    }
    const { description } = await this.find(workflowId);
    if (description.memo?.number !== number)
      throw httpErrors.conflict('this Idempotency-Key was already used to start a calculation of another number');
    return { workflowId, runId: description.runId, replayed: true };
  }

  /**
   * The calculation with this id (and run id, when given); 404 for unknown ids and for
   * workflows of other types.
   */
  async find(workflowId: string, runId?: string) {
    const handle: Handle = this.client.workflow.getHandle(workflowId, runId);
    const notFound = httpErrors.notFound(
      `no calculation has the id ${JSON.stringify(workflowId)}${runId ? ` and the run id ${JSON.stringify(runId)}` : ''}`,
    );
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound;
      if (grpcStatusOf(err) === grpcStatus.INVALID_ARGUMENT) throw notFound;
      throw err;
    }
    // Other workflows may share the namespace; this API speaks only of calculations.
    if (description.type !== WORKFLOW_TYPE) throw notFound;
    return { handle, description };
  }

  /**
   * The calculation with this id, and its outcome if it has ended, once it ends or after
   * `seconds`, whichever comes first: one long-poll on its history, then one description
   * (which tells a calculation from an unknown id or another workflow type, and names the
   * version that ran it). Describing only after the wait saves a call per request; an id of
   * another workflow type still answers 404, only after the wait. With the run id, as the start's
   * `location` gives it, the server reads that run directly instead of first looking up which
   * run is the current one, once for each of the two calls.
   */
  async settle(workflowId: string, seconds: number, runId?: string) {
    const handle: Handle = this.client.workflow.getHandle(workflowId, runId);
    let waited: { result: string } | { failure: unknown } | undefined;
    if (seconds > 0) {
      // Timers take whole milliseconds; `wait` may have any number of decimals.
      const signal = AbortSignal.timeout(Math.ceil(seconds * 1000));
      waited = await this.client
        .withAbortSignal(signal, () => handle.result())
        .then(
          (result) => ({ result }),
          (failure: unknown) => (signal.aborted && !(failure instanceof WorkflowFailedError) ? undefined : { failure }),
        );
    }
    const found = await this.find(workflowId, runId);
    const ended = endedAs(found.description);
    if (waited === undefined)
      return { found, outcome: ended === undefined ? undefined : await this.outcome(handle, ended) };
    if ('result' in waited)
      return { found, outcome: { message: 'completed', workflow_id: workflowId, result: waited.result } };
    if (!(waited.failure instanceof WorkflowFailedError)) throw waited.failure;
    return { found, outcome: this.failed(workflowId, waited.failure, ended ?? 'failed') };
  }

  /** How an ended calculation ended, read from the close event of its history. */
  private async outcome(handle: Handle, ended: string) {
    try {
      return { message: 'completed', workflow_id: handle.workflowId, result: await handle.result() };
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      return this.failed(handle.workflowId, err, ended);
    }
  }

  /** The body of a calculation that ended otherwise than completed. */
  private failed(workflowId: string, err: WorkflowFailedError, message: string) {
    const type = err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
    return {
      message,
      workflow_id: workflowId,
      reason: err.cause?.message || err.message,
      ...(type && { error_type: type }),
    };
  }

  /** Each step's state, or undefined when no workflow worker answers in time. */
  async steps(handle: Handle) {
    try {
      const { steps } = await this.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        handle.query(progressQuery),
      );
      return steps;
    } catch {
      // The calculation is still running all the same; only its details are unknown for now.
      return undefined;
    }
  }

  /** Requests cancellation; the running step hears of it through its next heartbeat. */
  async cancel(workflowId: string): Promise<{ runId: string }> {
    const { handle, description } = await this.find(workflowId);
    const ended = endedAs(description);
    if (ended !== undefined) {
      throw httpErrors.conflict(
        `calculation ${JSON.stringify(workflowId)} has already ended (${ended}); nothing to cancel`,
      );
    }
    await handle.cancel();
    return { runId: description.runId };
  }
}
