"""Background refresh of Vimeo metadata: a task in the app's lifespan, never on a visitor's request.

Every ``tick`` it looks (read-only) for due work: videos whose next check has come, videos
whose stored thumbnail file has gone missing, and pictures stored before smaller copies of them
were made (a few per pass: :mod:`gallery.content.variants`). Only then does it take the refresh
lease in the database, so one process refreshes at a time however many run, and refreshes at most
``concurrency`` videos at once. Trouble with Vimeo itself (5xx, 429, captcha, timeouts) ends the
pass and pauses every refresher (see :mod:`gallery.content.schedule`).

Every write drops the pages cached by every process, so the refresher writes as little as it
can: nothing when nothing is due, one transaction per refreshed video, and the lease is kept
from pass to pass (renewed when half used up) and given back only when the app stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass

from anyio import to_thread

from ..storage.engine import DatabaseUnavailable
from . import schedule, variants
from .curate import CurateError, Curator

log = logging.getLogger("gallery.refresher")


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one pass did; ``skipped`` says why it did nothing, if it did nothing."""

    refreshed: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()
    skipped: str = ""
    derived: tuple[str, ...] = ()  # pictures stored before smaller copies were made, given theirs now


class Refresher:
    """Owns the background task; ``run_once`` is one pass (tests call it directly)."""

    def __init__(self, curator: Curator) -> None:
        self.curator = curator  # the app's one curator: its database, thumbnails, client and timing
        self.storage = curator.storage
        self.thumbnails = curator.thumbnails
        self.policy = curator.policy
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._task: asyncio.Task[None] | None = None
        self._lease_until = 0.0
        # Pictures this process found it cannot make copies of (missing or unreadable): not retried.
        self._unreadable: set[str] = set()

    def start(self) -> None:
        """Start in the background and return at once: start-up never waits for Vimeo."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="gallery-refresher")

    async def stop(self) -> None:
        """End the background task (not waiting for Vimeo) and give the lease back."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._lease_until:
            with contextlib.suppress(Exception):
                await to_thread.run_sync(self._release)

    async def _run(self) -> None:
        await asyncio.sleep(self.policy.first_delay + schedule.JITTER.uniform(0, self.policy.tick))
        while True:
            try:
                await self.run_once()
            except DatabaseUnavailable:  # the storage says so once; the next pass tries again
                pass
            except Exception:  # a bad pass must not end background refreshing for good
                log.exception("background refresh pass failed")
            await asyncio.sleep(self.policy.tick * schedule.JITTER.uniform(0.9, 1.1))

    async def run_once(self) -> PassReport:
        """Refresh what is due now, if this process may; never raises for Vimeo's sake."""
        now = time.time()
        due, paused = await to_thread.run_sync(self._due, now)
        lacking = await to_thread.run_sync(self._lacking)
        if not lacking:
            if not due:
                return PassReport(skipped="nothing due")
            if paused:
                return PassReport(skipped="paused")
        if not await to_thread.run_sync(self._take_lease, time.time()):
            return PassReport(skipped="lease held elsewhere")
        # Needs no Vimeo, so not held up by a pause: only the pictures already stored.
        derived = tuple(await to_thread.run_sync(self._derive)) if lacking else ()
        if not due or paused:
            return PassReport(derived=derived, skipped="nothing due" if not due else "paused")
        refreshed: list[int] = []
        failed: list[int] = []
        queue = list(due)
        stop = False

        async def worker() -> None:
            nonlocal stop
            while queue and not stop:
                vimeo_id = queue.pop(0)
                if not await to_thread.run_sync(self._take_lease, time.time()):
                    stop = True  # lost the lease (e.g. this process stalled): let the holder go on
                    return
                try:
                    outcome = await self.curator.refresh(vimeo_id)
                except CurateError:  # removed meanwhile
                    continue
                if outcome.error is not None and not outcome.error.definite:
                    failed.append(vimeo_id)
                    stop = True  # Vimeo is in trouble: the pause set by the schedule applies
                elif outcome.thumbnail_error is not None:
                    failed.append(vimeo_id)
                else:
                    refreshed.append(vimeo_id)

        workers = max(1, min(self.policy.concurrency, len(due)))
        await asyncio.gather(*(worker() for _ in range(workers)))
        if failed:
            log.warning("background refresh: %d ok, %d failed", len(refreshed), len(failed))
        return PassReport(tuple(refreshed), tuple(failed), derived=derived)

    # --- database work (in a worker thread) ----------------------------------------------

    def _due(self, now: float) -> tuple[list[int], bool]:
        with self.storage.read() as reads:
            entries = schedule.due(reads, self.policy, now)
            paused = reads.refresh_state().paused_until > now
        # A thumbnail file that vanished (disk trouble, a restored backup) is fetched again on the
        # next pass. Only the refresher looks: a visitor gets the placeholder and causes nothing.
        missing = [
            e.vimeo_id
            for e in entries
            if e.thumbnail
            and e.failures == 0  # already retrying with backoff otherwise
            and e.next_check > now
            and not self.thumbnails.exists(e.thumbnail)
        ]
        if missing:
            with self.storage.transaction() as tx:
                tx.bring_forward(missing, now)
        due = [e.vimeo_id for e in entries if e.next_check <= now or e.vimeo_id in missing]
        return due, paused

    def _lacking(self) -> bool:
        """Whether some picture in use has no smaller copies yet (and was not found unreadable)."""
        found = self.storage.pictures_without_variants(len(self._unreadable) + 1)
        return any(name not in self._unreadable for name in found)

    def _derive(self) -> list[str]:
        return variants.backfill(self.storage, self.thumbnails, self._unreadable)

    def _take_lease(self, now: float) -> bool:
        """Take or renew the lease; renewed only when half used up (each write drops page caches).

        Whether another process took it over (this one stalled past the expiry) is seen at the
        next renewal; until then at most the videos already being refreshed are asked twice.
        """
        if now < self._lease_until - self.policy.lease / 2:
            return True
        with self.storage.transaction() as tx:
            held = tx.take_lease(self.holder, now, self.policy.lease)
        self._lease_until = now + self.policy.lease if held else 0.0
        return held

    def _release(self) -> None:
        self._lease_until = 0.0
        with self.storage.transaction() as tx:
            tx.release_lease(self.holder)
