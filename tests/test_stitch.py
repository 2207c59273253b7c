"""Stitching chunk PDFs: the stitched file is what a whole-document render would have been.

Real WeasyPrint renders (the shipped Latin fonts and the system Noto Serif CJK), read back with tools that
did not write them: poppler (pdftotext, pdffonts, pdftoppm), MuPDF (mutool), qpdf, pypdf.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pikepdf
import pypdf
import pytest
import weasyprint
from PIL import Image, ImageChops

from pdfcheck import fonts as pdffonts_rows, outline_titles, whole_text
from weasyprint.text.fonts import FontConfiguration

from twinprint.build import render_exhibit_html, sandbox_for
from twinprint.prepress.fontprograms import check_font_programs
from twinprint.prepress.pdfscan import font_descriptor, scan_pages
from twinprint.render.stitch import Chunk, FontUnion, StitchError, keep_links_to_other_chunks, stitch_chunks
from twinprint.request import BuildRequest

PROJECT = Path(__file__).resolve().parents[1]
FONTS = (PROJECT / "fonts").as_uri()
CSS = f"""
@font-face {{ font-family: "TP Serif"; src: url("{FONTS}/NotoSerif-Regular.ttf"); }}
@font-face {{ font-family: "TP Serif"; src: url("{FONTS}/NotoSerif-Bold.ttf"); font-weight: 700; }}
@font-face {{ font-family: "TP CJK"; src: local("NotoSerifCJKsc-Regular"); unicode-range: U+02B0-10FFFF; }}
@font-face {{ font-family: "TP CJK"; src: local("NotoSerifCJKsc-Bold"); unicode-range: U+02B0-10FFFF; font-weight: 700; }}
@page {{ size: A6; margin: 12mm; @bottom-center {{ content: counter(page); font-family: "TP Serif"; }} }}
body {{ font-family: "TP Serif", "TP CJK"; font-size: 10pt }}
h1 {{ bookmark-level: 1; font-size: 14pt }} h2 {{ bookmark-level: 2; font-size: 11pt }}
section {{ break-before: page }}
"""
TEXT = "南京与佛罗伦萨的友好城市关系始于一九八七年。两座城市在文化、艺术、教育和经济领域开展了广泛的交流与合作。"
SECTIONS = 10
FONT_CONFIG = FontConfiguration()


def own_characters(index: int) -> str:
    """Thirty CJK characters no other section uses: each chunk's subset differs."""
    return "".join(chr(0x4E00 + 60 * index + k) for k in range(30))


def contents() -> str:
    items = "".join(f'<li><a href="#s{i}">Section {i}</a></li>' for i in range(SECTIONS))
    return f'<h1 id="contents">目录 Contents</h1><ul>{items}</ul>'


def section(index: int) -> str:
    following = (index + 1) % SECTIONS
    return (f'<section><h1 id="s{index}">第{index}部分 Section {index}</h1><h2 id="s{index}-a">Part {index}a</h2>'
            f'<p>{TEXT[index % 7:] * 2} Firenze {index}. {own_characters(index)}</p>'
            f'<p><a href="#s{following}">to section {following}</a> <a href="#contents">contents</a></p>'
            f'<h2 id="s{index}-b" style="break-before: page">Part {index}b</h2><p>{TEXT[::-1][index:]}</p></section>')


def html(body: str, first_page: int = 0) -> str:
    # The page counter carries on from the chunks before, as the chunk renderer sets it.
    start = f"@page :first {{ counter-reset: page {first_page + 1} }}" if first_page else ""
    return (f'<html lang="zh"><head><style>{CSS}{start}</style><title>Stitch</title></head>'
            f"<body>{body}</body></html>")


def render_chunks(bodies: list[str], folder: Path, union: FontUnion | None, first: int = 0) -> list[Chunk]:
    folder.mkdir(exist_ok=True)
    chunks = []
    for index, body in enumerate(bodies):
        # As a batch worker renders: one font configuration for all its documents.
        document = weasyprint.HTML(string=html(body, first)).render(font_config=FONT_CONFIG)
        keep_links_to_other_chunks(document)
        if union is not None:
            union.collect(document)
        path = folder / f"chunk{index}.pdf"
        document.write_pdf(path)
        chunks.append(Chunk(path, first))
        first += len(document.pages)
    return chunks


