"""Known browsers (device cookies): an attacker guessing an editor's password no longer locks the
editor out, and gets no more guesses than before. Time is a fake clock moved by hand."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import ExitStack
from http.cookies import SimpleCookie

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.admin import accounts, devices, passwords, session_cookie
from gallery.admin.throttle import LoginThrottle
from gallery.app import create_app
from gallery.settings import Secret, Settings
from gallery.web import signing
from tests.admin_helpers import PASSWORD, AdminActions, FakeClock, create_editor, respellings
from tests.helpers import stored

BASE = "https://gallery.test"
EDITOR_ADDRESS = ("198.51.100.20", 5000)
ATTACKERS = ("203.0.113.1", "203.0.113.2", "203.0.113.3", "198.51.100.7", "192.0.2.44")
WRONG = "falsch-falsch-falsch"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> Starlette:
    create_editor(settings, "anna")
    create_editor(settings, "bert")
    return create_app(settings, throttle=LoginThrottle(clock=clock))


@pytest.fixture
def clients(app: Starlette) -> Iterator[dict[str, AdminActions]]:
    """The editor's own browser, a colleague's (another address) and an attacker's, by name."""
    with ExitStack() as stack:

        def browser(address: tuple[str, int]) -> AdminActions:
            return AdminActions(stack.enter_context(TestClient(app, base_url=BASE, client=address)))

        yield {
            "editor": browser(EDITOR_ADDRESS),
            "colleague": browser(("198.51.100.21", 5000)),
            "attacker": browser((ATTACKERS[0], 4000)),
        }


def device_cookie(actions: AdminActions) -> str:
    value = actions.client.cookies.get(devices.COOKIE_NAME, path="/admin")
    assert value, "a browser that signed in holds a device cookie"
    return value


def use_device_cookie(actions: AdminActions, value: str) -> None:
    actions.client.cookies.clear()
    actions.client.cookies.set(devices.COOKIE_NAME, value, domain="gallery.test", path="/admin")


def lock_account(attacker: AdminActions, name: str = "anna") -> None:
    """Strangers' wrong guesses until the account refuses strangers."""
    for _ in range(3):
        assert attacker.login(name, WRONG).status_code == 400
    attacker.login(name, WRONG)
    assert attacker.login(name, PASSWORD).status_code == 429


def set_cookies(response: httpx.Response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


# --- the attack that used to lock editors out --------------------------------------------


def hammer(app: Starlette, clock: FakeClock, editor: AdminActions | None) -> tuple[int, int]:
    """An hour of guessing anna's password every 5 s, from five addresses in turn; every ten
    minutes the editor's known browser signs in and out. (guesses checked, guesses refused)"""
    checked = refused = 0
    with ExitStack() as stack:
        attackers = [
            AdminActions(stack.enter_context(TestClient(app, base_url=BASE, client=(address, 4000))))
            for address in ATTACKERS
        ]
        for step in range(720):
            answer = attackers[step % len(attackers)].login("anna", f"rate-mal-{step:04d}")
            assert answer.status_code in {400, 429}, answer.status_code
            checked += answer.status_code == 400
            refused += answer.status_code == 429
            if editor is not None and step % 120 == 60:
                # At once: no waiting, whatever the attacker did.
                assert editor.login().status_code == 303, f"locked out after {step * 5} s"
                assert editor.logout().status_code == 303
            clock.advance(5)
    return checked, refused


def test_a_known_browser_gets_in_while_an_attacker_hammers_the_account(
    app: Starlette, clock: FakeClock, other_settings: Settings, clients: dict[str, AdminActions]
) -> None:
    editor = clients["editor"]
    assert editor.login().status_code == 303 and editor.logout().status_code == 303
    checked, refused = hammer(app, clock, editor)
    # The account's limit is unchanged: 3 free guesses, then waits of 1 s, 2 s, 4 s … doubling to
    # 15 minutes. Guessing every 5 s for an hour, that is 16 guesses (the 16th at 47 min 45 s);
    # the editor's six sign-ins in between gave the attacker not one more.
    assert (checked, refused) == (16, 704)
    # The same attack with nobody signing in: the same count, so the attacker gains nothing.
    # (On a database of its own: the counts are kept in the database, and this one's would carry over.)
    create_editor(other_settings, "anna")
    alone_clock = FakeClock()
    alone = create_app(other_settings, throttle=LoginThrottle(clock=alone_clock))
    assert hammer(alone, alone_clock, None) == (16, 704)


def test_without_a_device_cookie_the_editor_waits_like_anyone(clients: dict[str, AdminActions]) -> None:
    lock_account(clients["attacker"])
    assert clients["colleague"].login("anna").status_code == 429  # a new browser is a stranger


# --- the cookie itself -------------------------------------------------------------------


def test_the_device_cookie_is_long_lived_strict_and_holds_nothing_personal(
    clients: dict[str, AdminActions],
) -> None:
    editor = clients["editor"]
    r = editor.login()
    cookie = set_cookies(r)[devices.COOKIE_NAME]
    assert devices.COOKIE_NAME.startswith("__Secure-") and devices.COOKIE_NAME != session_cookie.COOKIE_NAME
    assert cookie["path"] == "/admin" and cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) == 180 * 24 * 3600
    head = cookie.value.split(".")[0]
    content = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    assert set(content) == {"a", "n"}
    assert "anna" not in json.dumps(content).lower()
    # Each sign-in issues a new one (a fresh nonce).
    assert set_cookies(editor.login())[devices.COOKIE_NAME].value != cookie.value


