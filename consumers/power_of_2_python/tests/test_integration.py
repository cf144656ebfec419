"""The real worker process against a local Temporal dev server.

Skipped when the project's temporal CLI is absent: the SDK must never download one.
"""

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import (
    EventType,
    PendingActivityState,
    TaskQueueType,
    WorkerVersioningMode,
)
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    DescribeTaskQueueRequest,
    DescribeWorkerDeploymentRequest,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.client import Client, WorkflowFailureError
from temporalio.converter import DataConverter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes as EncodedFailures
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from power_of_2.activities import STEP
from power_of_2.codec import ENCODING, KEY_ID, EncryptionCodec
from tests.codec_vectors import TEST_KEYS, keys_of
from tests.contract_files import PROJECT_DIR
from tests.probe_client import free_port, get
from tests.probe_workflow import PROBE_TASK_QUEUE, PowerOf2ProbeWorkflow

TEMPORAL_CLI = PROJECT_DIR.parent.parent / ".tools/bin/temporal"

# `make install` puts the pinned server binary there; a missing one is a failure, not a skip.
assert TEMPORAL_CLI.is_file(), f"temporal CLI not found at {TEMPORAL_CLI}: run make install"

_READY_TIMEOUT_SECONDS = 30
_SET_CURRENT_TIMEOUT_SECONDS = 15


@dataclass
class WorkerProcess:
    process: asyncio.subprocess.Process
    identity: str
    probe_url: str
    stderr_lines: list[str]
    draining: "asyncio.Task[None]"

    async def stop(self) -> int:
        """SIGTERM, then the exit code once the process and its stderr have both ended."""
        self.process.send_signal(signal.SIGTERM)
        return await self.exit_code()

    async def exit_code(self) -> int:
        code = await asyncio.wait_for(self.process.wait(), timeout=30)
        await self.draining
        return code

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        code, _, body = await asyncio.to_thread(get, self.probe_url + "/readyz")
        return code, body

    def first_line_index(self, text: str) -> int:
        return next(i for i, line in enumerate(self.stderr_lines) if text in line)


@asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    # The CLI picks a free port itself; the existing binary keeps the SDK from downloading.
    # The test side writes with test-1 and the worker with test-2: keys rotate without a stop.
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI),
        data_converter=DataConverter(
            payload_codec=EncryptionCodec(keys_of(TEST_KEYS), "test-1"),
            failure_converter_class=EncodedFailures,
        ),
    )
    try:
        async with Worker(
            env.client, task_queue=PROBE_TASK_QUEUE, workflows=[PowerOf2ProbeWorkflow]
        ):
            yield env
    finally:
        await env.shutdown()


@asynccontextmanager
async def worker_process(
    env: WorkflowEnvironment, **extra_env: str
) -> AsyncIterator[WorkerProcess]:
    port = free_port()
    # A build id of its own per worker, as a new release would have.
    build_id = f"test-{uuid.uuid4().hex[:12]}"
    deployment = extra_env.get("TEMPORAL_DEPLOYMENT_NAME", "calculation")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "power_of_2",
        cwd=Path(PROJECT_DIR),
        env={
            **os.environ,
            "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "TEMPORAL_NAMESPACE": env.client.namespace,
            "HEALTH_PORT": str(port),
            "PAYLOAD_KEYS": TEST_KEYS,
            "PAYLOAD_KEY_ID": "test-2",
            "TEMPORAL_WORKER_BUILD_ID": build_id,
            **extra_env,
        },
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    stderr_lines: list[str] = []

    async def drain_stderr(stream: asyncio.StreamReader) -> None:
        # Read continuously so a chatty worker can never block on a full pipe.
        async for line in stream:
            stderr_lines.append(line.decode().rstrip())

    draining = asyncio.create_task(drain_stderr(process.stderr))
    worker = WorkerProcess(process, "", f"http://127.0.0.1:{port}", stderr_lines, draining)
    try:
        # As a health checker would: poll /readyz until the worker says it polls its queue.
        deadline = asyncio.get_running_loop().time() + _READY_TIMEOUT_SECONDS
        while True:
            assert process.returncode is None, ("worker exited", stderr_lines)
            assert asyncio.get_running_loop().time() < deadline, ("never ready", stderr_lines)
            try:
                code, body = await worker.readyz()
            except OSError:  # not listening yet
                code, body = 0, {}
            if code == 200:
                break
            await asyncio.sleep(0.1)
        assert body["status"] == "ready"
        assert body["task_queue"] == STEP["taskQueue"]
        assert body["identity"].endswith(f":{process.pid}")
        assert (body["deployment"], body["build_id"]) == (deployment, build_id)
        worker.identity = body["identity"]
        # A versioned worker gets tasks only once its version is the deployment's current one.
        await set_current_version(env.client, deployment, build_id)
        yield worker
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await draining


