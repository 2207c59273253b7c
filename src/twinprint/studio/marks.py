"""Where preflight findings are on the page: boxes the studio draws over its page images.

Preflight reports what is wrong and on which page; this module finds the
rectangle of each located finding on the finished PDF, read back with pdfium:
the characters printed as .notdef boxes, the text or figure crossing the trim,
the QR code that does not decode or is too small; geometry findings (hidden,
overprinted, cut text) carry their box, read back by preflight itself; an overflow
(the studio shows a document that does not fit) the box of what reaches out.
Boxes are fractions of the page's trim box (0..1 from its top-left corner), the
area a page image shows. Findings without a place (a font not embedded, a page
count) get no mark.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable

import pypdfium2

from ..prepress.marks import Box
from ..prepress.preflight import Finding, PreflightReport, TOLERANCE_PT, _crossing, _object_boxes

CSS_PX_TO_PT = 0.75


@dataclass(frozen=True)
class Mark:
    """One finding's rectangle on one page, as fractions of the trim box."""

    page: int  # 1-based
    left: float
    top: float
    width: float
    height: float
    severity: str
    check: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _trim_and_media(page: pypdfium2.PdfPage) -> tuple[Box, Box]:
    return Box(*page.get_trimbox()), Box(*page.get_mediabox())


def _as_mark(box: Box, trim: Box, page: int, finding: Finding) -> Mark:
    """A rectangle in PDF points as fractions of the trim box, clipped to it, never thinner than a hairline."""
    left = max(0.0, (box.left - trim.left) / trim.width)
    right = min(1.0, (box.right - trim.left) / trim.width)
    top = max(0.0, (trim.top - box.top) / trim.height)
    bottom = min(1.0, (trim.top - box.bottom) / trim.height)
    return Mark(page, round(left, 5), round(top, 5), round(max(right - left, 0.004), 5), round(max(bottom - top, 0.004), 5),
                finding.severity, finding.check, finding.message)


def _merged_runs(boxes: list[Box]) -> list[Box]:
    """Character boxes joined into one box per run on a line (a word of tofu is one mark, not five)."""
    merged: list[Box] = []
    for box in sorted(boxes, key=lambda b: (-round(b.top), b.left)):
        last = merged[-1] if merged else None
        if last and abs(last.top - box.top) < box.height / 2 + 1 and box.left - last.right < max(box.height, 2.0):
            merged[-1] = Box(last.left, min(last.bottom, box.bottom), max(last.right, box.right), max(last.top, box.top))
        else:
            merged.append(box)
    return merged


def glyph_boxes(page: pypdfium2.PdfPage, characters: str) -> list[Box]:
    """Boxes of the characters of `characters` on the page, as pdfium reads the text back."""
    text_page = page.get_textpage()
    try:
        found = [Box(*text_page.get_charbox(index)) for index in range(text_page.count_chars())
                 if text_page.get_text_range(index, 1) in characters]
    finally:
        text_page.close()
    return _merged_runs([box for box in found if box.width > 0 and box.height > 0])


def trim_boxes(page: pypdfium2.PdfPage, message: str) -> list[Box]:
    """Objects on the page with the trim problem the finding names."""
    trim = Box(*page.get_trimbox())
    bleed = Box(*page.get_bleedbox())
    return [box for kind, box in _object_boxes(page)
            if (problem := _crossing(kind, box, trim, bleed)) and problem.split(":", 1)[1] == message]


def css_px_box(page: pypdfium2.PdfPage, left: float, top: float, right: float, bottom: float) -> Box:
    """A box laid out by WeasyPrint (CSS px from the media box's top-left) in PDF points."""
    media = Box(*page.get_mediabox())
    return Box(media.left + left * CSS_PX_TO_PT, media.top - bottom * CSS_PX_TO_PT, media.left + right * CSS_PX_TO_PT, media.top - top * CSS_PX_TO_PT)


def qr_boxes(page: pypdfium2.PdfPage, page_index: int, qr_codes: Iterable[Any], message: str) -> list[Box]:
    """Where the build placed the QR code the finding names."""
    return [css_px_box(page, code.x_px, code.y_px, code.x_px + code.side_px, code.y_px + code.side_px).grown(TOLERANCE_PT)
            for code in qr_codes if code.page_index == page_index and f"QR code for {code.url} " in message]


def detail_box(page: pypdfium2.PdfPage, finding: Finding) -> list[Box]:
    """The box a finding carries: "box" in PDF points (geometry), "box_px" in CSS px (an overflow)."""
    details = dict(finding.details)
    if "box" in details:
        return [Box(*(float(v) for v in details["box"].split()))]
    if "box_px" in details:
        return [css_px_box(page, *(float(v) for v in details["box_px"].split()))]
    return []


def finding_boxes(page: pypdfium2.PdfPage, page_index: int, finding: Finding, qr_codes: Iterable[Any]) -> list[Box]:
    if finding.check == "glyphs":
        return glyph_boxes(page, dict(finding.details).get("characters", ""))
    if finding.check == "trim":
        return trim_boxes(page, finding.message)
    if finding.check == "qr":
        return qr_boxes(page, page_index, qr_codes, finding.message)
    return detail_box(page, finding)


def report_marks(pdf_bytes: bytes, report: PreflightReport, qr_codes: Iterable[Any] = ()) -> list[Mark]:
    """Every located finding of the report as marks on its pages."""
    qr_codes = list(qr_codes)
    document = pypdfium2.PdfDocument(pdf_bytes)
    marks: list[Mark] = []
    try:
        for finding in report.findings:
            for number in finding.pages:
                page = document[number - 1]
                trim, _ = _trim_and_media(page)
                marks += [_as_mark(box, trim, number, finding) for box in finding_boxes(page, number - 1, finding, qr_codes)]
    finally:
        document.close()
    return marks
