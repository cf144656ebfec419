"""The power_of_2 activity."""

import asyncio
from typing import Any

from temporalio import activity

from .contract import ACTIVITY_NAME, EXPONENT, HEARTBEAT_INTERVAL_SECONDS
from .payload import format_number, parse_number


class PowerOf2Activities:
    """Holds what the activity needs from the worker, so the activity never reads the env."""

    def __init__(
        self,
        *,
        identity: str,
        wait_seconds: float,
        heartbeat_interval_seconds: float = HEARTBEAT_INTERVAL_SECONDS,
    ) -> None:
        self._identity = identity
        self._wait_seconds = wait_seconds
        self._heartbeat_interval_seconds = heartbeat_interval_seconds

    # The parameter is Any, not str: the SDK then hands over whatever JSON arrived, and a
    # non-string becomes a non-retryable InvalidNumber instead of a converter error that
    # Temporal would retry forever. (The converter rejects a plain `object` hint.)
    @activity.defn(name=ACTIVITY_NAME)
    async def power_of_2(self, value: Any) -> str:
        number = parse_number(value)
        activity.logger.info(
            "started: input of %d characters, waiting %ss (identity=%s)",
            len(value),
            self._wait_seconds,
            self._identity,
        )
        try:
            await self._wait()
        except asyncio.CancelledError:
            # Re-raised so that the SDK reports the activity as cancelled, not failed.
            activity.logger.info("cancelled while waiting (identity=%s)", self._identity)
            raise
        result = format_number(number**EXPONENT)
        activity.logger.info(
            "completed: result of %d digits (identity=%s)", len(result), self._identity
        )
        return result

    async def _wait(self) -> None:
        """Sleep for the configured wait, heartbeating so the server can see us and cancel us."""
        if self._wait_seconds <= 0:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_seconds
        while (remaining := deadline - loop.time()) > 0:
            activity.heartbeat()
            await asyncio.sleep(min(self._heartbeat_interval_seconds, remaining))
