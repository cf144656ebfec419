"""Worker settings read from the environment, checked before anything connects."""

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from .contract import (
    DEFAULT_REPLICA,
    DEFAULT_SHUTDOWN_GRACE_SECONDS,
    DEFAULT_WAIT_SECONDS,
    REPLICA_VARIABLE,
    SHUTDOWN_GRACE_VARIABLE,
    WAIT_PATTERN,
    WAIT_VARIABLE,
)

# fullmatch with re.ASCII: no trailing newline, no non-ASCII digits, nothing float() would
# also accept such as "1e3", "inf" or " 1".
_SECONDS = re.compile(WAIT_PATTERN.removeprefix("^").removesuffix("$"), re.ASCII)

# The replica ends up inside the worker identity, so keep it to one plain token.
_REPLICA = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)


class ConfigError(ValueError):
    """A setting is malformed; the message names the variable and the value."""


def _shown(raw: str) -> str:
    # Long enough to recognise the value, short enough to keep the error on one line.
    return repr(raw) if len(raw) <= 40 else repr(raw[:40]) + "..."


@dataclass(frozen=True)
class WorkerConfig:
    wait_seconds: float
    replica: str
    shutdown_grace_seconds: float


def load_config(env: Mapping[str, str] | None = None) -> WorkerConfig:
    """Read every setting, raising ConfigError on the first malformed one."""
    source = os.environ if env is None else env
    return WorkerConfig(
        wait_seconds=_seconds(source, WAIT_VARIABLE, DEFAULT_WAIT_SECONDS),
        replica=_replica(source),
        shutdown_grace_seconds=_seconds(
            source, SHUTDOWN_GRACE_VARIABLE, DEFAULT_SHUTDOWN_GRACE_SECONDS
        ),
    )


def parse_seconds(name: str, raw: str | None, default: float) -> float:
    """A non-negative decimal number of seconds; unset or empty means the default."""
    if raw is None or raw == "":
        return default
    if _SECONDS.fullmatch(raw) is None:
        raise ConfigError(
            f"{name}={_shown(raw)} is not a non-negative decimal number of seconds "
            f"(expected something like 0, 1 or 2.5)"
        )
    seconds = float(raw)
    # A value with hundreds of digits passes the pattern but is no usable duration.
    try:
        if not math.isfinite(seconds):
            raise OverflowError
        timedelta(seconds=seconds)
    except OverflowError:
        raise ConfigError(f"{name}={_shown(raw)} is too large to be a duration") from None
    return seconds


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    return parse_seconds(name, env.get(name), default)


def _replica(env: Mapping[str, str]) -> str:
    raw = env.get(REPLICA_VARIABLE)
    if raw is None or raw == "":
        return DEFAULT_REPLICA
    if _REPLICA.fullmatch(raw) is None:
        raise ConfigError(
            f"{REPLICA_VARIABLE}={_shown(raw)} is not a valid replica name "
            f"(expected letters, digits, '.', '_' or '-', e.g. 1 or 2)"
        )
    return raw
