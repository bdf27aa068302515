"""A town's look, set by the operator: its accent colour and logo, which its first gallery takes too.

The logo file is checked exactly like an editor's upload (:func:`.logos.reencode`) and stored like
a gallery's logo: in the image store, with its lossless copy. A logo replaced or removed goes
from the store once nothing else (another town, a gallery) uses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..models import Image as StoredImage
from ..storage.store import Storage, Transaction
from ..storage.thumbnails import ImageStore
from . import audit
from .galleries import set_logo
from .logos import reencode
from .posters import PosterError
from .towntexts import TownError
from .variants import store_variants, unused_with_variants

# What a town's default gallery takes over from the town, besides the logo itself.
LOOK = ("accent", "logo_alt")


def checked_logo(data: bytes) -> StoredImage:
    """``data`` checked and re-encoded as an editor's upload is; raises :class:`TownError`."""
    try:
        return reencode(data)
    except PosterError as exc:
        raise TownError(exc.message) from None


@contextmanager
def stored_logo(
    storage: Storage, images: ImageStore | None, image: StoredImage | None
) -> Iterator[str | None]:
    """The name ``image`` is stored under (with its copy), for the change that uses it.

    When that change fails, the image goes again unless something else uses it.
    """
    if image is None:
        yield None
        return
    assert images is not None, "a logo needs the image store"
    name = images.save(image)
    store_variants(storage, images, name, image.data, logo=True)
    try:
        yield name
    except BaseException:
        discard_unused(storage, images, {name})
        raise


def pass_on(tx: Transaction, values: Mapping[str, Any], actor: str | None) -> str | None:
    """The town's default gallery (``tx`` is the town's) takes the look just given to the town.

    With an ``actor``, the audit trail records it as the admin's change of a gallery's look does.
    Returns the logo the gallery had before, when that was replaced.
    """
    gallery = tx.default_gallery()
    changed = {
        name: values[name] for name in LOOK if name in values and values[name] != getattr(gallery, name)
    }
    if changed:
        tx.update_gallery(gallery.id, **changed)
        if actor is not None:
            audit.record(tx, actor, "gallery.edit", gallery_slug=gallery.slug, fields=tuple(changed))
    if "logo" not in values or values["logo"] == gallery.logo:
        return None
    if actor is not None:
        return set_logo(tx, gallery, values["logo"], actor)
    tx.update_gallery(gallery.id, logo=values["logo"])
    return gallery.logo


def discard_unused(storage: Storage, images: ImageStore | None, names: Iterable[str | None]) -> None:
    """Delete those of ``names`` (and their copies) that nothing uses any more."""
    wanted = {name for name in names if name}
    if not wanted or images is None:
        return
    with storage.transaction() as tx:
        unused = unused_with_variants(tx, wanted, tx.images_in_use())
    for name in unused:
        images.discard(name)
