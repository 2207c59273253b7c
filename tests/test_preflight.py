"""Preflight on real renders: missing glyphs named with their fields, fonts, image resolution, colour, trim, QR, boxes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import weasyprint
from PIL import Image
from reportlab.lib.pagesizes import A5

from synthpdf import numbered_pdf
from twinprint.build import BuildRequest, build_document
from twinprint.cli import main
from twinprint.layout.templates import qr_placeholder
from twinprint.prepress.marks import mm
from twinprint.prepress.preflight import ExpectedQr, PreflightContext, PreflightFailed, preflight_pdf
from twinprint.render.pdf import SandboxFetcher, render_pdf
from twinprint.prepress.profiles import PROFILES, apply_profile_css, profile_stylesheet

PROJECT = Path(__file__).resolve().parents[1]


def checks(report, check: str) -> list:
    return [f for f in report.findings if f.check == check]


def render(html_body: str, folder: Path, profile: str = "screen", page: str = "A6") -> bytes:
    """A small real WeasyPrint render through the project's sandbox, with a profile's stylesheet."""
    css = f"@page {{ size: {page}; margin: 10mm }}\n" + profile_stylesheet(PROFILES[profile], (PROJECT / "layouts",), 3.0)
    html = apply_profile_css(f"<html><head></head><body>{html_body}</body></html>", css)
    fetcher = SandboxFetcher(allowed_roots=(folder, PROJECT))
    return render_pdf(html, folder.as_uri() + "/", fetcher).pdf


@pytest.mark.slow
def test_chinese_without_a_cjk_font_is_reported_with_characters_and_fields(tmp_path, monkeypatch):
    """The zh catalogue with the CJK faces pointed at a Latin font and no CJK font on the font path."""
    layouts = tmp_path / "project" / "layouts"
    layouts.mkdir(parents=True)
    fonts_css = (PROJECT / "layouts" / "fonts.css").read_text()
    for face in ("Serif", "Sans"):
        for weight in ("Regular", "Bold"):
            fonts_css = fonts_css.replace(f'local("Noto{face}CJKsc-{weight}")', f'url("{{{{ fonts_url }}}}Noto{face}-{weight}.ttf")')
    assert "local(" not in fonts_css
    (layouts / "fonts.css").write_text(fonts_css)
    config = tmp_path / "fonts.conf"
    config.write_text(f'<?xml version="1.0"?><fontconfig><dir>{PROJECT / "fonts"}</dir>'
                      f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>')
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    request = BuildRequest(PROJECT / "content" / "nanjing-florence", "catalogue", "zh", tmp_path / "build", tmp_path / "project")
    with pytest.raises(PreflightFailed) as failed:
        build_document(request)
    (glyphs,) = checks(failed.value.report, "glyphs")
    assert glyphs.severity == "error"
    details = dict(glyphs.details)
    assert set("南京佛罗伦萨") <= set(details["characters"])  # the cities' Chinese names, on the cover
    assert details["cities[0].name"] == "".join(sorted("南京")) and set(details["cities[1].name"]) == set("佛罗伦萨")
    assert "、 (U+3001)" in glyphs.message and "by field: title:" in glyphs.message
    assert 1 in glyphs.pages
    assert failed.value.report.file.endswith("catalogue.zh.pdf")
    assert (tmp_path / "build" / "nanjing-florence" / "catalogue.zh.pdf").is_file()  # kept for inspection


@pytest.mark.slow
def test_zh_catalogue_with_its_fonts_passes(build_once):
    result = build_once("nanjing-florence", language="zh")
    assert result.preflight is not None and not checks(result.preflight, "glyphs")


def test_fonts_not_embedded_and_missing_boxes():
    data = numbered_pdf(2, A5)
    screen = preflight_pdf(data, "synthetic.pdf", PreflightContext(profile="screen"))
    assert "font not embedded: Helvetica-Bold" in [f.message for f in checks(screen, "fonts")]
    assert {f.severity for f in checks(screen, "boxes")} == {"warning"}
    printed = preflight_pdf(data, "synthetic.pdf", PreflightContext(profile="print"))
    messages = {f.message for f in printed.errors}
    assert {"no TrimBox", "no BleedBox", "no PDF/X output intent with a CMYK ICC profile"} <= messages


def test_booklet_page_count_must_be_a_multiple_of_four():
    report = preflight_pdf(numbered_pdf(6, A5), "six.pdf", PreflightContext(page_multiple=4))
    assert [f.message for f in checks(report, "pages")] == ["6 pages: a booklet needs a multiple of 4"]
    assert not checks(preflight_pdf(numbered_pdf(8, A5), "eight.pdf", PreflightContext(page_multiple=4)), "pages")


def test_image_resolution_and_rgb_images_in_print(tmp_path):
    Image.new("RGB", (300, 200), (190, 40, 50)).save(tmp_path / "photo.png")
    body = ('<img src="photo.png" style="width:101.6mm">'  # 4 in: 75 dpi
            '<img src="photo.png" style="width:40.64mm">'  # 1.6 in: 187.5 dpi
            '<img src="photo.png" style="width:25.4mm">')  # 1 in: 300 dpi
    data = render(body, tmp_path, "print", page="A4")
    report = preflight_pdf(data, "photos.pdf", PreflightContext(profile="print"))
    images = sorted((f.severity, f.message.split(": ")[1]) for f in checks(report, "images"))
    assert images == [("error", "75 dpi (under 150)"), ("warning", "187 dpi (under 300)")]
    (rgb,) = [f for f in checks(report, "colour") if "RGB images" in f.message]
    assert rgb.severity == "warning" and rgb.message.startswith("3 RGB images")
    assert not checks(preflight_pdf(data, "photos.pdf", PreflightContext(profile="screen")), "images")


def test_rgb_vector_colour_is_an_error_in_print(tmp_path):
    data = render('<p style="color: rgb(0, 90, 200)">Blue text</p>', tmp_path, "screen")
    report = preflight_pdf(data, "blue.pdf", PreflightContext(profile="print"))
    assert any(f.check == "colour" and f.severity == "error" and "RGB colours" in f.message for f in report.findings)


def test_text_crossing_the_trim_and_short_figures_in_print(tmp_path):
    Image.new("RGB", (1200, 1200), (20, 90, 60)).save(tmp_path / "square.png")
    body = ('<p style="position:absolute; left:-14mm; top:20mm; margin:0">Cut off</p>'
            '<img src="square.png" style="position:absolute; left:-11mm; top:60mm; width:20mm">'  # 1 mm short of the bleed
            '<img src="square.png" style="position:absolute; left:-13mm; top:90mm; width:20mm">'  # into the bleed: fine
            '<p>Safe text</p>')
    data = render(body, tmp_path, "print")
    report = preflight_pdf(data, "trim.pdf", PreflightContext(profile="print"))
    trim = {(f.severity, f.message) for f in checks(report, "trim")}
    assert ("error", "text crosses or lies outside the trim (it will be cut)") in trim
    assert ("warning", "figure crosses the trim but stops short of the bleed edge (a white sliver may show)") in trim
    assert len(trim) == 2


def test_qr_codes_decode_to_their_url_and_are_big_enough(tmp_path):
    url = "https://example.org/twinning/nanjing-florence"
    body = f"<style>.qr {{ display: block; margin: 5mm 0 }}</style>{qr_placeholder(url, 25)}{qr_placeholder(url + '/small', 12)}"
    data = render(body, tmp_path, "screen", page="A5")
    context = PreflightContext(expected_qr=(ExpectedQr(0, url, 25), ExpectedQr(0, url + "/small", 12),
                                            ExpectedQr(0, "https://example.org/missing", 25)))
    report = preflight_pdf(data, "qr.pdf", context)
    messages = [f.message for f in checks(report, "qr")]
    assert len(messages) == 2, messages
    small = re.match(rf"QR code for {url}/small is (\d+\.\d) mm, under the 20 mm", messages[0])
    assert small and abs(float(small.group(1)) - 12) <= 1, messages[0]
    assert messages[1].startswith("QR code for https://example.org/missing does not decode at 150 dpi")


def test_cli_preflight_exit_codes_table_and_json(tmp_path, capsys):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(numbered_pdf(6, A5))
    assert main(["preflight", str(bad), "--json"]) == 1
    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["profile"] == "screen" and report["passed"] is False
    assert {f["message"] for f in report["findings"] if f["severity"] == "error"} == {
        "font not embedded: Helvetica", "font not embedded: Helvetica-Bold"}
    assert main(["preflight", str(bad), "--json", "--layout", "booklet"]) == 1
    booklet = json.loads(capsys.readouterr().out)
    assert [f["pages"] for f in booklet["findings"] if f["check"] == "pages"] == [[]]
    assert main(["preflight", str(bad), "--profile", "print"]) == 1
    table = capsys.readouterr().out
    assert "font not embedded: Helvetica-Bold" in table and "preflight FAILED (print)" in table
    assert main(["preflight", str(tmp_path / "none.pdf")]) == 2


@pytest.mark.slow
def test_cli_preflight_reads_the_profile_from_the_pdf(build_once, capsys):
    result = build_once("nanjing-florence", profile="print")
    assert main(["preflight", str(result.output)]) == 0
    assert "preflight passed (print): 0 errors" in capsys.readouterr().out


def page_with_drawing_form(drawing: bytes) -> bytes:
    """An A5 page (3 mm bleed, marks room) whose only content is a form XObject of the given path operators."""
    import io

    import pikepdf

    pdf = pikepdf.new()
    width, height = mm(148 + 26), mm(210 + 26)
    form = pdf.make_stream(drawing, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, width, height])
    page = pdf.add_blank_page(page_size=(width, height))
    page.obj.TrimBox = [mm(13), mm(13), width - mm(13), height - mm(13)]
    page.obj.BleedBox = [mm(10), mm(10), width - mm(10), height - mm(10)]
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form))
    page.obj.Contents = pdf.make_stream(b"q /Fm0 Do Q")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_drawing_is_judged_by_its_lines_not_by_the_box_around_them():
    """Crop marks left and right of the trim span it as a whole (an imposed sheet used to warn); a bar short of the bleed still warns."""
    left, right = mm(2), mm(148 + 24)
    marks = b" ".join(f"0.5 w 0 0 0 1 K {left} {y} m {mm(9)} {y} l S {mm(165)} {y} m {right} {y} l S".encode()
                      for y in (mm(13), mm(210 + 13)))
    assert not checks(preflight_pdf(page_with_drawing_form(marks), "marks.pdf", PreflightContext(profile="print")), "trim")
    short_bar = marks + f" 0 0 0 1 k {mm(11.5)} {mm(50)} {mm(30)} {mm(20)} re f".encode()
    trim = checks(preflight_pdf(page_with_drawing_form(short_bar), "bar.pdf", PreflightContext(profile="print")), "trim")
    assert [(f.severity, f.pages) for f in trim] == [("warning", (1,))] and "stops short of the bleed" in trim[0].message
