"""Every consent notice ever shown, with when it was first shown."""

from __future__ import annotations

from .engine import Writing, utcnow


class NoticeWrites(Writing):
    def record_notice_version(self, version: str, short_text: str, full_text: str) -> str:
        """Remember a notice version the first time it is shown; return when that was."""
        self._run(
            "INSERT INTO notice_versions (town_id, version, first_shown, short_text, full_text)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (town_id, version) DO NOTHING",
            (self._town, version, utcnow(), short_text, full_text),
        )
        row = self._row(
            "SELECT first_shown FROM notice_versions WHERE town_id = ? AND version = ?", (self._town, version)
        )
        assert row is not None
        return str(row[0])
