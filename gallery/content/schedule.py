"""When Vimeo is asked again: refresh intervals, backoff, the global pause and the refresh lease.

Pure policy plus a few queries on ``refresh_schedule`` and ``refresh_state`` (migration 0004).
Every refresh (background, CLI or admin) records its outcome here, so all of them share one
schedule and one backoff.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..models import FetchStatus
from ..settings import Settings
from ..vimeo.errors import VimeoError

HOUR = 3600.0
MAX_RETRY_AFTER = 7 * 24 * HOUR  # a Retry-After beyond a week is taken as a week


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
        return seconds * random.uniform(1 - self.jitter, 1 + self.jitter)

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


@dataclass(frozen=True, slots=True)
class State:
    holder: str
    lease_until: float
    paused_until: float
    failures: int
    reason: str


def record(
    conn: sqlite3.Connection,
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
    row = conn.execute("SELECT failures FROM refresh_schedule WHERE vimeo_id = ?", (vimeo_id,)).fetchone()
    failures = (row[0] if row else 0) + 1 if failed else 0
    retry_after = error.retry_after if error is not None else None
    next_check = now + policy.next_delay(status, failures, retry_after)
    conn.execute(
        "INSERT INTO refresh_schedule (vimeo_id, next_check, failures) VALUES (?, ?, ?)"
        " ON CONFLICT (vimeo_id) DO UPDATE SET next_check = excluded.next_check,"
        " failures = excluded.failures",
        (vimeo_id, next_check, failures),
    )
    if error is not None and not error.definite:
        # 5xx, 429, a captcha, timeouts, nonsense: Vimeo (or the way to it) is in trouble, and
        # the next video would most likely fare the same. Nobody asks again before the pause ends.
        (global_failures,) = conn.execute("SELECT failures + 1 FROM refresh_state").fetchone()
        pause = policy.retry_delay(global_failures, retry_after)
        conn.execute(
            "UPDATE refresh_state SET paused_until = MAX(paused_until, ?), failures = ?, reason = ?",
            (now + pause, global_failures, error.message),
        )
    else:  # Vimeo answered (even if only "not found"): the trouble, if any, is over.
        conn.execute("UPDATE refresh_state SET paused_until = 0, failures = 0, reason = ''")
    return next_check


def state(conn: sqlite3.Connection) -> State:
    row = conn.execute(
        "SELECT holder, lease_until, paused_until, failures, reason FROM refresh_state"
    ).fetchone()
    return State(*row)


def due(conn: sqlite3.Connection, policy: RefreshPolicy, now: float) -> list[Due]:
    """Every video with its next check; videos never scheduled count from their last fetch."""
    rows = conn.execute(
        "SELECT v.vimeo_id, v.fetched_at, v.thumbnail, r.next_check, r.failures"
        " FROM videos v LEFT JOIN refresh_schedule r USING (vimeo_id)"
        " WHERE v.vimeo_id IN (SELECT vimeo_id FROM statements)"
    )
    result = []
    for vimeo_id, fetched_at, thumbnail, next_check, failures in rows:
        if next_check is None:
            next_check = _timestamp(fetched_at) + policy.interval if fetched_at else now
        result.append(Due(vimeo_id, next_check, failures or 0, thumbnail))
    return sorted(result, key=lambda d: (d.next_check, d.vimeo_id))


def mark_due(conn: sqlite3.Connection, vimeo_ids: list[int], now: float) -> None:
    """Bring these videos forward to the next pass (their stored thumbnail file is missing)."""
    conn.executemany(
        "INSERT INTO refresh_schedule (vimeo_id, next_check) VALUES (?, ?)"
        " ON CONFLICT (vimeo_id) DO UPDATE SET next_check = MIN(next_check, excluded.next_check)",
        [(vimeo_id, now) for vimeo_id in vimeo_ids],
    )


def take_lease(conn: sqlite3.Connection, holder: str, now: float, seconds: float) -> bool:
    """Hold (or keep holding) the one refresh lease; False while another live process has it."""
    cursor = conn.execute(
        "UPDATE refresh_state SET holder = ?, lease_until = ? WHERE holder = ? OR lease_until < ?",
        (holder, now + seconds, holder, now),
    )
    return cursor.rowcount == 1


def release_lease(conn: sqlite3.Connection, holder: str) -> None:
    conn.execute("UPDATE refresh_state SET holder = '', lease_until = 0 WHERE holder = ?", (holder,))


def _timestamp(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0
