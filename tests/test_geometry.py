"""Geometry read back from the page: each defect planted in a real PDF (small HTML through WeasyPrint) is reported."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from weasyprint import HTML

from twinprint.prepress.geometry import SectionFigures, geometry_problems
from twinprint.prepress.preflight import PreflightContext, preflight_pdf

PAGE = "@page { size: 100mm 100mm; margin: 10mm; } body { margin: 0; font: 10pt/14pt serif; } p { margin: 0; text-align: justify; }"
LOREM = ("Twinned cities exchange delegations students orchestras and archives every spring and autumn "
         "while the river keeps flowing under the old bridge and along the ancient wall of the city ")


def pdf_of(body: str, css: str = "") -> bytes:
    return HTML(string=f"<html><head><style>{PAGE}{css}</style></head><body>{body}</body></html>").write_pdf()


def messages(pdf: bytes, **context) -> list[str]:
    return [f"{p.severity} p{p.page}: {p.message}" for p in geometry_problems(pdf, **context)]


def png_data_uri(width: int = 40, height: int = 20) -> str:
    import base64

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#a0522d").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_clean_page_has_no_problems():
    assert messages(pdf_of(f"<p>{LOREM}</p>")) == []


def test_text_under_a_figure_is_hidden_and_named_by_field():
    pdf = pdf_of(f'<p class="years">40 years of twinning</p><img src="{png_data_uri()}" style="position: absolute; top: 0; left: 0; width: 60mm">')
    found = messages(pdf, content_texts=(("anniversary", "40 years of twinning"),))
    assert found == ["error p1: text '40 years of twinning' (field anniversary) is hidden: under a figure"]


def test_text_under_a_background_and_text_in_the_paper_colour_are_hidden():
    pdf = pdf_of('<p>Covered by a band</p><div style="position: absolute; top: 0; left: 0; width: 70mm; height: 12mm; background: #234"></div>'
                 '<p style="margin-top: 20mm; color: white">White on white</p>')
    found = messages(pdf, content_texts=(("cities[0].name", "Covered by a band"), ("subtitle", "White on white")))
    assert "error p1: text 'Covered by a band' (field cities[0].name) is hidden: under a shape or background" in found
    assert "error p1: text 'White on white' (field subtitle) is hidden: clipped, or drawn in the colour behind it" in found


def test_clipped_text_is_hidden():
    pdf = pdf_of('<div style="height: 5mm; overflow: hidden"><p>Visible first line</p><p>Clipped second line</p></div>')
    assert messages(pdf, content_texts=(("sections[0].caption", "Clipped second line"),)) == [
        "error p1: text 'Clipped second line' (field sections[0].caption) is hidden: clipped, or drawn in the colour behind it"]


def test_overprinted_text():
    pdf = pdf_of('<p style="position: absolute; top: 20mm">On the occasion of forty years</p>'
                 '<p style="position: absolute; top: 21mm; font-size: 14pt">Maria Grazia Bianchi</p>')
    assert messages(pdf, content_texts=(("recipient", "Maria Grazia Bianchi"),)) == [
        "error p1: text 'Maria Grazia Bianchi' (field recipient) overprints 'On the occasion of forty years'"]


def test_text_leaving_the_safe_area():
    pdf = pdf_of('<p style="position: absolute; top: -9mm; left: 20mm">Too near the edge</p>'
                 '<p style="position: absolute; top: 40mm; left: -12mm">Cut by the trim</p>')
    assert messages(pdf, content_texts=(("title", "Too near the edge"), ("subtitle", "Cut by the trim"))) == [
        "error p1: text 'Too near the edge' (field title) lies within 3 mm of the trim",
        "error p1: text 'Cut by the trim' (field subtitle) crosses the trim (it will be cut)"]


def test_underfull_page_but_not_a_designed_one():
    full = f"<p>{LOREM * 2}</p>"
    pdf = pdf_of(f'{full}<p style="break-before: page">Three words only.</p><div style="break-before: page">{full}</div>'
                 '<p id="designed-notes" style="break-before: page">Notes</p>')
    found = messages(pdf, content_texts=(("note", "Three words only."),))
    assert [m for m in found if "full" in m] == ["error p2: page 2 is 3% full (under 25%, last line 'Three words only.' (field note))"]


def test_short_chapter_end_before_an_opener_is_only_a_warning():
    full = f"<p>{LOREM * 2}</p>"
    pdf = pdf_of(f'{full}<p style="break-before: page">End of the chapter.</p><h2 id="next" style="break-before: page">Next</h2>{full}')
    assert [m for m in messages(pdf) if "full" in m] == [
        "warning p2: page 2 is 3% full (under 25%, last line 'End of the chapter.'): a chapter's last page"]


def test_figure_after_another_sections_heading():
    figure = f'<figure id="figure-map" style="margin: 0"><img src="{png_data_uri()}" style="width: 30mm"></figure>'
    pdf = pdf_of(f'<h2 id="first">First</h2><p>{LOREM}</p><h2 id="second">Second</h2><p>Text.</p>{figure}')
    sections = (SectionFigures("first", ("figure-map",)), SectionFigures("second", ()))
    assert messages(pdf, sections=sections) == [
        "error p1: figure 'map' (field sections[0].figures[0]) of section 'first' is placed after the heading of section 'second'"]
    assert messages(pdf, sections=(SectionFigures("second", ("figure-map",)), SectionFigures("first", ()))) == []


def _filler(mm_high: float) -> str:
    return f'<div style="height: {mm_high}mm; border-top: 1pt solid black"></div>'


def test_orphan_at_the_foot_of_a_page():
    pdf = pdf_of(f'{_filler(74)}<p style="orphans: 1">{LOREM * 2}</p>')
    orphans = [m for m in messages(pdf, content_texts=(("sections[2].body", LOREM * 2),)) if "orphan" in m]
    assert len(orphans) == 1 and orphans[0].startswith("error p1: orphan: 'Twinned cities exchange")
    assert orphans[0].endswith("(field sections[2].body), a paragraph's first line, alone at the foot of the page")


def test_widow_at_the_head_of_a_page():
    pdf = pdf_of(f'{_filler(69.5)}<p style="widows: 1">{LOREM[:100]}</p><p style="margin-top: 4mm">{LOREM}</p>')
    widows = [m for m in messages(pdf, content_texts=(("lede", LOREM[:100]),)) if "widow" in m]
    assert len(widows) == 1 and widows[0].startswith("error p2: widow: ")
    assert widows[0].endswith("(field lede), a paragraph's last line, alone at the head of the page")


def test_contents_leader_on_a_line_of_its_own():
    pdf = pdf_of('<p>01 A long contents entry</p><p>..................... 7</p>')
    assert messages(pdf, content_texts=(("sections[0].title", "A long contents entry"),)) == [
        "error p1: contents entry '01 A long contents entry' (field sections[0].title): "
        "its leader and page number sit on a line of their own"]


def test_preflight_reports_geometry_with_its_page():
    pdf = pdf_of(f'<p>{LOREM * 2}</p><p style="break-before: page">Hidden</p>'
                 '<div style="position: absolute; top: 0; left: 0; width: 70mm; height: 12mm; background: #234"></div>')
    report = preflight_pdf(pdf, "planted.pdf", PreflightContext(profile="screen"))
    geometry = [f for f in report.errors if f.check == "geometry"]
    assert ((2,), "text 'Hidden' is hidden: under a shape or background") in [(f.pages, f.message) for f in geometry]


@pytest.mark.slow
def test_seed_catalogue_cover_shows_its_anniversary_line(build_once):
    """The seed catalogue's cover hid '40 years of twinning' under its hero: now every line of it shows."""
    result = build_once("nanjing-florence", "catalogue", "en")
    assert not [f for f in result.preflight.findings if f.check == "geometry" and f.severity == "error"]
    from twinprint.prepress.pagegeometry import read_geometry

    cover = read_geometry(result.output.read_bytes())[0]
    line = next(l for l in cover.lines if l.text == "40 years of twinning")
    assert all(g.visible for g in line.inked)


