/**
 * A test-only workflow that sends any payload straight to one activity on its queue, without
 * the API or CalculateWorkflow in between. Its retry policy retries everything, so only the
 * worker's own non-retryable InvalidNumber can stop the retries.
 */
import { proxyActivities } from '@temporalio/workflow';

export async function ProbeStep(activity: string, taskQueue: string, payload: unknown): Promise<unknown> {
  const activities = proxyActivities<Record<string, (payload: unknown) => Promise<unknown>>>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    // No maximumAttempts: unlimited, like Temporal's default.
    retry: { initialInterval: '1 second' },
  });
  return activities[activity]!(payload);
}
