"""Start-up, readiness and shutdown of the power_of_2 worker process."""

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client, Interceptor
from temporalio.common import WorkerDeploymentVersion
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfig
from temporalio.worker import Worker, WorkerDeploymentConfig

from .activities import PowerOf2Activities
from .codec import encrypting_converter
from .contract import (
    ACTIVITY_NAME,
    DEFAULT_TEMPORAL_ADDRESS,
    DEFAULT_TEMPORAL_NAMESPACE,
    LANGUAGE,
    SETTINGS_EXIT_CODE,
    TASK_QUEUE,
)
from .observability import build_runtime, configure_logging, set_up_tracing, tracing_interceptors
from .probe import Probe
from .settings import Settings, SettingsError, load_settings

log = logging.getLogger("power_of_2.worker")

# How often start-up checks whether Worker.run has got past its namespace check.
_READY_POLL_SECONDS = 0.02


def build_identity(replica: str) -> str:
    """`<activity>-<language>-<replica>@<hostname>:<pid>`, unique per replica and process."""
    return f"{ACTIVITY_NAME}-{LANGUAGE}-{replica}@{socket.gethostname()}:{os.getpid()}"


def deployment_version(settings: Settings) -> WorkerDeploymentVersion:
    return WorkerDeploymentVersion(
        deployment_name=settings.deployment_name, build_id=settings.build_id
    )


def main() -> int:
    """Entry point of `python -m power_of_2`; returns the process exit code."""
    # Settings first: a typo must stop the worker before it touches the network.
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"{ACTIVITY_NAME} worker: {err}", file=sys.stderr)
        return SETTINGS_EXIT_CODE
    identity = build_identity(settings.replica)
    configure_logging(settings.log_format, identity)
    probe = Probe(identity, TASK_QUEUE, deployment_version(settings))
    if settings.health_port is not None:
        # Before connecting, so that a taken port stops the worker at once.
        address = f"{settings.health_host}:{settings.health_port}"
        try:
            probe.listen(settings.health_host, settings.health_port)
        except OSError as err:
            log.error("cannot serve the probe on %s: %s", address, err)
            return 1
        log.info("probe on http://%s (/healthz, /readyz)", address)
    tracer_provider = set_up_tracing()
    interceptors = tracing_interceptors(tracer_provider)
    try:
        return asyncio.run(serve(settings, probe, interceptors))
    finally:
        probe.close()
        # __main__ leaves with os._exit, which would drop spans still waiting in a batch.
        if tracer_provider is not None:
            tracer_provider.shutdown()


async def serve(settings: Settings, probe: Probe, interceptors: Sequence[Interceptor] = ()) -> int:
    """Connect, poll until SIGTERM/SIGINT, then drain; returns the exit code.

    probe.status follows along: ready once polling, stopping from the stop request on."""
    identity = probe.identity
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _request_stop, stop, probe, signum)

    try:
        connect_config = ClientConfig.load_client_connect_config()
    except Exception as err:  # the loader raises plain RuntimeErrors from its Rust core
        log.error("cannot read the Temporal connection settings: %s", err)
        return 2
    # A plain dict so that whatever else the loader returns (api_key, tls, rpc_metadata, ...)
    # passes through untouched, while the address becomes the positional argument.
    options: dict[str, Any] = dict(connect_config)
    target_host = options.pop("target_host", DEFAULT_TEMPORAL_ADDRESS)
    options.setdefault("namespace", DEFAULT_TEMPORAL_NAMESPACE)
    log.info("connecting to %s namespace=%s as %s", target_host, options["namespace"], identity)
    runtime = build_runtime(settings.metrics_address)
    if runtime is not None:
        options["runtime"] = runtime
        log.info("Prometheus metrics on http://%s/metrics", settings.metrics_address)
    # With tracing on, the interceptor continues the trace that the workflow put in the
    # activity's headers (RunActivity:power_of_2 spans).
    connecting = asyncio.create_task(
        Client.connect(
            target_host,
            **options,
            identity=identity,
            interceptors=interceptors,
            data_converter=data_converter(settings),
        )
    )
    if not await _finished_before_stop(connecting, stop):
        connecting.cancel()
        log.info("stop requested while connecting; exiting")
        return 0
    try:
        client = connecting.result()
    except Exception as err:
        log.error("cannot connect to Temporal at %s: %s", target_host, err)
        return 1

    activities = PowerOf2Activities(identity=identity, wait_seconds=settings.wait_seconds)
    worker = Worker(
        client,
        task_queue=TASK_QUEUE,
        activities=[activities.power_of_2],
        identity=identity,
        graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_seconds),
        # One version of the deployment that all the workers share. No default versioning
        # behavior: that applies to workflows, and this worker has none.
        deployment_config=WorkerDeploymentConfig(
            version=deployment_version(settings),
            use_worker_versioning=True,
        ),
    )
    running = asyncio.create_task(worker.run())

    # Worker.run checks the namespace before it starts its pollers and flips is_running
    # only once that check has passed, so that is the moment to announce readiness. The SDK
    # has no event for it, hence the short poll.
    while not (worker.is_running or running.done() or stop.is_set()):  # noqa: ASYNC110
        await asyncio.sleep(_READY_POLL_SECONDS)
    if worker.is_running and not stop.is_set():
        probe.status = "ready"
        log.info(
            "worker ready: polling %s as build %s of deployment %s",
            TASK_QUEUE,
            settings.build_id,
            settings.deployment_name,
        )

    await _finished_before_stop(running, stop)
    # No longer taking new tasks, whether stopped or failed: the probe says so from now on.
    probe.status = "stopping"
    if stop.is_set() and not running.done():
        log.info(
            "stop requested: no new tasks; in-flight activities get %ss to finish",
            settings.shutdown_grace_seconds,
        )
        await worker.shutdown()
    try:
        await running
    except Exception as err:
        log.error("worker failed: %s", err)
        return 1
    log.info("worker stopped")
    return 0


def data_converter(settings: Settings) -> DataConverter:
    if settings.encryption and settings.payload_keys and settings.payload_key_id:
        log.info("payloads encrypted with key id %s", settings.payload_key_id)
        return encrypting_converter(settings.payload_keys, settings.payload_key_id)
    log.warning("payload encryption is off: inputs, results and failures travel in the clear")
    return DataConverter.default


def _request_stop(stop: asyncio.Event, probe: Probe, signum: signal.Signals) -> None:
    probe.status = "stopping"
    if stop.is_set():
        log.info("%s received again; shutdown already under way", signum.name)
        return
    log.info("%s received", signum.name)
    stop.set()


async def _finished_before_stop(task: "asyncio.Task[object]", stop: asyncio.Event) -> bool:
    """Wait for task or for a stop request; True when the task finished (or both did)."""
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    return task.done()
