"""Read back what a finished PDF puts where: glyph boxes, lines, drawings, anchors, and which glyphs show.

Takes PDF bytes and gives one PageGeometry per page, read with pdfium (glyph
boxes, drawing bounds, two renders) and pikepdf (named destinations), not with
the HTML that made the PDF. A glyph is visible when the page's pixels at its box
change once the text is taken away: text under a figure, clipped away or drawn
in the colour behind it leaves the pixels as they are.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageChops

from .marks import Box

# Long side of the visibility renders in pixels: a 6 pt glyph on A2 still spans several pixels.
RENDER_LONG_SIDE_PX = 2200
# A pixel's grey must change by more than this (of 255) to count as ink.
INK_THRESHOLD = 24
# Glyphs of one line further apart than this many font sizes start a new line (another column).
COLUMN_GAP_EM = 2.5

DRAWING_KINDS = {pdfium_c.FPDF_PAGEOBJ_IMAGE: "image", pdfium_c.FPDF_PAGEOBJ_FORM: "figure",
                 pdfium_c.FPDF_PAGEOBJ_PATH: "shape", pdfium_c.FPDF_PAGEOBJ_SHADING: "shape"}


@dataclass
class Glyph:
    char: str
    box: Box
    size_pt: float
    visible: bool = True


@dataclass
class Line:
    """Glyphs on one baseline of one column, in reading order."""

    glyphs: list[Glyph] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs).strip()

    @cached_property
    def inked(self) -> list[Glyph]:
        return [g for g in self.glyphs if not g.char.isspace() and g.box.width > 0 and g.box.height > 0]

    @cached_property
    def box(self) -> Box:
        boxes = [g.box for g in self.inked] or [g.box for g in self.glyphs]
        return Box(min(b.left for b in boxes), min(b.bottom for b in boxes), max(b.right for b in boxes), max(b.top for b in boxes))

    @property
    def size_pt(self) -> float:
        sizes = sorted(g.size_pt for g in self.inked) or [0.0]
        return sizes[len(sizes) // 2]


@dataclass(frozen=True)
class Drawing:
    kind: str  # image | figure (a form XObject) | shape (a path or shading)
    box: Box
    order: int  # position in the page's drawing order


@dataclass(frozen=True)
class Anchor:
    """A named destination: an element with an id, where its box starts."""

    name: str
    page_index: int
    top_pt: float


@dataclass
class PageGeometry:
    index: int
    trim: Box
    lines: list[Line]
    drawings: list[Drawing]
    anchors: list[Anchor] = field(default_factory=list)


def read_geometry(pdf_bytes: bytes) -> list[PageGeometry]:
    """Every page's lines (with visibility per glyph), drawings and anchors."""
    anchors = read_anchors(pdf_bytes)
    shown = pypdfium2.PdfDocument(pdf_bytes)
    bare = pypdfium2.PdfDocument(pdf_bytes)
    try:
        pages = []
        for index in range(len(shown)):
            page = shown[index]
            geometry = PageGeometry(index, _trim_box(page), _read_lines(page), list(_read_drawings(page)),
                                    [a for a in anchors if a.page_index == index])
            _mark_visibility(geometry, page, bare[index])
            pages.append(geometry)
        return pages
    finally:
        shown.close()
        bare.close()


def _trim_box(page: pypdfium2.PdfPage) -> Box:
    left, bottom, right, top = page.get_trimbox()
    return Box(left, bottom, right, top)


def _read_glyphs(page: pypdfium2.PdfPage) -> list[Glyph | None]:
    """Every character with its tight box; None marks pdfium's generated line breaks."""
    textpage = page.get_textpage()
    glyphs: list[Glyph | None] = []
    left, right, bottom, top = (pdfium_c.c_double() for _ in range(4))
    for index in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage, index)
        if pdfium_c.FPDFText_IsGenerated(textpage, index) == 1:
            glyphs.append(None if chr(code) in "\r\n" else Glyph(" ", Box(0, 0, 0, 0), 0.0))
            continue
        pdfium_c.FPDFText_GetCharBox(textpage, index, left, right, bottom, top)
        size = pdfium_c.FPDFText_GetFontSize(textpage, index)
        box = Box(left.value, bottom.value, right.value, top.value)
        previous = glyphs[-1] if glyphs else None
        if previous is not None and previous.box == box and box.width > 0:
            previous.char += chr(code)  # one glyph for several characters: a ligature, a two-em dash
            continue
        glyphs.append(Glyph(chr(code), box, float(size)))
    textpage.close()
    return glyphs


def _read_lines(page: pypdfium2.PdfPage) -> list[Line]:
    """Glyphs grouped into lines; a line's properties are read only once it is complete."""
    runs: list[list[Glyph]] = [[]]
    last: Box | None = None
    for glyph in _read_glyphs(page):
        if glyph is None:
            runs.append([])
            last = None
            continue
        inked = not glyph.char.isspace() and glyph.box.width > 0
        if inked and last is not None and _starts_new_line(last, glyph):
            runs.append([])
        runs[-1].append(glyph)
        last = glyph.box if inked else last
    return [line for line in (Line(run) for run in runs) if line.inked]


