"""`python -m power_of_2` as a process: start-up checks and identity."""

import os
import re
import socket
import subprocess
import sys

import pytest
from calc_contracts import CONTRACT

from tests.codec_vectors import TEST_KEYS
from tests.contract_files import PROJECT_DIR

RULES, KEYS, VERSION = CONTRACT["settings"], CONTRACT["encryption"], CONTRACT["deployment"]
SECONDS = f"String should match pattern '{RULES['seconds']['pattern']}'"
# Nothing listens here: if the worker tried to connect it would fail with a different message.
_UNREACHABLE = "127.0.0.1:1"


def _run_worker(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TEMPORAL_ADDRESS": _UNREACHABLE, "PAYLOAD_KEYS": TEST_KEYS, **extra_env}
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
        # One per rule, in pydantic's words: tests/test_settings.py runs every shared vector.
        ("ACTIVITY_1_WAIT_TIMEOUT", "1e3", SECONDS),
        (
            "WORKER_REPLICA",
            "two words",
            f"String should match pattern '{RULES['replica']['pattern']}'",
        ),
        ("WORKER_SHUTDOWN_GRACE_SECONDS", "1e3", SECONDS),
        (
            "METRICS_PORT",
            "http",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        ("HEALTH_PORT", "70000", "Input should be less than or equal to 65535"),
        ("LOG_FORMAT", "xml", "Input should be 'text' or 'json'"),
        ("PAYLOAD_KEY_ID", "test-3", f"Value error, {KEYS['keyIdRule']}"),
        ("PAYLOAD_ENCRYPTION", "yes", "Input should be 'on' or 'off'"),
        (
            "TEMPORAL_WORKER_BUILD_ID",
            "v1/2",
            f"String should match pattern '{VERSION['buildIdPattern']}'",
        ),
    ],
)
def test_malformed_setting_stops_before_connecting(variable: str, value: str, rule: str) -> None:
    result = _run_worker({variable: value})
    assert result.returncode == RULES["exitCode"] == 2
    assert result.stdout == ""
    assert result.stderr == f"power_of_2 worker: invalid setting {variable}: {rule}\n"


@pytest.mark.parametrize(
    "value",
    [
        "",  # missing
        TEST_KEYS.replace("=,", ","),  # one key without its padding
        "test-1:" + TEST_KEYS.split(":")[1][:30],  # a key cut short
    ],
)
def test_malformed_keys_stop_without_showing_the_value(value: str) -> None:
    result = _run_worker({"PAYLOAD_KEYS": value})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"power_of_2 worker: invalid setting PAYLOAD_KEYS: Value error, {KEYS['keysRule']}, "
        "each id once\n"
    )
    assert "AAECAwQF" not in result.stderr


def test_unreachable_server_exits_non_zero() -> None:
    result = _run_worker({"ACTIVITY_1_WAIT_TIMEOUT": "0"})
    assert result.returncode == 1
    assert _UNREACHABLE in result.stderr
    assert "worker ready" not in result.stderr


@pytest.mark.parametrize(
    ("env", "clear"), [({}, False), ({"PAYLOAD_ENCRYPTION": "off", "PAYLOAD_KEYS": ""}, True)]
)
def test_only_encryption_off_sends_in_the_clear(env: dict[str, str], clear: bool) -> None:
    result = _run_worker(env)
    assert result.returncode == 1  # past the settings, up to the connection
    assert ("payload encryption is off" in result.stderr) is clear


def test_identity_names_activity_language_replica_host_and_pid() -> None:
    # Every log line ends with the identity, those of a worker that cannot connect too.
    result = _run_worker({"WORKER_REPLICA": "3", "LOG_FORMAT": "text"})
    [identity] = set(re.findall(r"identity=(\S+)", result.stderr))
    assert re.fullmatch(rf"power_of_2-python-3@{re.escape(socket.gethostname())}:\d+", identity)


def test_unknown_connection_profile_is_a_settings_error() -> None:
    result = _run_worker({"TEMPORAL_PROFILE": "nope"})
    assert result.returncode == 2
    assert result.stderr.startswith("power_of_2 worker: ")
    assert "nope" in result.stderr


def test_taken_probe_port_stops_before_connecting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run_worker({"HEALTH_PORT": str(port)})
    assert result.returncode == 1
    assert f"cannot serve the probe on 127.0.0.1:{port}" in result.stderr
    assert "connecting" not in result.stderr
