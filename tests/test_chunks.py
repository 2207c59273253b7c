"""Chunked rendering gives the pages a whole-document render gives: text, rasters, contents, links, bookmarks.

Both sides are real renders read back with poppler (pdftotext, pdftoppm) and pikepdf; the seeds
are cut into many small chunks (a few sections each) so that every cut, the contents and the
links cross chunk boundaries.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from conftest import CONTENT, PROJECT_ROOT
from corpus import random_spec, write_exhibit, write_long_catalogue
from pdfcheck import outline_titles
from twinprint.build import BuildRequest, build_document, render_exhibit_html, sandbox_for
from twinprint.content.load import load_exhibit
from twinprint.layout.fit import LayoutOverflow, find_overflows
from twinprint.render import chunks
from twinprint.render.chunks import render_chunked, split_document
from twinprint.render.pdf import render_pdf

pytestmark = pytest.mark.slow

SMALL_CHUNKS = 3_000  # bytes of HTML: a seed's sections each become a chunk or two
RASTER_DPI = 30
# Anti-aliasing only: a channel may differ by this much, on at most this share of a page's pixels.
PIXEL_TOLERANCE = 24
PIXEL_SHARE = 0.002


@pytest.fixture(scope="module", params=[("nanjing-florence", "en"), ("milan-shanghai", "zh")], ids=lambda p: f"{p[0]}-{p[1]}")
def both(request, tmp_path_factory) -> tuple[Path, Path, Path]:
    """(chunked PDF, whole PDF, chunk cache folder) of one seed catalogue, built end to end."""
    slug, language = request.param
    out = tmp_path_factory.mktemp(f"chunks-{slug}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chunks, "CHUNK_BYTES", SMALL_CHUNKS)
        patch.setattr(chunks, "WHOLE_BELOW", SMALL_CHUNKS)
        chunked = build_document(BuildRequest(CONTENT / slug, "catalogue", language, out / "chunked", PROJECT_ROOT, preflight=False))
    whole = build_document(BuildRequest(CONTENT / slug, "catalogue", language, out / "whole", PROJECT_ROOT, chunks=False, preflight=False))
    return chunked.output, whole.output, out / "chunked" / chunks.CHUNK_CACHE_FOLDER


def page_texts(pdf: Path) -> list[str]:
    """pdftotext's text of each page (one run for the whole file: pages end with a form feed)."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return out.split("\f")[:-1]


def rasters(pdf: Path, folder: Path) -> list[Image.Image]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(RASTER_DPI), "-png", str(pdf), str(folder / "page")], check=True)
    return [Image.open(path).convert("RGB") for path in sorted(folder.glob("page-*.png"))]


def differing_share(a: Image.Image, b: Image.Image) -> float:
    if a.size != b.size:
        return 1.0
    difference = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > PIXEL_TOLERANCE else 0)
    return difference.histogram()[255] / (a.width * a.height)


def link_targets(pdf: Path) -> list[tuple[int, tuple[int, ...], int]]:
    """(page, rounded rectangle, target page) of every internal link, resolved through the named destinations."""
    with pikepdf.open(pdf) as document:
        index = {page.objgen: n for n, page in enumerate(document.pages)}
        names = dict(pikepdf.NameTree(document.Root.Names.Dests).items()) if "/Names" in document.Root else {}
        found = []
        for n, page in enumerate(document.pages):
            for annotation in page.get("/Annots", []):
                destination = annotation.get("/Dest")
                if destination is None:
                    continue
                target = names[str(destination)] if isinstance(destination, pikepdf.String) else destination
                found.append((n, tuple(round(float(v)) for v in annotation.Rect), index[target[0].objgen]))
        return found


def test_chunked_and_whole_pages_have_the_same_text(both):
    chunked, whole, cache = both
    assert len(list(cache.rglob("*.pdf"))) >= 4  # cut: the front matter, two or more body chunks, the page numbers
    assert page_texts(chunked) == page_texts(whole)


def test_chunked_and_whole_pages_look_the_same(both, tmp_path):
    chunked, whole, _ = both
    mine, theirs = rasters(chunked, tmp_path / "chunked"), rasters(whole, tmp_path / "whole")
    assert len(mine) == len(theirs)
    shares = [differing_share(a, b) for a, b in zip(mine, theirs)]
    assert max(shares) <= PIXEL_SHARE, shares


def test_contents_links_land_on_the_pages_their_numbers_print(both):
    chunked, whole, _ = both
    links = link_targets(chunked)
    assert links == link_targets(whole)
    contents = [target for page, _, target in links if page == 1]
    assert len(contents) >= 5
    texts = page_texts(chunked)
    for target in contents:
        assert f"{target + 1}" in texts[1]  # the contents print the number of the page the link opens
        assert re.search(rf"\b{target + 1} ?/ ?{len(texts)}\b", texts[target])  # and that page's folio says so


def test_bookmarks_point_at_the_same_pages(both):
    chunked, whole, _ = both
    assert outline_titles(chunked) == outline_titles(whole)
    assert len(outline_titles(chunked)) >= 5


