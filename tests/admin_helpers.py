"""Signing editors in and out and posting admin forms, as a browser would (AuthActions-style)."""

from __future__ import annotations

import base64
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from gallery.admin import accounts, passwords
from gallery.settings import Settings
from gallery.storage.store import Storage
from gallery.storage.thumbnails import image_store
from tests.htmlparse import Element, parse
from tests.postgres import raw_postgres

PASSWORD = "richtig-langes-passwort"
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}
CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def respellings(signed: str) -> list[str]:
    """The same signed value with its signature written differently but decoding to the same
    bytes: every other last character whose unused bits differ, and spare padding."""

    def decoded(signature: str) -> bytes:
        return base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))

    head, signature = signed.rsplit(".", 1)
    same = [
        f"{head}.{signature[:-1]}{c}"
        for c in B64
        if c != signature[-1] and decoded(signature[:-1] + c) == decoded(signature)
    ]
    assert same, "a SHA-256 signature in base64 always has spare bits in its last character"
    return [*same, signed + "=", signed + "=="]


class FakeClock:
    """Stands in for ``time.monotonic`` in the sign-in throttle; tests move it by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def create_editor(where: Path | Settings, name: str = "anna", password: str = PASSWORD) -> None:
    """An account as `gallery editor add` makes it, with cheap scrypt parameters to keep tests fast
    (the parameters travel in the hash; the default ones are tested on their own). ``where``: the
    SQLite file, or the settings naming the database."""
    db = Storage.from_settings(where) if isinstance(where, Settings) else Storage.sqlite(where)
    try:
        db.migrate()
        with db.transaction() as conn:
            accounts.add_editor(conn, name, passwords.hash_password(password, n=2**10, r=8, p=1))
    finally:
        db.close()


class AdminActions:
    """``login()``, ``logout()`` and form posts carrying the page's CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def login(self, name: str = "anna", password: str = PASSWORD, **extra: str) -> httpx.Response:
        return self.client.post(
            "/admin/login",
            data={"username": name, "password": password, **extra},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )

    def logout(self) -> httpx.Response:
        return self.post("/admin/logout")

    def csrf(self) -> str:
        page = self.client.get("/admin/")
        match = CSRF_RE.search(page.text)
        assert match, "signed in: every admin page carries the token"
        return match.group(1)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        files: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A form post from one of our pages: the session's token unless ``token`` is given."""
        form = {"csrf_token": self.csrf() if token is None else token, **(data or {})}
        return self.client.post(
            path, data=form, files=files, headers={**SAME_ORIGIN, **(headers or {})}, follow_redirects=False
        )

    def page(self, path: str) -> Element:
        r = self.client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        return parse(r.text)


def snapshot(where: Path | Settings) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table: "nothing changed" means this is equal before and after.

    ``where``: the SQLite file, or the settings naming the database (PostgreSQL too; its own
    bookkeeping of versions and changes is left out).
    """
    if isinstance(where, Settings) and where.database_url is not None:
        with raw_postgres(where.database_url.value) as pg:
            found = pg.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                " AND table_name NOT IN ('data_changes', 'schema_version') ORDER BY table_name"
            ).fetchall()
            return [
                (str(t), sorted(pg.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr))
                for (t,) in found
            ]
    conn = sqlite3.connect(where.database_path if isinstance(where, Settings) else where)
    try:
        found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        tables = [r[0] for r in found]
        return [(t, sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)) for t in tables]
    finally:
        conn.close()


def statement_id(where: Path | Settings, vimeo_id: int, slug: str = "videos") -> int:
    """The id of the statement showing ``vimeo_id`` in gallery ``slug`` (the SQLite file, or the settings)."""
    if isinstance(where, Settings):
        db = Storage.from_settings(where)
        try:
            gallery = db.gallery_by_slug(slug)
            found = db.statement(gallery.id, vimeo_id) if gallery else None
        finally:
            db.close()
        assert found is not None, (vimeo_id, slug)
        return found.id
    conn = sqlite3.connect(where)
    try:
        row = conn.execute(
            "SELECT s.id FROM statements s JOIN galleries g ON g.id = s.gallery_id"
            " WHERE s.vimeo_id = ? AND g.slug = ?",
            (vimeo_id, slug),
        ).fetchone()
    finally:
        conn.close()
    assert row, (vimeo_id, slug)
    return int(row[0])


def field_error(doc: Element, name: str) -> str:
    """The error text tied to a form field, checked the way a screen reader finds it."""
    control = doc.by_id(f"f-{name}")
    assert control is not None, name
    assert control.attrs.get("aria-invalid") == "true", name
    described = control.attrs.get("aria-describedby", "").split()
    assert f"f-{name}-error" in described, described
    error = doc.by_id(f"f-{name}-error")
    assert error is not None
    return error.text


def stored_pictures(settings: Settings) -> set[str]:
    """The names of the stored pictures themselves, without the smaller copies made of them."""
    db = Storage.from_settings(settings)
    try:
        names = image_store(db, settings).names()
        copies = {v.name for found in db.variants(names).values() for v in found}
        return names - copies
    finally:
        db.close()


def stored_images(settings: Settings) -> set[str]:
    """The names of every stored image (files in the data folder, or rows of the database)."""
    db = Storage.from_settings(settings)
    try:
        return image_store(db, settings).names()
    finally:
        db.close()


def remove_image(settings: Settings, name: str) -> None:
    """Delete one stored image behind the service's back, as another process would."""
    if settings.database_url is None:
        (settings.thumbnail_dir / name).unlink()
        return
    with raw_postgres(settings.database_url.value) as pg:
        assert pg.execute("DELETE FROM images WHERE name = %s", (name,)).rowcount == 1


def age_image(settings: Settings, name: str) -> None:
    """Make one stored image look old: past the grace that keeps fresh saves from clean-ups."""
    if settings.database_url is None:
        os.utime(settings.thumbnail_dir / name, (1, 1))
        return
    with raw_postgres(settings.database_url.value) as pg:
        pg.execute("UPDATE images SET created = '2000-01-01T00:00:00+00:00' WHERE name = %s", (name,))


def load_image(settings: Settings, name: str) -> bytes | None:
    """A stored image's bytes, read as the service reads them (on either engine)."""
    db = Storage.from_settings(settings)
    try:
        return image_store(db, settings).load(name)
    finally:
        db.close()