@pytest.fixture(scope="module")
def stitched(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Front matter (the contents, linking into every chunk) and ten sections: whole, chunks, stitched."""
    folder = tmp_path_factory.mktemp("stitch")
    bodies = [contents()] + [section(i) for i in range(SECTIONS)]
    weasyprint.HTML(string=html("".join(bodies))).write_pdf(folder / "whole.pdf", font_config=FONT_CONFIG)
    union = FontUnion()
    chunks = render_chunks(bodies, folder, union)
    pages = stitch_chunks(chunks, folder / "stitched.pdf", union)
    stitch_chunks(chunks, folder / "naive.pdf")
    return {"folder": folder, "chunks": chunks, "pages": pages, "whole": folder / "whole.pdf",
            "stitched": folder / "stitched.pdf", "naive": folder / "naive.pdf"}


def font_programs(path: Path) -> dict[str, int]:
    """BaseFont -> number of embedded font program streams for it."""
    counts: dict[str, int] = {}
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                if any(key in obj for key in ("/FontFile2", "/FontFile3")):
                    counts[str(obj.FontName)] = counts.get(str(obj.FontName), 0) + 1
        programs = {(obj.get("/FontFile2") or obj.get("/FontFile3")).objgen for obj in pdf.objects
                    if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor"}
    counts["streams"] = len(programs)
    return counts


def test_pages_in_order_with_every_chunks_text(stitched: dict) -> None:
    chunk_texts = "".join(whole_text(chunk.pdf) for chunk in stitched["chunks"])
    assert stitched["pages"] == len(pikepdf.open(stitched["whole"]).pages) == 21
    assert whole_text(stitched["stitched"]) == chunk_texts == whole_text(stitched["whole"])


def test_one_font_program_per_font(stitched: dict) -> None:
    counts = font_programs(stitched["stitched"])
    names = [row["name"] for row in pdffonts_rows(stitched["stitched"])]
    assert len(names) == len(set(names)) == 4  # font dictionaries merged too: pdffonts lists each font once
    assert sorted(names) == sorted(row["name"] for row in pdffonts_rows(stitched["whole"]))
    assert counts["streams"] == 4 and all(count == 1 for name, count in counts.items() if name != "streams")
    # The union subset is the program the whole render embeds, byte for byte.
    assert _program_bytes(stitched["stitched"]) == _program_bytes(stitched["whole"])
    # Without a FontUnion, each chunk keeps its dictionaries; only identical programs are shared.
    naive = font_programs(stitched["naive"])
    assert naive["/" + _cjk_name(stitched["stitched"])] == len(stitched["chunks"]) - 1  # the contents has no own CJK
    assert naive["streams"] < sum(count for name, count in naive.items() if name != "streams")


def _cjk_name(path: Path) -> str:
    return next(row["name"] for row in pdffonts_rows(path) if row["name"].endswith("+TP-CJK"))


def _program_bytes(path: Path) -> dict[str, bytes]:
    with pikepdf.open(path) as pdf:
        return {str(obj.FontName): (obj.get("/FontFile2") or obj.get("/FontFile3")).read_bytes() for obj in pdf.objects
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor"}


def test_chunks_cached_from_an_earlier_run_keep_their_glyphs(stitched: dict, tmp_path: Path) -> None:
    """After a one-section edit only that chunk is rendered (and collected) again: the union still holds
    every chunk's glyphs, read from the cached chunk PDFs."""
    chunks = list(stitched["chunks"])
    union = FontUnion()
    chunks[5] = render_chunks([section(4)], tmp_path, union, chunks[5].first_page)[0]
    stitch_chunks(chunks, tmp_path / "stitched.pdf", union)
    assert _program_bytes(tmp_path / "stitched.pdf") == _program_bytes(stitched["whole"])
    with pikepdf.open(tmp_path / "stitched.pdf") as pdf:
        assert check_font_programs(scan_pages(pdf)) == []


def test_without_a_union_identical_programs_are_shared(tmp_path: Path) -> None:
    # The same section twice, both numbered from page 1: every program is byte-identical in the two chunks.
    chunks = render_chunks([section(3)], tmp_path, None) + render_chunks([section(3)], tmp_path / "again", None)
    chunks[1].first_page = 2
    stitch_chunks(chunks, tmp_path / "out.pdf")
    counts = font_programs(tmp_path / "out.pdf")
    assert counts["/" + _cjk_name(tmp_path / "out.pdf")] == 2  # two dictionaries (one per chunk) ...
    assert counts["streams"] == 4  # ... sharing one program: four fonts, four programs
    assert whole_text(tmp_path / "out.pdf") == "".join(whole_text(chunk.pdf) for chunk in chunks)


def test_a_font_with_missing_glyphs_keeps_its_own_dictionary(tmp_path: Path) -> None:
    """WeasyPrint numbers a missing glyph differently in each chunk: that chunk's font is not merged."""
    union = FontUnion()
    chunks = render_chunks([section(1).replace("Part 1a", "Part 1a \U00013000"), section(2)], tmp_path, union)
    stitch_chunks(chunks, tmp_path / "out.pdf", union)
    names = [row["name"] for row in pdffonts_rows(tmp_path / "out.pdf")]
    assert len(names) == len(set(names)) + 1  # one font twice: the chunk with the missing glyph keeps its own
    subprocess.run(["qpdf", "--check", str(tmp_path / "out.pdf")], check=True, capture_output=True)
    from_chunks = [image for index, chunk in enumerate(chunks) for image in rasters(chunk.pdf, tmp_path / f"c{index}")]
    assert_same_images(rasters(tmp_path / "out.pdf", tmp_path / "out"), from_chunks)


def test_sound_for_qpdf_and_mupdf(stitched: dict) -> None:
    for path in (stitched["stitched"], stitched["naive"]):
        subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
        drawn = subprocess.run(["mutool", "draw", "-o", "/dev/null", str(path)], capture_output=True, text=True)
        warnings = [line for line in (drawn.stdout + drawn.stderr).splitlines()
                    if line and not line.startswith("page ") and "ICC support is not available" not in line]
        assert drawn.returncode == 0 and warnings == [], warnings


def rasters(path: Path, prefix: Path) -> list[Image.Image]:
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(prefix)], check=True)
    return [Image.open(png).convert("L") for png in sorted(prefix.parent.glob(prefix.name + "-*.png"))]


