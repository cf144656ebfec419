/**
 * The REST API as a Fastify instance, built around one Temporal client that the caller owns.
 * Nothing here reads the environment or listens on a port (see server.ts), so tests drive it
 * with `app.inject`.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import {
  ApplicationFailure,
  Client,
  isGrpcServiceError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type WorkflowHandle,
} from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { WORKFLOW_TASK_QUEUE, WORKFLOW_TYPE } from '@calc/contracts';
import type { ApiConfig } from './config';
import { healthSchema, resultSchema, startSchema } from './schemas';
import { progressQuery, type CalculateWorkflow, type CalculationProgress } from './workflows';

export interface AppDeps {
  client: Client;
  config: ApiConfig;
  logger?: FastifyServerOptions['logger'];
}

/** An error whose message is safe and useful to show to the caller. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const DECIMAL_INTEGER = /^-?[0-9]+$/;
const SECONDS = /^[0-9]+(\.[0-9]+)?$/;
const QUERY_DEADLINE_MS = 3000;

/** The validated, canonical form of `number`, or an HttpError that says what is wrong. */
export function parseNumber(raw: unknown, maxDigits: number): string {
  const rule = `number must be a base-10 integer: an optional '-' followed by 1 to ${maxDigits} digits 0-9`;
  if (raw === undefined) throw new HttpError(400, `number is required: ${rule}, e.g. POST /?number=2`);
  if (typeof raw !== 'string') throw new HttpError(400, `number must be given once: ${rule}`);
  if (!DECIMAL_INTEGER.test(raw)) {
    const shown = raw.length > 40 ? `${JSON.stringify(raw.slice(0, 40))}...` : JSON.stringify(raw);
    throw new HttpError(400, `${rule}; got ${shown}`);
  }
  const digits = raw.replace(/^-/, '').length;
  if (digits > maxDigits) throw new HttpError(400, `${rule}; got ${digits} digits (the bound is MAX_INPUT_DIGITS)`);
  return BigInt(raw).toString();
}

function parseWait(raw: unknown, maxSeconds: number): number {
  if (raw === undefined || raw === '') return 0;
  const rule = `wait must be a number of seconds from 0 to ${maxSeconds}`;
  if (typeof raw !== 'string' || !SECONDS.test(raw)) throw new HttpError(400, `${rule}; got ${JSON.stringify(raw)}`);
  const seconds = Number(raw);
  if (seconds > maxSeconds) throw new HttpError(400, `${rule}; got ${raw}`);
  return seconds;
}

function newWorkflowId(number: string): string {
  // The number helps to find a run in the Temporal UI; the UUID makes the id unique.
  const label = number.length <= 20 ? number : `${number.slice(0, 12)}x${number.length}d`;
  return `calculate-${label}-${randomUUID()}`;
}

const ENDED: Record<string, string> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

type Handle = WorkflowHandle<typeof CalculateWorkflow>;

/** The body of an ended calculation, read from the close event of its history. */
async function outcome(handle: Handle, message: string): Promise<Record<string, string>> {
  try {
    const result = await handle.result();
    return { message: 'completed', workflow_id: handle.workflowId, result };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const body: Record<string, string> = { message, workflow_id: handle.workflowId };
    body.reason = cause?.message || err.message;
    if (cause instanceof ApplicationFailure && cause.type) body.error_type = cause.type;
    return body;
  }
}

