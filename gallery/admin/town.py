"""The town's own page in the editors' area: its legal links, names and dates, its notice and statement."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..content import audit
from ..content.towns import edit_town
from ..content.towntexts import EDITABLE, TownError, check_text, html_to_text, text_to_html
from ..content.townvalues import check_town_values
from ..i18n import LANGUAGES
from ..i18n import gettext_noop as N_
from ..web.checks import body_limit
from .base import TEXT_FORM, Admin, Session

# The town's texts as form fields: (field, kind, language, name).
TEXTS = tuple(
    (f"{kind}_{name}_{lang}", kind, lang, name)
    for kind, name in (("notice", "short"), ("notice", "full"), ("accessibility", "statement"))
    for lang in LANGUAGES
)
LABELS = {
    "operator_name": N_("Betreiber in den Rechtstexten"),
    "imprint_url": N_("Adresse des Impressums"),
    "privacy_policy_url": N_("Adresse der Datenschutzerklärung"),
    "accessibility_contact": N_("Kontakt für Rückmeldungen zur Barrierefreiheit"),
    "accessibility_created": N_("Erklärung zur Barrierefreiheit erstellt am (JJJJ-MM-TT)"),
    "accessibility_reviewed": N_("Erklärung zuletzt überprüft am (JJJJ-MM-TT)"),
    "notice_short_de": N_("Kurzer Hinweis zu Vimeo (Deutsch)"),
    "notice_short_en": N_("Kurzer Hinweis zu Vimeo (Englisch)"),
    "notice_full_de": N_("Datenschutzhinweise zu den Videos (Deutsch)"),
    "notice_full_en": N_("Datenschutzhinweise zu den Videos (Englisch)"),
    "accessibility_statement_de": N_("Erklärung zur Barrierefreiheit (Deutsch)"),
    "accessibility_statement_en": N_("Erklärung zur Barrierefreiheit (Englisch)"),
}
TOWN_BODY = 400_000


class TownPage:
    """``/admin/town``: what a town publishes about itself, edited by its own editors."""

    def __init__(self, admin: Admin) -> None:
        self.a = admin

    def routes(self) -> list[BaseRoute]:
        p = self.a.protect
        return [
            Route("/town", p(self.form), methods=["GET"], name="town"),
            Route("/town", p(self.save, TEXT_FORM), methods=["POST"], middleware=body_limit(TOWN_BODY)),
        ]

    def current(self) -> dict[str, str]:
        """The values the form shows: the town's own, else what its pages use now."""
        storage = self.a.s.storage
        town = storage.town(storage.town_id)
        assert town is not None
        own = storage.town_texts(town.id)
        values = {name: str(getattr(town, name)) for name in EDITABLE}
        for field, kind, lang, name in TEXTS:
            values[field] = html_to_text(self.a.s.operator_text(kind, lang, name, own))
        return values

    def show(self, request: Request, session: Session, values: dict[str, str], **more: Any) -> Response:
        labels = {k: self.a.t(session.lang, v) for k, v in LABELS.items()}
        return self.a.page(
            request,
            "admin/town.html",
            session,
            values=values,
            town_labels=labels,
            fields=EDITABLE,
            texts=[field for field, *_ in TEXTS],
            town=self.a.s.town,
            errors=more.pop("errors", {}),
            nav="town",
            **more,
        )

    async def form(self, request: Request, session: Session) -> Response:
        return self.show(request, session, await to_thread.run_sync(self.current))

    async def save(self, request: Request, session: Session) -> Response:
        form = await request.form()
        raw = {k: str(form.get(k) or "") for k in (*EDITABLE, *(field for field, *_ in TEXTS))}
        before = await to_thread.run_sync(self.current)
        errors: dict[str, str] = {}
        values: dict[str, str] = {}
        for name in EDITABLE:
            try:
                check_town_values({name: raw[name]})
            except TownError as exc:
                errors[name] = self.a.t(session.lang, exc.message)
            values[name] = raw[name]
        texts = {}
        for field, kind, lang, name in TEXTS:
            given = raw[field].replace("\r\n", "\n").strip()
            if given == before[field]:
                continue  # unchanged: the text in use stays as it is (and so does the notice's version)
            try:
                texts[(kind, lang, name)] = check_text(kind, name, lang, text_to_html(given))
            except TownError as exc:
                errors[field] = self.a.t(session.lang, exc.message)
        if errors:
            return self.show(request, session, raw, status=400, errors=errors)

        def work() -> None:
            storage = self.a.s.storage
            town = storage.town(storage.town_id)
            assert town is not None
            changed = {k: v for k, v in values.items() if v != before[k]}
            if changed or texts:
                edit_town(storage, self.a.s.settings, town, changed, texts)
                with storage.transaction() as tx:
                    fields = tuple(
                        sorted({*changed, *(f"{kind}/{lang}/{name}" for kind, lang, name in texts)})
                    )
                    audit.record(tx, session.editor.name, "town.edit", fields=fields)

        await to_thread.run_sync(work)
        return self.a.done("admin:town", "town-saved")
