/**
 * The API's Prometheus metrics on GET /metrics: requests by method, route pattern and status
 * (a histogram of their durations), and the process's own figures, all prefixed calc_api_.
 */
import fastifyMetrics from 'fastify-metrics';
import fp from 'fastify-plugin';
import promClient from 'prom-client';
import { commonErrors, type SchemaOptions } from '../schemas';

function metricsSchema(options: SchemaOptions) {
  return {
    operationId: 'metrics',
    summary: 'Prometheus metrics of the API',
    description:
      'Text exposition format: `calc_api_http_requests_total{method,route,status}`, the histogram ' +
      '`calc_api_http_request_duration_seconds{method,route,status}` and the Node.js process metrics ' +
      '(`calc_api_process_*`, `calc_api_nodejs_*`).',
    tags: ['operations'],
    response: {
      200: {
        description: 'The metrics, in the Prometheus text format.',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
      ...commonErrors(options, false),
    },
  };
}

export default fp<SchemaOptions>(async (app, options) => {
  // A registry per app, not prom-client's global one, which allows a metric name only once
  // per process (tests build several apps).
  const registry = new promClient.Registry();
  await app.register(fastifyMetrics, {
    promClient,
    endpoint: null,
    defaultMetrics: {
      enabled: true,
      register: registry,
      prefix: 'calc_api_',
      // prom-client samples the event loop's delay every 10 ms by default: a timer that wakes
      // the API 100 times a second, busy or idle, for about 5 ms of CPU a second on two cores.
      // Ten samples a second still fill the lag histogram between two scrapes.
      eventLoopMonitoringPrecision: 100,
    },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      // Unknown URLs count too, under one label: ids must not make new series.
      registeredRoutesOnly: false,
      invalidRouteGroup: 'unmatched',
      overrides: {
        labels: { status: 'status' },
        histogram: {
          name: 'calc_api_http_request_duration_seconds',
          help: 'Time from receiving a request to sending its answer',
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
          registers: [registry],
        },
        // Disabled above, but still created: kept out of every registry.
        summary: { registers: [] },
      },
    },
  });
  app.get('/metrics', { schema: metricsSchema(options), config: { otel: false } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
});