export async function buildApp({ client, config, logger = false }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    bodyLimit: 1024,
    routerOptions: { maxParamLength: 500 },
    // `example` only documents a value in the OpenAPI output.
    ajv: { customOptions: { keywords: ['example'] } },
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Polyglot calculation API',
        version: '1.0.0',
        description:
          'Starts a durable Temporal workflow that computes number^48 in three steps, served by ' +
          'workers written in Python, Go and TypeScript, and reads its result.',
      },
      tags: [
        { name: 'calculations', description: 'Start a calculation and read its result' },
        { name: 'operations', description: 'Health of the service' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.setErrorHandler<Error & { statusCode?: number }>((err, request, reply) => {
    if (err instanceof HttpError) {
      return reply
        .code(err.statusCode)
        .send({ statusCode: err.statusCode, error: reasonPhrase(err.statusCode), message: err.message });
    }
    const code = err.statusCode;
    if (code !== undefined && code >= 400 && code < 500) {
      return reply.code(code).send({ statusCode: code, error: reasonPhrase(code), message: err.message });
    }
    if (isGrpcServiceError(err) && (err.code === grpcStatus.UNAVAILABLE || err.code === grpcStatus.DEADLINE_EXCEEDED)) {
      request.log.warn({ err }, 'Temporal is unreachable');
      return reply
        .code(503)
        .send({ statusCode: 503, error: reasonPhrase(503), message: 'Temporal is unreachable; try again shortly' });
    }
    request.log.error({ err }, 'request failed');
    return reply
      .code(500)
      .send({ statusCode: 500, error: reasonPhrase(500), message: 'internal error; see the API log' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  app.post<{ Querystring: { number?: unknown } }>(
    '/',
    { schema: startSchema(config.maxInputDigits), attachValidation: true },
    async (request, reply) => {
      // Validation is ours, not the schema's, so every bad input gets the same precise message.
      const number = parseNumber(request.query.number, config.maxInputDigits);
      const workflowId = newWorkflowId(number);
      await client.workflow.start<typeof CalculateWorkflow>(WORKFLOW_TYPE, {
        taskQueue: WORKFLOW_TASK_QUEUE,
        workflowId,
        args: [number, config.workflowOptions],
      });
      request.log.info({ workflowId }, 'calculation started');
      return reply
        .code(202)
        .header('location', `/result/${encodeURIComponent(workflowId)}`)
        .send({ message: 'workflow started', workflow_id: workflowId });
    },
  );

  app.get<{ Params: { workflow_id: string }; Querystring: { wait?: unknown } }>(
    '/result/:workflow_id',
    { schema: resultSchema(config.maxResultWaitSeconds), attachValidation: true },
    async (request, reply) => {
      const wait = parseWait(request.query.wait, config.maxResultWaitSeconds);
      const id = request.params.workflow_id;
      const handle: Handle = client.workflow.getHandle(id);
      const notFound = new HttpError(404, `no calculation has the id ${JSON.stringify(id)}`);
      let description;
      try {
        description = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound;
        if (isGrpcServiceError(err) && err.code === grpcStatus.INVALID_ARGUMENT) throw notFound;
        throw err;
      }
      // Other workflows may share the namespace; this API speaks only of calculations.
      if (description.type !== WORKFLOW_TYPE) throw notFound;

      let statusName = description.status.name;
      if (statusName === 'RUNNING' && wait > 0) {
        const signal = AbortSignal.timeout(wait * 1000);
        try {
          await client.withAbortSignal(signal, () => handle.result());
          statusName = 'COMPLETED';
        } catch (err) {
          if (err instanceof WorkflowFailedError) statusName = (await handle.describe()).status.name;
          else if (!signal.aborted) throw err;
        }
      }

      const ended = ENDED[statusName];
      if (ended !== undefined) return reply.code(200).send(await outcome(handle, ended));

      let steps: CalculationProgress['steps'] | undefined;
      try {
        steps = (await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(progressQuery))).steps;
      } catch (err) {
        // No workflow worker to answer right now: the calculation is still running all the same.
        request.log.warn({ err, workflowId: id }, 'progress query failed');
      }
      return reply.code(202).header('retry-after', '1').send({ message: 'running', workflow_id: id, steps });
    },
  );

  app.get('/health', { schema: healthSchema }, async (request, reply) => {
    try {
      await client.withDeadline(Date.now() + 2000, () => client.connection.workflowService.getSystemInfo({}));
      return { status: 'ok', temporal: 'reachable' };
    } catch (err) {
      request.log.warn({ err }, 'health check: Temporal is unreachable');
      return reply.code(503).send({ status: 'unavailable', temporal: 'unreachable' });
    }
  });

  return app;
}

function reasonPhrase(code: number): string {
  return STATUS_CODES[code] ?? 'Error';
}