def render_both(folder: Path, cache: Path | None = None, chunk_bytes: int = 40_000):
    request = BuildRequest(folder, "catalogue", "en", folder.parent / "out", PROJECT_ROOT)
    html, _ = render_exhibit_html(load_exhibit(folder), request)
    base_url = folder.resolve().as_uri() + "/"
    return html, base_url, lambda: render_chunked(html, base_url, sandbox_for(request), cache_dir=cache, chunk_bytes=chunk_bytes)


def test_a_generated_long_catalogue_chunked_has_the_pages_of_the_whole(tmp_path, monkeypatch):
    """Its contents (45 entries, 30 to a part) are laid out in two parts, cut where the whole breaks a page."""
    folder = write_exhibit(random_spec(7, max_pixels=400, section_count=44, event_count=20), tmp_path / "long")
    html, base_url, chunked = render_both(folder)
    cuts = []
    monkeypatch.setattr(chunks, "FLOW_ITEMS", 30)
    monkeypatch.setattr(chunks, "flow_cut", lambda document, cut=chunks.flow_cut: cuts.append(cut(document)) or cuts[-1])
    result = chunked()
    assert cuts and all(cut is not None and cut[1] > 0 for cut in cuts)
    whole = render_pdf(html, base_url, sandbox_for(BuildRequest(folder, "catalogue", "en", tmp_path, PROJECT_ROOT)))
    (tmp_path / "chunked.pdf").write_bytes(result.rendered.pdf)
    (tmp_path / "whole.pdf").write_bytes(whole.pdf)
    assert result.chunk_count >= 4 and whole.page_count >= 60  # figures are capped at half the text area
    assert result.rendered.page_count == whole.page_count
    assert page_texts(tmp_path / "chunked.pdf") == page_texts(tmp_path / "whole.pdf")
    assert result.rendered.qr_codes == whole.qr_codes  # placed on the same pages, at the same places
    assert result.rendered.image_sizes == whole.image_sizes


def test_after_a_one_section_edit_only_its_chunk_is_laid_out_again(tmp_path):
    folder = tmp_path / "seed"
    shutil.copytree(CONTENT / "nanjing-florence", folder)
    cache = tmp_path / "cache"
    first = render_both(folder, cache, SMALL_CHUNKS)[2]()
    again = render_both(folder, cache, SMALL_CHUNKS)[2]()
    assert first.rendered_chunks == first.chunk_count + 2  # every chunk, the front matter's count, the page numbers
    assert again.rendered_chunks == 0
    body = next(p for p in sorted((folder / "text").glob("*.md")) if "Nanjing" in p.read_text(encoding="utf-8"))
    body.write_text(body.read_text(encoding="utf-8").replace("Nanjing", "Nanking", 1), encoding="utf-8")
    edited = render_both(folder, cache, SMALL_CHUNKS)[2]()
    assert edited.rendered_chunks == 1
    (tmp_path / "edited.pdf").write_bytes(edited.rendered.pdf)
    assert "Nanking" in "".join(page_texts(tmp_path / "edited.pdf"))


def test_a_contents_of_numbers_from_other_chunks_is_laid_out_once(tmp_path, monkeypatch):
    """Its page numbers are known before its layout: no page of it is made twice (WeasyPrint remakes each
    page twice more when it reads those numbers as page-based counters to look up)."""
    import weasyprint.layout.page as wp_page

    made: dict[tuple[int, int], int] = {}
    make_page = wp_page.make_page

    def counting(context, root_box, page_type, resume_at, page_number, page_state):
        made[id(context), page_number] = made.get((id(context), page_number), 0) + 1
        return make_page(context, root_box, page_type, resume_at, page_number, page_state)

    folder = tmp_path / "seed"
    shutil.copytree(CONTENT / "nanjing-florence", folder)
    monkeypatch.setattr(wp_page, "make_page", counting)
    result = render_both(folder, chunk_bytes=SMALL_CHUNKS)[2]()
    assert result.chunk_count >= 4 and made
    assert max(made.values()) == 1, sorted(made.items(), key=lambda item: -item[1])[:3]


def test_a_contents_part_refers_to_anchors_by_the_names_weasyprint_gives_them():
    refers = chunks._references('<a href="#caf%C3%A9">Café</a><span class="tail" data-target="#r&amp;d">R&amp;D</span>')
    assert {"café", "r&d"} <= refers


def test_a_page_moving_edit_lays_out_again_only_the_contents_parts_whose_numbers_moved(tmp_path, monkeypatch):
    folder = write_long_catalogue(tmp_path / "long", 70)
    cache = tmp_path / "cache"
    monkeypatch.setattr(chunks, "FLOW_ITEMS", 30)
    render_both(folder, cache)[2]()
    rendered: list[str] = []
    monkeypatch.setattr(chunks, "render_pdf", lambda html, *args, render=chunks.render_pdf, **kwargs: rendered.append(html) or render(html, *args, **kwargs))
    late = folder / "text" / "p0065.md"
    late.write_text(late.read_text(encoding="utf-8") * 3, encoding="utf-8")  # a page more: the last four panels move
    edited = render_both(folder, cache)[2]()
    contents_parts = [html for html in rendered if 'data-target="#' in html]
    assert contents_parts, "the contents' last entries point at pages that moved: their part is laid out again"
    assert not any('href="#p0000"' in html for html in contents_parts), "the first part's numbers did not move"
    (tmp_path / "edited.pdf").write_bytes(edited.rendered.pdf)
    assert edited.rendered.page_count == len(page_texts(tmp_path / "edited.pdf"))


