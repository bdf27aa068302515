"""Images kept in the database (PostgreSQL installations): content-hash names, bytes, when stored."""

from __future__ import annotations

from collections.abc import Iterable

from .engine import Queries, Writing, utcnow


class ImageReads(Queries):
    def image(self, name: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of a stored image, or None."""
        row = self._row("SELECT type, data FROM images WHERE name = ?", (name,))
        return (str(row[0]), bytes(row[1])) if row else None

    def has_image(self, name: str) -> bool:
        return self._row("SELECT 1 FROM images WHERE name = ?", (name,)) is not None

    def image_names(self, stored_before: str | None = None) -> set[str]:
        """Every stored image's name; only those stored before a time (``utcnow()``'s form) if given."""
        if stored_before is None:
            return {r[0] for r in self._rows("SELECT name FROM images")}
        return {r[0] for r in self._rows("SELECT name FROM images WHERE created < ?", (stored_before,))}


class ImageWrites(ImageReads, Writing):
    def save_image(self, name: str, media_type: str, data: bytes) -> None:
        """Store an image once: the same name always means the same bytes."""
        self._run(
            "INSERT INTO images (name, type, data, created) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO NOTHING",
            (name, media_type, data, utcnow()),
        )

    def delete_images(self, names: Iterable[str]) -> None:
        self._run_many("DELETE FROM images WHERE name = ?", [(name,) for name in names])
