"""Start-up, readiness and shutdown of the power_of_2 worker process."""

import asyncio
import logging
import os
import signal
import socket
import sys
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.envconfig import ClientConfig
from temporalio.worker import Worker

from .activities import PowerOf2Activities
from .config import ConfigError, WorkerConfig, load_config
from .contract import (
    ACTIVITY_NAME,
    DEFAULT_TEMPORAL_ADDRESS,
    DEFAULT_TEMPORAL_NAMESPACE,
    LANGUAGE,
    TASK_QUEUE,
)

log = logging.getLogger("power_of_2.worker")

# How often start-up checks whether Worker.run has got past its namespace check.
_READY_POLL_SECONDS = 0.02


def build_identity(replica: str) -> str:
    """`<activity>-<language>-<replica>@<hostname>:<pid>`, unique per replica and process."""
    return f"{ACTIVITY_NAME}-{LANGUAGE}-{replica}@{socket.gethostname()}:{os.getpid()}"


def ready_line(identity: str) -> str:
    return f"worker ready identity={identity} task_queue={TASK_QUEUE}"


def configure_logging() -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main() -> int:
    """Entry point of `python -m power_of_2`; returns the process exit code."""
    # Settings first: a typo must stop the worker before it touches the network.
    try:
        config = load_config()
    except ConfigError as err:
        print(f"{ACTIVITY_NAME} worker: configuration error: {err}", file=sys.stderr)
        return 2
    configure_logging()
    return asyncio.run(serve(config, build_identity(config.replica)))


async def serve(config: WorkerConfig, identity: str) -> int:
    """Connect, poll until SIGTERM/SIGINT, then drain; returns the exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _request_stop, stop, signum)

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
    connecting = asyncio.create_task(Client.connect(target_host, **options, identity=identity))
    if not await _finished_before_stop(connecting, stop):
        connecting.cancel()
        log.info("stop requested while connecting; exiting")
        return 0
    try:
        client = connecting.result()
    except Exception as err:
        log.error("cannot connect to Temporal at %s: %s", target_host, err)
        return 1

    activities = PowerOf2Activities(identity=identity, wait_seconds=config.wait_seconds)
    worker = Worker(
        client,
        task_queue=TASK_QUEUE,
        activities=[activities.power_of_2],
        identity=identity,
        graceful_shutdown_timeout=timedelta(seconds=config.shutdown_grace_seconds),
    )
    running = asyncio.create_task(worker.run())

    # Worker.run checks the namespace before it starts its pollers and flips is_running
    # only once that check has passed, so that is the moment to announce readiness. The SDK
    # has no event for it, hence the short poll.
    while not (worker.is_running or running.done() or stop.is_set()):  # noqa: ASYNC110
        await asyncio.sleep(_READY_POLL_SECONDS)
    if worker.is_running:
        print(ready_line(identity), flush=True)
        log.info("%s", ready_line(identity))

    await _finished_before_stop(running, stop)
    if stop.is_set() and not running.done():
        log.info(
            "stop requested: no new tasks; in-flight activities get %ss to finish",
            config.shutdown_grace_seconds,
        )
        await worker.shutdown()
    try:
        await running
    except Exception as err:
        log.error("worker failed: %s", err)
        return 1
    log.info("worker stopped")
    return 0


def _request_stop(stop: asyncio.Event, signum: signal.Signals) -> None:
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
