"""Imposition: saddle-stitch order read back from the text layer, sheet sizes, marks, n-up grids, file size."""

from __future__ import annotations

import re
import subprocess

import pikepdf
import pypdfium2
import pytest

from twinprint.prepress.preflight import PreflightContext, preflight_pdf
from reportlab.lib.pagesizes import A4, A5, A6

from synthpdf import numbered_pdf
from twinprint.cli import main
from twinprint.prepress.impose import ImposeOptions, booklet_order, impose, parse_creep_mm, parse_grid
from twinprint.errors import UsageError
from twinprint.prepress.marks import mm

NUMBER_RE = re.compile(r"Page (\d+)")


def cells_text(pdf: bytes, columns: int = 2, rows: int = 1) -> list[list[int | None]]:
    """Page numbers printed in each grid cell of each sheet side, row by row from the top left."""
    document = pypdfium2.PdfDocument(pdf)
    sides = []
    for page in document:
        width, height = page.get_size()
        text = page.get_textpage()
        cells: list[int | None] = []
        for row in range(rows):
            for column in range(columns):
                found = NUMBER_RE.findall(text.get_text_bounded(width * column / columns, height * (rows - row - 1) / rows,
                                                                width * (column + 1) / columns, height * (rows - row) / rows))
                cells.append(int(found[0]) if found else None)
        sides.append(cells)
    document.close()
    return sides


def sheet_mm(pdf: bytes) -> set[tuple[float, float]]:
    with pikepdf.open(__import__("io").BytesIO(pdf)) as doc:
        return {(round(float(p.mediabox[2] - p.mediabox[0]) / mm(1)), round(float(p.mediabox[3] - p.mediabox[1]) / mm(1)))
                for p in doc.pages}


@pytest.mark.parametrize("count", [8, 12, 16])
def test_booklet_sides_in_saddle_stitch_order(count):
    source = numbered_pdf(count, A5)
    imposed = impose(source, ImposeOptions(booklet=True, job_name="test"))
    sides = cells_text(imposed.pdf)
    assert len(sides) == count // 2 == imposed.sides
    assert sides[0] == [count, 1] and sides[1] == [2, count - 1]  # outer sheet: back cover | cover, then inside
    for number, (left, right) in enumerate(sides):
        assert left + right == count + 1  # every spread of a folded booklet adds up to n + 1
        assert left % 2 == 0 and right % 2 == 1  # even pages on the left of the spine, odd on the right
    assert sorted(p for side in sides for p in side) == list(range(1, count + 1))
    assert sheet_mm(imposed.pdf) == {(297, 210)}  # A5 pages on A4, landscape
    assert len(imposed.pdf) < 1.2 * len(source) + 4000  # each page is one Form XObject, not a copy


def test_booklet_order_pads_before_the_back_cover():
    assert booklet_order(6) == [(5, 0), (1, None), (None, 2), (3, 4)]
    imposed = impose(numbered_pdf(6, A5), ImposeOptions(booklet=True))
    assert imposed.blanks == 2
    assert cells_text(imposed.pdf) == [[6, 1], [2, None], [None, 3], [4, 5]]


def test_a4_pages_go_on_a3_and_a_larger_sheet_gets_marks_and_slug():
    imposed = impose(numbered_pdf(4, A4), ImposeOptions(booklet=True))
    assert sheet_mm(imposed.pdf) == {(420, 297)} and not imposed.marks
    marked = impose(numbered_pdf(8, A5), ImposeOptions(booklet=True, sheet="A3", job_name="flyer.pdf", creep_mm=0.3))
    assert marked.marks
    document = pypdfium2.PdfDocument(marked.pdf)
    slugs = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    assert "flyer.pdf · sheet 1 of 2 · front" in slugs[0] and "sheet 2 of 2 · back" in slugs[3]
    assert cells_text(marked.pdf)[0] == [8, 1]
    document.close()


def test_creep_moves_inner_sheets_toward_the_spine():
    def left_page_x(creep: float) -> float:
        imposed = impose(numbered_pdf(8, A5), ImposeOptions(booklet=True, creep_mm=creep))
        document = pypdfium2.PdfDocument(imposed.pdf)
        text = document[2].get_textpage()  # sheet 2, front: its left page
        box = text.get_charbox(text.get_text_range().index("P"))
        document.close()
        return box[0]

    assert left_page_x(1.0) - left_page_x(0.0) == pytest.approx(mm(1.0), abs=0.05)


