"""Many towns on one installation: 200 towns with 30 statements each, against one town with 30.

    python bench/towns.py [--towns N] [--statements S] [--duration SECONDS] [--out FILE]

Seeds two data folders through the storage interface: one installation for a single town with
``--statements`` published statements, and one hosting ``--towns`` towns with as many each (the
first seeded as ``run.py`` does, every other town showing the same videos in its own gallery).
Then, in the same run:

1. cold start: ``gallery serve`` on the many-towns folder, from process start to the first 200 of
   a town's gallery page asked on that town's host name;
2. peak RSS (``VmHWM``) after every town's gallery page was asked once;
3. gallery page req/s with wrk, one town of the many against the single-town installation
   (goal ≥ 0.9×).

Prints a Markdown report (also written to ``--out``); a missed goal prints MISSED and still exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run  # noqa: E402 - the seeding, process and wrk helpers of the load benchmark

RATIO_GOAL = 0.9
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
STANDIN = "http://127.0.0.1:9"  # answered in this process: nothing listens there
STANDIN_LATENCY = 0.1  # seconds before the stand-in answers, as Vimeo across the internet
REFRESH_CONCURRENCY = 2  # the refresher's refreshes at once (RefreshPolicy.concurrency), per installation


def host_of(n: int) -> str:
    return f"town{n:03d}.bench.test"


def town_vimeo_id(town: int, n: int) -> int:
    """Each further town's own videos: ids no other town shows, so that each is refreshed on its own."""
    return 800_000_000 + town * 1_000 + n


def seed_towns(data_dir: Path, key: str, towns: int, statements: int) -> tuple[list[str], list[int]]:
    """``towns`` towns with ``statements`` published statements each; their host names, every video id."""
    from dataclasses import replace

    from gallery.content.towns import add_town, edit_town
    from gallery.settings import Settings
    from gallery.storage.store import Storage

    seeded = run.seed(data_dir, key, use_pillow=False, count=statements)
    settings = Settings.from_environ({"GALLERY_DATA_DIR": str(data_dir), "GALLERY_SECRET_KEYS": key})
    storage = Storage.from_settings(settings)
    first = storage.towns()[0]
    # 127.0.0.1 too: where the start is checked (/healthz), as a proxy's health check would ask.
    edit_town(storage, settings, first, {"key": "town000", "hosts": f"{host_of(0)} 127.0.0.1"})
    hosts, ids = [host_of(0)], list(seeded.vimeo_ids)
    with storage.read() as reads:
        videos = [reads.video(vimeo_id) for vimeo_id in seeded.vimeo_ids]
    for n in range(1, towns):
        town = add_town(storage, settings, f"town{n:03d}", {"name": f"Stadt {n}", "hosts": host_of(n)})
        own = storage.for_town(town.id)
        with own.transaction() as tx:
            gallery = tx.default_gallery()
            for i, video in enumerate(videos):
                assert video is not None
                vimeo_id = town_vimeo_id(n, i)
                tx.save_video(replace(video, vimeo_id=vimeo_id, title=f"{video.title} ({n})"))
                tx.add_statement(gallery.id, vimeo_id, published=True, speaker_name=f"Person {n}-{i}",
                                 speaker_role="Beispiel", quote=f"Zitat aus Stadt {n}.",
                                 transcript="Abschrift.", alt_text="Bild")
                ids.append(vimeo_id)
        hosts.append(host_of(n))
    storage.close()
    return hosts, ids


