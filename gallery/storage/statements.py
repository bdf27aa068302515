"""Statements and the videos they show: every read returns frozen models; writes keep texts erasable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import FetchStatus, Statement, Video
from .engine import Queries, Row, Writing, utcnow
from .galleries import PLAYABLE

# Texts editors write, in form order: what they replace or clear must leave the disk too.
STATEMENT_TEXTS = ("title_override", "speaker_name", "speaker_role", "quote", "transcript", "alt_text")
STATEMENT_COLUMNS = frozenset({*STATEMENT_TEXTS, "caption_lang", "published", "poster"})

_STATEMENT_SELECT = """
SELECT s.*, g.slug AS gallery_slug,
       v.unlisted_hash, v.title, v.author_name, v.duration, v.width, v.height, v.upload_date,
       v.thumbnail_url, v.thumbnail, v.fetch_status, v.fetch_message, v.fetched_at, v.good_at
FROM statements s
JOIN galleries g ON g.id = s.gallery_id
JOIN videos v ON v.vimeo_id = s.vimeo_id
"""

# Writes by id touch only the town's own statements, whatever id they are given.
_IN_TOWN = "gallery_id IN (SELECT id FROM galleries WHERE town_id = ?)"


def video_of(row: Row) -> Video:
    return Video(
        vimeo_id=row["vimeo_id"],
        unlisted_hash=row["unlisted_hash"],
        title=row["title"],
        author_name=row["author_name"],
        duration=row["duration"],
        width=row["width"],
        height=row["height"],
        upload_date=row["upload_date"],
        thumbnail_url=row["thumbnail_url"],
        thumbnail=row["thumbnail"],
        fetch_status=FetchStatus(row["fetch_status"]),
        fetch_message=row["fetch_message"],
        fetched_at=row["fetched_at"],
        good_at=row["good_at"],
    )


def statement_of(row: Row) -> Statement:
    return Statement(
        id=row["id"],
        gallery_id=row["gallery_id"],
        gallery_slug=row["gallery_slug"],
        position=row["position"],
        published=bool(row["published"]),
        speaker_name=row["speaker_name"],
        speaker_role=row["speaker_role"],
        quote=row["quote"],
        transcript=row["transcript"],
        alt_text=row["alt_text"],
        revision=row["revision"],
        video=video_of(row),
        title_override=row["title_override"],
        poster=row["poster"],
        caption_lang=row["caption_lang"],
        updated_at=row["updated_at"],
    )


class StatementReads(Queries):
    def statements(self, gallery_id: int | None = None, *, visible_only: bool = False) -> list[Statement]:
        """In gallery order (the default gallery first); ``visible_only``: what visitors see."""
        sql = _STATEMENT_SELECT
        params: list[object] = [self._town]
        where = ["g.town_id = ?"]
        if gallery_id is not None:
            where.append("s.gallery_id = ?")
            params.append(gallery_id)
        if visible_only:
            where.append(f"s.published = 1 AND v.fetch_status IN ({', '.join('?' * len(PLAYABLE))})")
            params += PLAYABLE
        sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY g.is_default DESC, g.slug, s.position, s.id"
        return [statement_of(r) for r in self._rows(sql, params)]

    def statement(self, gallery_id: int, vimeo_id: int) -> Statement | None:
        row = self._row(
            _STATEMENT_SELECT + " WHERE g.town_id = ? AND s.gallery_id = ? AND s.vimeo_id = ?",
            (self._town, gallery_id, vimeo_id),
        )
        return statement_of(row) if row else None

    def statement_by_id(self, statement_id: int) -> Statement | None:
        row = self._row(_STATEMENT_SELECT + " WHERE g.town_id = ? AND s.id = ?", (self._town, statement_id))
        return statement_of(row) if row else None

    def statement_ids(self) -> set[int]:
        """The ids of every statement there is."""
        rows = self._rows(
            "SELECT s.id FROM statements s JOIN galleries g ON g.id = s.gallery_id WHERE g.town_id = ?",
            (self._town,),
        )
        return {r[0] for r in rows}

    def neighbour(self, s: Statement, direction: str) -> tuple[int, int] | None:
        """(id, position) of the statement just above (``up``) or below ``s`` in its gallery."""
        order = "DESC" if direction == "up" else "ASC"
        compare = "<" if direction == "up" else ">"
        row = self._row(
            f"SELECT id, position FROM statements WHERE gallery_id = ? AND (position {compare} ?"  # noqa: S608
            f" OR (position = ? AND id {compare} ?)) ORDER BY position {order}, id {order} LIMIT 1",
            (s.gallery_id, s.position, s.position, s.id),
        )
        return (row["id"], row["position"]) if row else None

    def video(self, vimeo_id: int) -> Video | None:
        row = self._row("SELECT * FROM videos WHERE vimeo_id = ?", (vimeo_id,))
        return video_of(row) if row else None

    def videos(self) -> list[Video]:
        """The videos this town's galleries show."""
        rows = self._rows(
            "SELECT * FROM videos WHERE vimeo_id IN (SELECT s.vimeo_id FROM statements s"
            " JOIN galleries g ON g.id = s.gallery_id WHERE g.town_id = ?) ORDER BY vimeo_id",
            (self._town,),
        )
        return [video_of(r) for r in rows]

    def town_images(self) -> set[str]:
        """The stored images this town's pages may show: its videos' thumbnails, posters and logos,
        and the copies made of them."""
        pictures = (
            "SELECT v.thumbnail FROM videos v JOIN statements s ON s.vimeo_id = v.vimeo_id"
            " JOIN galleries g ON g.id = s.gallery_id WHERE g.town_id = ? AND v.thumbnail IS NOT NULL"
            " UNION SELECT s.poster FROM statements s JOIN galleries g ON g.id = s.gallery_id"
            " WHERE g.town_id = ? AND s.poster IS NOT NULL"
            " UNION SELECT logo FROM galleries WHERE town_id = ? AND logo IS NOT NULL"
            " UNION SELECT logo FROM towns WHERE id = ? AND logo IS NOT NULL"
        )
        rows = self._rows(
            f"{pictures} UNION SELECT name FROM image_variants WHERE source IN ({pictures})",  # noqa: S608
            (self._town,) * 8,
        )
        return {r[0] for r in rows}

    def referenced_thumbnails(self) -> set[str]:
        """Every stored image some row still uses: Vimeo thumbnails, editors' posters, logos, and the
        copies made of them."""
        pictures = (
            "SELECT thumbnail FROM videos WHERE thumbnail IS NOT NULL"
            " UNION SELECT poster FROM statements WHERE poster IS NOT NULL"
            " UNION SELECT logo FROM galleries WHERE logo IS NOT NULL"
            " UNION SELECT logo FROM towns WHERE logo IS NOT NULL"
        )
        rows = self._rows(
            f"{pictures} UNION SELECT name FROM image_variants WHERE source IN ({pictures})"  # noqa: S608
        )
        return {r[0] for r in rows}


