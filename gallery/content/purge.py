"""Deleting statements for good: rows, texts left in free database pages, and unused images."""

from __future__ import annotations

from collections.abc import Callable

from ..models import Statement
from ..storage.store import Reads, Storage
from ..storage.thumbnails import ImageStore
from . import audit
from .variants import unused_with_variants


def purge(
    storage: Storage,
    thumbnails: ImageStore,
    select: Callable[[Reads], list[Statement]],
    actor: str | None,
) -> list[Statement]:
    """Delete the statements ``select`` picks (inside the transaction), then their traces.

    A speaker who withdraws a statement must find its texts gone, not merely unlinked: deleted
    cells are zeroed, and once committed the file is rebuilt and the write-ahead log emptied
    (:meth:`Storage.erase`). Images, with their smaller copies, go at once when no other row uses them.
    """
    with storage.transaction() as tx:
        tx.delete_for_good()
        gone = select(tx)
        images: set[str] = set()
        for s in gone:
            tx.delete_statement(s.id)
            tx.forget_statement(s.id)
            if actor is not None:
                audit.record(tx, actor, "statement.delete", gallery_slug=s.gallery_slug, vimeo_id=s.vimeo_id)
            images.update(name for name in (s.poster, s.video.thumbnail) if name)
        tx.delete_orphan_videos()
        keep = tx.images_in_use()
        unused = unused_with_variants(tx, images, keep)
    for name in sorted(unused):
        thumbnails.discard(name)
    thumbnails.prune(keep)
    return gone
