"""PostgreSQL's spelling as the queries meet it: ``?`` placeholders become ``%s``, rows read by name.

Kept apart from the engine (:mod:`.postgres`), which owns connections, transactions and the server
going away; this is what turns the engine-neutral queries into psycopg calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.rows import RowMaker

from .engine import Params

# What a query's text may hold where a "?" is no placeholder: quoted strings and names, comments.
_VERBATIM = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*)""")


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """The queries' SQL with psycopg's placeholders: ``?`` becomes ``%s``, a literal ``%`` ``%%``.

    A ``?`` inside a quoted string or name, or in a comment, stays as it is (the queries have
    none, but a query that did must not get a parameter there).
    """
    parts = _VERBATIM.split(sql)
    for index, part in enumerate(parts):
        part = part.replace("%", "%%")
        parts[index] = part if index % 2 else part.replace("?", "%s")
    return "".join(parts)


class PgRow:
    """One result row, read by column name or position, as ``sqlite3.Row`` is."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence[Any]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key if isinstance(key, int) else self._names[key]]

    def __len__(self) -> int:
        return len(self._values)


def pg_row(cursor: Any) -> RowMaker[PgRow]:
    """psycopg's row factory for :class:`PgRow`; a repeated column name means its first one (as SQLite)."""
    names: dict[str, int] = {}
    for index, column in enumerate(cursor.description or ()):
        names.setdefault(column.name, index)
    return lambda values: PgRow(names, values)


class PgConnection:
    """A pooled connection as the queries use it: ``?`` placeholders, rows by name."""

    def __init__(self, raw: psycopg.Connection[PgRow]) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Params = (), /) -> psycopg.Cursor[PgRow]:
        # Parameters are always passed (an empty tuple too): psycopg then reads %% as %.
        return self.raw.execute(pg_sql(sql), tuple(parameters))

    def executemany(self, sql: str, seq_of_parameters: Iterable[Params], /) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(pg_sql(sql), [tuple(p) for p in seq_of_parameters])
