"""Colour, ink and bleed in print: each preflight class proven by planting its defect in a real print booklet.

Independent readers do the measuring: ghostscript's separations (total ink, plates),
poppler and MuPDF (renderer warnings), PDFium's pixels (bleed).
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from twinprint.content.i18n import localise
from twinprint.content.load import load_exhibit
from twinprint.prepress.cmyk import SMALL_TEXT_PT, rgb_to_cmyk, text_rgb_to_cmyk
from twinprint.prepress.marks import Box, mm
from twinprint.prepress.preflight import PreflightContext, content_fields, preflight_pdf
from twinprint.prepress.profiles import PROFILES, apply_profile_css, finish_pdf, profile_stylesheet
from twinprint.render.pdf import SandboxFetcher, render_pdf
from twinprint.prepress.shadings import shadings_drawn
from twinprint.prepress.textruns import text_runs

PROJECT = Path(__file__).resolve().parents[1]
CONTENT = PROJECT / "content"
PRINT = PreflightContext(profile="print", page_multiple=4)
# The Milan–Shanghai booklet: timeline band on pages 8–9, ruled notes pages (gradients) 10–11.
TIMELINE_PAGE, NOTES_PAGES = 8, (10, 11)


@pytest.fixture(scope="module")
def booklet(build_once) -> bytes:
    return build_once("milan-shanghai", layout="booklet", profile="print").output.read_bytes()


def checks(report, check: str) -> list:
    return [f for f in report.findings if f.check == check]


def edited(pdf_bytes: bytes, edit) -> bytes:
    """The PDF after `edit(pdf)`, saved again."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        edit(pdf)
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def paint(pdf: pikepdf.Pdf, page: pikepdf.Page, content: bytes) -> None:
    """Draw `content` over a page, in its default user space (origin at the trim's bottom-left)."""
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"\nQ\n" + content + b"\n"))


@pytest.mark.slow
def test_print_booklet_passes_every_colour_ink_and_bleed_check(booklet):
    report = preflight_pdf(booklet, "booklet.pdf", PRINT)
    assert report.passed, report.findings
    assert {"shadings", "renderers", "bleed", "inks", "small text"} <= set(report.checks)
    assert all(row["max_total_ink_percent"] <= 300 for row in report.inks)
    assert len(report.inks) == report.page_count
    # The notes pages' gradients are drawn, in CMYK with four values per stop.
    with pikepdf.open(io.BytesIO(booklet)) as pdf:
        drawn = [s for n in NOTES_PAGES for _, s, _ in shadings_drawn(pdf.pages[n - 1].obj, pdf.pages[n - 1].Resources)]
        assert drawn and {str(s.ColorSpace) for s in drawn if s.ColorSpace != "/DeviceGray"} == {"/DeviceCMYK"}


@pytest.mark.slow
def test_shading_whose_functions_give_rgb_in_a_cmyk_space_is_reported_on_its_pages(booklet):
    """The defect as WeasyPrint writes it for PDF/X-4: an ICC-based CMYK space, stops of three values."""
    def to_rgb_stops(pdf):
        cmyk_icc = pdf.Root.OutputIntents[0].DestOutputProfile
        for number in NOTES_PAGES:
            for _, shading, _ in shadings_drawn(pdf.pages[number - 1].obj, pdf.pages[number - 1].Resources):
                if shading.ColorSpace == "/DeviceCMYK":
                    shading.ColorSpace = pikepdf.Array([pikepdf.Name.ICCBased, cmyk_icc])
                    for stop in shading.Function.Functions:
                        stop.C0, stop.C1 = pikepdf.Array([0.85, 0.81, 0.76]), pikepdf.Array([0.85, 0.81, 0.76])

    report = preflight_pdf(edited(booklet, to_rgb_stops), "booklet.pdf", PRINT)
    (finding,) = checks(report, "shadings")
    assert finding.severity == "error" and finding.pages == NOTES_PAGES
    assert "gives 3 values" in finding.message and "ICCBased" in finding.message and "4 components" in finding.message
    # Both renderers complain about it too, on the same pages.
    assert {dict(f.details)["renderer"] for f in checks(report, "renderers")} == {"poppler", "mupdf"}
    assert all(f.pages == NOTES_PAGES for f in checks(report, "renderers"))


