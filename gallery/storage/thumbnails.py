"""The image stores: thumbnails, posters and logos under content-hash names, served from memory.

One interface (:class:`ImageStore`), two places: files in the data folder (SQLite installations,
:class:`FileImages`) or the database (PostgreSQL, where several instances must serve the same
images: :class:`DatabaseImages`). Callers get the right one from :func:`image_store`.
One module although past 300 lines: the interface, its memory cache and both places side by
side, so that the two stay alike in what they serve and when they let go.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from .. import private
from ..models import Image, sniff_image
from ..settings import Settings
from .store import Storage

RECHECK_SECONDS = 1.0
MISSING_REMEMBERED = 4096  # missing names remembered at most (then forgotten all at once)
DEFAULT_MEMORY_BUDGET = 64 * 1024 * 1024
# What an instance keeps in memory unless GALLERY_IMAGE_CACHE_MB says otherwise. Files need little:
# the operating system's page cache holds them, memory only spares a read. From PostgreSQL every
# miss is a query, so more is held.
FILE_MEMORY_MB = 8
DATABASE_MEMORY_MB = 32
# Matched against the whole name (``\Z``, not ``$``): "$" also matches before a final newline.
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp|gif|avif)\Z")
MEDIA_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "avif": "image/avif",
}


def is_stored_name(name: str) -> bool:
    """True only for a name the store gives out: 32 hex digits and an image extension, nothing more."""
    return NAME_RE.fullmatch(name) is not None


def stored_name(image: Image) -> str:
    """The name an image is stored under: its bytes' hash, so a name never changes its content."""
    return f"{hashlib.sha256(image.data).hexdigest()[:32]}.{image.extension}"


def media_type(name: str) -> str:
    return MEDIA_TYPES[name.rsplit(".", 1)[1]]


class ImageStore(Protocol):
    """Images named by the hash of their bytes: a name's bytes never change (immutable)."""

    def save(self, image: Image) -> str:
        """Store the bytes (once) and return their name."""

    def cached(self, name: str) -> bytes | None:
        """The bytes if memory holds them and they were seen stored within the last second (no I/O)."""

    def load(self, name: str) -> bytes | None:
        """The bytes of a stored image, from memory when possible; None if missing."""

    def exists(self, name: str) -> bool: ...

    def head(self, name: str, size: int) -> bytes | None:
        """The first ``size`` bytes of a stored image, without keeping it in memory; None if missing."""

    def names(self) -> set[str]:
        """Every stored image's name."""

    def discard(self, name: str) -> None:
        """Delete one stored image at once: its last user is gone."""

    def prune(self, keep: set[str], grace: float = 60.0) -> list[str]:
        """Delete every stored image not in ``keep`` that is older than ``grace`` seconds.

        A younger one stays: another process may have just saved it, its row not committed yet.
        """


def image_store(storage: Storage, settings: Settings) -> ImageStore:
    """Where this installation keeps its images: the database for PostgreSQL, else the data folder."""
    chosen = settings.image_cache_mb
    if storage.keeps_images:
        return DatabaseImages(storage, (chosen or DATABASE_MEMORY_MB) * 1024 * 1024)
    return FileImages(settings.thumbnail_dir, (chosen or FILE_MEMORY_MB) * 1024 * 1024)


