"""Visitors' pages during a storm of sign-in attempts: do visitors wait for password checks?

    python bench/signin_storm.py [--duration 15] [--storm 45] [--compare REV] [--out FILE]

Seeds the 20-statement gallery of ``run.py``, starts ``gallery serve`` on 127.0.0.1 as production
does, and measures the latency of an uncached public page – a visitor's "load this video once"
(``POST /consent`` with ``scope=once``: the statement page with the player, rendered for every
request in a worker thread) – first alone, then while ``--storm`` clients send sign-in attempts
back to back. Each attempt names a fresh account from a fresh loopback address (127.x.y.z), as a
botnet would, so neither the per-account nor the per-address limit stops it before the password
check: every one costs a full-strength scrypt check, the case the hashing lane is for.

Two storms: refused attempts come back after their Retry-After (what the hashing lane is about:
do visitors wait for password checks?), and come back at once (a flood of refusals, which costs
the event loop some CPU per request like any flood). Reported per code version: p50/p99 of the
page alone and during each storm, their ratios (1.0: visitors do not notice; the first storm's
p50 is judged), the attempts' answers by status, the server's CPU and peak memory.
``--compare REV`` first runs the same against the code of a git revision (``git archive`` into a
temporary folder, run with this virtualenv's packages), then this tree.

The report never fails the process; only a bench that cannot run exits non-zero.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run import BenchError, Server, free_port, scratch, seed, start_server, table  # noqa: E402

SECRET = "signin-storm-key-0123456789abcdef"
GAP = 0.02  # seconds between a visitor's requests: a steady trickle, not a load of its own
# Storm p50 / alone p50 at most this: the typical visitor does not notice a storm. The p99 ratio
# is shown, not judged: where two checks keep both cores of a small machine busy, pages still
# share the CPU (they come first, but not alone), and on a shared machine p99 is mostly noise.
TARGET = 1.5


@dataclass
class Phase:
    label: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    answers: Counter[int] = field(default_factory=Counter)
    attempts_per_s: float = 0.0
    cpu_s: float = 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Version:
    label: str
    alone: Phase
    storm: Phase  # refused attempts come back after Retry-After
    flood: Phase  # refused attempts come back at once
    peak_rss_mib: float


# --- clients -----------------------------------------------------------------------------


def visitor(port: int, slug: str, videos: list[int], stop: threading.Event, phase: Phase) -> None:
    """One visitor after another clicking "load this video once", over one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
    try:
        for video in itertools.cycle(videos):
            if stop.is_set():
                return
            body = urlencode({"scope": "once", "video": video, "gallery": slug, "next": f"/g/{slug}"})
            start = time.perf_counter()
            try:
                conn.request("POST", "/consent", body=body, headers=headers)
                resp = conn.getresponse()
                page = resp.read()
            except (OSError, http.client.HTTPException):
                phase.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            if resp.status != 200 or b"player.vimeo.com" not in page:
                phase.errors += 1
            else:
                phase.latencies.append(time.perf_counter() - start)
            stop.wait(GAP)
    finally:
        conn.close()


_addresses = itertools.count(1)
_address_lock = threading.Lock()