@pytest.mark.slow
def test_any_renderer_warning_is_an_error_with_its_page(booklet):
    """An operator neither poppler nor MuPDF knows, on page 3 only."""
    report = preflight_pdf(edited(booklet, lambda pdf: paint(pdf, pdf.pages[2], b"1 2 twinprintbogus")), "booklet.pdf", PRINT)
    found = checks(report, "renderers")
    assert {dict(f.details)["renderer"] for f in found} == {"poppler", "mupdf"}
    assert all(f.severity == "error" and f.pages == (3,) for f in found)
    assert not checks(report, "shadings")


@pytest.mark.slow
def test_band_that_stops_at_the_trim_is_reported_with_page_and_side(booklet):
    """The timeline band as it was before the fix: paper white over its part in the bleed."""
    def cut_band_at_trim(pdf):
        page = pdf.pages[TIMELINE_PAGE - 1]
        trim, bleed = Box.of(page.TrimBox), Box.of(page.BleedBox)
        paint(pdf, page, f"0 0 0 0 k {bleed.left:.2f} {trim.top:.2f} {bleed.width:.2f} {bleed.top - trim.top:.2f} re f".encode())

    report = preflight_pdf(edited(booklet, cut_band_at_trim), "booklet.pdf", PRINT)
    (finding,) = checks(report, "bleed")
    assert finding.severity == "error" and finding.pages == (TIMELINE_PAGE,)
    assert "top" in dict(finding.details) and "stops at the trim" in finding.message


@pytest.mark.slow
def test_total_ink_over_300_percent_is_reported_with_page_and_place(booklet):
    """A 20 mm square of all four inks at 100 % (400 %), 30 mm right of and 40 mm below the trim's top-left corner."""
    def rich_square(pdf):
        page = pdf.pages[1]
        trim = Box.of(page.TrimBox)
        paint(pdf, page, f"1 1 1 1 k {trim.left + mm(30):.2f} {trim.top - mm(60):.2f} {mm(20):.2f} {mm(20):.2f} re f".encode())

    report = preflight_pdf(edited(booklet, rich_square), "booklet.pdf", PRINT)
    (finding,) = checks(report, "inks")
    assert finding.severity == "error" and finding.pages == (2,)
    row = report.inks[1]
    assert row["max_total_ink_percent"] == pytest.approx(400, abs=1)
    x_mm, y_mm = row["at_mm"]
    assert 29 <= x_mm <= 51 and 39 <= y_mm <= 61  # the square, give or take a pixel
    assert "400" in finding.message


@pytest.mark.slow
def test_small_text_in_four_inks_is_reported_with_page_and_content_field(booklet):
    """A caption recoloured to the issue's four-colour grey C55 M50 Y51 K42 (198 % ink)."""
    exhibit = load_exhibit(CONTENT / "milan-shanghai")
    texts = tuple(content_fields(localise(exhibit, "en").data))
    chosen: dict = {}

    def four_colour_grey(pdf):
        for run in text_runs(pdf):
            text = run.text({})
            if run.size_pt < SMALL_TEXT_PT and len(text) > 12 and any(text in value for _, value in texts):
                chosen.update(page=run.page_index + 1, text=text)
                (key, index) = run.fill.where
                stream = next(s for s in [pdf.pages[run.page_index].obj, *pdf.objects] if getattr(s, "objgen", None) == key)
                operations = list(pikepdf.parse_content_stream(stream))
                operations[index] = pikepdf.ContentStreamInstruction([0.55, 0.50, 0.51, 0.42], pikepdf.Operator("k"))
                data = pikepdf.unparse_content_stream(operations)
                if isinstance(stream, pikepdf.Stream):
                    stream.write(data)
                else:
                    stream.Contents = pdf.make_stream(data)
                return

    report = preflight_pdf(edited(booklet, four_colour_grey), "booklet.pdf", PreflightContext("print", 4, content_texts=texts))
    (finding,) = checks(report, "small text")
    assert finding.severity == "error" and finding.pages == (chosen["page"],)
    fields = [key.removeprefix("field ") for key, _ in finding.details if key.startswith("field ")]
    assert fields and all(chosen["text"] in dict(texts)[name] for name in fields)
    assert dict(finding.details)["plates"] == "C+M+Y+K"


