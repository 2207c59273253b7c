"""Small hooks into WeasyPrint 70 so that one section of a document lays out as it would in the whole.

A chunk is laid out alone; while `chunk_pages(...)` is active, WeasyPrint
- numbers its pages from `offset` (the `page` counter, `:first`/`:nth()` selectors) and starts
  on the side the whole document would (`:left`/`:right`);
- continues named strings (`string-set`) from the sections before it;
- resolves `target-counter()` and keeps `<a href="#id">` links to anchors of other chunks,
  from the page numbers those chunks gave (`targets`);
- leaves out the margin boxes that print page numbers (`counter(page)`, `counter(pages)`: the
  total is known only once every chunk is laid out): they are laid out afterwards, alone, with
  `margin="numbers-only"`, and laid over the pages (render/chunks.py); so a chunk's pages do not
  depend on where it starts unless it looks a page number up (`read_page_numbers`).
The patched functions behave exactly as before when no chunk is active. WeasyPrint is pinned
(pyproject.toml): these hooks follow the 70.0 sources of layout/__init__.py, layout/page.py,
css/targets.py and pdf/anchors.py.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import weasyprint.document as wp_document
import weasyprint.layout as wp_layout
import weasyprint.layout.page as wp_page
import weasyprint.pdf as wp_pdf
from weasyprint.css.targets import TargetCollector, TargetLookupItem

_OriginalPageType = wp_page.PageType
_original_initialize = wp_layout.initialize_page_maker
_original_layout_document = wp_layout.layout_document
_original_make_margin_boxes = wp_layout.make_margin_boxes
_original_margin_box_layout = wp_page.margin_box_content_layout
_original_strings = wp_layout.LayoutContext.get_string_or_element_for
_original_lookup = TargetCollector.lookup_target
_original_resolve_links = wp_pdf.resolve_links


@dataclass
class ChunkPages:
    """Where a chunk sits in the whole document, and what it reports back once laid out."""

    offset: int = 0  # 0-based index of its first page in the whole document
    right_first: bool = True  # its first page is a right-hand page
    strings: dict[str, str] = field(default_factory=dict)  # named strings in force where it starts
    targets: dict[str, int] = field(default_factory=dict)  # anchors of other chunks -> page number (1-based)
    margin: str = "without-numbers"  # or "numbers-only" (the overlay of margin boxes printing page numbers)
    total: int | None = None  # counter(pages), when the chunk is not the whole document (the overlay's parts)
    # Filled in by the layout:
    strings_after: dict[str, str] = field(default_factory=dict)
    read_page_numbers: bool = False  # target-counter() or target-text() was resolved


_active: contextvars.ContextVar[ChunkPages | None] = contextvars.ContextVar("twinprint_chunk", default=None)


@contextlib.contextmanager
def chunk_pages(settings: ChunkPages) -> Iterator[ChunkPages]:
    token = _active.set(settings)
    try:
        yield settings
    finally:
        _active.reset(token)


def prints_page_numbers(margin_box: Any) -> bool:
    """Whether a margin box's content uses counter(page) or counter(pages)."""
    content = repr(margin_box.style["content"])
    return "'pages'" in content or "'page'" in content


class _ExternalTarget:
    """An anchor laid out in another chunk, as target-counter() reads it.

    Its page number is one of its own counter values: WeasyPrint then takes the page number as known when
    it builds the boxes, instead of recording a page-based counter to look up while paginating, which
    makes it lay out every page of a contents three times (the lookup, and a remake of each page it marks
    as changed).
    """

    def __init__(self, page: int) -> None:
        self.cached_counter_values = {"page": [page]}


def _page_type(side: str, blank: bool, name: str, index: int, groups: Any) -> Any:
    settings = _active.get()
    return _OriginalPageType(side, blank, name, index + (settings.offset if settings else 0), groups)


def _initialize_page_maker(context: Any, root_box: Any) -> None:
    _original_initialize(context, root_box)
    settings = _active.get()
    if settings is None:
        return
    resume_at, next_page, _, page_state, remake_state = context.page_maker[0]
    page_state[1]["page"] = [settings.offset]
    page_state[2][0].add("page")
    context.page_maker[0] = (resume_at, next_page, settings.right_first, page_state, remake_state)


