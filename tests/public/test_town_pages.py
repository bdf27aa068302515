"""What a public body owes its visitors: the accessibility statement and links to the town's pages."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from starlette.testclient import TestClient

from gallery.app import create_app
from gallery.settings import Settings
from tests.htmlparse import Element, parse

IMPRINT = "https://www.ratzeburg.de/impressum"
POLICY = "https://www.ratzeburg.de/datenschutz"


def town_client(settings: Settings, **fields: object) -> TestClient:
    return TestClient(create_app(replace(settings, **fields).checked()), base_url="https://gallery.test")


def footer_links(doc: Element) -> dict[str, Element]:
    footer = doc.find("footer")
    assert footer is not None
    return {a.text: a for a in footer.find_all("a")}


@pytest.mark.parametrize("path", ["/", "/privacy", "/accessibility", "/nope"])
def test_every_footer_links_the_town_pages(settings: Settings, path: str) -> None:
    with town_client(settings, imprint_url=IMPRINT, privacy_policy_url=POLICY, operator_name="Stadt X") as c:
        links = footer_links(parse(c.get(path).text))
    assert links["Impressum"].attrs["href"] == IMPRINT
    policy = next(a for text, a in links.items() if text.startswith("Datenschutzerklärung"))
    assert policy.attrs["href"] == POLICY and "Stadt X" in policy.text
    # inside the town's iframe, the town's own pages open in the whole window, not in the frame
    assert links["Impressum"].attrs["target"] == "_top" and policy.attrs["target"] == "_top"
    assert links["Erklärung zur Barrierefreiheit"].attrs["href"] == "/accessibility"
    assert links["Datenschutzhinweise zu den Videos"].attrs["href"] == "/privacy"


def test_unset_town_pages_are_not_linked(client: TestClient) -> None:
    links = footer_links(parse(client.get("/").text))
    assert set(links) == {"Datenschutzhinweise zu den Videos", "Erklärung zur Barrierefreiheit"}


def test_accessibility_statement(settings: Settings) -> None:
    with town_client(
        settings, accessibility_contact="barrierefreiheit@ratzeburg.de", operator_name="Die Stadt Ratzeburg"
    ) as c:
        r = c.get("/accessibility")
    assert r.status_code == 200
    doc = parse(r.text)
    main = doc.find("main")
    assert main.find("h1").text == "Erklärung zur Barrierefreiheit"
    headings = [h.text for h in main.find_all("h2")]
    for section in (
        "Stand der Vereinbarkeit mit den Anforderungen",
        "Nicht barrierefreie Inhalte",
        "Erstellung dieser Erklärung",
        "Feedback und Kontakt",
        "Durchsetzungsverfahren",
    ):
        assert section in headings, section
    assert headings.index("Feedback und Kontakt") < headings.index("Durchsetzungsverfahren")
    text = main.text
    assert "Die Stadt Ratzeburg ist bemüht" in text
    assert "BITV 2.0" in text and "teilweise vereinbar" in text and "Abschrift" in text
    contact = main.find("a", href="mailto:barrierefreiheit@ratzeburg.de")
    assert contact is not None and contact.text == "barrierefreiheit@ratzeburg.de"


def said(element: Element) -> str:
    """The text as read aloud: the test's reader puts a space after every tag, a browser does not."""
    return re.sub(r" ([.,)])", r"\1", element.text)


def test_the_statement_shows_the_operators_dates_in_each_language(settings: Settings) -> None:
    with town_client(
        settings, accessibility_created=date(2025, 11, 27), accessibility_reviewed=date(2026, 3, 4)
    ) as c:
        german = parse(c.get("/accessibility").text).by_id("dates")
        english = parse(c.get("/accessibility?lang=en").text).by_id("dates")
    assert said(german) == (
        "Diese Erklärung wurde am 27.11.2025 erstellt. Zuletzt überprüft wurde sie am 04.03.2026."
    )
    assert said(english) == (
        "This statement was prepared on 27 November 2025. It was last reviewed on 4 March 2026."
    )
    assert [t.attrs["datetime"] for t in german.find_all("time")] == ["2025-11-27", "2026-03-04"]


def test_without_dates_the_statement_says_so_and_makes_none_up(settings: Settings) -> None:
    with town_client(settings) as c:
        german = parse(c.get("/accessibility").text)
        english = parse(c.get("/accessibility?lang=en").text)
    assert german.by_id("dates").text == (
        "Das Datum, an dem diese Erklärung erstellt wurde, ist noch nicht angegeben. "
        "Das Datum der letzten Überprüfung ist noch nicht angegeben."
    )
    assert "has not been given yet" in english.by_id("dates").text
    for doc in (german, english):
        main = doc.find("main").text
        assert not re.search(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b|\b\d{1,2} [A-Z][a-z]+ \d{4}\b", main), main
        assert doc.find("main").find_all("time") == []
    # Only the day of review missing: the day of creation is shown, the review said to be missing.
    with town_client(settings, accessibility_created=date(2026, 11, 27)) as c:
        dates = said(parse(c.get("/accessibility").text).by_id("dates"))
    assert dates == (
        "Diese Erklärung wurde am 27.11.2026 erstellt. "
        "Das Datum der letzten Überprüfung ist noch nicht angegeben."
    )


def test_contact_may_be_a_web_form_or_falls_back_to_the_imprint(settings: Settings) -> None:
    form = "https://www.ratzeburg.de/barrierefreiheit/feedback"
    with town_client(settings, accessibility_contact=form) as c:
        main = parse(c.get("/accessibility").text).find("main")
    assert main.find("a", href=form) is not None
    with town_client(settings, imprint_url=IMPRINT) as c:
        main = parse(c.get("/accessibility").text).find("main")
    assert main.find("a", href=IMPRINT).text == "Impressum"
    with town_client(settings) as c:
        assert "Impressum der Website" in parse(c.get("/accessibility").text).find("main").text


def test_english_accessibility_statement(settings: Settings) -> None:
    with town_client(settings, accessibility_contact="a11y@stadt.de") as c:
        doc = parse(c.get("/accessibility?lang=en").text)
    assert doc.find("html").attrs["lang"] == "en"
    headings = [h.text for h in doc.find("main").find_all("h2")]
    assert "Compliance status" in headings and "Feedback and contact" in headings
    assert doc.find("h1").text == "Accessibility statement"


def test_operator_replaces_the_statement_without_touching_code(settings: Settings) -> None:
    folder = settings.data_dir / "accessibility" / "de"
    folder.mkdir(parents=True)
    (folder / "statement.html").write_text(
        '<h2 id="stand">Stand der Vereinbarkeit</h2><p>Vollständig geprüft am 01.12.2026 von der Stadt.</p>'
    )
    with town_client(settings) as c:
        german = parse(c.get("/accessibility").text).find("main").text
        english = parse(c.get("/accessibility?lang=en").text).find("main").text
    assert "Vollständig geprüft am 01.12.2026" in german
    assert "teilweise vereinbar" not in german
    assert "Durchsetzungsverfahren" in german  # the part not replaced stays
    assert "partially compliant" in english  # the English default is still there


def test_the_statement_is_reachable_from_every_page_in_both_languages(populated: TestClient) -> None:
    for path in ("/", "/g/videos/v/900000001", "/privacy"):
        for lang, label in (("de", "Erklärung zur Barrierefreiheit"), ("en", "Accessibility statement")):
            links = footer_links(parse(populated.get(f"{path}?lang={lang}").text))
            href = links[label].attrs["href"]
            assert populated.get(href).status_code == 200
