/**
 * The worker that runs CalculateWorkflow, as the workflow worker process has it and as the API
 * runs one of its own when API_EAGER_START=on: one set of options for both.
 */
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import {
  dataConverter,
  workerDeploymentOptions,
  type DeploymentVersion,
  type PayloadSettings,
  type Tracing,
} from '@calc/runtime';

export interface WorkflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  identity: string;
  version: DeploymentVersion;
  payloads: PayloadSettings;
  tracing?: Tracing;
  shutdownGraceMs: number;
}

export function createWorkflowWorker(o: WorkflowWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: WORKFLOW_TASK_QUEUE,
    identity: o.identity,
    workerDeploymentOptions: workerDeploymentOptions(o.version),
    workflowsPath: require.resolve('./workflows'),
    // The codec runs here, outside the sandbox; the failure converter goes into the bundle.
    dataConverter: dataConverter(o.payloads),
    shutdownGraceTime: o.shutdownGraceMs,
    // Workflow spans are made in the sandbox and handed out through a sink to this processor.
    plugins: o.tracing ? [new OpenTelemetryPlugin(o.tracing)] : [],
  });
}