def next_address() -> str:
    """127.0.0.1 is the visitor's; the storm's addresses start at 127.0.1.0 and never repeat."""
    with _address_lock:
        n = next(_addresses) + 256
    return f"127.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def attacker(
    port: int, stop: threading.Event, answers: Counter[int], lock: threading.Lock, polite: bool
) -> None:
    """Sign-in attempts back to back, each from a new address and name. A refused one is sent
    again after Retry-After (``polite``) or at once (a flood of refusals)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
    for n in itertools.count():
        if stop.is_set():
            return
        address = next_address()
        body = urlencode({"username": f"rate-{address}-{n}", "password": "falsch-falsch-falsch-1"})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(address, 0))
        try:
            conn.request("POST", "/admin/login", body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            status, retry_after = resp.status, resp.getheader("retry-after")
        except (OSError, http.client.HTTPException):
            status, retry_after = 0, None
        finally:
            conn.close()
        with lock:
            answers[status] += 1
        if polite and retry_after:
            stop.wait(float(retry_after))


def measure(
    server: Server, label: str, duration: float, storm: int, slug: str, videos: list[int], polite: bool
) -> Phase:
    phase = Phase(label)
    stop_storm, stop_visitor = threading.Event(), threading.Event()
    lock = threading.Lock()
    live: Counter[int] = Counter()
    attackers = [
        threading.Thread(target=attacker, args=(server.port, stop_storm, live, lock, polite), daemon=True)
        for _ in range(storm)
    ]
    for thread in attackers:
        thread.start()
    if storm:
        time.sleep(2.0)  # the storm reaches its steady state (the pool or the lane fills up)
        with lock:
            live.clear()
    cpu = server.cpu_seconds()
    started = time.monotonic()
    watcher = threading.Thread(
        target=visitor, args=(server.port, slug, videos, stop_visitor, phase), daemon=True
    )
    watcher.start()
    time.sleep(duration)
    stop_visitor.set()
    watcher.join(120)
    elapsed = time.monotonic() - started
    phase.cpu_s = server.cpu_seconds() - cpu
    with lock:  # what was answered while the page was measured, not the drain after it
        phase.answers = Counter(live)
    phase.attempts_per_s = sum(phase.answers.values()) / elapsed
    stop_storm.set()
    for thread in attackers:
        thread.join(180)
    return phase


# --- servers -----------------------------------------------------------------------------


def export_revision(rev: str, into: Path) -> str:
    """The package of ``rev`` (``git archive``), runnable with PYTHONPATH; its short hash."""
    root = BENCH_DIR.parent
    try:
        short = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", rev], check=True, capture_output=True, text=True
        ).stdout.strip()
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", short, "gallery", "templates", "static"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BenchError(f"cannot export revision {rev!r}: {exc}") from None
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return short


def run_version(
    label: str, pythonpath: Path | None, args: argparse.Namespace, data_dir: Path, logs: Path,
    slug: str, videos: list[int], servers: list[Server],
) -> Version:
    port = free_port()
    env = {**os.environ, "GALLERY_DATA_DIR": str(data_dir), "GALLERY_SECRET_KEYS": SECRET}
    env.pop("GALLERY_PUBLIC_URL", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    # -P: the current folder is not put first on sys.path, so PYTHONPATH decides which code runs.
    command = [sys.executable, "-P", "-m", "gallery", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = start_server(label.split()[0], command, env, port, "/healthz", logs, None, servers)
    probe = [sys.executable, "-P", "-c", "import gallery; print(gallery.__file__)"]
    found = subprocess.run(probe, env=env, capture_output=True, text=True).stdout.strip()
    if pythonpath is not None and not found.startswith(str(pythonpath)):
        raise BenchError(f"the exported code is not the one imported ({found})")
    say(f"{label}: pages alone for {args.duration} s")
    alone = measure(server, "alone", args.duration, 0, slug, videos, False)
    say(f"{label}: pages during a storm of {args.storm} parallel sign-in attempts for {args.duration} s")
    storm = measure(server, "storm", args.duration, args.storm, slug, videos, True)
    say(f"{label}: the same, refused attempts sent again at once, for {args.duration} s")
    flood = measure(server, "storm, retried at once", args.duration, args.storm, slug, videos, False)
    peak = (server.status("VmHWM") or 0) / 1024
    server.stop()
    return Version(label, alone, storm, flood, peak)


# --- report ------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def build_report(args: argparse.Namespace, versions: list[Version], load_before: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    out = [
        "# Visitors' pages during a sign-in storm\n\n",
        f"{now} · nproc {cpus} · Python {sys.version.split()[0]} · {args.duration} s per phase · "
        f"storm of {args.storm} parallel sign-in attempts (each a fresh name from a fresh address) · "
        f"load average before start: {load_before}\n\n",
        "Page: `POST /consent` with `scope=once` (the statement page with the player, rendered for "
        "every request), one visitor at a time, 20 ms apart.\n\n",
    ]
    rows = []
    for v in versions:
        for phase in (v.alone, v.storm, v.flood):
            answers = ", ".join(f"{n}× {s or 'error'}" for s, n in sorted(phase.answers.items())) or "–"
            rows.append([
                v.label, phase.label, str(len(phase.latencies)), ms(phase.pct(0.5)), ms(phase.pct(0.99)),
                str(phase.errors), f"{phase.attempts_per_s:,.1f}/s" if phase.answers else "–", answers,
                f"{phase.cpu_s:.1f} s",
            ])
    out.append(table(
        ["code", "phase", "pages", "p50", "p99", "page errors", "sign-in answers", "statuses", "server CPU"],
        rows,
    ))
    out.append("\n")
    judged = []
    for v in versions:
        ratios = [
            f"{phase.pct(q) / v.alone.pct(q):.2f}" for phase in (v.storm, v.flood) for q in (0.5, 0.99)
        ]
        met = v.storm.pct(0.5) / v.alone.pct(0.5) <= TARGET and v.storm.errors == 0
        judged.append(
            [v.label, *ratios, f"≤ {TARGET}", "PASS" if met else "MISSED", f"{v.peak_rss_mib:.0f} MiB"]
        )
    out.append(table(
        ["code", "storm/alone p50", "storm/alone p99", "retried at once/alone p50",
         "retried at once/alone p99", "target (storm p50)", "result", "peak RSS"],
        judged,
    ))
    return "".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Page latency during a storm of sign-in attempts.")
    p.add_argument("--duration", type=float, default=15, help="seconds per phase (default 15)")
    p.add_argument("--storm", type=int, default=45, help="parallel sign-in attempts (default 45)")
    p.add_argument("--compare", metavar="REV", help="also measure this git revision, first")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "signin_storm.md")
    args = p.parse_args(argv)
    if args.duration <= 0 or args.storm < 1:
        p.error("--duration must be > 0 and --storm ≥ 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with scratch("gallery-storm-") as (tmp, servers):
            load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
            say("seeding 20 statements")
            seeded = seed(tmp / "data", SECRET, use_pillow=True)
            versions = []
            if args.compare:
                short = export_revision(args.compare, tmp / "before")
                versions.append(run_version(
                    f"before ({short})", tmp / "before", args, tmp / "data", tmp, seeded.gallery_slug,
                    seeded.vimeo_ids, servers,
                ))
            versions.append(run_version(
                "this tree", None, args, tmp / "data", tmp, seeded.gallery_slug, seeded.vimeo_ids, servers
            ))
            report = build_report(args, versions, load_before)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted; cleaning up.", file=sys.stderr)
        return 130
    print(report)
    args.out.write_text(report)
    say(f"written to {args.out}")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def say(message: str) -> None:
    print(f"[storm] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
