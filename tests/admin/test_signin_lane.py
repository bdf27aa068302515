"""Password checks run in a lane of their own: sign-in attempts, however many, never hold up the
threads that render visitors' pages, and the ones beyond the lane's queue are refused at once."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.admin import accounts, hashing, passwords, throttle
from gallery.app import create_app
from gallery.settings import Settings
from tests.admin_helpers import PASSWORD, AdminActions, create_editor
from tests.helpers import stored
from tests.htmlparse import parse

BASE = "https://gallery.test"
WRONG = "falsch-falsch-falsch"
LANE = hashing.RUNNING + hashing.WAITING
PATIENCE = 30.0  # seconds: how long a thread may take to do what it should on a busy machine


class StuckHashing:
    """The app's key derivation: every password check waits for :meth:`release` (at most a
    minute); entries are counted."""

    def __init__(self) -> None:
        self.entered = 0
        self.changed = threading.Condition()
        self.released = threading.Event()

    def __call__(self, password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        with self.changed:
            self.entered += 1
            self.changed.notify_all()
        self.released.wait(60)
        return passwords.scrypt(password, salt, n, r, p)

    def release(self) -> None:
        self.released.set()

    def wait_for(self, predicate: Callable[[], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout=PATIENCE)


@pytest.fixture
def stuck() -> Iterator[StuckHashing]:
    state = StuckHashing()
    try:
        yield state
    finally:
        state.release()


def guests(settings: Settings, count: int) -> list[str]:
    """Accounts for the storm, with cheap hashes: an unknown name costs a full-strength check."""
    names = [f"gast{n}" for n in range(count)]
    with stored(settings) as db:
        db.migrate()
        with db.transaction() as conn:
            for name in names:
                accounts.add_editor(conn, name, passwords.hash_password(PASSWORD, n=2**10, r=8, p=1))
    return names


@pytest.fixture
def app(settings: Settings, stuck: StuckHashing) -> Starlette:
    create_editor(settings, "anna")
    guests(settings, 50)
    # Every attempt comes from the test client's one address: its limit must not step in here.
    lenient = throttle.LoginThrottle(throttle.Policy(address_free=100_000))
    return create_app(settings, throttle=lenient, passwords=passwords.PasswordChecker(stuck))


class Attempts:
    """Sign-in attempts, each in its own thread (as from many browsers); answers collected."""

    def __init__(self, client: TestClient, stuck: StuckHashing) -> None:
        self.client = client
        self.stuck = stuck
        self.answers: list[httpx.Response] = []
        self.threads: list[threading.Thread] = []

    def start(self, name: str, password: str = WRONG, client: TestClient | None = None) -> None:
        def attempt() -> None:
            answer = AdminActions(client or self.client).login(name, password)
            with self.stuck.changed:
                self.answers.append(answer)
                self.stuck.changed.notify_all()

        thread = threading.Thread(target=attempt, daemon=True)
        self.threads.append(thread)
        thread.start()

    def statuses(self) -> list[int]:
        with self.stuck.changed:
            return sorted(r.status_code for r in self.answers)

    def finish(self) -> None:
        self.stuck.release()
        for thread in self.threads:
            thread.join(PATIENCE)


def fetch_in_thread(client: TestClient, path: str) -> int | None:
    """The page's status, or None if it did not answer within :data:`PATIENCE`."""
    got: list[int] = []
    thread = threading.Thread(target=lambda: got.append(client.get(path).status_code), daemon=True)
    thread.start()
    thread.join(PATIENCE)
    return got[0] if got else None


def test_pages_answer_while_every_password_check_is_stuck(app: Starlette, stuck: StuckHashing) -> None:
    with TestClient(app, base_url=BASE) as client:
        attempts = Attempts(client, stuck)
        try:
            for n in range(45):  # the storm that used to fill the thread pool pages render in
                attempts.start(f"gast{n}")
            stuck.wait_for(lambda: stuck.entered == hashing.RUNNING and len(attempts.answers) >= 45 - LANE)
            # Never rendered before, so rendered now, in a worker thread.
            assert fetch_in_thread(client, "/") == 200, "a visitor waited for sign-in attempts"
            assert fetch_in_thread(client, "/privacy") == 200
            assert attempts.statuses() == [503] * (45 - LANE), "beyond the queue: refused at once"
            busy = attempts.answers[0]
            assert busy.headers["retry-after"] == "5"
            assert "set-cookie" not in busy.headers
            assert "in ein paar Sekunden" in parse(busy.text).by_id("login-error").text
        finally:
            attempts.finish()
        assert attempts.statuses() == [400] * LANE + [503] * (45 - LANE)


def test_a_busy_refusal_is_no_failed_attempt(app: Starlette, stuck: StuckHashing) -> None:
    with TestClient(app, base_url=BASE) as client:
        attempts = Attempts(client, stuck)
        try:
            for n in range(LANE):
                attempts.start(f"gast{n}")
            stuck.wait_for(lambda: stuck.entered == hashing.RUNNING)
            for _ in range(5):  # more than the account's free failures, were they counted
                attempts.start("anna")
            stuck.wait_for(lambda: len(attempts.answers) == 5)
            assert attempts.statuses() == [503] * 5
        finally:
            attempts.finish()
        assert AdminActions(client).login("anna", PASSWORD).status_code == 303


def test_a_known_browser_finds_room_when_strangers_fill_the_queue(
    app: Starlette, stuck: StuckHashing
) -> None:
    # One client (one event loop, as in production): its device cookie is anna's, so for every
    # other name it is a stranger's browser.
    with TestClient(app, base_url=BASE) as client:
        stuck.release()
        assert AdminActions(client).login().status_code == 303  # this browser is known from now on
        stuck.released.clear()
        attempts = Attempts(client, stuck)
        try:
            for n in range(LANE + 1):
                attempts.start(f"gast{n}")
            stuck.wait_for(lambda: len(attempts.answers) == 1)
            assert attempts.statuses() == [503], "strangers have filled the queue"
            attempts.start("gast-spaet")  # strangers are still refused at once
            stuck.wait_for(lambda: len(attempts.answers) == 2)
            assert attempts.statuses() == [503, 503]
            attempts.start("anna", PASSWORD)
            # The known browser is not refused: it queues (and would have answered by now if not).
            with stuck.changed:
                assert not stuck.changed.wait_for(lambda: len(attempts.answers) > 2, timeout=3)
        finally:
            attempts.finish()
        assert attempts.statuses() == [303] + [400] * LANE + [503, 503]


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread CPU priority is a Linux feature")
def test_password_checks_run_at_a_lower_cpu_priority_than_pages(settings: Settings) -> None:
    create_editor(settings, "anna")
    with TestClient(create_app(settings), base_url=BASE) as client:
        assert AdminActions(client).login().status_code == 303
    checkers = [t for t in threading.enumerate() if t.name.startswith("password-check")]
    assert checkers, "the check ran in the lane's own threads"
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    for thread in checkers:
        assert thread.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == min(ours + hashing.NICENESS, 19)
