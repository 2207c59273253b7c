"""Checks on a finished PDF -> a report of errors and warnings, per page where it applies.

Run at the end of every build (with what the build knows: the profile, the
layout's page rules, the QR codes it placed, the content's texts) and by
`twinprint preflight FILE.pdf` on any PDF. Errors mean the file must not go to
the printer as it is; warnings are worth a look.
"""

from __future__ import annotations

import ctypes
import io
import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c
import zxingcpp

from rich.table import Table

from ..errors import BuildError
from .image_sources import content_images, image_source
from .geometry import SectionFigures, geometry_problems, section_figures
from .marks import Box, mm
from .pdfscan import PageScan, font_name, is_embedded, notdef_codes, scan_pages, to_unicode_map

PROFILES = ("screen", "print", "archive", "accessible")
QR_RASTER_DPI = 150
MIN_DPI_ERROR = 150
MIN_DPI_WARNING = 300
MIN_BLEED_MM = 3.0
SAFE_MARGIN_MM = 3.0
TOLERANCE_PT = 0.75
# Printed side of a QR code (quiet zone included): a code is scanned from about ten times
# its side, a page from about two thirds of its long side; never under 20 mm (paper.py).
MIN_QR_MM = 20.0
QR_QUIET_ZONE_MODULES = 4


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" | "warning"
    check: str  # boxes, fonts, glyphs, font programs, images, colour, trim, qr, pages, geometry
    message: str
    pages: tuple[int, ...] = ()  # 1-based
    # Machine-readable specifics, e.g. (field, characters it holds that cannot be drawn).
    details: tuple[tuple[str, str], ...] = ()

    def pages_text(self) -> str:
        """`1–4, 7`; `-` for findings about the whole document."""
        runs: list[list[int]] = []
        for page in self.pages:
            if runs and page == runs[-1][-1] + 1:
                runs[-1].append(page)
            else:
                runs.append([page])
        return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs) or "-"


@dataclass(frozen=True)
class ExpectedQr:
    page_index: int
    url: str
    side_mm: float


@dataclass(frozen=True)
class PreflightContext:
    """What the build knows about the document; a bare PDF gets the defaults."""

    profile: str | None = None  # None: read it from the PDF (PDF/X -> print, PDF/A -> archive…)
    page_multiple: int = 1  # 4 for a saddle-stitched booklet
    min_qr_mm: float | None = None  # None: the paper rule for each page's size
    expected_qr: tuple[ExpectedQr, ...] | None = None  # None: decode every page, expect nothing
    content_texts: tuple[tuple[str, str], ...] = ()  # (field, text) of the content, to name tofu sources
    chosen_cmyk: tuple[tuple[float, ...], ...] = ()  # CMYK colours the theme chose: small text in them only warns
    content_images: tuple[tuple[str, str, int, int], ...] = ()  # (field, file, width px, height px), to name image sources
    sections: tuple[SectionFigures, ...] = ()  # each section's figures, to find those placed away from it
    # A document laid out from content: check page fill, orphans and widows (a bare PDF may be anything).
    laid_out: bool = False


