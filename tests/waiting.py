"""The tests' one way to wait: poll a condition until it holds, within a deadline, and fail with
what was awaited (and what was seen) when it does not. Never a sleep that races the code under
test. `wait_for` polls from a plain thread; `wait_for_async` lets an app run between polls (the
console's `app_fixtures.wait_for` hands it `pilot.pause`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def _timed_out(timeout: float, what: str, seen: Callable[[], str] | None) -> None:
    detail = f"; {seen()}" if seen is not None else ""
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}{detail}")


def wait_for(
    check: Callable[[], T],
    timeout: float,
    what: str,
    *,
    interval: float = 0.05,
    seen: Callable[[], str] | None = None,
    gone: Callable[[], bool] | None = None,
) -> T:
    """Poll `check` until it returns something truthy, and return that. Fails after `timeout`
    seconds, or at once when `gone()` says the awaited process ended; `seen()` tells the end."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline or (gone is not None and gone()):
            _timed_out(timeout, what, seen)
        time.sleep(interval)


async def wait_for_async(
    check: Callable[[], T],
    timeout: float,
    what: str,
    *,
    pause: Callable[[], Awaitable[object]],
    seen: Callable[[], str] | None = None,
) -> T:
    """`wait_for` in a coroutine: `await pause()` between polls lets the event loop run."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            _timed_out(timeout, what, seen)
        await pause()
