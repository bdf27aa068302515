"""Local thumbnail store: content-hash names, atomic writes, served from memory."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from .. import private
from ..models import Image, sniff_image

RECHECK_SECONDS = 1.0
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


class ThumbnailStore:
    """Files named by the hash of their bytes: a name never changes its content (immutable)."""

    def __init__(
        self,
        folder: Path,
        memory_budget: int = 64 * 1024 * 1024,
        *,
        replace: Callable[[Path, Path], None] = os.replace,
    ) -> None:
        """``replace`` is the rename that makes a whole file visible (tests give one that fails)."""
        self.folder = folder
        self.memory_budget = memory_budget
        self._replace = replace
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._seen: dict[str, float] = {}  # when each cached file was last seen on disk
        self._cached_bytes = 0
        self._lock = threading.Lock()

    def save(self, image: Image) -> str:
        """Store the bytes (once) and return their name."""
        name = f"{hashlib.sha256(image.data).hexdigest()[:32]}.{image.extension}"
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
        """The bytes if they are in memory and were seen on disk within the last second.

        No disk access: safe on the event loop. A file deleted by another process (a statement
        withdrawn from the command line) stops being served within a second, via :meth:`load`.
        """
        data = self._cache.get(name)
        if data is None or time.monotonic() - self._seen.get(name, 0.0) > RECHECK_SECONDS:
            return None
        return data

    def load(self, name: str) -> bytes | None:
        """The bytes of a stored thumbnail, from memory when possible; None if missing."""
        if not is_stored_name(name):
            return None
        path = self.folder / name
        with self._lock:
            data = self._cache.get(name)
        if data is not None:
            if path.is_file():
                with self._lock:
                    self._seen[name] = time.monotonic()
                    if name in self._cache:
                        self._cache.move_to_end(name)
                return data
            self._forget(name)
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if sniff_image(data) is None:
            return None  # a damaged file is treated as missing
        with self._lock:
            if name not in self._cache and len(data) <= self.memory_budget:
                self._cache[name] = data
                self._seen[name] = time.monotonic()
                self._cached_bytes += len(data)
                while self._cached_bytes > self.memory_budget:
                    old, dropped = self._cache.popitem(last=False)
                    self._seen.pop(old, None)
                    self._cached_bytes -= len(dropped)
        return data

    def exists(self, name: str) -> bool:
        return is_stored_name(name) and (self.folder / name).is_file()

    def discard(self, name: str) -> None:
        """Delete one stored file at once (and its copy in memory): its last user is gone."""
        if not is_stored_name(name):
            return
        (self.folder / name).unlink(missing_ok=True)
        self._forget(name)

    def _forget(self, name: str) -> None:
        with self._lock:
            data = self._cache.pop(name, None)
            self._seen.pop(name, None)
            if data is not None:
                self._cached_bytes -= len(data)

    def prune(self, keep: set[str], grace: float = 60.0) -> list[str]:
        """Delete every stored file not in ``keep`` (and stale temporary files).

        Files younger than ``grace`` seconds stay: another process may have just saved one
        whose database row is not committed yet.
        """
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
                self._forget(path.name)
        return removed


def media_type(name: str) -> str:
    return MEDIA_TYPES[name.rsplit(".", 1)[1]]
