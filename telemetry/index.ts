/**
 * Observability shared by the TypeScript processes: settings, the worker probe, the Temporal runtime's
 * Prometheus endpoint, one-line logs and OpenTelemetry tracing. Everything is driven by the
 * environment and off unless asked for, so tests and `make up` pay nothing by default.
 *
 * A workspace package of its own, so that the API, the workflow worker and the power_of_6
 * worker share one copy and each image ships it beside @calc/contracts.
 */
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import type { RuntimeOptions } from '@temporalio/worker';
import { hostname } from 'node:os';
import type { Env, LogFormat, WorkerSettings } from './settings';

export * from './probe';
export * from './settings';

// --- logs -------------------------------------------------------------------------------

/** A copy of `record` without `keys`. */
export function without(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !keys.includes(k)));
}

function plain(value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** One log line, JSON or `time level message key=value ...`, never spread over several lines. */
export function formatLogLine(
  format: LogFormat,
  time: Date,
  level: string,
  message: string,
  fields: Record<string, unknown>,
): string {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (format === 'json') {
    const record: Record<string, unknown> = { time: time.toISOString(), level: level.toLowerCase(), msg: message };
    for (const [k, v] of entries) record[k] = plain(v);
    return JSON.stringify(record);
  }
  // Objects (a request, a response) become dotted keys: req.method=POST req.url=/...
  const flat = entries.flatMap(([k, v]): [string, unknown][] => {
    const value = plain(v);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [[k, value]];
    return Object.entries(value).map(([sub, inner]) => [`${k}.${sub}`, plain(inner)]);
  });
  const pairs = flat.map(([k, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return `${k}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  });
  return [time.toISOString(), level.toUpperCase().padEnd(5), message.replace(/\n/g, '\\n'), ...pairs].join(' ');
}

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** The Temporal runtime's logger: one line per record on stderr, with the worker identity. */
class LineLogger implements Logger {
  private readonly min: number;
  constructor(
    private readonly format: LogFormat,
    private readonly identity: string,
    level: LogLevel,
  ) {
    this.min = SEVERITY[level] ?? SEVERITY.INFO;
  }
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (SEVERITY[level] < this.min) return;
    // The SDK adds these to its records: next to the identity the component says little, and
    // an activity's task token is an opaque key nobody reads in a log.
    const fields = without(meta ?? {}, ['sdkComponent', 'taskToken']);
    process.stderr.write(
      `${formatLogLine(this.format, new Date(), level, message, { ...fields, identity: this.identity })}\n`,
    );
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** `<name>-<replica>@<hostname>:<pid>`, e.g. power_of_6-typescript-1@host:42. */
export function workerIdentity(name: string, replica: string): string {
  return `${name}-${replica}@${hostname()}:${process.pid}`;
}

type RuntimeSettings = Pick<WorkerSettings, 'LOG_FORMAT' | 'LOG_LEVEL' | 'METRICS_PORT' | 'METRICS_HOST'>;

/**
 * Options for `Runtime.install` in a worker process: its logger and, when METRICS_PORT is set,
 * the SDK's own Prometheus endpoint. Durations are in seconds so that the histograms read the
 * same as the Go worker's. Only types come from the worker package here, so the API can import
 * this file without loading the native runtime.
 */
export function workerRuntimeOptions(settings: RuntimeSettings, identity: string): RuntimeOptions {
  const { METRICS_HOST: host, METRICS_PORT: port } = settings;
  const bindAddress = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    logger: new LineLogger(settings.LOG_FORMAT, identity, settings.LOG_LEVEL.toUpperCase() as LogLevel),
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
