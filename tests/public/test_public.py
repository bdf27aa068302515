"""The visitor's pages through the real ASGI app: content, consent flows without JavaScript,
forgery checks, and what never happens before consent."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from gallery.cli.demo.samples import sample_videos
from gallery.public.consent import COOKIE_NAME
from gallery.vimeo.standin import StandIn
from tests.helpers import query
from tests.htmlparse import Element, fetched_urls, json_ld, parse, running_scripts
from tests.roads import both_roads

# Every test here runs on both roads a visitor's page can take (tests/roads.py).
pytestmark = both_roads

SAMPLES = [video for video, _ in sample_videos()]
UNLISTED = next(v for v in SAMPLES if v.unlisted_hash)
RESTRICTED = next(v for v in SAMPLES if v.restricted)
FIRST = SAMPLES[0]
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


def statement_path(vimeo_id: int, slug: str = "videos") -> str:
    return f"/g/{slug}/v/{vimeo_id}"


def consent_form(video_id: int, scope: str, next_path: str | None = None) -> dict[str, str]:
    return {
        "scope": scope,
        "video": str(video_id),
        "gallery": "videos",
        "next": next_path or statement_path(video_id),
    }


def give_consent(client: TestClient) -> None:
    r = client.post(
        "/consent",
        data=consent_form(FIRST.vimeo_id, "always"),
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.cookies.get(COOKIE_NAME)


def cards(doc: Element) -> list[Element]:
    return doc.with_class("card")


# --- the gallery without consent --------------------------------------------------------


def test_gallery_shows_every_statement_with_its_content(populated: TestClient) -> None:
    r = populated.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    doc = parse(r.text)
    assert doc.find("html").attrs["lang"] == "de"
    found = cards(doc)
    assert len(found) == len(SAMPLES)
    for card, (video, texts) in zip(found, sample_videos(), strict=True):
        text = card.text
        if not video.restricted:
            assert video.title in text
        assert texts["speaker_name"] in text
        assert texts["speaker_role"] in text
        assert texts["quote"] in text
        img = card.find("img")
        assert img is not None and img.attrs["alt"] == texts["alt_text"]
        assert img.attrs["src"].startswith(("/thumbs/", "/static/"))
        transcript = card.find("details")
        assert transcript is not None and "vollständige Abschrift" in transcript.text
    # duration, m:ss
    assert "1:24" in found[0].text


NOTICE_FACTS = ("Vimeo.com, Inc.", "USA", "IP-Adresse", "Gerät", "abzuspielen", "widerrufen")


def the_notice(doc: Element) -> Element:
    """The first layer of the notice: exactly once on the page, with every fact and the full notice."""
    notices = [el for el in doc.find_all() if el.attrs.get("id") == "vimeo-notice"]
    assert len(notices) == 1, "the notice is said once per page"
    notice = notices[0]
    for fact in NOTICE_FACTS:
        assert fact in notice.text, fact
    assert notice.find("a", href="/privacy") is not None
    return notice


def test_the_notice_is_said_once_and_every_card_keeps_two_equal_buttons(populated: TestClient) -> None:
    doc = parse(populated.get("/").text)
    notice = the_notice(doc)
    # above the gallery: before the first card
    main_text = doc.find("main").text
    assert main_text.index(notice.text[:40]) < main_text.index(cards(doc)[0].text[:20])
    for card in cards(doc):
        form = card.find("form")
        assert form is not None
        assert form.attrs["method"] == "post" and form.attrs["action"] == "/consent"
        buttons = form.find_all("button")
        assert [b.attrs.get("value") for b in buttons] == ["once", "always"]
        assert {b.attrs["type"] for b in buttons} == {"submit"}
        assert len({b.attrs["class"] for b in buttons}) == 1, "both choices must look alike"
        assert form.find("input", type="checkbox") is None, "nothing to pre-check"
        fields = {i.attrs["name"]: i.attrs["value"] for i in form.find_all("input", type="hidden")}
        assert {"video", "next"} <= set(fields)
        # "always" returns to this card in the gallery (a page without script shows its player there)
        video = fields["video"]
        assert fields["next"] == f"/g/videos?play={video}"
        for button in buttons:
            assert "Vimeo" in button.text
            assert button.attrs["aria-describedby"] == "vimeo-notice"
        # one short line on the card; the notice itself is not repeated
        assert card.find("p", class_="via").text == "Video von Vimeo (USA)"
        assert "IP-Adresse" not in card.text and card.find("a", href="/privacy") is None
        # the accessible name names the video (restricted ones fall back to a neutral title)
        title = card.find("h2").text
        assert all(title in b.text for b in buttons)


def test_no_page_loads_anything_before_consent(populated: TestClient) -> None:
    pages = ["/", "/g/videos", "/privacy", "/g/videos/v/1", "/nope"]
    pages += [statement_path(v.vimeo_id) for v in SAMPLES]
    for path in pages:
        r = populated.get(path)
        assert "set-cookie" not in r.headers, path
        doc = parse(r.text)
        assert doc.find("iframe") is None, path
        for tag, attr, value in fetched_urls(doc):
            parts = urlsplit(value)
            assert not parts.scheme and not parts.netloc, f"{path}: <{tag} {attr}={value}>"
        for link in doc.find_all("link"):
            assert link.attrs.get("rel") not in {
                "preconnect",
                "dns-prefetch",
                "prefetch",
                "preload",
            }
        assert "vimeocdn" not in r.text and "player.vimeo.com" not in r.text, path


def test_visitors_never_cause_a_request_to_vimeo(populated: TestClient, standin: StandIn) -> None:
    before = len(standin.requests)
    give_consent(populated)
    for path in ["/", "/privacy", statement_path(FIRST.vimeo_id), f"/v/{UNLISTED.vimeo_id}"]:
        populated.get(path)
    populated.post("/consent", data=consent_form(FIRST.vimeo_id, "once"), headers=SAME_ORIGIN)
    assert len(standin.requests) == before


def test_statement_page_without_consent(populated: TestClient) -> None:
    r = populated.get(statement_path(FIRST.vimeo_id))
    assert r.status_code == 200
    doc = parse(r.text)
    assert doc.find("h1").text == FIRST.title
    assert doc.find("iframe") is None
    form = doc.find("form", action="/consent")
    assert form is not None
    assert form.find("input", name="next").attrs["value"] == statement_path(FIRST.vimeo_id)
    # the notice sits at the player, once, and both buttons point to it
    notice = the_notice(doc)
    assert doc.by_id("player").find(None, id="vimeo-notice") is notice
    assert {b.attrs["aria-describedby"] for b in form.find_all("button")} == {"vimeo-notice"}
    assert "Abschrift" in doc.find("main").text
    assert doc.find("form", action="/consent/revoke") is None


def test_short_statement_url_redirects_to_the_canonical_one(populated: TestClient) -> None:
    r = populated.get(f"/v/{FIRST.vimeo_id}", follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == statement_path(FIRST.vimeo_id)


@pytest.mark.parametrize(
    "path",
    [
        "/v/1",
        "/v/abc",
        "/v/\u0669\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0661",  # Arabic-Indic digits for 900000001
        "/v/" + "9" * 40,
        "/g/videos/v/1",
        "/g/videos/v/0",
        "/g/nope",
        "/g/nope/v/900000001",
        "/g/%00",  # PostgreSQL's text cannot even be asked for NUL: still a 404, not a 500
        "/g/videos%00/v/900000001",
    ],
)
def test_unknown_things_are_404_with_a_message(populated: TestClient, path: str) -> None:
    r = populated.get(path)
    assert r.status_code == 404
    doc = parse(r.text)
    assert doc.find("h1").text == "Nicht gefunden"
    assert doc.find("main").find("p").text  # a sentence saying what is missing


# --- consent flows without JavaScript ---------------------------------------------------


def player_of(doc: Element) -> Element:
    frames = doc.find_all("iframe")
    assert len(frames) == 1, "exactly one player"
    return frames[0]


def test_once_shows_the_player_and_remembers_nothing(
    populated: TestClient, curated_settings
) -> None:  # type: ignore[no-untyped-def]
    r = populated.post(
        "/consent",
        data=consent_form(UNLISTED.vimeo_id, "once"),
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 200
    assert "set-cookie" not in r.headers
    frame = player_of(parse(r.text))
    src = urlsplit(frame.attrs["src"])
    assert (
        f"{src.scheme}://{src.netloc}{src.path}"
        == f"{curated_settings.vimeo_player_url}{UNLISTED.vimeo_id}"
    )
    query = parse_qs(src.query)
    assert query["dnt"] == ["1"] and query["h"] == [UNLISTED.unlisted_hash]
    assert UNLISTED.title in frame.attrs["title"]
    assert frame.attrs["allow"] == "autoplay; fullscreen; picture-in-picture; encrypted-media"
    assert frame.attrs["referrerpolicy"] == "strict-origin-when-cross-origin"
    assert parse(r.text).find(None, role="status") is not None
    # a later visit asks again: nothing was remembered
    again = parse(populated.get(statement_path(UNLISTED.vimeo_id)).text)
    assert again.find("iframe") is None


def test_always_remembers_then_revoke_forgets(populated: TestClient) -> None:
    target = statement_path(FIRST.vimeo_id)
    r = populated.post(
        "/consent",
        data=consent_form(FIRST.vimeo_id, "always"),
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303
    location = urlsplit(r.headers["location"])
    # back to the page, with a marker that only lets it check whether the cookie arrived
    assert location.path == target and set(parse_qs(location.query)) == {"remembered"}
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax", "Max-Age=15552000"):
        assert attribute in cookie
    assert "Domain" not in cookie
    # every statement now plays, and every page offers withdrawal
    for video in SAMPLES[:3]:
        doc = parse(populated.get(statement_path(video.vimeo_id)).text)
        player_of(doc)
        assert doc.find("form", action="/consent/revoke") is not None
    gallery = parse(populated.get("/").text)
    assert gallery.find("iframe") is None, "the gallery never loads a page full of players"
    assert gallery.find("form", action="/consent") is None
    assert gallery.find("form", action="/consent/revoke") is not None
    assert parse(populated.get("/privacy").text).find("form", action="/consent/revoke") is not None

    revoke_form = gallery.find("form", action="/consent/revoke")
    next_value = revoke_form.find("input", name="next").attrs["value"]
    r = populated.post(
        "/consent/revoke", data={"next": next_value}, headers=SAME_ORIGIN, follow_redirects=False
    )
    assert r.status_code == 303 and urlsplit(r.headers["location"]).path == "/"
    deletion = r.headers["set-cookie"]
    assert deletion.startswith(f"{COOKIE_NAME}=;") and "Max-Age=0" in deletion
    assert "Secure" in deletion and "Path=/" in deletion
    assert COOKIE_NAME not in populated.cookies
    doc = parse(populated.get(target).text)
    assert doc.find("iframe") is None
    assert doc.find("form", action="/consent/revoke") is None


def test_a_shared_link_never_plays_for_someone_else(populated: TestClient, populated_app) -> None:  # type: ignore[no-untyped-def]
    give_consent(populated)
    r = populated.get(statement_path(FIRST.vimeo_id))
    assert "iframe" in r.text
    # The URL alone carries nothing: a fresh browser gets the facade.
    with TestClient(populated_app, base_url="https://gallery.test") as stranger:
        assert "<iframe" not in stranger.get(str(r.url)).text


def test_forged_cookie_is_simply_no_consent(populated: TestClient) -> None:
    populated.cookies.set(COOKIE_NAME, "eyJ2IjoieCIsInAiOiJ2aW1lbyIsImlhdCI6MX0.forged.signature")
    r = populated.get(statement_path(FIRST.vimeo_id))
    assert r.status_code == 200
    assert "<iframe" not in r.text


# --- forgery and bad input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "accepted"),
    [
        ({"sec-fetch-site": "same-origin"}, True),
        ({"sec-fetch-site": "cross-site"}, False),
        ({"sec-fetch-site": "same-site"}, False),
        ({"sec-fetch-site": "none"}, False),
        ({"origin": "https://gallery.test"}, True),
        ({"origin": "https://evil.example"}, False),
        ({"origin": "null"}, False),
        # A present Origin decides alone: null (sandboxed frames, opaque origins) is refused
        # even with our own Referer, which the framing page could not vouch for.
        ({"origin": "null", "referer": "https://gallery.test/"}, False),
        ({"origin": "null", "referer": "https://evil.example/"}, False),
        ({"referer": "https://gallery.test/g/videos"}, True),
        ({"referer": "https://gallery.test.evil.example/"}, False),
        # a malformed Referer is simply not ours (urllib's own errors never become a 500)
        ({"referer": "https://[abc]/"}, False),
        ({"referer": "http://[::1/"}, False),
        ({"referer": "https://gallery.test:99999/"}, False),
        ({}, False),
        # Sec-Fetch-Site wins over a forged-looking but matching Origin
        ({"sec-fetch-site": "cross-site", "origin": "https://gallery.test"}, False),
    ],
)
def test_consent_accepted_only_from_our_own_pages(
    populated: TestClient, headers: dict[str, str], accepted: bool
) -> None:
    r = populated.post(
        "/consent",
        data=consent_form(FIRST.vimeo_id, "always"),
        headers=headers,
        follow_redirects=False,
    )
    if accepted:
        assert r.status_code == 303 and "set-cookie" in r.headers
    else:
        assert r.status_code == 403
        assert "set-cookie" not in r.headers
        assert "abgelehnt" in parse(r.text).find("main").text


def test_revoke_from_another_site_is_refused(populated: TestClient) -> None:
    give_consent(populated)
    r = populated.post(
        "/consent/revoke",
        data={"next": "/"},
        headers={"sec-fetch-site": "cross-site"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "set-cookie" not in r.headers
    assert populated.cookies.get(COOKIE_NAME)


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil",
        "/ok\r\nSet-Cookie: x=1",
        "/%09/evil"[:0] + "/\t/evil",
    ],
)
def test_next_must_be_a_local_path(populated: TestClient, next_path: str) -> None:
    for action in ("/consent", "/consent/revoke"):
        r = populated.post(
            action,
            data=consent_form(FIRST.vimeo_id, "always", next_path),
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 400, (action, next_path)
        assert "set-cookie" not in r.headers
        assert "location" not in r.headers


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"scope": "forever", "video": "900000001", "next": "/"}, 400),
        ({"video": "900000001", "next": "/"}, 400),
        ({"scope": "once", "video": "abc", "next": "/"}, 404),
        ({"scope": "once", "video": "", "next": "/"}, 404),
        ({"scope": "once", "video": "1", "gallery": "videos", "next": "/"}, 404),
        ({"scope": "once", "video": "900000001", "gallery": "nope", "next": "/"}, 404),
        ({"scope": "once", "video": "9" * 50, "next": "/"}, 404),
    ],
)
def test_bad_consent_forms_get_a_clear_4xx(
    populated: TestClient, data: dict[str, str], status: int
) -> None:
    r = populated.post("/consent", data=data, headers=SAME_ORIGIN, follow_redirects=False)
    assert r.status_code == status
    assert "set-cookie" not in r.headers
    assert parse(r.text).find("h1").text


def test_once_without_gallery_uses_the_gallery_that_holds_it(populated: TestClient) -> None:
    data = {"scope": "once", "video": str(FIRST.vimeo_id)}
    r = populated.post("/consent", data=data, headers=SAME_ORIGIN)
    assert r.status_code == 200
    player_of(parse(r.text))


def test_oversized_and_odd_bodies_are_refused(populated: TestClient) -> None:
    big = {"scope": "always", "next": "/", "pad": "x" * 20_000}
    r = populated.post("/consent", data=big, headers=SAME_ORIGIN)
    assert r.status_code == 413 and "set-cookie" not in r.headers
    r = populated.post(
        "/consent",
        content=b'{"scope":"always"}',
        headers={**SAME_ORIGIN, "content-type": "application/json"},
    )
    assert r.status_code == 415
    many = {f"f{i}": "1" for i in range(50)} | {"scope": "always"}
    r = populated.post("/consent", data=many, headers=SAME_ORIGIN)
    assert r.status_code == 400 and "set-cookie" not in r.headers


def test_wrong_methods(populated: TestClient) -> None:
    assert populated.get("/consent").status_code == 405
    assert populated.post("/", headers=SAME_ORIGIN).status_code == 405
    assert populated.post("/static/gallery.css").status_code == 405


# --- privacy page, notice versions ------------------------------------------------------


def test_privacy_page_tells_everything(populated: TestClient) -> None:
    r = populated.get("/privacy")
    assert r.status_code == 200
    text = parse(r.text).find("main").text
    for fact in (
        "Vimeo.com, Inc.",
        "330 West 34th Street",
        "USA",
        "Zweck",
        "IP-Adresse",
        "2023/1795",
        "Art. 49",
        "widerrufen",
        COOKIE_NAME,
        "180 Tage",
        "keine Kennung",
    ):
        assert fact in text, fact
    version = populated.get("/healthz").json()["notice"]
    assert version in text
    assert re.search(r"gültig seit \d\d\.\d\d\.\d{4}", text)


def test_changing_the_notice_changes_its_version_and_asks_again(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from gallery.app import create_app

    app = create_app(settings)
    with TestClient(app, base_url="https://gallery.test") as client:
        old_version = client.get("/healthz").json()["notice"]
        r = client.post(
            "/consent",
            data={"scope": "always", "next": "/"},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        cookie = r.cookies[COOKIE_NAME]
    custom = settings.data_dir / "notice" / "de"
    custom.mkdir(parents=True)
    (custom / "short.html").write_text(
        "<p>Eigener Hinweistext der Stadt zu Vimeo.com, Inc. (USA).</p>"
    )
    app = create_app(settings)
    with TestClient(app, base_url="https://gallery.test") as client:
        new_version = client.get("/healthz").json()["notice"]
        assert new_version != old_version
        client.cookies.set(COOKIE_NAME, cookie)
        page = client.get("/privacy").text
        assert "/consent/revoke" not in page, "consent given to the old notice no longer counts"
        assert new_version in page
    # both versions are kept with the moment they were first shown
    rows = query(settings, "SELECT version, first_shown, short_text FROM notice_versions")
    assert {r[0] for r in rows} == {old_version, new_version}
    assert any("Eigener Hinweistext" in r[2] for r in rows)


# --- pages follow the data --------------------------------------------------------------


def test_pages_follow_edits_made_by_another_process(
    populated: TestClient, curated_settings
) -> None:  # type: ignore[no-untyped-def]
    from gallery.storage.store import Storage

    assert "Neuer Titel der Galerie" not in populated.get("/").text
    # Another process (the CLI, another instance) writes: this app's storage object is not told.
    db = Storage.from_settings(curated_settings)
    with db.transaction() as tx:
        gallery = tx.default_gallery()
        tx.update_gallery(gallery.id, title="Neuer Titel der Galerie")
        s = tx.statement(gallery.id, FIRST.vimeo_id)
        assert s is not None
        tx.update_statement(s, {"published": False}, bump=False)
    db.close()
    time.sleep(0.3)  # another process's writes are noticed within PageCache.probe_interval
    page = populated.get("/").text
    assert "Neuer Titel der Galerie" in page
    assert len(cards(parse(page))) == len(SAMPLES) - 1
    assert populated.get(statement_path(FIRST.vimeo_id)).status_code == 404


def test_editor_text_with_markup_is_escaped(populated: TestClient, curated_settings) -> None:  # type: ignore[no-untyped-def]

    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    query(
        curated_settings,
        "UPDATE statements SET speaker_name = ?, quote = ?, transcript = ?, alt_text = ? WHERE vimeo_id = ?",
        (evil, evil, evil, evil, FIRST.vimeo_id),
    )
    query(curated_settings, "UPDATE videos SET title = ? WHERE vimeo_id = ?", (evil, FIRST.vimeo_id))
    for path in ("/", statement_path(FIRST.vimeo_id)):
        html = populated.get(path).text
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
        # one script to run, ours; the JSON-LD is data, and the markup stays text inside it
        doc = parse(html)
        code = running_scripts(doc)
        assert [el.attrs["src"].split("?")[0] for el in code] == ["/static/gallery.js"]
        assert all(not el.text for el in code)
        [data] = json_ld(doc)
        if data["@type"] == "VideoObject":
            assert data["name"] == data["transcript"] == evil


def test_healthz(populated: TestClient) -> None:
    r = populated.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["schema"] >= 1 and len(body["notice"]) == 12
    assert r.headers["cache-control"] == "private, no-store"


def test_gzip_when_accepted(populated: TestClient) -> None:
    plain = populated.get("/", headers={"accept-encoding": "identity"})
    zipped = populated.get("/", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.text == plain.text
    assert "accept-encoding" in zipped.headers["vary"]
