"""What editors do to statements: add, refresh, remove. Used by the CLI and the admin area.

One class although past 300 lines: adding, refreshing and removing share the bookkeeping of the
video row, its thumbnail, the refresh schedule and the audit trail, which must stay in step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from anyio import to_thread

from ..errors import UserError
from ..i18n import fill
from ..i18n import gettext_noop as N_
from ..models import FetchStatus, Gallery, Image, Statement, Video
from ..storage.engine import utcnow
from ..storage.store import Reads, Storage
from ..storage.thumbnails import ImageStore
from ..vimeo.answers import OEmbed
from ..vimeo.client import VimeoClient
from ..vimeo.errors import VimeoError
from ..vimeo.links import InvalidVideoLink, VideoRef, parse_video_link
from . import audit, schedule
from .purge import purge
from .schedule import RefreshPolicy
from .variants import ensure_variants, store_variants

MAX_TEXT = {
    "speaker_name": 200,
    "speaker_role": 200,
    "quote": 1000,
    "transcript": 50_000,
    "alt_text": 500,
}
PLACE_FIELDS = frozenset({*MAX_TEXT, "title_override", "caption_lang"})
NO_THUMBNAIL = N_("Kein Vorschaubild: Die Galerie zeigt einen Platzhalter.")
THUMBNAIL_FAILED = N_("Neues Vorschaubild nicht geladen:")
NO_GALLERY = N_("Die Galerie „%(slug)s“ gibt es nicht.")


class CurateError(UserError):
    """An editor's request cannot be done; ``message`` says why in words they can act on."""


@dataclass(frozen=True, slots=True)
class Outcome:
    video: Video
    warnings: tuple[str, ...]
    changed: tuple[str, ...] = ()
    previous: Video | None = None  # what we knew before a refresh
    statement_id: int | None = None  # the statement an add created
    error: VimeoError | None = None  # the oEmbed request failed (the old data was kept)
    thumbnail_error: VimeoError | None = None  # metadata came, the new picture did not


@dataclass(frozen=True, slots=True)
class Fetched:
    """A video looked up for a preview: nothing saved but its thumbnail file."""

    gallery: Gallery
    video: Video
    warnings: tuple[str, ...]


