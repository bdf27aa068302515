"""Owner-only folders and files: the data dir holds password and session hashes and drafts."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("gallery")

DIR_MODE = 0o700
FILE_MODE = 0o600
_OTHERS = 0o077  # group and other permission bits
_NAMED = 10  # paths named in the warning; the rest are counted


def make_dir(path: Path) -> None:
    """Create a folder (and missing parents) that only its owner can enter, whatever the umask."""
    # mkdir(parents=True) would give the parents the umask's mode; the umask only ever takes
    # bits away, so 0700 never comes out looser.
    for folder in reversed([p for p in (path, *path.parents) if not p.is_dir()]):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)


def open_new(path: Path, flags: int = os.O_WRONLY) -> int:
    """A file descriptor to a new file only its owner can read (an existing file is an error)."""
    return os.open(path, flags | os.O_CREAT | os.O_EXCL, FILE_MODE)


def touch(path: Path) -> None:
    """Create an empty owner-only file unless it exists (its mode is then left as it is)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))


def secure_data_dir(data_dir: Path) -> None:
    """Create the data dir, and take other users' access away from it and everything in it.

    An installation from before (or files copied in by hand) may be readable by every local user:
    the modes are tightened with one warning that names what was open, never silently and never
    by refusing to start.
    """
    make_dir(data_dir)
    tightened: list[str] = []
    failed: list[str] = []
    for path in _tree(data_dir):
        try:
            info = os.lstat(path)
        except FileNotFoundError:  # deleted meanwhile (another process pruned a thumbnail)
            continue
        mode = stat.S_IMODE(info.st_mode)
        # Symbolic links are skipped: chmod would change whatever they point to.
        if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)) or not mode & _OTHERS:
            continue
        try:
            os.chmod(path, mode & ~_OTHERS)
        except FileNotFoundError:
            continue
        except OSError as exc:
            failed.append(f"{path} ({mode:04o}: {exc.strerror})")
        else:
            tightened.append(f"{path} (was {mode:04o})")
    if tightened:
        log.warning(
            "Other local users could read the data dir; only the service's user can now "
            "(folders 0700, files 0600): %s.",
            _listing(tightened),
        )
    if failed:
        log.warning(
            "Other local users can still read these files in the data dir; take their access away "
            "by hand (chmod go-rwx): %s.",
            _listing(failed),
        )


def _tree(root: Path) -> list[Path]:
    found = [root]
    for folder, dirs, files in os.walk(root):  # does not descend into linked folders
        found += [Path(folder, name) for name in (*dirs, *files)]
    return found


def _listing(items: list[str]) -> str:
    more = len(items) - _NAMED
    return ", ".join(items[:_NAMED]) + (f" and {more} more" if more > 0 else "")
