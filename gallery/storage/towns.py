"""Towns: reading and changing them, and each town's own texts (notice, accessibility statement)."""

from __future__ import annotations

from typing import Any

from ..models import Town
from .engine import Queries, Row, Writing

# Columns an operator may set; hosts and frame_ancestors are tuples, stored space-separated.
TOWN_COLUMNS = frozenset(
    {
        "key",
        "name",
        "operator_name",
        "hosts",
        "public_url",
        "imprint_url",
        "privacy_policy_url",
        "accessibility_contact",
        "accessibility_created",
        "accessibility_reviewed",
        "frame_ancestors",
        "cookie_mode",
        "lang",
        "vimeo_referer",
        "accent",
        "logo",
        "logo_alt",
    }
)
_LISTS = ("hosts", "frame_ancestors")


def town_of(row: Row) -> Town:
    return Town(
        id=row["id"],
        key=row["key"],
        name=row["name"],
        operator_name=row["operator_name"],
        hosts=tuple(row["hosts"].split()),
        public_url=row["public_url"],
        imprint_url=row["imprint_url"],
        privacy_policy_url=row["privacy_policy_url"],
        accessibility_contact=row["accessibility_contact"],
        accessibility_created=row["accessibility_created"],
        accessibility_reviewed=row["accessibility_reviewed"],
        frame_ancestors=tuple(row["frame_ancestors"].split()),
        cookie_mode=row["cookie_mode"],
        lang=row["lang"],
        vimeo_referer=row["vimeo_referer"],
        accent=row["accent"],
        logo=row["logo"],
        logo_alt=row["logo_alt"],
        is_default=bool(row["is_default"]),
        revision=row["revision"],
    )


class TownReads(Queries):
    def towns(self) -> list[Town]:
        """Every town, the default first, then by key."""
        return [town_of(r) for r in self._rows("SELECT * FROM towns ORDER BY is_default DESC, key")]

    def town(self, town_id: int) -> Town | None:
        row = self._row("SELECT * FROM towns WHERE id = ?", (town_id,))
        return town_of(row) if row else None

    def own_town(self) -> Town:
        """The town these queries are scoped to."""
        found = self.town(self._town)
        assert found is not None, "a storage is only ever scoped to a town that exists"
        return found

    def town_by_key(self, key: str) -> Town | None:
        row = self._row("SELECT * FROM towns WHERE key = ?", (key,))
        return town_of(row) if row else None

    def town_texts(self, town_id: int) -> dict[tuple[str, str, str], str]:
        """A town's own texts by (kind, language, name)."""
        rows = self._rows("SELECT kind, lang, name, text FROM town_texts WHERE town_id = ?", (town_id,))
        return {(r["kind"], r["lang"], r["name"]): r["text"] for r in rows}


class TownWrites(TownReads, Writing):
    def add_town(self, key: str, **fields: Any) -> Town:
        """A new (never the default) town."""
        assert set(fields) <= TOWN_COLUMNS, set(fields) - TOWN_COLUMNS
        values = {name: " ".join(v) if name in _LISTS else v for name, v in fields.items()}
        names = ", ".join(["key", *values])
        marks = ", ".join("?" for _ in range(len(values) + 1))
        self._run(f"INSERT INTO towns ({names}) VALUES ({marks})", (key, *values.values()))  # noqa: S608
        town = self.town_by_key(key)
        assert town is not None
        return town

    def update_town(self, town_id: int, **fields: Any) -> None:
        """Change a town's settings; its revision moves, so that its pages are made anew."""
        assert set(fields) <= TOWN_COLUMNS, set(fields) - TOWN_COLUMNS
        values = {name: " ".join(v) if name in _LISTS else v for name, v in fields.items()}
        assignments = "".join(f"{name} = ?, " for name in values)
        self._run(
            f"UPDATE towns SET {assignments}revision = revision + 1 WHERE id = ?",  # noqa: S608
            (*values.values(), town_id),
        )

    def set_town_text(self, town_id: int, kind: str, lang: str, name: str, text: str) -> None:
        """Store (or with an empty text: remove) one of a town's own texts."""
        old = self._row(
            "SELECT text FROM town_texts WHERE town_id = ? AND kind = ? AND lang = ? AND name = ?",
            (town_id, kind, lang, name),
        )
        if old is not None and old[0] != text:
            self._erase_after_commit()
        self._run(
            "DELETE FROM town_texts WHERE town_id = ? AND kind = ? AND lang = ? AND name = ?",
            (town_id, kind, lang, name),
        )
        if text:
            self._run(
                "INSERT INTO town_texts (town_id, kind, lang, name, text) VALUES (?, ?, ?, ?, ?)",
                (town_id, kind, lang, name, text),
            )
        self._run("UPDATE towns SET revision = revision + 1 WHERE id = ?", (town_id,))

    def remove_town(self, town_id: int) -> None:
        """A town and everything that is only its own; shared videos nobody shows any more go too."""
        self._erase_after_commit()
        for sql in (
            "DELETE FROM statements WHERE gallery_id IN (SELECT id FROM galleries WHERE town_id = ?)",
            "DELETE FROM galleries WHERE town_id = ?",
            "DELETE FROM editor_sessions WHERE town_id = ?",
            "DELETE FROM editors WHERE town_id = ?",
            "DELETE FROM audit_log WHERE town_id = ?",
            "DELETE FROM notice_versions WHERE town_id = ?",
            "DELETE FROM town_texts WHERE town_id = ?",
            "DELETE FROM towns WHERE id = ? AND is_default = 0",
        ):
            self._run(sql, (town_id,))
        self._run("DELETE FROM videos WHERE vimeo_id NOT IN (SELECT vimeo_id FROM statements)")
