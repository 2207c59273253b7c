"""Which content fields each built-in layout prints, and which no layout prints (and why).

Field paths are generic: `sections[].quotes[].author` stands for every quote of
every section. `hero.caption` is the caption of the figure `hero` names (a poster
prints no other figure). tests/test_fields.py fills every field of an exhibit and
checks that each reaches the text of every layout claiming it, and that every
field of the model is either claimed by a layout or listed in NOT_PRINTED; the
README's field table is this table.
"""

from __future__ import annotations

import re
from typing import Any

_TITLE = ("title", "subtitle", "prepared_for")
_CITIES = ("cities[].name", "cities[].country", "twinned_since", "year")
_SOURCE = ("source.organisation", "source.publication")
_CREDITS = ("credits[].role", "credits[].name")
_CONTACTS = tuple(f"contacts[].{name}" for name in ("name", "role", "organisation", "email", "phone", "link.url", "link.label"))
_CALL = ("call_to_action.heading", "call_to_action.text", "call_to_action.link.url", "call_to_action.link.label",
         "call_to_action.link.placeholder")
_SOURCE_LINK = ("source.link.url", "source.link.label", "source.link.placeholder")
_QUOTES = tuple(f"sections[].quotes[].{name}" for name in ("text", "author", "role", "date", "attributed"))
_SECTIONS = ("sections[].title", "sections[].caption", "sections[].body", *_QUOTES,
             "sections[].figures[].caption", "sections[].figures[].credit",
             "sections[].links[].url", "sections[].links[].label", "sections[].links[].placeholder")
_TIMELINE = ("timeline[].date", "timeline[].title", "timeline[].text")

PRINTED_FIELDS: dict[str, frozenset[str]] = {
    "catalogue": frozenset((*_TITLE, "lede", "note", *_CITIES, *_SOURCE, "source.note", *_SOURCE_LINK,
                            *_CREDITS, *_CONTACTS, *_CALL, *_SECTIONS, *_TIMELINE)),
    "poster": frozenset(("title", "subtitle", "note", *_CITIES, *_SOURCE, *_CREDITS, "venue.name", "venue.city", "venue.opens",
                         "venue.closes", "call_to_action.link.url", "hero.caption")),
    # A booklet names the cities without their countries.
    "booklet": frozenset((*_TITLE, "lede", "note", *(f for f in _CITIES if f != "cities[].country"), *_SOURCE, *_CREDITS, *_CONTACTS, *_CALL, *_SECTIONS, *_TIMELINE)),
    "report": frozenset((*_TITLE, "lede", "note", *_CITIES, *_SOURCE, "source.note", *_SOURCE_LINK,
                         *_CREDITS, *_CONTACTS, *(f for f in _CALL if f != "call_to_action.link.placeholder"), *_SECTIONS, *_TIMELINE)),
}

# Fields printed only in some cases, by layout: what the README's table footnotes say.
CONDITIONAL_FIELDS: dict[str, dict[str, str]] = {
    "poster": {
        "call_to_action.heading": "in the footer when there is no venue",
        "call_to_action.text": "in the footer when there is no venue",
        "source.link.url": "as the QR code when there is no call to action",
        "sections[].links[].url": "the first one, as the QR code when there is no call to action and no source link",
    },
    "booklet": {
        "source.link.url": "as the back cover's QR code when there is no call to action",
    },
    "report": {
        "call_to_action.link.url": "as the QR code when there is no source link",
    },
}

NOT_PRINTED: dict[str, str] = {
    "kind": "chooses the report's kicker (case study or exhibition report)",
    "default_language": "the language texts fall back to",
    "languages": "the languages `--lang all` builds",
    "translations": "printed as the draft-translation notice",
    "keywords": "PDF metadata (document keywords)",
    "hero": "names the figure the covers show",
    "sections[].id": "the anchor of the section (contents, links)",
    "sections[].figures[].id": "what `hero` names",
    "sections[].figures[].image": "the picture itself",
    "sections[].figures[].alt": "the image's alternative text in the PDF, read by screen readers",
    "sections[].quotes[].original_language": "prints the original wording beside a translated quote",
    "contacts[].link.placeholder": "a contact's link is printed as text, without the placeholder note",
}

# Layouts that print one main QR code, and where its link comes from, first choice first.
# A case study (report) links to its source first.
MAIN_LINK_ORDER: dict[str, tuple[str, ...]] = {
    "poster": ("call_to_action.link", "source.link", "sections[].links[0]"),
    "booklet": ("call_to_action.link", "source.link", "sections[].links[0]"),
    "report": ("source.link", "call_to_action.link", "sections[].links[0]"),
}
DEFAULT_MAIN_LINK_ORDER = MAIN_LINK_ORDER["poster"]

_INDEX_RE = re.compile(r"\[\d+\]")


def generic_path(path: str) -> str:
    """`sections[2].links[0].label` -> `sections[].links[].label`; a text's language part is dropped."""
    return _INDEX_RE.sub("[]", path)


def layout_prints(layout: str, path: str) -> bool:
    """Whether a built-in layout prints the field at `path`; a project's own layouts may print anything."""
    fields = PRINTED_FIELDS.get(layout)
    if fields is None:
        return True
    generic = generic_path(path)
    return generic in fields or generic in CONDITIONAL_FIELDS.get(layout, {})


def _link_at(data: dict[str, Any], choice: str) -> tuple[dict[str, Any] | None, str]:
    if choice == "sections[].links[0]":
        index = next((n for n, section in enumerate(data["sections"]) if section["links"]), None)
        return (None, "") if index is None else (data["sections"][index]["links"][0], f"sections[{index}].links[0]")
    record, name = choice.split(".")
    link = (data.get(record) or {}).get(name)
    return (link, choice) if link else (None, "")


def main_link(data: dict[str, Any], layout: str) -> tuple[dict[str, Any] | None, str]:
    """The link of a layout's one main QR code and its field path: its first choice that the content has."""
    for choice in MAIN_LINK_ORDER.get(layout, DEFAULT_MAIN_LINK_ORDER):
        link, path = _link_at(data, choice)
        if link:
            return link, path
    return None, ""


def main_link_warning(data: dict[str, Any], layout: str) -> str | None:
    """Said when a layout's main QR code is neither its first choice nor the call to action's, or has no link at all."""
    order = MAIN_LINK_ORDER.get(layout)
    if order is None:
        return None
    link, path = main_link(data, layout)
    if link is None:
        return f"no {order[0]} nor any other link: the {layout} prints no QR code"
    if path not in (order[0], "call_to_action.link"):
        return f"no call_to_action: the {layout}'s QR code links to {path} ({link['url']})"
    return None


def field_table_markdown() -> str:
    """The README's field table: one row per field, a column per built-in layout (✓ printed, ◐ in some cases)."""
    layouts = list(PRINTED_FIELDS)
    claimed = sorted({f for fields in PRINTED_FIELDS.values() for f in fields} | {f for c in CONDITIONAL_FIELDS.values() for f in c})
    rows = ["| field | " + " | ".join(layouts) + " |", "|---|" + "---|" * len(layouts)]
    for name in claimed:
        marks = ["✓" if name in PRINTED_FIELDS[layout] else "◐" if name in CONDITIONAL_FIELDS.get(layout, {}) else "" for layout in layouts]
        rows.append(f"| `{name}` | " + " | ".join(marks) + " |")
    rows += [f"| `{name}` | " + f"not printed: {why}" + " |" * len(layouts) for name, why in sorted(NOT_PRINTED.items())]
    return "\n".join(rows) + "\n"
