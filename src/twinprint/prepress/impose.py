"""Imposition: booklet pages in saddle-stitch order on duplex sheets, or n-up grids for flyers and badges.

Each source page becomes one Form XObject (pikepdf) drawn wherever it goes, so
the file does not grow with copies. Crop, fold and cut marks and a slug line
(job, sheet n of N, front/back) are drawn with reportlab (marks.py) where the
sheet has room outside the trim. Booklet sheets are printed duplex, flipped on
the short edge, then folded and stapled.

A PDF/X input gives a PDF/X sheet file (ISO 15930-7 clause 6): its output
intent and PDF/X XMP identification carry over, and every sheet gets a TrimBox
(the spread or grid) and a BleedBox (that plus the bleed kept).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from ..errors import BuildError, UsageError
from .docdates import document_time, stamp_dates
from .marks import Box, MarkSheet, draw_marks_pdf, has_room_for_marks, mark_offset_pt, marks_margin_pt, mm, overlay_forms, stamp
from ..layout.paper import canonical_paper_name, resolve_paper

# Press sheets besides the paper sizes: SRA sizes are A sizes with room for bleed and marks (ISO 217).
PRESS_SHEETS_MM = {"SRA4": (225.0, 320.0), "SRA3": (320.0, 450.0), "SRA2": (450.0, 640.0),
                   "SRA1": (640.0, 900.0), "SRA0": (900.0, 1280.0)}
UNTRUE_ON_SHEETS = ("pdfuaid:part", "pdfaid:part", "pdfaid:conformance")
AUTO_SHEETS = ("A4", "SRA4", "A3", "SRA3", "A2", "SRA2", "A1", "SRA1", "A0", "SRA0")
FIT_TOLERANCE_MM = 0.5
GRID_RE = re.compile(r"^\s*(\d{1,2})\s*[x×]\s*(\d{1,2})\s*$")
LENGTH_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm)?\s*$")
MAX_CREEP_MM = 5.0


@dataclass(frozen=True)
class ImposeOptions:
    booklet: bool = False
    n_up: tuple[int, int] | None = None  # (columns, rows)
    sheet: str | None = None  # paper name or WxH in mm; None: the smallest A size that holds the spread or grid
    creep_mm: float = 0.0
    job_name: str = ""


@dataclass
class ImposedPdf:
    pdf: bytes
    sides: int  # output pages: two per booklet sheet
    pages_in: int
    blanks: int
    sheet_mm: tuple[float, float]
    marks: bool
    warnings: list[str] = field(default_factory=list)


def parse_grid(text: str) -> tuple[int, int]:
    match = GRID_RE.match(text)
    if not match or not all(1 <= int(v) <= 12 for v in match.groups()):
        raise UsageError(f"--n-up {text!r}: expected COLUMNSxROWS such as 2x2 (1 to 12 each)")
    columns, rows = (int(v) for v in match.groups())
    return columns, rows


def parse_creep_mm(text: str) -> float:
    match = LENGTH_RE.match(text)
    if not match or float(match.group(1)) > MAX_CREEP_MM:
        raise UsageError(f"--creep {text!r}: expected a length in mm from 0 to {MAX_CREEP_MM:g}, such as 0.2mm")
    return float(match.group(1))


def booklet_order(page_count: int) -> list[tuple[int | None, int | None]]:
    """(left, right) page indexes of each sheet side, front then back, outermost sheet first.

    The count is padded to a multiple of 4 with blanks (None) before the last page,
    so the back cover stays on the outside.
    """
    total = page_count + (-page_count % 4)
    pages: list[int | None] = list(range(page_count))
    if total > page_count:
        pages = pages[:-1] + [None] * (total - page_count) + pages[-1:] if page_count > 1 else pages + [None] * (total - page_count)
    sides = []
    for sheet in range(total // 4):
        sides.append((pages[total - 1 - 2 * sheet], pages[2 * sheet]))  # front
        sides.append((pages[2 * sheet + 1], pages[total - 2 - 2 * sheet]))  # back
    return sides


def _trim_and_bleed(page: pikepdf.Page) -> tuple[Box, Box]:
    media = page.obj.MediaBox
    return Box.of(page.obj.get("/TrimBox", media)), Box.of(page.obj.get("/BleedBox", media))


def _page_forms(source: pikepdf.Pdf, target: pikepdf.Pdf) -> list[pikepdf.Object]:
    """One Form XObject per source page, its bounding box the page's bleed box."""
    forms = []
    for page in source.pages:
        form = page.as_form_xobject()
        form.BBox = _trim_and_bleed(page)[1].as_array()
        forms.append(target.copy_foreign(form))
    return forms


