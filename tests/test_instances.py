"""Several instances on one PostgreSQL database: nothing one needs lives on another's disk.

Two apps (each with a data folder of its own) share one database: images, sign-in counts,
sessions, consent and the refresh lease. Then two real ``gallery serve`` processes: an edit through
one is on the other's public page within a second, and sign-in attempts count across both.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.admin import throttle
from gallery.admin.session_cookie import COOKIE_NAME as SESSION_COOKIE
from gallery.app import create_app
from gallery.public.consent import COOKIE_NAME as CONSENT_COOKIE
from gallery.settings import Settings
from gallery.vimeo.standin import StandIn
from tests.admin.test_curate import jpeg_with_metadata
from tests.admin.test_editing import form_values
from tests.admin_helpers import PASSWORD, AdminActions, FakeClock, create_editor, statement_id
from tests.conftest import TEST_KEY
from tests.htmlparse import parse
from tests.processes import clean_env, free_port, gallery_running
from tests.public.test_public import FIRST, consent_form, player_of, statement_path

BASE = "https://gallery.test"
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}
WRONG = "falsch-falsch-falsch"


# Every test here is about instances sharing one PostgreSQL database.
pytestmark = pytest.mark.engines("postgres")


@pytest.fixture
def clock() -> FakeClock:
    """One clock for both instances' throttles (in production: the servers' synchronised time)."""
    return FakeClock()


def instance(
    settings: Settings, folder: Path, transport: httpx.AsyncBaseTransport, clock: FakeClock
) -> Starlette:
    """An app on the same database as ``settings``, with a data folder of its own."""
    own = replace(settings, data_dir=folder)
    return create_app(own, vimeo_transport=transport, throttle=throttle.LoginThrottle(clock=clock))


@pytest.fixture
def pair(
    populated_app: Starlette,
    curated_settings: Settings,
    vimeo_transport: httpx.AsyncBaseTransport,
    clock: FakeClock,
    tmp_path: Path,
) -> Iterator[tuple[TestClient, TestClient]]:
    """Instances A and B on one database (the six samples in it), each with its own data folder."""
    create_editor(curated_settings)
    a = instance(curated_settings, tmp_path / "a", vimeo_transport, clock)
    b = instance(curated_settings, tmp_path / "b", vimeo_transport, clock)
    with TestClient(a, base_url=BASE) as one, TestClient(b, base_url=BASE) as other:
        yield one, other


# --- images --------------------------------------------------------------------------------


def test_an_image_stored_through_one_instance_is_served_by_the_other(
    pair: tuple[TestClient, TestClient], curated_settings: Settings
) -> None:
    a, b = pair
    editor = AdminActions(a)
    assert editor.login().status_code == 303
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    r = editor.post(f"/admin/s/{sid}/poster", files={"poster": ("p.jpg", jpeg_with_metadata(), "image/jpeg")})
    assert r.status_code == 303
    card = parse(b.get(statement_path(FIRST.vimeo_id)).text).find("img")
    src = card.attrs["src"]
    assert src.startswith("/thumbs/") and src.endswith(".jpg")
    on_a, on_b = a.get(src), b.get(src)
    assert on_b.status_code == 200 and on_b.headers["content-type"] == "image/jpeg"
    assert on_b.content == on_a.content and on_b.headers["etag"] == on_a.headers["etag"]
    assert on_b.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert b.get(src, headers={"if-none-match": on_b.headers["etag"]}).status_code == 304
    assert not any((curated_settings.data_dir.parent / "b").rglob("*.jpg")), "nothing on B's disk"
    # Removed through A: B holds it in memory, but stops serving it within a second.
    assert editor.post(f"/admin/s/{sid}/poster", {"remove": "1"}).status_code == 303
    time.sleep(1.1)
    gone = b.get(src)
    assert gone.headers["content-type"] == "image/svg+xml" and gone.headers["cache-control"] == "no-store"


# --- sign-in, sessions, consent ---------------------------------------------------------------


def test_failed_sign_ins_count_across_instances(pair: tuple[TestClient, TestClient]) -> None:
    a, b = (AdminActions(client) for client in pair)
    policy = throttle.Policy()
    # Three free failures in all, not three per instance: the fourth blocks, wherever it came from.
    for n in range(policy.account_free + 1):
        assert (a if n % 2 else b).login("anna", WRONG).status_code == 400
    refused = a.login("anna", PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert b.login("anna", PASSWORD).status_code == 429


def test_failures_from_one_address_count_across_instances(
    pair: tuple[TestClient, TestClient], curated_settings: Settings, populated_app: Starlette
) -> None:
    policy = throttle.Policy()
    names = [f"name{n}" for n in range(policy.address_free + 1)]
    for name in names:  # cheap hashes: an unknown name would cost a full-strength check
        create_editor(curated_settings, name)
    a_app, b_app = (client.app for client in pair)
    with (
        TestClient(a_app, base_url=BASE, client=("203.0.113.7", 4000)) as on_a,
        TestClient(b_app, base_url=BASE, client=("203.0.113.7", 4001)) as on_b,
    ):
        for n, name in enumerate(names):
            assert AdminActions(on_a if n % 2 else on_b).login(name, WRONG).status_code == 400
        assert AdminActions(on_a).login("anna", PASSWORD).status_code == 429


def test_a_session_and_a_consent_from_one_instance_work_on_the_other(
    pair: tuple[TestClient, TestClient],
) -> None:
    a, b = pair
    assert AdminActions(a).login().status_code == 303
    r = a.post(
        "/consent", data=consent_form(FIRST.vimeo_id, "always"), headers=SAME_ORIGIN, follow_redirects=False
    )
    assert r.status_code == 303
    for name in (SESSION_COOKIE, CONSENT_COOKIE):
        value = a.cookies.get(name)
        assert value, name
        b.cookies.set(name, value, domain="gallery.test", path="/admin" if name == SESSION_COOKIE else "/")
    admin = b.get("/admin/", follow_redirects=False)
    assert admin.status_code == 200 and "anna" in admin.text
    player_of(parse(b.get(statement_path(FIRST.vimeo_id)).text))


def test_one_refresher_at_a_time_across_instances(pair: tuple[TestClient, TestClient]) -> None:
    a, b = pair
    runtimes = [client.app_state["runtime"] for client in pair]
    storage = runtimes[0].curator.storage

    def everything_due() -> None:
        with storage.transaction() as tx:
            tx.bring_forward([v.vimeo_id for v in storage.videos()], time.time() - 1)

    everything_due()
    first = a.portal.call(runtimes[0].refresher.run_once)  # type: ignore[union-attr]
    assert first.refreshed and not first.skipped
    everything_due()
    second = b.portal.call(runtimes[1].refresher.run_once)  # type: ignore[union-attr]
    assert second.skipped == "lease held elsewhere" and not second.refreshed
    assert storage.refresh_state().holder == runtimes[0].refresher.holder


# --- two `gallery serve` processes ------------------------------------------------------------


def sign_in(base: str, name: str = "anna", password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{base}/admin/login", data={"username": name, "password": password}, headers=SAME_ORIGIN, timeout=30
    )


def session_header(response: httpx.Response) -> dict[str, str]:
    """The session cookie as a header: it is Secure, and these servers are plain http on loopback."""
    jar: SimpleCookie = SimpleCookie()
    jar.load(response.headers["set-cookie"])
    return {"cookie": f"{SESSION_COOKIE}={jar[SESSION_COOKIE].value}"}


@pytest.mark.slow
def test_two_serve_processes_share_edits_within_a_second_and_count_sign_ins_together(
    populated_app: Starlette, curated_settings: Settings, standin: StandIn, tmp_path: Path
) -> None:
    assert curated_settings.database_url is not None
    create_editor(curated_settings)
    sid = statement_id(curated_settings, FIRST.vimeo_id)
    common = {
        "GALLERY_DATABASE_URL": curated_settings.database_url.value,
        "GALLERY_SECRET_KEYS": TEST_KEY,
        # Vimeo is never needed here: its addresses lead nowhere (nothing is due for a day).
        "GALLERY_VIMEO_OEMBED_URL": curated_settings.vimeo_oembed_url,
        "GALLERY_VIMEO_PLAYER_URL": curated_settings.vimeo_player_url,
        "GALLERY_VIMEO_THUMBNAIL_HOSTS": ",".join(curated_settings.vimeo_thumbnail_hosts),
    }
    ports = free_port(), free_port()
    with (
        gallery_running(
            ["serve", "--port", str(ports[0])],
            clean_env(**common, GALLERY_DATA_DIR=str(tmp_path / "a")),
            ports[0],
            tmp_path / "a.log",
        ) as (url_a, _),
        gallery_running(
            ["serve", "--port", str(ports[1])],
            clean_env(**common, GALLERY_DATA_DIR=str(tmp_path / "b")),
            ports[1],
            tmp_path / "b.log",
        ) as (url_b, _),
        httpx.Client(base_url=url_b, timeout=30) as b,
    ):
        page = statement_path(FIRST.vimeo_id)
        assert b.get(page).status_code == 200 and b.get(page).status_code == 200  # cached on B now
        headers = {**SAME_ORIGIN, **session_header(sign_in(url_a))}
        with httpx.Client(base_url=url_a, headers=headers, timeout=30) as a:
            form = parse(a.get(f"/admin/s/{sid}").text)
            values = {**form_values(form), "speaker_name": "Neu über Instanz A"}
            token = form.find("input", name="csrf_token").attrs["value"]
            saved = a.post(f"/admin/s/{sid}", data={**values, "csrf_token": token})
            assert saved.status_code == 303
            # The contract: within a second of A's answer, B's cached page shows the edit.
            deadline = time.monotonic() + 1.0
            while "Neu über Instanz A" not in b.get(page).text:
                assert time.monotonic() < deadline, "B still shows the old page after a second"
                time.sleep(0.05)
        # Sign-in failures alternate between the two: together they block the account.
        answers = [sign_in(url_a if n % 2 else url_b, "anna", WRONG).status_code for n in range(6)]
        assert 429 in answers, answers
        assert answers[: throttle.Policy().account_free] == [400] * throttle.Policy().account_free
