"""What editors see when Vimeo fails: per statement, on the gallery page, and as an alert."""

from __future__ import annotations

from datetime import datetime

from gallery.cli.demo.samples import sample_videos
from gallery.settings import Settings
from gallery.vimeo.standin import Fault, StandIn
from tests.admin_helpers import AdminActions, statement_id
from tests.htmlparse import parse

FIRST, SECOND = 900000001, 900000002


def refresh_in_background(editor: AdminActions, *vimeo_ids: int) -> None:
    """As the background refresher does it: through the curator, not through the admin area."""
    curator = editor.client.app_state["runtime"].curator
    for vimeo_id in vimeo_ids:
        editor.client.portal.call(curator.refresh, vimeo_id)  # type: ignore[union-attr]


def today() -> str:
    return datetime.now().strftime("%d.%m.%Y")


def test_a_failed_refresh_says_what_failed_and_how_old_the_data_is(
    editor: AdminActions, standin: StandIn, curated_settings: Settings
) -> None:
    sid = statement_id(curated_settings, FIRST)
    standin.fault = Fault.RATE_LIMITED
    page = parse(editor.post(f"/admin/s/{sid}/refresh").text)
    hints = [li.text for li in page.with_class("hint-warning")]
    expected = (
        f"Letzte Aktualisierung von Vimeo fehlgeschlagen ({today()}): Vimeo bittet, es später erneut "
        f"zu versuchen (zu viele Anfragen). Besucher sehen weiter die Angaben vom {today()}."
    )
    assert any(h.startswith(expected) for h in hints), hints
    # ... while visitors still get the statement.
    assert editor.client.get(f"/g/videos/v/{FIRST}").status_code == 200


TROUBLE = {"role": "alert", "aria-labelledby": "trouble-title"}  # the overview's alert about Vimeo


def test_the_gallery_page_and_the_overview_alert_editors(
    editor: AdminActions, standin: StandIn, curated_settings: Settings
) -> None:
    overview = parse(editor.client.get("/admin/").text)
    assert overview.find("section", **TROUBLE) is None  # nothing to report yet
    standin.videos.pop(FIRST)  # gone from Vimeo: hidden from visitors
    standin.fault = Fault.CAPTCHA
    refresh_in_background(editor, SECOND)  # Vimeo blocks the server: kept, but failing
    standin.fault = Fault.NONE
    refresh_in_background(editor, FIRST)

    alert = parse(editor.client.get("/admin/").text).find("section", **TROUBLE)
    assert alert is not None
    assert "Vimeo meldet Probleme bei 2 Statements" in alert.find("h2").text
    items = {li.find("a").attrs["href"]: li.text for li in alert.find_all("li")}
    gone = items[f"/admin/s/{statement_id(curated_settings, FIRST)}"]
    blocked = items[f"/admin/s/{statement_id(curated_settings, SECOND)}"]
    assert "Für Besucher ausgeblendet: Nicht gefunden" in gone
    assert "Letzte Aktualisierung fehlgeschlagen: Vimeo blockiert Anfragen dieses Servers" in blocked
    assert f"Angezeigt werden die Angaben vom {today()}." in blocked

    gallery = parse(editor.client.get("/admin/g/videos").text)
    notes = [p.text for p in gallery.with_class("hint-warning")]
    assert any(n.startswith("Für Besucher ausgeblendet") for n in notes)
    assert any(n.startswith("Letzte Aktualisierung fehlgeschlagen") for n in notes)
    assert editor.client.get(f"/g/videos/v/{FIRST}").status_code == 404
    assert editor.client.get(f"/g/videos/v/{SECOND}").status_code == 200

    # Vimeo answers again: the alert goes away by itself.
    standin.add(next(v for v, _ in sample_videos() if v.vimeo_id == FIRST))
    refresh_in_background(editor, FIRST, SECOND)
    assert parse(editor.client.get("/admin/").text).find("section", **TROUBLE) is None
    gallery = parse(editor.client.get("/admin/g/videos").text)
    assert not [p for p in gallery.find("ol").with_class("hint-warning")]
    assert editor.client.get(f"/g/videos/v/{FIRST}").status_code == 200
