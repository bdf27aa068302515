"""Load with Vimeo healthy and in every fault mode: visitors must not notice, Vimeo must not care.

    python bench/load.py [--duration 60] [--connections 64] [--refresh-seconds 5] [--modes …]
    python bench/load.py --smoke [--json FILE]        # ~15 s, for CI (tests/test_load_smoke.py)

Starts the Vimeo stand-in and the service (bench/load_servers.py) on loopback ports, seeds 20
statements through the real curating code and the stand-in, then for each phase sets the
stand-in's fault mode and runs wrk (bench/load.lua: gallery pages, statement pages, thumbnails,
consent POSTs) for a fixed time, bounded in requests too, while the background refresher asks
the stand-in on a clock of seconds. Per phase it reports requests/s, p50/p99 latency, errors
(5xx, socket errors), how many requests the stand-in received, and checks that the pages still
show every statement with its last good title and no link to Vimeo's CDN. Between fault phases
Vimeo recovers and the time until every statement is fresh again is reported.

The "no visitors" phase runs the same time without wrk: Vimeo's request count with and without
visitors must match (it depends on the refresh clock, not on traffic).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from load_servers import load_statements, refresh_policy  # noqa: E402  (bench/ is not a package)
from run import (  # noqa: E402
    BenchError,
    Server,
    cpu_layout,
    fetch,
    free_port,
    pinned,
    scratch,
    start_server,
    table,
)

FAULTS = [
    "500",
    "429",
    "timeout",
    "slow",
    "truncated",
    "captcha",
    "oversized",
    "thumb-not-image",
    "thumb-huge",
    "thumb-redirect",
    "refused",  # last: the stand-in is stopped, its port closed
]
SECRET = "load-test-key-0123456789abcdef"


@dataclass
class Phase:
    name: str
    fault: str
    connections: int  # 0: no visitors at all
    duration: float
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    five_xx: int = 0
    other_errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    vimeo_oembed: int = 0
    vimeo_thumbnails: int = 0
    statuses_after: str = ""
    pages_ok: bool = False
    recovered_s: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def vimeo(self) -> int:
        return self.vimeo_oembed + self.vimeo_thumbnails


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Load with Vimeo healthy and in every fault mode.")
    p.add_argument("--duration", type=float, default=60, help="seconds per phase (default 60)")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--refresh-seconds", type=float, default=20.0, help="background refresh interval")
    p.add_argument("--modes", default=",".join(FAULTS), help="comma-separated fault modes")
    p.add_argument("--smoke", action="store_true", help="3 s phases: healthy, no visitors, 500")
    p.add_argument("--json", type=Path, help="write the phases as JSON here")
    p.add_argument("--out", type=Path, help="write the Markdown report here")
    args = p.parse_args(argv)
    if args.smoke:
        args.duration, args.refresh_seconds, args.modes = 3.0, 2.0, "500"
    args.modes = [m for m in args.modes.split(",") if m]
    unknown = set(args.modes) - set(FAULTS)
    if unknown:
        p.error(f"unknown modes: {', '.join(sorted(unknown))}")
    return args


# --- the stand-in's control endpoint -----------------------------------------------------


def control(port: int, mode: str | None = None) -> dict[str, int]:
    """Set the fault mode (or just read); returns the stand-in's request counts so far."""
    url = f"http://127.0.0.1:{port}/_standin/" + ("fault" if mode else "stats")
    data = f"mode={mode}".encode() if mode else None
    with urllib.request.urlopen(url, data=data, timeout=10) as answer:  # loopback only
        counts: dict[str, int] = json.loads(answer.read())["counts"]
    return counts


# --- seeding and checking through the project's own code ---------------------------------


def seed(settings_env: dict[str, str], refresh_seconds: float) -> None:
    from gallery.content.curate import Curator
    from gallery.settings import Settings
    from gallery.storage.store import Storage
    from gallery.storage.thumbnails import FileImages
    from gallery.vimeo.client import VimeoClient

    settings = Settings.from_environ(settings_env)

    async def add_all() -> None:
        storage = Storage.sqlite(settings.database_path)
        storage.migrate()
        async with VimeoClient(settings) as vimeo:
            policy = refresh_policy(refresh_seconds)  # the service's clock: due within seconds
            curator = Curator(storage, FileImages(settings.thumbnail_dir), vimeo, policy)
            for s in load_statements():
                link = f"https://vimeo.com/{s.vimeo_id}" + (f"/{s.unlisted_hash}" if s.unlisted_hash else "")
                texts = {
                    "speaker_name": s.speaker_name,
                    "speaker_role": s.speaker_role,
                    "quote": s.quote,
                    "transcript": s.transcript,
                    "alt_text": s.alt_text,
                }
                await curator.add(link, texts=texts)

    asyncio.run(add_all())


