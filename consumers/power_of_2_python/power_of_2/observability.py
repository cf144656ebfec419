"""Logs, metrics and tracing of the worker process, each off unless the environment asks.

Logs follow LOG_FORMAT; metrics are the SDK runtime's Prometheus endpoint on METRICS_PORT;
traces go over OTLP/HTTP protobuf when OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_ variant)
is set. The TypeScript and Go workers read the same variables the same way.
"""

import logging
import os
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from .settings import LogFormat

DEFAULT_SERVICE_NAME = "power-of-2-python"


def configure_logging(log_format: LogFormat, identity: str) -> None:
    """One line per record on stderr, each carrying the worker identity."""
    if log_format == "json":
        # The activity's details go into a field of their own rather than into the message.
        activity.logger.activity_info_on_message = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(log_formatter(log_format, identity))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def log_formatter(log_format: LogFormat, identity: str) -> logging.Formatter:
    if log_format == "json":
        # Extras become fields, such as temporal_activity (workflow_id, activity_id, attempt)
        # that the SDK's activity logger adds.
        return JsonFormatter(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger", "message": "msg"},
            static_fields={"identity": identity},
            timestamp="time",
        )
    escaped = identity.replace("%", "%%")
    return logging.Formatter(f"%(asctime)s %(levelname)s %(name)s: %(message)s identity={escaped}")


def build_runtime(metrics_address: str | None) -> Runtime | None:
    """A Temporal runtime serving the SDK's own metrics on metrics_address, or None.

    Durations are in seconds and counters keep their plain names (temporal_ prefix), the same
    as the TypeScript and Go workers report them.
    """
    if metrics_address is None:
        return None
    prometheus = PrometheusConfig(bind_address=metrics_address, durations_as_seconds=True)
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


def set_up_tracing() -> TracerProvider | None:
    """Installs a global tracer provider exporting over OTLP when an endpoint is configured.

    The exporter reads the standard OTEL_EXPORTER_OTLP_* and OTEL_BSP_* variables itself. The
    caller adds TracingInterceptor to the client: it continues the trace whose context the
    workflow put in the activity's headers (W3C trace context, as the other SDKs write it).
    """
    if not (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return None
    # Imported here: the exporter pulls in an HTTP stack that is otherwise never needed.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # Given explicitly, so that our default wins over the SDK's "unknown_service".
    service_name = os.environ.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE_NAME
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def tracing_interceptors(provider: TracerProvider | None) -> list[TracingInterceptor]:
    return [] if provider is None else [TracingInterceptor(provider.get_tracer(__name__))]
