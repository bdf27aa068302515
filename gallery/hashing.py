"""Password checks in a lane of their own, apart from the thread pool that renders pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread

T = TypeVar("T")

# scrypt takes 32 MiB per check: two at once keep a burst from exhausting memory (64 MiB).
RUNNING = 2
# Checks waiting beyond this are refused at once ("try again in a few seconds"): at ~0.3 s a
# check that is at most ~3 s of waiting, and a storm costs coroutines, not threads.
WAITING = 16
# Room a browser that signed in before (a valid device cookie) still finds when strangers have
# filled the queue: a storm of anonymous attempts does not keep editors out.
KNOWN_EXTRA = 8


class HashingLane:
    """At most ``running`` checks at once, in threads outside anyio's default pool (whose
    limiter the page renderers share); at most ``waiting`` more queue for them."""

    def __init__(
        self, running: int = RUNNING, waiting: int = WAITING, known_extra: int = KNOWN_EXTRA
    ) -> None:
        self._limiter = CapacityLimiter(running)
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
        assert self._lane is not None, "a seat runs one check while it is held"
        return await to_thread.run_sync(func, *args, limiter=self._lane._limiter)

    def __enter__(self) -> Seat:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lane is not None:
            self._lane._leave()
            self._lane = None
