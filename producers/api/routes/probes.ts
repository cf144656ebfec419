/**
 * Liveness and readiness for orchestrators, which probe every few seconds: neither traced nor
 * behind the bearer token.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { FastifyPluginAsync } from 'fastify';
import { WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import contract from '@calc/contracts/contract.json';

const healthSchema = {
  operationId: 'health',
  summary: 'Liveness: the API process is up',
  description:
    'Always 200 while the process serves HTTP; checks nothing else, so that an outage of Temporal ' +
    'never gets the API restarted. Use `/ready` to know whether a calculation can be started.',
  tags: ['operations'],
  security: [],
  response: {
    200: {
      description: 'The process is up.',
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
  },
} as const;

const readiness = {
  type: 'object',
  required: ['status', 'temporal', 'workflow_worker'],
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    temporal: { type: 'string', enum: ['reachable', 'unreachable'] },
    workflow_worker: { type: 'string', enum: ['polling', 'not polling', 'unknown'] },
  },
} as const;

const readySchema = {
  operationId: 'ready',
  summary: 'Readiness: Temporal answers and a workflow worker polls',
  description:
    `Asks Temporal which workers poll \`${contract.workflow.taskQueue}\` (DescribeTaskQueue). 200 when it ` +
    'answers within 2 s and a workflow worker polled in the last minute; otherwise 503, saying ' +
    'which of the two checks failed.',
  tags: ['operations'],
  security: [],
  response: {
    200: { description: 'Calculations can start and progress.', ...readiness },
    503: { description: 'Temporal is unreachable, or no workflow worker polls.', ...readiness },
  },
} as const;

/** A workflow worker whose last poll is older than this no longer counts as polling. */
const POLLER_FRESH_MS = 60_000;

const config = { public: true, otel: false };

const probeRoutes: FastifyPluginAsync<{ client: Client }> = async (app, { client }) => {
  app.get('/health', { schema: healthSchema, config }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: readySchema, config }, async (request, reply) => {
    const deadline = () => Date.now() + 2000;
    try {
      await client.withDeadline(deadline(), () => client.workflowService.getSystemInfo({}));
    } catch (err) {
      request.log.warn({ err }, 'readiness: Temporal is unreachable');
      return reply.code(503).send({ status: 'unavailable', temporal: 'unreachable', workflow_worker: 'unknown' });
    }
    let fresh: boolean;
    try {
      const { pollers } = await client.withDeadline(deadline(), () =>
        client.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: WORKFLOW_TASK_QUEUE },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        }),
      );
      // A poller never seen counts as seen at the epoch: long ago.
      fresh = pollers.some((p) => Date.now() - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_FRESH_MS);
    } catch (err) {
      // Temporal answered but would not describe the queue (a missing namespace, say).
      request.log.warn({ err }, 'readiness: cannot list the pollers of the workflow task queue');
      return reply.code(503).send({ status: 'unavailable', temporal: 'reachable', workflow_worker: 'unknown' });
    }
    if (!fresh) {
      request.log.warn({ taskQueue: WORKFLOW_TASK_QUEUE }, 'readiness: no workflow worker polls');
      return reply.code(503).send({ status: 'unavailable', temporal: 'reachable', workflow_worker: 'not polling' });
    }
    return { status: 'ready', temporal: 'reachable', workflow_worker: 'polling' };
  });
};

export default probeRoutes;
