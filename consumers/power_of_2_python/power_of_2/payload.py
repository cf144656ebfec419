"""The wire format of a number: a JSON string of base-10 digits with an optional leading '-'."""

import json
import re
import sys
from typing import Any

from temporalio.exceptions import ApplicationError

from .contract import (
    ACTIVITY_NAME,
    EXPONENT,
    INVALID_NUMBER_ERROR_TYPE,
    PAYLOAD_MAX_DIGITS,
    PAYLOAD_PATTERN,
)

# re.ASCII keeps the class to the ten ASCII digits; fullmatch (rather than match with '$')
# stops a trailing newline from slipping through.
_NUMBER = re.compile(PAYLOAD_PATTERN.removeprefix("^").removesuffix("$"), re.ASCII)

DIGITS_RULE = "expected a string of base-10 digits with an optional leading '-'"
LENGTH_RULE = f"expected at most {PAYLOAD_MAX_DIGITS} digits"

# The contract lets a rejected value be quoted only this far.
_SHOWN_CHARS = 80

# The largest number this worker ever turns into text is its output.
_MAX_TEXT_DIGITS = PAYLOAD_MAX_DIGITS * EXPONENT


def allow_payload_sized_ints() -> None:
    """Lift CPython's int/str conversion limit (4300 digits) to what the contract allows.

    The limit is process-wide and also applies to the JSON decoder that turns payloads into
    arguments, so it is raised once, on import, rather than per call.
    """
    current = sys.get_int_max_str_digits()
    if current != 0 and current < _MAX_TEXT_DIGITS:
        sys.set_int_max_str_digits(_MAX_TEXT_DIGITS)


def parse_number(value: Any) -> int:
    """Return the integer that a payload holds, or raise the contract's InvalidNumber failure."""
    if not isinstance(value, str) or _NUMBER.fullmatch(value) is None:
        raise invalid_number(value, DIGITS_RULE)
    if len(value.removeprefix("-")) > PAYLOAD_MAX_DIGITS:
        raise invalid_number(value, LENGTH_RULE)
    return int(value)


def format_number(number: int) -> str:
    """Canonical text: int's own rendering never has leading zeros or a '-0'."""
    return str(number)


def invalid_number(value: Any, rule: str) -> ApplicationError:
    # Non-retryable: the same input can never succeed, so retries would only delay the failure.
    return ApplicationError(
        f"{ACTIVITY_NAME}: invalid number {_quote(value)}: {rule}",
        type=INVALID_NUMBER_ERROR_TYPE,
        non_retryable=True,
    )


def _quote(value: Any) -> str:
    # Compact separators and raw non-ASCII characters match what JSON.stringify and Go's
    # encoder print, so the three languages quote the same value the same way.
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > _SHOWN_CHARS:
        text = text[:_SHOWN_CHARS] + "..."
    return text


allow_payload_sized_ints()
