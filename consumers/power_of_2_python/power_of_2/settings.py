"""Every setting of the worker process, checked before anything connects.

The rules and the message are those of contract.json's settings section, so the three
languages refuse the same values with the same line and exit code.
"""

import base64
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from . import contract

# Long enough to recognise the value, short enough to keep the message on one line.
_SHOWN_CHARS = 40

# Settings whose value no message may show.
_SECRETS = frozenset({contract.KEYS_VARIABLE})
# Standard base64 of exactly 32 bytes: 43 characters and one '=' of padding.
_KEY_PATTERN = r"[A-Za-z0-9+/]{43}="


class SettingsError(ValueError):
    """The first malformed setting, worded as contract.json's settings message."""


def _rule(pattern: str, rule: str, convert: Callable[[str], Any] = str) -> BeforeValidator:
    """Accept a raw value that matches pattern in full and converts; otherwise fail with rule."""

    def check(raw: str) -> Any:
        try:
            if re.fullmatch(pattern, raw) is not None:
                return convert(raw)
        except (ValueError, OverflowError):
            pass
        raise PydanticCustomError("invalid_setting", rule)

    return BeforeValidator(check)


def _seconds(raw: str) -> float:
    seconds = float(raw)
    # Hundreds of digits pass the pattern but make no duration (float gives inf).
    timedelta(seconds=seconds)
    return seconds


def _port(raw: str) -> int:
    port = int(raw)
    if not 1 <= port <= 65535:
        raise ValueError(raw)
    return port


Seconds = Annotated[float, _rule(contract.SECONDS_PATTERN, contract.SECONDS_RULE, _seconds)]
Replica = Annotated[str, _rule(contract.REPLICA_PATTERN, contract.REPLICA_RULE)]
Port = Annotated[int | None, _rule("[0-9]+", contract.PORT_RULE, _port)]
LogFormat = Literal["json", "text"]
BuildId = Annotated[str, _rule(contract.BUILD_ID_PATTERN, contract.BUILD_ID_RULE)]
Switch = Annotated[bool, _rule("on|off", contract.ENCRYPTION_RULE, lambda raw: raw == "on")]


def parse_keys(raw: str) -> dict[str, bytes]:
    """PAYLOAD_KEYS as {id: key}; the error never carries the value."""
    keys: dict[str, bytes] = {}
    for pair in raw.split(","):
        key_id, _, key = pair.partition(":")
        if (
            re.fullmatch(contract.KEY_ID_PATTERN, key_id) is None
            or re.fullmatch(_KEY_PATTERN, key) is None
            or key_id in keys
        ):
            raise PydanticCustomError("invalid_setting", contract.KEYS_RULE)
        keys[key_id] = base64.b64decode(key, validate=True)
    return keys


class Settings(BaseSettings):
    """Unset or empty means the default; a port left unset turns its server off."""

    # The defaults are already of the final type; only raw environment strings are checked.
    model_config = SettingsConfigDict(
        case_sensitive=True, env_ignore_empty=True, validate_default=False, frozen=True
    )

    wait_seconds: Seconds = Field(
        contract.DEFAULT_WAIT_SECONDS, validation_alias=contract.WAIT_VARIABLE
    )
    replica: Replica = Field(contract.DEFAULT_REPLICA, validation_alias=contract.REPLICA_VARIABLE)
    shutdown_grace_seconds: Seconds = Field(
        contract.DEFAULT_SHUTDOWN_GRACE_SECONDS, validation_alias=contract.SHUTDOWN_GRACE_VARIABLE
    )
    log_format: Annotated[
        LogFormat, _rule("|".join(contract.LOG_FORMATS), contract.LOG_FORMAT_RULE)
    ] = Field(contract.DEFAULT_LOG_FORMAT, validation_alias=contract.LOG_FORMAT_VARIABLE)
    metrics_port: Port = Field(None, validation_alias="METRICS_PORT")
    metrics_host: str = Field("127.0.0.1", validation_alias="METRICS_HOST")
    health_port: Port = Field(None, validation_alias=contract.HEALTH_PORT_VARIABLE)
    health_host: str = Field(
        contract.DEFAULT_HEALTH_HOST, validation_alias=contract.HEALTH_HOST_VARIABLE
    )

    deployment_name: str = Field(
        contract.DEFAULT_DEPLOYMENT_NAME, validation_alias=contract.DEPLOYMENT_NAME_VARIABLE
    )
    build_id: BuildId = Field(
        contract.DEFAULT_BUILD_ID, validation_alias=contract.BUILD_ID_VARIABLE
    )
    # The three below in this order: each validator reads the ones before it.
    encryption: Switch = Field(True, validation_alias=contract.ENCRYPTION_VARIABLE)
    # Checked even when unset, since encryption needs them; the keys stay out of repr.
    payload_keys: Annotated[dict[str, bytes] | None, NoDecode] = Field(
        None, validation_alias=contract.KEYS_VARIABLE, validate_default=True, repr=False
    )
    payload_key_id: str | None = Field(
        None, validation_alias=contract.KEY_ID_VARIABLE, validate_default=True
    )

    @field_validator("payload_keys", mode="before")
    @classmethod
    def _keys(cls, raw: str | None, info: ValidationInfo) -> dict[str, bytes] | None:
        if raw is not None:
            return parse_keys(raw)
        if info.data.get("encryption") is False:
            return None
        raise PydanticCustomError("invalid_setting", contract.KEYS_RULE)

    @field_validator("payload_key_id", mode="before")
    @classmethod
    def _key_id(cls, raw: str | None, info: ValidationInfo) -> str | None:
        keys = info.data.get("payload_keys") or {}
        if raw is None:
            return next(iter(keys), None)
        if raw not in keys:
            raise PydanticCustomError("invalid_setting", contract.KEY_ID_RULE)
        return raw

    @property
    def metrics_address(self) -> str | None:
        """host:port of the Prometheus endpoint, as the SDK's runtime wants it."""
        if self.metrics_port is None:
            return None
        host = f"[{self.metrics_host}]" if ":" in self.metrics_host else self.metrics_host
        return f"{host}:{self.metrics_port}"


def load_settings() -> Settings:
    """Read the environment, raising SettingsError for the first malformed setting."""
    try:
        return Settings()
    except ValidationError as err:
        first = err.errors()[0]
        name = str(first["loc"][0])
        # A value read from the environment is located by its variable, a default by its field.
        if name in Settings.model_fields:
            name = str(Settings.model_fields[name].validation_alias)
        raise SettingsError(invalid_setting(name, first["input"], first["msg"])) from None


def invalid_setting(name: str, raw: str, rule: str) -> str:
    if name in _SECRETS:
        return f"invalid setting {name} (value not shown): expected {rule}"
    shown = json.dumps(raw[:_SHOWN_CHARS], ensure_ascii=False)
    if len(raw) > _SHOWN_CHARS:
        shown += "..."
    return contract.SETTINGS_MESSAGE.format(name=name, value=shown, rule=rule)
