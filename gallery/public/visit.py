"""What a page request asks for besides its path: language, consent, the check after "always".

Pages are cached by exactly these few values, so reading them must stay cheap: a request
without a query string never parses one.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from starlette.requests import cookie_parser
from starlette.types import Scope

from ..i18n import DEFAULT_LANGUAGE, LANG_PARAM, known_language
from .consent import COOKIE_NAME, ConsentSigner

COOKIE_NAME_BYTES = COOKIE_NAME.encode()
# After "always" and after withdrawal, the redirect carries a signed marker so that the next
# page can say what happened: whether the browser kept the cookie (inside another site's
# iframe it may not), or that the choice is withdrawn.
CHECK_PARAM = "remembered"
REVOKED_PARAM = "revoked"
SAVED, REFUSED, REVOKED = "saved", "refused", "revoked"


@dataclass(frozen=True, slots=True)
class Visit:
    lang: str | None  # asked for with ?lang= (None: the gallery's own language)
    remembered: bool  # a valid consent cookie came along
    note: str | None = None  # SAVED or REFUSED right after "always", else None

    def language(self, gallery_lang: str | None = None) -> str:
        return self.lang or known_language(gallery_lang) or DEFAULT_LANGUAGE

    def shared(self) -> bool:
        """True if the page is the one every visitor in the same language and consent state gets:
        no note about what this visitor just did."""
        return self.note is None

    def lang_query(self, lang: str) -> str:
        """``lang=xx`` for links, when the language is not what a link without it would give."""
        return f"{LANG_PARAM}={lang}" if self.lang or lang != DEFAULT_LANGUAGE else ""


def consent_cookie(scope: Scope) -> str | None:
    """The consent cookie's value, looked for only when the Cookie header can hold it."""
    for name, value in scope["headers"]:
        if name == b"cookie" and COOKIE_NAME_BYTES in value:
            return cookie_parser(value.decode("latin-1")).get(COOKIE_NAME)
    return None


def read_visit(scope: Scope, signer: ConsentSigner) -> Visit:
    remembered = signer.is_valid(consent_cookie(scope))
    query = scope.get("query_string", b"")
    if not query:
        return Visit(None, remembered)
    try:
        params = dict(parse_qsl(query.decode("latin-1"), max_num_fields=20))
    except ValueError:  # an absurd query string: treat the request as if it had none
        return Visit(None, remembered)
    note = None
    if signer.check_is_valid(params.get(CHECK_PARAM), CHECK_PARAM):
        note = SAVED if remembered else REFUSED
    elif not remembered and signer.check_is_valid(params.get(REVOKED_PARAM), REVOKED_PARAM):
        note = REVOKED
    return Visit(known_language(params.get(LANG_PARAM)), remembered, note)


def add_query(path: str, name: str, value: str) -> str:
    """A local path with one more query parameter (the fragment stays last)."""
    parts = urlsplit(path)
    query = f"{parts.query}&{name}={value}" if parts.query else f"{name}={value}"
    return urlunsplit(("", "", parts.path, query, parts.fragment))
