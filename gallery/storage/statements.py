"""Statements and the videos they show: every read returns frozen models; writes keep texts erasable.

One module although past 300 lines: every write of a statement's or a video's texts must also
rewrite the search text made of them, so the writes and the search stay side by side.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..models import FetchStatus, Statement, Video
from .engine import Params, Queries, Row, Writing, utcnow
from .galleries import PLAYABLE

# Texts editors write, in form order: what they replace or clear must leave the disk too.
STATEMENT_TEXTS = ("title_override", "speaker_name", "speaker_role", "quote", "transcript", "alt_text")
STATEMENT_COLUMNS = frozenset({*STATEMENT_TEXTS, "caption_lang", "published", "poster"})
# The texts the editors' search looks in (with Vimeo's title): what a list of statements shows.
SEARCHED_TEXTS = ("title_override", "speaker_name", "speaker_role", "quote")
# A search term longer than this finds nothing any statement holds (titles and names are shorter
# than quotes, whose limit is 1,000 characters): cut, not refused.
SEARCH_TERM_LIMIT = 200

_STATEMENT_FIELDS = """
SELECT s.*, g.slug AS gallery_slug,
       v.unlisted_hash, v.title, v.author_name, v.duration, v.width, v.height, v.upload_date,
       v.thumbnail_url, v.thumbnail, v.fetch_status, v.fetch_message, v.fetched_at, v.good_at"""
_STATEMENT_FROM = """
FROM statements s
JOIN galleries g ON g.id = s.gallery_id
JOIN videos v ON v.vimeo_id = s.vimeo_id
"""
_STATEMENT_SELECT = _STATEMENT_FIELDS + _STATEMENT_FROM
# The same rows, each also saying how many rows the query has without its LIMIT: a page and the
# number of pages in one query (both engines know window functions).
_COUNTED_SELECT = _STATEMENT_FIELDS + ", COUNT(*) OVER () AS total" + _STATEMENT_FROM
_VISIBLE = f"s.published = 1 AND v.fetch_status IN ({', '.join('?' * len(PLAYABLE))})"
_IN_ORDER = " ORDER BY s.position, s.id"


def fold(text: str) -> str:
    """Text as the search compares it: Unicode-normalised and case-folded (``Ä`` → ``ä``,
    ``ß`` and ``ẞ`` → ``ss``), the same whichever engine stores it."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def search_text(vimeo_title: str | None, *texts: str | None) -> str:
    """What the search compares with: Vimeo's title and the editor's texts, folded, one per line."""
    return "\n".join(fold(t) for t in (vimeo_title, *texts) if t)


def like_pattern(term: str) -> str:
    """A LIKE pattern finding ``term`` anywhere, its own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

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


@dataclass(frozen=True, slots=True)
class StatementPage:
    """One page of a list of statements, and how many the whole list holds."""

    statements: list[Statement]
    total: int


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Where a visible statement stands among its gallery's visible ones (``index`` from 0)."""

    index: int
    previous: Statement | None
    following: Statement | None


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
            where.append(_VISIBLE)
            params += PLAYABLE
        sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY g.is_default DESC, g.slug, s.position, s.id"
        return [statement_of(r) for r in self._rows(sql, params)]

    def statement_page(
        self, gallery_id: int, offset: int, limit: int, *, visible_only: bool = False, search: str = ""
    ) -> StatementPage:
        """``limit`` statements of a gallery from ``offset`` on, in gallery order, in one query.

        ``visible_only``: what visitors see. ``search``: only those whose title, speaker, role or
        quote holds it, in any case (compared folded: :func:`fold`). Past the end: no statements,
        and a total of 0 (the caller knows the page does not exist).
        """
        sql = _COUNTED_SELECT + " WHERE s.gallery_id = ?"
        params: list[object] = [gallery_id]
        if visible_only:
            sql += " AND " + _VISIBLE
            params += PLAYABLE
        if term := fold(search.strip()[:SEARCH_TERM_LIMIT]):
            sql += " AND s.search_text LIKE ? ESCAPE '\\'"
            params.append(like_pattern(term))
        sql += _IN_ORDER + " LIMIT ? OFFSET ?"
        rows = self._rows(sql, [*params, limit, offset])
        return StatementPage([statement_of(r) for r in rows], rows[0]["total"] if rows else 0)

    def rank(self, s: Statement, *, visible_only: bool = False) -> int:
        """How many statements come before ``s`` in its gallery (of the visible ones: ``visible_only``)."""
        sql = (
            "SELECT COUNT(*) FROM statements s JOIN videos v ON v.vimeo_id = s.vimeo_id"
            " WHERE s.gallery_id = ? AND (s.position < ? OR (s.position = ? AND s.id < ?))"
        )
        params: list[object] = [s.gallery_id, s.position, s.position, s.id]
        if visible_only:
            sql += " AND " + _VISIBLE
            params += PLAYABLE
        row = self._row(sql, params)
        return int(row[0]) if row else 0

    def neighbours(self, s: Statement) -> Neighbours:
        """The visible statements just before and after the visible ``s``, and its place among them."""
        index = self.rank(s, visible_only=True)
        start = max(index - 1, 0)
        window = self.statement_page(s.gallery_id, start, 3 if index else 2, visible_only=True).statements
        at = index - start
        return Neighbours(
            index=index,
            previous=window[at - 1] if at > 0 else None,
            following=window[at + 1] if at + 1 < len(window) else None,
        )

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
        # Vimeo's title is searched too: the statements showing this video follow a new one.
        self.fill_search_texts("s.vimeo_id = ?", (video.vimeo_id,))

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
        statement_id = self._insert(
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
        self.fill_search_texts("s.id = ?", (statement_id,))
        return statement_id

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
        if set(changes) & set(SEARCHED_TEXTS):
            self.fill_search_texts("s.id = ?", (current.id,))
        replaced = [n for n in STATEMENT_TEXTS if n in changes and getattr(current, n)]
        if any(getattr(current, n) != changes[n] for n in replaced):
            self._erase_after_commit()

    def fill_search_texts(self, where: str = "s.search_text IS NULL", params: Params = ()) -> None:
        """Set the folded search text of the statements ``where`` selects (by default: those without one)."""
        rows = self._rows(
            "SELECT s.id, s.title_override, s.speaker_name, s.speaker_role, s.quote, v.title"  # noqa: S608
            f" FROM statements s JOIN videos v ON v.vimeo_id = s.vimeo_id WHERE {where}",
            params,
        )
        self._run_many(
            "UPDATE statements SET search_text = ? WHERE id = ?",
            [(search_text(r["title"], *(r[n] for n in SEARCHED_TEXTS)), r["id"]) for r in rows],
        )

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