def test_the_device_cookie_survives_signing_out(clients: dict[str, AdminActions]) -> None:
    editor = clients["editor"]
    editor.login()
    kept = device_cookie(editor)
    r = editor.logout()
    assert devices.COOKIE_NAME not in set_cookies(r)
    assert device_cookie(editor) == kept
    lock_account(clients["attacker"])
    assert editor.login().status_code == 303


def test_forged_foreign_or_resigned_device_cookies_grant_nothing(
    clients: dict[str, AdminActions], settings: Settings
) -> None:
    editor, colleague = clients["editor"], clients["colleague"]
    editor.login()
    real = device_cookie(editor)
    colleague.login("bert")
    berts = device_cookie(colleague)
    with stored(settings) as storage, storage.read() as conn:
        found = accounts.editor_for_sign_in(conn, "anna")
    assert found is not None
    annas_account = devices.account_tag("anna", found[1])
    other_key = (Secret("a-key-this-server-never-had"),)
    forged = [
        berts,  # another editor's genuine cookie
        real[:-2] + ("AA" if not real.endswith("AA") else "BB"),  # signature changed
        "x" + real,  # content changed
        *respellings(real),  # the same signature spelt differently
        # The right account and shape, signed with another key, or for another purpose (salt).
        signing.serializer(other_key, devices.SALT).dumps({"a": annas_account, "n": "n"}),
        signing.serializer(settings.secret_keys, session_cookie.SESSION_SALT).dumps(
            {"a": annas_account, "n": "n"}
        ),
        signing.serializer(settings.secret_keys, devices.SALT).dumps({"a": "", "n": "n"}),
        "x" * 300,
    ]
    lock_account(clients["attacker"])
    for value in forged:
        use_device_cookie(editor, value)
        assert editor.login().status_code == 429, value[-6:]
    use_device_cookie(editor, real)
    assert editor.login().status_code == 303


def test_a_device_cookie_failing_too_often_is_locked_itself(
    clients: dict[str, AdminActions], clock: FakeClock
) -> None:
    editor, colleague = clients["editor"], clients["colleague"]
    editor.login()
    editor.logout()
    for _ in range(5):  # a known browser may mistype a few times more than a stranger
        assert editor.login("anna", WRONG).status_code == 400
    assert editor.login("anna", WRONG).status_code == 400
    refused = editor.login()  # now even the right password, from this browser
    assert refused.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in refused.text
    assert "set-cookie" not in refused.headers
    # Its failures are its own: the account still lets others in, with the right password.
    assert colleague.login("anna").status_code == 303
    clock.advance(int(refused.headers["retry-after"]))
    assert editor.login().status_code == 303


def test_a_known_browser_still_counts_against_its_address(
    clients: dict[str, AdminActions], settings: Settings
) -> None:
    editor = clients["editor"]
    editor.login()
    for n in range(11):  # cheap hashes: unknown names would cost a full-strength check each
        create_editor(settings, f"name{n}")
    for n in range(11):  # guessing other accounts from the same address
        assert editor.login(f"name{n}", WRONG).status_code == 400
    assert editor.login().status_code == 429


def test_a_device_cookie_reveals_nothing_about_other_accounts(
    clients: dict[str, AdminActions],
) -> None:
    editor = clients["editor"]
    editor.login()
    answers = {}
    for name in ("bert", "niemand"):  # one exists, one does not; anna's cookie is for neither
        seen = [editor.login(name, WRONG) for _ in range(4)]
        answers[name] = [(r.status_code, r.text.replace(f'value="{name}"', "")) for r in seen]
        answers[name].append((editor.login(name, WRONG).status_code, ""))
    assert answers["bert"] == answers["niemand"]
    assert [status for status, _ in answers["bert"]] == [400, 400, 400, 400, 429]


@pytest.mark.parametrize("change", ["passwd", "remove"])
def test_a_new_password_or_a_recreated_account_distrusts_earlier_device_cookies(
    clients: dict[str, AdminActions], settings: Settings, change: str
) -> None:
    editor = clients["editor"]
    editor.login()
    lock_account(clients["attacker"])
    assert editor.login().status_code == 303  # trusted until now
    with stored(settings) as storage, storage.transaction() as conn:
        # What `gallery editor passwd` and `gallery editor remove` do.
        if change == "passwd":
            accounts.set_password(conn, "anna", passwords.hash_password(PASSWORD, n=2**10, r=8, p=1))
        else:
            accounts.remove_editor(conn, "anna")
    if change == "remove":
        create_editor(settings, "anna")  # the same name, a new account
    assert editor.login().status_code == 429  # a stranger now, held back like any other
