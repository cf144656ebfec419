/**
 * The worker that runs CalculateWorkflow, as the workflow worker process has it and as the API
 * runs one of its own when API_EAGER_START=on: one set of options for both.
 */
import { Worker } from '@temporalio/worker';
import { WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import { workerOptions, type WorkerBase } from '@calc/runtime';

/** What a workflow worker serves, and where. */
export const workflowWorker = { taskQueue: WORKFLOW_TASK_QUEUE, workflowsPath: require.resolve('./workflows') };

export function createWorkflowWorker(base: WorkerBase): Promise<Worker> {
  return Worker.create({ ...workerOptions(base), ...workflowWorker });
}