def fetch_statuses(database: Path) -> dict[str, int]:
    from gallery.storage.store import Storage

    storage = Storage.sqlite(database)
    try:
        found = Counter(v.fetch_status.value for v in storage.videos())
    finally:
        storage.close()
    return dict(sorted(found.items()))


def check_pages(port: int, titles: list[str], statements: list[str], thumbnails: list[str]) -> list[str]:
    """What a visitor sees: every statement with its title, pictures from us, nothing from Vimeo."""
    problems = []
    page = fetch(port, "/")
    text = page.body.decode("utf-8", "replace")
    if page.status != 200:
        problems.append(f"gallery page answered {page.status}")
    missing = [t for t in titles if html.escape(t, quote=False) not in text]
    if missing:
        problems.append(f"{len(missing)} statements missing from the gallery page")
    for path in statements[:5]:
        got = fetch(port, path)
        if got.status != 200:
            problems.append(f"{path} answered {got.status}")
        text += got.body.decode("utf-8", "replace")
    if "vimeocdn" in text or "/video/14" in text:
        problems.append("a page links to Vimeo's CDN or to the stand-in's pictures")
    for path in thumbnails:
        got = fetch(port, path)
        if got.status != 200 or not got.headers.get("content-type", "").startswith("image/"):
            problems.append(f"{path} answered {got.status}")
        elif got.headers["content-type"] == "image/svg+xml":
            problems.append(f"{path} is the placeholder: the stored picture was lost")
    return problems


# --- one phase ---------------------------------------------------------------------------


def run_phase(
    phase: Phase,
    wrk: str,
    lua: Path,
    env: dict[str, str],
    gallery_port: int,
    standin_port: int,
    client_cpus: set[int] | None,
) -> None:
    before = control(standin_port, phase.fault) if phase.fault != "refused" else {}
    if phase.connections == 0:
        time.sleep(phase.duration)
    else:
        cmd = [
            wrk,
            "-t1",
            f"-c{phase.connections}",
            f"-d{phase.duration:g}s",
            "--timeout",
            "10s",
            "-s",
            str(lua),
            f"http://127.0.0.1:{gallery_port}",
        ]
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=env,
            timeout=phase.duration + 60,
            preexec_fn=pinned(client_cpus),
            check=False,
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("LOADRESULT ")), None)
        if done.returncode != 0 or line is None:
            raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
        result = json.loads(line.removeprefix("LOADRESULT "))
        phase.requests = result["requests"]
        phase.rps = result["requests"] / (result["duration_us"] / 1e6)
        phase.p50_ms, phase.p99_ms = result["p50_us"] / 1000, result["p99_us"] / 1000
        phase.statuses = result["statuses"]
        phase.five_xx = sum(n for s, n in result["statuses"].items() if int(s) >= 500)
        errors = result["errors"]  # "status" counts every answer outside 2xx/3xx, 5xx included
        sockets = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
        phase.other_errors = sockets + errors["status"] - phase.five_xx
        unexpected = {s: n for s, n in result["statuses"].items() if int(s) not in {200, 303}}
        if unexpected:
            phase.problems.append(f"unexpected statuses {unexpected}")
    if phase.fault != "refused":
        after = control(standin_port)
        phase.vimeo_oembed = after.get("oembed", 0) - before.get("oembed", 0)
        phase.vimeo_thumbnails = after.get("thumbnail", 0) - before.get("thumbnail", 0)


def wait_recovered(database: Path, standin_port: int, limit: float) -> float | None:
    """Vimeo healthy again: seconds until every video is fresh (ok/restricted), or None."""
    control(standin_port, "none")
    started = time.monotonic()
    while time.monotonic() - started < limit:
        statuses = fetch_statuses(database)
        if set(statuses) <= {"ok", "restricted"}:
            return time.monotonic() - started
        time.sleep(0.2)
    return None


# --- main --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("load: wrk is not installed (Debian/Ubuntu: apt-get install wrk).", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with scratch("gallery-load-") as (tmp, servers):
            phases = load(args, wrk, tmp, servers)
    except BenchError as exc:
        print(f"load: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nload: interrupted; cleaning up.", file=sys.stderr)
        return 130
    report = build_report(args, phases)
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    if args.json:
        rows = [{**asdict(p), "vimeo": p.vimeo} for p in phases]
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