def test_n_up_grid_in_reading_order_with_cut_marks():
    imposed = impose(numbered_pdf(8, A6), ImposeOptions(n_up=(2, 2), sheet="A3", job_name="badges"))
    assert imposed.sides == 2 and imposed.marks
    assert cells_text(imposed.pdf, 2, 2) == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_a_single_page_fills_the_grid_from_one_form():
    source = numbered_pdf(1, A6)
    imposed = impose(source, ImposeOptions(n_up=(2, 2)))
    assert sheet_mm(imposed.pdf) == {(210, 297)}
    assert cells_text(imposed.pdf, 2, 2) == [[1, 1, 1, 1]]
    with pikepdf.open(__import__("io").BytesIO(imposed.pdf)) as pdf:
        forms = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Form"]
    assert len(forms) == 1


def test_bad_options_are_usage_errors():
    for text in ("0x2", "2by2", "13x1"):
        with pytest.raises(UsageError):
            parse_grid(text)
    with pytest.raises(UsageError):
        parse_creep_mm("9mm")
    assert parse_creep_mm("0.2mm") == 0.2
    with pytest.raises(UsageError):
        impose(numbered_pdf(2, A5), ImposeOptions())
    with pytest.raises(UsageError, match="too small"):
        impose(numbered_pdf(4, A4), ImposeOptions(booklet=True, sheet="A4"))


def test_cli_impose_writes_a_clean_file(tmp_path, capsys):
    source = tmp_path / "flyer.pdf"
    source.write_bytes(numbered_pdf(12, A5))
    assert main(["impose", str(source), "--booklet", "--creep", "0.2mm"]) == 0
    output = tmp_path / "flyer.booklet.pdf"
    assert "12 pages on 6 sides of 297×210 mm" in capsys.readouterr().out
    assert subprocess.run(["qpdf", "--check", str(output)], capture_output=True).returncode == 0
    assert main(["impose", str(source), "--n-up", "2x"]) == 2


@pytest.mark.slow
def test_real_booklet_imposes_to_a4_sheets_in_order(build_once, project_root):
    if not (project_root / "layouts" / "booklet" / "layout.html").is_file():
        pytest.skip("no booklet layout")
    result = build_once("nanjing-florence", layout="booklet")
    pages = result.page_count
    assert pages % 4 == 0
    imposed = impose(result.output.read_bytes(), ImposeOptions(booklet=True, job_name=result.output.name))
    assert imposed.sides == pages // 2 and imposed.blanks == 0
    assert sheet_mm(imposed.pdf) == {(297, 210)}
    source = pypdfium2.PdfDocument(str(result.output))
    first, last = (source[i].get_textpage().get_text_range().split() for i in (0, pages - 1))
    sheet = pypdfium2.PdfDocument(imposed.pdf)
    width, height = sheet[0].get_size()
    left = sheet[0].get_textpage().get_text_bounded(0, 0, width / 2, height).split()
    right = sheet[0].get_textpage().get_text_bounded(width / 2, 0, width, height).split()
    assert left[:3] == last[:3] and right[:3] == first[:3]  # back cover | front cover on the outer sheet
    source.close()
    sheet.close()


def _pdfx_identity(pdf_bytes: bytes) -> dict:
    """What makes a file PDF/X, read back with pikepdf: output intent, XMP identification, boxes per page."""
    with pikepdf.open(__import__("io").BytesIO(pdf_bytes)) as pdf:
        intents = [(str(i.S), int(i.DestOutputProfile.N)) for i in pdf.Root.get("/OutputIntents", [])]
        meta = pdf.open_metadata()
        return {"intents": intents, "version": meta.get("pdfxid:GTS_PDFXVersion"), "trapped": str(pdf.docinfo.get("/Trapped")),
                "modified": meta.get("xmp:ModifyDate"),
                "boxes": all("/TrimBox" in p.obj and "/BleedBox" in p.obj for p in pdf.pages)}


@pytest.mark.slow
def test_iso_15930_7_6_imposed_print_booklet_stays_pdf_x_4_with_boxes_per_sheet(build_once):
    """ISO 15930-7 clause 6: PDF/X output intent, XMP GTS_PDFXVersion, Info /Trapped, TrimBox and BleedBox on every page."""
    result = build_once("nanjing-florence", layout="booklet", profile="print")
    imposed = impose(result.output.read_bytes(), ImposeOptions(booklet=True, job_name=result.output.name))
    identity = _pdfx_identity(imposed.pdf)
    assert identity["intents"] == [("/GTS_PDFX", 4)] and identity["version"] == "PDF/X-4"
    assert identity["trapped"] == "/False" and identity["modified"] and identity["boxes"]
    # The A5 spread and its 3 mm bleed do not fit A4: the default sheet is SRA4, with the bleed kept.
    assert sheet_mm(imposed.pdf) == {(320, 225)} and not imposed.warnings
    with pikepdf.open(__import__("io").BytesIO(imposed.pdf)) as pdf:
        trim, bleed = (pikepdf.Rectangle(pdf.pages[0].obj[key]) for key in ("/TrimBox", "/BleedBox"))
    assert round((trim.width) / mm(1)) == 296 and (bleed.width - trim.width) / mm(1) == pytest.approx(6, abs=0.1)
    named = impose(result.output.read_bytes(), ImposeOptions(booklet=True, sheet="A4"))
    assert named.warnings and "bleed" in named.warnings[0] and "--sheet SRA4" in named.warnings[0]
    # Its own crop marks are not a figure crossing the trim (they used to warn on every sheet).
    report = preflight_pdf(imposed.pdf, "imposed.pdf", PreflightContext(profile="print", page_multiple=1))
    assert not [f for f in report.findings if f.check == "trim"], report.findings


