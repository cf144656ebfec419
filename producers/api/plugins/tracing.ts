/**
 * One SERVER span per request through @fastify/otel, continuing a caller's traceparent. The
 * handler runs inside it, so the Temporal client interceptor's StartWorkflow span is its child.
 * Without a registered tracer provider (tracing off) the spans record nothing.
 */
import { FastifyOtelInstrumentation } from '@fastify/otel';

// One per process: it holds the tracer, and every app built here shares it.
const instrumentation = new FastifyOtelInstrumentation({
  // Spans per hook and per handler would sit between the request and StartWorkflow.
  instrumentHandler: false,
  instrumentHooks: false,
  // "POST /" rather than the plugin's "request": the trace reads as the route called.
  requestHook: (span, request) => span.updateName(`${request.method} ${request.routeOptions.url ?? ''}`.trimEnd()),
});

export default instrumentation.plugin();
