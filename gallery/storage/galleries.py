"""Galleries: reading them, creating and changing their settings."""

from __future__ import annotations

from typing import Any

from ..models import FetchStatus, Gallery
from .engine import Queries, Row, Writing, utcnow

DEFAULT_GALLERY_SLUG = "videos"
DEFAULT_GALLERY_TITLE = "Videostatements"
# Gallery texts editors write: what they replace or clear must leave the disk too.
GALLERY_TEXTS = ("title", "intro", "logo_alt")
GALLERY_COLUMNS = frozenset(
    {"title", "intro", "slug", "lang", "frame_ancestors", "accent", "logo", "logo_alt"}
)
PLAYABLE = tuple(s.value for s in FetchStatus if s.playable)


def gallery_of(row: Row) -> Gallery:
    return Gallery(
        id=row["id"],
        slug=row["slug"],
        title=row["title"],
        intro=row["intro"],
        is_default=bool(row["is_default"]),
        lang=row["lang"],
        frame_ancestors=tuple(row["frame_ancestors"].split()),
        accent=row["accent"],
        logo=row["logo"],
        logo_alt=row["logo_alt"],
        updated_at=row["updated_at"],
    )


class GalleryReads(Queries):
    def default_gallery(self) -> Gallery:
        row = self._row("SELECT * FROM galleries WHERE town_id = ? AND is_default = 1", (self._town,))
        assert row is not None, "migrate() and add_town() guarantee a default gallery"
        return gallery_of(row)

    def gallery_by_slug(self, slug: str) -> Gallery | None:
        if "\x00" in slug:  # an address's %00: no slug holds it (PostgreSQL's text cannot even be asked)
            return None
        row = self._row("SELECT * FROM galleries WHERE town_id = ? AND slug = ?", (self._town, slug))
        return gallery_of(row) if row else None

    def galleries(self) -> list[Gallery]:
        """The default first, then by title."""
        return [
            gallery_of(r)
            for r in self._rows(
                "SELECT * FROM galleries WHERE town_id = ? ORDER BY is_default DESC, title, id", (self._town,)
            )
        ]

    def gallery_by_id(self, gallery_id: int) -> Gallery | None:
        row = self._row("SELECT * FROM galleries WHERE town_id = ? AND id = ?", (self._town, gallery_id))
        return gallery_of(row) if row else None

    def galleries_holding(self, vimeo_id: int) -> list[Gallery]:
        """Galleries that show this video to visitors: the default first, then by title."""
        marks = ", ".join("?" * len(PLAYABLE))
        rows = self._rows(
            f"""
            SELECT g.* FROM galleries g JOIN statements s ON s.gallery_id = g.id
            JOIN videos v ON v.vimeo_id = s.vimeo_id
            WHERE g.town_id = ? AND s.vimeo_id = ? AND s.published = 1 AND v.fetch_status IN ({marks})
            ORDER BY g.is_default DESC, g.title, g.id
            """,  # noqa: S608
            (self._town, vimeo_id, *PLAYABLE),
        )
        return [gallery_of(r) for r in rows]


class GalleryWrites(GalleryReads, Writing):
    def add_gallery(
        self,
        slug: str,
        title: str,
        intro: str = "",
        lang: str = "de",
        frame_ancestors: tuple[str, ...] = (),
        *,
        accent: str = "",
        logo_alt: str = "",
        logo: str | None = None,
    ) -> Gallery:
        """A new (never the default) gallery."""
        now, ancestors = utcnow(), " ".join(frame_ancestors)
        self._run(
            "INSERT INTO galleries (town_id, slug, title, intro, lang, frame_ancestors, accent, logo_alt,"
            " logo, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self._town, slug, title, intro, lang, ancestors, accent, logo_alt, logo, now, now),
        )
        gallery = self.gallery_by_slug(slug)
        assert gallery is not None
        return gallery

    def ensure_default_gallery(self) -> None:
        """A new installation (or town) gets its default gallery, under the first free slug."""
        if (
            self._row("SELECT 1 FROM galleries WHERE town_id = ? AND is_default = 1", (self._town,))
            is not None
        ):
            return
        slug, n = DEFAULT_GALLERY_SLUG, 1
        while self.gallery_by_slug(slug) is not None:
            n += 1
            slug = f"{DEFAULT_GALLERY_SLUG}-{n}"
        now = utcnow()
        self._run(
            "INSERT INTO galleries (town_id, slug, title, is_default, created_at, updated_at)"
            " VALUES (?, ?, ?, 1, ?, ?)",
            (self._town, slug, DEFAULT_GALLERY_TITLE, now, now),
        )

    def update_gallery(self, gallery_id: int, **fields: Any) -> None:
        """Save gallery settings; a replaced or cleared title or intro is erased from disk on commit."""
        assert set(fields) <= GALLERY_COLUMNS, set(fields) - GALLERY_COLUMNS
        texts = [name for name in GALLERY_TEXTS if name in fields]
        if texts:
            columns = ", ".join(texts)
            old = self._row(
                f"SELECT {columns} FROM galleries WHERE town_id = ? AND id = ?",  # noqa: S608
                (self._town, gallery_id),
            )
            if old is not None and any(old[n] and old[n] != fields[n] for n in texts):
                self._erase_after_commit()
        if "frame_ancestors" in fields:
            fields["frame_ancestors"] = " ".join(fields["frame_ancestors"])
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self._run(
            f"UPDATE galleries SET {assignments}, updated_at = ? WHERE town_id = ? AND id = ?",  # noqa: S608
            (*fields.values(), utcnow(), self._town, gallery_id),
        )