def load(args: argparse.Namespace, wrk: str, tmp: Path, servers: list[Server]) -> list[Phase]:
    server_cpus, client_cpus, _layout = cpu_layout(True)
    standin_port, gallery_port = free_port(), free_port()
    standin_url = f"http://127.0.0.1:{standin_port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")},
        "GALLERY_DATA_DIR": str(tmp / "data"),
        "GALLERY_SECRET_KEYS": SECRET,
        "GALLERY_VIMEO_OEMBED_URL": standin_url + "/api/oembed.json",
        "GALLERY_VIMEO_PLAYER_URL": standin_url + "/player/video/",
        "GALLERY_VIMEO_THUMBNAIL_HOSTS": f"127.0.0.1:{standin_port}",
        "PYTHONPATH": str(BENCH_DIR.parent),
    }
    launcher = [sys.executable, str(BENCH_DIR / "load_servers.py")]
    say("starting the Vimeo stand-in")
    start_server(
        "standin",
        [*launcher, "standin", "--port", str(standin_port)],
        env,
        standin_port,
        "/_standin/stats",
        tmp,
        None,
        servers,
    )
    say("seeding 20 statements through the stand-in")
    seed(env, args.refresh_seconds)
    say("starting the service")
    gallery = start_server(
        "gallery",
        [*launcher, "gallery", "--port", str(gallery_port), "--refresh-seconds", f"{args.refresh_seconds:g}"],
        env,
        gallery_port,
        "/healthz",
        tmp,
        server_cpus,
        servers,
    )
    samples = load_statements()
    titles = [s.title for s in samples]
    page = fetch(gallery_port, "/").body.decode()
    statements = sorted(set(re.findall(r'href="(/g/[^"/]+/v/\d+)"', page)))
    thumbnails = sorted(set(re.findall(r'src="(/thumbs/[0-9a-f]{32}\.\w+)"', page)))
    if len(statements) != len(samples) or not thumbnails:
        raise BenchError(f"the seeded gallery shows {len(statements)} statements, {len(thumbnails)} pictures")
    env.update(
        LOAD_STATEMENTS=",".join(statements),
        LOAD_THUMBNAILS=",".join(thumbnails),
        LOAD_VIDEO_IDS=",".join(str(s.vimeo_id) for s in samples),
        # A bound on requests as well as on time: at most 60,000 requests per second of run.
        LOAD_MAX_REQUESTS=str(int(args.duration * 60_000)),
    )
    database = tmp / "data" / "gallery.sqlite3"
    plan = [Phase("Vimeo healthy", "none", args.connections, args.duration)]
    plan.append(Phase("Vimeo healthy, no visitors", "none", 0, args.duration))
    if not args.smoke:
        plan.append(Phase("Vimeo healthy, 8 connections", "none", 8, args.duration))
    plan += [Phase(f"fault: {m}", m, args.connections, args.duration) for m in args.modes]
    lua = BENCH_DIR / "load.lua"
    phases = []
    for phase in plan:
        if phase.fault == "refused":
            standin = next(s for s in servers if s.name == "standin")
            standin.stop()  # nothing listens on its port any more: connections are refused
        say(f"{phase.name}: {phase.duration:g} s, {phase.connections} connections")
        run_phase(phase, wrk, lua, env, gallery_port, standin_port, client_cpus)
        phase.problems += check_pages(gallery_port, titles, statements, thumbnails)
        phase.pages_ok = not phase.problems
        phase.statuses_after = ", ".join(f"{n} {s}" for s, n in fetch_statuses(database).items())
        if phase.fault not in {"none", "refused"}:
            phase.recovered_s = wait_recovered(database, standin_port, max(30.0, 6 * args.refresh_seconds))
            if phase.recovered_s is None:
                phase.problems.append("did not recover after Vimeo came back")
        if gallery.proc.poll() is not None:
            raise BenchError(f"the service died:\n{gallery.log_tail()}")
        phases.append(phase)
    return phases


def build_report(args: argparse.Namespace, phases: list[Phase]) -> str:
    head = [
        "phase",
        "req/s",
        "p50",
        "p99",
        "5xx",
        "other errors",
        "Vimeo requests (oEmbed + thumbnails)",
        "statuses after",
        "pages",
        "recovery",
    ]
    rows = []
    for p in phases:
        visitors = p.connections > 0
        rows.append(
            [
                p.name,
                f"{p.rps:,.0f}" if visitors else "–",
                f"{p.p50_ms:.1f} ms" if visitors else "–",
                f"{p.p99_ms:.1f} ms" if visitors else "–",
                str(p.five_xx) if visitors else "–",
                str(p.other_errors) if visitors else "–",
                "port closed"
                if p.fault == "refused"
                else f"{p.vimeo} ({p.vimeo_oembed} + {p.vimeo_thumbnails})",
                p.statuses_after,
                "ok" if p.pages_ok else "; ".join(p.problems),
                "–" if p.recovered_s is None else f"{p.recovered_s:.1f} s",
            ]
        )
    when = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (
        f"Load run {when} · {args.duration:g} s per phase · {args.connections} connections · "
        f"refresh every {args.refresh_seconds:g} s · 20 statements · nproc {os.cpu_count()}\n\n"
        + table(head, rows)
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def say(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
