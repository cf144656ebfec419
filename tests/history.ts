/**
 * Reading what happened to a calculation from its Temporal history and description: which
 * activity ran on which queue, by which worker, in which attempt.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;
const PendingActivityState = temporal.api.enums.v1.PendingActivityState;

export interface StepRun {
  activity: string;
  taskQueue: string;
  /** The worker that took the last attempt (the one the history keeps). */
  startedBy?: string;
  attempt?: number;
  completedBy?: string;
  outcome: 'completed' | 'failed' | 'cancelled' | 'timed_out' | 'scheduled';
  cancelRequested: boolean;
}

export async function stepRuns(client: Client, workflowId: string): Promise<StepRun[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const runs = new Map<string, StepRun>();
  const run = (scheduledId: unknown) => runs.get(String(scheduledId))!;
  for (const e of history.events ?? []) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = e.activityTaskScheduledEventAttributes!;
        runs.set(String(e.eventId), {
          activity: a.activityType!.name!,
          taskQueue: a.taskQueue!.name!,
          outcome: 'scheduled',
          cancelRequested: false,
        });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const a = e.activityTaskStartedEventAttributes!;
        Object.assign(run(a.scheduledEventId), { startedBy: a.identity!, attempt: a.attempt! });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = e.activityTaskCompletedEventAttributes!;
        Object.assign(run(a.scheduledEventId), { outcome: 'completed', completedBy: a.identity! });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        run(e.activityTaskFailedEventAttributes!.scheduledEventId).outcome = 'failed';
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        run(e.activityTaskTimedOutEventAttributes!.scheduledEventId).outcome = 'timed_out';
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
        run(e.activityTaskCancelRequestedEventAttributes!.scheduledEventId).cancelRequested = true;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const a = e.activityTaskCanceledEventAttributes!;
        Object.assign(run(a.scheduledEventId), { outcome: 'cancelled', completedBy: a.identity ?? undefined });
        break;
      }
    }
  }
  return [...runs.values()];
}

/** The worker identity running `activity` of this calculation right now, once it has one. */
export async function runningOn(
  client: Client,
  workflowId: string,
  activity: string,
  timeoutMs = 30_000,
): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { raw } = await client.workflow.getHandle(workflowId).describe();
    const pending = raw.pendingActivities?.find(
      (p) => p.activityType?.name === activity && p.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    );
    if (pending?.lastWorkerIdentity) return pending.lastWorkerIdentity;
    if (Date.now() > until) throw new Error(`${activity} of ${workflowId} did not start within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pid at the end of a worker identity (`<activity>-<language>-<replica>@<host>:<pid>`). */
export function pidIn(identity: string): number {
  const match = /:(\d+)$/.exec(identity);
  if (!match) throw new Error(`no pid in the identity ${identity}`);
  return Number(match[1]);
}