def print_pdf(html_body: str, folder: Path, spot_inks: dict | None = None) -> bytes:
    """A small real render through the print profile: WeasyPrint, then the CMYK pass, spot inks, boxes and marks."""
    css = "@page { size: A6; margin: 10mm }\n" + profile_stylesheet(PROFILES["print"], (PROJECT / "layouts",), 3.0)
    html = apply_profile_css(f"<html><head></head><body>{html_body}</body></html>", css)
    rendered = render_pdf(html, folder.as_uri() + "/", SandboxFetcher(allowed_roots=(folder, PROJECT))).pdf
    return finish_pdf(rendered, PROFILES["print"], spot_inks=spot_inks)[0]


def separations_inked(pdf_bytes: bytes, folder: Path, plates: tuple[str, ...] = ("Cyan", "Magenta", "Yellow", "Black")) -> dict[str, bool]:
    """Which plates ghostscript's tiffsep inks on page 1 (any pixel darker than 2 %)."""
    (folder / "in.pdf").write_bytes(pdf_bytes)
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", "-r150", "-dUseBleedBox",
                    f"-sOutputFile={folder / 'p%d.tif'}", str(folder / "in.pdf")], check=True)
    return {plate: Image.open(folder / f"p1({plate}).tif").getextrema()[0] < 250 for plate in plates}


def test_secondary_grey_and_body_text_print_on_black_alone_in_ghostscript_separations(tmp_path):
    """The theme's ink (#1d1b1a) and secondary grey (#5d5753, the 6.5 pt URLs under QR codes) as WeasyPrint writes them."""
    body = ("<p style='color:#1d1b1a;font-size:9.5pt'>Body text in the theme's ink</p>"
            "<p style='color:#5d5753;font-size:6.5pt'>https://example.org/a-caption-in-secondary-grey</p>"
            "<p style='color:#5d5753;font-size:14pt'>A large line in the same grey</p>")
    data = print_pdf(body, tmp_path)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        colours = {r.fill.values for r in text_runs(pdf)}
    assert (0.0, 0.0, 0.0, 1.0) in colours  # body text 100 K
    assert all(values[:3] == (0.0, 0.0, 0.0) for values in colours)
    assert separations_inked(data, tmp_path) == {"Cyan": False, "Magenta": False, "Yellow": False, "Black": True}


def test_small_coloured_text_takes_the_one_ink_closest_to_it_and_large_text_keeps_its_colour():
    red = (0x8C / 255, 0x2F / 255, 0x39 / 255)
    small = text_rgb_to_cmyk(*red, 8.0)
    assert sum(1 for ink in small if ink > 0) == 1 and small[1] > 0.5  # magenta alone
    assert sum(1 for ink in text_rgb_to_cmyk(*red, 14.0) if ink > 0) >= 3
    assert text_rgb_to_cmyk(0.95, 0.85, 0.69, 8.0)[2] > 0  # a warm highlight: yellow alone
    assert rgb_to_cmyk(0x5D / 255, 0x57 / 255, 0x53 / 255)[:3] != (0.0, 0.0, 0.0)  # as an area, warm grey keeps its inks…
    assert text_rgb_to_cmyk(0x5D / 255, 0x57 / 255, 0x53 / 255, 14.0)[:3] == (0.0, 0.0, 0.0)  # …as type it is black ink


@pytest.mark.slow
def test_poster_masthead_and_footer_run_on_to_the_bleed_edge_in_poppler_pixels(build_once, tmp_path):
    """Rasterised by poppler (preflight's own bleed check uses PDFium): the strip 1 mm beyond the trim matches
    the strip 1 mm inside it, across the top (masthead) and the bottom (footer)."""
    result = build_once("nanjing-florence", layout="poster", profile="print")
    assert not checks(result.preflight, "bleed")
    dpi = 36
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(result.output), str(tmp_path / "poster")], check=True)
    image = Image.open(tmp_path / "poster.png").convert("L")
    with pikepdf.open(result.output) as pdf:
        media, trim = Box.of(pdf.pages[0].MediaBox), Box.of(pdf.pages[0].TrimBox)
    scale = dpi / 72

    def row(y_pt: float) -> list[int]:
        y = round((media.top - y_pt) * scale)
        return [image.getpixel((round((x - media.left) * scale), y)) for x in range(round(trim.left) + 5, round(trim.right) - 5, 10)]

    for inside, beyond in ((trim.top - mm(1), trim.top + mm(1)), (trim.bottom + mm(1), trim.bottom - mm(1))):
        assert max(row(inside)) < 250  # the band is there at the trim…
        assert all(abs(a - b) <= 8 for a, b in zip(row(inside), row(beyond)))  # …and continues into the bleed
