"""What erasing replaced texts costs an editor's save, against a save that replaces no text.

    python bench/save_latency.py [--saves N] [--out FILE]

For each gallery size it seeds a throw-away data dir through the project's own code, signs an
editor in (the real app, in this process, through Starlette's TestClient) and times the save
POST of the edit form, alternating two kinds:

* baseline: only the caption language changes. No stored text is replaced, so nothing is
  erased: the cost every save had before old wordings were erased.
* replace: the quote gets a new wording. The old one must leave the disk: the file is rebuilt
  (``VACUUM``) and the write-ahead log emptied, inside the request.

It prints the medians, the 90th percentiles and their ratio (replace / baseline) per size.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from starlette.testclient import TestClient

SIZES = ((20, 1_500), (300, 10_000))  # statements, transcript characters
WORDS = (
    "Nachbarschaft",
    "Verein",
    "Schule",
    "Rathaus",
    "zuhören",
    "gemeinsam",
    "Vielfalt",
    "Respekt",
    "Alltag",
    "Sprache",
    "Begegnung",
    "Zukunft",
)
CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@dataclass
class Timing:
    statements: int
    transcript_chars: int
    database_bytes: int
    baseline: list[float]
    replace: list[float]


def text(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    while sum(len(w) + 1 for w in out) < chars:
        out.append(rng.choice(WORDS))
    return " ".join(out)


def seed(data_dir: Path, count: int, transcript_chars: int, database_url: str | None = None) -> None:
    from gallery.admin import accounts, passwords
    from gallery.models import FetchStatus, Video
    from gallery.settings import Secret, Settings
    from gallery.storage.engine import utcnow
    from gallery.storage.store import Storage

    rng = random.Random(count)
    storage = Storage.from_settings(
        Settings(
            data_dir=data_dir,
            secret_keys=(Secret("bench-key-0123456789abcdef"),),
            database_url=Secret(database_url) if database_url else None,
        )
    )
    storage.migrate()
    now = utcnow()
    with storage.transaction() as tx:
        gallery = tx.default_gallery()
        for n in range(count):
            vimeo_id = 800_000_001 + n
            video = Video(
                vimeo_id=vimeo_id,
                unlisted_hash=None,
                title=f"Statement {n + 1}",
                author_name="Stadt (Beispiel)",
                duration=90,
                width=1920,
                height=1080,
                upload_date=now,
                thumbnail_url=None,
                thumbnail=None,
                fetch_status=FetchStatus.OK,
                fetch_message="",
                fetched_at=now,
                good_at=now,
            )
            tx.save_video(video)
            tx.add_statement(
                gallery.id,
                vimeo_id,
                published=True,
                speaker_name=f"Person {n + 1}",
                speaker_role=text(rng, 30),
                quote=text(rng, 150),
                transcript=text(rng, transcript_chars),
                alt_text=text(rng, 60),
            )
        # Cheap hash parameters: signing in is not what is measured.
        accounts.add_editor(tx, "bench", passwords.hash_password("bench-passwort-lang", n=2**10, r=8, p=1))
    storage.close()


def measure(count: int, transcript_chars: int, saves: int, database_url: str | None = None) -> Timing:
    """Time ``saves`` saves of each kind; on SQLite in a temporary folder, or in ``database_url``
    (an empty PostgreSQL database)."""
    from gallery.app import create_app
    from gallery.settings import Secret, Settings

    with tempfile.TemporaryDirectory(prefix="gallery-save-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        seed(data_dir, count, transcript_chars, database_url)
        settings = Settings(
            data_dir=data_dir,
            secret_keys=(Secret("bench-key-0123456789abcdef"),),
            allowed_hosts=("gallery.test",),
            database_url=Secret(database_url) if database_url else None,
        ).checked()
        headers = {"sec-fetch-site": "same-origin"}
        with TestClient(create_app(settings), base_url="https://gallery.test") as client:
            signin = {"username": "bench", "password": "bench-passwort-lang"}
            assert client.post("/admin/login", data=signin, headers=headers).status_code == 200
            page = client.get("/admin/s/1").text
            match = CSRF_RE.search(page)
            assert match, "signed in: the edit page carries the CSRF token"
            rng = random.Random(7)
            form = {
                "csrf_token": match.group(1),
                "title_override": "",
                "speaker_name": "Person 1",
                "speaker_role": text(rng, 30),
                "quote": text(rng, 150),
                "transcript": text(rng, transcript_chars),
                "alt_text": text(rng, 60),
                "caption_lang": "de",
            }
            client.post("/admin/s/1", data={**form, "revision": "0"}, headers=headers)  # warm-up
            revision = 1
            timings: dict[str, list[float]] = {"baseline": [], "replace": []}
            for n in range(2 * saves):
                kind = "baseline" if n % 2 == 0 else "replace"
                if kind == "baseline":
                    form["caption_lang"] = "en" if form["caption_lang"] == "de" else "de"
                else:
                    form["quote"] = text(rng, 150)
                started = time.perf_counter()
                data = {**form, "revision": str(revision)}
                r = client.post("/admin/s/1", data=data, headers=headers, follow_redirects=False)
                timings[kind].append(time.perf_counter() - started)
                if r.status_code != 303 or not r.headers["location"].endswith("done=saved"):
                    raise SystemExit(f"save {n} answered {r.status_code} {r.headers.get('location')}")
                revision += 1
        size = sum(p.stat().st_size for p in data_dir.glob("gallery.sqlite3*"))
    return Timing(count, transcript_chars, size, timings["baseline"], timings["replace"])


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def report(results: list[Timing], saves: int) -> str:
    lines = [
        f"Editor's save (POST /admin/s/1, in-process TestClient), {saves} saves of each kind per size, "
        f"alternating · Python {sys.version.split()[0]} · nproc {os.cpu_count()}",
        "",
        "| gallery | database | baseline median (p90) | replace median (p90) | ratio (median) |",
        "|---|---|---|---|---|",
    ]
    for t in results:
        base, repl = statistics.median(t.baseline), statistics.median(t.replace)
        lines.append(
            f"| {t.statements} statements, {t.transcript_chars:,}-character transcripts "
            f"| {t.database_bytes / 1e6:.1f} MB "
            f"| {base * 1000:.1f} ms ({p90(t.baseline) * 1000:.1f} ms) "
            f"| {repl * 1000:.1f} ms ({p90(t.replace) * 1000:.1f} ms) "
            f"| {repl / base:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=40, help="saves of each kind per gallery size")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    results = [measure(count, chars, args.saves) for count, chars in SIZES]
    text_out = report(results, args.saves)
    print(text_out)
    if args.out:
        args.out.write_text(text_out, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
