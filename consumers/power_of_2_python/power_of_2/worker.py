"""The worker process: settings, logs, traces, metrics and probe; poll until a signal; drain."""

import asyncio
import logging
import os
import signal
import socket
import sys
from datetime import timedelta

from calc_contracts import CONTRACT
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pydantic import ValidationError
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkerDeploymentVersion
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.converter import DataConverter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes as EncodedFailures
from temporalio.envconfig import ClientConfig, ClientConnectConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import (
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    Worker,
    WorkerDeploymentConfig,
)

from . import probe
from .activities import NAME, STEP, PowerOf2Activities
from .codec import EncryptionCodec
from .settings import Settings

log = logging.getLogger(__name__)


def log_formatter(log_format: str, identity: str) -> logging.Formatter:
    """One line per record, each with the identity; in JSON, extras become fields."""
    fixed = {"identity": identity}
    if log_format == "text":
        line = "%(asctime)s %(levelname)s %(name)s: %(message)s identity=%(identity)s"
        return logging.Formatter(line, defaults=fixed)
    names = {"levelname": "level", "name": "logger", "message": "msg"}  # as pino and slog do
    return JsonFormatter(list(names), rename_fields=names, static_fields=fixed, timestamp="time")


def set_up_tracing() -> TracerProvider | None:
    """Traces over OTLP/HTTP when an endpoint is set; the SDK reads the other OTEL_* itself."""
    if not any(os.environ.get(f"OTEL_EXPORTER_OTLP_{v}ENDPOINT") for v in ("", "TRACES_")):
        return None
    # Named here, so that our default wins over the SDK's "unknown_service".
    service = os.environ.get("OTEL_SERVICE_NAME") or "power-of-2-python"
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def main() -> int:
    """Runs the worker; returns the exit code."""
    try:  # a typo stops the worker before it touches the network
        settings, connect = Settings(), ClientConfig.load_client_connect_config()
    except (ValidationError, RuntimeError) as err:  # RuntimeError: envconfig's, from Rust
        problem = str(err)
        if isinstance(err, ValidationError):  # the first bad variable and pydantic's rule, no value
            first = err.errors()[0]
            problem = f"invalid setting {str(first['loc'][0]).upper()}: {first['msg']}"
        print(f"{NAME} worker: {problem}", file=sys.stderr)
        return int(CONTRACT["settings"]["exitCode"])
    replica, host = settings.worker_replica, socket.gethostname()
    identity = f"{NAME}-{STEP['language']}-{replica}@{host}:{os.getpid()}"
    activity.logger.activity_info_on_message = settings.log_format == "text"
    handler = logging.StreamHandler()
    handler.setFormatter(log_formatter(settings.log_format, identity))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    tracing = set_up_tracing()
    try:
        asyncio.run(run(settings, connect, identity))
    except Exception as err:
        log.error("worker failed: %s", err)
        return 1
    finally:  # __main__ ends with os._exit, which would drop the spans of the last batch
        if tracing:
            tracing.shutdown()
    return 0


async def run(settings: Settings, connect: ClientConnectConfig, identity: str) -> None:
    """Connects, polls until SIGTERM or SIGINT, then lets the activities in flight finish."""
    version = WorkerDeploymentVersion(
        settings.temporal_deployment_name, settings.temporal_worker_build_id
    )
    versioned = settings.temporal_worker_versioning == "on"  # off: an unversioned worker
    queue = STEP["taskQueue"]
    readiness = {"status": "starting", "identity": identity, "task_queue": queue}
    if versioned:
        readiness |= {"build_id": version.build_id, "deployment": version.deployment_name}
    if settings.health_port is not None:  # before connecting, so that a taken port stops us now
        probe.serve(settings.health_host, settings.health_port, readiness)
    signals: asyncio.Queue[signal.Signals] = asyncio.Queue()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, signals.put_nowait, signum)
    address, port = settings.metrics_host, settings.metrics_port
    # Seconds and plain temporal_ names, as the Go and TypeScript workers report them.
    metrics = PrometheusConfig(f"{address}:{port}", durations_as_seconds=True) if port else None
    connect.setdefault("target_host", "localhost:7233")
    connect.setdefault("namespace", "default")
    log.info("connecting to %s namespace=%s", connect["target_host"], connect["namespace"])
    converter, keys = DataConverter.default, settings.payload_keys
    if settings.payload_encryption == "on" and keys and settings.payload_key_id:
        codec = EncryptionCodec(keys, settings.payload_key_id)
        # Failure messages and stack traces move into an encoded payload, so they are encrypted too.
        converter = DataConverter(payload_codec=codec, failure_converter_class=EncodedFailures)
    else:
        log.warning("payload encryption is off: inputs, results and failures travel in the clear")
    client = await Client.connect(
        **connect,
        identity=identity,
        data_converter=converter,
        # Continues the trace the workflow put in the activity's headers; a no-op untraced.
        interceptors=[TracingInterceptor()],
        runtime=Runtime(telemetry=TelemetryConfig(metrics=metrics)) if metrics else None,
    )
    grace = timedelta(seconds=float(settings.worker_shutdown_grace_seconds))
    worker = Worker(
        client,
        task_queue=queue,
        activities=[PowerOf2Activities(float(settings.activity_1_wait_timeout)).power_of_2],
        identity=identity,
        graceful_shutdown_timeout=grace,
        # fixed: the SDK's default number of pollers; autoscaling: the SDK sizes them to the load.
        activity_task_poller_behavior=PollerBehaviorAutoscaling()
        if settings.temporal_worker_pollers == "autoscaling"
        else PollerBehaviorSimpleMaximum(),
        # One version of the deployment that every worker shares; the workflow is pinned to it.
        # None with TEMPORAL_WORKER_VERSIONING=off: the worker polls unversioned.
        deployment_config=WorkerDeploymentConfig(version=version, use_worker_versioning=True)
        if versioned
        else None,
    )
    # A fatal worker error cancels this task and leaves the block with that error.
    async with worker:
        # Worker.run sets is_running once the namespace check passed; the SDK has no event for it.
        while not worker.is_running:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if signals.empty():
            readiness["status"] = "ready"
            shown = version.to_canonical_string() if versioned else "an unversioned worker"
            pollers = settings.temporal_worker_pollers
            log.info("worker ready: polling %s as %s, pollers %s", queue, shown, pollers)
        signum = await signals.get()
        readiness["status"] = "stopping"  # no new tasks from now on; those in flight still finish
        log.info("%s received: draining for up to %s", signum.name, grace)
    log.info("worker stopped")
