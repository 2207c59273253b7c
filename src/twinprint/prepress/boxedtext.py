"""Text that leaves its box: a line begun on a card, band or panel background running past its edge, or out below it.

A filled shape (a background drawn behind text: a card, a band, a tinted
panel) that holds part of a text line holds all of it in a sound layout. A line
with some characters on the shape and some off it ran out of its box sideways;
a line off the shape just below one of the same paragraph on it (same left
edge, the usual line pitch) ran out at the bottom. Read from the page's
drawings and glyph boxes, not from the HTML.
"""

from __future__ import annotations

from .geometry import FieldFinder, GeometryProblem, _quoted
from .marks import Box, mm
from .pagegeometry import Drawing, Glyph, Line, PageGeometry

# Shapes narrower or lower than this are rules and borders, not boxes.
MIN_BOX_MM = 4.0
# Shapes covering this share of the page are its background.
BACKGROUND_SHARE = 0.8
# A following line within this many font sizes below a boxed one continues its paragraph.
PARAGRAPH_PITCH_EM = 1.9


def _boxes(page: PageGeometry) -> list[Drawing]:
    area = page.trim.width * page.trim.height
    return [d for d in page.drawings if d.kind == "shape" and d.box.width >= mm(MIN_BOX_MM) and d.box.height >= mm(MIN_BOX_MM)
            and d.box.width * d.box.height < BACKGROUND_SHARE * area]


def _on(box: Box, glyph: Glyph) -> bool:
    x, y = (glyph.box.left + glyph.box.right) / 2, (glyph.box.bottom + glyph.box.top) / 2
    return box.left <= x <= box.right and box.bottom <= y <= box.top


def _sideways(line: Line, box: Box) -> int:
    """How many of the line's characters lie off the box when some lie on it (0 when all or none do)."""
    on = sum(_on(box, g) for g in line.inked)
    return len(line.inked) - on if 0 < on < len(line.inked) else 0


def _runs_out_below(line: Line, before: Line, box: Box) -> bool:
    """Whether `line`, wholly off the box, continues `before`, wholly on it, past its bottom edge."""
    if not all(_on(box, g) for g in before.inked) or any(_on(box, g) for g in line.inked):
        return False
    pitch = before.box.bottom - line.box.bottom
    same_paragraph = abs(line.box.left - before.box.left) < 1.0 and abs(line.size_pt - before.size_pt) < 0.2
    return same_paragraph and 0 < pitch <= PARAGRAPH_PITCH_EM * before.size_pt and line.box.top < box.bottom + before.size_pt


def text_leaving_boxes(page: PageGeometry, fields: FieldFinder) -> list[GeometryProblem]:
    problems = []
    boxes = _boxes(page)
    pictures = [d.box for d in page.drawings if d.kind in ("image", "figure")]
    for number, line in enumerate(page.lines):
        # A label drawn in a picture (a map's city names) sits on the picture's own shapes.
        if len(line.inked) < 2 or any(_on(picture, g) for picture in pictures for g in line.inked):
            continue
        text = line.text
        off = next((count for count in (_sideways(line, b.box) for b in boxes) if count), 0)
        below = number > 0 and any(_runs_out_below(line, page.lines[number - 1], b.box) for b in boxes)
        if off:
            how = f"runs past the edge of its box ({off} of {len(line.inked)} characters outside)"
        elif below:
            how = "runs out below its box"
        else:
            continue
        problems.append(GeometryProblem("error", f"text {_quoted(text)}{fields.describe(text)} {how}", page.index + 1))
    return problems