async def set_current_version(client: Client, deployment: str, build_id: str) -> None:
    """What a release does once the new workers poll; refused until the server has seen one."""
    request = SetWorkerDeploymentCurrentVersionRequest(
        namespace=client.namespace,
        deployment_name=deployment,
        build_id=build_id,
        identity="power_of_2 integration test",
    )
    deadline = asyncio.get_running_loop().time() + _SET_CURRENT_TIMEOUT_SECONDS
    while True:
        try:
            await client.workflow_service.set_worker_deployment_current_version(request)
            return
        except RPCError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _run_probe(client: Client, value: Any, workflow_id: str | None = None) -> str:
    return await client.execute_workflow(
        PowerOf2ProbeWorkflow.run,
        value,
        id=workflow_id or f"probe-{uuid.uuid4()}",
        task_queue=PROBE_TASK_QUEUE,
    )


async def test_worker_serves_activity_and_stops_on_sigterm() -> None:
    async with dev_server() as env, worker_process(env, ACTIVITY_1_WAIT_TIMEOUT="0") as worker:
        assert worker.identity.startswith("power_of_2-python-1@")

        workflow_id = f"probe-{uuid.uuid4()}"
        result = await env.client.execute_workflow(
            PowerOf2ProbeWorkflow.run, "-7", id=workflow_id, task_queue=PROBE_TASK_QUEUE
        )
        assert result == "49"
        history = await env.client.get_workflow_handle(workflow_id).fetch_history()
        started = [
            e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        ]
        assert [e.activity_task_started_event_attributes.identity for e in started] == [
            worker.identity
        ]
        assert any(workflow_id in line for line in worker.stderr_lines)

        failed_id = f"probe-{uuid.uuid4()}"
        with pytest.raises(WorkflowFailureError) as caught:
            await _run_probe(env.client, 5, failed_id)
        activity_error = caught.value.cause
        assert isinstance(activity_error, ActivityError)
        app_error = activity_error.cause
        assert isinstance(app_error, ApplicationError)
        assert app_error.type == "InvalidNumber"
        assert app_error.non_retryable
        assert "power_of_2: invalid number 5:" in app_error.message

        # What the server keeps: every payload and the failure message, encrypted.
        events = (await env.client.get_workflow_handle(workflow_id).fetch_history()).events
        scheduled, completed = (
            next(e for e in events if e.event_type == t)
            for t in (
                EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
                EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
            )
        )
        [argument] = scheduled.activity_task_scheduled_event_attributes.input.payloads
        [result_payload] = completed.activity_task_completed_event_attributes.result.payloads
        for payload, key_id in ((argument, b"test-1"), (result_payload, b"test-2")):
            assert payload.metadata["encoding"] == ENCODING
            assert payload.metadata[KEY_ID] == key_id
        failed_history = await env.client.get_workflow_handle(failed_id).fetch_history()
        [failed] = [
            e.activity_task_failed_event_attributes.failure
            for e in failed_history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
        ]
        assert "invalid number" not in str(failed)
        assert failed.encoded_attributes.metadata[KEY_ID] == b"test-2"

        assert await worker.stop() == 0


async def test_sigterm_lets_the_activity_in_flight_finish() -> None:
    async with dev_server() as env, worker_process(env, ACTIVITY_1_WAIT_TIMEOUT="2") as worker:
        handle = await env.client.start_workflow(
            PowerOf2ProbeWorkflow.run, "3", id=f"probe-{uuid.uuid4()}", task_queue=PROBE_TASK_QUEUE
        )
        for _ in range(100):
            pending = (await handle.describe()).raw_description.pending_activities
            if pending and pending[0].state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the activity never started")

        worker.process.send_signal(signal.SIGTERM)
        # Unready at once, while the activity in flight still runs.
        for _ in range(50):
            code, body = await worker.readyz()
            if body["status"] == "stopping":
                break
            await asyncio.sleep(0.02)
        assert (code, body["status"], body["identity"]) == (503, "stopping", worker.identity)
        assert worker.process.returncode is None
        assert await handle.result() == "9"
        assert await worker.exit_code() == 0
        # The signal arrived mid-wait, and the activity still completed afterwards.
        assert worker.first_line_index("SIGTERM received") < worker.first_line_index("completed")


async def test_pollers_report_the_deployment_version() -> None:
    deployment = "calculation-test"
    async with (
        dev_server() as env,
        worker_process(env, TEMPORAL_DEPLOYMENT_NAME=deployment) as worker,
    ):
        _, body = await worker.readyz()
        build_id = body["build_id"]
        described = await env.client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=env.client.namespace,
                task_queue=TaskQueue(name=STEP["taskQueue"]),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            )
        )
        [poller] = [p for p in described.pollers if p.identity == worker.identity]
        options = poller.deployment_options
        assert (options.deployment_name, options.build_id) == (deployment, build_id)
        assert (
            options.worker_versioning_mode == WorkerVersioningMode.WORKER_VERSIONING_MODE_VERSIONED
        )

        current = await env.client.workflow_service.describe_worker_deployment(
            DescribeWorkerDeploymentRequest(
                namespace=env.client.namespace, deployment_name=deployment
            )
        )
        routing = current.worker_deployment_info.routing_config
        assert routing.current_deployment_version.build_id == build_id
        assert await _run_probe(env.client, "12") == "144"
        assert await worker.stop() == 0
