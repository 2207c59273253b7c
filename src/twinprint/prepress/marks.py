"""Printer's marks drawn with reportlab: crop (cut) marks, registration targets, fold marks, a slug line.

Marks are drawn in the registration colour (the `All` separation, so they appear
on every printing plate), always outside the bleed, and only where the sheet has
room for them. A drawing is a one-page PDF that callers place on their pages as a
Form XObject (`overlay_forms`), so one drawing serves every page of the same size.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import pikepdf
from reportlab.lib.colors import CMYKColor, CMYKColorSep
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ..layout.templates import builtin_root

PT_PER_MM = 72 / 25.4
MARK_LENGTH_MM = 5.0
MARK_GAP_MM = 1.0  # between the bleed edge and where a mark starts
LINE_WIDTH_PT = 0.25
TARGET_RADIUS_MM = 2.0
SLUG_FONT = "TPSlug"
SLUG_SIZE_PT = 6.0
REGISTRATION = CMYKColorSep(1, 1, 1, 1, spotName="All")
SLUG_INK = CMYKColor(0, 0, 0, 1)


def mm(value: float) -> float:
    """Millimetres to PDF points."""
    return value * PT_PER_MM


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, PDF coordinates (y up)."""

    left: float
    bottom: float
    right: float
    top: float

    @classmethod
    def of(cls, array: pikepdf.Array | list) -> "Box":
        left, bottom, right, top = (float(value) for value in array)
        return cls(min(left, right), min(bottom, top), max(left, right), max(bottom, top))

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    def grown(self, by: float) -> "Box":
        return Box(self.left - by, self.bottom - by, self.right + by, self.top + by)

    def contains(self, other: "Box", tolerance: float = 0.01) -> bool:
        return (other.left >= self.left - tolerance and other.bottom >= self.bottom - tolerance
                and other.right <= self.right + tolerance and other.top <= self.top + tolerance)

    def as_array(self) -> pikepdf.Array:
        return pikepdf.Array([round(v, 4) for v in (self.left, self.bottom, self.right, self.top)])


@dataclass(frozen=True)
class MarkSheet:
    """What to mark on one sheet: where it is cut and folded, and the slug text."""

    media: Box
    trim: Box  # the outer edge of everything that is cut out
    cuts_x: tuple[float, ...]
    cuts_y: tuple[float, ...]
    offset_pt: float  # from a cut line to where its mark starts: at least the bleed
    folds_x: tuple[float, ...] = ()
    registration: bool = True
    slug: str = ""


def marks_margin_pt(bleed_pt: float) -> float:
    """How far past the trim the sheet must reach for marks outside a bleed of `bleed_pt`."""
    return bleed_pt + mm(MARK_GAP_MM + MARK_LENGTH_MM + 1.0)


def mark_offset_pt(bleed_pt: float) -> float:
    return bleed_pt + mm(MARK_GAP_MM)


@lru_cache(maxsize=1)
def _register_slug_font() -> str:
    pdfmetrics.registerFont(TTFont(SLUG_FONT, str(builtin_root() / "fonts" / "NotoSans-Regular.ttf")))
    return SLUG_FONT


def _room(sheet: MarkSheet) -> dict[str, bool]:
    """Which sides have space for a mark of full length beyond the offset."""
    need = sheet.offset_pt + mm(MARK_LENGTH_MM)
    media, trim = sheet.media, sheet.trim
    return {
        "left": trim.left - media.left >= need, "right": media.right - trim.right >= need,
        "bottom": trim.bottom - media.bottom >= need, "top": media.top - trim.top >= need,
    }


def _draw_cut_marks(pdf: canvas.Canvas, sheet: MarkSheet, room: dict[str, bool]) -> None:
    trim, start, length = sheet.trim, sheet.offset_pt, mm(MARK_LENGTH_MM)
    for x in sheet.cuts_x:
        if room["bottom"]:
            pdf.line(x, trim.bottom - start, x, trim.bottom - start - length)
        if room["top"]:
            pdf.line(x, trim.top + start, x, trim.top + start + length)
    for y in sheet.cuts_y:
        if room["left"]:
            pdf.line(trim.left - start, y, trim.left - start - length, y)
        if room["right"]:
            pdf.line(trim.right + start, y, trim.right + start + length, y)


def _draw_fold_marks(pdf: canvas.Canvas, sheet: MarkSheet, room: dict[str, bool]) -> None:
    trim, start, length = sheet.trim, sheet.offset_pt, mm(MARK_LENGTH_MM)
    pdf.setDash(2, 1.5)
    for x in sheet.folds_x:
        if room["bottom"]:
            pdf.line(x, trim.bottom - start, x, trim.bottom - start - length)
        if room["top"]:
            pdf.line(x, trim.top + start, x, trim.top + start + length)
    pdf.setDash()


