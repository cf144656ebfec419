"""Environment settings: the shared rules, defaults, and the one-line message."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from power_of_2.contract import (
    BUILD_ID_RULE,
    BUILD_ID_VARIABLE,
    DEFAULT_BUILD_ID,
    DEFAULT_DEPLOYMENT_NAME,
    DEFAULT_HEALTH_HOST,
    DEFAULT_REPLICA,
    DEFAULT_SHUTDOWN_GRACE_SECONDS,
    DEFAULT_WAIT_SECONDS,
    DEPLOYMENT_NAME_VARIABLE,
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
    SHUTDOWN_GRACE_VARIABLE,
    WAIT_VARIABLE,
)
from power_of_2.settings import Settings, SettingsError, load_settings
from tests.codec_vectors import TEST_KEYS
from tests.contract_files import VECTORS

KEY_1, KEY_2 = (pair.split(":")[1] for pair in TEST_KEYS.split(","))
KEYS_REFUSED = f"invalid setting {KEYS_VARIABLE} (value not shown): expected {KEYS_RULE}"

Load = Callable[..., Settings]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Load:
    """load_settings over exactly the given variables, whatever the test runner's env holds.

    PAYLOAD_KEYS holds the test keys unless a test sets it (to "" for unset)."""
    for field in Settings.model_fields.values():
        monkeypatch.delenv(str(field.validation_alias), raising=False)
    monkeypatch.setenv(KEYS_VARIABLE, TEST_KEYS)

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
    assert settings.deployment_name == DEFAULT_DEPLOYMENT_NAME == "calculation"
    assert settings.build_id == DEFAULT_BUILD_ID == "dev"
    assert settings.encryption is True
    assert settings.payload_key_id == "test-1"


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


def test_keys_are_read_and_the_first_id_encrypts(load: Load) -> None:
    settings = load()
    assert settings.payload_keys == {
        "test-1": bytes(range(32)),
        "test-2": bytes(range(32, 64)),
    }
    assert settings.payload_key_id == "test-1"
    assert load(**{KEY_ID_VARIABLE: "test-2"}).payload_key_id == "test-2"
    assert load(**{KEYS_VARIABLE: f"a.B_c-9:{KEY_2}", KEY_ID_VARIABLE: ""}).payload_key_id == (
        "a.B_c-9"
    )


def test_keys_never_show_in_repr(load: Load) -> None:
    assert KEY_1 not in repr(load())
    assert "AAECAwQF" not in repr(load())


@pytest.mark.parametrize(
    "value",
    [
        "",  # unset, with encryption on
        KEY_1,  # no id
        f"test-1:{KEY_1},",  # empty pair
        f"test-1:{KEY_1}, test-2:{KEY_2}",  # space
        f"test-1:{KEY_1},test-1:{KEY_2}",  # same id twice
        f"test 1:{KEY_1}",
        f"{'i' * 65}:{KEY_1}",
        f"test-1:{KEY_1.rstrip('=')}",  # no padding
        f"test-1:{KEY_1[:-4]}AA==",  # 31 bytes
        f"test-1:{KEY_1[:-1]}A",  # 33 bytes
        f"test-1:{'_' * 42}8=",  # URL-safe alphabet
        f"test-1:{KEY_1.replace('A', '*', 1)}",
    ],
)
def test_bad_keys_are_refused_without_showing_them(load: Load, value: str) -> None:
    message = _refused(load, KEYS_VARIABLE, value)
    assert message == KEYS_REFUSED
    assert KEY_1[:8] not in message


def test_keys_are_named_before_a_later_bad_setting(load: Load) -> None:
    with pytest.raises(SettingsError) as caught:
        load(**{KEYS_VARIABLE: "x", KEY_ID_VARIABLE: "nope"})
    assert str(caught.value) == KEYS_REFUSED


@pytest.mark.parametrize("value", ["test-3", "TEST-1", "test-1 ", "test-1,test-2"])
def test_key_id_must_name_one_of_the_keys(load: Load, value: str) -> None:
    assert _refused(load, KEY_ID_VARIABLE, value) == (
        f"invalid setting {KEY_ID_VARIABLE}={json.dumps(value)}: expected {KEY_ID_RULE}"
    )


def test_encryption_off_needs_no_keys(load: Load) -> None:
    settings = load(**{ENCRYPTION_VARIABLE: "off", KEYS_VARIABLE: ""})
    assert (settings.encryption, settings.payload_keys, settings.payload_key_id) == (
        False,
        None,
        None,
    )
    # A value given is still checked: a typo stays a typo.
    with pytest.raises(SettingsError, match=f"^invalid setting {KEY_ID_VARIABLE}="):
        load(**{KEY_ID_VARIABLE: "test-1"})
    assert load(**{ENCRYPTION_VARIABLE: "on", KEYS_VARIABLE: TEST_KEYS}).encryption is True


@pytest.mark.parametrize("value", ["yes", "ON", "true", "1"])
def test_invalid_encryption_switch(load: Load, value: str) -> None:
    assert _refused(load, ENCRYPTION_VARIABLE, value) == (
        f'invalid setting {ENCRYPTION_VARIABLE}="{value}": expected {ENCRYPTION_RULE}'
    )


def test_deployment_name_and_build_id(load: Load) -> None:
    settings = load(**{DEPLOYMENT_NAME_VARIABLE: "calc-blue", BUILD_ID_VARIABLE: "v1.2_3-a"})
    assert (settings.deployment_name, settings.build_id) == ("calc-blue", "v1.2_3-a")
    assert load(**{DEPLOYMENT_NAME_VARIABLE: "", BUILD_ID_VARIABLE: ""}).build_id == "dev"


@pytest.mark.parametrize("value", ["a b", "a/b", "v1:2", "b" * 65, "\u0661"])
def test_invalid_build_id(load: Load, value: str) -> None:
    message = _refused(load, BUILD_ID_VARIABLE, value)
    assert message.startswith(f"invalid setting {BUILD_ID_VARIABLE}=")
    assert message.endswith(f": expected {BUILD_ID_RULE}")
