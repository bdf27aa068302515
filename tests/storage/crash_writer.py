"""A stream of editor writes for tests/storage/test_crash.py, meant to be killed with SIGKILL at any moment.

    python tests/storage/crash_writer.py DATA_DIR FIRST_ID MODE

``adds``: adds videos FIRST_ID, FIRST_ID+1, … through the real curating code (an in-process
Vimeo stand-in answers), every third one followed by a refresh that renames an earlier one.
Prints ``ACK add ID`` / ``ACK refresh ID`` only after the write returned (was committed).
``thumbnails``: saves ever new 48 MB pictures straight into the thumbnail store, ``ACK NAME``.
Both print ``READY`` once set up, so that the kill lands in the writes, not in Python's start-up.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from pathlib import Path

from gallery.cli.demo.standin_note import demo_settings
from gallery.content.curate import Curator
from gallery.models import Image
from gallery.settings import Secret, Settings
from gallery.storage.store import Storage
from gallery.storage.thumbnails import FileImages
from gallery.vimeo.client import VimeoClient
from gallery.vimeo.standin import FakeVideo, StandIn

PICTURES = ["sample1.jpg", "sample2.webp", "sample3.jpg", "sample4.webp", "sample5.jpg", "sample6.png"]


def ready() -> None:
    sys.stdout.write("READY\n")
    sys.stdout.flush()


def ack(line: str) -> None:
    sys.stdout.write(f"ACK {line}\n")
    sys.stdout.flush()


async def adds(data_dir: Path, first: int) -> None:
    base = Settings(data_dir=data_dir, secret_keys=(Secret("crash-test-key-0123456789"),))
    settings = demo_settings(base.checked(), "http://127.0.0.1:9")
    standin = StandIn(base_url="http://127.0.0.1:9", keep_requests=False)
    db = Storage.sqlite(settings.database_path)
    db.migrate()
    async with VimeoClient(settings, standin.transport()) as vimeo:
        curator = Curator(db, FileImages(settings.thumbnail_dir), vimeo)
        ready()
        vimeo_id = first
        while True:
            standin.add(FakeVideo(vimeo_id, f"Video {vimeo_id}", picture=PICTURES[vimeo_id % 6]))
            await curator.add(str(vimeo_id), texts={"speaker_name": f"Person {vimeo_id}"})
            ack(f"add {vimeo_id}")
            if vimeo_id % 3 == 0 and vimeo_id > first:
                standin.videos[vimeo_id - 1].title = f"Video {vimeo_id - 1} v2"
                await curator.refresh(vimeo_id - 1)
                ack(f"refresh {vimeo_id - 1}")
            vimeo_id += 1


def thumbnails(data_dir: Path, first: int) -> None:
    store = FileImages(data_dir / "thumbnails")
    store.folder.mkdir(parents=True, exist_ok=True)
    ready()
    n = first
    while True:
        head = b"\xff\xd8\xff\xe0" + hashlib.sha256(str(n).encode()).digest()
        name = store.save(Image(head + os.urandom(48 * 1024 * 1024), "image/jpeg", "jpg"))
        ack(name)
        n += 1


if __name__ == "__main__":
    folder, start, mode = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if mode == "adds":
        asyncio.run(adds(folder, start))
    else:
        thumbnails(folder, start)
