"""Signing in and out through the real app: passwords, throttling, the session cookie, expiry
and revocation. What an editor (or an attacker) observes: statuses, messages, cookies."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import itsdangerous.timed
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.admin import accounts, passwords, session_cookie, throttle
from gallery.app import create_app
from gallery.public.consent import ConsentSigner
from gallery.settings import Settings
from tests.admin_helpers import PASSWORD, AdminActions, FakeClock, create_editor, respellings, snapshot
from tests.helpers import query, stored
from tests.htmlparse import parse


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def admin_app(settings: Settings, clock: FakeClock) -> Starlette:
    create_editor(settings)
    return create_app(settings, throttle=throttle.LoginThrottle(clock=clock))


@pytest.fixture
def browser(admin_app: Starlette) -> Iterator[AdminActions]:
    with TestClient(admin_app, base_url="https://gallery.test") as client:
        yield AdminActions(client)


def set_cookie(response: object) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        jar.load(header)
    return jar


def message(response: object) -> str:
    doc = parse(response.text)  # type: ignore[attr-defined]
    found = doc.by_id("login-error")
    return found.text if found else ""


# --- passwords ---------------------------------------------------------------------------


def test_password_hash_is_salted_scrypt_with_owasp_parameters() -> None:
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first != second, "a fresh salt every time"
    scheme, n, r, p, _salt, _key = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**15, 8, 3)
    assert PASSWORD not in first
    assert passwords.verify_password(first, PASSWORD)
    assert not passwords.verify_password(first, PASSWORD + "x")
    assert not passwords.verify_password(first, "")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain",
        "scrypt$1024$8$1$!!$!!",
        "bcrypt$1024$8$1$AAAA$AAAA",
        "scrypt$3000$8$1$AAAA$AAAA",
        "scrypt$" + "9" * 30,
    ],
)
def test_a_damaged_or_foreign_hash_never_matches(stored: str) -> None:
    assert not passwords.verify_password(stored, PASSWORD)


# --- signing in --------------------------------------------------------------------------


def test_no_default_account(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app, base_url="https://gallery.test") as client:
        # (a NUL in the name: no account has one, and PostgreSQL's text cannot even be asked for it)
        for name, password in [("admin", "admin"), ("admin", ""), ("editor", "password"), ("a\x00", "x")]:
            r = AdminActions(client).login(name, password)
            assert r.status_code == 400
    assert query(settings, "SELECT COUNT(*) FROM editors") == [(0,)]


def test_right_password_signs_in_with_a_strict_admin_only_cookie(browser: AdminActions) -> None:
    assert browser.client.get("/admin/", follow_redirects=False).status_code == 303
    r = browser.login(next="/admin/audit")
    assert r.status_code == 303 and r.headers["location"] == "/admin/audit"
    cookie = set_cookie(r)[session_cookie.COOKIE_NAME]
    assert session_cookie.COOKIE_NAME.startswith("__Secure-")
    assert cookie["path"] == "/admin"
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert not cookie["max-age"] and not cookie["expires"] and not cookie["domain"]
    page = browser.client.get("/admin/")
    assert page.status_code == 200 and "anna" in page.text
    # The consent cookie is untouched: the session lives beside it, never in it.
    assert "__Host-gallery-consent" not in r.headers["set-cookie"]


def test_names_are_case_insensitive(browser: AdminActions) -> None:
    assert browser.login("ANNA").status_code == 303


@pytest.mark.parametrize("next_path", ["https://evil.test/", "//evil.test/", "/g/videos", "/\\evil.test"])
def test_after_sign_in_only_admin_pages_are_redirect_targets(browser: AdminActions, next_path: str) -> None:
    r = browser.login(next=next_path)
    assert r.status_code == 303 and r.headers["location"] == "/admin/"


def test_wrong_password_and_unknown_user_look_exactly_alike(browser: AdminActions) -> None:
    wrong = browser.login("anna", "falsches-passwort-123")
    unknown = browser.login("niemand", "falsches-passwort-123")
    assert wrong.status_code == unknown.status_code == 400
    assert message(wrong) == message(unknown) == "Name oder Passwort ist falsch."
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers
    # Apart from the name typed back into the field, the pages are identical.
    assert wrong.text.replace('value="anna"', "") == unknown.text.replace('value="niemand"', "")
    assert browser.client.get("/admin/", follow_redirects=False).status_code == 303


def test_unknown_user_costs_one_scrypt_like_a_real_check(settings: Settings) -> None:
    calls: list[int] = []

    def counting(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        calls.append(n)
        return passwords.scrypt(password, salt, n, r, p)

    create_editor(settings)
    app = create_app(settings, passwords=passwords.PasswordChecker(counting))
    with TestClient(app, base_url="https://gallery.test") as client:
        browser = AdminActions(client)
        browser.login("niemand", "falsches-passwort-123")
        assert calls == [passwords.SCRYPT_N], "an unknown name is checked against a dummy hash of full cost"
        calls.clear()
        browser.login("anna", "falsches-passwort-123")
        assert len(calls) == 1


def test_sign_in_form_from_another_site_is_refused(browser: AdminActions) -> None:
    for headers in ({"sec-fetch-site": "cross-site"}, {"origin": "https://evil.test"}, {}):
        r = browser.client.post(
            "/admin/login",
            data={"username": "anna", "password": PASSWORD},
            headers=headers,
            follow_redirects=False,
        )
        assert r.status_code == 403, headers
        assert "set-cookie" not in r.headers


def test_sign_in_page_is_labelled_and_german(browser: AdminActions) -> None:
    doc = browser.page("/admin/login")
    assert doc.find("html").attrs["lang"] == "de"
    for name, autocomplete in (("username", "username"), ("password", "current-password")):
        control = doc.by_id(f"f-{name}")
        assert control is not None and control.attrs["autocomplete"] == autocomplete
        label = doc.find("label", for_=f"f-{name}")
        assert label is not None and label.text
    wrong = parse(browser.login("anna", "falsch-falsch-falsch").text)
    assert wrong.by_id("f-password").attrs["aria-describedby"] == "login-error"


# --- throttling --------------------------------------------------------------------------


POLICY = throttle.Policy()  # the policy an app's throttle has unless given another


def test_repeated_failures_are_slowed_then_refused_per_account(
    browser: AdminActions, clock: FakeClock
) -> None:
    for _ in range(POLICY.account_free + 1):
        assert browser.login("anna", "falsch-falsch-falsch").status_code == 400
    refused = browser.login("anna", PASSWORD)  # even the right password, while blocked
    assert refused.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in message(refused)
    assert int(refused.headers["retry-after"]) == POLICY.unit
    assert "set-cookie" not in refused.headers
    clock.advance(POLICY.unit)
    assert browser.login("anna", "falsch-falsch-falsch").status_code == 400
    # Each further failure doubles the wait: right after it, still refused.
    assert browser.login("anna", PASSWORD).status_code == 429
    clock.advance(2 * POLICY.unit - 0.1)
    assert browser.login("anna", PASSWORD).status_code == 429
    clock.advance(0.1)
    assert browser.login("anna", PASSWORD).status_code == 303


def test_the_refusal_does_not_tell_whether_the_account_exists(browser: AdminActions) -> None:
    answers = {}
    for name in ("anna", "niemand"):
        for _ in range(POLICY.account_free + 1):
            browser.login(name, "falsch-falsch-falsch")
        answers[name] = browser.login(name, "falsch-falsch-falsch")
    assert answers["anna"].status_code == answers["niemand"].status_code == 429
    assert message(answers["anna"]) == message(answers["niemand"])


def test_failures_are_also_counted_per_client_address(admin_app: Starlette, settings: Settings) -> None:
    names = [f"name{n}" for n in range(POLICY.address_free + 1)]
    for name in names:  # accounts with cheap hashes: an unknown name costs a full-strength check
        create_editor(settings, name)
    with (
        TestClient(admin_app, base_url="https://gallery.test", client=("203.0.113.7", 4000)) as guesser,
        TestClient(admin_app, base_url="https://gallery.test", client=("198.51.100.2", 4000)) as colleague,
    ):
        guessing = AdminActions(guesser)
        for name in names:
            assert guessing.login(name, "falsch-falsch-falsch").status_code == 400
        assert guessing.login("anna", PASSWORD).status_code == 429
        assert AdminActions(colleague).login("anna", PASSWORD).status_code == 303


def test_failed_sign_ins_are_never_logged_and_counted_only_under_keyed_hashes(
    admin_app: Starlette,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = snapshot(settings)
    caplog.set_level(logging.DEBUG)
    with TestClient(admin_app, base_url="https://gallery.test", client=("203.0.113.99", 4000)) as client:
        for _ in range(POLICY.account_free + 2):
            AdminActions(client).login("geheimer-name", "geheimes-passwort-1")
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "203.0.113.99" not in logged and "geheim" not in logged
    after = dict(snapshot(settings))
    counts = after.pop("signin_attempts")
    assert after == {t: rows for t, rows in before if t != "signin_attempts"}
    # Two counts (the name's, the address's), each under an HMAC keyed with the secret key: not
    # the address or the name, nor a plain hash that anyone could match by trying every address.
    keys = {row[0] for row in counts}
    assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    assert not {hashlib.sha256(b"address|203.0.113.99").hexdigest()} & keys

    def keyed(secret: str) -> str:
        return hmac.new(throttle.throttle_key(secret), b"address|203.0.113.99", hashlib.sha256).hexdigest()

    assert keyed(settings.secret_keys[0].value) in keys and keyed("another-key-0123456789") not in keys
    for path in settings.data_dir.rglob("*"):
        if path.is_file():
            assert b"203.0.113.99" not in path.read_bytes(), path


# --- sessions ----------------------------------------------------------------------------


def session_value(actions: AdminActions) -> str:
    value = actions.client.cookies.get(session_cookie.COOKIE_NAME, path="/admin")
    assert value
    return value


def test_logout_ends_the_session_on_the_server_too(browser: AdminActions) -> None:
    browser.login()
    stolen = session_value(browser)
    r = browser.logout()
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    assert set_cookie(r)[session_cookie.COOKIE_NAME]["max-age"] == "0"
    assert browser.client.get("/admin/", follow_redirects=False).status_code == 303
    # A copy of the cookie taken before signing out is worthless.
    browser.client.cookies.set(session_cookie.COOKIE_NAME, stolen, domain="gallery.test", path="/admin")
    assert browser.client.get("/admin/", follow_redirects=False).status_code == 303


def test_each_sign_in_makes_a_new_session(browser: AdminActions) -> None:
    browser.login()
    first = session_value(browser)
    browser.login()
    assert session_value(browser) != first


def test_idle_session_expires(
    browser: AdminActions, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser.login()
    assert browser.client.get("/admin/").status_code == 200
    later = time.time() + settings.session_idle_minutes * 60 + 5
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    r = browser.client.get("/admin/g/videos", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/login?next=%2Fadmin%2Fg%2Fvideos&expired=1"
    page = browser.client.get(r.headers["location"])
    assert "Ihre Sitzung ist abgelaufen" in page.text


def test_activity_keeps_the_session_alive(
    browser: AdminActions, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser.login()
    start = time.time()
    for step in range(1, 4):  # three idle-limits in all, but never idle for one
        now = start + step * (settings.session_idle_minutes * 60 - 30)
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda now=now: now)
        assert browser.client.get("/admin/", follow_redirects=False).status_code == 200


def test_session_has_an_absolute_lifetime(browser: AdminActions, settings: Settings) -> None:
    browser.login()
    old = (datetime.now(UTC) - timedelta(hours=settings.session_max_hours, minutes=1)).isoformat()
    query(settings, "UPDATE editor_sessions SET created_at = ?", (old,))
    assert browser.client.get("/admin/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("change", ["passwd", "remove"])
def test_password_change_or_removal_ends_that_editors_sessions(
    admin_app: Starlette, settings: Settings, change: str
) -> None:
    create_editor(settings, "bert")
    with (
        TestClient(admin_app, base_url="https://gallery.test") as a,
        TestClient(admin_app, base_url="https://gallery.test") as b,
    ):
        anna, bert = AdminActions(a), AdminActions(b)
        assert anna.login().status_code == 303 and bert.login("bert").status_code == 303
        with stored(settings) as storage, storage.transaction() as conn:
            if change == "passwd":
                accounts.set_password(
                    conn, "anna", passwords.hash_password("ein-ganz-neues-passwort", n=2**10, r=8, p=1)
                )
            else:
                accounts.remove_editor(conn, "anna")
        assert a.get("/admin/", follow_redirects=False).status_code == 303
        assert b.get("/admin/", follow_redirects=False).status_code == 200


def test_forged_or_foreign_cookies_are_no_session(browser: AdminActions, settings: Settings) -> None:
    browser.login()
    value = session_value(browser)
    consent = ConsentSigner(settings.secret_keys, "v", 3600).issue()
    for forged in (value[:-2] + ("AA" if not value.endswith("AA") else "BB"), consent, "x" * 600, ""):
        browser.client.cookies.clear()
        browser.client.cookies.set(session_cookie.COOKIE_NAME, forged, domain="gallery.test", path="/admin")
        assert browser.client.get("/admin/", follow_redirects=False).status_code == 303, forged[:20]


def test_a_session_cookie_is_accepted_only_as_issued(browser: AdminActions) -> None:
    browser.login()
    value = session_value(browser)
    for other in respellings(value):
        browser.client.cookies.clear()
        browser.client.cookies.set(session_cookie.COOKIE_NAME, other, domain="gallery.test", path="/admin")
        assert browser.client.get("/admin/", follow_redirects=False).status_code == 303, other[-3:]
    browser.client.cookies.set(session_cookie.COOKIE_NAME, value, domain="gallery.test", path="/admin")
    assert browser.client.get("/admin/", follow_redirects=False).status_code == 200


def test_the_session_token_is_stored_only_as_a_hash(browser: AdminActions, settings: Settings) -> None:
    browser.login()
    content = session_cookie.SessionCookie(settings.secret_keys, 600).read(session_value(browser))
    assert content is not None
    for path in settings.data_dir.glob("gallery.sqlite3*"):
        assert content.token.encode() not in path.read_bytes(), path
