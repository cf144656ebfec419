"""Logs, metrics and tracing of the worker process.

All of it is driven by the environment and off unless asked for: LOG_FORMAT, METRICS_PORT and
METRICS_HOST, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_FILE and OTEL_SERVICE_NAME. The
TypeScript and Go workers read the same variables the same way.
"""

import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from temporalio import activity
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from .settings import LogFormat

DEFAULT_SERVICE_NAME = "power-of-2-python"


# --- logs ---------------------------------------------------------------------------------

# Attributes every LogRecord has; anything else was passed through `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, msg, the worker identity, and the
    activity's workflow_id, activity_id and attempt when the SDK's activity logger wrote it."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD:
                continue
            if key == "temporal_activity" and isinstance(value, Mapping):
                entry.update(value)
            else:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


class _IdentityFilter(logging.Filter):
    def __init__(self, identity: str) -> None:
        super().__init__()
        self._identity = identity

    def filter(self, record: logging.LogRecord) -> bool:
        record.identity = self._identity
        return True


def configure_logging(log_format: LogFormat, identity: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_IdentityFilter(identity))
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
        # The activity's details go into fields of their own rather than into the message.
        activity.logger.activity_info_on_message = False
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s: %(message)s identity=%(identity)s"
            )
        )
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


# --- metrics ------------------------------------------------------------------------------


def build_runtime(metrics_address: str | None) -> Runtime | None:
    """A Temporal runtime serving the SDK's own metrics on METRICS_PORT, or None.

    Durations are in seconds and counters keep their plain names (temporal_ prefix), the same
    as the TypeScript and Go workers report them.
    """
    if metrics_address is None:
        return None
    prometheus = PrometheusConfig(bind_address=metrics_address, durations_as_seconds=True)
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


# --- tracing ------------------------------------------------------------------------------


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON line per finished span to a file shared with the other processes.

    Each export is a single append of whole lines, so lines never interleave.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            context = span.get_span_context()
            if context is None:
                continue
            start = span.start_time or 0
            lines.append(
                json.dumps(
                    {
                        "traceId": format(context.trace_id, "032x"),
                        "spanId": format(context.span_id, "016x"),
                        "parentSpanId": format(span.parent.span_id, "016x") if span.parent else "",
                        "name": span.name,
                        "service": str(span.resource.attributes.get("service.name", "")),
                        "startTimeUnixMicros": start // 1000,
                        "durationMicros": ((span.end_time or start) - start) // 1000,
                        "attributes": dict(span.attributes or {}),
                    },
                    default=str,
                    separators=(",", ":"),
                )
                + "\n"
            )
        try:
            with self._path.open("a", encoding="utf-8") as out:
                out.write("".join(lines))
        except OSError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def set_up_tracing() -> TracerProvider | None:
    """Installs a global tracer provider when a trace destination is configured.

    The caller adds TracingInterceptor to the client: it continues the trace whose context the
    workflow put in the activity's headers (W3C trace context, as the other SDKs write it).
    """
    traces_file = os.environ.get("OTEL_TRACES_FILE")
    otlp = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    if not traces_file and not otlp:
        return None
    service_name = os.environ.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE_NAME
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if traces_file:
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(Path(traces_file))))
    if otlp:
        # Imported here: the exporter pulls in an HTTP stack that is otherwise never needed.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def tracing_interceptors(provider: TracerProvider | None) -> list[TracingInterceptor]:
    return [] if provider is None else [TracingInterceptor(provider.get_tracer(__name__))]
