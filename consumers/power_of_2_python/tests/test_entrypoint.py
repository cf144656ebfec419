"""`python -m power_of_2` as a process: start-up checks, identity and ready line."""

import os
import re
import socket
import subprocess
import sys

import pytest

from power_of_2.contract import REPLICA_VARIABLE, TASK_QUEUE, WAIT_VARIABLE
from power_of_2.worker import build_identity, ready_line
from tests.contract_files import PROJECT_DIR, VECTORS

# Nothing listens here: if the worker tried to connect it would fail with a different message.
_UNREACHABLE = "127.0.0.1:1"


def _run_worker(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TEMPORAL_ADDRESS": _UNREACHABLE, **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "power_of_2"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("value", VECTORS["waitTimeouts"]["invalid"])
def test_malformed_wait_stops_before_connecting(value: str) -> None:
    result = _run_worker({WAIT_VARIABLE: value})
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert WAIT_VARIABLE in lines[0]
    assert repr(value) in lines[0]
    assert "connect" not in result.stderr


def test_malformed_replica_stops_before_connecting() -> None:
    result = _run_worker({REPLICA_VARIABLE: "two words"})
    assert result.returncode != 0
    assert REPLICA_VARIABLE in result.stderr
    assert "connect" not in result.stderr


def test_unreachable_server_exits_non_zero() -> None:
    result = _run_worker({WAIT_VARIABLE: "0"})
    assert result.returncode != 0
    assert _UNREACHABLE in result.stderr
    assert "worker ready" not in result.stdout


def test_identity_names_activity_language_replica_host_and_pid() -> None:
    identity = build_identity("3")
    assert identity == f"power_of_2-python-3@{socket.gethostname()}:{os.getpid()}"
    assert re.fullmatch(r"power_of_2-python-3@[^:]+:\d+", identity)


def test_ready_line_shape() -> None:
    assert ready_line("id@h:1") == f"worker ready identity=id@h:1 task_queue={TASK_QUEUE}"


@pytest.mark.parametrize(("variable", "value"), [("METRICS_PORT", "http"), ("LOG_FORMAT", "xml")])
def test_malformed_observability_setting_stops_before_connecting(variable: str, value: str) -> None:
    result = _run_worker({variable: value})
    assert result.returncode != 0
    assert result.stdout == ""
    assert variable in result.stderr
    assert repr(value) in result.stderr
    assert "connect" not in result.stderr