def with_bleed(trim_mm: tuple[float, float], bleed_mm: float = 3.0) -> bytes:
    """A one-page numbered PDF of that trim size, its media box the bleed box `bleed_mm` outside the trim."""
    width, height = (mm(side + 2 * bleed_mm) for side in trim_mm)
    with pikepdf.open(__import__("io").BytesIO(numbered_pdf(1, (width, height)))) as pdf:
        pdf.pages[0].obj.TrimBox = [mm(bleed_mm), mm(bleed_mm), width - mm(bleed_mm), height - mm(bleed_mm)]
        pdf.pages[0].obj.BleedBox = [0, 0, width, height]
        out = __import__("io").BytesIO()
        pdf.save(out)
    return out.getvalue()


def test_a_grid_larger_than_a0_gets_a_sheet_not_an_error(tmp_path, capsys):
    """`impose poster-A2.print.pdf --n-up 2x2` used to exit 2 ("no sheet up to A0"): four A2 with bleed go on SRA0."""
    source = tmp_path / "poster.pdf"
    source.write_bytes(with_bleed((420, 594)))
    assert main(["impose", str(source), "--n-up", "2x2"]) == 0
    assert "on 1 sides of 900×1280 mm" in capsys.readouterr().out  # SRA0
    source.write_bytes(with_bleed((594, 841)))
    assert main(["impose", str(source), "--n-up", "2x2"]) == 0
    assert "made to measure (--sheet 1215x1709" in capsys.readouterr().err


@pytest.mark.slow
def test_preflight_reports_imposed_sheets_without_their_pdf_x_identity(build_once):
    """Strip what the imposition used to lose (output intent, XMP, a sheet's boxes): preflight names each gap."""
    from twinprint.prepress.pdfx_check import check_pdfx_identity
    from twinprint.prepress.preflight import detect_profile

    def pdfx_findings(data: bytes) -> tuple[str, list]:
        """The profile preflight reads from the file, and its PDF/X identity check alone (the full run is slow)."""
        with pikepdf.open(__import__("io").BytesIO(data)) as pdf:
            profile = detect_profile(pdf)
            return profile, check_pdfx_identity(pdf, profile)

    result = build_once("nanjing-florence", layout="booklet", profile="print")
    assert "pdfx" in result.preflight.checks
    imposed = impose(result.output.read_bytes(), ImposeOptions(booklet=True, job_name=result.output.name)).pdf
    assert pdfx_findings(imposed) == ("print", [])
    with pikepdf.open(__import__("io").BytesIO(imposed)) as pdf:
        del pdf.Root["/OutputIntents"]
        del pdf.Root["/Metadata"]
        del pdf.pages[1].obj["/TrimBox"]
        out = __import__("io").BytesIO()
        pdf.save(out)
    profile, findings = pdfx_findings(out.getvalue())
    gaps = {f.message.split(": ", 1)[1]: f.pages for f in findings}
    assert profile == "screen"  # nothing left says PDF/X: the marks say press sheets
    assert gaps == {"no PDF/X output intent (ISO 15930-7 6: output intent)": (),
                    "no pdfxid:GTS_PDFXVersion in the XMP metadata (ISO 15930-7 6: identification)": (),
                    "pages without TrimBox and BleedBox (ISO 15930-7 6: page boundaries)": (2,)}
    with pikepdf.open(__import__("io").BytesIO(imposed)) as pdf:
        del pdf.Root["/Metadata"]  # only the XMP lost: the output intent still says print
        out = __import__("io").BytesIO()
        pdf.save(out)
    profile, findings = pdfx_findings(out.getvalue())
    assert profile == "print"
    assert [f.message for f in findings] == [
        "imposed sheets without their PDF/X identity: no pdfxid:GTS_PDFXVersion in the XMP metadata (ISO 15930-7 6: identification)"]
