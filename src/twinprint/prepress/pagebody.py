"""Which lines of a page are its body: running heads and folios aside, and which pages are sparse by design."""

from __future__ import annotations

import re
from collections import defaultdict

from .pagegeometry import Line, PageGeometry

# Lines in this share of the page's height at its top or bottom, set smaller than the text, are running heads and folios.
FURNITURE_BAND = 0.12
# A page holding an element whose id starts so is sparse by design (cover, notes, back cover, personal pages).
DESIGNED_PAGE_PREFIXES = ("designed-", "tp-personal-")
FOLIO_RE = re.compile(r"^(\d{1,4}|[ivxlcdm]{1,7})$", re.IGNORECASE)


def is_designed(page: PageGeometry) -> bool:
    return any(a.name.startswith(DESIGNED_PAGE_PREFIXES) for a in page.anchors)


def body_size(pages: list[PageGeometry]) -> float:
    """The size most characters are set in: the running text."""
    counts: dict[float, int] = defaultdict(int)
    for page in pages:
        for line in page.lines:
            counts[round(line.size_pt, 1)] += len(line.inked)
    return max(counts, key=counts.__getitem__) if counts else 0.0


def is_furniture(line: Line, page: PageGeometry, size: float) -> bool:
    """A running head or folio: in the band at the page's top or foot, set smaller than the text or a bare page number
    (a document of captions and links may be set mostly at the folio's size)."""
    band = page.trim.height * FURNITURE_BAND
    outer = line.box.bottom > page.trim.top - band or line.box.top < page.trim.bottom + band
    return outer and (line.size_pt < size * 0.95 or FOLIO_RE.match(line.text) is not None)


def body_lines(page: PageGeometry, size: float) -> list[Line]:
    return [line for line in page.lines if not is_furniture(line, page, size)]
