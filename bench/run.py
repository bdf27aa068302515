"""Load benchmark: the gallery service against a bare Starlette app, measured with wrk.

    python bench/run.py [--duration S] [--connections N] [--threads T] [--out FILE]

One run seeds a throw-away 20-statement gallery through the project's own code, starts
``gallery serve`` exactly as production does (plus ``bench/baseline.py`` as the yardstick),
measures every route one after the other with wrk, checks the pre-consent page weight and the
service's peak memory, and prints a Markdown report (also written to ``--out``).

The report never fails the process: a missed target prints "MISSED" and still exits 0. Only a
bench that cannot run (wrk missing, a server that does not start) exits non-zero.

CPU layout, and why wrk gets one thread by default
--------------------------------------------------
On a 2-core machine the server and the load generator share the CPUs, so every cycle wrk uses
is a cycle the server does not get. The service is one uvicorn worker: one event loop that can
use one core (the GIL sees to that). So the sound split is one core each: the server processes
are pinned to the first CPU, wrk to the remaining one(s), and wrk runs one thread per CPU it
has (1 on 2 cores). ``wrk -t2`` here would put two busy client threads on the cores and steal
time from the server, measuring the contention rather than the service. A single wrk thread
(C, epoll) drives far more requests/s than one Python worker can answer, which the report
checks: it shows the CPU share of the server and of wrk for every run. A run where wrk is near
100 % and the server is not would be client-bound, and is flagged.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import io
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from urllib.parse import urljoin, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
STATEMENTS = 20
TRANSCRIPT_CHARS = 1500
PAGE_WEIGHT_LIMIT = 20_000  # bytes (1 kB = 1,000 bytes, the stricter reading of "20 kB")
PAGE_WEIGHT_LEVEL = 6  # gzip level judged: what the service itself uses for pages (render.Page)
BROWSER_ACCEPT_ENCODING = "gzip, deflate, br"
NOISY = 0.3  # "rest of the machine" above this share of a core marks a run as disturbed
PAGE_TARGET = 0.85  # pages for visitors without consent / the bare page
CONSENT_TARGET = 0.7  # the gallery page with a consent cookie / the bare page


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[tuple[Path, list[Server]]]:
    """A fresh temporary folder and a list for the servers started in it.

    However the block ends, every server in the list is stopped and the folder removed.
    """
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    servers: list[Server] = []
    try:
        yield tmp, servers
    finally:
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run_bench(prefix: str, body: Callable[[Path, list[Server]], str], out: Path | None) -> int:
    """Runs ``body`` in a :func:`scratch` folder and prints its report (and writes it to ``out``)."""
    try:
        with scratch(prefix) as (tmp, servers):
            text = body(tmp, servers)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(text)
    if out:
        out.write_text(text, encoding="utf-8")
    return 0


class BenchError(Exception):
    """The bench itself cannot run; the message says why."""


# --- sample content (deterministic, clearly sample text) ---------------------------------

FIRST_NAMES = [
    "Anna", "Mehmet", "Sophie", "Jonas", "Leyla", "Thomas", "Fatima", "Lukas", "Marie",
    "Dimitri", "Hannah", "Yusuf", "Katharina", "Emeka", "Lena", "Paul", "Aylin", "Stefan",
    "Miriam", "Tobias",
]
LAST_NAMES = [
    "Becker", "Yılmaz", "Hoffmann", "Schneider", "Nowak", "Wagner", "Öztürk", "Krause",
    "Okafor", "Schulz", "Petrović", "Richter", "Neumann", "Kaya", "Fischer", "Zimmermann",
    "Haddad", "Lange", "Kowalski", "Braun",
]
ROLES = [
    "Schülerin am Städtischen Gymnasium", "Trainer im Sportverein", "Pflegekraft im Klinikum",
    "Erzieherin in einer Kita", "Busfahrer bei den Stadtwerken", "Pfarrerin der Kirchengemeinde",
    "Vorsitzender des Integrationsrats", "Auszubildende im Handwerk", "Sozialarbeiter im Jugendzentrum",
    "Ärztin in einer Hausarztpraxis", "Lehrer an der Gesamtschule", "Rentnerin und Lesepatin",
    "Studentin der Sozialen Arbeit", "Inhaber einer Bäckerei", "Feuerwehrmann im Ehrenamt",
    "Mitarbeiterin der Stadtverwaltung", "Fußballerin in der Frauenmannschaft",
    "Integrationslotsin", "Polizeibeamter im Bezirksdienst", "Stadträtin",
]
TOPICS = [
    "Hinsehen statt wegsehen", "Gemeinsam im Verein", "Worte haben Gewicht", "Nachbarschaft",
    "Zuhören", "Mut im Alltag", "Schule ohne Rassismus", "Keine Witze auf Kosten anderer",
    "Vielfalt im Team", "Widersprechen lernen", "Ankommen", "Sprache verbindet",
    "Im Bus und auf der Straße", "Respekt in der Pflege", "Kinder fragen nach",
    "Verantwortung im Amt", "Fair Play", "Brücken bauen", "Einschreiten, aber wie?",
    "Die Stadt gehört allen",
]
QUOTE_FIRST = [
    "Rassismus beginnt oft mit einem Satz, den alle überhören.",
    "Ich habe gelernt, dass Schweigen auch eine Antwort ist.",
    "Bei uns zählt, was jemand tut, nicht woher jemand kommt.",
    "Wer ausgegrenzt wird, merkt das sofort, auch wenn es leise geschieht.",
    "Vielfalt ist bei uns kein Projekt, sondern Alltag.",
    "Ich wünsche mir, dass niemand mehr erklären muss, warum er dazugehört.",
    "Wir reden viel über Zusammenhalt, aber er zeigt sich im Kleinen.",
    "Diskriminierung ist nie nur das Problem der Betroffenen.",
]
QUOTE_SECOND = [
    "Deshalb spreche ich es an, auch wenn es unbequem ist.",
    "Darum stehe ich heute hier und sage es laut.",
    "Das erwarte ich von mir selbst genauso wie von allen anderen.",
    "Jede und jeder kann morgen damit anfangen.",
    "Dafür braucht es Menschen, die nicht wegsehen.",
    "Und das gilt in der Schule, im Verein und im Rathaus.",
    "Wir haben es selbst in der Hand, wie wir miteinander umgehen.",
    "Mein Herz schlägt für eine Stadt, in der alle sicher sind.",
]
TRANSCRIPT_SENTENCES = [
    "Als ich vor ein paar Jahren hierhergezogen bin, kannte ich kaum jemanden.",
    "Am Anfang habe ich gedacht, das geht mich nichts an.",
    "Dann habe ich erlebt, wie ein Kollege wegen seines Namens keine Wohnung bekommen hat.",
    "Das hat mich lange beschäftigt, und ich habe mit vielen Leuten darüber gesprochen.",
    "Im Verein haben wir uns irgendwann zusammengesetzt und klare Regeln aufgeschrieben.",
    "Seitdem weiß jede und jeder, was passiert, wenn jemand beleidigt wird.",
    "Es sind oft die kleinen Bemerkungen, die am meisten wehtun.",
    "Ich sage dann ruhig, dass ich das nicht in Ordnung finde.",
    "Manchmal ernte ich dafür Kopfschütteln, manchmal ein Danke.",
    "Die Kinder in meiner Gruppe fragen sehr direkt, warum Menschen verschieden aussehen.",
    "Darauf gibt es eine einfache Antwort: weil Menschen verschieden sind, und das ist gut so.",
    "In der Pflege begegnen mir Menschen aus über zwanzig Ländern, im Team und am Bett.",
    "Wir lernen jeden Tag voneinander, auch wenn es nicht immer leicht ist.",
    "Mir hilft es, zuzuhören, bevor ich urteile.",
    "Wer selbst Ausgrenzung erlebt hat, erkennt sie bei anderen schneller.",
    "Ich möchte, dass meine Tochter in einer Stadt aufwächst, in der sie sich sicher fühlt.",
    "Dafür reicht es nicht, einmal im Jahr ein Zeichen zu setzen.",
    "Es braucht Menschen, die im Alltag widersprechen, im Bus, im Büro und am Stammtisch.",
    "Die Beratungsstellen in unserer Stadt leisten dabei wichtige Arbeit.",
    "Viele wissen gar nicht, dass es sie gibt und dass die Beratung kostenlos ist.",
    "Ich habe mir vorgenommen, mehr davon zu erzählen.",
    "Wenn ich heute zurückblicke, bin ich froh, dass ich damals nicht geschwiegen habe.",
    "Es hat mich Mut gekostet, aber es hat sich gelohnt.",
    "Niemand muss perfekt sein, um etwas gegen Rassismus zu tun.",
    "Es reicht, anzufangen und dranzubleiben.",
    "Wir haben im Stadtteil ein Nachbarschaftsfest organisiert, zu dem alle eingeladen waren.",
    "Da haben Leute miteinander geredet, die sich vorher nur vom Sehen kannten.",
    "Solche Begegnungen verändern mehr als jedes Plakat.",
]
SPEAKER_MARKS = ["", "", "", "[lacht] ", "[kurze Pause] "]


@dataclass(frozen=True)
class SampleStatement:
    vimeo_id: int
    title: str
    duration: int
    speaker_name: str
    speaker_role: str
    quote: str
    transcript: str
    alt_text: str
    unlisted_hash: str | None


def sample_statements(count: int = STATEMENTS, seed: int = 2024) -> list[SampleStatement]:
    """Plausible, varied German texts; the same every run. Every transcript says it is a sample."""
    rng = random.Random(seed)
    first, last = FIRST_NAMES[:], LAST_NAMES[:]
    rng.shuffle(first)
    rng.shuffle(last)
    items = []
    for n in range(count):
        name = f"{first[n % len(first)]} {last[n % len(last)]}"
        quote = f"„{rng.choice(QUOTE_FIRST)} {rng.choice(QUOTE_SECOND)}“"
        paragraphs = ["[Beispieltext für den Lasttest – keine echte Abschrift]"]
        length = len(paragraphs[0])
        while length < TRANSCRIPT_CHARS:
            sentences = rng.sample(TRANSCRIPT_SENTENCES, rng.randint(2, 4))
            paragraph = f"{name.split()[0]}: {rng.choice(SPEAKER_MARKS)}" + " ".join(sentences)
            if length + len(paragraph) > TRANSCRIPT_CHARS + 150:
                paragraph = paragraph[: TRANSCRIPT_CHARS + 150 - length].rsplit(".", 1)[0] + "."
            paragraphs.append(paragraph)
            length += len(paragraph) + 2
        paragraphs.append("[Musik endet]")
        topic = TOPICS[n % len(TOPICS)]
        items.append(
            SampleStatement(
                vimeo_id=800_000_001 + n,
                title=f"Herz einschalten: {topic}",
                duration=rng.randint(55, 240),
                speaker_name=name,
                speaker_role=ROLES[n % len(ROLES)],
                quote=quote,
                transcript="\n\n".join(paragraphs),
                alt_text=f"Standbild: {name} spricht in die Kamera",
                unlisted_hash=secrets.token_hex(5) if rng.random() < 0.2 else None,
            )
        )
    return items


# --- thumbnails --------------------------------------------------------------------------


def pillow_thumbnail(seed: int) -> bytes | None:
    """A 640×360 JPEG of realistic size (30–60 kB), or None when Pillow is not installed.

    Shapes, gradients and fine grain: something a JPEG encoder works about as hard on as on a
    video still (flat synthetic pictures compress to a few kB, which would flatter every route).
    """
    try:
        from PIL import Image, ImageDraw, ImageFilter
    except ImportError:
        return None
    rng = random.Random(seed)
    w, h = 640, 360
    c1 = tuple(rng.randrange(40, 220) for _ in range(3))
    c2 = tuple(rng.randrange(40, 220) for _ in range(3))
    mask = Image.linear_gradient("L").resize((w, h))
    img = Image.composite(Image.new("RGB", (w, h), c1), Image.new("RGB", (w, h), c2), mask)
    draw = ImageDraw.Draw(img)
    for _ in range(14):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(15, 120)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(2))
    grain = Image.frombytes("L", (w, h), rng.randbytes(w * h))
    img = Image.blend(img, grain.filter(ImageFilter.GaussianBlur(0.8)).convert("RGB"), 0.25)
    data = b""
    for quality in (85, 78, 90, 70, 94):  # the first that lands in 30–60 kB
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
        data = buf.getvalue()
        if 30_000 <= len(data) <= 60_000:
            break
    return data


def variant(picture: bytes, n: int) -> bytes:
    """``picture`` with a small patch of its own: other bytes (another name), the same weight."""
    from PIL import Image, ImageDraw

    rng = random.Random(n)
    img = Image.open(io.BytesIO(picture)).convert("RGB")
    x, y = rng.randrange(600), rng.randrange(320)
    ImageDraw.Draw(img).rectangle((x, y, x + 40, y + 40), fill=tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, progressive=True)
    return buf.getvalue()


def sample_thumbnails(count: int, use_pillow: bool) -> tuple[list[bytes], str]:
    """One JPEG per statement, and where they came from (for the report).

    Past the first 20 (each made from scratch, which takes a while), the rest are variants of
    those: as many different pictures as statements, made in seconds.
    """
    if use_pillow:
        made = [pillow_thumbnail(1000 + n) for n in range(min(count, STATEMENTS))]
        if all(made):
            base = [m for m in made if m]
            more = [variant(base[n % len(base)], n) for n in range(len(base), count)]
            return base + more, "generated with Pillow"
    import gallery.vimeo

    media = Path(gallery.vimeo.__file__).resolve().parent / "standin_media"
    files = sorted(media.glob("sample*.jpg"))
    if not files:
        raise BenchError(f"Pillow is missing and no sample JPEG was found in {media}.")
    pictures = [p.read_bytes() for p in files]
    return [pictures[n % len(pictures)] for n in range(count)], (
        f"Pillow not available: gallery/vimeo/standin_media/{files[0].name} (smaller than a real still)"
    )


# --- seeding through the project's own code ----------------------------------------------


@dataclass
class Seeded:
    gallery_slug: str
    vimeo_ids: list[int]
    thumbnail_name: str  # the one that is benchmarked (the first statement's)
    thumbnail: bytes
    thumbnail_source: str
    thumbnail_names: list[str] = field(default_factory=list)  # every statement's, in order


def seed(
    data_dir: Path, secret_key: str, use_pillow: bool, database_url: str | None = None,
    count: int = STATEMENTS,
) -> Seeded:
    """The sample gallery in ``data_dir`` (and in ``database_url``'s PostgreSQL database, if given)."""
    from gallery.models import FetchStatus, Image, Video, sniff_image
    from gallery.settings import Settings
    from gallery.storage.engine import utcnow
    from gallery.storage.store import Storage
    from gallery.storage.thumbnails import image_store

    environ = {"GALLERY_DATA_DIR": str(data_dir), "GALLERY_SECRET_KEYS": secret_key}
    if database_url:
        environ["GALLERY_DATABASE_URL"] = database_url
    settings = Settings.from_environ(environ)
    storage = Storage.from_settings(settings)
    storage.migrate()
    # Where the service keeps its images (files, or rows with PostgreSQL), saved before the
    # transaction below: the database store writes in a transaction of its own.
    thumbs = image_store(storage, settings)
    samples = sample_statements(count)
    pictures, source = sample_thumbnails(len(samples), use_pillow)
    stored = []
    for picture in pictures:
        kind = sniff_image(picture)
        assert kind is not None, "sample thumbnails are images"
        stored.append(thumbs.save(Image(data=picture, media_type=kind[0], extension=kind[1])))
    names = []
    now = utcnow()
    with storage.transaction() as tx:
        gallery = tx.default_gallery()
        tx.update_gallery(
            gallery.id,
            title="Herz einschalten – Rassismus ausschalten",
            intro=(
                "Menschen aus der Stadt sagen, was sie gegen Rassismus und Diskriminierung tun – "
                "und warum.\n\nLasttest-Daten: Alle Namen und Texte sind erfundene Beispiele."
            ),
        )
        for sample, name in zip(samples, stored, strict=True):
            names.append(name)
            tx.save_video(
                Video(
                    vimeo_id=sample.vimeo_id,
                    unlisted_hash=sample.unlisted_hash,
                    title=sample.title,
                    author_name="Stadt (Beispiel)",
                    duration=sample.duration,
                    width=1920,
                    height=1080,
                    upload_date=now,
                    thumbnail_url=f"https://i.vimeocdn.com/video/{sample.vimeo_id}-d_640x360",
                    thumbnail=name,
                    fetch_status=FetchStatus.OK,
                    fetch_message="",
                    fetched_at=now,
                    good_at=now,
                ),
            )
            tx.add_statement(
                gallery.id,
                sample.vimeo_id,
                published=True,
                speaker_name=sample.speaker_name,
                speaker_role=sample.speaker_role,
                quote=sample.quote,
                transcript=sample.transcript,
                alt_text=sample.alt_text,
            )
        slug = tx.default_gallery().slug
    storage.close()
    return Seeded(
        gallery_slug=slug,
        vimeo_ids=[s.vimeo_id for s in samples],
        thumbnail_name=names[0],
        thumbnail=pictures[0],
        thumbnail_source=source,
        thumbnail_names=names,
    )


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cpus: set[int] | None) -> Callable[[], None] | None:
    if not cpus:
        return None

    def apply() -> None:
        os.sched_setaffinity(0, cpus)

    return apply


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system time of the process and all its threads so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def status(self, key: str) -> int | None:
        """A kB figure from /proc/<pid>/status, e.g. VmHWM (peak resident set)."""
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return None

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_server(
    name: str, command: list[str], env: dict[str, str], port: int, ready_path: str,
    logs: Path, cpus: set[int] | None, servers: list[Server],
) -> Server:
    log = logs / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl+C reaches only us; we stop it in order
            preexec_fn=pinned(cpus),
        )
    server = Server(name, port, proc, log)
    servers.append(server)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with {proc.returncode} on start:\n{server.log_tail()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if fetch(port, ready_path).status == 200:
                return server
        time.sleep(0.1)
    raise BenchError(f"{name} did not answer {ready_path} within 30 s:\n{server.log_tail()}")


# --- HTTP (for checks, not for load) -----------------------------------------------------


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes  # as sent on the wire (not decompressed)


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> Fetched:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return Fetched(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()


def consent_cookie(port: int) -> str:
    """``name=value`` of the consent cookie, got as a visitor gets it: "always" on the gallery."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/consent", body="scope=always&next=%2F", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin",
        })
        resp = conn.getresponse()
        resp.read()
        cookie = resp.getheader("set-cookie") or ""
    finally:
        conn.close()
    if resp.status != 303 or not cookie.startswith("__Host-gallery-consent="):
        raise BenchError(f"choosing \"always\" answered {resp.status} without the consent cookie")
    return cookie.split(";", 1)[0]


class AssetLinks(HTMLParser):
    """``<link rel=stylesheet href>`` and ``<script src>`` of a page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "link" and "stylesheet" in a.get("rel", "").lower().split() and a.get("href"):
            self.found.append(("CSS", a["href"]))
        elif tag == "script" and a.get("src"):
            self.found.append(("JS", a["src"]))


# --- wrk ---------------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def to_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"unknown wrk time {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


@dataclass
class WrkResult:
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    requests: int = 0
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    server_cpu: float = 0.0  # share of one core, 1.0 = 100 %
    client_cpu: float = 0.0
    other_cpu: float = 0.0  # the rest of the machine: kernel network work, other processes
    server_us_per_request: float = 0.0
    raw: str = ""

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


def parse_wrk(out: str) -> WrkResult:
    r = WrkResult(raw=out)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise BenchError(f"wrk printed no Requests/sec:\n{out}")
    r.rps = float(m.group(1))
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    if m:
        r.max_ms = to_ms(m.group(3))
    for pct, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            setattr(r, attr, to_ms(m.group(1)))
    m = re.search(r"(\d+) requests in", out)
    r.requests = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        kinds = ("connect", "read", "write", "timeout")
        r.socket_errors = dict(zip(kinds, map(int, m.groups()), strict=True))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r.non_2xx_3xx = int(m.group(1)) if m else 0
    return r


def machine_busy_seconds() -> float:
    """CPU time spent by everything on the machine (all CPUs, incl. interrupts) so far."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = map(int, fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    wrk: str, url: str, headers: dict[str, str], duration: int, connections: int,
    threads: int, cpus: set[int] | None, server: Server | None = None,
) -> WrkResult:
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    server_before = server.cpu_seconds() if server else 0.0
    client_before = children_cpu()
    busy_before = machine_busy_seconds()
    started = time.monotonic()
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=duration + 60, preexec_fn=pinned(cpus),
        check=False,
    )
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    result = parse_wrk(done.stdout)
    result.client_cpu = (children_cpu() - client_before) / wall
    if server:
        used = server.cpu_seconds() - server_before
        result.server_cpu = used / wall
        if result.requests:
            result.server_us_per_request = used / result.requests * 1e6
    busy = (machine_busy_seconds() - busy_before) / wall
    result.other_cpu = max(0.0, busy - result.server_cpu - result.client_cpu)
    return result


# --- the report --------------------------------------------------------------------------


@dataclass
class Run:
    key: str
    label: str
    server: str  # "service" or "baseline"
    path: str
    headers: dict[str, str]
    expect: int = 200
    check: Callable[[Fetched], str | None] | None = None  # a reason the preflight failed
    note: str = ""
    shown: str = ""  # the path as the report shows it (thumbnail names are long)
    result: WrkResult | None = None
    problem: str = ""  # why it was not measured


def machine_line(args: argparse.Namespace, wrk: str, threads: int, layout: str) -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    wrk_version = (version.stdout + version.stderr).strip().splitlines()[0:1] or ["wrk ?"]
    wrk_version_text = wrk_version[0].split(" Copyright")[0].strip()
    libs = []
    for name in ("uvicorn", "starlette", "uvloop", "httptools"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            libs.append(f"{name} {metadata.version(name)}")
    return (
        f"{datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')} · "
        f"nproc {os.cpu_count()} ({cpu}) · Python {platform.python_version()} "
        f"({', '.join(libs)}) · {wrk_version_text} · {args.duration} s per run "
        f"(+{args.warmup} s warm-up) · {args.connections} connections · {threads} wrk "
        f"thread{'s' if threads != 1 else ''} · {layout}"
    )


def fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def fmt_ms(x: float) -> str:
    return f"{x:.2f} ms" if x < 100 else f"{x:,.0f} ms"


def build_report(
    header: str, runs: dict[str, Run], weight: list[tuple[str, str, int, int, int, int | None]],
    rss: dict[str, int | None], seeded: Seeded, page_bytes: tuple[int, int],
) -> tuple[str, list[str]]:
    missed: list[str] = []
    rows: list[list[str]] = []

    def rps(key: str) -> float | None:
        r = runs[key].result
        return r.rps if r else None

    def ratio_row(label: str, key: str, base_key: str, target: float | None, base_label: str) -> None:
        value, base = rps(key), rps(base_key)
        if value is None or base is None:
            problem = runs[key].problem or runs[base_key].problem
            rows.append([label, "not measured", base_label, "—", f"≥ {target}" if target else "—",
                         f"MISSED ({problem})" if target else f"n/a ({problem})"])
            if target:
                missed.append(f"{label}: not measured ({problem})")
            return
        ratio = value / base
        cost, base_cost = (runs[k].result.server_us_per_request for k in (key, base_key))
        cpu_ratio = f" (CPU {base_cost / cost:.2f})" if cost and base_cost else ""
        noisy = any(runs[k].result.other_cpu > NOISY for k in (key, base_key))
        if target is None:
            verdict = "info"
        elif ratio >= target:
            verdict = "PASS"
        else:
            verdict = "**MISSED**"
            missed.append(f"{label}: ratio {ratio:.2f} < {target}")
        if noisy:
            verdict += " (noisy run)"
        rows.append([label, f"{fmt_int(value)} req/s", f"{fmt_int(base)} req/s ({base_label})",
                     f"{ratio:.2f}{cpu_ratio}", f"≥ {target}" if target else "— (info)", verdict])

    thumb_kb = f"{len(seeded.thumbnail) / 1000:.1f} kB"
    ratio_row("Gallery page `/`, 20 statements, gzip, no consent", "gallery", "page", PAGE_TARGET,
              "bare `/page`")
    ratio_row("Statement page `/g/<slug>/v/<id>`, gzip, no consent", "statement", "page", PAGE_TARGET,
              "bare `/page`")
    ratio_row("Gallery page `/`, gzip, with a consent cookie", "gallery_consent", "page",
              CONSENT_TARGET, "bare `/page`")
    ratio_row("Gallery page `/` revalidated, `If-None-Match` → 304", "gallery304", "page",
              PAGE_TARGET, "bare `/page`")
    ratio_row("Gallery page `/` without gzip, no consent", "gallery_identity", "bare_same", PAGE_TARGET,
              "bare `/same`: the same bytes")
    ratio_row(f"Thumbnail `/thumbs/<name>` ({thumb_kb} JPEG)", "thumb", "bare_thumb", 0.7,
              "bare `/thumb`, memory")
    ratio_row("StaticFiles `/files/<name>` (floor)", "files", "bare_thumb", None,
              "bare `/thumb`, memory")
    ratio_row("Thumbnail revalidation, `If-None-Match` → 304", "thumb304", "bare_thumb", None,
              "bare `/thumb`, memory")

    total = sum(w[3] for w in weight)
    if weight:
        ok = total <= PAGE_WEIGHT_LIMIT
        if not ok:
            missed.append(f"pre-consent page weight {total:,} B > {PAGE_WEIGHT_LIMIT:,} B")
        rows.append([f"Pre-consent page weight (HTML + CSS + JS, gzip -{PAGE_WEIGHT_LEVEL})",
                     f"{total:,} B", "—", "—", f"≤ {PAGE_WEIGHT_LIMIT:,} B",
                     "PASS" if ok else "**MISSED**"])
    else:
        missed.append("pre-consent page weight not measured")
        rows.append(["Pre-consent page weight", "not measured", "—", "—",
                     f"≤ {PAGE_WEIGHT_LIMIT:,} B", "**MISSED**"])

    service_rss, base_rss = rss.get("service"), rss.get("baseline")
    rows.append([
        "Peak RSS after load (VmHWM)",
        f"{service_rss / 1024:.1f} MiB" if service_rss else "n/a",
        f"{base_rss / 1024:.1f} MiB (baseline app)" if base_rss else "n/a",
        f"{service_rss / base_rss:.2f}" if service_rss and base_rss else "—",
        "— (info)", "info",
    ])

    errors = sum(r.result.errors for r in runs.values() if r.result)
    if errors:
        missed.append(f"{errors} error responses or socket errors under load")
    rows.append(["Non-2xx/3xx responses + socket errors, all runs", f"{errors:,}", "—", "—",
                 "0", "PASS" if not errors else "**MISSED**"])

    out = [f"# Gallery load benchmark\n\n{header}\n"]
    out.append(table(["measure", "value", "baseline", "ratio", "target", "result"], rows))
    out.append(
        "\nRatio = req/s ÷ baseline req/s (this is what is judged). In brackets: the baseline's "
        "server CPU per request ÷ this route's, which estimates the same ratio from CPU cost "
        "alone and is hardly moved by other load on the machine.\n"
    )

    detail = []
    for run in runs.values():
        r = run.result
        target = f"{run.server} `{run.shown or run.path}`" + (f" ({run.note})" if run.note else "")
        if r is None:
            detail.append([run.label, target] + ["—"] * 11 + [run.problem])
            continue
        socket = ", ".join(f"{k} {v}" for k, v in r.socket_errors.items() if v) or "0"
        notes = []
        if r.client_cpu > 0.9 and r.server_cpu < 0.85:
            notes.append("client-bound?")
        if r.other_cpu > NOISY:
            notes.append("noisy: other load on the machine")
        detail.append([
            run.label, target, fmt_int(r.rps), fmt_ms(r.p50_ms), fmt_ms(r.p99_ms),
            fmt_ms(r.max_ms), fmt_int(r.requests), str(r.non_2xx_3xx), socket,
            f"{r.server_cpu:.0%}", f"{r.client_cpu:.0%}", f"{r.other_cpu:.0%}",
            f"{r.server_us_per_request:.0f} µs", ", ".join(notes),
        ])
    out.append("\n## Every run\n\n")
    out.append(
        "CPU columns are shares of one core over the run: the server process (all threads), "
        "wrk, and the rest of the machine (kernel network work not charged to a process, and any "
        "other process). Server CPU / request = the server's CPU time divided by requests "
        "answered: the cost of a route independent of how busy the machine was.\n\n"
    )
    out.append(table(["run", "target", "req/s", "p50", "p99", "max", "requests",
                      "non-2xx/3xx", "socket errors", "server CPU", "wrk CPU", "rest",
                      "server CPU / request", "note"], detail))

    out.append(f"\n## Pre-consent page weight (no cookie; Python gzip level {PAGE_WEIGHT_LEVEL}, "
               "mtime 0, judged; level 9 and the bytes the service actually sends for "
               "information)\n")
    wrows = [[kind, f"`{url}`", f"{raw:,}", f"{g6:,}", f"{g9:,}",
              f"{served:,}" if served is not None else "—"] for kind, url, raw, g6, g9, served in weight]
    wrows.append(["**total**", "", f"{sum(w[2] for w in weight):,}", f"**{total:,}**",
                  f"{sum(w[4] for w in weight):,}",
                  f"{sum(w[5] or 0 for w in weight):,}"])
    out.append(table(["part", "URL", "raw B", f"gzip -{PAGE_WEIGHT_LEVEL} B", "gzip -9 B",
                      "as served (gzip) B"], wrows))

    out.append(
        f"\nData: {STATEMENTS} published statements, each with a ~{TRANSCRIPT_CHARS:,}-character "
        f"sample transcript; gallery page {page_bytes[0]:,} B raw, {page_bytes[1]:,} B as served "
        f"gzipped. Thumbnail `<name>` = `{seeded.thumbnail_name}`: {len(seeded.thumbnail):,} B, "
        "640×360 JPEG, "
        f"{seeded.thumbnail_source}. Every load sends `Accept-Encoding: {BROWSER_ACCEPT_ENCODING}`"
        " (as browsers do) except the \"without gzip\" run; no cookie (a visitor without consent) "
        "except the \"with a consent cookie\" run, whose cookie the service issued for "
        "\"always\" at the start.\n"
    )
    if missed:
        out.append("\n**MISSED:**\n\n" + "\n".join(f"- {m}" for m in missed) + "\n")
    else:
        out.append("\nAll targets met.\n")
    return "".join(out), missed


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# --- main --------------------------------------------------------------------------------


def cpu_layout(pin: bool) -> tuple[set[int] | None, set[int] | None, str]:
    """Server CPUs, wrk CPUs, and a description for the header."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not pin or len(available) < 2:
        return None, None, "no CPU pinning"
    server, client = {available[0]}, set(available[1:])
    return server, client, (
        f"servers pinned to CPU {available[0]}, wrk to CPU {','.join(map(str, sorted(client)))}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Benchmark the gallery service against bare Starlette.")
    p.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    p.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    p.add_argument("--threads", type=int, default=0,
                   help="wrk threads (default: one per CPU left to wrk, i.e. 1 on 2 cores)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of load before each run")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "results.md")
    p.add_argument("--no-pin", action="store_true", help="do not pin servers and wrk to CPUs")
    p.add_argument("--no-pillow", action="store_true",
                   help="use the stand-in sample JPEG as if Pillow were missing")
    args = p.parse_args(argv)
    if args.duration < 1 or args.connections < 1 or args.warmup < 0 or args.threads < 0:
        p.error("--duration and --connections must be ≥ 1, --warmup and --threads ≥ 0")
    return args


def gallery_command() -> list[str]:
    script = Path(sys.executable).parent / "gallery"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "gallery"]


