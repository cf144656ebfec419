"""The activity over the shared vectors, long inputs, heartbeats and cancellation."""

import asyncio
import sys
import time
from typing import Any

import pytest
from calc_contracts import CONTRACT
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from power_of_2.activities import MAX_DIGITS, NAME, STEP, PowerOf2Activities
from tests.contract_files import VECTORS


def _activities(wait_seconds: float = 0, **kwargs: Any) -> PowerOf2Activities:
    return PowerOf2Activities(wait_seconds, **kwargs)


async def _run(value: Any, wait_seconds: float = 0) -> str:
    return await ActivityEnvironment().run(_activities(wait_seconds).power_of_2, value)


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
async def test_valid_vector(vector: dict[str, str]) -> None:
    assert await _run(vector["input"]) == vector[NAME]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
async def test_invalid_vector(vector: dict[str, Any]) -> None:
    with pytest.raises(ApplicationError) as caught:
        await _run(vector["value"])
    err = caught.value
    assert err.type == CONTRACT["invalidNumberErrorType"] == "InvalidNumber"
    assert err.non_retryable is True
    assert err.message.startswith(f"{NAME}: invalid number ")
    assert vector["mentions"] in err.message
    # A rejected value is quoted at most 80 characters long, so messages stay readable.
    assert len(err.message) < 250


def test_vectors_cover_the_payload_bound() -> None:
    assert any(len(v["value"]) > MAX_DIGITS for v in VECTORS["invalid"] if v["value"])


async def test_longest_input_beyond_cpython_int_text_limit() -> None:
    # (10**k - 1)**2 == 10**2k - 2*10**k + 1, whose digits are known without converting.
    k = MAX_DIGITS
    expected = "9" * (k - 1) + "8" + "0" * (k - 1) + "1"
    assert STEP["exponent"] == 2
    assert await _run("9" * k) == expected
    assert await _run("-" + "9" * k) == expected


async def test_leading_zeros_do_not_count_against_output_size() -> None:
    assert await _run("0" * (MAX_DIGITS - 1) + "3") == "9"


def test_int_text_limit_is_lifted_for_the_process() -> None:
    limit = sys.get_int_max_str_digits()
    assert limit == 0 or limit >= MAX_DIGITS * STEP["exponent"]


async def test_one_digit_too_many_is_rejected() -> None:
    with pytest.raises(ApplicationError, match=f"at most {MAX_DIGITS} digits"):
        await _run("1" * (MAX_DIGITS + 1))


async def test_invalid_input_fails_before_waiting() -> None:
    started = time.monotonic()
    with pytest.raises(ApplicationError):
        await _run("2.5", wait_seconds=30)
    assert time.monotonic() - started < 5


async def test_zero_wait_neither_sleeps_nor_heartbeats() -> None:
    env = ActivityEnvironment()
    beats: list[tuple[Any, ...]] = []

    def record(*details: Any) -> None:
        beats.append(details)

    env.on_heartbeat = record
    assert await env.run(_activities(0).power_of_2, "12") == "144"
    assert beats == []


async def test_wait_heartbeats_every_interval() -> None:
    env = ActivityEnvironment()
    beat_times: list[float] = []

    def record(*_details: Any) -> None:
        beat_times.append(time.monotonic())

    env.on_heartbeat = record
    acts = _activities(0.35, heartbeat_seconds=0.1)
    started = time.monotonic()
    assert await env.run(acts.power_of_2, "-7") == "49"
    elapsed = time.monotonic() - started
    assert elapsed >= 0.35
    # One heartbeat as the wait begins, then one per interval: 0, 0.1, 0.2, 0.3 (a loaded
    # machine that oversleeps may skip the last).
    assert 3 <= len(beat_times) <= 4
    assert beat_times[0] - started < 0.05


async def test_default_interval_heartbeats_at_start_of_short_wait() -> None:
    env = ActivityEnvironment()
    beats: list[tuple[Any, ...]] = []

    def record(*details: Any) -> None:
        beats.append(details)

    env.on_heartbeat = record
    assert await env.run(_activities(0.2).power_of_2, "3") == "9"
    assert len(beats) == 1


async def test_cancellation_during_wait_stops_the_activity() -> None:
    env = ActivityEnvironment()
    heartbeated = asyncio.Event()

    def record(*_details: Any) -> None:
        heartbeated.set()

    env.on_heartbeat = record
    acts = _activities(30, heartbeat_seconds=0.05)
    started = time.monotonic()
    task = asyncio.create_task(env.run(acts.power_of_2, "3"))
    await asyncio.wait_for(heartbeated.wait(), timeout=5)
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 5
