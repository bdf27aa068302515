"""``gallery demo`` as the README's run command starts it, and ``gallery serve`` beside it.

Both run as real processes on a free loopback port; the tests read what a browser would get.
"""

from __future__ import annotations

import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest

from gallery.admin.session_cookie import COOKIE_NAME
from gallery.cli.demo.editor import PASSWORD_FILE
from gallery.cli.demo.samples import (
    DEMO_ACCENT,
    DEMO_LOGO_ALT,
    DEMO_TITLE,
    FIRST_TOWN_HOST,
    SECOND_ACCENT,
    SECOND_TITLE,
    SECOND_TOWN_HOST,
    sample_videos,
    second_town_videos,
    video_link,
    videos_to_add,
)
from tests.admin_helpers import SAME_ORIGIN
from tests.htmlparse import parse
from tests.processes import clean_env, free_port, gallery_running

SAMPLE_COUNT = 6


@contextmanager
def running(args: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """``python -m gallery ARGS`` until the block ends, then Ctrl+C: a clean exit, no traceback."""
    with gallery_running(args, env, port, log) as (base, process):
        yield base
    # Ctrl+C is the documented way to stop it: a clean exit, no traceback.
    assert process.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text()


class Page(HTMLParser):
    """Counts cards and collects image sources, as a browser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.cards = 0
        self.images: list[str] = []
        self.demo_banner = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if "card" in classes:
            self.cards += 1
        if "demo-banner" in classes:
            self.demo_banner = True
        if tag == "img":
            self.images.append(found.get("src") or "")
        if tag in {"img", "source"} and found.get("srcset"):
            self.images.extend(part.split()[0] for part in (found["srcset"] or "").split(","))


def fetch_home(base: str) -> tuple[httpx.Response, Page]:
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        response = client.get(base + "/")
    return response, Page(response.text)


def test_demo_serves_sample_gallery_offline(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    port = free_port()
    args = ["demo", "--data-dir", str(data_dir), "--port", str(port)]
    log = tmp_path / "demo.log"

    with running(args, clean_env(), port, log) as base:
        response, page = fetch_home(base)
        assert response.status_code == 200
        assert DEMO_TITLE in response.text
        assert "Demo" in response.text
        assert page.demo_banner
        assert page.cards == SAMPLE_COUNT
        assert response.text.count('class="card"') == SAMPLE_COUNT

        # Every picture comes from the gallery itself, never from Vimeo or the stand-in.
        assert page.images
        for src in page.images:
            assert src.startswith("/") and not src.startswith("//"), src
        thumbs = [src for src in page.images if src.startswith("/thumbs/")]
        # Five samples bring a picture, the restricted one shows the placeholder; and the demo
        # town's logo in the header, with its colour as a stylesheet from the gallery itself.
        # Each picture (640 wide) as a 640 JPEG in src, and its copies 320 and 640 wide in
        # srcset, WebP and JPEG; the logo, and its WebP copy.
        assert len(thumbs) == (SAMPLE_COUNT - 1) * (1 + 2 * 2) + 2
        assert f'alt="{DEMO_LOGO_ALT}"' in response.text
        assert '<link rel="stylesheet" href="/g/videos/style.css?v=' in response.text
        with httpx.Client(trust_env=False, timeout=10.0) as client:
            for src in thumbs:
                image = client.get(base + src)
                assert image.status_code == 200, src
                assert image.headers["content-type"].startswith("image/"), src
                assert image.content

    assert data_dir.is_dir()
    assert (data_dir / "gallery.sqlite3").is_file()
    assert not (tmp_path / "demo-data" / "demo-data").exists()

    # Started again on the same data: the same six statements, not twelve.
    port = free_port()
    args = ["demo", "--data-dir", str(data_dir), "--port", str(port)]
    with running(args, clean_env(), port, log) as base:
        response, page = fetch_home(base)
        assert response.status_code == 200
        assert page.cards == SAMPLE_COUNT
        assert response.text.count('class="card"') == SAMPLE_COUNT


def test_no_environment_variable_turns_on_demo_mode(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(
        GALLERY_DATA_DIR=str(tmp_path / "data"),
        GALLERY_SECRET_KEYS="serve-test-key-0123456789",
        GALLERY_DEMO="1",
        GALLERY_DEMO_MODE="true",
        GALLERY_MODE="demo",
    )
    args = ["serve", "--port", str(port)]
    with running(args, env, port, tmp_path / "serve.log") as base:
        response, page = fetch_home(base)
    assert response.status_code == 200
    assert '<p class="demo-banner"' not in response.text
    assert not page.demo_banner
    assert DEMO_TITLE not in response.text
    assert page.cards == 0
    # No demo account and no demo password: those exist only in `gallery demo`.
    assert not (tmp_path / "data" / PASSWORD_FILE).exists()
    conn = sqlite3.connect(tmp_path / "data" / "gallery.sqlite3")
    try:
        assert conn.execute("SELECT COUNT(*) FROM editors").fetchone()[0] == 0
    finally:
        conn.close()
    assert "Passwort" not in (tmp_path / "serve.log").read_text()


@pytest.mark.parametrize("flag", ["--demo", "--demo=1"])
def test_serve_has_no_demo_switch(tmp_path: Path, flag: str) -> None:
    env = clean_env(GALLERY_DATA_DIR=str(tmp_path / "data"), GALLERY_SECRET_KEYS="serve-test-key-0123456789")
    proc = subprocess.run(
        [sys.executable, "-m", "gallery", "serve", flag, "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "unbekannte Argumente" in proc.stderr  # argparse's own message, in the locale's language
    assert "Traceback" not in proc.stderr


def test_demo_serves_an_example_town_page_on_another_site(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    args = ["demo", "--data-dir", str(tmp_path / "demo-data"), "--port", str(port)]
    with running(args, clean_env(), port, log) as base:
        line = next(row for row in log.read_text().splitlines() if "Beispiel-Stadtseite" in row)
        host_url = line.rsplit(" ", 1)[1]
        assert host_url.startswith("http://localhost:")  # localhost vs 127.0.0.1: two sites
        with httpx.Client(trust_env=False, timeout=10.0) as client:
            host_page = client.get(host_url)
            assert host_page.status_code == 200
            assert f'<iframe data-gallery-embed src="{base}/"' in host_page.text
            assert f'<script src="{base}/embed.js" async></script>' in host_page.text
            gallery = client.get(base + "/")
            policy = gallery.headers["content-security-policy"]
            assert f"frame-ancestors 'self' {host_url.rstrip('/')}" in policy
            # the demo runs the cross-site cookie mode, so "always" works inside the town's frame
            r = client.post(
                base + "/consent",
                data={"scope": "always", "next": "/"},
                headers={"sec-fetch-site": "same-origin"},
            )
            assert "Partitioned" in r.headers["set-cookie"]

            # The town's imprint and privacy policy are example pages of that site, and the
            # accessibility statement carries example dates: the demo shows every obligation met.
            footer = {a.text: a.attrs for a in parse(gallery.text).find("footer").find_all("a")}
            for label, path in (("Impressum", "/impressum"), ("Datenschutzerklärung", "/datenschutz")):
                assert footer[label]["href"] == host_url.rstrip("/") + path
                example = client.get(footer[label]["href"])
                assert example.status_code == 200
                assert f"<h1>{label} (Beispiel)</h1>" in example.text and "Demo" in example.text
            dates = parse(client.get(base + "/accessibility").text).by_id("dates")
            assert [t.attrs["datetime"] for t in dates.find_all("time")] == ["2026-11-27", "2026-12-01"]


def console_line(log: Path, start: str) -> str:
    return next(row for row in log.read_text().splitlines() if row.startswith(start))


def sign_in(http: httpx.Client, name: str, password: str) -> dict[str, str]:
    r = http.post("/admin/login", data={"username": name, "password": password})
    assert r.status_code == 303, r.text
    jar: SimpleCookie = SimpleCookie()
    jar.load(r.headers["set-cookie"])
    return {"cookie": f"{COOKIE_NAME}={jar[COOKIE_NAME].value}"}  # Secure cookie over loopback http


def test_demo_prints_an_editor_account_and_videos_to_add(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    log = tmp_path / "demo.log"
    port = free_port()
    args = ["demo", "--data-dir", str(data_dir), "--port", str(port)]
    with running(args, clean_env(), port, log) as base:
        line = console_line(log, "Redaktion:")
        account = re.fullmatch(r"Redaktion: (\S+)  Name: (\S+)  Passwort: (\S+)  \(.*\)", line)
        assert account, log.read_text()
        admin, name, password = account.groups()
        assert admin == f"{base}/admin/" and name == "demo" and len(password) >= 12
        links = console_line(log, "Zum Ausprobieren").split(": ", 1)[1].split(", ")
        assert links == [video_link(video) for video in videos_to_add()]
        shown = {video.vimeo_id for video, _ in sample_videos()}
        assert not shown & {video.vimeo_id for video in videos_to_add()}  # new to the gallery

        with httpx.Client(base_url=base, headers=SAME_ORIGIN, trust_env=False, timeout=30) as http:
            cookie = sign_in(http, name, password)
            overview = http.get("/admin/", headers=cookie)
            assert "Angemeldet als" in overview.text and "Pflichtangaben" not in overview.text
            form = parse(http.get("/admin/g/videos/add", headers=cookie).text)
            token = form.find("input", name="csrf_token").attrs["value"]
            step = {"csrf_token": token, "link": links[-1]}  # the unlisted one, with its hash
            preview = http.post("/admin/g/videos/add", data={**step, "step": "preview"}, headers=cookie)
            assert preview.status_code == 200, preview.text
            blob = parse(preview.text).find("input", name="preview").attrs["value"]
            texts = dict.fromkeys(("title_override", "speaker_role", "quote", "transcript", "alt_text"), "")
            texts.update(speaker_name="Neu", caption_lang="de", step="publish", preview=blob)
            saved = http.post("/admin/g/videos/add", data={**step, **texts}, headers=cookie)
            assert saved.status_code == 303, saved.text
        assert fetch_home(base)[1].cards == SAMPLE_COUNT + 1

    path = data_dir / PASSWORD_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text().strip() == password
    # Started again: the same account and password, still working.
    log.write_text("")
    port = free_port()
    args = ["demo", "--data-dir", str(data_dir), "--port", str(port)]
    with running(args, clean_env(), port, log) as base:
        assert f"Passwort: {password}  " in console_line(log, "Redaktion:")
        with httpx.Client(base_url=base, headers=SAME_ORIGIN, trust_env=False, timeout=30) as http:
            sign_in(http, name, password)


def fetch_town(base: str, host: str, path: str = "/") -> httpx.Response:
    """A page asked as a browser on ``host`` (a *.localhost name, which reaches this computer) asks it."""
    port = base.rsplit(":", 1)[1]
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        return client.get(base + path, headers={"host": f"{host}:{port}"})


def stylesheet(html: str) -> str:
    """The address of the gallery's own stylesheet (its colour) on a page."""
    links = parse(html).find_all("link", rel="stylesheet")
    return next(a.attrs["href"] for a in links if a.attrs["href"].startswith("/g/videos/style.css?v="))


def test_demo_hosts_two_towns_on_their_own_names(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    port = free_port()
    log = tmp_path / "demo.log"
    args = ["demo", "--data-dir", str(data_dir), "--port", str(port)]
    with running(args, clean_env(), port, log) as base:
        line = console_line(log, "Zwei Städte")
        assert line == (
            f"Zwei Städte auf diesem Port: Ratzeburg http://{FIRST_TOWN_HOST}:{port}/ "
            f"und Mölln http://{SECOND_TOWN_HOST}:{port}/  (*.localhost führt zu diesem Rechner)"
        )
        host_url = console_line(log, "Beispiel-Stadtseite").rsplit(" ", 1)[1].rstrip("/")
        ratzeburg = fetch_town(base, FIRST_TOWN_HOST)
        moelln = fetch_town(base, SECOND_TOWN_HOST)
        assert ratzeburg.status_code == moelln.status_code == 200
        rz, ml = parse(ratzeburg.text), parse(moelln.text)
        assert rz.find("h1").text == DEMO_TITLE and ml.find("h1").text == SECOND_TITLE
        assert Page(ratzeburg.text).cards == SAMPLE_COUNT
        assert Page(moelln.text).cards == len(second_town_videos())
        # Each town shows its own statements only.
        for video, _ in second_town_videos():
            assert video.title in moelln.text and video.title not in ratzeburg.text
        for video, _ in sample_videos():
            assert video.title not in moelln.text
        # Its own look: Mölln has no logo but its colour; Ratzeburg keeps logo and colour.
        assert f'alt="{DEMO_LOGO_ALT}"' in ratzeburg.text and DEMO_LOGO_ALT not in moelln.text
        rz_style, ml_style = (
            fetch_town(base, host, stylesheet(page.text))
            for host, page in ((FIRST_TOWN_HOST, ratzeburg), (SECOND_TOWN_HOST, moelln))
        )
        assert DEMO_ACCENT in rz_style.text and SECOND_ACCENT not in rz_style.text
        assert SECOND_ACCENT in ml_style.text and DEMO_ACCENT not in ml_style.text
        # Its own legal texts: Mölln's imprint and privacy policy, its operator in the notice.
        footer = {a.text.split(" – ")[0]: a.attrs["href"] for a in ml.find("footer").find_all("a")}
        assert footer["Impressum"] == f"{host_url}/moelln/impressum"
        assert footer["Datenschutzerklärung"] == f"{host_url}/moelln/datenschutz"
        with httpx.Client(trust_env=False, timeout=10.0) as client:
            imprint = client.get(footer["Impressum"])
        assert imprint.status_code == 200 and "Stadt Mölln" in imprint.text
        assert "Stadt Mölln (Beispiel)" in fetch_town(base, SECOND_TOWN_HOST, "/privacy").text
        # Mölln's pictures come from Mölln's host; Ratzeburg's are not served there.
        ml_thumbs = [src for src in Page(moelln.text).images if src.startswith("/thumbs/")]
        rz_thumbs = {src for src in Page(ratzeburg.text).images if src.startswith("/thumbs/")}
        assert ml_thumbs
        for src in ml_thumbs:
            assert fetch_town(base, SECOND_TOWN_HOST, src).status_code == 200, src
        for src in rz_thumbs - set(ml_thumbs):
            assert fetch_town(base, SECOND_TOWN_HOST, src).status_code == 404, src
        # 127.0.0.1, as the README's tour opens it, is Ratzeburg.
        assert fetch_home(base)[1].cards == SAMPLE_COUNT

    # Started again: still three statements in Mölln, not six.
    port = free_port()
    args = ["demo", "--data-dir", str(data_dir), "--port", str(port)]
    with running(args, clean_env(), port, log) as base:
        assert Page(fetch_town(base, SECOND_TOWN_HOST).text).cards == len(second_town_videos())
