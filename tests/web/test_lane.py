"""The page lane: the same answer as the whole app, byte for byte, only where it may, never stale."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.public.consent import COOKIE_NAME, ConsentSigner
from gallery.settings import Secret, Settings
from gallery.storage.store import Storage
from gallery.web.cache import PageCache
from gallery.web.lane import SharedAnswer
from tests.helpers import SAME_ORIGIN, seed_statements
from tests.htmlparse import parse

FIRST = sample_videos()[0][0]
STATEMENT = f"/g/videos/v/{FIRST.vimeo_id}"
GZIP = {"accept-encoding": "gzip"}
# Every way a visitor's page is asked for that the lane may answer.
REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/", GZIP),
    ("GET", "/", {"accept-encoding": "identity"}),
    ("GET", "/", {}),
    ("HEAD", "/", GZIP),
    ("GET", "/?lang=en", GZIP),
    ("GET", "/?lang=de", GZIP),
    ("GET", "/", {**GZIP, "accept-language": "en-GB,en;q=0.9"}),
    ("GET", "/g/videos", GZIP),
    ("GET", STATEMENT, GZIP),
    ("HEAD", STATEMENT, {}),
    ("GET", f"{STATEMENT}?lang=en", {}),
    ("GET", "/privacy", GZIP),
    ("GET", "/accessibility?lang=en", GZIP),
]


def answered(client: TestClient) -> int:
    pages: PageCache = client.app.services.pages  # type: ignore[attr-defined]
    return pages.answered


def whole_and_lane(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    """The same request answered by the whole app and by the lane (checked to be the lane's)."""
    pages: PageCache = client.app.services.pages  # type: ignore[attr-defined]
    unconditional = {k: v for k, v in headers.items() if k != "if-none-match"}
    client.request("GET", path, headers=unconditional)  # recorded
    before = pages.answered
    lane = client.request(method, path, headers=headers)
    assert pages.answered == before + 1, f"the lane did not answer {method} {path} {headers}"
    pages.clear()  # nothing recorded (nor rendered): the whole app answers
    whole = client.request(method, path, headers=headers)
    assert pages.answered == before + 1
    return whole, lane


def assert_alike(whole: httpx.Response, lane: httpx.Response, what: str) -> None:
    assert lane.status_code == whole.status_code, what
    assert lane.headers.raw == whole.headers.raw, what  # every header, in order, repeated ones too
    assert lane.content == whole.content, what


@pytest.fixture(params=["https", "http"])
def visitor(request: pytest.FixtureRequest, populated_app: Starlette) -> Iterator[TestClient]:
    with TestClient(populated_app, base_url=f"{request.param}://gallery.test") as client:
        yield client


def cookie_for(kind: str, client: TestClient) -> dict[str, str]:
    signer: ConsentSigner = client.app.services.signer  # type: ignore[attr-defined]
    valid = f"{COOKIE_NAME}={signer.issue()}"
    return {
        "none": {},
        "valid": {"cookie": valid},
        "forged": {"cookie": f"{COOKIE_NAME}=eyJ2IjoieCIsInAiOiJ2aW1lbyIsImlhdCI6MX0.forged.sig"},
        "foreign": {"cookie": "_town_stats=1; lang=en"},
        "valid and foreign": {"cookie": f"_town_stats=1; {valid}"},
    }[kind]


@pytest.mark.parametrize("cookie", ["none", "valid", "forged", "foreign", "valid and foreign"])
def test_the_lane_answers_exactly_what_the_whole_app_answers(visitor: TestClient, cookie: str) -> None:
    visitor.cookies.clear()  # the cookie goes in the header, as a browser sends it
    for method, path, headers in REQUESTS:
        asked = {**headers, **cookie_for(cookie, visitor)}
        whole, lane = whole_and_lane(visitor, method, path, asked)
        what = f"{method} {path} {asked}"
        assert_alike(whole, lane, what)
        assert whole.status_code == 200, what
        assert "set-cookie" not in whole.headers, what
        assert whole.headers["cache-control"] == "private, no-cache", what
        consent = cookie.startswith("valid")
        if method == "GET":
            # A forged cookie is no consent, a foreign one is none of ours: only a valid one counts.
            assert (b'class="revoke"' in whole.content) == consent, what
        else:
            assert whole.content == b"" and int(whole.headers["content-length"]) > 0, what
        # The browser asks again with the ETag it holds: 304 on both roads, alike.
        again = {**asked, "if-none-match": whole.headers["etag"]}
        whole, lane = whole_and_lane(visitor, method, path, again)
        assert_alike(whole, lane, f"{what}, revalidated")
        assert whole.status_code == 304 and whole.content == b""
        assert "content-length" not in whole.headers and "content-encoding" not in whole.headers


def test_pages_revalidate_with_their_etag(populated: TestClient) -> None:
    first = populated.get(STATEMENT, headers=GZIP)
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "private, no-cache"
    assert populated.get(STATEMENT, headers={**GZIP, "if-none-match": etag}).status_code == 304
    assert populated.get(STATEMENT, headers={**GZIP, "if-none-match": f'"other", {etag}'}).status_code == 304
    # Another page, another language, another consent state: another ETag, so the whole page.
    for other in ("/", f"{STATEMENT}?lang=en"):
        assert populated.get(other, headers={"if-none-match": etag}).status_code == 200
    populated.post("/consent", data={"scope": "always", "next": "/"}, headers=SAME_ORIGIN)
    with_player = populated.get(STATEMENT, headers={"if-none-match": etag})
    assert with_player.status_code == 200 and "<iframe" in with_player.text
    # Errors are never kept.
    missing = populated.get("/g/videos/v/1")
    assert missing.status_code == 404 and missing.headers["cache-control"] == "private, no-store"
    assert "etag" not in missing.headers


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/?play=900000001", {}),
        ("GET", "/?x=1", {}),
        ("GET", "/?lang=fr", {}),
        ("GET", "/?lang=en&lang=de", {}),
        ("GET", "/?remembered=forged", {}),
        ("GET", "/g/videos/", {}),
        ("GET", "/nope", {}),
        ("GET", "/g/videos/v/1", {}),
        ("GET", f"/v/{FIRST.vimeo_id}", {}),
        ("GET", "/g/videos/embed", {}),
        ("GET", "/healthz", {}),
        ("GET", "/sitemap.xml", {}),
        ("GET", "/admin/login", {}),
        ("GET", "/admin/", {}),
        ("POST", "/consent", SAME_ORIGIN),
        ("POST", "/", {}),
    ],
)
def test_what_the_lane_never_answers(
    populated: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    for _ in range(3):
        populated.request(method, path, headers=headers, follow_redirects=False)
    assert answered(populated) == 0


def test_the_editors_area_never_takes_the_lane_even_for_a_visitor_page_address(
    populated_app: Starlette,
) -> None:
    with TestClient(populated_app, base_url="https://gallery.test") as client:
        for _ in range(3):
            assert client.get("/admin/login").status_code == 200
        assert answered(client) == 0
        client.get("/")
        client.get("/")
        assert answered(client) == 1


def test_each_host_and_scheme_gets_its_own_recording(
    curated_settings: Settings, populated_app: Starlette
) -> None:
    """Without a public URL, pages name the host and scheme they were asked with (and HSTS only
    comes over https): one recording for each."""
    settings = replace(curated_settings, allowed_hosts=("gallery.test", "videos.stadt.example")).checked()
    app = create_app(settings)
    origins = [f"{scheme}://{host}" for scheme in ("https", "http") for host in settings.allowed_hosts]
    for origin in origins * 2:
        with TestClient(app, base_url=origin) as client:
            r = client.get(STATEMENT)
            links = parse(r.text).find_all("link")
            assert [el.attrs["href"] for el in links if el.attrs.get("rel") == "canonical"] == [
                f"{origin}{STATEMENT}"
            ]
            assert ("strict-transport-security" in r.headers) == origin.startswith("https:")
    assert app.services.pages.answered == len(origins)  # type: ignore[attr-defined]


def test_a_change_anywhere_drops_the_recording(populated: TestClient, curated_settings: Settings) -> None:
    for _ in range(2):
        assert "Neuer Titel" not in populated.get("/").text
    assert answered(populated) == 1
    # Another process (the CLI, another instance) writes: this app's storage object is not told.
    db = Storage.from_settings(curated_settings)
    with db.transaction() as tx:
        tx.update_gallery(tx.default_gallery().id, title="Neuer Titel")
    db.close()
    time.sleep(0.3)  # noticed within PageCache.probe_interval
    assert "Neuer Titel" in populated.get("/").text
    assert answered(populated) == 1  # the whole way: the recording was dropped
    assert "Neuer Titel" in populated.get("/").text
    assert answered(populated) == 2


def test_an_answer_with_a_cookie_is_never_recorded() -> None:
    headers = [(b"content-type", b"text/html"), (b"etag", b'"1"')]
    assert SharedAnswer.of(headers, b"x") is not None
    assert SharedAnswer.of([*headers, (b"set-cookie", b"a=b")], b"x") is None
    assert SharedAnswer.of([*headers, (b"Set-Cookie", b"a=b")], b"x") is None
    assert SharedAnswer.of(headers[:1], b"x") is None  # nothing to revalidate with


def test_a_consent_checked_once_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = ConsentSigner((Secret("k" * 32),), "v1", max_age=1000)
    clock = [1_800_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    record = signer.issue()
    assert signer.is_valid(record)
    clock[0] += 999
    assert signer.is_valid(record)
    clock[0] += 2
    assert not signer.is_valid(record)
    assert not signer.is_valid(record)


@pytest.fixture
def two_pages(settings: Settings) -> Iterator[TestClient]:
    """Thirty statements in the default gallery: its second page holds the last six."""
    seed_statements(settings, 30)
    with TestClient(create_app(settings), base_url="https://gallery.test") as client:
        yield client


@pytest.mark.parametrize("cookie", ["none", "valid", "forged"])
def test_a_lists_later_pages_take_the_lane_alike(two_pages: TestClient, cookie: str) -> None:
    two_pages.cookies.clear()
    for query in ("page=2", "page=2&lang=en", "lang=en&page=2"):
        for path in (f"/?{query}", f"/g/videos?{query}"):
            asked = {**GZIP, **cookie_for(cookie, two_pages)}
            whole, lane = whole_and_lane(two_pages, "GET", path, asked)
            assert_alike(whole, lane, path)
            assert whole.status_code == 200 and len(parse(whole.text).with_class("card")) == 6, path
            assert ('<html lang="en"' in whole.text) == ("lang=en" in query), path
            again = {**asked, "if-none-match": whole.headers["etag"]}
            whole, lane = whole_and_lane(two_pages, "GET", path, again)
            assert_alike(whole, lane, f"{path}, revalidated")
            assert whole.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/?page=3",  # no such page: a 404 is never kept
        "/?page=02",
        "/?page=2&page=2",
        "/?page=2&lang=fr",
        "/?page=2&x=1",
        "/?page=1",  # the first page's address is the gallery's own: a redirect
        "/privacy?page=2",  # not a list: the same page under another address is not recorded
        "/accessibility?page=2&lang=en",
        f"/g/videos/v/{FIRST.vimeo_id}?page=2",
    ],
)
def test_page_numbers_the_lane_never_records(two_pages: TestClient, path: str) -> None:
    for _ in range(3):
        two_pages.get(path, follow_redirects=False)
    assert answered(two_pages) == 0
