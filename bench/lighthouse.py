"""Lighthouse (mobile) on the gallery page and a statement page of a seeded service.

    npm i -E --prefix /tmp/lh lighthouse@12.2.3      # once; Node 20
    python bench/lighthouse.py --lighthouse /tmp/lh/node_modules/.bin/lighthouse [--out FILE]

Seeds ``run.py``'s 20-statement gallery (photograph-like thumbnails: gradients, shapes and grain
made with Pillow, the same every run), starts ``gallery serve`` as production does, and runs
Lighthouse's default (mobile) configuration against both pages with the system's Chromium
(``CHROME_PATH``, default /usr/bin/chromium), ``--runs`` times each (Lighthouse's own advice: one
run varies, report the median). Prints the four category scores of the median run and every
audit that lost points, and writes them to ``--out``. Not a test: scores depend on the machine
(performance most of all, which Lighthouse measures under simulated slow 4G and a slow CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run  # noqa: E402 - the seeding and process helpers of the load benchmark

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = (("FCP", "first-contentful-paint"), ("LCP", "largest-contentful-paint"),
           ("TBT", "total-blocking-time"), ("CLS", "cumulative-layout-shift"), ("SI", "speed-index"))
GOALS = {"performance": 98, "accessibility": 100, "best-practices": 100, "seo": 100}
# Root runs Chromium only without its sandbox; headless as on a build machine.
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"


def lighthouse(binary: str, url: str, chrome: str, out_json: Path) -> dict[str, object]:
    command = [
        binary, url, "--quiet", "--output=json", f"--output-path={out_json}",
        f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}",
    ]
    done = subprocess.run(
        command, env={**os.environ, "CHROME_PATH": chrome}, capture_output=True, text=True,
        timeout=300, check=False,
    )
    if done.returncode != 0 or not out_json.exists():
        raise run.BenchError(f"lighthouse failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    report: dict[str, object] = json.loads(out_json.read_text(encoding="utf-8"))
    return report


def performance(report: dict[str, object]) -> float:
    score = report["categories"]["performance"]["score"]  # type: ignore[index]
    return float(score) if isinstance(score, (int, float)) else 0.0


def summary(name: str, report: dict[str, object]) -> tuple[list[str], list[str]]:
    """Table cells for the page's scores, and the audits that lost points."""
    categories: dict[str, dict[str, object]] = report["categories"]  # type: ignore[assignment]
    audits: dict[str, dict[str, object]] = report["audits"]  # type: ignore[assignment]
    cells = [name]
    lost = []
    for key in CATEGORIES:
        score = categories[key]["score"]
        value = round(float(score) * 100) if isinstance(score, (int, float)) else 0
        cells.append(f"{value}{'' if value >= GOALS[key] else ' (goal ' + str(GOALS[key]) + ')'}")
        for ref in categories[key]["auditRefs"]:  # type: ignore[attr-defined]
            audit = audits[ref["id"]]
            if ref["weight"] and audit.get("score") is not None and float(audit["score"]) < 1:  # type: ignore[arg-type]
                shown = audit.get("displayValue") or ""
                lost.append(f"{name} · {key} · {audit['id']}: {audit['title']} {shown}".strip())
    cells.append(", ".join(f"{short} {audits[key].get('displayValue', '')}" for short, key in METRICS))
    return cells, lost


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Lighthouse (mobile) on a seeded gallery.")
    p.add_argument("--lighthouse", default=os.environ.get("LIGHTHOUSE", "lighthouse"),
                   help="the lighthouse command (npm i -E lighthouse@12.2.3)")
    p.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    p.add_argument("--out", type=Path, default=None, help="also write the report here")
    p.add_argument("--json-dir", type=Path, default=None, help="keep Lighthouse's JSON reports here")
    p.add_argument("--runs", type=int, default=5,
                   help="runs per page; the run with the median performance score is reported (default 5)")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    binary = shutil.which(args.lighthouse)
    if binary is None:
        print(f"bench: {args.lighthouse} not found; install it with npm i -E lighthouse@12.2.3",
              file=sys.stderr)
        return 2
    return run.run_bench(
        "gallery-lighthouse-", lambda tmp, servers: measure(args, tmp, servers, binary), args.out
    )


def measure(args: argparse.Namespace, tmp: Path, servers: list[run.Server], binary: str) -> str:
    """Seeds, serves and audits each page; the report's text."""
    data_dir, logs = tmp / "data", tmp / "logs"
    logs.mkdir(parents=True)
    key = secrets.token_urlsafe(32)
    seeded = run.seed(data_dir, key, use_pillow=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALLERY_")}
    env.update(GALLERY_DATA_DIR=str(data_dir), GALLERY_SECRET_KEYS=key, PYTHONUNBUFFERED="1")
    port = run.free_port()
    service = run.start_server("service", [*run.gallery_command(), "serve", "--port", str(port)],
                               env, port, "/healthz", logs, None, servers)
    pages = {
        "gallery `/`": "/",
        "statement `/g/<slug>/v/<id>`": f"/g/{seeded.gallery_slug}/v/{seeded.vimeo_ids[0]}",
    }
    rows, lost = [], []
    for name, path in pages.items():
        run.say(f"lighthouse {service.base}{path}")
        reports = []
        for n in range(args.runs):
            out_json = (args.json_dir or tmp) / f"lighthouse-{len(rows) + 1}-{n + 1}.json"
            out_json.parent.mkdir(parents=True, exist_ok=True)
            reports.append(lighthouse(binary, service.base + path, args.chrome, out_json))
        scores = sorted(reports, key=performance)
        run.say(f"  performance {', '.join(str(round(performance(r) * 100)) for r in reports)}")
        cells, missed = summary(name, scores[len(scores) // 2])
        rows.append(cells)
        lost += missed
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    chrome = subprocess.run([args.chrome, "--version"], capture_output=True, text=True, check=False)
    text = (
        f"Lighthouse {version.stdout.strip()} (mobile, default throttling), the median of "
        f"{args.runs} run{'s' if args.runs != 1 else ''} per page by performance · "
        f"{chrome.stdout.strip()} · thumbnails: {seeded.thumbnail_source}\n\n"
        + run.table(["page", *CATEGORIES, "metrics"], rows)
        + ("\nPoints lost:\n\n" + "\n".join(f"- {x}" for x in lost) + "\n" if lost else
           "\nNo audit lost points.\n")
    )
    return text


if __name__ == "__main__":
    sys.exit(main())
