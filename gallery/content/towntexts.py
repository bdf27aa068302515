"""A town's texts as its editors write them: plain text, shown as escaped HTML paragraphs and headings."""

from __future__ import annotations

import html
import re

from ..errors import UserError
from ..i18n import LANGUAGES, fill
from ..i18n import gettext_noop as N_

# The texts a town may have of its own: (kind, name) as the notice and statement files are named.
TEXT_KINDS = {("notice", "short"), ("notice", "full"), ("accessibility", "statement")}
MAX_TEXT = 100_000


class TownError(UserError):
    """A town cannot be stored as described; the message is one sentence."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(fill(message, **params))


def check_text(kind: str, name: str, lang: str, text: str) -> str:
    """One of a town's own texts (operator-owned HTML, like the files in the data folder)."""
    if (kind, name) not in TEXT_KINDS or lang not in LANGUAGES:
        raise TownError(N_("Eine Stadt hat keinen Text %(name)s."), name=f"{kind}/{lang}/{name}")
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise TownError(N_("Der Text ist zu lang (höchstens %(limit)s Zeichen)."), limit=MAX_TEXT)
    return text


# What editors may change of their own town in the admin: its legal links, names and dates.
EDITABLE = (
    "operator_name",
    "imprint_url",
    "privacy_policy_url",
    "accessibility_contact",
    "accessibility_created",
    "accessibility_reviewed",
)
_HEADING = re.compile(r"<h2\b[^>]*>(.*?)</h2>", re.S)
_TAG = re.compile(r"<[^>]+>")


def text_to_html(text: str) -> str:
    """Editors' plain text as the HTML the pages show: blank lines part paragraphs, ``## `` starts a heading.

    Everything is escaped: the text can hold no markup, links or scripts of its own.
    """
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]
    parts = []
    for n, block in enumerate(blocks, start=1):
        if block.startswith("## ") and "\n" not in block:
            title = block[3:].strip()
            anchor = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or f"abschnitt-{n}"
            parts.append(f'<h2 id="{anchor}">{html.escape(title)}</h2>')
        else:
            lines = "<br>".join(html.escape(line) for line in block.split("\n"))
            parts.append(f"<p>{lines}</p>")
    return "\n".join(parts)


def html_to_text(markup: str) -> str:
    """A stored text as editors edit it (the reverse of :func:`text_to_html`; other markup is dropped)."""
    text = _HEADING.sub(lambda m: f"\n\n## {_TAG.sub('', m.group(1)).strip()}\n\n", markup)
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"</p>|</li>|</ul>|</ol>", "\n\n", text)
    text = html.unescape(_TAG.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.split("\n"))).strip()
