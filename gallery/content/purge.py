"""Deleting statements for good: rows, texts left in free database pages, and unused images."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ..models import Statement
from ..storage import queries
from ..storage.database import Database, erase_after_commit
from ..storage.thumbnails import ThumbnailStore
from . import audit


def purge(
    db: Database,
    thumbnails: ThumbnailStore,
    select: Callable[[sqlite3.Connection], list[Statement]],
    actor: str | None,
) -> list[Statement]:
    """Delete the statements ``select`` picks (inside the transaction), then their traces.

    A speaker who withdraws a statement must find its texts gone, not merely unlinked: deleted
    cells are zeroed, and once committed the file is rebuilt and the write-ahead log emptied
    (:meth:`Database.erase`). Images go at once when no other row uses them.
    """
    with db.transaction() as conn:
        conn.execute("PRAGMA secure_delete = ON")
        erase_after_commit(conn)
        gone = select(conn)
        images: set[str] = set()
        for s in gone:
            conn.execute("DELETE FROM statements WHERE id = ?", (s.id,))
            audit.forget_statement(conn, s.id)
            if actor is not None:
                audit.record(
                    conn, actor, "statement.delete", gallery_slug=s.gallery_slug, vimeo_id=s.vimeo_id
                )
            images.update(name for name in (s.poster, s.video.thumbnail) if name)
        queries.delete_orphan_videos(conn)
        keep = queries.referenced_thumbnails(conn)
    for name in images - keep:
        thumbnails.discard(name)
    thumbnails.prune(keep)
    return gone
