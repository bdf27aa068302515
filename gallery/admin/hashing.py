"""Password checks in a lane of their own, apart from the threads that render pages."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# scrypt takes 32 MiB per check: two at once keep a burst from exhausting memory (64 MiB).
RUNNING = 2
# Checks waiting beyond this are refused at once ("try again in a few seconds"): at ~0.3 s a
# check that is at most ~3 s of waiting, and a storm costs waiting coroutines, not threads.
WAITING = 16
# Room a browser that signed in before (a valid device cookie) still finds when strangers have
# filled the queue: a storm of anonymous attempts does not keep editors out.
KNOWN_EXTRA = 8
# The lane's threads run at a lower CPU priority (Linux nice): on a small machine, where two
# checks can keep every core busy, the threads rendering pages still come first.
NICENESS = 10


class HashingLane:
    """At most ``running`` checks at once, in threads of their own, never in anyio's default pool
    (whose limiter the page renderers share); at most ``waiting`` more queue for them."""

    def __init__(
        self, running: int = RUNNING, waiting: int = WAITING, known_extra: int = KNOWN_EXTRA
    ) -> None:
        self._executor = ThreadPoolExecutor(running, "password-check", initializer=_lower_priority)
        self._bound = running + waiting
        self._known_extra = known_extra
        self._admitted = 0

    def seat(self, *, known: bool = False) -> Seat | None:
        """A place in the lane, or None when it is full (answer "busy", count nothing)."""
        if self._admitted >= self._bound + (self._known_extra if known else 0):
            return None
        self._admitted += 1  # on the event loop: no await between the check and this
        return Seat(self)

    def _leave(self) -> None:
        self._admitted -= 1


class Seat:
    """Held from admission until the check is done; ``with seat:`` gives it back."""

    def __init__(self, lane: HashingLane) -> None:
        self._lane: HashingLane | None = lane

    async def run(self, func: Callable[..., T], *args: object) -> T:
        assert self._lane is not None, "a seat runs checks only while it is held"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._lane._executor, functools.partial(func, *args))

    def __enter__(self) -> Seat:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lane is not None:
            self._lane._leave()
            self._lane = None


def _lower_priority() -> None:
    # On Linux a thread has its own nice value; elsewhere this would renice the whole process.
    if sys.platform == "linux":
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            niceness = os.getpriority(os.PRIO_PROCESS, thread) + NICENESS
            os.setpriority(os.PRIO_PROCESS, thread, min(niceness, 19))