class StatementWrites(StatementReads, Writing):
    def save_video(self, video: Video) -> None:
        """Insert or replace everything we know about one video."""
        self._run(
            """
            INSERT INTO videos (vimeo_id, unlisted_hash, title, author_name, duration, width, height,
                                upload_date, thumbnail_url, thumbnail, fetch_status, fetch_message,
                                fetched_at, good_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (vimeo_id) DO UPDATE SET
                unlisted_hash = excluded.unlisted_hash, title = excluded.title,
                author_name = excluded.author_name, duration = excluded.duration,
                width = excluded.width, height = excluded.height, upload_date = excluded.upload_date,
                thumbnail_url = excluded.thumbnail_url, thumbnail = excluded.thumbnail,
                fetch_status = excluded.fetch_status, fetch_message = excluded.fetch_message,
                fetched_at = excluded.fetched_at, good_at = excluded.good_at
            """,
            (
                video.vimeo_id,
                video.unlisted_hash,
                video.title,
                video.author_name,
                video.duration,
                video.width,
                video.height,
                video.upload_date,
                video.thumbnail_url,
                video.thumbnail,
                video.fetch_status.value,
                video.fetch_message,
                video.fetched_at,
                video.good_at,
            ),
        )

    def add_statement(
        self,
        gallery_id: int,
        vimeo_id: int,
        *,
        published: bool,
        speaker_name: str = "",
        speaker_role: str = "",
        quote: str = "",
        transcript: str = "",
        alt_text: str = "",
        title_override: str = "",
        caption_lang: str = "de",
        poster: str | None = None,
    ) -> int:
        """Append a statement at the end of its gallery; the video row must exist. Its new id."""
        now = utcnow()
        row = self._row(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM statements WHERE gallery_id = ?", (gallery_id,)
        )
        assert row is not None
        return self._insert(
            """
            INSERT INTO statements (gallery_id, vimeo_id, position, published, speaker_name,
                                    speaker_role, quote, transcript, alt_text, title_override,
                                    caption_lang, poster, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                gallery_id,
                vimeo_id,
                row[0],
                int(published),
                speaker_name,
                speaker_role,
                quote,
                transcript,
                alt_text,
                title_override,
                caption_lang,
                poster,
                now,
                now,
            ),
        )

    def update_statement(self, current: Statement, changes: Mapping[str, Any], *, bump: bool) -> None:
        """Save changed fields (``bump``: a new revision); replaced or cleared texts are erased on commit."""
        assert set(changes) <= STATEMENT_COLUMNS, set(changes) - STATEMENT_COLUMNS
        values = [int(v) if isinstance(v, bool) else v for v in changes.values()]
        assignments = ", ".join(f"{name} = ?" for name in changes)
        self._run(
            f"UPDATE statements SET {assignments}, revision = revision + ?, updated_at = ? WHERE id = ?"  # noqa: S608
            f" AND {_IN_TOWN}",
            (*values, int(bump), utcnow(), current.id, self._town),
        )
        replaced = [n for n in STATEMENT_TEXTS if n in changes and getattr(current, n)]
        if any(getattr(current, n) != changes[n] for n in replaced):
            self._erase_after_commit()

    def set_position(self, statement_id: int, position: int) -> None:
        self._run(
            f"UPDATE statements SET position = ?, updated_at = ? WHERE id = ? AND {_IN_TOWN}",  # noqa: S608
            (position, utcnow(), statement_id, self._town),
        )

    def delete_statement(self, statement_id: int) -> None:
        """Gone for good, with every text it held (erased from disk on commit)."""
        self._erase_after_commit()
        self._run(f"DELETE FROM statements WHERE id = ? AND {_IN_TOWN}", (statement_id, self._town))  # noqa: S608

    def delete_orphan_videos(self) -> None:
        """Videos no gallery shows any more."""
        self._run("DELETE FROM videos WHERE vimeo_id NOT IN (SELECT vimeo_id FROM statements)")