@dataclass
class PreflightReport:
    file: str
    profile: str
    page_count: int
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    seconds: float = 0.0
    inks: list[dict[str, Any]] = field(default_factory=list)  # per page, print profile: inks.py

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def passed(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (f"preflight {verdict} ({self.profile}): {len(self.errors)} error{'s' * (len(self.errors) != 1)}, "
                f"{len(self.warnings)} warning{'s' * (len(self.warnings) != 1)}, {self.page_count} pages, "
                f"{self.seconds:.2f} s")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(passed=self.passed, errors=len(self.errors), warnings=len(self.warnings))
        data["findings"] = [asdict(f) | {"pages": list(f.pages), "details": dict(f.details)} for f in self.findings]
        return data

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


def content_fields(data: Any, path: str = "") -> Iterable[tuple[str, str]]:
    """Every text of localised content data as (field path, text): `sections[2].body`."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from content_fields(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            yield from content_fields(value, f"{path}[{index}]")


def build_context(profile: str, page_multiple: int, qr_codes: Iterable[Any], content: dict[str, Any],
                  min_qr_mm: float | None = None, content_dir: Path | None = None) -> PreflightContext:
    """The context of a fresh build: its profile, page rule, the QR codes it placed, its texts and images.

    `min_qr_mm` is the side a user asked for (`--set qr_mm=`) when smaller than the paper rule.
    """
    expected = tuple(ExpectedQr(q.page_index, q.url, q.side_px * 25.4 / 96) for q in qr_codes)
    texts = tuple(content_fields(content))
    return PreflightContext(profile, page_multiple, min_qr_mm, expected, texts, content_images=content_images(texts, content_dir),
                            sections=section_figures(content), laid_out=True)


class PreflightFailed(BuildError):
    """A build whose PDF was written but has preflight errors: it must not go to the printer as it is."""

    def __init__(self, report: "PreflightReport") -> None:
        listed = "; ".join(f"{f.message} (page {f.pages_text()})" for f in report.errors[:5])
        more = f"; and {len(report.errors) - 5} more" if len(report.errors) > 5 else ""
        super().__init__(f"{report.file}: preflight found {len(report.errors)} error{'s' * (len(report.errors) != 1)}: {listed}{more} "
                         "(--no-preflight writes it anyway; `twinprint preflight FILE` shows the report)")
        self.report = report


def finding_lines(report: PreflightReport) -> list[str]:
    """One line per finding, for a build's warnings."""
    return [f"preflight {f.severity} ({f.check}, page {f.pages_text()}): {f.message}" for f in report.findings]


def report_table(report: PreflightReport) -> Table:
    """The compact human table: severity, check, pages, message."""
    table = Table(title=f"{report.file} ({report.profile}, {report.page_count} pages)", title_justify="left")
    for column in ("", "check", "pages", "finding"):
        table.add_column(column, overflow="fold")
    for finding in sorted(report.findings, key=lambda f: (f.severity != "error", f.check)):
        mark = "[red]error[/red]" if finding.severity == "error" else "[yellow]warning[/yellow]"
        table.add_row(mark, finding.check, finding.pages_text(), finding.message)
    if not report.findings:
        table.add_row("[green]ok[/green]", ", ".join(report.checks), "all", "no problems found")
    return table


# --- profile -----------------------------------------------------------------------------------

def detect_profile(pdf: pikepdf.Pdf) -> str:
    """The profile a PDF was made for, from its output intent and XMP identification."""
    intents = [str(intent.get("/S", "")) for intent in pdf.Root.get("/OutputIntents", [])]
    metadata = pdf.open_metadata()
    if "/GTS_PDFX" in intents or metadata.get("pdfxid:GTS_PDFXVersion"):
        return "print"
    if metadata.get("pdfaid:part"):
        return "archive"
    if metadata.get("pdfuaid:part"):
        return "accessible"
    return "screen"


# --- boxes -------------------------------------------------------------------------------------

def check_boxes(pdf: pikepdf.Pdf, profile: str) -> list[Finding]:
    findings: list[Finding] = []
    missing: dict[str, list[int]] = {}
    thin: list[int] = []
    for number, page in enumerate(pdf.pages, 1):
        for box in ("/TrimBox", "/BleedBox"):
            if box not in page.obj:
                missing.setdefault(box, []).append(number)
        media = Box.of(page.obj.MediaBox)
        trim = Box.of(page.obj.get("/TrimBox", page.obj.MediaBox))
        bleed = Box.of(page.obj.get("/BleedBox", page.obj.MediaBox))
        if not (media.contains(bleed) and bleed.contains(trim)):
            findings.append(Finding("error", "boxes", "boxes do not nest: TrimBox ⊆ BleedBox ⊆ MediaBox expected", (number,)))
        if profile == "print" and min(trim.left - bleed.left, bleed.right - trim.right,
                                      trim.bottom - bleed.bottom, bleed.top - trim.top) < mm(MIN_BLEED_MM) - TOLERANCE_PT:
            thin.append(number)
    severity = "error" if profile == "print" else "warning"
    findings += [Finding(severity, "boxes", f"no {box[1:]}", tuple(pages)) for box, pages in missing.items()]
    if thin:
        findings.append(Finding("error", "boxes", f"bleed under {MIN_BLEED_MM:g} mm on some side", tuple(thin)))
    if profile == "print":
        findings += _check_output_intent(pdf)
    return findings


def _check_output_intent(pdf: pikepdf.Pdf) -> list[Finding]:
    for intent in pdf.Root.get("/OutputIntents", []):
        profile = intent.get("/DestOutputProfile")
        if intent.get("/S") == "/GTS_PDFX" and isinstance(profile, pikepdf.Stream) and int(profile.get("/N", 0)) == 4:
            return []
    return [Finding("error", "colour", "no PDF/X output intent with a CMYK ICC profile")]


# --- fonts and glyphs ------------------------------------------------------------------------

def _pages_by(items: Iterable[tuple[Any, int]]) -> dict[Any, list[int]]:
    grouped: dict[Any, list[int]] = {}
    for key, page in items:
        pages = grouped.setdefault(key, [])
        if page not in pages:
            pages.append(page)
    return grouped


def check_fonts(scans: list[PageScan]) -> list[Finding]:
    not_embedded = _pages_by((font_name(font), scan.index + 1) for scan in scans
                             for font in scan.fonts.values() if not is_embedded(font))
    type3 = _pages_by((font_name(font), scan.index + 1) for scan in scans
                      for font in scan.fonts.values() if font.get("/Subtype") == "/Type3")
    return ([Finding("error", "fonts", f"font not embedded: {name}", tuple(pages)) for name, pages in not_embedded.items()]
            + [Finding("warning", "fonts", f"Type 3 font (bitmap or drawn glyphs): {name}", tuple(pages))
               for name, pages in type3.items()])


def missing_characters(scans: list[PageScan]) -> dict[str, list[int]]:
    """Characters drawn as .notdef boxes, with the pages they are on."""
    found: list[tuple[str, int]] = []
    for scan in scans:
        for key, codes in scan.shown_codes.items():
            font = scan.fonts[key]
            missing = codes & notdef_codes(font)
            if missing:
                text = to_unicode_map(font)
                found += [(text.get(code, "\ufffd"), scan.index + 1) for code in sorted(missing)]
    return _pages_by(found)


def check_glyphs(scans: list[PageScan], content_texts: tuple[tuple[str, str], ...]) -> list[Finding]:
    missing = missing_characters(scans)
    if not missing:
        return []
    characters = "".join(sorted(missing))
    pages = tuple(sorted({p for ps in missing.values() for p in ps}))
    by_field = tuple((name, "".join(sorted({c for c in text if c in missing}))) for name, text in content_texts
                     if any(char in missing for char in text))
    listed = " ".join(f"{char} (U+{ord(char):04X})" for char in characters[:40]) + (" …" if len(characters) > 40 else "")
    where = "; ".join(f"{name}: {chars[:12]}{'…' if len(chars) > 12 else ''}" for name, chars in by_field[:6])
    where = f"; by field: {where}{' …' if len(by_field) > 6 else ''}" if by_field else ""
    return [Finding("error", "glyphs", f"{len(characters)} characters the fonts cannot draw (printed as boxes): {listed}{where}",
                    pages, (("characters", characters),) + by_field)]


# --- images and colour -------------------------------------------------------------------------

def check_images(scans: list[PageScan], profile: str, sources: tuple[tuple[str, str, int, int], ...] = ()) -> list[Finding]:
    if profile != "print":
        return []
    findings = []
    for scan in scans:
        for image in scan.images:
            dpi = image.dpi
            if dpi < MIN_DPI_WARNING:
                severity = "error" if dpi < MIN_DPI_ERROR else "warning"
                findings.append(Finding(severity, "images", f"image {image.width_px}×{image.height_px} px printed at "
                                        f"{image.width_pt / mm(1):.0f}×{image.height_pt / mm(1):.0f} mm: {dpi:.0f} dpi "
                                        f"(under {MIN_DPI_ERROR if severity == 'error' else MIN_DPI_WARNING})"
                                        f"{image_source(sources, image.width_px, image.height_px)}", (scan.index + 1,)))
    return findings


def check_colour(scans: list[PageScan], profile: str) -> list[Finding]:
    if profile != "print":
        return []
    findings = []
    vector = _pages_by(("vector", s.index + 1) for s in scans if s.rgb_colours or s.rgb_shadings or s.rgb_groups)
    if vector:
        count = sum(s.rgb_colours + s.rgb_shadings + s.rgb_groups for s in scans)
        findings.append(Finding("error", "colour", f"{count} RGB colours, shadings or blending spaces in a CMYK print file",
                                tuple(vector["vector"])))
    images = _pages_by(("images", s.index + 1) for s in scans if any(i.is_rgb for i in s.images))
    if images:
        count = sum(1 for s in scans for i in s.images if i.is_rgb)
        findings.append(Finding("warning", "colour", f"{count} RGB images (converted by the printer's RIP; supply CMYK for control)",
                                tuple(images["images"])))
    return findings


# --- geometry: trim, QR codes, page count ---------------------------------------------------------

def _object_boxes(page: pypdfium2.PdfPage) -> Iterable[tuple[str, Box]]:
    kinds = {pdfium_c.FPDF_PAGEOBJ_TEXT: "text", pdfium_c.FPDF_PAGEOBJ_IMAGE: "figure", pdfium_c.FPDF_PAGEOBJ_FORM: "figure"}
    for obj in page.get_objects(max_depth=0):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM and (strokes := _drawing_parts(obj)):
            yield from (("figure", box) for box in strokes)
        elif obj.type in kinds:
            yield kinds[obj.type], Box(*obj.get_bounds())


def _drawing_parts(form: pypdfium2.PdfObject) -> list[Box]:
    """The boxes of a form made of lines and shapes only (printer's marks), each on its own; [] for any other form.

    The union of crop marks at the sheet's corners spans the trim although no mark crosses it.
    """
    count = pdfium_c.FPDFFormObj_CountObjects(form.raw)
    children = [pdfium_c.FPDFFormObj_GetObject(form.raw, i) for i in range(count)]
    if not children or any(pdfium_c.FPDFPageObj_GetType(child) != pdfium_c.FPDF_PAGEOBJ_PATH for child in children):
        return []
    matrix = form.get_matrix()
    return [_transformed(_raw_bounds(child), matrix) for child in children]


def _raw_bounds(handle: Any) -> Box:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    pdfium_c.FPDFPageObj_GetBounds(handle, left, bottom, right, top)
    return Box(left.value, bottom.value, right.value, top.value)


def _transformed(box: Box, matrix: pypdfium2.PdfMatrix) -> Box:
    corners = [matrix.on_point(x, y) for x in (box.left, box.right) for y in (box.bottom, box.top)]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return Box(min(xs), min(ys), max(xs), max(ys))


def _crossing(kind: str, box: Box, trim: Box, bleed: Box) -> str | None:
    """What is wrong with one object against the trim, or None."""
    if not box.grown(-TOLERANCE_PT).width > 0 or not _overlaps(box, bleed.grown(-TOLERANCE_PT)):
        return None  # outside the bleed: marks and slug
    inside = trim.grown(TOLERANCE_PT).contains(box)
    if inside:
        safe = trim.grown(-mm(SAFE_MARGIN_MM))
        return None if kind != "text" or safe.contains(box) else "warning:text within 3 mm of the trim"
    if kind == "text":
        return "error:text crosses or lies outside the trim (it will be cut)"
    sides = [(box.left < trim.left, box.left <= bleed.left + TOLERANCE_PT), (box.right > trim.right, box.right >= bleed.right - TOLERANCE_PT),
             (box.bottom < trim.bottom, box.bottom <= bleed.bottom + TOLERANCE_PT), (box.top > trim.top, box.top >= bleed.top - TOLERANCE_PT)]
    if all(reaches for crosses, reaches in sides if crosses):
        return None  # a full-bleed figure
    return "warning:figure crosses the trim but stops short of the bleed edge (a white sliver may show)"


def _overlaps(a: Box, b: Box) -> bool:
    return a.left < b.right and b.left < a.right and a.bottom < b.top and b.bottom < a.top


def check_trim(document: pypdfium2.PdfDocument, pdf: pikepdf.Pdf, profile: str) -> list[Finding]:
    if profile != "print":
        return []
    problems: list[tuple[tuple[str, str], int]] = []
    for index, page in enumerate(pdf.pages):
        trim = Box.of(page.obj.get("/TrimBox", page.obj.MediaBox))
        bleed = Box.of(page.obj.get("/BleedBox", page.obj.MediaBox))
        for kind, box in _object_boxes(document[index]):
            problem = _crossing(kind, box, trim, bleed)
            if problem:
                severity, message = problem.split(":", 1)
                problems.append(((severity, message), index + 1))
    return [Finding(severity, "trim", message, tuple(pages)) for (severity, message), pages in _pages_by(problems).items()]


def min_qr_side_mm(trim: Box) -> float:
    long_side_mm = max(trim.width, trim.height) / mm(1)
    return round(max(MIN_QR_MM, long_side_mm * 2 / 3 / 10), 1)


def _decode_page(document: pypdfium2.PdfDocument, index: int) -> list[tuple[str, float]]:
    """(text, printed side in mm with quiet zone) of every QR code on one page at 150 dpi."""
    image = document[index].render(scale=QR_RASTER_DPI / 72).to_pil()
    found = []
    for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        p = code.position
        side_px = max(abs(p.top_right.x - p.top_left.x), abs(p.bottom_left.y - p.top_left.y))
        modules = _modules(code)
        side_mm = side_px / QR_RASTER_DPI * 25.4 * (modules + 2 * QR_QUIET_ZONE_MODULES) / modules
        found.append((code.text, side_mm))
    return found


def _modules(code: Any) -> int:
    """Modules on a side, from the symbol version zxing reports (QR version v has 17 + 4v)."""
    try:
        extra = code.extra if isinstance(code.extra, dict) else json.loads(code.extra) if code.extra else {}  # dict since zxing-cpp 2.3
        version = int(extra.get("Version", 0))
    except (ValueError, TypeError, AttributeError):
        version = 0
    return 17 + 4 * version if version else 25


def check_qr_codes(document: pypdfium2.PdfDocument, pdf: pikepdf.Pdf, context: PreflightContext) -> list[Finding]:
    expected = context.expected_qr
    pages = sorted({q.page_index for q in expected}) if expected is not None else range(len(pdf.pages))
    findings = []
    for index in pages:
        decoded = _decode_page(document, index)
        trim = Box.of(pdf.pages[index].obj.get("/TrimBox", pdf.pages[index].obj.MediaBox))
        minimum = min(context.min_qr_mm or math.inf, min_qr_side_mm(trim))
        for text, side_mm in decoded:
            if side_mm < minimum - 0.5:
                findings.append(Finding("error", "qr", f"QR code for {text} is {side_mm:.1f} mm, under the {minimum:g} mm "
                                        "this page size needs", (index + 1,)))
        texts = [text for text, _ in decoded]
        for wanted in (q for q in expected or () if q.page_index == index):
            if wanted.url not in texts:
                findings.append(Finding("error", "qr", f"QR code for {wanted.url} does not decode at {QR_RASTER_DPI} dpi"
                                        + (f" (read: {', '.join(texts)})" if texts else ""), (index + 1,)))
    return findings


def check_page_count(page_count: int, multiple: int) -> list[Finding]:
    if multiple > 1 and page_count % multiple:
        return [Finding("error", "pages", f"{page_count} pages: a booklet needs a multiple of {multiple}")]
    return []


# --- the run -----------------------------------------------------------------------------------

def _independent_checks(document: pypdfium2.PdfDocument, pdf: pikepdf.Pdf, profile: str,
                        context: PreflightContext) -> dict[str, Any]:
    """Checks in their own modules (imported here: they import Finding from this one)."""
    from .pdfx_check import check_pdfx_identity
    from .qr_check import check_qr_robustness
    from .structure_check import check_structure

    return {
        "structure": lambda: check_structure(pdf, profile),
        "pdfx": lambda: check_pdfx_identity(pdf, profile),
        "qr-robustness": lambda: check_qr_robustness(document, pdf, context),
    }


def preflight_pdf(pdf_bytes: bytes, name: str, context: PreflightContext = PreflightContext()) -> PreflightReport:
    """Every check on one PDF (as bytes); raises BuildError if the file is not a readable PDF."""
    started = time.perf_counter()
    try:
        pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    except pikepdf.PdfError as error:
        # pikepdf names the source by its repr (`<_io.BytesIO object at 0x…>`): name the file instead.
        raise BuildError(f"{name}: not a readable PDF: {re.sub(r'(stream )?<_io.BytesIO object at 0x[0-9a-f]+>:? ?', '', str(error))}") from None
    with pdf:
        profile = context.profile or detect_profile(pdf)
        report = PreflightReport(name, profile, len(pdf.pages))
        scans = scan_pages(pdf)
        document = pypdfium2.PdfDocument(pdf_bytes)
        # Imported here: these modules build on this one's Finding and report.
        from . import bleed, fontprograms, inks, renderers, shadings, smalltext
        ink_pages = inks.ink_report(pdf_bytes, pdf, profile)
        report.inks = inks.ink_rows(ink_pages or [])
        try:
            checks = {
                "boxes": lambda: check_boxes(pdf, profile),
                "fonts": lambda: check_fonts(scans),
                "glyphs": lambda: check_glyphs(scans, context.content_texts),
                "font programs": lambda: fontprograms.check_font_programs(scans),
                "images": lambda: check_images(scans, profile, context.content_images),
                "colour": lambda: check_colour(scans, profile),
                "trim": lambda: check_trim(document, pdf, profile),
                "qr": lambda: check_qr_codes(document, pdf, context),
                "pages": lambda: check_page_count(len(pdf.pages), context.page_multiple),
                "shadings": lambda: shadings.check_shadings(pdf),
                "renderers": lambda: renderers.check_renderers(pdf_bytes, len(pdf.pages)),
                "bleed": lambda: bleed.check_bleed(document, pdf, profile),
                "inks": lambda: inks.check_total_ink(ink_pages, profile),
                "small text": lambda: smalltext.check_small_text(pdf, profile, context.content_texts, context.chosen_cmyk),
                **_independent_checks(document, pdf, profile, context),
                "geometry": lambda: [Finding(p.severity, "geometry", p.message, (p.page,), p.details())
                                     for p in geometry_problems(pdf_bytes, context.content_texts, context.sections, context.laid_out)],
            }
            for check, run in checks.items():
                report.findings += run()
                report.checks.append(check)
        finally:
            document.close()
    report.seconds = time.perf_counter() - started
    return report


def preflight_file(path: Path, context: PreflightContext = PreflightContext()) -> PreflightReport:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise BuildError(f"{path}: cannot read: {error.strerror or error}") from None
    return preflight_pdf(data, str(path), context)
