/**
 * Entry point of the workflow worker: serves CalculateWorkflow on calculation-task-queue.
 */
import { WORKFLOW_TYPE } from '@calc/contracts';
import { runWorker } from '@calc/runtime';
import { workflowWorker } from './create-worker';

runWorker('workflow worker', () => ({
  name: `${WORKFLOW_TYPE}-typescript`,
  serviceName: 'calc-workflow-worker',
  serves: workflowWorker,
}));