def _draw_target(pdf: canvas.Canvas, x: float, y: float) -> None:
    radius = mm(TARGET_RADIUS_MM)
    pdf.circle(x, y, radius * 0.6, stroke=1, fill=0)
    pdf.line(x - radius, y, x + radius, y)
    pdf.line(x, y - radius, x, y + radius)


def _draw_targets(pdf: canvas.Canvas, sheet: MarkSheet, room: dict[str, bool]) -> None:
    trim, middle = sheet.trim, sheet.offset_pt + mm(MARK_LENGTH_MM) / 2
    centre_x, centre_y = (trim.left + trim.right) / 2, (trim.bottom + trim.top) / 2
    if room["top"]:
        _draw_target(pdf, centre_x, trim.top + middle)
    if room["left"]:
        _draw_target(pdf, trim.left - middle, centre_y)
    if room["right"]:
        _draw_target(pdf, trim.right + middle, centre_y)


def _draw_slug(pdf: canvas.Canvas, sheet: MarkSheet, room: dict[str, bool]) -> None:
    if not sheet.slug or not room["bottom"]:
        return
    pdf.setFillColor(SLUG_INK)
    pdf.setFont(_register_slug_font(), SLUG_SIZE_PT)
    baseline = sheet.trim.bottom - sheet.offset_pt - mm(MARK_LENGTH_MM) * 0.6
    pdf.drawString(sheet.trim.left + mm(8), baseline, sheet.slug)


def draw_marks_pdf(sheets: list[MarkSheet]) -> bytes:
    """One page per sheet, each the size of its media box, holding its marks (origin at the media's corner).

    One document for all sheets, so the slug font is embedded once however many sheets there are.
    """
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True, pageCompression=1)
    for sheet in sheets:
        media = sheet.media
        pdf.setPageSize((media.width, media.height))
        pdf.translate(-media.left, -media.bottom)
        pdf.setStrokeColor(REGISTRATION)
        pdf.setLineWidth(LINE_WIDTH_PT)
        room = _room(sheet)
        _draw_cut_marks(pdf, sheet, room)
        _draw_fold_marks(pdf, sheet, room)
        if sheet.registration:
            _draw_targets(pdf, sheet, room)
        _draw_slug(pdf, sheet, room)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def has_room_for_marks(sheet: MarkSheet) -> bool:
    return any(_room(sheet).values())


def _without_empty_text_objects(operations: list) -> list:
    """Drop BT…ET blocks that show nothing (reportlab opens every page with one that sets a font)."""
    kept: list = []
    pending: list | None = None
    for instruction in operations:
        operator = str(instruction.operator)
        if operator == "BT":
            pending = [instruction]
        elif pending is not None:
            pending.append(instruction)
            if operator == "ET":
                if any(str(i.operator) in ("Tj", "TJ", "'", '"') for i in pending):
                    kept += pending
                pending = None
        else:
            kept.append(instruction)
    return kept


def overlay_forms(target: pikepdf.Pdf, marks_pdf: bytes) -> list[pikepdf.Object]:
    """Each marks page as a Form XObject owned by `target`, keeping only the fonts it uses."""
    source = pikepdf.open(io.BytesIO(marks_pdf))
    forms = []
    for page in source.pages:
        operations = _without_empty_text_objects(pikepdf.parse_content_stream(page))
        page.obj.Contents = source.make_stream(pikepdf.unparse_content_stream(operations))
        used = {str(i.operands[0]) for i in operations if str(i.operator) == "Tf"}
        resources = pikepdf.Dictionary(page.Resources)  # reportlab shares one resources dictionary
        fonts = resources.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary):
            resources.Font = pikepdf.Dictionary({name: font for name, font in fonts.items() if name in used})
        page.obj.Resources = resources
        forms.append(target.copy_foreign(page.as_form_xobject()))
    return forms


def stamp(pdf: pikepdf.Pdf, page: pikepdf.Page, form: pikepdf.Object, name: str, media: Box) -> None:
    """Draw the marks form over `page`, its corner on the media box's corner, after the page's own content."""
    resources = page.obj.Resources
    if "/XObject" not in resources:
        resources.XObject = pikepdf.Dictionary()
    resources.XObject[name] = form
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(f"Q q 1 0 0 1 {media.left:.4f} {media.bottom:.4f} cm {name} Do Q\n".encode()))
