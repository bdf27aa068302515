"""When Vimeo is asked again: refresh intervals, backoff, the global pause and the refresh lease.

Pure policy over the schedule and the one refresh state that storage keeps. Every refresh
(background, CLI or admin) records its outcome here, so all of them share one schedule and one
backoff.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from ..models import FetchStatus
from ..settings import Settings
from ..storage.store import Reads, Transaction
from ..vimeo.errors import VimeoError

HOUR = 3600.0
MAX_RETRY_AFTER = 7 * 24 * HOUR  # a Retry-After beyond a week is taken as a week
# Spreading of delays: a generator of its own, so no other user of the ``random`` module sees its
# state move (property-based tests check that it does not while they draw their cases).
JITTER = random.Random()


@dataclass(frozen=True, slots=True)
class RefreshPolicy:
    """How often and how gently the service asks Vimeo; seconds throughout."""

    interval: float = 24 * HOUR  # GALLERY_REFRESH_HOURS: a full answer is good for this long
    restricted_ttl: float = 6 * HOUR  # a truncated (restricted) answer is asked again sooner
    negative_ttl: float = 1 * HOUR  # 404/403: re-checked soon, so a fixed setting shows quickly
    retry_base: float = 5 * 60.0  # first retry after a failure; doubles with each failure
    jitter: float = 0.1  # ± share of each delay: videos added together drift apart
    tick: float = 60.0  # how often the refresher looks for due work
    first_delay: float = 30.0  # first look after start-up (plus up to one tick at random)
    concurrency: int = 2  # refreshes at once; the Vimeo client caps requests per process too
    lease: float = 5 * 60.0  # a refresher that stops renewing loses the lease after this

    @classmethod
    def from_settings(cls, settings: Settings) -> RefreshPolicy:
        return cls(interval=settings.refresh_hours * HOUR)

    def _spread(self, seconds: float) -> float:
        return seconds * JITTER.uniform(1 - self.jitter, 1 + self.jitter)

    def retry_delay(self, failures: int, retry_after: float | None = None) -> float:
        """Exponential backoff capped at the interval; never sooner than Vimeo's Retry-After."""
        backoff = min(self.interval, self.retry_base * 2 ** max(0, min(failures - 1, 30)))
        backoff = self._spread(backoff)
        if retry_after:
            backoff = max(backoff, min(retry_after, MAX_RETRY_AFTER))
        return backoff

    def next_delay(self, status: FetchStatus, failures: int, retry_after: float | None) -> float:
        """Seconds until the next look, given what this attempt brought."""
        if failures:
            return self.retry_delay(failures, retry_after)
        if status in {FetchStatus.NOT_FOUND, FetchStatus.FORBIDDEN}:
            return self._spread(min(self.negative_ttl, self.interval))
        if status is FetchStatus.RESTRICTED:
            return self._spread(min(self.restricted_ttl, self.interval))
        return self._spread(self.interval)


@dataclass(frozen=True, slots=True)
class Due:
    vimeo_id: int
    next_check: float
    failures: int
    thumbnail: str | None


def record(
    tx: Transaction,
    policy: RefreshPolicy,
    vimeo_id: int,
    status: FetchStatus,
    now: float,
    error: VimeoError | None = None,
    thumbnail_failed: bool = False,
) -> float:
    """Store when to look at a video next; after trouble with Vimeo itself, pause everyone.

    ``error`` is a failed oEmbed request; a definite answer (404/403) is not a failure but a
    negative result, checked again after ``negative_ttl``. ``thumbnail_failed`` means the
    metadata came but the picture did not: that video alone retries with backoff.
    """
    failed = (error is not None and not error.definite) or thumbnail_failed
    failures = tx.refresh_failures(vimeo_id) + 1 if failed else 0
    retry_after = error.retry_after if error is not None else None
    next_check = now + policy.next_delay(status, failures, retry_after)
    tx.schedule_refresh(vimeo_id, next_check, failures)
    if error is not None and not error.definite:
        # 5xx, 429, a captcha, timeouts, nonsense: Vimeo (or the way to it) is in trouble, and
        # the next video would most likely fare the same. Nobody asks again before the pause ends.
        global_failures = tx.refresh_state().failures + 1
        pause = policy.retry_delay(global_failures, retry_after)
        tx.pause_refresh(now + pause, global_failures, error.message)
    else:  # Vimeo answered (even if only "not found"): the trouble, if any, is over.
        tx.end_refresh_pause()
    return next_check


def due(reads: Reads, policy: RefreshPolicy, now: float) -> list[Due]:
    """Every video with its next check; videos never scheduled count from their last fetch."""
    result = []
    for video in reads.scheduled_videos():
        next_check = video.next_check
        if next_check is None:
            next_check = _timestamp(video.fetched_at) + policy.interval if video.fetched_at else now
        result.append(Due(video.vimeo_id, next_check, video.failures or 0, video.thumbnail))
    return sorted(result, key=lambda d: (d.next_check, d.vimeo_id))


def _timestamp(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0