class MemoryCache:
    """Recently served images, at most ``budget`` bytes, the least recently used dropped first.

    Each entry remembers when it was last seen stored: an image deleted elsewhere (a statement
    withdrawn through another instance or the command line) stops being served within a second.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._seen: dict[str, float] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def fresh(self, name: str) -> bytes | None:
        """The bytes if held and seen stored within ``RECHECK_SECONDS``."""
        data = self._data.get(name)
        if data is None or time.monotonic() - self._seen.get(name, 0.0) > RECHECK_SECONDS:
            return None
        return data

    def held(self, name: str) -> bytes | None:
        with self._lock:
            return self._data.get(name)

    def seen(self, name: str) -> None:
        """The image is still stored: serve it from memory for another second."""
        with self._lock:
            if name in self._data:
                self._seen[name] = time.monotonic()
                self._data.move_to_end(name)

    def put(self, name: str, data: bytes) -> None:
        with self._lock:
            if name in self._data or len(data) > self.budget:
                return
            self._data[name] = data
            self._seen[name] = time.monotonic()
            self._bytes += len(data)
            while self._bytes > self.budget:
                old, dropped = self._data.popitem(last=False)
                self._seen.pop(old, None)
                self._bytes -= len(dropped)

    def forget(self, name: str) -> None:
        with self._lock:
            data = self._data.pop(name, None)
            self._seen.pop(name, None)
            if data is not None:
                self._bytes -= len(data)

    @property
    def size(self) -> int:
        """How many bytes are held."""
        return self._bytes


class FileImages:
    """Files in a folder of the data folder, written whole or not at all."""

    def __init__(
        self,
        folder: Path,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        *,
        replace: Callable[[Path, Path], None] = os.replace,
    ) -> None:
        """``replace`` is the rename that makes a whole file visible (tests give one that fails)."""
        self.folder = folder
        self.memory = MemoryCache(memory_budget)
        self._replace = replace

    def save(self, image: Image) -> str:
        name = stored_name(image)
        path = self.folder / name
        if not path.exists():
            private.make_dir(self.folder)
            # Write, flush to disk, then rename: a crash leaves either no file or the whole one.
            tmp = self.folder / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.unlink(missing_ok=True)  # left by a crash: a new file gets the owner-only mode
            with os.fdopen(private.open_new(tmp), "wb") as fh:
                fh.write(image.data)
                fh.flush()
                os.fsync(fh.fileno())
            self._replace(tmp, path)
        return name

    def cached(self, name: str) -> bytes | None:
        return self.memory.fresh(name)

    def load(self, name: str) -> bytes | None:
        if not is_stored_name(name):
            return None
        path = self.folder / name
        data = self.memory.held(name)
        if data is not None:
            if path.is_file():
                self.memory.seen(name)
                return data
            self.memory.forget(name)
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if sniff_image(data) is None:
            return None  # a damaged file is treated as missing
        self.memory.put(name, data)
        return data

    def exists(self, name: str) -> bool:
        return is_stored_name(name) and (self.folder / name).is_file()

    def head(self, name: str, size: int) -> bytes | None:
        if not is_stored_name(name):
            return None
        try:
            with (self.folder / name).open("rb") as file:
                return file.read(size)
        except OSError:
            return None

    def names(self) -> set[str]:
        if not self.folder.is_dir():
            return set()
        return {path.name for path in self.folder.iterdir() if is_stored_name(path.name)}

    def discard(self, name: str) -> None:
        if not is_stored_name(name):
            return
        (self.folder / name).unlink(missing_ok=True)
        self.memory.forget(name)

    def prune(self, keep: set[str], grace: float = 60.0) -> list[str]:
        """Also removes temporary files a crash left behind."""
        removed: list[str] = []
        if not self.folder.is_dir():
            return removed
        now = time.time()
        for path in self.folder.iterdir():
            if path.name in keep:
                continue
            try:
                if now - path.stat().st_mtime < grace:
                    continue
            except OSError:
                continue
            if is_stored_name(path.name) or path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
                removed.append(path.name)
                self.memory.forget(path.name)
        return removed


class DatabaseImages:
    """Rows of the database's ``images`` table: every instance on the database serves the same."""

    def __init__(self, storage: Storage, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> None:
        self.storage = storage
        self.memory = MemoryCache(memory_budget)
        # Names just found missing, with when: a request for one asks the database again only after
        # RECHECK_SECONDS, so made-up names cannot turn every request into a query.
        self._missing: dict[str, float] = {}

    def save(self, image: Image) -> str:
        name = stored_name(image)
        if not self.storage.has_image(name):  # not memory: another instance may have deleted it
            with self.storage.transaction() as tx:
                tx.save_image(name, image.media_type, image.data)
        self._missing.pop(name, None)
        return name

    def cached(self, name: str) -> bytes | None:
        return self.memory.fresh(name)

    def load(self, name: str) -> bytes | None:
        if not is_stored_name(name):
            return None
        data = self.memory.held(name)
        try:
            if data is not None:
                # Still stored? One indexed lookup, at most once a second per image and instance.
                if self.storage.has_image(name):
                    self.memory.seen(name)
                    return data
                self.memory.forget(name)
                return None
            missed = self._missing.get(name)
            if missed is not None and time.monotonic() - missed <= RECHECK_SECONDS:
                return None
            found = self.storage.image(name)
        except self.storage.errors:
            # The database is unreachable: an image held is served on (a name never changes its
            # bytes); any other gets the placeholder until the database is back.
            return data
        if found is None or sniff_image(found[1]) is None:
            if len(self._missing) >= MISSING_REMEMBERED:
                self._missing.clear()
            self._missing[name] = time.monotonic()
            return None
        self._missing.pop(name, None)
        self.memory.put(name, found[1])
        return found[1]

    def exists(self, name: str) -> bool:
        return is_stored_name(name) and self.storage.has_image(name)

    def head(self, name: str, size: int) -> bytes | None:
        if not is_stored_name(name):
            return None
        held = self.memory.held(name)
        if held is not None:
            return held[:size]
        try:
            found = self.storage.image(name)
        except self.storage.errors:
            return None
        return None if found is None else found[1][:size]

    def names(self) -> set[str]:
        return self.storage.image_names()

    def discard(self, name: str) -> None:
        if not is_stored_name(name):
            return
        with self.storage.transaction() as tx:
            tx.delete_images([name])
        self.memory.forget(name)

    def prune(self, keep: set[str], grace: float = 60.0) -> list[str]:
        before = (datetime.now(UTC) - timedelta(seconds=grace)).replace(microsecond=0).isoformat()
        removed = sorted(self.storage.image_names(stored_before=before) - keep)
        if removed:
            with self.storage.transaction() as tx:
                tx.delete_images(removed)
            for name in removed:
                self.memory.forget(name)
        return removed
