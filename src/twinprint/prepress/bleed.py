"""Artwork that stops at the trim: rasterise each page and compare the strip just inside the trim with the bleed.

Where the page is inked just inside the trim edge but the bleed beyond it is
bare paper, a guillotine a fraction of a millimetre off leaves a white
sliver. Measured on pixels (PDFium's rendering), so a background, a band, a
photo or an SVG drawing is judged the same way whatever drew it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pikepdf
import pypdfium2

from .marks import Box, mm
from .preflight import Finding

BLEED_DPI = 72
INSIDE_MM = 0.5  # the strip just inside the trim
PAPER_LEVEL = 247  # a pixel lighter than this on every channel is bare paper
MIN_RUN_MM = 2.0  # shorter gaps are anti-aliasing or a hairline's end


@dataclass(frozen=True)
class BareBleed:
    """A stretch of one side where artwork at the trim does not reach into the bleed."""

    page_index: int
    side: str  # top, bottom, left, right
    start_mm: float  # along the side, from the trim's left (top/bottom) or top (left/right) corner
    end_mm: float


def _inked(pixel: tuple[int, ...]) -> bool:
    return min(pixel[:3]) < PAPER_LEVEL


def _runs(flags: list[bool], min_length: int) -> Iterator[tuple[int, int]]:
    start = None
    for at, flag in enumerate(flags + [False]):
        if flag and start is None:
            start = at
        elif not flag and start is not None:
            if at - start >= min_length:
                yield start, at
            start = None


def bare_bleed(page: pypdfium2.PdfPage, page_obj: pikepdf.Object, page_index: int) -> list[BareBleed]:
    """Every stretch of the page's four sides where the trim edge is inked and the bleed is not."""
    media = Box.of(page_obj.MediaBox)
    trim = Box.of(page_obj.get("/TrimBox", page_obj.MediaBox))
    bleed = Box.of(page_obj.get("/BleedBox", page_obj.MediaBox))
    scale = BLEED_DPI / 72
    image = page.render(scale=scale).to_pil().convert("RGB")
    # Coordinates on the rendered media box: PDF points measured from its left and top edges.
    width_px, height_px = image.size
    sx = width_px / media.width
    sy = height_px / media.height

    def px(x_pt: float, y_pt: float) -> tuple[int, int]:
        return (min(width_px - 1, max(0, int((x_pt - media.left) * sx))),
                min(height_px - 1, max(0, int((media.top - y_pt) * sy))))

    inside, step = mm(INSIDE_MM), 1 / scale
    found = []
    sides = {
        "top": (trim.top - inside, (trim.top + bleed.top) / 2, True),
        "bottom": (trim.bottom + inside, (trim.bottom + bleed.bottom) / 2, True),
        "left": (trim.left + inside, (trim.left + bleed.left) / 2, False),
        "right": (trim.right - inside, (trim.right + bleed.right) / 2, False),
    }
    for side, (at_trim, in_bleed, horizontal) in sides.items():
        if abs(in_bleed - at_trim) < inside * 2:
            continue  # no bleed on this side to speak of: the boxes check reports that
        length = trim.width if horizontal else trim.height
        positions = [i * step for i in range(int(length / step))]
        if horizontal:
            points = [((trim.left + p, at_trim), (trim.left + p, in_bleed)) for p in positions]
        else:
            points = [((at_trim, trim.top - p), (in_bleed, trim.top - p)) for p in positions]
        flags = [_inked(image.getpixel(px(*a))) and not _inked(image.getpixel(px(*b))) for a, b in points]
        for start, end in _runs(flags, max(1, round(mm(MIN_RUN_MM) / step))):
            found.append(BareBleed(page_index, side, round(positions[start] / mm(1), 1), round(positions[end - 1] / mm(1), 1)))
    return found


def check_bleed(document: pypdfium2.PdfDocument, pdf: pikepdf.Pdf, profile: str) -> list[Finding]:
    """Preflight: artwork at the trim must run on to the bleed edge (print profile only)."""
    if profile != "print":
        return []
    findings = []
    for index, page in enumerate(pdf.pages):
        gaps = bare_bleed(document[index], page.obj, index)
        if gaps:
            where = "; ".join(f"{g.side} {g.start_mm:g}–{g.end_mm:g} mm" for g in gaps[:4]) + (" …" if len(gaps) > 4 else "")
            findings.append(Finding("error", "bleed", f"artwork stops at the trim instead of the bleed edge ({where})",
                                    (index + 1,), tuple((f"{g.side}", f"{g.start_mm:g}-{g.end_mm:g} mm") for g in gaps)))
    return findings
