"""Origins (``scheme://host[:port]``) as settings, editors and import files give them: one parser.

Every origin the service is given (settings, the editors' lists of sites, import files, a
``Referer``) goes through :func:`parse_origin`, or :func:`origin_of_url` for a whole URL, so a
malformed one is answered everywhere with the same one sentence, never with whatever ``urllib`` or
``ipaddress`` happen to raise for it.
Stored lists of them reach a CSP ``frame-ancestors`` only through :func:`valid_ancestors`.
"""

from __future__ import annotations

import ipaddress
import re

from .i18n import fill
from .i18n import gettext_noop as N_

SELF, NONE = "'self'", "'none'"
EXAMPLE = "https://www.stadt.de"
# Longer than any real origin: a 253-character name, the scheme and a port.
MAX_LENGTH = 300
MAX_URL_LENGTH = 8192  # a Referer may carry a long query; browsers cut theirs at 4096
SHOWN_LENGTH = 80  # of a refused value, in messages
LABEL_RE = re.compile(r"[a-z0-9-]{1,63}")
# A name whose last label is a number is an IPv4 address to browsers (WHATWG URL, "ends in a number").
NUMERIC_LABEL_RE = re.compile(r"[0-9]+|0x[0-9a-f]*")
IPV6_CHARS = frozenset("0123456789abcdef:.")
# Why a value is refused: a clause that follows the value ("'x' hat einen Pfad"), as message ids.
TOO_LONG = N_("ist zu lang")
SPACES = N_("enthält Leerzeichen oder Steuerzeichen")
NOT_IPV6 = N_("hat eine Adresse in eckigen Klammern, die keine IPv6-Adresse ist")


class OriginError(ValueError):
    """A value that is not an exact origin; ``message`` (``str()``) is one sentence saying what is wrong."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(value, reason)
        self.value = value
        self.reason = reason  # a clause that follows the value: "hat einen Pfad" (a message id)

    @property
    def short(self) -> str:
        """The value, cut short when it is long (for messages)."""
        return self.value if len(self.value) <= SHOWN_LENGTH else self.value[: SHOWN_LENGTH - 1] + "…"

    @property
    def shown(self) -> str:
        """The value as one-line messages quote it: control characters escaped."""
        return repr(self.short)

    @property
    def message(self) -> str:
        """The sentence in German, made with :func:`fill` so that it can be shown in English too."""
        return fill(
            N_("%(value)s ist keine genaue Adresse wie %(example)s: sie %(reason)s."),
            value=self.shown,
            example=EXAMPLE,
            reason=fill(self.reason),
        )

    def __str__(self) -> str:
        return str(self.message)


def parse_origin(value: str) -> str:
    """``scheme://host[:port]`` (a final ``/`` allowed) in lower case; raises :class:`OriginError`."""
    if len(value) > MAX_LENGTH:
        raise OriginError(value, TOO_LONG)
    if any(c.isspace() or not c.isprintable() for c in value):
        raise OriginError(value, SPACES)
    scheme, sep, rest = value.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in {"http", "https"}:
        raise OriginError(value, N_("beginnt nicht mit https:// oder http://"))
    if rest.endswith("/"):
        rest = rest[:-1]
    if "*" in rest:
        raise OriginError(value, N_("hat ein Sternchen (jede Website wird einzeln genannt)"))
    if any(c in rest for c in "/?#\\"):
        raise OriginError(value, N_("hat einen Pfad, eine Abfrage oder einen Anker"))
    if "@" in rest:
        raise OriginError(value, N_("hat einen Benutzernamen"))
    host, port = _split_port(value, rest.lower())
    return f"{scheme}://{_checked_host(value, host)}{port}"


def origin_of_url(url: str) -> str:
    """The checked origin of an absolute http(s) URL; raises :class:`OriginError`."""
    # Checked on the whole URL: urlsplit silently drops tabs and newlines anywhere in it.
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or not c.isprintable() for c in url):
        raise OriginError(url, TOO_LONG if len(url) > MAX_URL_LENGTH else SPACES)
    scheme, sep, rest = url.partition("://")
    # The authority ends where urlsplit ends it, so that both always agree on the host.
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    try:
        return parse_origin(f"{scheme}{sep}{rest[:end]}")
    except OriginError as exc:
        raise OriginError(url, exc.reason) from None


def parse_frame_ancestor(value: str) -> str:
    """One source for CSP ``frame-ancestors``: ``'self'``, ``'none'`` or an exact origin, nothing wider."""
    if value in {SELF, NONE}:
        return value
    return parse_origin(value)


def _split_port(value: str, rest: str) -> tuple[str, str]:
    """``host`` and ``:port`` (or ``""``); an IPv6 literal keeps its brackets."""
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise OriginError(value, N_("hat eine Adresse in eckigen Klammern ohne schließende ]"))
        host, after = rest[: end + 1], rest[end + 1 :]
        if after and not after.startswith(":"):
            raise OriginError(
                value, N_("hat nach der Adresse in eckigen Klammern etwas anderes als einen Port")
            )
    else:
        host, colon, port = rest.partition(":")
        after = colon + port
    if not after:
        return host, ""
    port = after[1:]
    if not (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536):
        raise OriginError(value, N_("hat einen Port, der keine Zahl von 1 bis 65535 ist"))
    return host, after


def _checked_host(value: str, host: str) -> str:
    if host.startswith("["):
        literal = host[1:-1]
        # ipaddress also takes zone ids ("%eth0"); a browser's origin never has one.
        if not literal or not set(literal) <= IPV6_CHARS:
            raise OriginError(value, NOT_IPV6)
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            raise OriginError(value, NOT_IPV6) from None
        return host
    if not host:
        raise OriginError(value, N_("hat keinen Hostnamen"))
    if not host.isascii():
        # Not converted here: Python's "idna" codec is IDNA 2003, which spells ß differently from browsers.
        raise OriginError(
            value, N_("hat Buchstaben außerhalb von a-z (internationale Namen in ihrer xn---Form schreiben)")
        )
    name = host[:-1] if host.endswith(".") else host  # a final dot is the same host, spelled fully
    labels = name.split(".")
    if len(name) > 253 or not all(LABEL_RE.fullmatch(label) for label in labels):
        raise OriginError(
            value, N_("hat einen Hostnamen, der nicht nur aus a-z, 0-9, Bindestrichen und Punkten besteht")
        )
    if NUMERIC_LABEL_RE.fullmatch(labels[-1]):
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            raise OriginError(
                value, N_("hat einen Host, der weder ein Name noch eine IPv4-Adresse ist")
            ) from None
    return host


def valid_ancestors(values: tuple[str, ...]) -> tuple[str, ...]:
    """Only exact origins, 'self' and 'none' reach the CSP header: a stored value is never trusted."""
    good = []
    for value in values:
        try:
            good.append(parse_frame_ancestor(value))
        except OriginError:
            continue
    return tuple(good)


def union_ancestors(lists: list[tuple[str, ...]]) -> tuple[str, ...]:
    """Everyone allowed to embed any gallery; 'none' only if nobody else is."""
    seen: dict[str, None] = {}
    for values in lists:
        for value in values:
            seen.setdefault(value, None)
    if len(seen) > 1:
        seen.pop("'none'", None)
    return tuple(seen) or ("'none'",)
