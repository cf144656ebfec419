/**
 * Observability shared by the TypeScript processes: settings, the worker probe, logs, the
 * Temporal runtime's Prometheus endpoint and OpenTelemetry tracing. Everything is driven by
 * the environment and off unless asked for, so tests and `make up` pay nothing by default.
 *
 * A workspace package of its own, so that the API, the workflow worker and the power_of_6
 * worker share one copy and each image ships it beside @calc/contracts.
 */
import { hostname } from 'node:os';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DefaultLogger, type RuntimeOptions } from '@temporalio/worker';
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Env, WorkerSettings } from './settings';

export * from './codec';
export * from './probe';
export * from './settings';

type LogSettings = Pick<WorkerSettings, 'LOG_FORMAT' | 'LOG_LEVEL'>;

/**
 * A pino logger on stderr: JSON records (level as a word, ISO time) or, for LOG_FORMAT=text,
 * pino-pretty's `[time] LEVEL: message {fields}`, one line per record either way. `bindings`
 * go on every record (a worker's identity).
 */
export function createLogger(settings: LogSettings, bindings: Record<string, unknown>): pino.Logger {
  const options: pino.LoggerOptions = {
    level: settings.LOG_LEVEL,
    base: bindings,
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { error: pino.stdSerializers.err },
    // The SDK adds these to its records: next to the identity the component says little, and
    // an activity's task token is an opaque key nobody reads in a log.
    redact: { paths: ['sdkComponent', 'taskToken'], remove: true },
  };
  // pino's own synchronous writer, for both forms: written through process.stderr, a stream,
  // the text lines cost the API about 0.35 ms of CPU more per calculation (docs/benchmark.md).
  const destination = pino.destination({ fd: 2, sync: true });
  if (settings.LOG_FORMAT === 'json')
    return pino({ ...options, formatters: { level: (label) => ({ level: label }) } }, destination);
  // An error stays on its record's line too (pino-pretty would print it as a block), and so
  // does a message with a line break.
  // A service name is the same on every line of a process: the text form leaves it out.
  const prettify = prettyFactory({
    singleLine: true,
    errorLikeObjectKeys: [],
    ignore: 'pid,hostname,service',
    translateTime: false,
  });
  const write = (record: string) => destination.write(`${prettify(record).trimEnd().replace(/\n/g, '\\n')}\n`);
  return pino(options, { write });
}

/** `<name>-<replica>@<hostname>:<pid>`, e.g. power_of_6-typescript-1@host:42. */
export function workerIdentity(name: string, replica: string): string {
  return `${name}-${replica}@${hostname()}:${process.pid}`;
}

type RuntimeSettings = LogSettings & Pick<WorkerSettings, 'METRICS_PORT' | 'METRICS_HOST'>;

/**
 * Options for `Runtime.install` in a worker process: its logger and, when METRICS_PORT is set,
 * the SDK's own Prometheus endpoint. Durations are in seconds so that the histograms read the
 * same as the Go worker's.
 */
export function workerRuntimeOptions(settings: RuntimeSettings, identity: string): RuntimeOptions {
  const { METRICS_HOST: host, METRICS_PORT: port } = settings;
  const bindAddress = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const logger = createLogger(settings, { identity });
  return {
    // The SDK's levels are pino's, in capitals; pino applies LOG_LEVEL.
    logger: new DefaultLogger('TRACE', ({ level, message, meta }) =>
      logger[level.toLowerCase() as pino.Level](meta ?? {}, message),
    ),
    telemetryOptions: port ? { metrics: { prometheus: { bindAddress, useSecondsForDurations: true } } } : undefined,
  };
}

export type Tracing = NonNullable<ReturnType<typeof setUpTracing>>;

/**
 * Registers a global tracer provider exporting over OTLP/HTTP protobuf when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_ variant) is set; undefined otherwise, and then
 * nothing is traced. The exporter and the batch processor read the rest of their settings
 * (headers, timeout, OTEL_BSP_SCHEDULE_DELAY) from the standard variables themselves.
 */
export function setUpTracing(env: Env, defaultServiceName: string) {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || defaultServiceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // W3C trace context in Temporal headers is what the Python and Go interceptors read too;
  // the async-hooks context manager carries the active span across awaits.
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  // shutdown exports what is still buffered; call it before the process exits.
  return { resource, spanProcessor, shutdown: () => provider.shutdown() };
}
export * from './worker';