def _starts_new_line(last: Box, glyph: Glyph) -> bool:
    gap = glyph.box.left - last.right
    overlap = min(last.top, glyph.box.top) - max(last.bottom, glyph.box.bottom)
    size = max(glyph.size_pt, 1.0)
    return gap > COLUMN_GAP_EM * size or gap < -size or overlap < -0.2 * size


def _clip_box(obj: pypdfium2.PdfObject) -> Box | None:
    """The box of what an object's clipping paths let show (their points' bounds, intersected), or None if unclipped."""
    clip = pdfium_c.FPDFPageObj_GetClipPath(obj.raw)
    if not clip:
        return None
    box = None
    x, y = pdfium_c.c_float(), pdfium_c.c_float()
    for path in range(max(0, pdfium_c.FPDFClipPath_CountPaths(clip))):
        points = []
        for index in range(max(0, pdfium_c.FPDFClipPath_CountPathSegments(clip, path))):
            pdfium_c.FPDFPathSegment_GetPoint(pdfium_c.FPDFClipPath_GetPathSegment(clip, path, index), x, y)
            points.append((x.value, y.value))
        if points:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            bounds = Box(min(xs), min(ys), max(xs), max(ys))
            box = bounds if box is None else _intersection(box, bounds)
    return box


def _intersection(a: Box, b: Box) -> Box:
    return Box(max(a.left, b.left), max(a.bottom, b.bottom), min(a.right, b.right), min(a.top, b.top))


def _read_drawings(page: pypdfium2.PdfPage) -> list[Drawing]:
    """Images, figures and shapes with the bounds of what shows of them: a picture cropped to its frame (object-fit:
    cover) keeps shapes far outside the frame, clipped away."""
    found = []
    for order, obj in enumerate(page.get_objects(max_depth=0)):
        kind = DRAWING_KINDS.get(obj.type)
        if kind:
            box = Box(*obj.get_bounds())
            clip = _clip_box(obj)
            box = _intersection(box, clip) if clip is not None else box
            if box.right > box.left and box.top > box.bottom:
                found.append(Drawing(kind, box, order))
    return found


def read_anchors(pdf_bytes: bytes) -> list[Anchor]:
    """Named destinations (WeasyPrint writes one per element id) with their page and top."""
    found = []
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        names = pdf.Root.get("/Names")
        if names is None or "/Dests" not in names:
            return []
        page_numbers = {page.objgen: index for index, page in enumerate(pdf.pages)}
        for name, destination in pikepdf.NameTree(names.Dests).items():
            if isinstance(destination, pikepdf.Dictionary):
                destination = destination.get("/D")
            if not isinstance(destination, pikepdf.Array) or len(destination) < 4:
                continue
            index = page_numbers.get(destination[0].objgen)
            if index is not None:
                found.append(Anchor(str(name), index, float(destination[3])))
    return found


def _render_scale(page: pypdfium2.PdfPage) -> float:
    width, height = page.get_size()
    return RENDER_LONG_SIDE_PX / max(width, height, 1.0)


def _ink_mask(page: pypdfium2.PdfPage, bare_page: pypdfium2.PdfPage, scale: float) -> Image.Image:
    """Pixels that change when the page's text objects are taken away (1 = text ink shows)."""
    shown = page.render(scale=scale, grayscale=True).to_pil()
    for obj in list(bare_page.get_objects(max_depth=0)):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
            bare_page.remove_obj(obj)
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            _remove_text_in_form(obj.raw)
    bare = bare_page.render(scale=scale, grayscale=True).to_pil()
    return ImageChops.difference(shown, bare).point(lambda value: 255 if value > INK_THRESHOLD else 0)


def _remove_text_in_form(form: pdfium_c.FPDF_PAGEOBJECT) -> None:
    """Text drawn inside a form XObject (an SVG figure's labels) goes too."""
    for index in reversed(range(pdfium_c.FPDFFormObj_CountObjects(form))):
        child = pdfium_c.FPDFFormObj_GetObject(form, index)
        kind = pdfium_c.FPDFPageObj_GetType(child)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            pdfium_c.FPDFFormObj_RemoveObject(form, child)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            _remove_text_in_form(child)


def _mark_visibility(geometry: PageGeometry, page: pypdfium2.PdfPage, bare_page: pypdfium2.PdfPage) -> None:
    if not any(line.inked for line in geometry.lines):
        return
    scale = _render_scale(page)
    mask = _ink_mask(page, bare_page, scale)
    # The render shows the crop box, whose origin need not be (0, 0): print files have room for marks around it.
    left, _, _, top = page.get_cropbox()
    for line in geometry.lines:
        for glyph in line.inked:
            box = glyph.box
            pixels = (int((box.left - left) * scale), int((top - box.top) * scale),
                      int((box.right - left) * scale) + 1, int((top - box.bottom) * scale) + 1)
            glyph.visible = mask.crop(pixels).getbbox() is not None
