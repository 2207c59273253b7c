"""Print profiles on real builds: PDF/X-4 boxes, output intent, CMYK and marks; PDF/A-3b sources; PDF/UA tags."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
import weasyprint

from pdfcheck import fonts
from twinprint.prepress.cmyk import convert_pdf_to_cmyk, icc_profile_path, rgb_to_cmyk
from twinprint.prepress.marks import Box, mm
from twinprint.prepress.pdfscan import scan_pages
from twinprint.prepress.profiles import PROFILES, apply_profile_css, source_attachments

CONTENT = Path(__file__).resolve().parents[1] / "content"
PROFILE_NAMES = list(PROFILES)


def box_mm(page: pikepdf.Page, name: str) -> tuple[float, ...]:
    return tuple(round(float(v) / mm(1), 1) for v in page.obj[name])


@pytest.fixture(scope="module")
def catalogues(build_once):
    return {name: build_once("nanjing-florence", profile=name) for name in PROFILE_NAMES}


@pytest.mark.slow
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_profile_passes_qpdf_check_and_preflight(catalogues, profile):
    result = catalogues[profile]
    check = subprocess.run(["qpdf", "--check", str(result.output)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors" in check.stdout
    assert result.preflight is not None and result.preflight.passed, result.preflight.findings


@pytest.mark.slow
def test_print_is_pdf_x4_with_fogra39_output_intent(catalogues):
    with pikepdf.open(catalogues["print"].output) as pdf:
        assert pdf.open_metadata().get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX" and str(intent.OutputConditionIdentifier) == "FOGRA39"
        profile = intent.DestOutputProfile
        assert int(profile.N) == 4
        assert hashlib.sha256(profile.read_bytes()).digest() == hashlib.sha256(icc_profile_path().read_bytes()).digest()


@pytest.mark.slow
def test_print_boxes_bleed_and_marks(catalogues):
    with pikepdf.open(catalogues["print"].output) as pdf:
        for page in pdf.pages:
            assert box_mm(page, "/TrimBox") == (0.0, 0.0, 210.0, 297.0)
            assert box_mm(page, "/BleedBox") == (-3.0, -3.0, 213.0, 300.0)
            media = Box.of(page.obj.MediaBox)
            assert media.contains(Box.of(page.obj.BleedBox).grown(mm(6)))  # room for the marks outside the bleed
    # A crop mark: the vertical line at the trim's left edge, drawn below the bleed, not inside it.
    document = pypdfium2.PdfDocument(str(catalogues["print"].output))
    page = document[0]
    left, bottom, _, _ = page.get_mediabox()
    image = page.render(scale=4).to_pil().convert("L")
    scale = 4
    x = round((0 - left) * scale)
    below_bleed = round((page.get_height() - (-mm(3) - mm(3.5) - bottom)) * scale)
    inside_bleed = round((page.get_height() - (-mm(1.5) - bottom)) * scale)
    column = [image.getpixel((x + dx, below_bleed)) for dx in range(-2, 3)]
    assert min(column) < 128, "no crop mark below the bleed at the trim's left edge"
    assert image.getpixel((x + 10, inside_bleed)) < 128  # the dark cover background runs into the bleed
    document.close()


@pytest.mark.slow
def test_print_has_no_rgb_vector_colour_and_text_is_black_ink_only(catalogues):
    with pikepdf.open(catalogues["print"].output) as pdf:
        scans = scan_pages(pdf)
        assert sum(s.rgb_colours + s.rgb_shadings + s.rgb_groups for s in scans) == 0
        assert rgb_to_cmyk(0x1D / 255, 0x1B / 255, 0x1A / 255)[:3] == (0.0, 0.0, 0.0)
        body = pikepdf.unparse_content_stream(pikepdf.parse_content_stream(pdf.pages[3]))
        assert b"0 0 0 1 k" in body.replace(b".0 ", b" ")  # body text solid black (100 K)


@pytest.mark.slow
def test_bleed_is_configurable(build_once):
    result = build_once("nanjing-florence", profile="print", bleed_mm=5.0, preflight=False)
    with pikepdf.open(result.output) as pdf:
        assert box_mm(pdf.pages[0], "/BleedBox") == (-5.0, -5.0, 215.0, 302.0)


@pytest.mark.slow
def test_archive_is_pdf_a3a_and_pdf_ua1_carrying_its_sources(catalogues):
    with pikepdf.open(catalogues["archive"].output) as pdf:
        metadata = pdf.open_metadata()
        assert metadata.get("pdfaid:part") == "3" and metadata.get("pdfaid:conformance") == "A"
        assert metadata.get("pdfuaid:part") == "1" and pdf.Root.MarkInfo.Marked and "/StructTreeRoot" in pdf.Root
        attached = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
        relationships = {str(spec.obj.get("/AFRelationship")) for spec in pdf.attachments.values()}
        assert len(pdf.Root.AF) == len(attached)
    folder = CONTENT / "nanjing-florence"
    sources = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.suffix in (".yaml", ".md")}
    assert "exhibit.yaml" in sources and any(name.endswith(".md") for name in sources)
    assert attached == sources
    assert relationships == {"/Source"}


def test_attachments_stay_inside_the_content_folder(tmp_path):
    content = tmp_path / "content"
    (content / "text").mkdir(parents=True)
    (content / "exhibit.yaml").write_text("slug: x\n")
    (content / "text" / "intro.en.md").write_text("# Hi\n")
    secret = tmp_path / "secret.md"
    secret.write_text("not content")
    (content / "text" / "leak.md").symlink_to(secret)
    names = [a.name for a in source_attachments(content)]
    assert names == ["exhibit.yaml", "text/intro.en.md"]


@pytest.mark.slow
def test_accessible_is_tagged_pdf_ua_with_language_title_alt_texts_and_bookmarks(catalogues, seed_exhibits):
    with pikepdf.open(catalogues["accessible"].output) as pdf:
        assert pdf.open_metadata().get("pdfuaid:part") == "1"
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.MarkInfo.Marked
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        assert str(pdf.docinfo.Title).startswith("Nanjing")
        roles, alts = set(), []

        def walk(element):
            if isinstance(element, pikepdf.Dictionary):
                if "/S" in element:
                    roles.add(str(element.S))
                if element.get("/S") == "/Figure" and "/Alt" in element:
                    alts.append(str(element.Alt))
                kids = element.get("/K")
                for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                    walk(kid)

        walk(pdf.Root.StructTreeRoot)
        assert pdf.Root.Outlines.Count != 0
    expected = {f.alt.text_in("en") if hasattr(f.alt, "text_in") else f.alt["en"] if isinstance(f.alt, dict) else str(f.alt)
                for s in seed_exhibits["nanjing-florence"].sections for f in s.figures}
    assert {"/H1", "/P", "/Figure"} <= roles
    assert expected and expected <= set(alts)


@pytest.mark.slow
def test_screen_is_small_subset_and_links_live(catalogues):
    screen, print_ = catalogues["screen"].output, catalogues["print"].output
    assert screen.stat().st_size < print_.stat().st_size
    assert all(row["sub"] == "yes" for row in fonts(screen))
    with pikepdf.open(screen) as pdf:
        uris = [str(a.A.URI) for page in pdf.pages for a in page.obj.get("/Annots", []) if "/A" in a and "/URI" in a.A]
    assert any(uri.startswith("https://") for uri in uris)


def test_rgb_to_cmyk_keeps_greys_on_black_ink():
    assert rgb_to_cmyk(1.0, 1.0, 1.0) == (0.0, 0.0, 0.0, 0.0)
    assert rgb_to_cmyk(0.0, 0.0, 0.0) == (0.0, 0.0, 0.0, 1.0)
    cyan, magenta, yellow, black = rgb_to_cmyk(0x8C / 255, 0x2F / 255, 0x39 / 255)  # Florence red
    assert magenta > 0.7 and cyan < magenta and yellow > 0.4


def test_conversion_leaves_no_rgb_fill_stroke_or_gradient():
    html = apply_profile_css(
        "<html><head></head><body><p style='color:#336699;border:2px solid rgb(200,0,0)'>Colour</p>"
        "<div style='height:30px;background:linear-gradient(red, blue)'></div></body></html>",
        "@page { size: A6 }")
    data = weasyprint.HTML(string=html).write_pdf()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert sum(s.rgb_colours + s.rgb_shadings for s in scan_pages(pdf)) > 0
        count = convert_pdf_to_cmyk(pdf)
        assert count.colours >= 2 and count.shadings >= 1
        assert sum(s.rgb_colours + s.rgb_shadings + s.rgb_groups for s in scan_pages(pdf)) == 0


@pytest.mark.slow
def test_poster_print_is_an_a2_pdf_x4_with_bleed_and_marks_that_passes_preflight(build_once, project_root):
    if not (project_root / "layouts" / "poster" / "layout.html").is_file():
        pytest.skip("no poster layout")
    result = build_once("nanjing-florence", layout="poster", profile="print")
    assert result.preflight is not None and result.preflight.passed, result.preflight.findings
    with pikepdf.open(result.output) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        assert box_mm(page, "/TrimBox") == (0.0, 0.0, 420.0, 594.0)
        assert box_mm(page, "/BleedBox") == (-3.0, -3.0, 423.0, 597.0)
        assert Box.of(page.obj.MediaBox).contains(Box.of(page.obj.BleedBox).grown(mm(6)))
        assert pdf.open_metadata().get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"
