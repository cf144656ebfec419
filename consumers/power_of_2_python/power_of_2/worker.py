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
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pydantic import ValidationError
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkerDeploymentVersion
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.envconfig import ClientConfig, ClientConnectConfig
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker, WorkerDeploymentConfig

from .activities import NAME, STEP, PowerOf2Activities
from .codec import data_converter
from .probe import Probe
from .settings import Settings, describe

log = logging.getLogger("power_of_2.worker")


def log_formatter(log_format: str, identity: str) -> logging.Formatter:
    """One line per record, each with the identity; in JSON, extras become fields."""
    if log_format == "json":  # named as pino and slog name them in the other languages
        names = {"levelname": "level", "name": "logger", "message": "msg"}
        identified = {"identity": identity}
        fields = "{levelname}{name}{message}"
        return JsonFormatter(
            fields, style="{", rename_fields=names, static_fields=identified, timestamp="time"
        )
    escaped = identity.replace("%", "%%")
    return logging.Formatter(f"%(asctime)s %(levelname)s %(name)s: %(message)s identity={escaped}")


def set_up_tracing() -> TracerProvider | None:
    """A global tracer provider exporting over OTLP/HTTP when an endpoint is set; the exporter
    reads the other OTEL_EXPORTER_OTLP_* and OTEL_BSP_* variables itself."""
    if not any(os.environ.get(f"OTEL_EXPORTER_OTLP_{v}ENDPOINT") for v in ("", "TRACES_")):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # heavy

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
        problem = describe(err) if isinstance(err, ValidationError) else err
        print(f"{NAME} worker: {problem}", file=sys.stderr)
        return int(CONTRACT["settings"]["exitCode"])
    host, replica = socket.gethostname(), settings.worker_replica
    identity = f"{NAME}-{STEP['language']}-{replica}@{host}:{os.getpid()}"
    activity.logger.activity_info_on_message = settings.log_format == "text"
    handler = logging.StreamHandler()
    handler.setFormatter(log_formatter(settings.log_format, identity))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    tracing = set_up_tracing()
    try:
        asyncio.run(run(settings, connect, identity, traced=tracing is not None))
    except Exception as err:
        log.error("worker failed: %s", err)
        return 1
    finally:  # __main__ ends with os._exit, which would drop the spans of the last batch
        if tracing:
            tracing.shutdown()
    return 0


async def run(
    settings: Settings, connect: ClientConnectConfig, identity: str, traced: bool
) -> None:
    """Connects, polls until SIGTERM or SIGINT, then lets the activities in flight finish."""
    version = WorkerDeploymentVersion(settings.worker_deployment_name, settings.worker_build_id)
    queue, deployment = STEP["taskQueue"], version.deployment_name
    probe = Probe(identity, task_queue=queue, build_id=version.build_id, deployment=deployment)
    if settings.health_port is not None:  # before connecting, so that a taken port stops us now
        probe.serve(settings.health_host, settings.health_port)
    stop = asyncio.Event()

    def request_stop(signum: signal.Signals) -> None:
        probe.status = "stopping"  # no new tasks from now on; those in flight still finish
        log.info("%s received", signum.name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, request_stop, signum)
    runtime = None
    if settings.metrics_port is not None:
        # Seconds and plain temporal_ names, as the Go and TypeScript workers report them.
        address = f"{settings.metrics_host}:{settings.metrics_port}"
        metrics = PrometheusConfig(address, durations_as_seconds=True)
        runtime = Runtime(telemetry=TelemetryConfig(metrics=metrics))
    connect.setdefault("target_host", "localhost:7233")
    connect.setdefault("namespace", "default")
    log.info("connecting to %s namespace=%s", connect["target_host"], connect["namespace"])
    keys = settings.payload_keys if settings.payload_encryption == "on" else None
    if not keys:
        log.warning("payload encryption is off: inputs, results and failures travel in the clear")
    # With tracing, the interceptor continues the trace the workflow put in the activity's headers.
    interceptors = [TracingInterceptor()] if traced else []
    converter = data_converter(keys, settings.payload_key_id)
    client = await Client.connect(
        **connect,
        identity=identity,
        data_converter=converter,
        interceptors=interceptors,
        runtime=runtime,
    )
    grace = timedelta(seconds=float(settings.worker_shutdown_grace_seconds))
    activities = [PowerOf2Activities(float(settings.activity_1_wait_timeout)).power_of_2]
    # One version of the deployment that every worker shares; the workflow is pinned to it.
    deployment_config = WorkerDeploymentConfig(version=version, use_worker_versioning=True)
    worker = Worker(
        client,
        task_queue=queue,
        activities=activities,
        identity=identity,
        graceful_shutdown_timeout=grace,
        deployment_config=deployment_config,
    )
    # A fatal worker error cancels this task and leaves the block with that error.
    async with worker:
        # Worker.run sets is_running once the namespace check passed; the SDK has no event for it.
        while not worker.is_running:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if not stop.is_set():
            probe.status = "ready"
            log.info("worker ready: polling %s as %s", queue, version.to_canonical_string())
        await stop.wait()
        log.info("draining for up to %s", grace)
    log.info("worker stopped")
