"""The audit trail's table: entries written, read newest first, and cut loose from deleted statements."""

from __future__ import annotations

from ..models import AuditEntry
from .engine import Queries, Row, Writing, utcnow


def entry_of(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        gallery_slug=row["gallery_slug"],
        vimeo_id=row["vimeo_id"],
        statement_id=row["statement_id"],
        revision=row["revision"],
        fields=tuple(row["fields"].split()),
        subject=row["subject"],
    )


class AuditReads(Queries):
    def audit_entries(self, limit: int = 100, before: int | None = None) -> list[AuditEntry]:
        """Newest first; ``before`` pages back past an entry id."""
        if before is None:
            rows = self._rows(
                "SELECT * FROM audit_log WHERE town_id = ? ORDER BY id DESC LIMIT ?", (self._town, limit)
            )
        else:
            rows = self._rows(
                "SELECT * FROM audit_log WHERE town_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                (self._town, before, limit),
            )
        return [entry_of(r) for r in rows]

    def edits_since(self, statement_id: int, revision: int) -> list[AuditEntry]:
        """The saves that moved a statement past ``revision``, oldest first."""
        rows = self._rows(
            "SELECT * FROM audit_log WHERE town_id = ? AND statement_id = ? AND revision > ? ORDER BY id",
            (self._town, statement_id, revision),
        )
        return [entry_of(r) for r in rows]


class AuditWrites(AuditReads, Writing):
    def record_audit(
        self,
        actor: str,
        action: str,
        *,
        gallery_slug: str | None = None,
        vimeo_id: int | None = None,
        statement_id: int | None = None,
        revision: int | None = None,
        fields: tuple[str, ...] = (),
        subject: str | None = None,
    ) -> None:
        self._run(
            "INSERT INTO audit_log (at, actor, action, gallery_slug, vimeo_id, statement_id, revision,"
            " fields, subject, town_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                utcnow(),
                actor,
                action,
                gallery_slug,
                vimeo_id,
                statement_id,
                revision,
                " ".join(fields),
                subject,
                self._town,
            ),
        )

    def forget_statement(self, statement_id: int) -> None:
        """A deleted statement's id may be given to a new one: its entries keep only slug and video."""
        self._run("UPDATE audit_log SET statement_id = NULL WHERE statement_id = ?", (statement_id,))
