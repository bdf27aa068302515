"""The demo's two towns on one port: the first named Ratzeburg, and Mölln on ``moelln.localhost``.

Browsers resolve every ``*.localhost`` name to the computer itself, so the demo shows several
towns without touching DNS: each name reaches the same server, which answers it as its town.
"""

from __future__ import annotations

import logging
from typing import Any

from ...content.curate import CurateError, Curator
from ...content.towns import add_town, edit_town
from ...models import Town
from ...settings import Settings
from ...storage.galleries import DEFAULT_GALLERY_TITLE
from ...storage.store import Storage
from ...storage.thumbnails import image_store
from ...vimeo.client import VimeoClient
from .samples import (
    FIRST_TOWN_HOST,
    SECOND_ACCENT,
    SECOND_INTRO,
    SECOND_TITLE,
    SECOND_TOWN_HOST,
    SECOND_TOWN_KEY,
    SECOND_TOWN_NAME,
    second_town_videos,
    video_link,
)
from .town import EXAMPLE_STATEMENT_CREATED, EXAMPLE_STATEMENT_REVIEWED, SECOND_TOWN_PAGES

log = logging.getLogger("gallery")
FIRST_TOWN_KEY = "ratzeburg"
FIRST_TOWN_NAME = "Ratzeburg"


def second_town_values(town_origin: str) -> dict[str, str]:
    """What the demo's second town is given: its host, operator, legal links, dates and colour."""
    return {
        "name": SECOND_TOWN_NAME,
        "operator_name": "Stadt Mölln (Beispiel)",
        "hosts": SECOND_TOWN_HOST,
        "imprint_url": f"{town_origin}{SECOND_TOWN_PAGES}/impressum",
        "privacy_policy_url": f"{town_origin}{SECOND_TOWN_PAGES}/datenschutz",
        "accessibility_contact": "barrierefreiheit@moelln.example",
        "accessibility_created": EXAMPLE_STATEMENT_CREATED.isoformat(),
        "accessibility_reviewed": EXAMPLE_STATEMENT_REVIEWED.isoformat(),
        "accent": SECOND_ACCENT,
    }


def _ensure_towns(storage: Storage, settings: Settings, town_origin: str) -> Town:
    """Name the first town Ratzeburg (once) and add Mölln, or bring its links up to date; Mölln."""
    first = storage.towns()[0]
    if first.key == "default" and not first.name:
        edit_town(storage, settings, first, {"key": FIRST_TOWN_KEY, "name": FIRST_TOWN_NAME})
    values = second_town_values(town_origin)
    found = next((t for t in storage.towns() if t.key == SECOND_TOWN_KEY), None)
    if found is None:
        return add_town(storage, settings, SECOND_TOWN_KEY, values)
    # The example town page's port can differ from one start to the next: its links follow it.
    links = ("imprint_url", "privacy_policy_url")
    changed = {name: values[name] for name in links if getattr(found, name) != values[name]}
    return edit_town(storage, settings, found, changed) if changed else found


async def seed_second_town(settings: Settings, town_origin: str) -> None:
    """The second town with its gallery's look and its own sample statements (missing ones only)."""
    storage = Storage.from_settings(settings)
    try:
        town = _ensure_towns(storage, settings, town_origin)
        own = storage.for_town(town.id)
        with own.transaction() as tx:
            gallery = tx.default_gallery()
            if gallery.title == DEFAULT_GALLERY_TITLE:
                tx.update_gallery(gallery.id, title=SECOND_TITLE, intro=SECOND_INTRO, accent=SECOND_ACCENT)
            present = {s.vimeo_id for s in tx.statements(gallery.id)}
        async with VimeoClient(settings) as vimeo:
            curator = Curator(own, image_store(own, settings), vimeo)
            for video, texts in second_town_videos():
                if video.vimeo_id in present:
                    continue
                try:
                    await curator.add(video_link(video), texts=texts)
                except CurateError as exc:  # pragma: no cover - the stand-in answers every sample
                    log.warning("Demo sample %s not added: %s", video.vimeo_id, exc.message)
    finally:
        storage.close()


def town_addresses(port: int) -> dict[str, Any]:
    """The two towns' addresses on the demo's port, for the start text."""
    return {
        "first": FIRST_TOWN_NAME,
        "first_url": f"http://{FIRST_TOWN_HOST}:{port}/",
        "second": SECOND_TOWN_NAME,
        "second_url": f"http://{SECOND_TOWN_HOST}:{port}/",
    }