def _layout_document(html: Any, root_box: Any, context: Any, max_loops: int = 8) -> Iterator[Any]:
    settings = _active.get()
    yield from _original_layout_document(html, root_box, context, max_loops)
    if settings is not None:
        settings.strings_after = dict(settings.strings)
        for name, by_page in context.string_set.items():
            assigned = [values for page, values in sorted(by_page.items()) if values]
            if assigned:
                settings.strings_after[name] = assigned[-1][-1]


def _make_margin_boxes(context: Any, page: Any, state: Any) -> Iterator[Any]:
    settings = _active.get()
    if settings is not None and settings.total is not None:
        state[1]["pages"] = [settings.total]
    for box in _original_make_margin_boxes(context, page, state):
        if _kept(box, settings):
            yield box


def _kept(box: Any, settings: ChunkPages | None) -> bool:
    return settings is None or prints_page_numbers(box) == (settings.margin == "numbers-only")


def _margin_box_layout(context: Any, page: Any, box: Any) -> Any:
    """A margin box the chunk leaves out is not laid out (its size, which its neighbours' depend on, is already set)."""
    return _original_margin_box_layout(context, page, box) if _kept(box, _active.get()) else box


def _strings(self: Any, store: Any, page: Any, name: str, keyword: str) -> Any:
    found = _original_strings(self, store, page, name, keyword)
    settings = _active.get()
    if found or settings is None or store is not self.string_set or keyword == "all-once":
        return found
    carried = settings.strings.get(name)
    return (carried,) if carried is not None and self.current_page not in store[name] else found


def _lookup_target(self: Any, anchor_token: Any, source_box: Any, css_token: Any, parse_again: Any) -> Any:
    settings = _active.get()
    if settings is not None:
        settings.read_page_numbers = True
    if settings is not None and settings.targets:
        name = _anchor_name(anchor_token, source_box)
        if name in settings.targets and name not in self.target_lookup_items:
            item = TargetLookupItem("up-to-date")
            item.target_box = _ExternalTarget(settings.targets[name])
            item.cached_page_counter_values = {"page": [settings.targets[name]]}
            return item
    return _original_lookup(self, anchor_token, source_box, css_token, parse_again)


def _anchor_name(anchor_token: Any, source_box: Any) -> str | None:
    from weasyprint.css.targets import anchor_name_from_token
    from weasyprint.urls import get_url_tuple

    if anchor_token[0] == "attr()":
        attr_name, type_, fallback = anchor_token[1]
        value = source_box.element.get(attr_name, fallback)
        anchor_token = ("url", get_url_tuple(value, source_box.style.base_url)) if type_ == "url" else ("string", value)
    return anchor_name_from_token(anchor_token)


def _resolve_links(pages: Any) -> Iterator[Any]:
    """WeasyPrint drops links to anchors it has not laid out: keep those another chunk has."""
    settings = _active.get()
    if settings is None or not settings.targets:
        yield from _original_resolve_links(pages)
        return
    pages = list(pages)

    def elsewhere(link: Any) -> bool:
        return link[0] == "internal" and link[1] in settings.targets and link[1] not in laid_out

    laid_out = {name for page in pages for name in page.anchors}
    own = [SimpleNamespace(anchors=page.anchors, links=[link for link in page.links if not elsewhere(link)]) for page in pages]
    for page, (links, anchors) in zip(pages, _original_resolve_links(own)):
        yield links + [link for link in page.links if elsewhere(link)], anchors


def install() -> None:
    """Patch once; every patched function defers to WeasyPrint's own when no chunk is active."""
    wp_page.PageType = _page_type
    wp_layout.initialize_page_maker = _initialize_page_maker
    wp_layout.layout_document = wp_document.layout_document = _layout_document
    wp_layout.make_margin_boxes = _make_margin_boxes
    wp_page.margin_box_content_layout = _margin_box_layout
    wp_layout.LayoutContext.get_string_or_element_for = _strings
    TargetCollector.lookup_target = _lookup_target
    wp_pdf.resolve_links = _resolve_links


install()