class Curator:
    """Binds the storage, the thumbnail store and the Vimeo client together."""

    def __init__(
        self,
        storage: Storage,
        thumbnails: ImageStore,
        vimeo: VimeoClient,
        policy: RefreshPolicy | None = None,
    ) -> None:
        self.storage = storage
        self.thumbnails = thumbnails
        self.vimeo = vimeo
        self.policy = policy or RefreshPolicy()

    async def add(
        self,
        link: str,
        gallery_slug: str | None = None,
        *,
        published: bool = True,
        texts: Mapping[str, str] | None = None,
        actor: str | None = None,
    ) -> Outcome:
        """Fetch a video's metadata and thumbnail and place it in a gallery."""
        texts = dict(texts or {})
        for name, value in texts.items():
            if name not in PLACE_FIELDS:
                raise TypeError(name)
            if name in MAX_TEXT and len(value) > MAX_TEXT[name]:
                raise CurateError(
                    fill(
                        N_("%(field)s: Der Text ist zu lang (höchstens %(limit)s Zeichen)."),
                        field=fill(audit.FIELD_LABELS[name]),
                        limit=MAX_TEXT[name],
                    )
                )
        fetched = await self.fetch(link, gallery_slug)
        outcome = await self.place(
            fetched.gallery.slug, fetched.video, published=published, texts=texts, actor=actor
        )
        return replace(outcome, warnings=fetched.warnings + outcome.warnings)

    async def fetch(self, link: str, gallery_slug: str | None = None) -> Fetched:
        """Everything a preview needs: Vimeo's answer and the thumbnail (stored); saves no row."""
        try:
            ref = parse_video_link(link)
        except InvalidVideoLink as exc:
            raise CurateError(exc.message) from None
        gallery = await to_thread.run_sync(self._gallery, gallery_slug)
        await to_thread.run_sync(self._refuse_duplicate, gallery, ref.vimeo_id)
        try:
            oembed = await self.vimeo.oembed(ref)
        except VimeoError as exc:
            raise CurateError(exc.message) from None
        video, warnings, _ = await self._with_thumbnail(ref, oembed, previous=None)
        return Fetched(gallery, video, warnings)

    async def place(
        self,
        gallery_slug: str,
        video: Video,
        *,
        published: bool,
        texts: Mapping[str, str] | None = None,
        actor: str | None = None,
    ) -> Outcome:
        """Save a fetched video as a new statement at the end of a gallery."""
        warnings: tuple[str, ...] = ()
        if video.thumbnail and not await to_thread.run_sync(self.thumbnails.exists, video.thumbnail):
            # Pruned while the editor wrote the texts (it had no row yet): fetch it once more.
            video = replace(video, thumbnail=None)
            if video.thumbnail_url:
                try:
                    image = await self.vimeo.thumbnail(video.thumbnail_url)
                except VimeoError as exc:
                    warnings = (exc.message,)
                else:
                    video = replace(video, thumbnail=await self._store(image))
        elif video.thumbnail:
            # Their records may have gone with the preview's: made again if so (else only looked up).
            await to_thread.run_sync(ensure_variants, self.storage, self.thumbnails, video.thumbnail)

        def save() -> int:
            with self.storage.transaction() as tx:
                gallery = tx.gallery_by_slug(gallery_slug)
                if gallery is None:
                    raise CurateError(fill(NO_GALLERY, slug=gallery_slug))
                self._refuse_duplicate(gallery, video.vimeo_id, tx)
                tx.save_video(video)
                statement_id = tx.add_statement(
                    gallery.id, video.vimeo_id, published=published, **dict(texts or {})
                )
                # A full answer without a picture means the download failed: retry soon.
                no_picture = video.fetch_status is FetchStatus.OK and video.thumbnail is None
                schedule.record(
                    tx, self.policy, video.vimeo_id, video.fetch_status, time.time(), None, no_picture
                )
                if actor is not None:
                    audit.record(
                        tx,
                        actor,
                        "statement.add",
                        gallery_slug=gallery.slug,
                        vimeo_id=video.vimeo_id,
                        statement_id=statement_id,
                    )
                    if published:
                        audit.record(
                            tx,
                            actor,
                            "statement.publish",
                            gallery_slug=gallery.slug,
                            vimeo_id=video.vimeo_id,
                            statement_id=statement_id,
                        )
                return statement_id

        statement_id = await to_thread.run_sync(save)
        return Outcome(video, warnings, statement_id=statement_id)

    async def refresh(
        self, vimeo_id: int, *, actor: str | None = None, statement_id: int | None = None
    ) -> Outcome:
        """Ask Vimeo again. A definite "gone" or "not embeddable" hides the video; any other
        failure keeps the last good data and only records what went wrong."""
        previous = await to_thread.run_sync(self._video, vimeo_id)
        ref = VideoRef(vimeo_id, previous.unlisted_hash)
        now = utcnow()
        try:
            oembed = await self.vimeo.oembed(ref)
        except VimeoError as exc:
            if exc.definite or previous.fetch_status in {
                FetchStatus.NOT_FOUND,
                FetchStatus.FORBIDDEN,
            }:
                status = exc.status if exc.definite else previous.fetch_status
            else:
                status = FetchStatus.ERROR
            video = replace(previous, fetch_status=status, fetch_message=exc.message, fetched_at=now)
            changed: tuple[str, ...] = ("fetch_status",) if status != previous.fetch_status else ()
            await to_thread.run_sync(self._save_video, video, actor, statement_id, changed, exc)
            return Outcome(video, (exc.message,), changed, previous, error=exc)
        video, warnings, thumbnail_error = await self._with_thumbnail(ref, oembed, previous=previous)
        changed = tuple(
            name
            for name in (
                "title",
                "author_name",
                "duration",
                "width",
                "height",
                "thumbnail",
                "fetch_status",
            )
            if getattr(previous, name) != getattr(video, name)
        )
        failed = thumbnail_error is not None
        await to_thread.run_sync(self._save_video, video, actor, statement_id, changed, None, failed)
        return Outcome(video, warnings, changed, previous, thumbnail_error=thumbnail_error)

    async def remove(
        self, vimeo_id: int, gallery_slug: str | None = None, *, actor: str | None = None
    ) -> int:
        """Take a video out of one gallery (or all), with everything :meth:`delete` removes."""

        def select(reads: Reads) -> list[Statement]:
            found = [s for s in reads.statements() if s.vimeo_id == vimeo_id]
            if gallery_slug is not None:
                if reads.gallery_by_slug(gallery_slug) is None:
                    raise CurateError(N_("Diese Galerie gibt es nicht."))
                found = [s for s in found if s.gallery_slug == gallery_slug]
            if not found:
                raise CurateError(N_("Dieses Video ist in keiner Galerie."))
            return found

        return len(await to_thread.run_sync(self._purge, select, actor))

    async def delete(
        self, statement_id: int, *, everywhere: bool = False, actor: str | None = None
    ) -> list[Statement]:
        """Delete a statement (with ``everywhere``: its video in every gallery) for good: rows,
        texts left in free database pages, and thumbnails or posters nobody else uses."""

        def select(reads: Reads) -> list[Statement]:
            found = [s for s in reads.statements() if s.id == statement_id]
            if not found:
                raise CurateError(N_("Dieses Statement gibt es nicht (mehr)."))
            if everywhere:
                found = [s for s in reads.statements() if s.vimeo_id == found[0].vimeo_id]
            return found

        return await to_thread.run_sync(self._purge, select, actor)

    def _purge(self, select: Callable[[Reads], list[Statement]], actor: str | None) -> list[Statement]:
        return purge(self.storage, self.thumbnails, select, actor)

    # --- helpers -------------------------------------------------------------------------

    async def _with_thumbnail(
        self, ref: VideoRef, oembed: OEmbed, previous: Video | None
    ) -> tuple[Video, tuple[str, ...], VimeoError | None]:
        warnings = list(oembed.warnings)
        notes = list(oembed.warnings)
        thumbnail_error = None
        thumbnail = previous.thumbnail if previous else None
        thumbnail_url = previous.thumbnail_url if previous else None
        have_file = thumbnail is not None and await to_thread.run_sync(self.thumbnails.exists, thumbnail)
        if oembed.thumbnail_url and (oembed.thumbnail_url != thumbnail_url or not have_file):
            try:
                image = await self.vimeo.thumbnail(oembed.thumbnail_url)
            except VimeoError as exc:
                # The old picture (if any) stays; the next refresh tries the new one again.
                warnings.append(exc.message)
                notes.append(f"{THUMBNAIL_FAILED} {exc.message}")
                thumbnail_error = exc
            else:
                thumbnail = await self._store(image)
                thumbnail_url = oembed.thumbnail_url
                have_file = False  # its copies are made: nothing to check below
        if thumbnail is not None and have_file:
            # Kept from before: made now if it was stored before pictures had smaller copies.
            await to_thread.run_sync(ensure_variants, self.storage, self.thumbnails, thumbnail)
        if thumbnail is None:
            warnings.append(NO_THUMBNAIL)
        now = utcnow()
        keep_old = previous is not None and oembed.restricted
        video = Video(
            vimeo_id=ref.vimeo_id,
            unlisted_hash=ref.unlisted_hash,
            # A restricted answer lacks title and sizes: keep what we knew rather than erase it.
            title=oembed.title or (previous.title if keep_old and previous else ""),
            author_name=oembed.author_name or (previous.author_name if keep_old and previous else ""),
            duration=oembed.duration
            if oembed.duration is not None
            else (previous.duration if previous else None),
            width=oembed.width or (previous.width if previous else None),
            height=oembed.height or (previous.height if previous else None),
            upload_date=oembed.upload_date or (previous.upload_date if previous else None),
            thumbnail_url=thumbnail_url,
            thumbnail=thumbnail,
            fetch_status=FetchStatus.RESTRICTED if oembed.restricted else FetchStatus.OK,
            fetch_message=" ".join(notes),
            fetched_at=now,
            good_at=now,
        )
        return video, tuple(warnings), thumbnail_error

    async def _store(self, image: Image) -> str:
        """Store a thumbnail with its smaller copies (made here, once: never on a visitor's request)."""
        name = await to_thread.run_sync(self.thumbnails.save, image)
        await to_thread.run_sync(store_variants, self.storage, self.thumbnails, name, image.data)
        return name

    def _gallery(self, slug: str | None) -> Gallery:
        if slug is None:
            return self.storage.default_gallery()
        gallery = self.storage.gallery_by_slug(slug)
        if gallery is None:
            raise CurateError(fill(NO_GALLERY, slug=slug))
        return gallery

    def _refuse_duplicate(self, gallery: Gallery, vimeo_id: int, reads: Reads | None = None) -> None:
        if (reads or self.storage).statement(gallery.id, vimeo_id) is not None:
            raise CurateError(
                fill(N_("Dieses Video ist schon in der Galerie „%(gallery)s“."), gallery=gallery.title)
            )

    def _video(self, vimeo_id: int) -> Video:
        video = self.storage.video(vimeo_id)
        if video is None:
            raise CurateError(N_("Dieses Video ist in keiner Galerie."))
        return video

    def _save_video(
        self,
        video: Video,
        actor: str | None = None,
        statement_id: int | None = None,
        changed: tuple[str, ...] = (),
        error: VimeoError | None = None,
        thumbnail_failed: bool = False,
    ) -> None:
        with self.storage.transaction() as tx:
            tx.save_video(video)
            if actor is not None:
                audit.record_refresh(tx, actor, video.vimeo_id, statement_id, changed)
            schedule.record(
                tx, self.policy, video.vimeo_id, video.fetch_status, time.time(), error, thumbnail_failed
            )
            keep = tx.images_in_use()
        self.thumbnails.prune(keep)
