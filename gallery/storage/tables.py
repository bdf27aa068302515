"""Whole tables, for moving an installation between engines: rows read and written as they are.

Table and column names come from the schema itself (never from input), checked against the list of
tables the copy knows.
"""

from __future__ import annotations

from collections.abc import Sequence

from .engine import Queries, Writing


class TableReads(Queries):
    def table_rows(self, table: str, columns: Sequence[str]) -> list[tuple[object, ...]]:
        listed = ", ".join(columns)
        rows = self._rows(f"SELECT {listed} FROM {table}")  # noqa: S608 - names from the schema
        return [tuple(row[i] for i in range(len(columns))) for row in rows]

    def row_count(self, table: str) -> int:
        row = self._row(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a name from the schema
        return int(row[0]) if row else 0


class TableWrites(TableReads, Writing):
    def clear_table(self, table: str) -> None:
        self._run(f"DELETE FROM {table}")  # noqa: S608 - a name from the schema

    def insert_rows(self, table: str, columns: Sequence[str], rows: list[tuple[object, ...]]) -> None:
        marks = ", ".join("?" for _ in columns)
        self._run_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608