def page_weight(port: int) -> tuple[list[tuple[str, str, int, int, int, int | None]], tuple[int, int]]:
    page = fetch(port, "/")
    if page.status != 200:
        raise BenchError(f"the gallery page answered {page.status}")
    served_page = fetch(port, "/", {"Accept-Encoding": "gzip"})
    parts: list[tuple[str, str, int, int, int, int | None]] = []

    def add(kind: str, url: str, body: bytes, served: Fetched) -> None:
        on_wire = len(served.body) if served.headers.get("content-encoding") == "gzip" else None
        parts.append((kind, url, len(body), len(gzip.compress(body, PAGE_WEIGHT_LEVEL, mtime=0)),
                      len(gzip.compress(body, 9, mtime=0)), on_wire))

    add("HTML", "/", page.body, served_page)
    links = AssetLinks()
    links.feed(page.body.decode("utf-8"))
    base = f"http://127.0.0.1:{port}/"
    for kind, href in links.found:
        url = urljoin(base, href)
        parts_of = urlsplit(url)
        if parts_of.netloc != f"127.0.0.1:{port}":
            parts.append((f"{kind} (external, not fetched)", href, 0, 0, 0, None))
            continue
        path = parts_of.path + (f"?{parts_of.query}" if parts_of.query else "")
        got = fetch(port, path)
        if got.status != 200:
            raise BenchError(f"{href} answered {got.status}")
        add(kind, path, got.body, fetch(port, path, {"Accept-Encoding": "gzip"}))
    return parts, (len(page.body), len(served_page.body))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench: wrk is not installed (Debian/Ubuntu: apt-get install wrk).", file=sys.stderr)
        return 2
    if not Path("/proc/self/status").exists():
        print("bench: needs Linux /proc (peak RSS, CPU accounting).", file=sys.stderr)
        return 2
    try:
        import gallery  # noqa: F401
    except ImportError:
        print("bench: the gallery package is not importable; run with the project's "
              "virtualenv (pip install -e .).", file=sys.stderr)
        return 2

    server_cpus, client_cpus, layout = cpu_layout(not args.no_pin)
    threads = args.threads or (len(client_cpus) if client_cpus else 1)
    threads = min(threads, args.connections)

    # SIGTERM (e.g. from a CI timeout) takes the same clean-up path as Ctrl+C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with scratch("gallery-bench-") as (tmp, servers):
            return bench(args, wrk, threads, server_cpus, client_cpus, layout, tmp, servers)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted; cleaning up.", file=sys.stderr)
        return 130


