"""The demo's Vimeo stand-in, found again: ``gallery demo`` notes its address in its data folder.

Commands run against the demo's data folder then ask the stand-in, not vimeo.com. Only the
command line reads the note; ``gallery serve`` never does, so no file can switch a real
installation to a stand-in.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from ... import private
from ...settings import Settings, is_loopback_host

FILE_NAME = "demo-standin"
VIMEO_PREFIX = "GALLERY_VIMEO_"  # any such variable set by the operator wins over the note


def record_standin(data_dir: Path, url: str) -> None:
    """Note the stand-in's address (``http://127.0.0.1:PORT``) in the demo's data folder (0600)."""
    tmp = data_dir / f".{FILE_NAME}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    with os.fdopen(private.open_new(tmp), "w", encoding="utf-8") as fh:
        fh.write(url + "\n")
    os.replace(tmp, data_dir / FILE_NAME)


def recorded_standin(data_dir: Path) -> str | None:
    """The noted address, if there is one and it is plain http on loopback; else None."""
    try:
        url = (data_dir / FILE_NAME).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or not is_loopback_host(parts.hostname) or port is None:
        return None
    if url != f"http://{parts.netloc}" or parts.username or parts.password:
        return None
    return url


def demo_settings(base: Settings, standin_url: str) -> Settings:
    """``base``, asking the stand-in at ``standin_url`` instead of Vimeo."""
    # The stand-in's module brings Starlette: loaded only for a demo's folder, not for every command.
    from ...vimeo.standin import OEMBED_PATH, PLAYER_PATH

    host = standin_url.split("://", 1)[1]
    return replace(
        base,
        vimeo_oembed_url=standin_url + OEMBED_PATH,
        vimeo_player_url=standin_url + PLAYER_PATH,
        vimeo_thumbnail_hosts=(host,),
        vimeo_referer=None,
    ).checked()
