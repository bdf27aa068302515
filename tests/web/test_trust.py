"""What the service trusts about a request: the Host it names, forwarded headers, and Origin.

A request may name any host and carry any X-Forwarded-* header; only configured host names are
answered, and forwarded headers count only from configured proxies. Observed as a browser or an
attacker would: statuses, Location and security headers, and how many password guesses get through.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.admin import throttle
from gallery.app import create_app
from gallery.cli.demo.samples import sample_videos
from gallery.settings import Settings, SettingsError
from tests.admin_helpers import PASSWORD, SAME_ORIGIN, AdminActions, create_editor
from tests.cli.test_demo import running
from tests.conftest import TEST_KEY
from tests.htmlparse import parse
from tests.processes import clean_env, free_port
from tests.roads import both_roads

EVIL = "evil.example"
FIRST = sample_videos()[0][0]
WRONG = "falsch-falsch-falsch"


def consent_form() -> dict[str, str]:
    return {"scope": "always", "video": str(FIRST.vimeo_id), "gallery": "videos", "next": "/"}


def refused_as_unknown_host(r: httpx.Response) -> bool:
    return (
        r.status_code == 400
        and r.headers["content-type"].startswith("text/plain")
        and "GALLERY_ALLOWED_HOSTS" in r.text
        and len(r.content) < 400
        and "set-cookie" not in r.headers
        and "location" not in r.headers
    )


def client_for(settings: Settings, base_url: str = "https://gallery.test", **kw: object) -> TestClient:
    return TestClient(create_app(settings), base_url=base_url, **kw)  # type: ignore[arg-type]


# --- which host ---------------------------------------------------------------------------


@pytest.fixture
def asset_paths(populated: TestClient) -> dict[str, str]:
    """A page, its stylesheet, a thumbnail and the embed script: each answers 200 for our name."""
    doc = parse(populated.get("/").text)
    paths = {
        "page": "/g/videos",
        "statement": f"/g/videos/v/{FIRST.vimeo_id}",
        "embed page": "/g/videos/embed",
        "stylesheet": doc.find("link", rel="stylesheet").attrs["href"],
        "thumbnail": next(
            i.attrs["src"] for i in doc.find_all("img") if i.attrs["src"].startswith("/thumbs/")
        ),
        "embed script": "/embed.js",
        "health": "/healthz",
        "sign-in": "/admin/login",
    }
    for path in paths.values():
        assert populated.get(path).status_code == 200, path
    return paths


@both_roads
@pytest.mark.parametrize(
    "which",
    ["page", "statement", "embed page", "stylesheet", "thumbnail", "embed script", "health", "sign-in"],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_foreign_host_gets_a_plain_400_on_every_path(
    populated: TestClient, asset_paths: dict[str, str], which: str, method: str
) -> None:
    r = populated.request(method, asset_paths[which], headers={"host": EVIL})
    assert r.status_code == 400
    if method == "GET":
        assert refused_as_unknown_host(r), (r.status_code, r.headers, r.text[:200])
    # the same path with our own name still answers
    assert populated.request(method, asset_paths[which]).status_code == 200


@both_roads
def test_a_foreign_host_cannot_give_consent_even_with_a_matching_origin(populated: TestClient) -> None:
    for origin in (f"https://{EVIL}", f"http://{EVIL}"):
        r = populated.post(
            "/consent",
            data=consent_form(),
            headers={"host": EVIL, "origin": origin},
            follow_redirects=False,
        )
        assert refused_as_unknown_host(r), r.status_code
    # the same request addressed to us and from our origin is accepted
    r = populated.post(
        "/consent", data=consent_form(), headers={"origin": "https://gallery.test"}, follow_redirects=False
    )
    assert r.status_code == 303 and "set-cookie" in r.headers


def test_a_foreign_host_cannot_sign_in_or_be_redirected_to(
    populated: TestClient, curated_settings: Settings
) -> None:
    create_editor(curated_settings)
    r = populated.post(
        "/admin/login",
        data={"username": "anna", "password": PASSWORD},
        headers={"host": EVIL, "origin": f"https://{EVIL}"},
        follow_redirects=False,
    )
    assert refused_as_unknown_host(r)
    for path in ("/admin", "/admin/", "/admin/login/"):
        assert refused_as_unknown_host(populated.get(path, headers={"host": EVIL}, follow_redirects=False))


@both_roads
@pytest.mark.parametrize(
    ("path", "location"),
    [("/admin", "/admin/"), ("/admin/login/", "/admin/login"), ("/admin?lang=en", "/admin/?lang=en")],
)
def test_slash_redirects_are_relative(curated_settings: Settings, path: str, location: str) -> None:
    """Never the Host the request named: behind a proxy that may be an internal name or scheme."""
    settings = replace(
        curated_settings, public_url="https://videos.stadt.de", allowed_hosts=("intern.stadt.de",)
    ).checked()
    for base_url in ("http://intern.stadt.de:8000", "https://videos.stadt.de"):
        with client_for(settings, base_url) as client:
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 307 and r.headers["location"] == location
            assert r.headers["location"].startswith("/") and not r.headers["location"].startswith("//")


@both_roads
def test_configured_hosts_pass_and_nothing_else(curated_settings: Settings) -> None:
    settings = replace(
        curated_settings,
        public_url="https://videos.stadt.de",
        allowed_hosts=("Intern.Stadt.de:8080", "[::1]", "192.0.2.10"),
    ).checked()
    passing = [
        "videos.stadt.de",  # the public URL's host, any port
        "VIDEOS.stadt.de",
        "videos.stadt.de:443",
        "intern.stadt.de:8080",  # exactly the configured port
        "[::1]",
        "[::1]:8000",
        "192.0.2.10:80",
    ]
    failing = [
        EVIL,
        f"{EVIL}:443",
        "videos.stadt.de.evil.example",
        "evil.videos.stadt.de",
        "intern.stadt.de",  # configured with a port: no other
        "intern.stadt.de:8081",
        "gallery.test",  # the fixture's name is not in this list
        "localhost",  # loopback names only when nothing is configured
        "127.0.0.1:8000",
        "videos.stadt.de:http",
        "videos.stadt.de:123456",
        "videos.stadt.de ",
        "",
    ]
    with client_for(settings) as client:
        for host in passing:
            assert client.get("/healthz", headers={"host": host}).status_code == 200, host
        for host in failing:
            assert refused_as_unknown_host(client.get("/healthz", headers={"host": host})), host


@both_roads
def test_with_nothing_configured_only_loopback_names_are_answered(tmp_path: Path) -> None:
    settings = Settings.from_environ(
        {"GALLERY_DATA_DIR": str(tmp_path / "data"), "GALLERY_SECRET_KEYS": TEST_KEY}
    )
    assert settings.allowed_hosts == () and settings.public_url is None
    passing = [
        "127.0.0.1",
        "127.0.0.1:8000",
        "localhost",
        "localhost:8001",
        "LocalHost:1",
        "[::1]",
        "[::1]:8000",
        "gallery.localhost:8000",
        "a.b.localhost",
    ]
    failing = [
        EVIL,
        f"{EVIL}:8000",
        "localhost.evil.example",
        "evillocalhost",
        ".localhost",
        "127.0.0.2:8000",
        "0.0.0.0:8000",
        "192.168.1.5:8000",
        "[::2]:8000",
        "localhost:port",
        "",
    ]
    with client_for(settings, "http://127.0.0.1:8000") as client:
        for host in passing:
            assert client.get("/healthz", headers={"host": host}).status_code == 200, host
        for host in failing:
            assert refused_as_unknown_host(client.get("/healthz", headers={"host": host})), host


@both_roads
def test_origins_come_from_the_public_url_not_from_the_host(curated_settings: Settings) -> None:
    """Reached under an internal name, the service still counts only the public origin as its own."""
    settings = replace(
        curated_settings, public_url="https://videos.stadt.de", allowed_hosts=("intern.stadt.de",)
    ).checked()
    with client_for(settings, "http://intern.stadt.de") as client:
        for origin, status in (("http://intern.stadt.de", 403), ("https://videos.stadt.de", 303)):
            r = client.post(
                "/consent", data=consent_form(), headers={"origin": origin}, follow_redirects=False
            )
            assert r.status_code == status, origin
        code = parse(client.get("/g/videos/embed").text).find("pre").text
        assert "intern.stadt.de" not in code and "https://videos.stadt.de/embed.js" in code


@both_roads
def test_without_a_public_url_the_own_origin_is_the_allowed_host(populated: TestClient) -> None:
    code = parse(populated.get("/g/videos/embed").text).find("pre").text
    assert 'src="https://gallery.test/g/videos"' in code
    # a default port named in Host is the same origin a browser names without it
    r = populated.post(
        "/consent",
        data=consent_form(),
        headers={"host": "gallery.test:443", "origin": "https://gallery.test"},
        follow_redirects=False,
    )
    assert r.status_code == 303


@pytest.mark.parametrize(
    "value",
    [
        "*.stadt.de",
        "*",
        "https://videos.stadt.de",
        "videos.stadt.de/videos",
        "videos.stadt.de:99999",
        "videos.stadt.de:0",
        "anna@videos.stadt.de",
        "videos_stadt.de",
        "[::zz]",
        "::1",
        "300.1.2.3",
        "-videos.stadt.de",
    ],
)
def test_bad_allowed_hosts_stop_the_start_with_one_sentence(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({"GALLERY_DATA_DIR": str(tmp_path), "GALLERY_ALLOWED_HOSTS": value})
    message = str(caught.value)
    assert message.startswith("GALLERY_ALLOWED_HOSTS") and repr(value) in message
    assert message.endswith(".") and "\n" not in message


def test_allowed_hosts_and_proxies_are_read_and_normalised(tmp_path: Path) -> None:
    s = Settings.from_environ(
        {
            "GALLERY_DATA_DIR": str(tmp_path),
            "GALLERY_SECRET_KEYS": TEST_KEY,
            "GALLERY_ALLOWED_HOSTS": "Videos.Stadt.de, intern:8080 [0:0::1]:8000",
            "GALLERY_TRUSTED_PROXIES": "127.0.0.1, 10.1.2.3/8 ::1",
        }
    )
    assert s.allowed_hosts == ("videos.stadt.de", "intern:8080", "[::1]:8000")
    assert s.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")


@pytest.mark.parametrize("value", ["*", "nginx", "10.0.0.0/33", "127.0.0.1:8080", "localhost"])
def test_bad_trusted_proxies_stop_the_start_with_one_sentence(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({"GALLERY_DATA_DIR": str(tmp_path), "GALLERY_TRUSTED_PROXIES": value})
    message = str(caught.value)
    assert message.startswith("GALLERY_TRUSTED_PROXIES") and repr(value) in message
    assert message.endswith(".") and "\n" not in message


# --- Origin: null -------------------------------------------------------------------------


def test_origin_null_refuses_consent_even_with_our_referer(populated: TestClient) -> None:
    r = populated.post(
        "/consent",
        data=consent_form(),
        headers={"origin": "null", "referer": "https://gallery.test/g/videos"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "set-cookie" not in r.headers
    # our Referer alone (no Origin at all, as older browsers send) still passes
    r = populated.post(
        "/consent",
        data=consent_form(),
        headers={"referer": "https://gallery.test/g/videos"},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_origin_null_refuses_sign_in_and_admin_forms(admin: AdminActions) -> None:
    client = admin.client
    r = client.post(
        "/admin/login",
        data={"username": "anna", "password": PASSWORD},
        headers={"origin": "null", "referer": "https://gallery.test/admin/login"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "set-cookie" not in r.headers
    # signed in, a form with its token but from an opaque origin is refused as well
    assert admin.login().status_code == 303
    token = admin.csrf()
    r = client.post(
        "/admin/logout",
        data={"csrf_token": token},
        headers={"origin": "null", "referer": "https://gallery.test/admin/"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert client.get("/admin/", follow_redirects=False).status_code == 200  # still signed in
    r = client.post("/admin/logout", data={"csrf_token": token}, headers=SAME_ORIGIN, follow_redirects=False)
    assert r.status_code == 303


@pytest.fixture
def admin(settings: Settings) -> Iterator[AdminActions]:
    create_editor(settings)
    with client_for(settings) as client:
        yield AdminActions(client)


# --- whose forwarded headers --------------------------------------------------------------


def guesses_until_refused(post: object, limit: int, series: int = 0) -> int | None:
    """Wrong passwords for ever new names and from ever new forwarded addresses: after how many
    was the address blocked (429)? None: never, within ``limit``."""
    for n in range(1, limit + 1):
        r = post(  # type: ignore[operator]
            "/admin/login",
            data={"username": f"name{series}-{n}", "password": WRONG},
            headers={**SAME_ORIGIN, "x-forwarded-for": f"198.51.{series}.{n}"},
        )
        if r.status_code == 429:
            return n
        assert r.status_code == 400, r.status_code
    return None


@pytest.fixture
def quick_policy() -> throttle.Policy:
    """Blocks an address after a few failures: the apps below get a throttle with this policy."""
    return throttle.Policy(account_free=3, address_free=4, unit=5.0, longest=60.0)


@both_roads
def test_without_trusted_proxies_forwarded_headers_are_ignored(
    settings: Settings, quick_policy: throttle.Policy
) -> None:
    """A process on this machine (or anyone, without a proxy in front) cannot pick its address."""
    app = create_app(settings, throttle=throttle.LoginThrottle(quick_policy))
    with TestClient(app, base_url="http://gallery.test", client=("127.0.0.1", 5000)) as client:
        refused_at = guesses_until_refused(client.post, quick_policy.address_free + 4)
        assert refused_at is not None and refused_at <= quick_policy.address_free + 2
        r = client.get("/", headers={"x-forwarded-proto": "https"})
        assert "strict-transport-security" not in r.headers


@both_roads
def test_trusted_proxies_are_believed_and_only_they(
    settings: Settings, quick_policy: throttle.Policy
) -> None:
    trusting = replace(settings, trusted_proxies=("127.0.0.1", "10.0.0.0/8")).checked()
    app = create_app(trusting, throttle=throttle.LoginThrottle(quick_policy))
    for series, proxy in enumerate(("127.0.0.1", "10.20.30.40")):
        with TestClient(app, base_url="http://gallery.test", client=(proxy, 5000)) as client:
            # each guess comes from another visitor behind the proxy: none is blocked for another's
            assert guesses_until_refused(client.post, quick_policy.address_free + 3, series) is None
            r = client.get("/", headers={"x-forwarded-proto": "https"})
            assert r.headers["strict-transport-security"] == "max-age=31536000"
    with TestClient(app, base_url="http://gallery.test", client=("203.0.113.7", 5000)) as client:
        # a visitor talking to the service directly is not a proxy: its own address counts
        assert guesses_until_refused(client.post, quick_policy.address_free + 4, series=9) is not None
        assert (
            "strict-transport-security" not in client.get("/", headers={"x-forwarded-proto": "https"}).headers
        )


@both_roads
def test_a_client_cannot_pretend_to_be_a_trusted_proxy_in_the_chain(
    settings: Settings, quick_policy: throttle.Policy
) -> None:
    """X-Forwarded-For: the nearest address that is not one of our proxies is the client."""
    proxied = replace(settings, trusted_proxies=("127.0.0.1",)).checked()
    app: Starlette = create_app(proxied, throttle=throttle.LoginThrottle(quick_policy))
    with TestClient(app, base_url="http://gallery.test", client=("127.0.0.1", 5000)) as client:
        for n in range(1, quick_policy.address_free + 5):
            r = client.post(
                "/admin/login",
                data={"username": f"name{n}", "password": WRONG},
                # the attacker rotates the left part; the proxy appended the real address
                headers={**SAME_ORIGIN, "x-forwarded-for": f"198.51.100.{n}, 127.0.0.1, 203.0.113.9"},
            )
            if r.status_code == 429:
                break
        else:
            pytest.fail("rotating the forged part of X-Forwarded-For got unlimited guesses")


# --- `gallery serve` over real HTTP -------------------------------------------------------


def raw_get(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return data


@pytest.mark.slow
def test_gallery_serve_answers_only_loopback_names_by_default(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(GALLERY_DATA_DIR=str(tmp_path / "data"), GALLERY_SECRET_KEYS=TEST_KEY)
    with (
        running(["serve", "--port", str(port)], env, port, tmp_path / "serve.log") as base,
        httpx.Client(base_url=base, trust_env=False, timeout=30) as client,
    ):
        assert refused_as_unknown_host(client.get("/", headers={"host": EVIL}))
        assert refused_as_unknown_host(client.get("/admin", headers={"host": f"{EVIL}:{port}"}))
        assert b" 400 " in raw_get(port, b"GET /healthz HTTP/1.0\r\n\r\n").split(b"\r\n", 1)[0]  # no Host
        assert client.get("/", headers={"host": f"localhost:{port}"}).status_code == 200
        r = client.get("/admin", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == "/admin/"


@pytest.mark.slow
def test_gallery_serve_ignores_forwarded_headers_by_default(tmp_path: Path) -> None:
    """uvicorn alone would believe any process on 127.0.0.1 (which is also where it is reached
    from when nothing is in front of it)."""
    port = free_port()
    env = clean_env(GALLERY_DATA_DIR=str(tmp_path / "data"), GALLERY_SECRET_KEYS=TEST_KEY)
    with (
        running(["serve", "--port", str(port)], env, port, tmp_path / "serve.log") as base,
        httpx.Client(base_url=base, trust_env=False, timeout=30) as client,
    ):
        r = client.get("/", headers={"x-forwarded-proto": "https"})
        assert r.status_code == 200 and "strict-transport-security" not in r.headers
        refused_at = guesses_until_refused(client.post, throttle.Policy().address_free + 6)
        assert refused_at is not None


@pytest.mark.slow
def test_gallery_serve_believes_the_proxies_it_is_told_about(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(
        GALLERY_DATA_DIR=str(tmp_path / "data"),
        GALLERY_SECRET_KEYS=TEST_KEY,
        GALLERY_PUBLIC_URL="https://videos.stadt.de",
        GALLERY_ALLOWED_HOSTS="127.0.0.1",
        GALLERY_TRUSTED_PROXIES="192.0.2.1",  # the flag below overrides it
    )
    args = ["serve", "--port", str(port), "--forwarded-allow-ips", "127.0.0.1"]
    with (
        running(args, env, port, tmp_path / "serve.log") as base,
        httpx.Client(base_url=base, trust_env=False, timeout=30) as client,
    ):
        assert guesses_until_refused(client.post, throttle.Policy().address_free + 3) is None
        r = client.get("/admin", headers={"host": "videos.stadt.de"}, follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == "/admin/"
        assert refused_as_unknown_host(client.get("/", headers={"host": "localhost"}))


def test_serve_refuses_a_bad_proxy_list_with_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = clean_env(GALLERY_DATA_DIR=str(tmp_path / "data"), GALLERY_SECRET_KEYS=TEST_KEY)
    for args, name in (
        (["--forwarded-allow-ips", "*"], "--forwarded-allow-ips"),
        ([], "GALLERY_ALLOWED_HOSTS"),
    ):
        run_env = {**env, "GALLERY_ALLOWED_HOSTS": "*.stadt.de"} if not args else env
        proc = subprocess.run(
            [sys.executable, "-m", "gallery", "serve", "--port", str(free_port()), *args],
            env=run_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and name in lines[0] and "Traceback" not in proc.stderr
