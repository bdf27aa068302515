"""The 10-second smoke version of bench/load.py: real servers, wrk, the stand-in out of process.

Visitors get no 5xx and no errors with Vimeo healthy or failing, the pages keep every statement,
and Vimeo hears from the service as often with a crowd of visitors as with none.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.load, pytest.mark.slow]


def test_load_smoke(tmp_path: Path) -> None:
    assert shutil.which("wrk"), "wrk is needed (scripts/test installs it: apt-get install wrk)"
    out = tmp_path / "smoke.json"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--smoke", "--json", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            # SIGTERM, not SIGKILL: load.py then stops the servers it started in sessions of
            # their own, which a kill of load.py alone would leave running.
            proc.terminate()
            try:
                proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, stderr[-3000:]
    phases = {p["name"]: p for p in json.loads(out.read_text())}
    crowd, alone, fault = (
        phases["Vimeo healthy"],
        phases["Vimeo healthy, no visitors"],
        phases["fault: 500"],
    )
    for phase in (crowd, fault):
        assert phase["requests"] > 1000, phase  # a real crowd of visitors...
        assert phase["five_xx"] == 0 and phase["other_errors"] == 0, phase  # ...and none saw an error
        assert set(phase["statuses"]) <= {"200", "303"}, phase
    for phase in phases.values():
        assert phase["pages_ok"], phase["problems"]  # every statement, its title, our pictures
    # Vimeo is asked on the refresh clock, not because of visitors: thousands of visitor requests,
    # and no more requests to Vimeo than in the same time without any visitor.
    assert crowd["vimeo_oembed"] >= 1, "the refresher ran during the load"
    assert crowd["vimeo"] <= alone["vimeo"] + 5, (crowd["vimeo"], alone["vimeo"])
    assert crowd["requests"] >= 50 * crowd["vimeo"]
    # Vimeo failing: felt (statuses turn to error, data kept), backed off, and recovered from.
    assert "error" in fault["statuses_after"]
    assert fault["vimeo"] <= alone["vimeo"]
    assert fault["recovered_s"] is not None
