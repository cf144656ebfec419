"""Environment settings: the shared rules and defaults; each refusal names its variable and rule."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from calc_contracts import CONTRACT
from pydantic import ValidationError

from power_of_2.settings import Settings
from tests.codec_vectors import TEST_KEYS
from tests.contract_files import VECTORS

RULES, KEYS, VERSION = CONTRACT["settings"], CONTRACT["encryption"], CONTRACT["deployment"]
WAIT = "ACTIVITY_1_WAIT_TIMEOUT"
KEY_1, KEY_2 = (pair.split(":")[1] for pair in TEST_KEYS.split(","))
# Pydantic's words for each rule; the variable is named by the error's location.
SECONDS = f"String should match pattern '{RULES['seconds']['pattern']}'"
KEYS_REFUSED = f"Value error, {KEYS['keysRule']}, each id once"
PORT = r"Input should be (a valid integer.*|greater than or equal to 1|less than or equal to 65535)"

Load = Callable[..., Settings]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Load:
    """Settings from exactly the given variables, whatever the test runner's env holds.

    PAYLOAD_KEYS holds the test keys unless a test sets it (to "" for unset)."""
    for field in Settings.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)
    monkeypatch.setenv("PAYLOAD_KEYS", TEST_KEYS)

    def with_env(**env: str) -> Settings:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return Settings()

    return with_env


def _first_error(load: Load, **env: str) -> tuple[str, str]:
    """The variable and the rule of the first refusal, which is what the worker prints."""
    with pytest.raises(ValidationError) as caught:
        load(**env)
    error = caught.value.errors()[0]
    return str(error["loc"][0]).upper(), error["msg"]


def _refused(load: Load, name: str, value: str) -> str:
    variable, message = _first_error(load, **{name: value})
    assert variable == name
    return message


def test_defaults_when_nothing_is_set(load: Load) -> None:
    settings = load()
    assert float(settings.activity_1_wait_timeout) == CONTRACT["defaultWaitSeconds"] == 1
    assert settings.worker_replica == RULES["replica"]["default"] == "1"
    assert float(settings.worker_shutdown_grace_seconds) == 10
    assert settings.log_format == "text"
    assert (settings.metrics_port, settings.health_port) == (None, None)
    assert settings.metrics_host == settings.health_host == "127.0.0.1"
    assert settings.temporal_deployment_name == VERSION["defaultName"] == "calculation"
    assert settings.temporal_worker_build_id == VERSION["defaultBuildId"] == "dev"
    assert settings.payload_encryption == "on"
    assert settings.payload_key_id == "test-1"


@pytest.mark.parametrize("case", VECTORS["waitTimeouts"]["valid"], ids=lambda c: repr(c["value"]))
def test_valid_wait_timeout(load: Load, case: dict[str, Any]) -> None:
    expected = CONTRACT["defaultWaitSeconds"] if case["seconds"] is None else case["seconds"]
    assert float(load(**{WAIT: case["value"]}).activity_1_wait_timeout) == expected


@pytest.mark.parametrize("value", [*VECTORS["waitTimeouts"]["invalid"], "1\n", "\u0661", "9" * 400])
def test_invalid_wait_timeout_names_the_variable_and_rule(load: Load, value: str) -> None:
    message = _refused(load, WAIT, value)
    assert message in (SECONDS, "String should have at most 12 characters")
    assert "\n" not in message


@pytest.mark.parametrize(("value", "expected"), [("", 10), ("0", 0), ("2.5", 2.5), ("30", 30)])
def test_valid_shutdown_grace(load: Load, value: str, expected: float) -> None:
    settings = load(WORKER_SHUTDOWN_GRACE_SECONDS=value)
    assert float(settings.worker_shutdown_grace_seconds) == expected


@pytest.mark.parametrize("value", ["-1", "ten", "1e1"])
def test_invalid_shutdown_grace(load: Load, value: str) -> None:
    assert _refused(load, "WORKER_SHUTDOWN_GRACE_SECONDS", value) == SECONDS


@pytest.mark.parametrize(("value", "expected"), [("", "1"), ("2", "2"), ("b-7.a_b", "b-7.a_b")])
def test_valid_replica(load: Load, value: str, expected: str) -> None:
    assert load(WORKER_REPLICA=value).worker_replica == expected


@pytest.mark.parametrize("value", ["a b", "-1", "x@y", "1:2", " 1", "\u0662"])
def test_invalid_replica(load: Load, value: str) -> None:
    assert _refused(load, "WORKER_REPLICA", value) == (
        f"String should match pattern '{RULES['replica']['pattern']}'"
    )


def test_ports_and_hosts(load: Load) -> None:
    settings = load(METRICS_PORT="9465", HEALTH_PORT="8081", HEALTH_HOST="0.0.0.0")
    assert (settings.metrics_host, settings.metrics_port) == ("127.0.0.1", 9465)
    assert (settings.health_host, settings.health_port) == ("0.0.0.0", 8081)
    assert load(METRICS_PORT="1", METRICS_HOST="::").metrics_host == "::"
    assert load(METRICS_PORT="", HEALTH_PORT="").health_port is None


@pytest.mark.parametrize("variable", ["METRICS_PORT", "HEALTH_PORT"])
@pytest.mark.parametrize("value", ["http", "0", "65536", "-1", "8.5", "\u0661"])
def test_invalid_port(load: Load, variable: str, value: str) -> None:
    assert re.fullmatch(PORT, _refused(load, variable, value))


@pytest.mark.parametrize(("value", "expected"), [("", "text"), ("text", "text"), ("json", "json")])
def test_valid_log_format(load: Load, value: str, expected: str) -> None:
    assert load(LOG_FORMAT=value).log_format == expected


@pytest.mark.parametrize("value", ["xml", "JSON", " json"])
def test_invalid_log_format(load: Load, value: str) -> None:
    assert _refused(load, "LOG_FORMAT", value) == "Input should be 'text' or 'json'"


def test_only_the_first_bad_setting_is_named(load: Load) -> None:
    bad = {WAIT: "x", "WORKER_REPLICA": "a b", "LOG_FORMAT": "xml"}
    assert _first_error(load, **bad) == (WAIT, SECONDS)


def test_keys_are_read_and_the_first_id_encrypts(load: Load) -> None:
    settings = load()
    assert settings.payload_keys == {"test-1": bytes(range(32)), "test-2": bytes(range(32, 64))}
    assert settings.payload_key_id == "test-1"
    assert load(PAYLOAD_KEY_ID="test-2").payload_key_id == "test-2"
    assert load(PAYLOAD_KEYS=f"a.B_c-9:{KEY_2}", PAYLOAD_KEY_ID="").payload_key_id == "a.B_c-9"


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
        f"test-1:{KEY_1}\n",
    ],
)
def test_bad_keys_are_refused_without_showing_them(load: Load, value: str) -> None:
    message = _refused(load, "PAYLOAD_KEYS", value)
    assert message == KEYS_REFUSED
    assert KEY_1[:8] not in message


def test_keys_are_named_before_a_later_bad_setting(load: Load) -> None:
    assert _first_error(load, PAYLOAD_KEYS="x", PAYLOAD_KEY_ID="nope") == (
        "PAYLOAD_KEYS",
        KEYS_REFUSED,
    )


@pytest.mark.parametrize("value", ["test-3", "TEST-1", "test-1 ", "test-1,test-2"])
def test_key_id_must_name_one_of_the_keys(load: Load, value: str) -> None:
    assert _refused(load, "PAYLOAD_KEY_ID", value) == f"Value error, {KEYS['keyIdRule']}"


def test_encryption_off_needs_no_keys(load: Load) -> None:
    settings = load(PAYLOAD_ENCRYPTION="off", PAYLOAD_KEYS="")
    assert (settings.payload_encryption, settings.payload_keys, settings.payload_key_id) == (
        "off",
        None,
        None,
    )
    # A value given is still checked: a typo stays a typo.
    assert _refused(load, "PAYLOAD_KEY_ID", "test-1") == f"Value error, {KEYS['keyIdRule']}"
    assert load(PAYLOAD_ENCRYPTION="on", PAYLOAD_KEYS=TEST_KEYS).payload_encryption == "on"


@pytest.mark.parametrize("value", ["yes", "ON", "true", "1"])
def test_invalid_encryption_switch(load: Load, value: str) -> None:
    assert _refused(load, "PAYLOAD_ENCRYPTION", value) == "Input should be 'on' or 'off'"


def test_deployment_name_and_build_id(load: Load) -> None:
    settings = load(TEMPORAL_DEPLOYMENT_NAME="calc-blue", TEMPORAL_WORKER_BUILD_ID="v1.2_3-a")
    assert (settings.temporal_deployment_name, settings.temporal_worker_build_id) == (
        "calc-blue",
        "v1.2_3-a",
    )
    assert (
        load(TEMPORAL_DEPLOYMENT_NAME="", TEMPORAL_WORKER_BUILD_ID="").temporal_worker_build_id
        == "dev"
    )


@pytest.mark.parametrize("value", ["a b", "a/b", "v1:2", "b" * 65, "\u0661"])
def test_invalid_build_id(load: Load, value: str) -> None:
    assert _refused(load, "TEMPORAL_WORKER_BUILD_ID", value) == (
        f"String should match pattern '{VERSION['buildIdPattern']}'"
    )


def test_worker_versioning_switch(load: Load) -> None:
    switch = VERSION["versioning"]
    assert switch["variable"].lower() in Settings.model_fields
    assert load().temporal_worker_versioning == switch["default"] == "on"
    assert load(TEMPORAL_WORKER_VERSIONING="").temporal_worker_versioning == "on"
    assert load(TEMPORAL_WORKER_VERSIONING="off").temporal_worker_versioning == "off"
    assert load(TEMPORAL_WORKER_VERSIONING="on").temporal_worker_versioning == "on"


def test_worker_pollers(load: Load) -> None:
    pollers = RULES["pollers"]
    assert pollers["variable"].lower() in Settings.model_fields
    assert load().temporal_worker_pollers == pollers["default"] == "fixed"
    assert load(TEMPORAL_WORKER_POLLERS="").temporal_worker_pollers == "fixed"
    for value in pollers["values"]:
        assert load(TEMPORAL_WORKER_POLLERS=value).temporal_worker_pollers == value


@pytest.mark.parametrize("value", ["auto", "Autoscaling", "5", " fixed"])
def test_invalid_worker_pollers(load: Load, value: str) -> None:
    expected = " or ".join(f"'{v}'" for v in RULES["pollers"]["values"])
    assert _refused(load, "TEMPORAL_WORKER_POLLERS", value) == f"Input should be {expected}"


@pytest.mark.parametrize("value", ["yes", "ON", "false", " off"])
def test_invalid_worker_versioning(load: Load, value: str) -> None:
    expected = " or ".join(f"'{v}'" for v in VERSION["versioning"]["values"])
    assert _refused(load, "TEMPORAL_WORKER_VERSIONING", value) == f"Input should be {expected}"