def cold_start(data_dir: Path, key: str, host: str, logs: Path, servers: list[run.Server]) -> float:
    """Seconds from ``gallery serve``'s start to the first 200 of ``host``'s gallery page."""
    port = run.free_port()
    log = logs / "cold.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*run.gallery_command(), "serve", "--port", str(port)], env=serve_env(data_dir, key),
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    started = time.monotonic()
    server = run.Server("cold", port, proc, log)
    servers.append(server)
    try:
        while time.monotonic() - started < 60:
            if proc.poll() is not None:
                raise run.BenchError(f"gallery serve exited:\n{server.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if run.fetch(port, "/", {**GZIP, "Host": f"{host}:{port}"}).status == 200:
                    return time.monotonic() - started
            time.sleep(0.01)
        raise run.BenchError(f"no 200 within 60 s:\n{server.log_tail()}")
    finally:
        server.stop()


@dataclass
class Watched:
    requests: int = 0
    oembed: int = 0
    pictures: int = 0
    most_at_once: int = 0


class Watching(httpx.AsyncBaseTransport):
    """The stand-in in this process, answering after a network's delay; counts what it is asked."""

    def __init__(self, inner: httpx.AsyncBaseTransport, seen: Watched) -> None:
        self.inner = inner
        self.seen = seen
        self.now = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.seen.most_at_once = max(self.seen.most_at_once, self.now)
        self.seen.requests += 1
        if "oembed" in request.url.path:
            self.seen.oembed += 1
        else:
            self.seen.pictures += 1
        try:
            await asyncio.sleep(STANDIN_LATENCY)
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


async def refresh_window(data_dir: Path, key: str, vimeo_ids: list[int], window: float) -> Watched:
    """The background refresher of one instance, watched for ``window`` seconds with every video due."""
    from gallery.cli.demo.standin_note import demo_settings
    from gallery.content.curate import Curator
    from gallery.content.refresher import Refresher
    from gallery.content.schedule import RefreshPolicy
    from gallery.settings import Settings
    from gallery.storage.store import Storage
    from gallery.storage.thumbnails import image_store
    from gallery.vimeo.client import VimeoClient
    from gallery.vimeo.standin import FakeVideo, StandIn

    standin = StandIn(keep_requests=False, base_url=STANDIN)
    for vimeo_id in vimeo_ids:
        standin.add(FakeVideo(vimeo_id, f"Video {vimeo_id}", duration=60, picture="sample1.jpg"))
    settings = demo_settings(Settings.from_environ(serve_env(data_dir, key)), STANDIN)
    storage = Storage.from_settings(settings)
    with storage.transaction() as tx:
        tx.bring_forward(vimeo_ids, time.time())
    seen = Watched()
    # Short settings: look for due work every second, from the start.
    policy = RefreshPolicy(tick=1.0, first_delay=0.0)
    async with VimeoClient(settings, Watching(standin.transport(), seen)) as vimeo:
        refresher = Refresher(Curator(storage, image_store(storage, settings), vimeo, policy))
        refresher.start()
        await asyncio.sleep(window)
        await refresher.stop()
    storage.close()
    return seen


def serve_env(data_dir: Path, key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update(GALLERY_DATA_DIR=str(data_dir), GALLERY_SECRET_KEYS=key, PYTHONUNBUFFERED="1")
    return env


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Many towns on one installation against one town.")
    p.add_argument("--towns", type=int, default=200)
    p.add_argument("--statements", type=int, default=30)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--window", type=float, default=20.0, help="seconds the refresher is watched")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    if args.towns < 2 or args.statements < 1 or args.duration < 1:
        p.error("--towns must be at least 2, --statements and --duration at least 1")
    wrk = shutil.which("wrk")
    if not wrk:
        print("bench: wrk is needed (apt-get install wrk)", file=sys.stderr)
        return 1
    return run.run_bench("gallery-towns-", lambda tmp, servers: measure(args, tmp, servers, wrk), args.out)


def measure(args: argparse.Namespace, tmp: Path, servers: list[run.Server], wrk: str) -> str:
    """Seeds both installations and measures them; the report's text."""
    logs = tmp / "logs"
    logs.mkdir()
    key = secrets.token_urlsafe(32)
    started = time.monotonic()
    one_ids = run.seed(tmp / "one", key, use_pillow=False, count=args.statements).vimeo_ids
    hosts, many_ids = seed_towns(tmp / "many", key, args.towns, args.statements)
    seeding = time.monotonic() - started
    run.say(f"seeded {args.towns} towns × {args.statements} statements in {seeding:.1f} s")
    middle = hosts[len(hosts) // 2]

    # 1. cold start, on a town's own host name (as scale.py: unpinned, one process)
    cold = cold_start(tmp / "many", key, middle, logs, servers)
    run.say(f"cold start: {cold:.2f} s")

    # 2 and 3. both installations as the load benchmark runs them (server and wrk pinned apart)
    cpus_server, cpus_client, layout = run.cpu_layout(True)
    threads = max(1, len(cpus_client or {0}))
    command = [*run.gallery_command(), "serve", "--port"]
    results = {}
    peak = None
    order = (("one", "one", None), ("many", "many", middle), ("one again", "one", None))
    for name, folder, host in order:
        port = run.free_port()
        env = serve_env(tmp / folder, key)
        server = run.start_server(name.replace(" ", "-"), [*command, str(port)], env, port, "/healthz",
                                  logs, cpus_server, servers)
        headers = {**GZIP, **({"Host": f"{host}:{port}"} if host else {})}
        if name == "many":  # every town's gallery page once, then the peak resident set
            for each in hosts:
                answer = run.fetch(port, "/", {**GZIP, "Host": f"{each}:{port}"})
                if answer.status != 200:
                    raise run.BenchError(f"{each} answered {answer.status}")
            peak = server.status("VmHWM")
        run.fetch(port, "/", headers)  # warm: the page made once before it is measured
        results[name] = run.run_wrk(wrk, f"http://127.0.0.1:{port}/", headers, args.duration,
                                    args.connections, threads, cpus_client, server)
        server.stop()
        run.say(f"{name}: {results[name].rps:,.0f} req/s")
    baseline = (results["one"].rps + results["one again"].rps) / 2
    ratio = results["many"].rps / baseline if baseline else 0.0
    errors = sum(r.errors for r in results.values())
    ok = ratio >= RATIO_GOAL and errors == 0

    # 4. the background refresh against the stand-in: every video due at once
    refresh = {
        f"1 town, {len(one_ids)} videos": asyncio.run(
            refresh_window(tmp / "one", key, one_ids, args.window)
        ),
        f"{args.towns} towns, {len(many_ids):,} videos": asyncio.run(
            refresh_window(tmp / "many", key, many_ids, args.window)
        ),
    }
    rows = [
        ["seeding through the storage interface", f"{seeding:.1f} s", "info", "info"],
        ["cold start → first 200 of a town's gallery page", f"{cold:.2f} s", "info", "info"],
        [f"peak RSS (VmHWM) after all {args.towns} gallery pages", f"{(peak or 0) * 1024 / 1e6:.1f} MB",
         "info", "info"],
        ["gallery page, single-town installation (before and after)",
         f"{results['one'].rps:,.0f} / {results['one again'].rps:,.0f} req/s", "baseline", "info"],
        [f"gallery page, one town of {args.towns}", f"{results['many'].rps:,.0f} req/s ({ratio:.2f}×)",
         f"≥ {RATIO_GOAL}×", "PASS" if ok else "**MISSED**"],
    ]
    for label, r in refresh.items():
        rows.append([
            f"background refresh, {label}: Vimeo requests in {args.window:.0f} s",
            f"{r.requests} ({r.requests / args.window:.1f}/s; {r.oembed} oEmbed, {r.pictures} pictures), "
            f"at most {r.most_at_once} at once",
            f"≤ {REFRESH_CONCURRENCY} at once",
            "PASS" if r.most_at_once <= REFRESH_CONCURRENCY else "**MISSED**",
        ])
    header = (f"{time.strftime('%Y-%m-%d %H:%M %Z')} · nproc {os.cpu_count()} · {args.towns} towns × "
              f"{args.statements} published statements · wrk {args.connections} connections, "
              f"{args.duration} s, {threads} thread(s), {layout} · Vimeo stand-in answering after "
              f"{STANDIN_LATENCY * 1000:.0f} ms")
    text = f"{header}\n\n" + run.table(["measure", "value", "goal", "result"], rows)
    return text


if __name__ == "__main__":
    sys.exit(main())
