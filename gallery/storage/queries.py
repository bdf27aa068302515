"""Queries: every read returns frozen models, every write takes an open connection.

One module although past 300 lines: galleries, videos and statements are joined in most queries,
and each row is read into its model in one place.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from ..models import FetchStatus, Gallery, Statement, Video
from .database import erase_after_commit, utcnow

# Texts editors write, in form order: what they replace or clear must leave the disk too.
STATEMENT_TEXTS = ("title_override", "speaker_name", "speaker_role", "quote", "transcript", "alt_text")
GALLERY_TEXTS = ("title", "intro", "logo_alt")

_STATEMENT_SELECT = """
SELECT s.*, g.slug AS gallery_slug,
       v.unlisted_hash, v.title, v.author_name, v.duration, v.width, v.height, v.upload_date,
       v.thumbnail_url, v.thumbnail, v.fetch_status, v.fetch_message, v.fetched_at, v.good_at
FROM statements s
JOIN galleries g ON g.id = s.gallery_id
JOIN videos v ON v.vimeo_id = s.vimeo_id
"""


def _gallery(row: sqlite3.Row) -> Gallery:
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
    )


def _video(row: sqlite3.Row) -> Video:
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


def _statement(row: sqlite3.Row) -> Statement:
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
        video=_video(row),
        title_override=row["title_override"],
        poster=row["poster"],
        caption_lang=row["caption_lang"],
    )


# --- galleries ---------------------------------------------------------------------------


def default_gallery(conn: sqlite3.Connection) -> Gallery:
    row = conn.execute("SELECT * FROM galleries WHERE is_default = 1").fetchone()
    assert row is not None, "migrate() guarantees a default gallery"
    return _gallery(row)


def gallery_by_slug(conn: sqlite3.Connection, slug: str) -> Gallery | None:
    row = conn.execute("SELECT * FROM galleries WHERE slug = ?", (slug,)).fetchone()
    return _gallery(row) if row else None


def galleries(conn: sqlite3.Connection) -> list[Gallery]:
    rows = conn.execute("SELECT * FROM galleries ORDER BY is_default DESC, title, id")
    return [_gallery(r) for r in rows]


def update_gallery(conn: sqlite3.Connection, gallery_id: int, **fields: Any) -> None:
    """Save gallery settings; a replaced or cleared title or intro is erased from disk on commit."""
    allowed = {"title", "intro", "slug", "lang", "frame_ancestors", "accent", "logo", "logo_alt"}
    assert set(fields) <= allowed, set(fields) - allowed
    texts = [name for name in GALLERY_TEXTS if name in fields]
    if texts:
        columns = ", ".join(texts)
        old = conn.execute(f"SELECT {columns} FROM galleries WHERE id = ?", (gallery_id,)).fetchone()  # noqa: S608
        if old is not None and any(old[n] and old[n] != fields[n] for n in texts):
            erase_after_commit(conn)
    if "frame_ancestors" in fields:
        fields["frame_ancestors"] = " ".join(fields["frame_ancestors"])
    assignments = ", ".join(f"{name} = ?" for name in fields)
    conn.execute(
        f"UPDATE galleries SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608
        (*fields.values(), utcnow(), gallery_id),
    )


# --- videos ------------------------------------------------------------------------------


def video(conn: sqlite3.Connection, vimeo_id: int) -> Video | None:
    row = conn.execute("SELECT * FROM videos WHERE vimeo_id = ?", (vimeo_id,)).fetchone()
    return _video(row) if row else None


def save_video(conn: sqlite3.Connection, video: Video) -> None:
    """Insert or replace everything we know about one video."""
    conn.execute(
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


def videos(conn: sqlite3.Connection) -> list[Video]:
    return [_video(r) for r in conn.execute("SELECT * FROM videos ORDER BY vimeo_id")]


def delete_orphan_videos(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM videos WHERE vimeo_id NOT IN (SELECT vimeo_id FROM statements)")


def referenced_thumbnails(conn: sqlite3.Connection) -> set[str]:
    """Every stored image some row still uses: Vimeo thumbnails, editors' posters, logos."""
    rows = conn.execute(
        "SELECT thumbnail FROM videos WHERE thumbnail IS NOT NULL"
        " UNION SELECT poster FROM statements WHERE poster IS NOT NULL"
        " UNION SELECT logo FROM galleries WHERE logo IS NOT NULL"
    )
    return {r[0] for r in rows}


# --- statements --------------------------------------------------------------------------


