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
import contextlib
import http.client
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run  # noqa: E402 - the seeding, process and wrk helpers of the load benchmark

RATIO_GOAL = 0.9
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def host_of(n: int) -> str:
    return f"town{n:03d}.bench.test"


def seed_towns(data_dir: Path, key: str, towns: int, statements: int) -> list[str]:
    """``towns`` towns with ``statements`` published statements each; their host names, in order."""
    from gallery.content.towns import add_town, edit_town
    from gallery.settings import Settings
    from gallery.storage.store import Storage

    seeded = run.seed(data_dir, key, use_pillow=False, count=statements)
    settings = Settings.from_environ({"GALLERY_DATA_DIR": str(data_dir), "GALLERY_SECRET_KEYS": key})
    storage = Storage.from_settings(settings)
    first = storage.towns()[0]
    edit_town(storage, settings, first, {"key": "town000", "hosts": host_of(0)})
    hosts = [host_of(0)]
    for n in range(1, towns):
        town = add_town(storage, settings, f"town{n:03d}", {"name": f"Stadt {n}", "hosts": host_of(n)})
        own = storage.for_town(town.id)
        with own.transaction() as tx:
            gallery = tx.default_gallery()
            for vimeo_id in seeded.vimeo_ids:
                tx.add_statement(gallery.id, vimeo_id, published=True, speaker_name=f"Person {n}",
                                 speaker_role="Beispiel", quote=f"Zitat aus Stadt {n}.",
                                 transcript="Abschrift.", alt_text="Bild")
        hosts.append(host_of(n))
    storage.close()
    return hosts


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
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    if args.towns < 2 or args.statements < 1 or args.duration < 1:
        p.error("--towns must be at least 2, --statements and --duration at least 1")
    wrk = shutil.which("wrk")
    if not wrk:
        print("bench: wrk is needed (apt-get install wrk)", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="gallery-towns-"))
    servers: list[run.Server] = []
    try:
        logs = tmp / "logs"
        logs.mkdir()
        key = secrets.token_urlsafe(32)
        started = time.monotonic()
        run.seed(tmp / "one", key, use_pillow=False, count=args.statements)
        hosts = seed_towns(tmp / "many", key, args.towns, args.statements)
        seeding = time.monotonic() - started
        run.say(f"seeded {args.towns} towns × {args.statements} statements in {seeding:.1f} s")
        middle = hosts[len(hosts) // 2]

        # 1. cold start, on a town's own host name
        port = run.free_port()
        log = logs / "many.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [*run.gallery_command(), "serve", "--port", str(port)], env=serve_env(tmp / "many", key),
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        t0 = time.monotonic()
        many = run.Server("many", port, proc, log)
        servers.append(many)
        cold = None
        while time.monotonic() - t0 < 60 and cold is None:
            if proc.poll() is not None:
                raise run.BenchError(f"gallery serve exited:\n{many.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if run.fetch(port, "/", {**GZIP, "Host": f"{middle}:{port}"}).status == 200:
                    cold = time.monotonic() - t0
            time.sleep(0.01)
        if cold is None:
            raise run.BenchError("no 200 within 60 s")

        # 2. every town's gallery page once, then the peak resident set
        for host in hosts:
            answer = run.fetch(port, "/", {**GZIP, "Host": f"{host}:{port}"})
            if answer.status != 200:
                raise run.BenchError(f"{host} answered {answer.status}")
        peak = many.status("VmHWM")

        # 3. req/s: one town of many, then the single-town installation, same wrk settings
        cpus_server, cpus_client, _layout = run.cpu_layout(True)
        threads = max(1, len(cpus_client or {0}))
        many_r = run.run_wrk(wrk, f"http://127.0.0.1:{port}/", {**GZIP, "Host": f"{middle}:{port}"},
                             args.duration, args.connections, threads, cpus_client, many)
        many.stop()
        one = run.start_server("one", [*run.gallery_command(), "serve", "--port", str(port2 := run.free_port())],
                               serve_env(tmp / "one", key), port2, "/", logs, cpus_server, servers)
        one_r = run.run_wrk(wrk, f"http://127.0.0.1:{port2}/", GZIP, args.duration, args.connections,
                            threads, cpus_client, one)
        one.stop()
        ratio = many_r.rps / one_r.rps if one_r.rps else 0.0
        ok = ratio >= RATIO_GOAL and many_r.errors == 0 and one_r.errors == 0
        rows = [
            ["seeding through the storage interface", f"{seeding:.1f} s", "info", "info"],
            ["cold start → first 200 of a town's gallery page", f"{cold:.2f} s", "info", "info"],
            [f"peak RSS (VmHWM) after all {args.towns} gallery pages", f"{(peak or 0) * 1024 / 1e6:.1f} MB",
             "info", "info"],
            ["gallery page, single-town installation", f"{one_r.rps:,.0f} req/s", "baseline", "info"],
            [f"gallery page, one town of {args.towns}", f"{many_r.rps:,.0f} req/s ({ratio:.2f}×)",
             f"≥ {RATIO_GOAL}×", "PASS" if ok else "**MISSED**"],
        ]
        header = (f"{time.strftime('%Y-%m-%d %H:%M %Z')} · nproc {os.cpu_count()} · {args.towns} towns × "
                  f"{args.statements} published statements · wrk {args.connections} connections, "
                  f"{args.duration} s, {threads} thread(s)")
        text = f"{header}\n\n" + run.table(["measure", "value", "goal", "result"], rows)
        print(text)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        return 0
    except run.BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
