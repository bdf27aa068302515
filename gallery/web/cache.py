"""Rendered pages and values derived from the data, kept until the database changes (any process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from ..storage.engine import DatabaseUnavailable
from ..storage.store import Storage
from .responses import Page

if TYPE_CHECKING:  # the page lane's answers: kept here so that they go exactly when pages go
    from .lane import SharedAnswer


class PageCache:
    """Rendered pages, dropped whenever the database changed (from any process).

    Pages change only when editors act, so render work happens once per change, not per visit.
    Writes through this process's :class:`Storage` are seen at once; writes by other processes
    (the CLI) through its change probe, asked at most every ``probe_interval`` seconds. While the
    database cannot be reached, nobody can change it: the pages kept stay valid and are served.
    """

    def __init__(self, storage: Storage, max_entries: int = 2048, probe_interval: float = 0.25) -> None:
        self.storage = storage
        self.max_entries = max_entries
        self.probe_interval = probe_interval
        self._pages: dict[Hashable, Page] = {}
        self._values: dict[Hashable, object] = {}
        self._answers: dict[Hashable, SharedAnswer] = {}
        self.answered = 0  # requests the page lane answered from memory (read by tests)
        self._generation: tuple[int, int] = (-1, -1)
        self._next_probe = 0.0
        self._lock = threading.Lock()

    def generation(self) -> tuple[int, int]:
        """Where the data stands; drops every page when it moved."""
        now = time.monotonic()
        writes = self.storage.writes
        if writes != self._generation[1] or now >= self._next_probe:
            self._next_probe = now + self.probe_interval
            try:
                current = (self.storage.data_version(), writes)
            except DatabaseUnavailable:
                return self._generation
            if current != self._generation:
                with self._lock:
                    self._pages = {}
                    self._values = {}
                    self._answers = {}
                    self._generation = current
        return self._generation

    def get(self, key: Hashable) -> tuple[Page | None, tuple[int, int]]:
        generation = self.generation()
        return self._pages.get(key), generation

    def put(self, key: Hashable, page: Page, generation: tuple[int, int]) -> None:
        """Keep a page only if nothing changed since it began rendering."""
        with self._lock:
            if generation == self._generation:
                if len(self._pages) >= self.max_entries:
                    self._pages = {}
                self._pages[key] = page

    def answer(self, key: Hashable) -> tuple[SharedAnswer | None, tuple[int, int]]:
        """The page lane's recorded answer for ``key``, if the data has not moved since."""
        generation = self.generation()
        return self._answers.get(key), generation

    def keep_answer(self, key: Hashable, answer: SharedAnswer, generation: tuple[int, int]) -> None:
        """Keep an answer only if nothing changed since the request that made it began."""
        with self._lock:
            if generation == self._generation:
                if len(self._answers) >= self.max_entries:
                    self._answers = {}
                self._answers[key] = answer

    def value(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A value derived from the data (not a page), kept until the data changes."""
        generation = self.generation()
        if key in self._values:
            return self._values[key]
        value = compute()
        with self._lock:
            if generation == self._generation:
                self._values[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._pages = {}
            self._values = {}
            self._answers = {}
