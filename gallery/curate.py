"""What editors do to statements: add, refresh, remove. Used by the CLI and the admin area."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from anyio import to_thread

from . import schedule, store
from .db import Database, utcnow
from .i18n import gettext_noop as N_
from .models import FetchStatus, Gallery, Video
from .render import format_date
from .schedule import RefreshPolicy
from .thumbnails import ThumbnailStore
from .vimeo import (
    InvalidVideoLink,
    OEmbed,
    VideoRef,
    VimeoClient,
    VimeoError,
    parse_video_link,
)

MAX_TEXT = {
    "speaker_name": 200,
    "speaker_role": 200,
    "quote": 1000,
    "transcript": 50_000,
    "alt_text": 500,
}
NO_THUMBNAIL = N_("Kein Vorschaubild: Die Galerie zeigt einen Platzhalter.")
THUMBNAIL_FAILED = N_("Neues Vorschaubild nicht geladen:")


class CurateError(Exception):
    """An editor's request cannot be done; ``message`` says why in words they can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Outcome:
    video: Video
    warnings: tuple[str, ...]
    changed: tuple[str, ...] = ()
    error: VimeoError | None = None  # the oEmbed request failed (the old data was kept)
    thumbnail_error: VimeoError | None = None  # metadata came, the new picture did not


def status_line(video: Video) -> str:
    """What editors should know about a video's last look at Vimeo; empty when all is well."""
    if video.fetch_status is FetchStatus.ERROR:
        shown = (
            N_("Angezeigt werden die Angaben vom %(date)s.") % {"date": format_date(video.good_at)}
            if video.good_at
            else N_("Es gibt noch keine Angaben von Vimeo.")
        )
        return N_("Letzte Aktualisierung fehlgeschlagen: %(reason)s") % {"reason": video.fetch_message} + (
            " " + shown
        )
    if video.fetch_status is FetchStatus.NOT_FOUND or video.fetch_status is FetchStatus.FORBIDDEN:
        return N_("Für Besucher ausgeblendet: %(reason)s") % {"reason": video.fetch_message}
    return video.fetch_message


class Curator:
    """Binds the database, the thumbnail store and the Vimeo client together."""

    def __init__(
        self,
        db: Database,
        thumbnails: ThumbnailStore,
        vimeo: VimeoClient,
        policy: RefreshPolicy | None = None,
    ) -> None:
        self.db = db
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
    ) -> Outcome:
        """Fetch a video's metadata and thumbnail and place it in a gallery."""
        try:
            ref = parse_video_link(link)
        except InvalidVideoLink as exc:
            raise CurateError(exc.reason) from None
        texts = dict(texts or {})
        for name, value in texts.items():
            if name not in MAX_TEXT:
                raise TypeError(name)
            if len(value) > MAX_TEXT[name]:
                raise CurateError(N_("Ein Text ist zu lang.") + f" ({name}: max. {MAX_TEXT[name]})")
        gallery = await to_thread.run_sync(self._gallery, gallery_slug)
        await to_thread.run_sync(self._refuse_duplicate, gallery, ref.vimeo_id)
        try:
            oembed = await self.vimeo.oembed(ref)
        except VimeoError as exc:
            raise CurateError(exc.message) from None
        video, warnings, thumbnail_error = await self._with_thumbnail(ref, oembed, previous=None)

        def save() -> None:
            with self.db.transaction() as conn:
                self._refuse_duplicate(gallery, ref.vimeo_id, conn)
                store.save_video(conn, video)
                store.add_statement(conn, gallery.id, ref.vimeo_id, published=published, **texts)
                schedule.record(
                    conn, self.policy, ref.vimeo_id, video.fetch_status, time.time(), None, thumbnail_error
                )

        await to_thread.run_sync(save)
        return Outcome(video, warnings)

    async def refresh(self, vimeo_id: int) -> Outcome:
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
            await to_thread.run_sync(self._save_video, video, exc)
            return Outcome(video, (exc.message,), error=exc)
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
        await to_thread.run_sync(self._save_video, video, None, thumbnail_error)
        return Outcome(video, warnings, changed, thumbnail_error=thumbnail_error)

    async def remove(self, vimeo_id: int, gallery_slug: str | None = None) -> int:
        """Take a video out of one gallery (or all); delete thumbnails nobody uses any more."""

        def work() -> int:
            with self.db.transaction() as conn:
                gallery_ids = None
                if gallery_slug is not None:
                    gallery = store.gallery_by_slug(conn, gallery_slug)
                    if gallery is None:
                        raise CurateError(N_("Diese Galerie gibt es nicht."))
                    gallery_ids = [gallery.id]
                count = store.remove_statements(conn, vimeo_id, gallery_ids)
                if count == 0:
                    raise CurateError(N_("Dieses Video ist in keiner Galerie."))
                keep = store.referenced_thumbnails(conn)
            self.thumbnails.prune(keep)
            return count

        return await to_thread.run_sync(work)

    # --- helpers -------------------------------------------------------------------------

    async def _with_thumbnail(
        self, ref: VideoRef, oembed: OEmbed, previous: Video | None
    ) -> tuple[Video, tuple[str, ...], VimeoError | None]:
        warnings = list(oembed.warnings)
        notes = list(oembed.warnings)
        thumbnail_error = None
        thumbnail = previous.thumbnail if previous else None
        thumbnail_url = previous.thumbnail_url if previous else None
        have_file = thumbnail is not None and self.thumbnails.exists(thumbnail)
        if oembed.thumbnail_url and (oembed.thumbnail_url != thumbnail_url or not have_file):
            try:
                image = await self.vimeo.thumbnail(oembed.thumbnail_url)
            except VimeoError as exc:
                # The old picture (if any) stays; the next refresh tries the new one again.
                warnings.append(exc.message)
                notes.append(f"{THUMBNAIL_FAILED} {exc.message}")
                thumbnail_error = exc
            else:
                thumbnail = await to_thread.run_sync(self.thumbnails.save, image)
                thumbnail_url = oembed.thumbnail_url
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

    def _gallery(self, slug: str | None) -> Gallery:
        with self.db.connect() as conn:
            if slug is None:
                return store.default_gallery(conn)
            gallery = store.gallery_by_slug(conn, slug)
        if gallery is None:
            raise CurateError(N_("Diese Galerie gibt es nicht.") + f" ({slug})")
        return gallery

    def _refuse_duplicate(
        self, gallery: Gallery, vimeo_id: int, conn: sqlite3.Connection | None = None
    ) -> None:
        if conn is None:
            with self.db.connect() as own:
                return self._refuse_duplicate(gallery, vimeo_id, own)
        if store.statement(conn, gallery.id, vimeo_id) is not None:
            raise CurateError(
                N_("Dieses Video ist schon in der Galerie „%(gallery)s“.") % {"gallery": gallery.title}
            )
        return None

    def _video(self, vimeo_id: int) -> Video:
        with self.db.connect() as conn:
            video = store.video(conn, vimeo_id)
        if video is None:
            raise CurateError(N_("Dieses Video ist in keiner Galerie."))
        return video

    def _save_video(
        self, video: Video, error: VimeoError | None = None, thumbnail_error: VimeoError | None = None
    ) -> None:
        with self.db.transaction() as conn:
            store.save_video(conn, video)
            schedule.record(
                conn, self.policy, video.vimeo_id, video.fetch_status, time.time(), error, thumbnail_error
            )
            keep = store.referenced_thumbnails(conn)
        self.thumbnails.prune(keep)
