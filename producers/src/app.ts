/**
 * The REST API as a Fastify instance, built around one Temporal client that the caller owns.
 * Nothing here reads the environment or listens on a port (see server.ts), so tests drive it
 * with `app.inject`.
 */
import { timingSafeEqual } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { type Client, isGrpcServiceError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { status as grpcStatus } from '@grpc/grpc-js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { WORKFLOW_TASK_QUEUE } from '@calc/contracts';
import { Calculations, endedAs } from './calculations';
import type { ApiConfig } from './config';
import { errorBody, HttpError } from './http-error';
import { parseIdempotencyKey, parseNumber, parseWait } from './inputs';
import { cancelSchema, healthSchema, metricsSchema, readySchema, resultSchema, startSchema } from './schemas';

export interface AppDeps {
  client: Client;
  config: ApiConfig;
  logger?: FastifyServerOptions['logger'];
  /** A ready-made pino logger (server.ts builds one per LOG_FORMAT); wins over `logger`. */
  loggerInstance?: FastifyBaseLogger;
}

/** Routes that orchestrators probe every few seconds: neither traced nor behind the token. */
const PROBES = new Set(['/health', '/ready']);

/** A workflow worker whose last poll is older than this no longer counts as polling. */
const POLLER_FRESH_MS = 60_000;

/** The API's own metrics; the Temporal client has no runtime metrics of its own. */
function apiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'calc_api_' });
  const labelNames = ['method', 'route', 'status'] as const;
  return {
    registry,
    requests: new Counter({
      name: 'calc_api_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'calc_api_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its answer',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
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

export async function buildApp({ client, config, logger = false, loggerInstance }: AppDeps): Promise<FastifyInstance> {
  const calculations = new Calculations(client, config.workflowOptions);
  const app = Fastify({
    ...(loggerInstance ? { loggerInstance } : { logger }),
    bodyLimit: 1024,
    routerOptions: { maxParamLength: 500 },
    // `example` only documents a value in the OpenAPI output.
    ajv: { customOptions: { keywords: ['example'] } },
  });

  const metrics = apiMetrics();
  const tracer = trace.getTracer('calc-api');
  const spans = new WeakMap<object, Span>();
  // The route pattern, not the URL, labels the metrics: ids must not make new series.
  const routeOf = (request: { routeOptions: { url?: string } }) => request.routeOptions.url ?? 'unmatched';

  // One SERVER span per request, continuing a caller's traceparent if there is one. Without a
  // registered tracer provider (tracing off) the span records nothing.
  app.addHook('onRequest', async (request) => {
    if (PROBES.has(routeOf(request)) || routeOf(request) === '/metrics') return;
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      `${request.method} ${routeOf(request)}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': routeOf(request), 'url.path': request.url },
      },
      parent,
    );
    spans.set(request, span);
  });
  // Handlers run inside their request's span, so the client interceptor's StartWorkflow span
  // becomes its child. Wrapping the handler (not a hook) keeps the context across body parsing.
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request, reply) {
      const span = spans.get(request);
      if (!span) return handler.call(this, request, reply);
      return context.with(trace.setSpan(context.active(), span), () => handler.call(this, request, reply));
    };
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: routeOf(request), status: String(reply.statusCode) };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    const span = spans.get(request);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
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
      if (PROBES.has(routeOf(request)) || authorized(request.headers.authorization)) return;
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

  // Liveness: the process is up and serving HTTP. Nothing external is checked, so a Temporal
  // outage never gets the API restarted.
  app.get('/health', { schema: healthSchema }, async () => ({ status: 'ok' }));

  // Readiness: a POST would be served end to end, that is Temporal answers and some workflow
  // worker has polled calculation-task-queue within the last minute.
  app.get('/ready', { schema: readySchema }, async (request, reply) => {
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
      const now = Date.now();
      fresh = pollers.some((p) => {
        const seen = p.lastAccessTime?.seconds;
        return seen != null && now - Number(seen) * 1000 < POLLER_FRESH_MS;
      });
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

  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  return app;
}
