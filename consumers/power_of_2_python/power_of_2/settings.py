"""Every setting of the worker process, checked before anything connects.

The rules and the message are those of contract.json's settings section, so the three
languages refuse the same values with the same line and exit code.
"""

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from . import contract

# Long enough to recognise the value, short enough to keep the message on one line.
_SHOWN_CHARS = 40


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
        raise SettingsError(
            invalid_setting(str(first["loc"][0]), first["input"], first["msg"])
        ) from None


def invalid_setting(name: str, raw: str, rule: str) -> str:
    shown = json.dumps(raw[:_SHOWN_CHARS], ensure_ascii=False)
    if len(raw) > _SHOWN_CHARS:
        shown += "..."
    return contract.SETTINGS_MESSAGE.format(name=name, value=shown, rule=rule)
