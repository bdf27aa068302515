"""The refresh schedule (when each video is asked about again) and the one refresh state and lease."""

from __future__ import annotations

from collections.abc import Iterable

from ..models import RefreshState, ScheduledVideo
from .engine import Queries, Writing


class ScheduleReads(Queries):
    def refresh_failures(self, vimeo_id: int) -> int:
        """Failed attempts in a row for one video."""
        row = self._row("SELECT failures FROM refresh_schedule WHERE vimeo_id = ?", (vimeo_id,))
        return int(row[0]) if row else 0

    def refresh_state(self) -> RefreshState:
        row = self._row("SELECT holder, lease_until, paused_until, failures, reason FROM refresh_state")
        assert row is not None, "migration 0004 makes the one row"
        return RefreshState(
            row["holder"], row["lease_until"], row["paused_until"], row["failures"], row["reason"]
        )

    def scheduled_videos(self) -> list[ScheduledVideo]:
        """Every video some gallery shows, with its schedule (if it has one yet)."""
        rows = self._rows(
            "SELECT v.vimeo_id, v.fetched_at, v.thumbnail, r.next_check, r.failures"
            " FROM videos v LEFT JOIN refresh_schedule r ON r.vimeo_id = v.vimeo_id"
            " WHERE v.vimeo_id IN (SELECT vimeo_id FROM statements)"
        )
        return [
            ScheduledVideo(r["vimeo_id"], r["fetched_at"], r["thumbnail"], r["next_check"], r["failures"])
            for r in rows
        ]


class ScheduleWrites(ScheduleReads, Writing):
    def schedule_refresh(self, vimeo_id: int, next_check: float, failures: int) -> None:
        self._run(
            "INSERT INTO refresh_schedule (vimeo_id, next_check, failures) VALUES (?, ?, ?)"
            " ON CONFLICT (vimeo_id) DO UPDATE SET next_check = excluded.next_check,"
            " failures = excluded.failures",
            (vimeo_id, next_check, failures),
        )

    def bring_forward(self, vimeo_ids: Iterable[int], when: float) -> None:
        """Check these videos no later than ``when``."""
        self._run_many(
            "INSERT INTO refresh_schedule (vimeo_id, next_check) VALUES (?, ?)"
            " ON CONFLICT (vimeo_id) DO UPDATE SET next_check = CASE"
            " WHEN excluded.next_check < refresh_schedule.next_check THEN excluded.next_check"
            " ELSE refresh_schedule.next_check END",
            [(vimeo_id, when) for vimeo_id in vimeo_ids],
        )

    def pause_refresh(self, until: float, failures: int, reason: str) -> None:
        """Nobody asks Vimeo before ``until`` (a longer pause already set stays)."""
        self._run(
            "UPDATE refresh_state SET paused_until = CASE WHEN paused_until > ? THEN paused_until ELSE ? END,"
            " failures = ?, reason = ?",
            (until, until, failures, reason),
        )

    def end_refresh_pause(self) -> None:
        self._run("UPDATE refresh_state SET paused_until = 0, failures = 0, reason = ''")

    def take_lease(self, holder: str, now: float, seconds: float) -> bool:
        """Hold (or keep holding) the one refresh lease; False while another live process has it."""
        changed = self._run(
            "UPDATE refresh_state SET holder = ?, lease_until = ? WHERE holder = ? OR lease_until < ?",
            (holder, now + seconds, holder, now),
        )
        return changed == 1

    def release_lease(self, holder: str) -> None:
        self._run("UPDATE refresh_state SET holder = '', lease_until = 0 WHERE holder = ?", (holder,))
