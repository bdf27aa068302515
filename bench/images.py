"""Bytes of the smaller picture copies, on photo-like stills as Vimeo hands them out (1280×720).

    .venv/bin/python bench/images.py [--count 20]

Makes the copies of ``count`` generated stills (tests/photos.py) exactly as the service does when
it stores a thumbnail (gallery.content.variants.derive) and prints, per width and format, the
median and largest size, with the still itself as the baseline. What a phone then loads for the
first screen is measured in a real Chromium by tests/browser/test_images.py (``pytest -s`` prints it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.photos: the test suite's stills

from gallery.content.variants import derive
from tests.photos import photo_jpeg


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20, help="stills to make (default 20)")
    args = parser.parse_args()
    originals: list[int] = []
    sizes: dict[tuple[str, int], list[int]] = {}
    for seed in range(1000, 1000 + args.count):
        still = photo_jpeg(seed)
        originals.append(len(still))
        for image, kind, width, _ in derive(still):
            sizes.setdefault((kind, width), []).append(len(image.data))
    base = statistics.median(originals)
    print(f"{args.count} photo-like stills, 1280×720 JPEG: median {base / 1000:.1f} kB (baseline)")
    print("| copy | median | largest | median / still |")
    print("|---|---|---|---|")
    for (kind, width), found in sorted(sizes.items(), key=lambda item: (item[0][1], item[0][0])):
        median = statistics.median(found)
        largest = max(found)
        row = f"| {width} px {kind.upper()} | {median / 1000:.1f} kB | {largest / 1000:.1f} kB"
        print(f"{row} | {median / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