def bench(
    args: argparse.Namespace, wrk: str, threads: int, server_cpus: set[int] | None,
    client_cpus: set[int] | None, layout: str, tmp: Path, servers: list[Server],
) -> int:
    before = machine_busy_seconds()
    time.sleep(1)
    idle_load = machine_busy_seconds() - before
    data_dir, logs = tmp / "data", tmp / "logs"
    logs.mkdir(parents=True)
    secret_key = secrets.token_urlsafe(32)
    say(f"seeding {STATEMENTS} statements in {data_dir}")
    seeded = seed(data_dir, secret_key, use_pillow=not args.no_pillow)
    thumb_file = data_dir / "thumbnails" / seeded.thumbnail_name

    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update(GALLERY_DATA_DIR=str(data_dir), GALLERY_SECRET_KEYS=secret_key,
               PYTHONUNBUFFERED="1")
    port = free_port()
    say(f"starting the service: gallery serve --port {port}")
    service = start_server("service", [*gallery_command(), "serve", "--port", str(port)], env,
                           port, "/healthz", logs, server_cpus, servers)
    port_b = free_port()
    # The bare app also sends the gallery page's own bytes, for the run without gzip.
    page_file = tmp / "gallery-page.html"
    page_file.write_bytes(fetch(service.port, "/").body)
    say(f"starting the baseline on port {port_b}")
    baseline = start_server(
        "baseline",
        [sys.executable, str(BENCH_DIR / "baseline.py"), "--port", str(port_b),
         "--thumbnail", str(thumb_file), "--page", str(page_file)],
        env, port_b, "/page", logs, server_cpus, servers,
    )
    by_name = {"service": service, "baseline": baseline}

    thumb_path = f"/thumbs/{seeded.thumbnail_name}"
    first = fetch(service.port, thumb_path)
    etag = first.headers.get("etag", "")
    statement_path = f"/g/{seeded.gallery_slug}/v/{seeded.vimeo_ids[0]}"
    browser = {"Accept-Encoding": BROWSER_ACCEPT_ENCODING}
    page_etag = fetch(service.port, "/", browser).headers.get("etag", "")
    consented = {**browser, "Cookie": consent_cookie(service.port)}

    def same_thumbnail(got: Fetched) -> str | None:
        return None if got.body == seeded.thumbnail else "body is not the thumbnail"

    def cards(got: Fetched, consent: bool) -> str | None:
        if got.headers.get("content-encoding") != "gzip":
            return "not gzipped"
        html = gzip.decompress(got.body)
        found = html.count(b'<li class="card"')
        if found != STATEMENTS:
            return f"{found} cards instead of {STATEMENTS}"
        if (b'class="revoke"' in html) != consent:
            return "the consent cookie was not recognised" if consent else "a page with consent"
        return None

    def statement_page(got: Fetched) -> str | None:
        if got.headers.get("content-encoding") != "gzip":
            return "not gzipped"
        html = gzip.decompress(got.body)
        return "a page with consent" if b'class="revoke"' in html else None

    runs = {
        r.key: r
        for r in [
            Run("gallery", "gallery page", "service", "/", browser, check=lambda got: cards(got, False)),
            Run("page", "bare page", "baseline", "/page", browser),
            Run("thumb", "thumbnail", "service", thumb_path, browser, check=same_thumbnail,
                shown="/thumbs/<name>"),
            Run("bare_thumb", "bare thumbnail", "baseline", "/thumb", browser,
                check=same_thumbnail, note="from memory"),
            Run("files", "StaticFiles", "baseline", f"/files/{seeded.thumbnail_name}", browser,
                check=same_thumbnail, shown="/files/<name>"),
            Run("thumb304", "thumbnail 304", "service", thumb_path,
                {**browser, "If-None-Match": etag}, expect=304, note="If-None-Match: its ETag",
                shown="/thumbs/<name>"),
            Run("statement", "statement page", "service", statement_path, browser, check=statement_page),
            Run("gallery_consent", "gallery page, consent", "service", "/", consented,
                check=lambda got: cards(got, True), note="a valid consent cookie"),
            Run("gallery304", "gallery page 304", "service", "/", {**browser, "If-None-Match": page_etag},
                expect=304, note="If-None-Match: its ETag"),
            Run("gallery_identity", "gallery page, no gzip", "service", "/", {},
                note="no Accept-Encoding"),
            Run("bare_same", "bare gallery bytes", "baseline", "/same", {},
                check=lambda got: None if got.body == page_file.read_bytes() else "not the page",
                note="the gallery page's bytes from memory"),
        ]
    }
    if not page_etag:
        runs["gallery304"].problem = "the gallery page sent no ETag"
    if not etag:
        runs["thumb304"].problem = f"the thumbnail sent no ETag (status {first.status})"

    for run in runs.values():
        if run.problem:
            say(f"skip {run.label}: {run.problem}")
            continue
        server = by_name[run.server]
        got = fetch(server.port, run.path, run.headers)
        if got.status != run.expect:
            run.problem = f"answered {got.status}, expected {run.expect}"
        elif run.check and (reason := run.check(got)):
            run.problem = reason
        if run.problem:
            say(f"skip {run.label}: {run.problem}")
            continue
        url = server.base + run.path
        if args.warmup:
            run_wrk(wrk, url, run.headers, args.warmup, args.connections, threads, client_cpus)
        say(f"load {run.label}: {url} for {args.duration} s")
        run.result = run_wrk(wrk, url, run.headers, args.duration, args.connections, threads,
                             client_cpus, server)
        r = run.result
        say(f"  {r.rps:,.0f} req/s, p50 {fmt_ms(r.p50_ms)}, p99 {fmt_ms(r.p99_ms)}, "
            f"errors {r.errors}, server CPU {r.server_cpu:.0%}, wrk CPU {r.client_cpu:.0%}")

    rss = {name: s.status("VmHWM") for name, s in by_name.items()}
    say("measuring the pre-consent page weight")
    weight, page_bytes = page_weight(service.port)

    header = machine_line(args, wrk, threads, layout)
    header += f" · load on the machine before start: {idle_load:.0%} of a core"
    report, missed = build_report(header, runs, weight, rss, seeded, page_bytes)
    print()
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    say(f"written to {args.out}")
    for name, server in by_name.items():
        if server.proc.poll() is not None:
            print(f"bench: warning: {name} exited during the run:\n{server.log_tail()}",
                  file=sys.stderr)
    if missed:
        print("MISSED: " + "; ".join(missed))
    else:
        print("All targets met.")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