def assert_same_images(first: list[Image.Image], second: list[Image.Image]) -> None:
    assert len(first) == len(second)
    for number, (a, b) in enumerate(zip(first, second), start=1):
        assert a.size == b.size, number
        differing = sum(ImageChops.difference(a, b).histogram()[65:])
        assert differing <= a.size[0] * a.size[1] // 1000, f"page {number}: {differing} pixels differ"


def test_every_glyph_renders_as_in_the_chunks(stitched: dict) -> None:
    folder = stitched["folder"]
    from_chunks = [image for index, chunk in enumerate(stitched["chunks"])
                   for image in rasters(chunk.pdf, folder / f"c{index}")]
    assert_same_images(rasters(stitched["stitched"], folder / "stitched"), from_chunks)
    assert_same_images(rasters(stitched["whole"], folder / "whole"), from_chunks)


def mutool_outline(path: Path) -> str:
    """The outline as MuPDF prints it: nesting, open state, title and destination of every entry."""
    return subprocess.run(["mutool", "show", str(path), "outline"], check=True, capture_output=True, text=True).stdout


def test_one_outline_in_order_on_the_right_pages(stitched: dict) -> None:
    titles = outline_titles(stitched["stitched"])
    assert titles == outline_titles(stitched["whole"])
    assert mutool_outline(stitched["stitched"]) == mutool_outline(stitched["whole"])
    assert titles[0] == ("目录 Contents", 1)
    assert [t for t in titles if t[0].startswith("第")] == [(f"第{i}部分 Section {i}", 2 + 2 * i) for i in range(SECTIONS)]
    assert ("Part 9b", 21) in titles


