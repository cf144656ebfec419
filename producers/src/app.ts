/**
 * The REST API as a Fastify instance, built around one Temporal client that the caller owns.
 * Nothing here reads the environment or listens on a port (see server.ts), so tests drive it
 * with `app.inject`.
 */
import { timingSafeEqual } from 'node:crypto';
import { type Client, isGrpcServiceError } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Calculations, endedAs } from './calculations';
import type { ApiConfig } from './config';
import { errorBody, HttpError } from './http-error';
import { parseIdempotencyKey, parseNumber, parseWait } from './inputs';
import { cancelSchema, healthSchema, resultSchema, startSchema } from './schemas';

export interface AppDeps {
  client: Client;
  config: ApiConfig;
  logger?: FastifyServerOptions['logger'];
}

/** A bearer-token check in constant time; undefined when no token is configured. */
function tokenCheck(token: string | undefined): ((header: string | undefined) => boolean) | undefined {
  if (!token) return undefined;
  const expected = Buffer.from(`Bearer ${token}`);
  return (header) => {
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}

export async function buildApp({ client, config, logger = false }: AppDeps): Promise<FastifyInstance> {
  const calculations = new Calculations(client, config.workflowOptions);
  const app = Fastify({
    logger,
    bodyLimit: 1024,
    routerOptions: { maxParamLength: 500 },
    // `example` only documents a value in the OpenAPI output.
    ajv: { customOptions: { keywords: ['example'] } },
  });

  const authorized = tokenCheck(config.apiToken);
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
        { name: 'calculations', description: 'Start a calculation, read its result, cancel it' },
        { name: 'operations', description: 'Health of the service' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      // Documented always; enforced only when API_TOKEN is set.
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (authorized) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.url === '/health' || authorized(request.headers.authorization)) return;
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody(401, 'missing or wrong bearer token: send Authorization: Bearer <API_TOKEN>'));
    });
  }

  app.setErrorHandler<Error & { statusCode?: number }>((err, request, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send(errorBody(err.statusCode, err.message));
    const code = err.statusCode;
    // Fastify's own 4xx (body too large, bad content type, ...) carry safe messages.
    if (code !== undefined && code >= 400 && code < 500) return reply.code(code).send(errorBody(code, err.message));
    if (isGrpcServiceError(err) && (err.code === grpcStatus.UNAVAILABLE || err.code === grpcStatus.DEADLINE_EXCEEDED)) {
      request.log.warn({ err }, 'Temporal is unreachable');
      return reply.code(503).send(errorBody(503, 'Temporal is unreachable; try again shortly'));
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody(500, 'internal error; see the API log'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.post<{ Querystring: { number?: unknown } }>(
    '/',
    { schema: startSchema(config.maxInputDigits), attachValidation: true },
    async (request, reply) => {
      // Validation is ours, not the schema's, so every bad input gets the same precise message.
      const number = parseNumber(request.query.number, config.maxInputDigits);
      const key = parseIdempotencyKey(request.headers['idempotency-key']);
      const { workflowId, replayed } = await calculations.start(number, key);
      request.log.info({ workflowId, replayed }, replayed ? 'calculation already started' : 'calculation started');
      if (replayed) reply.header('idempotent-replayed', 'true');
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
      const found = await calculations.find(request.params.workflow_id);
      const { description, result } = await calculations.waitForEnd(found, wait);
      if (result !== undefined)
        return reply.code(200).send({ message: 'completed', workflow_id: found.handle.workflowId, result });
      const ended = endedAs(description);
      if (ended !== undefined) return reply.code(200).send(await calculations.outcome(found.handle, ended));
      const steps = await calculations.steps(found.handle);
      return reply
        .code(202)
        .header('retry-after', '1')
        .send({ message: 'running', workflow_id: found.handle.workflowId, steps });
    },
  );

  app.post<{ Params: { workflow_id: string } }>(
    '/workflows/:workflow_id/cancel',
    { schema: cancelSchema },
    async (request, reply) => {
      const id = request.params.workflow_id;
      await calculations.cancel(id);
      request.log.info({ workflowId: id }, 'cancellation requested');
      return reply
        .code(202)
        .header('location', `/result/${encodeURIComponent(id)}`)
        .send({ message: 'cancellation requested', workflow_id: id });
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