# Pages that show their side and number outside the folio: a chunk started on the wrong side or
# with the wrong number must not pass for the whole document.
SIDED = """<!DOCTYPE html><html><head><style>
@page { size: 120mm 90mm; margin: 15mm; @bottom-center { content: "page " counter(page) " of " counter(pages) } }
@page :left { margin-left: 25mm; @top-left { content: "left " string(part) } }
@page :right { @top-right { content: "right " string(part) } }
section { break-before: page } h2 { string-set: part content() } h2::after { content: " (page " counter(page) ")" }
a.ref::after { content: " see page " target-counter(attr(href url), page) }
</style></head><body>
<h1 id="start">Sides</h1><p><a class="ref" href="#p4">Part 4</a>, <a class="ref" href="#p8">Part 8</a></p>
{sections}
</body></html>"""


def sided_html() -> str:
    words = " ".join(f"word{n}" for n in range(260))
    parts = [f'<!--twinprint:chunk--><section id="p{n}"><h2>Part {n}</h2><p>{words[: 400 + 250 * (n % 4)]}</p></section>' for n in range(9)]
    return SIDED.replace("{sections}", "\n".join(parts))


def sided_texts(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    (tmp_path / name).write_bytes(pdf)
    return page_texts(tmp_path / name)


def fetcher(tmp_path: Path):
    return sandbox_for(BuildRequest(tmp_path, "catalogue", "en", tmp_path, PROJECT_ROOT))


@pytest.fixture(scope="module")
def sided_whole(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("sided")
    return sided_texts(render_pdf(sided_html(), folder.as_uri() + "/", fetcher(folder)).pdf, folder, "whole.pdf")


def test_sides_and_numbers_carry_across_chunks(tmp_path, sided_whole, monkeypatch):
    """The page numbers are laid over 5 pages at a time here: each part numbers on, with the whole's total."""
    monkeypatch.setattr(chunks, "OVERLAY_PAGES", 5)
    html, whole = sided_html(), sided_whole
    chunked = render_chunked(html, tmp_path.as_uri() + "/", fetcher(tmp_path), chunk_bytes=500)
    assert chunked.chunk_count >= 5
    assert any("left" in text for text in whole) and any("right" in text for text in whole)
    assert sided_texts(chunked.rendered.pdf, tmp_path, "chunked.pdf") == whole


@pytest.mark.parametrize("wrong", ["side", "number"])
def test_a_chunk_started_on_the_wrong_side_or_number_is_caught(tmp_path, monkeypatch, wrong, sided_whole):
    """Inject: the third chunk starts on the other side, or one page later; the comparison must see it."""
    html = sided_html()
    original = chunks.ChunkPages
    made = []

    def misplaced(offset: int = 0, right_first: bool = True, *args, **kwargs):
        made.append(offset)
        if len(made) == 4:  # the count of the front matter, then the first body chunks
            offset, right_first = (offset, not right_first) if wrong == "side" else (offset + 1, right_first)
        return original(offset, right_first, *args, **kwargs)

    monkeypatch.setattr(chunks, "ChunkPages", misplaced)
    chunked = render_chunked(html, tmp_path.as_uri() + "/", fetcher(tmp_path), chunk_bytes=500)
    assert sided_texts(chunked.rendered.pdf, tmp_path, "chunked.pdf") != sided_whole


def test_the_body_is_cut_only_at_the_layout_marks():
    html = sided_html()
    split = split_document(html)
    assert len(split.sections) == 9 and "<h1" in split.front and split.tail.startswith("</body>")
    assert "".join([split.head, split.front, *("<!--twinprint:chunk-->" + s for s in split.sections), split.tail]) == html


def test_an_overflow_in_a_later_chunk_names_its_page_in_the_whole_document(tmp_path):
    """Inject: a line wider than the page in the seventh part; chunked and whole builds report the same page."""
    html = sided_html().replace('<section id="p6"><h2>Part 6</h2>', '<section id="p6"><h2>Part 6</h2><p style="white-space: nowrap">' + "overflowing " * 40 + '</p>')

    def check(document):
        overflows = find_overflows(document, None)
        if overflows:
            raise LayoutOverflow("test", overflows)
        return document

    with pytest.raises(LayoutOverflow) as whole:
        render_pdf(html, tmp_path.as_uri() + "/", fetcher(tmp_path), after_layout=check)
    with pytest.raises(LayoutOverflow) as chunked:
        render_chunked(html, tmp_path.as_uri() + "/", fetcher(tmp_path), after_layout=check, chunk_bytes=500)
    assert "(page 19)" in str(whole.value)
    assert str(chunked.value) == str(whole.value)