def statements(
    conn: sqlite3.Connection, gallery_id: int | None = None, *, visible_only: bool = False
) -> list[Statement]:
    sql = _STATEMENT_SELECT
    params: list[object] = []
    where = []
    if gallery_id is not None:
        where.append("s.gallery_id = ?")
        params.append(gallery_id)
    if visible_only:
        where.append("s.published = 1 AND v.fetch_status IN (?, ?, ?)")
        params += [s.value for s in FetchStatus if s.playable]
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY g.is_default DESC, g.slug, s.position, s.id"
    return [_statement(r) for r in conn.execute(sql, params)]


def statement(conn: sqlite3.Connection, gallery_id: int, vimeo_id: int) -> Statement | None:
    row = conn.execute(
        _STATEMENT_SELECT + " WHERE s.gallery_id = ? AND s.vimeo_id = ?", (gallery_id, vimeo_id)
    ).fetchone()
    return _statement(row) if row else None


def galleries_holding(conn: sqlite3.Connection, vimeo_id: int) -> list[Gallery]:
    """Galleries that show this video to visitors: the default first, then by title."""
    rows = conn.execute(
        """
        SELECT g.* FROM galleries g JOIN statements s ON s.gallery_id = g.id
        JOIN videos v ON v.vimeo_id = s.vimeo_id
        WHERE s.vimeo_id = ? AND s.published = 1 AND v.fetch_status IN (?, ?, ?)
        ORDER BY g.is_default DESC, g.title, g.id
        """,
        (vimeo_id, *(s.value for s in FetchStatus if s.playable)),
    )
    return [_gallery(r) for r in rows]


def add_statement(
    conn: sqlite3.Connection,
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
) -> int:
    """Append a statement at the end of its gallery; the video row must exist."""
    now = utcnow()
    (position,) = conn.execute(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM statements WHERE gallery_id = ?",
        (gallery_id,),
    ).fetchone()
    cursor = conn.execute(
        """
        INSERT INTO statements (gallery_id, vimeo_id, position, published, speaker_name,
                                speaker_role, quote, transcript, alt_text, title_override,
                                caption_lang, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            gallery_id,
            vimeo_id,
            position,
            int(published),
            speaker_name,
            speaker_role,
            quote,
            transcript,
            alt_text,
            title_override,
            caption_lang,
            now,
            now,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def update_statement(
    conn: sqlite3.Connection, current: Statement, changes: Mapping[str, Any], *, bump: bool
) -> None:
    """Save changed fields (``bump``: a new revision); replaced or cleared texts are erased on commit."""
    allowed = {*STATEMENT_TEXTS, "caption_lang", "published", "poster"}
    assert set(changes) <= allowed, set(changes) - allowed
    assignments = ", ".join(f"{name} = ?" for name in changes)
    conn.execute(
        f"UPDATE statements SET {assignments}, revision = revision + ?, updated_at = ? WHERE id = ?",  # noqa: S608
        (*changes.values(), int(bump), utcnow(), current.id),
    )
    replaced = [n for n in STATEMENT_TEXTS if n in changes and getattr(current, n)]
    if any(getattr(current, n) != changes[n] for n in replaced):
        erase_after_commit(conn)


def remove_statements(
    conn: sqlite3.Connection, vimeo_id: int, gallery_ids: Iterable[int] | None = None
) -> int:
    """Remove a video from the given galleries (all when None), texts erased on commit; return how many."""
    erase_after_commit(conn)
    if gallery_ids is None:
        cursor = conn.execute("DELETE FROM statements WHERE vimeo_id = ?", (vimeo_id,))
    else:
        ids = list(gallery_ids)
        marks = ",".join("?" * len(ids))
        cursor = conn.execute(
            f"DELETE FROM statements WHERE vimeo_id = ? AND gallery_id IN ({marks})",  # noqa: S608
            (vimeo_id, *ids),
        )
    delete_orphan_videos(conn)
    return cursor.rowcount


def record_notice_version(conn: sqlite3.Connection, version: str, short_text: str, full_text: str) -> str:
    """Remember a notice version the first time it is shown; return when that was."""
    conn.execute(
        "INSERT OR IGNORE INTO notice_versions (version, first_shown, short_text, full_text)"
        " VALUES (?, ?, ?, ?)",
        (version, utcnow(), short_text, full_text),
    )
    row = conn.execute("SELECT first_shown FROM notice_versions WHERE version = ?", (version,)).fetchone()
    return str(row[0])