def test_figure_pushed_to_the_next_page_leaves_its_page_half_empty():
    """A figure too tall for the rest of the page moves whole to the next one: the page above is reported, with the figure's field."""
    def document(figure_mm: float) -> bytes:
        figure = f'<figure id="figure-bridge" style="margin: 0"><img src="{png_data_uri(40, 40)}" style="height: {figure_mm}mm"></figure>'
        return pdf_of(f'<h2 id="river" style="margin: 0">River</h2><p>{LOREM}</p>{figure}<p>{LOREM * 3}</p>')

    sections = (SectionFigures("intro", ()), SectionFigures("river", ("figure-bridge",)))
    found = [m for m in messages(document(62), sections=sections) if "opens page" in m]
    assert len(found) == 1 and found[0].startswith("error p1: page 1 ends at ")
    assert "figure 'bridge' (field sections[1].figures[0]) did not fit the" in found[0] and found[0].count("opens page 2") == 1
    assert [m for m in messages(document(30), sections=sections) if "opens page" in m] == []


def test_latin_letters_in_the_cjk_face():
    """An English fallback set in the CJK face alone (its Latin glyphs) is reported; set in the Latin face it is not."""
    cjk = '@font-face { font-family: "CJK only"; src: local("NotoSansCJKsc-Regular"); }'
    pdf = pdf_of('<p lang="zh-Hans" style="font-family: \'CJK only\'">南京 Culture Week 佛罗伦萨</p>'
                 '<p lang="zh-Hans" style="font-family: serif">南京 Florence</p>', cjk)
    assert messages(pdf, content_texts=(("sections[0].title", "Culture Week"),)) == [
        "error p1: Latin text 'Culture Week' (field sections[0].title) is set in the CJK face CJK-only: "
        "expected the Latin face (tag it with its lang, or name the Latin family first)"]


def test_text_leaving_its_box():
    """A card too narrow for a name (the line runs past its edge) and too low for its text (lines run out below)."""
    card = "background: #e8e0d0; padding: 2mm; font-size: 9pt; line-height: 12pt"
    pdf = pdf_of(f'<div style="{card}; width: 30mm; white-space: nowrap">Delegation of the City of Florence</div>'
                 f'<div style="{card}; width: 60mm; height: 10mm; margin-top: 10mm">{LOREM}</div>'
                 f'<div style="{card}; width: 60mm; margin-top: 25mm">A card that holds its text</div>')
    found = messages(pdf, content_texts=(("prepared_for", "Delegation of the City of Florence"), ("sections[0].body", LOREM)))
    assert found == ["error p1: text 'Delegation of the City of Florence' (field prepared_for) runs past the edge of its box "
                     "(12 of 29 characters outside)",
                     "error p1: text 'river keeps flowing under the old' (field sections[0].body) runs out below its box"]
