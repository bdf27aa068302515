"""Failed sign-ins, counted in the database so that every instance sees the same counts.

Keys are HMACs made above this layer (an address, a name or a cookie's nonce never gets here);
times are the throttle's clock, in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable

from .engine import Queries, Writing


class SignInReads(Queries):
    def signin_records(self, keys: Iterable[str]) -> dict[str, tuple[int, float, float]]:
        """key -> (failures, blocked until, last failure) for the keys that have a record."""
        found = {}
        for key in keys:
            row = self._row("SELECT failures, blocked_until, last FROM signin_attempts WHERE key = ?", (key,))
            if row is not None:
                found[key] = (int(row[0]), float(row[1]), float(row[2]))
        return found

    def signin_record_count(self) -> int:
        row = self._row("SELECT COUNT(*) FROM signin_attempts")
        return int(row[0]) if row else 0


class SignInWrites(SignInReads, Writing):
    def put_signin_record(self, key: str, failures: int, blocked_until: float, last: float) -> None:
        self._run(
            "INSERT INTO signin_attempts (key, failures, blocked_until, last) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
            " blocked_until = excluded.blocked_until, last = excluded.last",
            (key, failures, blocked_until, last),
        )

    def drop_signin_record(self, key: str) -> None:
        self._run("DELETE FROM signin_attempts WHERE key = ?", (key,))

    def forget_signin_records(self, last_before: float, keep_newest: int) -> None:
        """Drop records whose last failure is older than ``last_before``, and all but the newest
        ``keep_newest`` (a flood of keys must not grow the table without end)."""
        self._run("DELETE FROM signin_attempts WHERE last < ?", (last_before,))
        if self.signin_record_count() > keep_newest:
            self._run(
                "DELETE FROM signin_attempts WHERE key NOT IN"
                " (SELECT key FROM signin_attempts ORDER BY last DESC, key LIMIT ?)",
                (keep_newest,),
            )