def canonical_sheet_name(text: str) -> str:
    """`sra4` -> `SRA4`; any other name or WxH as --paper takes it (UsageError if unknown)."""
    return text.strip().upper() if text.strip().upper() in PRESS_SHEETS_MM else canonical_paper_name(text)


def _sheet_sizes(name: str) -> tuple[float, float]:
    """(short, long) side in mm of a press sheet (SRA4…), a paper name or WxH."""
    if name.upper() in PRESS_SHEETS_MM:
        width, height = PRESS_SHEETS_MM[name.upper()]
    else:
        paper = resolve_paper(name)
        width, height = paper.width_mm, paper.height_mm
    short, long = sorted((width, height))
    return short, long


def _fit_sheet(name: str, width_mm: float, height_mm: float) -> tuple[float, float] | None:
    """The sheet `name` (w, h in mm, turned to fit) if it holds `width_mm` × `height_mm`."""
    short, long = _sheet_sizes(name)
    # The sheet turned like the content first: a landscape spread on a landscape sheet.
    turns = ((long, short), (short, long)) if width_mm >= height_mm else ((short, long), (long, short))
    return next(((w, h) for w, h in turns if w + FIT_TOLERANCE_MM >= width_mm and h + FIT_TOLERANCE_MM >= height_mm), None)


def choose_sheet(name: str | None, width_mm: float, height_mm: float, bleed_mm: float = 0.0) -> tuple[tuple[float, float], list[str]]:
    """The sheet (w, h in mm) for content of `width_mm` × `height_mm`, and warnings about it.

    Without a name: the smallest A or SRA size holding the content with its bleed all round,
    else a sheet made to measure (named in a warning). A named sheet must hold the content;
    when it cannot hold the bleed too, a warning says so and which sheet would.
    """
    wanted = f"{width_mm:.0f}×{height_mm:.0f} mm"
    with_bleed = (width_mm + 2 * bleed_mm, height_mm + 2 * bleed_mm)
    if name:
        sheet = _fit_sheet(name, width_mm, height_mm)
        if sheet is None:
            raise UsageError(f"--sheet {name}: too small for {wanted} (pages side by side)")
        if bleed_mm and _fit_sheet(name, *with_bleed) is None:
            return sheet, [f"--sheet {name}: no room for the {round(bleed_mm, 1):g} mm bleed around {wanted}: it is cut at the sheet edge; "
                           f"--sheet {_smallest_sheet(*with_bleed)} keeps it"]
        return sheet, []
    for candidate in AUTO_SHEETS:
        sheet = _fit_sheet(candidate, *with_bleed)
        if sheet is not None:
            return sheet, []
    margin_mm = marks_margin_pt(mm(bleed_mm)) / mm(1)
    custom = (math.ceil(width_mm + 2 * margin_mm), math.ceil(height_mm + 2 * margin_mm))
    return custom, [f"no sheet up to {AUTO_SHEETS[-1]} holds {wanted} with its bleed: imposed on a {custom[0]}×{custom[1]} mm "
                    f"sheet made to measure (--sheet {custom[0]}x{custom[1]}, or --sheet NAME for another)"]


def _smallest_sheet(width_mm: float, height_mm: float) -> str:
    fitting = (name for name in AUTO_SHEETS if _fit_sheet(name, width_mm, height_mm))
    return next(fitting, f"{math.ceil(width_mm)}x{math.ceil(height_mm)}")


def _draw(form_name: str, trim: Box, slot: Box, clip: Box, shift_x: float = 0.0) -> str:
    """Operators placing a page so its trim box lands on `slot` (moved by `shift_x`), clipped to `clip`."""
    dx, dy = slot.left - trim.left + shift_x, slot.bottom - trim.bottom
    return (f"q {clip.left:.3f} {clip.bottom:.3f} {clip.width:.3f} {clip.height:.3f} re W n "
            f"1 0 0 1 {dx:.3f} {dy:.3f} cm {form_name} Do Q\n")


