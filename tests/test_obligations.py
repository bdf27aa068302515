"""What a public body must publish: `gallery serve` and the editors' overview say what is missing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.settings import Settings
from tests.admin_helpers import AdminActions, create_editor
from tests.cli.test_demo import running
from tests.htmlparse import Element, parse
from tests.processes import clean_env, free_port

VARIABLES = [
    "GALLERY_IMPRINT_URL",
    "GALLERY_PRIVACY_POLICY_URL",
    "GALLERY_ACCESSIBILITY_CREATED",
    "GALLERY_ACCESSIBILITY_REVIEWED",
]
ALL_SET = {
    "imprint_url": "https://www.ratzeburg.de/impressum",
    "privacy_policy_url": "https://www.ratzeburg.de/datenschutz",
    "accessibility_created": date(2026, 11, 27),
    "accessibility_reviewed": date(2026, 12, 1),
}
MISSING = {"role": "alert", "aria-labelledby": "missing-title"}


def warnings_of(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if " is not set: " in line]


@pytest.mark.slow
def test_serve_warns_once_per_missing_item_naming_the_variable(tmp_path: Path) -> None:
    env = clean_env(GALLERY_DATA_DIR=str(tmp_path / "data"), GALLERY_SECRET_KEYS="serve-test-key-0123456789")
    log = tmp_path / "serve.log"
    port = free_port()
    with running(["serve", "--port", str(port)], env, port, log):
        pass
    lines = warnings_of(log)
    assert [line.split(" is not set: ")[0].split()[-1] for line in lines] == VARIABLES
    assert all(line.startswith("WARNING ") and "Set it to" in line for line in lines), lines
    assert "YYYY-MM-DD" in lines[2] and "imprint" in lines[0]

    # Two set, two missing: only those two are named.
    log = tmp_path / "serve-2.log"
    env.update(
        GALLERY_IMPRINT_URL="https://www.ratzeburg.de/impressum", GALLERY_ACCESSIBILITY_CREATED="2026-11-27"
    )
    port = free_port()
    with running(["serve", "--port", str(port)], env, port, log):
        pass
    named = [line.split(" is not set: ")[0].split()[-1] for line in warnings_of(log)]
    assert named == ["GALLERY_PRIVACY_POLICY_URL", "GALLERY_ACCESSIBILITY_REVIEWED"]


@contextmanager
def signed_in(settings: Settings) -> Iterator[TestClient]:
    app: Starlette = create_app(settings)
    create_editor(settings)
    with TestClient(app, base_url="https://gallery.test") as client:
        assert AdminActions(client).login().status_code == 303
        yield client


def overview(client: TestClient, lang: str = "de") -> Element:
    r = client.get("/admin/" + ("?lang=en" if lang == "en" else ""))
    assert r.status_code == 200
    return parse(r.text)


def test_the_overview_tells_editors_what_is_missing_and_who_sets_it(settings: Settings) -> None:
    with signed_in(replace(settings, imprint_url=ALL_SET["imprint_url"]).checked()) as client:
        alert = overview(client).find("section", **MISSING)
        assert alert is not None
        assert alert.find("h2").text == "Pflichtangaben für die öffentlichen Seiten fehlen"
        items = [li.text.replace(" )", ")") for li in alert.find_all("li")]  # the reader spaces tags
        assert items == [
            "Link zur Datenschutzerklärung der Stadt (Einstellung GALLERY_PRIVACY_POLICY_URL)",
            "Datum, an dem die Erklärung zur Barrierefreiheit erstellt wurde "
            "(Einstellung GALLERY_ACCESSIBILITY_CREATED)",
            "Datum, an dem die Erklärung zur Barrierefreiheit zuletzt überprüft wurde "
            "(Einstellung GALLERY_ACCESSIBILITY_REVIEWED)",
        ]
        assert "trägt die IT beim Betrieb des Dienstes ein, nicht die Redaktion" in alert.text
        english = overview(client, "en").find("section", **MISSING)
        assert english.find("h2").text == "Required information for the public pages is missing"
        assert "Link to the town's privacy policy (setting GALLERY_PRIVACY_POLICY_URL )" in english.text
        assert "IT staff" in english.text


def test_no_alert_once_everything_is_set(settings: Settings) -> None:
    with signed_in(replace(settings, **ALL_SET).checked()) as client:
        doc = overview(client)
    assert doc.find("section", **MISSING) is None
    assert "GALLERY_" not in doc.text