def link_targets(path: Path) -> list[tuple[int, str, int]]:
    """(1-based page of the link, destination name, 1-based page it lands on; or its URI, 0), read by pypdf."""
    reader = pypdf.PdfReader(str(path))
    dests = {name: reader.get_destination_page_number(dest) + 1 for name, dest in reader.named_destinations.items()}
    found = []
    for number, page in enumerate(reader.pages, start=1):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if "/A" in annot:  # a web link
                assert not str(annot["/A"]["/URI"]).startswith("#"), "a URI link to #anchor left over"
                found.append((number, str(annot["/A"]["/URI"]), 0))
            else:
                found.append((number, str(annot["/Dest"]), dests[str(annot["/Dest"])]))
    return found


def test_links_across_chunks_land_on_their_target_page(stitched: dict) -> None:
    links = link_targets(stitched["stitched"])
    assert links == link_targets(stitched["whole"])
    assert [(1, f"s{i}", 2 + 2 * i) for i in range(SECTIONS)] == [link for link in links if link[0] == 1]
    assert (2, "s1", 4) in links and (20, "s0", 2) in links and (20, "contents", 1) in links
    reader = pypdf.PdfReader(str(stitched["stitched"]))
    assert len(reader.named_destinations) == len(pypdf.PdfReader(str(stitched["whole"])).named_destinations)


def test_ten_chunks_are_about_the_size_of_the_whole_render(stitched: dict) -> None:
    sizes = {name: stitched[name].stat().st_size for name in ("whole", "stitched", "naive")}
    print(f"\n11 chunks, CJK: whole {sizes['whole']} B, stitched (subset once) {sizes['stitched']} B "
          f"({sizes['stitched'] / sizes['whole']:.3f}x), naive {sizes['naive']} B ({sizes['naive'] / sizes['whole']:.2f}x)")
    assert sizes["stitched"] <= 1.05 * sizes["whole"]
    assert sizes["naive"] > 3 * sizes["whole"]  # what subsetting once saves


def plant_one_chunks_program(stitched: Path, chunk: Path, font: str, broken: Path) -> None:
    """The defect: the shared program of `font` replaced by the subset of one chunk only."""
    with pikepdf.open(stitched) as pdf, pikepdf.open(chunk) as source:
        entry = "/FontFile3" if font.endswith("CJK") else "/FontFile2"
        _descriptor_of(pdf, font)[entry].write(_descriptor_of(source, font)[entry].read_bytes())
        pdf.save(broken)


def _descriptor_of(pdf: pikepdf.Pdf, font: str) -> pikepdf.Object:
    for page in pdf.pages:
        for candidate in page.Resources.Font.values():
            if str(candidate.BaseFont).endswith(font):
                return font_descriptor(candidate)
    raise AssertionError(f"no font {font}")


def test_a_font_stream_missing_glyphs_is_reported(stitched: dict, tmp_path: Path) -> None:
    with pikepdf.open(stitched["stitched"]) as pdf:
        assert check_font_programs(scan_pages(pdf)) == []
    plant_one_chunks_program(stitched["stitched"], stitched["chunks"][1].pdf, "+TP-CJK", tmp_path / "cff.pdf")
    with pikepdf.open(tmp_path / "cff.pdf") as broken:
        (finding,) = check_font_programs(scan_pages(broken))
    assert finding.check == "font programs" and finding.severity == "error"
    assert "TP-CJK" in finding.message and own_characters(5)[0] in dict(finding.details)["characters"]
    assert own_characters(0)[0] not in dict(finding.details)["characters"]  # the chunk's own glyphs are there
    assert finding.pages == tuple(range(4, 22, 2))  # the first page of every other section
    # A TrueType program too: section 1's chunk (pages 4-5) never sets a 9 in the regular Latin face.
    plant_one_chunks_program(stitched["stitched"], stitched["chunks"][2].pdf, "+TP-Serif", tmp_path / "ttf.pdf")
    with pikepdf.open(tmp_path / "ttf.pdf") as broken:
        (finding,) = check_font_programs(scan_pages(broken))
    assert "font TP-Serif:" in finding.message and "9" in dict(finding.details)["characters"]