def _copy_into(target: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    """`value` from another PDF, its indirect objects copied (copy_foreign takes only indirect ones)."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return target.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copy_into(target, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copy_into(target, item) for key, item in value.items()})
    return value


class _SheetWriter:
    """Builds the output PDF side by side, sharing page forms and marks drawings."""

    def __init__(self, source: pikepdf.Pdf, sheet_mm: tuple[float, float]) -> None:
        self.source = source
        self.pdf = pikepdf.new()
        self.forms = _page_forms(source, self.pdf)
        self.media = Box(0, 0, mm(sheet_mm[0]), mm(sheet_mm[1]))
        self.marks: list[tuple[pikepdf.Page, MarkSheet]] = []

    def add_side(self, content: str, used: list[int], marks: MarkSheet, bleed: Box) -> None:
        """One sheet side; `marks.trim` becomes its TrimBox, `bleed` (kept inside the sheet) its BleedBox."""
        page = self.pdf.add_blank_page(page_size=(self.media.width, self.media.height))
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary({f"/P{i}": self.forms[i] for i in sorted(set(used))}))
        page.obj.Contents = self.pdf.make_stream(content.encode())
        page.obj.TrimBox = marks.trim.as_array()
        page.obj.BleedBox = Box(max(bleed.left, 0), max(bleed.bottom, 0), min(bleed.right, self.media.right),
                                min(bleed.top, self.media.top)).as_array()
        if has_room_for_marks(marks):
            self.marks.append((page, marks))

    @property
    def marks_drawn(self) -> bool:
        return bool(self.marks)

    def _stamp_marks(self) -> None:
        if not self.marks:
            return
        forms = overlay_forms(self.pdf, draw_marks_pdf([sheet for _, sheet in self.marks]))
        for (page, _), form in zip(self.marks, forms):
            stamp(self.pdf, page, form, "/TPMarks", self.media)

    def _carry_pdfx_identity(self) -> None:
        """The source's output intent, XMP (PDF/X identification included) and Info, for a PDF/X sheet file."""
        for key in ("/OutputIntents", "/Metadata"):
            if key in self.source.Root:
                self.pdf.Root[key] = _copy_into(self.pdf, self.source.Root[key])
        for key, value in self.source.docinfo.items():
            self.pdf.docinfo[key] = _copy_into(self.pdf, value)

    def finish(self, title: str) -> bytes:
        self._stamp_marks()
        self._carry_pdfx_identity()
        producer = "twinprint impose (pikepdf, reportlab)"
        self.pdf.docinfo["/Title"] = pikepdf.String(title)
        self.pdf.docinfo["/Producer"] = pikepdf.String(producer)
        stamp_dates(self.pdf, document_time())
        with self.pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:title"] = title
            meta["pdf:Producer"] = producer
            for claim in UNTRUE_ON_SHEETS:  # sheets are not tagged, nor an archive copy
                if claim in meta:
                    del meta[claim]
        out = io.BytesIO()
        self.pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
        return out.getvalue()


def _source_geometry(source: pikepdf.Pdf) -> tuple[Box, float]:
    """The first page's trim box and the smallest bleed any page has on any side."""
    trims_bleeds = [_trim_and_bleed(page) for page in source.pages]
    bleed = min(min(t.left - b.left, b.right - t.right, t.bottom - b.bottom, b.top - t.top) for t, b in trims_bleeds)
    return trims_bleeds[0][0], max(0.0, bleed)


def _open(pdf_bytes: bytes, name: str) -> pikepdf.Pdf:
    try:
        source = pikepdf.open(io.BytesIO(pdf_bytes))
    except pikepdf.PdfError as error:
        raise BuildError(f"{name}: not a readable PDF: {error}") from None
    if not len(source.pages):
        raise BuildError(f"{name}: has no pages")
    return source


def impose_booklet(pdf_bytes: bytes, options: ImposeOptions, name: str = "the PDF") -> ImposedPdf:
    with _open(pdf_bytes, name) as source:
        trim, bleed_pt = _source_geometry(source)
        sheet_mm, warnings = choose_sheet(options.sheet, 2 * trim.width / mm(1), trim.height / mm(1), bleed_pt / mm(1))
        writer = _SheetWriter(source, sheet_mm)
        media = writer.media
        spread = Box(media.width / 2 - trim.width, (media.height - trim.height) / 2,
                     media.width / 2 + trim.width, (media.height + trim.height) / 2)
        room = min(spread.left, spread.bottom)
        bleed = min(bleed_pt, max(0.0, room))
        order = booklet_order(len(source.pages))
        sheets = len(order) // 2
        for index, (left, right) in enumerate(order):
            sheet = index // 2
            creep = mm(options.creep_mm) * sheet
            content, used = "", []
            for page_index, slot, outer in ((left, Box(spread.left, spread.bottom, media.width / 2, spread.top), "left"),
                                            (right, Box(media.width / 2, spread.bottom, spread.right, spread.top), "right")):
                if page_index is None:
                    continue
                clip = Box(slot.left - (bleed if outer == "left" else 0), slot.bottom - bleed,
                           slot.right + (bleed if outer == "right" else 0), slot.top + bleed)
                content += _draw(f"/P{page_index}", trim, slot, clip, creep if outer == "left" else -creep)
                used.append(page_index)
            side = "front" if index % 2 == 0 else "back"
            slug = f"{options.job_name} · sheet {sheet + 1} of {sheets} · {side}" + (f" · creep {options.creep_mm:g} mm" if options.creep_mm else "")
            marks = MarkSheet(media, spread, (spread.left, spread.right), (spread.bottom, spread.top),
                              mark_offset_pt(bleed), folds_x=(media.width / 2,), slug=slug)
            writer.add_side(content, used, marks, spread.grown(bleed))
        blanks = sum(page is None for side in order for page in side)
        return ImposedPdf(writer.finish(f"{options.job_name} (booklet)"), len(order), len(source.pages), blanks, sheet_mm,
                          writer.marks_drawn, warnings)


def impose_n_up(pdf_bytes: bytes, options: ImposeOptions, name: str = "the PDF") -> ImposedPdf:
    """Pages in a grid, in order (a one-page document fills every cell), with cut marks."""
    assert options.n_up is not None
    columns, rows = options.n_up
    with _open(pdf_bytes, name) as source:
        trim, bleed = _source_geometry(source)
        gutter = 2 * bleed
        grid_w, grid_h = columns * trim.width + (columns - 1) * gutter, rows * trim.height + (rows - 1) * gutter
        sheet_mm, warnings = choose_sheet(options.sheet, grid_w / mm(1), grid_h / mm(1), bleed / mm(1))
        writer = _SheetWriter(source, sheet_mm)
        media = writer.media
        grid = Box((media.width - grid_w) / 2, (media.height - grid_h) / 2, (media.width + grid_w) / 2, (media.height + grid_h) / 2)
        cells = [Box(grid.left + c * (trim.width + gutter), grid.top - (r + 1) * trim.height - r * gutter,
                     grid.left + c * (trim.width + gutter) + trim.width, grid.top - r * trim.height - r * gutter)
                 for r in range(rows) for c in range(columns)]
        count = len(source.pages)
        pages = list(range(count)) if count > 1 else [0] * len(cells)
        sides = math.ceil(len(pages) / len(cells))
        cuts_x = tuple(sorted({cell.left for cell in cells} | {cell.right for cell in cells}))
        cuts_y = tuple(sorted({cell.bottom for cell in cells} | {cell.top for cell in cells}))
        for side in range(sides):
            chunk = pages[side * len(cells):(side + 1) * len(cells)]
            content = "".join(_draw(f"/P{page}", trim, cell, cell.grown(bleed)) for page, cell in zip(chunk, cells))
            slug = f"{options.job_name} · {columns}×{rows} · sheet {side + 1} of {sides}"
            writer.add_side(content, chunk, MarkSheet(media, grid, cuts_x, cuts_y, mark_offset_pt(bleed), slug=slug), grid.grown(bleed))
        return ImposedPdf(writer.finish(f"{options.job_name} ({columns}x{rows})"), sides, count, 0, sheet_mm, writer.marks_drawn,
                          warnings)


def imposed_path(pdf_path: Path, options: ImposeOptions) -> Path:
    """`poster.en.pdf` -> `poster.en.booklet.pdf` or `poster.en.2x2.pdf`, beside it."""
    kind = "booklet" if options.booklet else f"{options.n_up[0]}x{options.n_up[1]}" if options.n_up else "imposed"
    return Path(pdf_path).with_suffix(f".{kind}.pdf")


def impose(pdf_bytes: bytes, options: ImposeOptions, name: str = "the PDF") -> ImposedPdf:
    if options.booklet == (options.n_up is not None):
        raise UsageError("impose: give either --booklet or --n-up COLUMNSxROWS")
    return impose_booklet(pdf_bytes, options, name) if options.booklet else impose_n_up(pdf_bytes, options, name)
