"""Nothing of one town on another town's host: every route, generated from the app's route table.

For each public and admin route (a route added later is covered without touching this file),
requested on Mölln's host with Ratzeburg's slugs, Vimeo ids, statement ids, picture names,
cookies and forgery tokens: the answer is 404 or 403 (or the sign-in page), shows nothing of
Ratzeburg's, and the stored data is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from gallery.admin.throttle import LoginThrottle, Policy
from tests.admin_helpers import CSRF_RE, PASSWORD, SAME_ORIGIN, AdminActions, snapshot
from tests.town_helpers import (
    A_HOST,
    A_MARK,
    B_HOST,
    B_PASSWORD,
    OPERATOR_PASSWORD,
    TwoTowns,
    make_two_towns,
    two_towns_app,
)

# Served by the asset lane from files every town shares (hashed names): nothing of a town's.
SHARED = {"/static/{name:path}", "/embed.js"}
FORM = {
    "scope": "always",
    "title": "geändert",
    "intro": "geändert",
    "quote": "geändert",
    "speaker_name": "geändert",
    "slug": "neu",
    "link": "https://vimeo.com/900000007",
    "direction": "up",
    "lang": "de",
    "revision": "1",
    "confirm": "1",
    "everywhere": "1",
    "remove": "1",
}


@pytest.fixture
def towns(curated_settings: object, vimeo_transport: httpx.AsyncBaseTransport) -> TwoTowns:
    return make_two_towns(curated_settings, vimeo_transport)  # type: ignore[arg-type]


@pytest.fixture
def app(towns: TwoTowns, vimeo_transport: httpx.AsyncBaseTransport) -> Starlette:
    return two_towns_app(towns, vimeo_transport)


def all_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path template, method) of every route, mounted ones included."""
    for route in routes:
        if isinstance(route, Mount):
            yield from all_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    yield prefix + route.path, method


def fill_in(template: str, towns: TwoTowns, statement_id: int) -> str:
    """The path with Ratzeburg's identifiers in every place a route takes one."""
    values = {
        "slug": towns.a_only_slug,
        "vimeo_id": str(towns.a_only_vimeo_id),
        "id": str(statement_id),
        "name": towns.a_only_thumbnail,
    }
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], template)


