"""A long contents laid out a few pages at a time (render/chunks.py's front matter).

The layout marks each entry (`<!--twinprint:flow-->`), the tags that reopen the list for a part
after the first (`<!--twinprint:flow-open TAGS-->`), the end of the entries (`flow-end`) and of
the tags that close a part (`flow-close`). A part keeps its pages up to the one where the entry at
the top of its last page starts; the next part starts with that entry, on a new page, as the
whole document does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FLOW_MARK = "<!--twinprint:flow-->"
_FLOW_OPEN = re.compile(r"<!--twinprint:flow-open (.*?)-->", re.S)
_FLOW_END = "<!--twinprint:flow-end-->"
_FLOW_CLOSE = "<!--twinprint:flow-close-->"
# A long contents is laid out this many entries at a time (about three pages of the catalogue's).
FLOW_ITEMS = 60


@dataclass(frozen=True)
class Flow:
    """A run of entries in the front matter (the contents) that may be laid out a few pages at a time."""

    before: str  # up to the first entry (the cover, the contents' title and opening tags)
    items: tuple[str, ...]
    after: str  # after the last entry: the closing tags, then the rest of the front matter
    reopen: str  # the tags a part after the first starts with
    close: str  # the tags a part before the last ends with

    def part(self, start: int, end: int) -> str:
        return (self.before if start == 0 else self.reopen) + "".join(self.items[start:end]) + \
            (self.after if end >= len(self.items) else self.close)


def split_flow(front: str) -> Flow | None:
    """The front matter's entries, where the layout marks them (flow, flow-open, flow-end, flow-close)."""
    opening = _FLOW_OPEN.search(front)
    if opening is None or FLOW_MARK not in front or _FLOW_END not in front or _FLOW_CLOSE not in front:
        return None
    before, rest = front.split(FLOW_MARK, 1)
    entries, after = rest.split(_FLOW_END, 1)
    return Flow(before, tuple(entries.split(FLOW_MARK)), after, opening.group(1), after.split(_FLOW_CLOSE, 1)[0])


class NoCut(Exception):
    """A part of the contents could not be cut at a page (one entry longer than a page)."""


def flow_cut(document: Any) -> tuple[int, int] | None:
    """Where a part of the contents is cut: (pages kept, entries on them), the pages before the one where
    the entry at the top of the last page starts; None when the last page holds no entry."""
    first_page: dict[int, int] = {}
    order: list[int] = []
    top_of_last = None
    last = len(document.pages) - 1
    for index, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is None or box.element_tag != "li" or element.get("data-flow") is None:
                continue
            if id(element) not in first_page:
                first_page[id(element)] = index
                order.append(id(element))
            if index == last and top_of_last is None:
                top_of_last = id(element)
    if top_of_last is None:
        return None
    if first_page[top_of_last] == 0 or order.index(top_of_last) == 0:
        raise NoCut()
    return first_page[top_of_last], order.index(top_of_last)
