"""Fitting content to its area: size a headline before layout, find what overflowed after it.

Before layout, `fit_text_size` estimates the largest font size at which a text
wraps into a given area. After layout, `find_overflows` walks WeasyPrint's box
tree: text in an element marked `data-fit="<name>"` must stay inside that
element, text and images must stay inside the page area, and a one-page layout
must stay on one page. The build shrinks fitted text and retries, then fails
with a `LayoutOverflow` that says what overflowed and by how much.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Iterator

from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder

from ..errors import FitError

PX_PER_MM = 96 / 25.4
TOLERANCE_PX = 0.5 * PX_PER_MM
# Glyph advances in em for a bold sans, deliberately on the wide side.
ADVANCE_EM = {"cjk": 1.0, "space": 0.28, "narrow": 0.32, "wide": 0.74, "other": 0.6}
NARROW = set("iIjlft.,:;'!|()[]-‐")
CJK_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
# The estimate aims a little under the area, and greedy wrapping is slightly worse than the browser's.
HEIGHT_MARGIN = 0.92


def _advance_em(char: str) -> float:
    if CJK_RE.match(char):
        return ADVANCE_EM["cjk"]
    if char.isspace():
        return ADVANCE_EM["space"]
    if char in NARROW:
        return ADVANCE_EM["narrow"]
    if char.isupper() or char in "mwMW@%&—":
        return ADVANCE_EM["wide"]
    return ADVANCE_EM["other"]


def _break_units(text: str) -> list[tuple[float, float]]:
    """(width, trailing space) in em of each unit a line may break after: words, and every CJK character."""
    units: list[tuple[float, float]] = []
    word = 0.0
    for char in text:
        if char.isspace():
            if word:
                units.append((word, _advance_em(" ")))
            word = 0.0
        elif CJK_RE.match(char):
            if word:
                units.append((word, 0.0))
            units.append((_advance_em(char), 0.0))
            word = 0.0
        else:
            word += _advance_em(char)
    if word:
        units.append((word, 0.0))
    return units


def estimated_lines(text: str, size: float, width: float) -> int:
    """Lines that greedy wrapping needs for `text` at font `size` in a `width` (same unit); long words break."""
    line = 0.0
    lines = 1
    for unit_em, space_em in _break_units(text):
        unit = unit_em * size
        if unit > width:  # an over-long word breaks anywhere (overflow-wrap: anywhere)
            lines += int(unit // width) + (1 if line else 0)
            line = unit % width + space_em * size
            continue
        if line and line + unit > width:
            lines += 1
            line = 0.0
        line += unit + space_em * size
    return lines


def fit_text_size(text: str, width: float, height: float, max_size: float, min_size: float,
                  line_height: float = 1.1, scale: float = 1.0) -> float:
    """The largest font size (in the unit of the arguments) at which `text` wraps inside width x height.

    Never below `min_size`: text that does not fit even there is left for the
    after-layout check to report. `scale` (< 1) is how the build shrinks on a retry.
    """
    low, high = min_size, max_size
    if estimated_lines(text, high, width) * line_height * high <= height * HEIGHT_MARGIN:
        best = high
    else:
        for _ in range(24):
            middle = (low + high) / 2
            if estimated_lines(text, middle, width) * line_height * middle <= height * HEIGHT_MARGIN:
                low = middle
            else:
                high = middle
        best = low
    return round(max(min_size, best * scale), 3)


@dataclass(frozen=True)
class Overflow:
    """One thing that did not fit: what it is, where, and by how much."""

    what: str
    where: str
    by_mm: float
    page_index: int
    fitted: bool  # inside a data-fit element, so shrinking its text can help
    # The printed box that reaches furthest out: left, top, right, bottom in CSS px from the page's top-left corner.
    box_px: tuple[float, float, float, float] | None = None

    def describe(self) -> str:
        return f"{self.what} overflows {self.where} by {self.by_mm:.1f} mm (page {self.page_index + 1})"


class LayoutOverflow(FitError):
    """Content did not fit: the message names the first overflow; all of them are kept."""

    def __init__(self, layout: str, overflows: list[Overflow], hint: str = "") -> None:
        self.overflows, self.layout, self.hint = overflows, layout, hint
        more = f" (and {len(overflows) - 1} more)" if len(overflows) > 1 else ""
        super().__init__(f"{layout}: {overflows[0].describe()}{more}{'; ' + hint if hint else ''}")

    def on_pages_after(self, pages: int) -> "LayoutOverflow":
        """The same overflows, found in a part of the document that starts after `pages` pages (render/chunks.py)."""
        moved = [replace(overflow, page_index=overflow.page_index + pages) for overflow in self.overflows]
        return LayoutOverflow(self.layout, moved, self.hint)


@dataclass(frozen=True)
class _Area:
    left: float
    top: float
    right: float
    bottom: float

    @classmethod
    def content_of(cls, box: Any) -> "_Area":
        x, y = box.content_box_x(), box.content_box_y()
        return cls(x, y, x + box.width, y + box.height)

    def printed_extent(self, box: Any) -> tuple[float, float, float, float]:
        """Left, top, right, bottom of a printed box: a line by its line box vertically (glyph boxes are
        taller than a tight line-height) and by its text horizontally; an image by its border box."""
        if isinstance(box, boxes.LineBox):
            top, bottom = box.position_y, box.position_y + box.height
            texts = [b for b in box.descendants() if isinstance(b, boxes.TextBox) and b.text.strip()]
            left = min((b.position_x for b in texts), default=self.left)
            right = max((b.position_x + b.width for b in texts), default=self.right)
            return left, top, right, bottom
        left, top = box.border_box_x(), box.border_box_y()
        return left, top, left + box.border_width(), top + box.border_height()

    def excess_px(self, box: Any) -> float:
        """How far a printed box reaches outside this area (0 when inside)."""
        left, top, right, bottom = self.printed_extent(box)
        return max(0.0, self.left - left, self.top - top, right - self.right, bottom - self.bottom)


def _has_text(line: Any) -> bool:
    return any(isinstance(b, boxes.TextBox) and b.text.strip() for b in line.descendants())


def _label(element: Any) -> str:
    """A name for an element a designer can find in the template: data-fit, else tag.class, plus its text."""
    name = element.get("data-fit")
    if not name:
        classes = (element.get("class") or "").split()
        name = element.tag + "".join(f".{c}" for c in classes[:2])
    text = " ".join("".join(element.itertext()).split())
    return f"the {name} ({text[:40] + '…' if len(text) > 40 else text!r})" if text else f"the {name}"


def _printed_boxes(box: Any, element: Any = None) -> Iterator[tuple[Any, Any]]:
    """(box, nearest ancestor element with a class or data-fit) for every line of text and image."""
    own = getattr(box, "element", None)
    # Name the nearest element a designer can find: one with a class or data-fit, else the nearest below <body>.
    vague = element is None or element.tag in ("html", "body")
    if own is not None and box.element_tag and (own.get("class") or own.get("data-fit") or vague):
        element = own
    if isinstance(box, boxes.ReplacedBox) or (isinstance(box, boxes.LineBox) and _has_text(box)):
        yield box, element
    if isinstance(box, boxes.ParentBox):
        for child in box.children:
            # Absolutely positioned boxes sit in the tree behind a placeholder.
            yield from _printed_boxes(child._box if isinstance(child, AbsolutePlaceholder) else child, element)


# A [data-fit] area may be laid out as a block, a flex box or a grid: one left out would go unchecked.
_AREA_BOXES = (boxes.BlockContainerBox, boxes.FlexContainerBox, boxes.GridContainerBox)


def _fit_areas(page_box: Any) -> list[tuple[Any, Any]]:
    found, seen = [], set()
    for box in page_box.descendants():
        element = getattr(box, "element", None)
        if element is not None and element.get("data-fit") and isinstance(box, _AREA_BOXES) and id(element) not in seen:
            seen.add(id(element))
            found.append((box, element))
    return found


def _page_overflows(page_index: int, page_box: Any) -> list[Overflow]:
    overflows = []
    page_area = _Area.content_of(page_box)
    for area_box, element in _fit_areas(page_box):
        area = _Area.content_of(area_box)
        excess, inner, worst = max(((area.excess_px(b), inner, b) for b, inner in _printed_boxes(area_box, element)),
                                   key=lambda found: found[0], default=(0.0, element, None))
        if excess > TOLERANCE_PX:
            what = _label(inner if inner is not None else element)
            where = f"the {element.get('data-fit')} area" if inner is not element else "its area"
            overflows.append(Overflow(what, where, excess / PX_PER_MM, page_index, True, area.printed_extent(worst)))
    root = next((child for child in page_box.children if not isinstance(child, boxes.MarginBox)), None)
    worst_by_element: dict[int, tuple[float, Any, Any]] = {}
    for box, element in _printed_boxes(root) if root is not None else ():
        excess = page_area.excess_px(box)
        key = id(element)
        if excess > TOLERANCE_PX and excess > worst_by_element.get(key, (0.0, None, None))[0]:
            worst_by_element[key] = (excess, element, box)
    for excess, element, box in worst_by_element.values():
        overflows.append(Overflow(_label(element) if element is not None else "text", "the page area", excess / PX_PER_MM, page_index, False,
                                  page_area.printed_extent(box)))
    return overflows + _margin_overflows(page_index, page_box)


def _margin_overflows(page_index: int, page_box: Any) -> list[Overflow]:
    """Running headers and folios must stay on the sheet (a page with no margin leaves them no room)."""
    sheet = _Area(0, 0, page_box.margin_width(), page_box.margin_height())
    found = []
    for margin_box in (child for child in page_box.children if isinstance(child, boxes.MarginBox)):
        excess = max((sheet.excess_px(line) for line, _ in _printed_boxes(margin_box)), default=0.0)
        if excess > TOLERANCE_PX:
            found.append(Overflow(f"the {margin_box.at_keyword} margin text", "the sheet", excess / PX_PER_MM, page_index, False))
    return found


def _first_element_label(page_box: Any) -> str:
    for box, element in _printed_boxes(page_box):
        if element is not None:
            return _label(element)
    return "content"


def find_overflows(document: Any, max_pages: int | None = None) -> list[Overflow]:
    """Everything that did not fit in a laid-out WeasyPrint document, first page first."""
    overflows: list[Overflow] = []
    for index, page in enumerate(document.pages):
        overflows += _page_overflows(index, page._page_box)
    if max_pages is not None and len(document.pages) > max_pages:
        extra = document.pages[max_pages]._page_box
        what = _first_element_label(extra)
        page_height_mm = document.pages[0].height / PX_PER_MM
        overflows.append(Overflow(what, f"the {max_pages}-page layout onto page {max_pages + 1}",
                                  page_height_mm * (len(document.pages) - max_pages), max_pages, False))
    return overflows
