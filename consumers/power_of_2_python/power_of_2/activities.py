"""The power_of_2 activity: n -> n**2, exact, on integers sent as decimal strings."""

import asyncio
import json
import re
import sys
import time
from typing import Any

from calc_contracts import CONTRACT
from temporalio import activity
from temporalio.exceptions import ApplicationError

NAME = "power_of_2"
STEP = next(step for step in CONTRACT["steps"] if step["activity"] == NAME)
MAX_DIGITS: int = CONTRACT["payload"]["maxDigits"]
# CPython refuses int/str conversions past 4300 digits; the longest number here is the output.
sys.set_int_max_str_digits(MAX_DIGITS * STEP["exponent"])


def invalid_number(value: Any, rule: str) -> ApplicationError:
    """Not retryable, since the same input never succeeds; the value is quoted as JSON."""
    shown = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    message = f"{NAME}: invalid number {shown[:80]}{'...' if len(shown) > 80 else ''}: {rule}"
    return ApplicationError(message, type=CONTRACT["invalidNumberErrorType"], non_retryable=True)


class PowerOf2Activities:
    """Holds the wait, so that the activity itself never reads the environment."""

    def __init__(self, wait_seconds: float, heartbeat_seconds: float | None = None) -> None:
        self.wait_seconds = wait_seconds
        self.heartbeat_seconds = heartbeat_seconds or CONTRACT["heartbeatIntervalSeconds"]

    # Any, not str: a JSON value of another type then fails here as InvalidNumber, rather than
    # in the converter with an error that Temporal would retry.
    @activity.defn(name=NAME)
    async def power_of_2(self, value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(CONTRACT["payload"]["pattern"], value):
            rule = "expected a string of base-10 digits with an optional leading '-'"
            raise invalid_number(value, rule)
        if len(value.removeprefix("-")) > MAX_DIGITS:
            raise invalid_number(value, f"expected at most {MAX_DIGITS} digits")
        activity.logger.info("started: %d characters, waiting %ss", len(value), self.wait_seconds)
        # Heartbeats show the server that this worker lives and bring back a cancellation,
        # which then leaves the sleep as CancelledError.
        deadline = time.monotonic() + self.wait_seconds
        while (left := deadline - time.monotonic()) > 0:
            activity.heartbeat()
            await asyncio.sleep(min(self.heartbeat_seconds, left))
        result = str(int(value) ** STEP["exponent"])
        activity.logger.info("completed: result of %d digits", len(result))
        return result
