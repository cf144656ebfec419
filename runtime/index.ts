/**
 * Observability shared by the TypeScript processes: settings, the worker probe, logs, the
 * Temporal runtime's Prometheus endpoint and OpenTelemetry tracing. Everything is driven by
 * the environment and off unless asked for, so tests and `make up` pay nothing by default.
 *
 * A workspace package of its own, so that the API, the workflow worker and the power_of_6
 * worker share one copy and each image ships it beside @calc/contracts. Only types come from
 * @temporalio/worker, so the API can import it without loading the native runtime.
 */
import { hostname } from 'node:os';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import type { VersioningBehavior } from '@temporalio/common';
import type { RuntimeOptions, WorkerDeploymentOptions } from '@temporalio/worker';
import contract from '@calc/contracts/dist/contract.json';
import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { DeploymentVersion, Env, WorkerSettings } from './settings';

export * from './codec';
export * from './probe';
export * from './settings';

// --- logs -------------------------------------------------------------------------------

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
  if (settings.LOG_FORMAT === 'json') {
    return pino(
      { ...options, formatters: { level: (label) => ({ level: label }) } },
      pino.destination({ fd: 2, sync: true }),
    );
  }
  // An error stays on its record's line too (pino-pretty would print it as a block), and so
  // does a message with a line break.
  // A service name is the same on every line of a process: the text form leaves it out.
  const prettify = prettyFactory({
    singleLine: true,
    errorLikeObjectKeys: [],
    ignore: 'pid,hostname,service',
    translateTime: false,
  });
  const write = (record: string) => process.stderr.write(`${prettify(record).trimEnd().replace(/\n/g, '\\n')}\n`);
  return pino(options, { write });
}

/** The Temporal runtime's Logger over pino: the SDK's levels are pino's, in capitals. */
function runtimeLogger(logger: pino.Logger): Logger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) =>
    logger[level.toLowerCase() as pino.Level](meta ?? {}, message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

// --- workers ----------------------------------------------------------------------------

/** `<name>-<replica>@<hostname>:<pid>`, e.g. power_of_6-typescript-1@host:42. */
export function workerIdentity(name: string, replica: string): string {
  return `${name}-${replica}@${hostname()}:${process.pid}`;
}

/**
 * Worker Versioning for a worker of the calculation's Worker Deployment. The default behaviour
 * is the contract's (pinned: a calculation finishes on the code it started on); the SDK asks
 * for one even on a worker without workflows, where it has nothing to apply to.
 */
export function workerDeploymentOptions(version: DeploymentVersion): WorkerDeploymentOptions {
  return {
    useWorkerVersioning: true,
    version,
    defaultVersioningBehavior: contract.deployment.workflowVersioningBehavior.toUpperCase() as VersioningBehavior,
  };
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
  return {
    logger: runtimeLogger(createLogger(settings, { identity })),
    telemetryOptions: port ? { metrics: { prometheus: { bindAddress, useSecondsForDurations: true } } } : undefined,
  };
}

// --- tracing ----------------------------------------------------------------------------

export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Exports what is still buffered; call before the process exits. */
  shutdown: () => Promise<void>;
}

/**
 * Registers a global tracer provider exporting over OTLP/HTTP protobuf when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_ variant) is set; undefined otherwise, and then
 * nothing is traced. The exporter and the batch processor read the rest of their settings
 * (headers, timeout, OTEL_BSP_SCHEDULE_DELAY) from the standard variables themselves.
 */
export function setUpTracing(env: Env, defaultServiceName: string): Tracing | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || defaultServiceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // W3C trace context in Temporal headers is what the Python and Go interceptors read too;
  // the async-hooks context manager carries the active span across awaits.
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  return { resource, spanProcessor, shutdown: () => provider.shutdown() };
}
export * from './worker';
