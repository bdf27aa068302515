"""Cold start and peak memory with 1,000 statements.

    python bench/scale.py [--statements N] [--rounds R] [--out FILE]

Seeds ``run.py``'s sample gallery with ``--statements`` (1,000) published statements, each with
its own thumbnail, then:

1. cold start, ``--rounds`` times for each page: ``gallery serve`` is started as production
   starts it, and the page is asked for from the moment the process starts (a refused connection
   is asked again 10 ms later) until the first 200: for the gallery page, a statement page and
   ``/healthz``. Goal: ≤ 1 s (the median of the rounds is judged).
2. peak memory: one more ``gallery serve`` is asked, one request after another, for the gallery
   page, every statement page and every thumbnail; its peak resident set (``VmHWM``) is read
   after each step. Goal: ≤ 80 MB (1 MB = 1,000,000 bytes) after everything.

Prints a Markdown report (also written to ``--out``); a missed goal prints MISSED and still exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run  # noqa: E402 - the seeding and process helpers of the load benchmark

START_GOAL = 1.0  # seconds from process start to the first 200
RSS_GOAL = 80_000_000  # bytes
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def start(env: dict[str, str], port: int, log: Path, servers: list[run.Server]) -> tuple[run.Server, float]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*run.gallery_command(), "serve", "--port", str(port)], env=env, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    started = time.monotonic()
    server = run.Server("service", port, proc, log)
    servers.append(server)
    return server, started


def first_ok(server: run.Server, path: str, started: float, limit: float = 60.0) -> float:
    """Seconds from ``started`` until ``path`` answers 200."""
    while time.monotonic() - started < limit:
        if server.proc.poll() is not None:
            raise run.BenchError(f"gallery serve exited with {server.proc.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if run.fetch(server.port, path, GZIP).status == 200:
                return time.monotonic() - started
        time.sleep(0.01)
    raise run.BenchError(f"{path} did not answer 200 within {limit:.0f} s:\n{server.log_tail()}")


def megabytes(kib: int | None) -> str:
    return f"{kib * 1024 / 1e6:.1f} MB" if kib else "n/a"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Cold start and peak memory with many statements.")
    p.add_argument("--statements", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    if args.statements < 1 or args.rounds < 1:
        p.error("--statements and --rounds must be at least 1")
    return run.run_bench("gallery-scale-", lambda tmp, servers: measure(args, tmp, servers), args.out)


def measure(args: argparse.Namespace, tmp: Path, servers: list[run.Server]) -> str:
    """Seeds, starts and measures; the report's text."""
    data_dir, logs = tmp / "data", tmp / "logs"
    logs.mkdir(parents=True)
    key = secrets.token_urlsafe(32)
    run.say(f"seeding {args.statements} statements")
    seeded = run.seed(data_dir, key, use_pillow=True, count=args.statements)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update(GALLERY_DATA_DIR=str(data_dir), GALLERY_SECRET_KEYS=key, PYTHONUNBUFFERED="1")
    statement = f"/g/{seeded.gallery_slug}/v/{seeded.vimeo_ids[-1]}"
    pages = {"gallery page `/`": "/", "statement page": statement, "`/healthz`": "/healthz"}
    rows, missed = [], []
    for name, path in pages.items():
        times = []
        for n in range(args.rounds):
            server, started = start(env, run.free_port(), logs / f"start-{len(rows)}-{n}.log", servers)
            times.append(first_ok(server, path, started))
            server.stop()
        median = statistics.median(times)
        judged = path != "/healthz"
        ok = median <= START_GOAL
        if judged and not ok:
            missed.append(f"cold start to the {name}: {median:.2f} s > {START_GOAL} s")
        rows.append([f"cold start → first 200, {name}", f"{median:.2f} s",
                     ", ".join(f"{t:.2f}" for t in times), f"≤ {START_GOAL:.0f} s" if judged else "info",
                     ("PASS" if ok else "**MISSED**") if judged else "info"])
        run.say(f"{name}: {', '.join(f'{t:.2f} s' for t in times)}")

    server, started = start(env, run.free_port(), logs / "memory.log", servers)
    first_ok(server, "/healthz", started)
    steps: list[tuple[str, list[str]]] = [
        ("started, nothing asked", []),
        ("after the gallery page", ["/"]),
        (f"after all {args.statements} statement pages",
         [f"/g/{seeded.gallery_slug}/v/{v}" for v in seeded.vimeo_ids]),
        (f"after all {args.statements} thumbnails", [f"/thumbs/{n}" for n in seeded.thumbnail_names]),
    ]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    peak = None
    for label, paths in steps:
        for path in paths:
            conn.request("GET", path, headers=GZIP)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise run.BenchError(f"{path} answered {response.status}")
        peak = server.status("VmHWM")
        rows.append([f"peak RSS (VmHWM) {label}", megabytes(peak), "", "info", "info"])
        run.say(f"{label}: {megabytes(peak)}")
    conn.close()
    ok = peak is not None and peak * 1024 <= RSS_GOAL
    rows[-1][3:] = [f"≤ {RSS_GOAL / 1e6:.0f} MB", "PASS" if ok else "**MISSED**"]
    if not ok:
        missed.append(f"peak RSS {megabytes(peak)} > {RSS_GOAL / 1e6:.0f} MB")
    page = run.fetch(server.port, "/", GZIP)
    server.stop()

    header = (f"{time.strftime('%Y-%m-%d %H:%M %Z')} · nproc {os.cpu_count()} · {args.statements} "
              f"published statements (each a ~{run.TRANSCRIPT_CHARS:,}-character transcript and its "
              f"own 640×360 JPEG) · gallery page {len(page.body):,} B as sent (gzip) · "
              f"{args.rounds} cold starts per page")
    text = (f"{header}\n\n" + run.table(["measure", "value", "rounds (s)", "goal", "result"], rows)
            + ("\n**MISSED:**\n\n" + "\n".join(f"- {m}" for m in missed) + "\n" if missed
               else "\nAll goals met.\n"))
    return text


if __name__ == "__main__":
    sys.exit(main())
