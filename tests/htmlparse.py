"""A small HTML reader for assertions on what a browser would see (stdlib only)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# Attributes that make a browser fetch something on its own (navigation links are not among them).
FETCHING = {
    ("img", "src"),
    ("img", "srcset"),
    ("source", "src"),
    ("source", "srcset"),
    ("script", "src"),
    ("link", "href"),
    ("iframe", "src"),
    ("frame", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("track", "src"),
    ("input", "src"),
    ("form", "action"),
    ("button", "formaction"),
    ("input", "formaction"),
    ("image", "href"),
    ("use", "href"),
    ("meta", "content"),
}
# <link> relations that only name another address (browsers load nothing for them); any other
# relation, "alternate stylesheet" included, makes the link a fetch.
NAMING_RELS = frozenset({"canonical", "alternate", "prev", "next"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All text inside, as a screen reader would read it (whitespace collapsed)."""
        parts: list[str] = []

        def walk(el: Element) -> None:
            parts.extend(el.text_parts_with_children())

        walk(self)
        return " ".join(" ".join(parts).split())

    def text_parts_with_children(self) -> list[str]:
        out: list[str] = []
        for item in self._sequence:
            out.extend(item.text_parts_with_children() if isinstance(item, Element) else [item])
        return out

    _sequence: list[Element | str] = field(default_factory=list)

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                child.attrs.get(k.rstrip("_")) == v for k, v in attrs.items()
            ):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, ident: str) -> Element | None:
        return self.find(None, id=ident)

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()

    def with_class(self, name: str) -> list[Element]:
        return [el for el in self.find_all() if el.has_class(name)]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: (v if v is not None else "") for k, v in attrs}, self.current)
        self.current.children.append(el)
        self.current._sequence.append(el)
        if tag not in VOID:
            self.current = el

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.text_parts.append(data)
        self.current._sequence.append(data)


def parse(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def fetched_urls(doc: Element) -> list[tuple[str, str, str]]:
    """(tag, attribute, value) for everything the page would make a browser load or post to."""
    out = []
    for el in doc.find_all():
        for name, value in el.attrs.items():
            if (el.tag, name) in FETCHING:
                if el.tag == "meta" and el.attrs.get("http-equiv", "").lower() != "refresh":
                    continue
                rels = set(el.attrs.get("rel", "").lower().split())
                if el.tag == "link" and rels and rels <= NAMING_RELS:
                    continue
                out.append((el.tag, name, value))
        style = el.attrs.get("style", "")
        if "url(" in style:
            out.append((el.tag, "style", style))
    return out


def own_language_text(doc: Element) -> str:
    """The page's text in its own ``<html lang>``: without parts marked as another language and
    without what form fields hold (an editor's texts are content, not the page's wording)."""
    page_lang = (doc.find("html") or doc).attrs.get("lang", "")
    parts: list[str] = []

    def walk(el: Element) -> None:
        for item in el._sequence:
            if isinstance(item, str):
                parts.append(item)
            elif (
                item.tag not in {"textarea", "script", "style"}
                and item.attrs.get("lang", page_lang) == page_lang
            ):
                walk(item)

    walk(doc)
    return " ".join(" ".join(parts).split())


# A <script> of another type is a data block that browsers never run (HTML's "data block").
SCRIPT_TYPES = frozenset({"", "text/javascript", "module"})


def running_scripts(doc: Element) -> list[Element]:
    """The scripts a browser would run (data blocks such as JSON-LD are not among them)."""
    return [el for el in doc.find_all("script") if el.attrs.get("type", "").lower() in SCRIPT_TYPES]


def json_ld(doc: Element) -> list[Any]:
    """Every JSON-LD block of a page, parsed from its raw text as a search engine reads it."""
    blocks = doc.find_all("script", type="application/ld+json")
    return [json.loads("".join(block.text_parts)) for block in blocks]
