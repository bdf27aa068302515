"""The two servers bench/load.py starts, each in its own process, on loopback only.

    python bench/load_servers.py standin --port P
    python bench/load_servers.py gallery --port P --refresh-seconds S

``standin``: the project's Vimeo stand-in with the 20 load-test videos and its control
endpoint (fault modes, request counts). ``gallery``: the service exactly as ``gallery serve``
builds it (``create_app`` from ``GALLERY_*``, uvicorn, no access log), except that the
background refresh runs on a clock of seconds instead of ``GALLERY_REFRESH_HOURS``, so that a
one-minute run sees a dozen refresh rounds.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import replace
from pathlib import Path

import uvicorn

from gallery.content.schedule import RefreshPolicy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import SampleStatement, sample_statements  # bench/ is not a package

PICTURES = ["sample1.jpg", "sample2.webp", "sample3.jpg", "sample4.webp", "sample5.jpg", "sample6.png"]


def load_statements() -> list[SampleStatement]:
    """bench/run.py's samples, with unlisted hashes that are the same in every process."""
    return [
        replace(s, unlisted_hash=hashlib.sha256(str(s.vimeo_id).encode()).hexdigest()[:10])
        if s.unlisted_hash
        else s
        for s in sample_statements()
    ]


def serve_standin(port: int) -> None:
    from gallery.vimeo.standin import FakeVideo, StandIn

    standin = StandIn(base_url=f"http://127.0.0.1:{port}", control=True, keep_requests=False)
    for n, sample in enumerate(load_statements()):
        standin.add(
            FakeVideo(
                vimeo_id=sample.vimeo_id,
                title=sample.title,
                author_name="Stadt (Beispiel)",
                duration=sample.duration,
                picture=PICTURES[n % len(PICTURES)],
                unlisted_hash=sample.unlisted_hash,
            )
        )
    uvicorn.run(standin.app(), host="127.0.0.1", port=port, access_log=False, log_level="warning")


def refresh_policy(seconds: float) -> RefreshPolicy:
    """The production policy's shape on a clock of seconds."""
    return RefreshPolicy(
        interval=seconds,
        restricted_ttl=seconds,
        negative_ttl=seconds,
        retry_base=seconds / 5,
        tick=min(1.0, seconds / 4),
        first_delay=0.5,
        lease=30.0,
    )


def serve_gallery(port: int, refresh_seconds: float) -> None:
    from gallery.app import create_app
    from gallery.settings import Settings

    app = create_app(Settings.from_environ(), refresh_policy=refresh_policy(refresh_seconds))
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        access_log=False,
        server_header=False,
        proxy_headers=False,  # as `gallery serve`
        log_level="warning",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["standin", "gallery"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--refresh-seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.which == "standin":
        serve_standin(args.port)
    else:
        serve_gallery(args.port, args.refresh_seconds)


if __name__ == "__main__":
    main()
