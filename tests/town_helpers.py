"""Two towns on one installation, with overlapping slugs, Vimeo ids and account names.

Ratzeburg (the installation's first town) answers on ``ratzeburg.test``, Mölln on ``moelln.test``.
Both have a gallery ``videos`` showing the same three Vimeo videos and an editor "anna"; only
Ratzeburg has the gallery ``nur-ratzeburg``, a fourth and fifth video and the editor "berta".
Every text Ratzeburg's editors wrote contains ``RZ-ONLY``, so that any page, export or answer of
Mölln's can be searched for a leak.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

import httpx
from starlette.applications import Starlette

from gallery.admin import accounts, passwords
from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.content.curate import Curator
from gallery.content.towns import add_town, edit_town
from gallery.settings import Settings
from gallery.storage.store import Storage
from gallery.storage.thumbnails import image_store
from gallery.vimeo.client import VimeoClient
from tests.admin_helpers import PASSWORD

A_HOST, B_HOST = "ratzeburg.test", "moelln.test"
A_MARK = "RZ-ONLY"
B_PASSWORD = "ein-anderes-langes-passwort"
OPERATOR_PASSWORD = "das-passwort-des-betriebs"


@dataclass(frozen=True, slots=True)
class TwoTowns:
    settings: Settings
    a_only_slug: str
    a_only_vimeo_id: int  # in Ratzeburg's galleries only
    shared_vimeo_id: int  # in both towns' galleries
    a_statement_ids: tuple[int, ...]  # Ratzeburg's statements (none of these ids is Mölln's)
    b_statement_ids: tuple[int, ...]
    a_only_thumbnail: str  # the picture of the video only Ratzeburg shows


def _editor(storage: Storage, name: str, password: str, *, operator: bool = False) -> None:
    with storage.transaction() as tx:
        accounts.add_editor(tx, name, passwords.hash_password(password, n=2**10, r=8, p=1), operator=operator)


def make_two_towns(settings: Settings, transport: httpx.AsyncBaseTransport) -> TwoTowns:
    """The two towns, their galleries, statements and editors, made through the real code."""
    storage = Storage.from_settings(settings)
    storage.migrate()
    first = storage.towns()[0]
    edit_town(storage, settings, first, {"key": "ratzeburg", "name": "Ratzeburg", "hosts": A_HOST})
    moelln = add_town(storage, settings, "moelln", {"name": "Mölln", "hosts": B_HOST})
    a, b = storage.for_town(first.id), storage.for_town(moelln.id)
    samples = sample_videos()

    async def seed() -> None:
        async with VimeoClient(settings, transport) as vimeo:
            rz = Curator(a, image_store(a, settings), vimeo)
            ml = Curator(b, image_store(b, settings), vimeo)
            with a.transaction() as tx:
                tx.add_gallery("nur-ratzeburg", f"Nur Ratzeburg {A_MARK}")
            for n, (video, texts) in enumerate(samples[:5]):
                link = f"https://vimeo.com/{video.vimeo_id}" + (
                    f"/{video.unlisted_hash}" if video.unlisted_hash else ""
                )
                slug = "nur-ratzeburg" if n == 4 else None
                await rz.add(
                    link, slug, texts={**texts, "quote": f"{A_MARK} {n}", "speaker_name": f"{A_MARK}-{n}"}
                )
                if n < 3:
                    await ml.add(link, texts={**texts, "quote": f"Mölln {n}", "speaker_name": f"Mölln-{n}"})

    asyncio.run(seed())
    _editor(a, "anna", PASSWORD)
    _editor(a, "berta", PASSWORD)
    _editor(b, "anna", B_PASSWORD)
    _editor(a, "betrieb", OPERATOR_PASSWORD, operator=True)
    a_statements = a.statements()
    b_statements = b.statements()
    only = a_statements[-1]
    assert only.gallery_slug == "nur-ratzeburg" and only.video.thumbnail
    storage.close()
    return TwoTowns(
        settings=settings,
        a_only_slug="nur-ratzeburg",
        a_only_vimeo_id=only.vimeo_id,
        shared_vimeo_id=b_statements[0].vimeo_id,
        a_statement_ids=tuple(s.id for s in a_statements),
        b_statement_ids=tuple(s.id for s in b_statements),
        a_only_thumbnail=only.video.thumbnail,
    )


def two_towns_app(towns: TwoTowns, transport: httpx.AsyncBaseTransport, **parts: Any) -> Starlette:
    """The app, answering each town on its own host only (``parts``: as ``create_app`` takes them)."""
    return create_app(replace(towns.settings, allowed_hosts=()), vimeo_transport=transport, **parts)
