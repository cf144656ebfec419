"""Environment settings, including the shared wait-timeout vectors."""

from typing import Any

import pytest

from power_of_2.config import ConfigError, load_config, parse_seconds
from power_of_2.contract import (
    DEFAULT_REPLICA,
    DEFAULT_SHUTDOWN_GRACE_SECONDS,
    DEFAULT_WAIT_SECONDS,
    REPLICA_VARIABLE,
    SHUTDOWN_GRACE_VARIABLE,
    WAIT_VARIABLE,
)
from tests.contract_files import VECTORS


def test_defaults_when_nothing_is_set() -> None:
    config = load_config({})
    assert config.wait_seconds == DEFAULT_WAIT_SECONDS
    assert config.replica == DEFAULT_REPLICA == "1"
    assert config.shutdown_grace_seconds == DEFAULT_SHUTDOWN_GRACE_SECONDS == 10


@pytest.mark.parametrize("case", VECTORS["waitTimeouts"]["valid"], ids=lambda c: repr(c["value"]))
def test_valid_wait_timeout(case: dict[str, Any]) -> None:
    expected = DEFAULT_WAIT_SECONDS if case["seconds"] is None else case["seconds"]
    assert load_config({WAIT_VARIABLE: case["value"]}).wait_seconds == expected


@pytest.mark.parametrize("value", VECTORS["waitTimeouts"]["invalid"])
def test_invalid_wait_timeout_names_variable_and_value(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({WAIT_VARIABLE: value})
    message = str(caught.value)
    assert WAIT_VARIABLE in message
    assert repr(value) in message


@pytest.mark.parametrize("value", ["1\n", "\u0661", "9" * 400])
def test_wait_timeout_edge_cases_are_rejected(value: str) -> None:
    with pytest.raises(ConfigError, match=WAIT_VARIABLE):
        parse_seconds(WAIT_VARIABLE, value, DEFAULT_WAIT_SECONDS)


@pytest.mark.parametrize(
    ("value", "expected"), [("", "1"), ("2", "2"), ("blue-7.a_b", "blue-7.a_b")]
)
def test_valid_replica(value: str, expected: str) -> None:
    assert load_config({REPLICA_VARIABLE: value}).replica == expected


@pytest.mark.parametrize("value", ["a b", "-1", "x@y", "1:2", " 1", "\u0662"])
def test_invalid_replica(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({REPLICA_VARIABLE: value})
    assert REPLICA_VARIABLE in str(caught.value)
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"), [("", 10.0), ("0", 0.0), ("2.5", 2.5), ("30", 30.0)]
)
def test_valid_shutdown_grace(value: str, expected: float) -> None:
    assert load_config({SHUTDOWN_GRACE_VARIABLE: value}).shutdown_grace_seconds == expected


@pytest.mark.parametrize("value", ["-1", "ten", "1e1", "9" * 400])
def test_invalid_shutdown_grace(value: str) -> None:
    with pytest.raises(ConfigError, match=SHUTDOWN_GRACE_VARIABLE):
        load_config({SHUTDOWN_GRACE_VARIABLE: value})
