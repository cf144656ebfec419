"""Environment settings: the shared rules, defaults, and the one-line message."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from power_of_2.contract import (
    DEFAULT_HEALTH_HOST,
    DEFAULT_REPLICA,
    DEFAULT_SHUTDOWN_GRACE_SECONDS,
    DEFAULT_WAIT_SECONDS,
    HEALTH_PORT_VARIABLE,
    LOG_FORMAT_RULE,
    PORT_RULE,
    REPLICA_RULE,
    REPLICA_VARIABLE,
    SECONDS_RULE,
    SHUTDOWN_GRACE_VARIABLE,
    WAIT_VARIABLE,
)
from power_of_2.settings import Settings, SettingsError, load_settings
from tests.contract_files import VECTORS

Load = Callable[..., Settings]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Load:
    """load_settings over exactly the given variables, whatever the test runner's env holds."""
    for field in Settings.model_fields.values():
        monkeypatch.delenv(str(field.validation_alias), raising=False)

    def with_env(**env: str) -> Settings:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return load_settings()

    return with_env


def _refused(load: Load, name: str, value: str) -> str:
    with pytest.raises(SettingsError) as caught:
        load(**{name: value})
    return str(caught.value)


def test_defaults_when_nothing_is_set(load: Load) -> None:
    settings = load()
    assert settings.wait_seconds == DEFAULT_WAIT_SECONDS == 1
    assert settings.replica == DEFAULT_REPLICA == "1"
    assert settings.shutdown_grace_seconds == DEFAULT_SHUTDOWN_GRACE_SECONDS == 10
    assert settings.log_format == "text"
    assert settings.metrics_address is None
    assert settings.health_port is None
    assert settings.health_host == DEFAULT_HEALTH_HOST == "127.0.0.1"


@pytest.mark.parametrize("case", VECTORS["waitTimeouts"]["valid"], ids=lambda c: repr(c["value"]))
def test_valid_wait_timeout(load: Load, case: dict[str, Any]) -> None:
    expected = DEFAULT_WAIT_SECONDS if case["seconds"] is None else case["seconds"]
    assert load(**{WAIT_VARIABLE: case["value"]}).wait_seconds == expected


@pytest.mark.parametrize("value", [*VECTORS["waitTimeouts"]["invalid"], "1\n", "\u0661"])
def test_invalid_wait_timeout_gets_the_shared_message(load: Load, value: str) -> None:
    # JSON-quoted: a newline shows as \n, so the message stays on one line.
    shown = json.dumps(value, ensure_ascii=False)
    assert _refused(load, WAIT_VARIABLE, value) == (
        f"invalid setting {WAIT_VARIABLE}={shown}: expected {SECONDS_RULE}"
    )


def test_long_value_is_cut_to_forty_characters(load: Load) -> None:
    # Matches the pattern, but is no usable duration.
    assert _refused(load, WAIT_VARIABLE, "9" * 400) == (
        f'invalid setting {WAIT_VARIABLE}="{"9" * 40}"...: expected {SECONDS_RULE}'
    )


@pytest.mark.parametrize(
    ("value", "expected"), [("", 10.0), ("0", 0.0), ("2.5", 2.5), ("30", 30.0)]
)
def test_valid_shutdown_grace(load: Load, value: str, expected: float) -> None:
    assert load(**{SHUTDOWN_GRACE_VARIABLE: value}).shutdown_grace_seconds == expected


@pytest.mark.parametrize("value", ["-1", "ten", "1e1"])
def test_invalid_shutdown_grace(load: Load, value: str) -> None:
    message = _refused(load, SHUTDOWN_GRACE_VARIABLE, value)
    assert (
        message == f'invalid setting {SHUTDOWN_GRACE_VARIABLE}="{value}": expected {SECONDS_RULE}'
    )


@pytest.mark.parametrize(
    ("value", "expected"), [("", "1"), ("2", "2"), ("blue-7.a_b", "blue-7.a_b")]
)
def test_valid_replica(load: Load, value: str, expected: str) -> None:
    assert load(**{REPLICA_VARIABLE: value}).replica == expected


@pytest.mark.parametrize("value", ["a b", "-1", "x@y", "1:2", " 1", "\u0662"])
def test_invalid_replica(load: Load, value: str) -> None:
    message = _refused(load, REPLICA_VARIABLE, value)
    assert message == f'invalid setting {REPLICA_VARIABLE}="{value}": expected {REPLICA_RULE}'


def test_ports_and_hosts(load: Load) -> None:
    settings = load(METRICS_PORT="9465", HEALTH_PORT="8081", HEALTH_HOST="0.0.0.0")
    assert settings.metrics_address == "127.0.0.1:9465"
    assert (settings.health_host, settings.health_port) == ("0.0.0.0", 8081)
    assert load(METRICS_PORT="1", METRICS_HOST="::").metrics_address == "[::]:1"
    assert load(METRICS_PORT="", HEALTH_PORT="").health_port is None


@pytest.mark.parametrize("variable", ["METRICS_PORT", HEALTH_PORT_VARIABLE])
@pytest.mark.parametrize("value", ["http", "0", "65536", "-1", "80 ", "\u0661"])
def test_invalid_port(load: Load, variable: str, value: str) -> None:
    assert _refused(load, variable, value) == (
        f'invalid setting {variable}="{value}": expected {PORT_RULE}'
    )


@pytest.mark.parametrize(("value", "expected"), [("", "text"), ("text", "text"), ("json", "json")])
def test_valid_log_format(load: Load, value: str, expected: str) -> None:
    assert load(LOG_FORMAT=value).log_format == expected


@pytest.mark.parametrize("value", ["xml", "JSON", " json"])
def test_invalid_log_format(load: Load, value: str) -> None:
    assert _refused(load, "LOG_FORMAT", value) == (
        f'invalid setting LOG_FORMAT="{value}": expected {LOG_FORMAT_RULE}'
    )


def test_only_the_first_bad_setting_is_named(load: Load) -> None:
    with pytest.raises(SettingsError, match=f"^invalid setting {WAIT_VARIABLE}=") as caught:
        load(**{WAIT_VARIABLE: "x", REPLICA_VARIABLE: "a b", "LOG_FORMAT": "xml"})
    assert "\n" not in str(caught.value)
