"""PostgreSQL against SQLite in one run: visitors' pages and thumbnails, an editor's save, two instances.

    python bench/engines.py [--duration S] [--rounds N] [--saves N] [--out FILE]

Starts a throwaway PostgreSQL cluster of its own (``tests/postgres.py``: ``initdb`` into a
temporary folder, ``pg_ctl`` on 127.0.0.1 and a free port, as the ``postgres`` user when run as
root), seeds ``bench/run.py``'s 20-statement gallery once into a SQLite data folder and once into
a PostgreSQL database, and measures, one load at a time, with wrk as ``bench/run.py`` does
(servers pinned to the first CPU, wrk to the others):

1. the gallery page and a thumbnail, on ``gallery serve`` with SQLite and with PostgreSQL, in
   ``--rounds`` alternating rounds (the best round of each counts: other work on the machine only
   ever lowers a figure). Goal: PostgreSQL ≥ 0.95 × SQLite, since visitors are answered from the
   page and image caches whichever engine holds the data;
2. an editor's save (``bench/save_latency.py``'s form POST, in this process) on both engines:
   p50 and p99, for a save that replaces no text and one that rewords the quote;
3. two ``gallery serve`` instances on the one PostgreSQL database, each loaded by its own wrk at
   the same time, against one of them alone: the total and its ratio.

A missed goal prints MISSED and still exits 0; only a bench that cannot run exits non-zero.
The whole run takes about three minutes.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import statistics
import sys
import threading
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(1, str(BENCH_DIR.parent))  # tests.postgres: the test suite's throwaway cluster

import run  # noqa: E402  (bench/ is not a package)
import save_latency  # noqa: E402

from tests.postgres import cluster, fresh_database  # noqa: E402

GOAL = 0.95
BROWSER = {"Accept-Encoding": run.BROWSER_ACCEPT_ENCODING}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per engine (default 3)")
    p.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    p.add_argument("--saves", type=int, default=40, help="saves of each kind per engine (default 40)")
    p.add_argument("--out", type=Path, help="also write the report here")
    args = p.parse_args(argv)
    if min(args.duration, args.rounds, args.connections, args.saves) < 1:
        p.error("every number must be at least 1")
    return args


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench: wrk is not installed (Debian/Ubuntu: apt-get install wrk).", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with (
            run.scratch("gallery-engines-") as (tmp, servers), cluster() as server,
            fresh_database(server.url) as pages_db,
            fresh_database(server.url) as saves_db,
        ):
            report, missed = bench(args, wrk, tmp, servers, pages_db, saves_db)
            for s in servers:
                s.stop()
    except run.BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted; cleaning up.", file=sys.stderr)
        return 130
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    print("MISSED: " + "; ".join(missed) if missed else "All goals met.")
    return 0


def bench(
    args: argparse.Namespace, wrk: str, tmp: Path, servers: list[run.Server], pages_db: str, saves_db: str
) -> tuple[str, list[str]]:
    server_cpus, client_cpus, layout = run.cpu_layout(True)
    threads = len(client_cpus) if client_cpus else 1
    logs = tmp / "logs"
    logs.mkdir()
    key = secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update(GALLERY_SECRET_KEYS=key, PYTHONUNBUFFERED="1")

    say("seeding the 20-statement gallery on SQLite and on PostgreSQL")
    seeded = run.seed(tmp / "sqlite", key, use_pillow=True)
    run.seed(tmp / "postgres", key, use_pillow=True, database_url=pages_db)
    command = run.gallery_command()

    def start(name: str, data: str, url: str | None, cpus: set[int] | None) -> run.Server:
        port = run.free_port()
        extra = {"GALLERY_DATA_DIR": str(tmp / data)}
        if url:
            extra["GALLERY_DATABASE_URL"] = url
        return run.start_server(
            name,
            [*command, "serve", "--port", str(port)],
            {**env, **extra},
            port,
            "/healthz",
            logs,
            cpus,
            servers,
        )

    by_engine = {
        "SQLite": start("sqlite", "sqlite", None, server_cpus),
        "PostgreSQL": start("postgres", "postgres", pages_db, server_cpus),
    }
    routes = {"gallery page": "/", "thumbnail": f"/thumbs/{seeded.thumbnail_name}"}
    for engine, s in by_engine.items():
        for label, path in routes.items():
            got = run.fetch(s.port, path, BROWSER)
            if got.status != 200:
                raise run.BenchError(f"{label} on {engine} answered {got.status}")

    best: dict[tuple[str, str], run.WrkResult] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    errors = 0
    for n in range(args.rounds):
        for label, path in routes.items():
            # Each engine right after the other, the order swapped every round: other work on the
            # machine comes and goes, and should fall on both alike.
            order = list(by_engine.items()) if n % 2 == 0 else list(reversed(by_engine.items()))
            for engine, s in order:
                url = s.base + path
                run.run_wrk(wrk, url, BROWSER, 1, args.connections, threads, client_cpus)  # warm-up
                result = run.run_wrk(
                    wrk, url, BROWSER, args.duration, args.connections, threads, client_cpus, s
                )
                errors += result.errors
                cpu.setdefault((engine, label), []).append(result.server_us_per_request)
                p99 = run.fmt_ms(result.p99_ms)
                say(f"round {n + 1}: {engine} {label}: {result.rps:,.0f} req/s, p99 {p99}")
                if (engine, label) not in best or result.rps > best[engine, label].rps:
                    best[engine, label] = result

    say("two instances on the one PostgreSQL database")
    second = start("postgres-2", "postgres", pages_db, client_cpus)
    first = by_engine["PostgreSQL"]
    alone = run.run_wrk(wrk, first.base + "/", BROWSER, args.duration, args.connections, 1, None, first)
    both: list[run.WrkResult] = []

    def load(s: run.Server) -> None:
        both.append(run.run_wrk(wrk, s.base + "/", BROWSER, args.duration, args.connections, 1, None, s))

    loaders = [threading.Thread(target=load, args=(s,)) for s in (first, second)]
    for t in loaders:
        t.start()
    for t in loaders:
        t.join()
    errors += alone.errors + sum(r.errors for r in both)
    for s in servers:
        s.stop()

    say("an editor's save on both engines")
    saves = {
        "SQLite": save_latency.measure(20, 1_500, args.saves),
        "PostgreSQL": save_latency.measure(20, 1_500, args.saves, saves_db),
    }
    return report(args, layout, best, cpu, alone, both, saves, errors)


def report(
    args: argparse.Namespace,
    layout: str,
    best: dict[tuple[str, str], run.WrkResult],
    cpu: dict[tuple[str, str], list[float]],
    alone: run.WrkResult,
    both: list[run.WrkResult],
    saves: dict[str, save_latency.Timing],
    errors: int,
) -> tuple[str, list[str]]:
    missed: list[str] = []
    lines = [
        f"PostgreSQL against SQLite · wrk {args.connections} connections, {args.duration} s per run, best of "
        f"{args.rounds} alternating rounds · {layout} · nproc {os.cpu_count()} · "
        f"load average before: {os.getloadavg()[0]:.1f}",
        "",
        "| route | SQLite req/s | PostgreSQL req/s | PostgreSQL / SQLite | (CPU) "
        "| p99 SQLite | p99 PostgreSQL |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in ("gallery page", "thumbnail"):
        lite, pg = best["SQLite", label], best["PostgreSQL", label]
        ratio = pg.rps / lite.rps if lite.rps else 0.0
        # Server CPU per request, SQLite's over PostgreSQL's (medians): hardly moved by other load.
        pg_cpu = statistics.median(cpu["PostgreSQL", label])
        cpu_ratio = statistics.median(cpu["SQLite", label]) / pg_cpu if pg_cpu else 0.0
        if ratio < GOAL:
            missed.append(f"{label}: PostgreSQL {ratio:.2f} × SQLite (goal ≥ {GOAL})")
        lines.append(
            f"| {label} | {lite.rps:,.0f} | {pg.rps:,.0f} | {ratio:.2f} | ({cpu_ratio:.2f}) "
            f"| {run.fmt_ms(lite.p99_ms)} | {run.fmt_ms(pg.p99_ms)} |"
        )
    lines += [
        "",
        "| an editor's save (20 statements) | SQLite p50 | SQLite p99 | PostgreSQL p50 | PostgreSQL p99 |",
        "|---|---|---|---|---|",
    ]
    for kind, label in (("baseline", "no text replaced"), ("replace", "the quote reworded")):
        cells = []
        for engine in ("SQLite", "PostgreSQL"):
            values = getattr(saves[engine], kind)
            cells += [f"{statistics.median(values) * 1000:.1f} ms", f"{percentile(values, 99) * 1000:.1f} ms"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    total = sum(r.rps for r in both)
    lines += [
        "",
        "| two instances on one PostgreSQL, gallery page | req/s |",
        "|---|---|",
        f"| one instance alone | {alone.rps:,.0f} |",
        *(f"| instance {n + 1}, both loaded at once | {r.rps:,.0f} |" for n, r in enumerate(both)),
        f"| both together | {total:,.0f} ({total / alone.rps:.2f} × one alone) |",
        "",
        f"Errors (non-2xx/3xx and socket errors) in all runs: {errors}.",
    ]
    if errors:
        missed.append(f"{errors} errors")
    return "\n".join(lines) + "\n", missed


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
