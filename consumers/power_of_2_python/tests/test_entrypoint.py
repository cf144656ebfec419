"""`python -m power_of_2` as a process: start-up checks and identity."""

import json
import os
import re
import socket
import subprocess
import sys

import pytest

from power_of_2.contract import (
    BUILD_ID_RULE,
    BUILD_ID_VARIABLE,
    ENCRYPTION_RULE,
    ENCRYPTION_VARIABLE,
    HEALTH_PORT_VARIABLE,
    KEY_ID_RULE,
    KEY_ID_VARIABLE,
    KEYS_RULE,
    KEYS_VARIABLE,
    LOG_FORMAT_RULE,
    PORT_RULE,
    REPLICA_RULE,
    REPLICA_VARIABLE,
    SECONDS_RULE,
    SETTINGS_EXIT_CODE,
    SHUTDOWN_GRACE_VARIABLE,
    WAIT_VARIABLE,
)
from power_of_2.worker import build_identity
from tests.codec_vectors import TEST_KEYS
from tests.contract_files import PROJECT_DIR

# Nothing listens here: if the worker tried to connect it would fail with a different message.
_UNREACHABLE = "127.0.0.1:1"


def _run_worker(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TEMPORAL_ADDRESS": _UNREACHABLE, KEYS_VARIABLE: TEST_KEYS, **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "power_of_2"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        # One per rule: tests/test_settings.py runs every shared vector in process.
        (WAIT_VARIABLE, "1e3", SECONDS_RULE),
        (REPLICA_VARIABLE, "two words", REPLICA_RULE),
        (SHUTDOWN_GRACE_VARIABLE, "1e3", SECONDS_RULE),
        ("METRICS_PORT", "http", PORT_RULE),
        (HEALTH_PORT_VARIABLE, "70000", PORT_RULE),
        ("LOG_FORMAT", "xml", LOG_FORMAT_RULE),
        (KEY_ID_VARIABLE, "test-3", KEY_ID_RULE),
        (ENCRYPTION_VARIABLE, "yes", ENCRYPTION_RULE),
        (BUILD_ID_VARIABLE, "v1/2", BUILD_ID_RULE),
    ],
)
def test_malformed_setting_stops_before_connecting(variable: str, value: str, rule: str) -> None:
    result = _run_worker({variable: value})
    assert result.returncode == SETTINGS_EXIT_CODE == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"power_of_2 worker: invalid setting {variable}={json.dumps(value)}: expected {rule}\n"
    )


@pytest.mark.parametrize(
    "value",
    [
        "",  # missing
        TEST_KEYS.replace("=,", ","),  # one key without its padding
        "test-1:" + TEST_KEYS.split(":")[1][:30],  # a key cut short
    ],
)
def test_malformed_keys_stop_without_showing_the_value(value: str) -> None:
    result = _run_worker({KEYS_VARIABLE: value})
    assert result.returncode == SETTINGS_EXIT_CODE
    assert result.stdout == ""
    assert result.stderr == (
        f"power_of_2 worker: invalid setting {KEYS_VARIABLE} (value not shown):"
        f" expected {KEYS_RULE}\n"
    )
    assert "AAECAwQF" not in result.stderr


def test_unreachable_server_exits_non_zero() -> None:
    result = _run_worker({WAIT_VARIABLE: "0"})
    assert result.returncode != 0
    assert _UNREACHABLE in result.stderr
    assert "worker ready" not in result.stderr


def test_identity_names_activity_language_replica_host_and_pid() -> None:
    identity = build_identity("3")
    assert identity == f"power_of_2-python-3@{socket.gethostname()}:{os.getpid()}"
    assert re.fullmatch(r"power_of_2-python-3@[^:]+:\d+", identity)


def test_taken_probe_port_stops_before_connecting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run_worker({HEALTH_PORT_VARIABLE: str(port)})
    assert result.returncode == 1
    assert f"cannot serve the probe on 127.0.0.1:{port}" in result.stderr
    assert "connecting" not in result.stderr