def signed_in(client: TestClient, host: str, name: str, password: str) -> str:
    """Sign in on ``host``; the page's forgery token."""
    r = client.post(
        f"https://{host}/admin/login",
        data={"username": name, "password": password},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303, (host, name, r.status_code)
    match = CSRF_RE.search(client.get(f"https://{host}/admin/").text)
    assert match
    return match.group(1)


def refused(r: httpx.Response) -> bool:
    """404 or 403; 405 (no such method) or 400 (the form is not complete); or off to the sign-in page."""
    if r.status_code in {400, 403, 404, 405}:
        return True
    return r.status_code in {302, 303} and r.headers["location"].split("?")[0].endswith("/admin/login")


def stored(towns: TwoTowns) -> list[object]:
    """Every stored row but the sign-in throttle's counts (a refused sign-in is counted, as it should)."""
    return [table for table in snapshot(towns.settings) if table[0] != "signin_attempts"]


def warm(client: TestClient) -> None:
    """Each town's site is made on its first request (it records its notice): before the snapshot."""
    for host in (A_HOST, B_HOST):
        assert client.get(f"https://{host}/").status_code == 200


def test_the_route_table_is_covered(app: Starlette) -> None:
    """The generated cases reach the admin and the public routes alike (the generator works)."""
    found = {path for path, _ in all_routes(app.routes)}
    assert {"/admin/s/{id:int}", "/g/{slug}/v/{vimeo_id}", "/admin/g/{slug}/settings", "/consent"} <= found


def test_every_route_on_the_other_towns_host_with_the_first_towns_ids_cookies_and_tokens(
    app: Starlette, towns: TwoTowns
) -> None:
    with TestClient(app, base_url=f"https://{A_HOST}") as client:
        warm(client)
        token = signed_in(client, A_HOST, "anna", PASSWORD)
        # Ratzeburg's consent and session cookies, sent to Mölln's host too.
        client.post(f"https://{A_HOST}/consent", data={"scope": "always"}, headers=SAME_ORIGIN)
        cookies = {c.name: c.value for c in client.cookies.jar}
        assert "__Host-gallery-consent" in cookies and len(cookies) >= 2
        before = stored(towns)
        failures = []
        for template, method in all_routes(app.routes):
            if template in SHARED:
                continue
            path = fill_in(template, towns, towns.a_statement_ids[0])
            r = client.request(
                method,
                f"https://{B_HOST}{path}",
                data={
                    **FORM,
                    "csrf_token": token,
                    "video": str(towns.a_only_vimeo_id),
                    "gallery": towns.a_only_slug,
                }
                if method == "POST"
                else None,
                headers={**SAME_ORIGIN, "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
                follow_redirects=False,
            )
            leaked = A_MARK in r.text or towns.a_only_slug in r.text or towns.a_only_thumbnail in r.text
            parameterless = "{" not in template
            if leaked or not (refused(r) or (parameterless and r.status_code in {200, 303})):
                failures.append((method, path, r.status_code, leaked))
        assert failures == []
        assert stored(towns) == before


def test_an_editor_of_the_other_town_reaches_none_of_the_first_towns_content(
    app: Starlette, towns: TwoTowns
) -> None:
    """Mölln's editor, signed in on Mölln's host, asks for Ratzeburg's ids: 404 or 403, every route."""
    with TestClient(app, base_url=f"https://{B_HOST}") as client:
        warm(client)
        token = signed_in(client, B_HOST, "anna", B_PASSWORD)
        before = stored(towns)
        failures = []
        statuses: set[int] = set()
        for template, method in all_routes(app.routes):
            if template in SHARED or "{" not in template:
                continue
            # The forms as pages send them: url-encoded, and multipart (the picture uploads).
            for statement_id, multipart in (
                (towns.a_statement_ids[0], False),
                (towns.a_statement_ids[-1], False),
                (towns.a_statement_ids[-1], True),
            ):
                path = fill_in(template, towns, statement_id)
                data = {**FORM, "csrf_token": token, "video": str(towns.a_only_vimeo_id)}
                r = client.request(
                    method,
                    f"https://{B_HOST}{path}",
                    data={**data, "gallery": towns.a_only_slug} if method == "POST" else None,
                    files={"upload": ("x.txt", b"x", "text/plain")}
                    if multipart and method == "POST"
                    else None,
                    headers=SAME_ORIGIN,
                    follow_redirects=False,
                )
                leaked = A_MARK in r.text or towns.a_only_thumbnail in r.text
                if leaked or r.status_code not in {400, 403, 404, 405}:
                    failures.append((method, path, multipart, r.status_code, leaked))
                statuses.add(r.status_code)
        assert failures == []
        assert 404 in statuses  # the lookups ran (not only refused forms)
        assert stored(towns) == before


def test_overlapping_slugs_and_ids_show_each_town_its_own(app: Starlette, towns: TwoTowns) -> None:
    with TestClient(app) as client:
        path = f"/g/videos/v/{towns.shared_vimeo_id}"
        a, b = client.get(f"https://{A_HOST}{path}"), client.get(f"https://{B_HOST}{path}")
        assert a.status_code == b.status_code == 200
        assert A_MARK in a.text and "Mölln 0" not in a.text
        assert "Mölln 0" in b.text and A_MARK not in b.text
        home = client.get(f"https://{B_HOST}/")
        assert A_MARK not in home.text and "nur-ratzeburg" not in home.text
        sitemap = client.get(f"https://{B_HOST}/sitemap.xml").text
        assert "moelln.test" in sitemap and "ratzeburg" not in sitemap
        assert f"https://{A_HOST}/" in client.get(f"https://{A_HOST}/sitemap.xml").text
        # The short link finds the town's own statement of a shared video, never another town's only one.
        assert (
            client.get(f"https://{B_HOST}/v/{towns.a_only_vimeo_id}", follow_redirects=False).status_code
            == 404
        )
        # Pictures: the shared video's on both hosts, Ratzeburg's own on Mölln's never.
        assert client.get(f"https://{A_HOST}/thumbs/{towns.a_only_thumbnail}").status_code == 200
        assert client.get(f"https://{B_HOST}/thumbs/{towns.a_only_thumbnail}").status_code == 404


def test_a_consent_cookie_is_no_consent_on_another_towns_host(app: Starlette, towns: TwoTowns) -> None:
    withdraw = 'action="/consent/revoke"'  # the form offered only while consent is remembered
    with TestClient(app) as client:
        r = client.post(
            f"https://{A_HOST}/consent", data={"scope": "always"}, headers=SAME_ORIGIN, follow_redirects=False
        )
        consent = r.cookies["__Host-gallery-consent"]
        headers = {"cookie": f"__Host-gallery-consent={consent}"}
        assert withdraw in client.get(f"https://{A_HOST}/", headers=headers).text
        assert withdraw not in client.get(f"https://{B_HOST}/", headers=headers).text
        # And the other way round: Mölln's record says Mölln.
        r = client.post(
            f"https://{B_HOST}/consent", data={"scope": "always"}, headers=SAME_ORIGIN, follow_redirects=False
        )
        headers = {"cookie": f"__Host-gallery-consent={r.cookies['__Host-gallery-consent']}"}
        assert withdraw in client.get(f"https://{B_HOST}/", headers=headers).text
        assert withdraw not in client.get(f"https://{A_HOST}/", headers=headers).text


def test_editors_sign_in_on_their_own_towns_host_only_operators_on_every_one(
    app: Starlette, towns: TwoTowns
) -> None:
    with TestClient(app) as client:
        warm(client)
        before = stored(towns)
        for host, name, password in (
            (B_HOST, "berta", PASSWORD),  # Ratzeburg's only
            (B_HOST, "anna", PASSWORD),  # Ratzeburg's anna's password: not Mölln's anna's
            (A_HOST, "anna", B_PASSWORD),
        ):
            r = AdminActions(client).client.post(
                f"https://{host}/admin/login",
                data={"username": name, "password": password},
                headers=SAME_ORIGIN,
                follow_redirects=False,
            )
            assert r.status_code != 303, (host, name)
        assert stored(towns) == before
        for host in (A_HOST, B_HOST):
            signed_in(client, host, "betrieb", OPERATOR_PASSWORD)
            overview = client.get(f"https://{host}/admin/")
            assert overview.status_code == 200
            assert (A_MARK in overview.text) == (host == A_HOST)


def test_an_unknown_host_gets_a_plain_404_naming_no_town(app: Starlette) -> None:
    with TestClient(app) as client:
        for host in (
            "gallery.test",
            "localhost",
            "127.0.0.1",
            "moelln.test.evil.example",
            "ratzeburg.test:x",
        ):
            r = client.get("/", headers={"host": host})
            assert r.status_code == 404, host
            assert r.headers["content-type"].startswith("text/plain")
            assert (
                "ratzeburg" not in r.text.lower() and "mölln" not in r.text.lower() and "moelln" not in r.text
            )


def test_failed_sign_ins_on_one_towns_host_block_no_account_of_another_town(
    towns: TwoTowns, vimeo_transport: httpx.AsyncBaseTransport
) -> None:
    """Both towns have an "anna": guessing at Mölln's must not lock out Ratzeburg's."""
    throttle = LoginThrottle(Policy(unit=600.0))
    app = two_towns_app(towns, vimeo_transport, throttle=throttle)
    with TestClient(app) as client:
        for _ in range(5):
            r = client.post(
                f"https://{B_HOST}/admin/login",
                data={"username": "anna", "password": "falsch-falsch-falsch"},
                headers=SAME_ORIGIN,
                follow_redirects=False,
            )
        assert r.status_code == 429  # Mölln's anna is held back
        r = client.post(
            f"https://{A_HOST}/admin/login",
            data={"username": "anna", "password": PASSWORD},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303


def test_every_picture_a_towns_page_shows_is_served_on_its_host(app: Starlette) -> None:
    """The smaller copies in srcset too: a town's own pictures are its own, in every size."""
    with TestClient(app) as client:
        for host in (A_HOST, B_HOST):
            page = client.get(f"https://{host}/")
            names = set(re.findall(r"/thumbs/[^\s\"',]+", page.text))
            assert any(n.endswith(".webp") for n in names), names  # copies are offered
            for name in sorted(names):
                assert client.get(f"https://{host}{name}").status_code == 200, (host, name)
