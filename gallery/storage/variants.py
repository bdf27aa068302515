"""Which smaller copies (variants) of a stored picture exist: pages read them, editors' saves write them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..models import Variant
from .engine import Queries, Row, Writing, utcnow

CHUNK = 500  # names per query: far below either engine's limit on parameters
LOGOS = (
    "SELECT logo FROM galleries WHERE logo IS NOT NULL UNION SELECT logo FROM towns WHERE logo IS NOT NULL"
)
# The pictures pages show: Vimeo's thumbnails, editors' posters, galleries' (and towns') logos.
PICTURES = (
    "SELECT thumbnail AS source FROM videos WHERE thumbnail IS NOT NULL"  # noqa: S608 - constants
    f" UNION SELECT poster FROM statements WHERE poster IS NOT NULL UNION {LOGOS}"
)


def variant_of(row: Row) -> Variant:
    return Variant(
        str(row["source"]), str(row["format"]), int(row["width"]), int(row["height"]), str(row["name"])
    )


class VariantReads(Queries):
    def variants(self, sources: Iterable[str]) -> dict[str, tuple[Variant, ...]]:
        """The variants of each named picture that has any, narrowest first."""
        wanted = sorted(set(sources))
        found: dict[str, list[Variant]] = {}
        for at in range(0, len(wanted), CHUNK):
            chunk = wanted[at : at + CHUNK]
            marks = ", ".join("?" for _ in chunk)
            rows = self._rows(
                "SELECT source, format, width, height, name FROM image_variants"  # noqa: S608 - only marks
                f" WHERE source IN ({marks}) ORDER BY source, format, width",
                tuple(chunk),
            )
            for row in rows:
                found.setdefault(str(row["source"]), []).append(variant_of(row))
        return {source: tuple(items) for source, items in found.items()}

    def logo_names(self) -> set[str]:
        """The stored pictures that are galleries' or towns' logos (their one copy is lossless)."""
        return {str(r[0]) for r in self._rows(LOGOS)}

    def pictures_without_variants(self, limit: int = 100) -> list[str]:
        """Pictures in use that have no variants yet (stored before variants were made)."""
        rows = self._rows(
            f"SELECT source FROM ({PICTURES}) AS pictures"  # noqa: S608 - a constant
            " WHERE NOT EXISTS (SELECT 1 FROM image_variants v WHERE v.source = pictures.source)"
            " ORDER BY source LIMIT ?",
            (limit,),
        )
        return [str(r[0]) for r in rows]


class VariantWrites(VariantReads, Writing):
    def save_variants(self, source: str, variants: Sequence[Variant]) -> None:
        """The variants of ``source``, replacing any recorded before."""
        self._run("DELETE FROM image_variants WHERE source = ?", (source,))
        now = utcnow()
        self._run_many(
            "INSERT INTO image_variants (source, format, width, height, name, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(source, v.format, v.width, v.height, v.name, now) for v in variants],
        )

    def forget_variants(self, sources: Iterable[str]) -> None:
        self._run_many("DELETE FROM image_variants WHERE source = ?", [(s,) for s in sources])

    def forget_unused_variants(self, made_before: str) -> None:
        """Drop the records of variants whose picture no row uses, if made before ``made_before``.

        A younger one stays: its picture may be a preview whose statement is not saved yet.
        """
        self._run(
            "DELETE FROM image_variants WHERE created < ? AND source NOT IN"  # noqa: S608 - a constant
            f" (SELECT source FROM ({PICTURES}) AS pictures)",
            (made_before,),
        )
