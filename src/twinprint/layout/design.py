"""What a layout gets besides the content: its page settings, the theme, the paper, the QR size.

`load_design` gathers them once per document; `design_context` turns them into
template values; `finish_layout` runs on the laid-out document before the PDF
is written: it fails on overflow and keeps just enough notes pages to reach
the layout's page multiple.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from weasyprint import Document

from .fit import LayoutOverflow, Overflow, find_overflows, fit_text_size
from ..errors import LayoutError
from .paper import Paper, PageSettings, is_named_paper, padding_pages, page_settings, qr_side_mm, resolve_paper
from .theme import Theme, load_theme

NOTES_PAGE_NAME = "notes"
# Each retry shrinks fitted text by this factor; after the last the overflow is an error.
FIT_SHRINK = 0.85
FIT_ATTEMPTS = 4


@dataclass(frozen=True)
class Design:
    layout: str
    settings: PageSettings
    theme: Theme
    theme_files: tuple[Path, ...]
    paper: Paper
    qr_mm: float


def load_design(layout: str, search_path: tuple[Path, ...], theme_name: str, paper: str | None,
                orientation: str | None, variables: dict[str, str]) -> Design:
    """Page settings, theme and paper for one document: --paper, else the theme's, else the layout's."""
    settings = page_settings(layout, search_path)
    theme, theme_files = load_theme(theme_name, search_path)
    paper_name = paper or theme.paper.get(layout) or settings.paper
    # A named size takes the layout's orientation unless told otherwise; a custom WxH is taken as given.
    default_orientation = settings.orientation if is_named_paper(paper_name) else None
    sheet = resolve_paper(paper_name, orientation or default_orientation)
    return Design(layout, settings, theme, tuple(theme_files), sheet, qr_side_mm(sheet, variables.get("qr_mm")))


def design_context(design: Design, fit_scale: float = 1.0) -> dict[str, Any]:
    """Template values: `theme`, `paper`, `qr_mm`, `notes_pages` and the `fit_text` function."""
    return {
        "theme": design.theme.template_values(),
        "paper": design.paper.template_values(),
        "qr_mm": design.qr_mm,
        "notes_pages": design.settings.notes_pages,
        "fit_text": partial(fit_text_size, scale=fit_scale),
    }


def _is_notes_page(page: Any) -> bool:
    return page._page_box.page_type.name == NOTES_PAGE_NAME


def keep_enough_notes_pages(document: Document, multiple: int) -> Document:
    """Drop the last notes pages the layout rendered so the page count becomes a multiple of `multiple`."""
    notes = [index for index, page in enumerate(document.pages) if _is_notes_page(page)]
    content_pages = len(document.pages) - len(notes)
    keep = padding_pages(content_pages, multiple)
    if keep > len(notes):
        raise LayoutError(f"the layout rendered {len(notes)} notes pages; {keep} are needed to reach a multiple of {multiple}")
    drop = set(notes[keep:])
    if not drop:
        return document
    return document.copy([page for index, page in enumerate(document.pages) if index not in drop])


def overflow_error(design: Design, overflows: list[Overflow]) -> LayoutOverflow:
    hint = f"on {design.paper.name} {design.paper.orientation}: shorten the text or choose a larger --paper"
    return LayoutOverflow(design.layout, overflows, hint)


def finish_layout(document: Document, design: Design, overflows: list[Overflow] | None = None) -> Document:
    """Raise LayoutOverflow if anything did not fit (or, given a list, put the overflows there); pad to the page multiple with notes pages."""
    found = find_overflows(document, design.settings.max_pages)
    if found and overflows is not None:
        overflows.extend(found)  # the studio shows the document as it overflows
    elif found:
        raise overflow_error(design, found)
    if design.settings.page_multiple > 1:
        document = keep_enough_notes_pages(document, design.settings.page_multiple)
    return document