def test_chunks_out_of_order_or_tagged_are_refused(stitched: dict, tmp_path: Path) -> None:
    first, second = stitched["chunks"][:2]
    with pytest.raises(StitchError, match=r"chunk1\.pdf: first_page is 5, .*\(expected first_page 1\)"):
        stitch_chunks([first, Chunk(second.pdf, 5)], tmp_path / "out.pdf")
    tagged = tmp_path / "tagged.pdf"
    weasyprint.HTML(string=html(section(0))).write_pdf(tagged, pdf_tags=True)
    with pytest.raises(StitchError, match=r"tagged\.pdf: the chunk has a structure tree"):
        stitch_chunks([Chunk(tagged, 0)], tmp_path / "out.pdf")
    assert list(tmp_path.glob("*stitching*")) == [] and not (tmp_path / "out.pdf").exists()


def test_page_labels_and_document_entries_carry_over(stitched: dict, tmp_path: Path) -> None:
    front, *rest = stitched["chunks"][:3]
    with pikepdf.open(front.pdf) as pdf:
        pdf.Root.PageLabels = pikepdf.Dictionary(Nums=[0, pikepdf.Dictionary(S=pikepdf.Name.r)])
        pdf.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
        pdf.save(tmp_path / "front.pdf")
    stitch_chunks([Chunk(tmp_path / "front.pdf", 0), *rest], tmp_path / "out.pdf")
    reader = pypdf.PdfReader(str(tmp_path / "out.pdf"))
    assert reader.page_labels == ["i", "2", "3", "4", "5"]
    assert reader.trailer["/Root"]["/Lang"] == "zh" and reader.metadata.title == "Stitch"
    assert bool(reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"])


def test_a_link_to_an_anchor_in_no_chunk_is_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    chunks = render_chunks([section(0), '<p><a href="#nowhere">lost</a> <a href="#s0">found</a></p>'], tmp_path, None)
    with caplog.at_level(logging.WARNING):
        stitch_chunks(chunks, tmp_path / "out.pdf")
    assert "page 3: no anchor #nowhere in any chunk" in caplog.text
    assert link_targets(tmp_path / "out.pdf") == [(3, "s0", 1)]  # section 0's links to #s1, #contents go too


def test_seed_catalogue_split_into_chunks_stitches_to_the_whole(tmp_path: Path, seed_exhibits: dict) -> None:
    """The zh catalogue of a seed, laid out once, written whole and as four chunks of its pages."""
    request = BuildRequest(PROJECT / "content" / "nanjing-florence", "catalogue", "zh", tmp_path, PROJECT)
    markup, _ = render_exhibit_html(seed_exhibits["nanjing-florence"], request)
    base_url = (PROJECT / "content" / "nanjing-florence").as_uri() + "/"
    document = weasyprint.HTML(string=markup, base_url=base_url, url_fetcher=sandbox_for(request)).render()
    document.write_pdf(tmp_path / "whole.pdf")
    count = len(document.pages)
    cuts = [0, 1, count // 3, 2 * count // 3, count]
    union, chunks = FontUnion(), []
    for index, (start, end) in enumerate(zip(cuts, cuts[1:])):
        part = document.copy(document.pages[start:end])
        keep_links_to_other_chunks(part)
        union.collect(part)
        part.write_pdf(tmp_path / f"part{index}.pdf")
        chunks.append(Chunk(tmp_path / f"part{index}.pdf", start))
    assert stitch_chunks(chunks, tmp_path / "stitched.pdf", union) == count
    whole, stitched_file = tmp_path / "whole.pdf", tmp_path / "stitched.pdf"
    subprocess.run(["qpdf", "--check", str(stitched_file)], check=True, capture_output=True)
    assert whole_text(stitched_file) == whole_text(whole)
    assert outline_titles(stitched_file) == outline_titles(whole)
    assert mutool_outline(stitched_file) == mutool_outline(whole)
    assert link_targets(stitched_file) == link_targets(whole)
    assert sorted(row["name"] for row in pdffonts_rows(stitched_file)) == sorted(row["name"] for row in pdffonts_rows(whole))
    assert_same_images(rasters(stitched_file, tmp_path / "s"), rasters(whole, tmp_path / "w"))
    assert stitched_file.stat().st_size <= 1.05 * whole.stat().st_size
