"""End to end: both seed catalogues built for real and read back from the PDF."""

from __future__ import annotations

import re

import pypdf
import pytest

from conftest import SEED_TEXTS, SEEDS
from pdfcheck import decode_qr_codes, fonts, outline_titles, page_texts, whole_text

pytestmark = pytest.mark.slow


def squash(text: str) -> str:
    """Compare text ignoring white space and hyphens (line-end hyphenation, layout breaks)."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]", "", text)


@pytest.fixture(scope="module", params=SEEDS)
def catalogue(request, build_once, seed_exhibits):
    slug = request.param
    return slug, build_once(slug), seed_exhibits[slug]


def test_every_seed_line_comes_out_word_for_word(catalogue):
    slug, result, _ = catalogue
    seed_file = {"nanjing-florence": "000_25a24785673d67f9.txt", "milan-shanghai": "004_e3bd6dc5472259c3.txt"}[slug]
    seed = SEED_TEXTS / seed_file
    assert seed.is_file(), f"seed text missing from the repository: {seed}"
    text = squash(whole_text(result.output))
    missing = []
    for line in seed.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("exhibition ") or line.startswith("Source :"):
            continue
        # A quote line is printed as quote + attribution: check both parts.
        parts = re.split(r" \(|\)$| --", line) if ("(" in line and line.endswith(")")) or " --" in line else [line]
        missing += [part for part in parts if part and squash(part.strip(" ,")) not in text]
    assert not missing, f"{slug}: seed text missing from the PDF: {missing[:3]}"


def test_quotes_come_out_with_their_attribution(catalogue):
    _, result, exhibit = catalogue
    text = squash(whole_text(result.output))
    quotes = [q for section in exhibit.sections for q in section.quotes]
    for quote in quotes:
        english = quote.text if isinstance(quote.text, str) else quote.text["en"]
        assert squash(f"{english}— {quote.author}") in text


def test_toc_page_numbers_equal_the_pages_sections_start_on(catalogue):
    _, result, exhibit = catalogue
    pages = page_texts(result.output)
    bookmarks = dict(outline_titles(result.output))
    toc_page = next(p for p in pages[1:] if "Contents" in p.splitlines()[:3] or "\nContents\n" in p)
    for section in exhibit.sections:
        title = section.title if isinstance(section.title, str) else section.title["en"]
        words = r"\s+".join(re.escape(word) for word in title.split())
        match = re.search(words + r"[\s.\u2026]*(\d+)\s*$", toc_page, re.M)
        assert match, f"{title!r} not in the table of contents"
        listed = int(match[1])
        assert bookmarks[title] == listed
        assert squash(title) in squash(pages[listed - 1]), f"{title!r} listed on page {listed} but not printed there"


def test_a_bookmark_per_section(catalogue):
    _, result, exhibit = catalogue
    titles = [t for t, _ in outline_titles(result.output)]
    expected = [s.title if isinstance(s.title, str) else s.title["en"] for s in exhibit.sections]
    assert titles[: len(expected)] == expected


def test_every_font_is_embedded(catalogue):
    _, result, _ = catalogue
    rows = fonts(result.output)
    assert rows, "no fonts in the PDF"
    assert all(row["emb"] == "yes" for row in rows), [r["line"] for r in rows if r["emb"] != "yes"]
    assert not any("Type 3" in row["line"] for row in rows)


def test_chinese_city_names_in_the_text_layer(catalogue):
    slug, result, _ = catalogue
    names = {"nanjing-florence": ["南京", "佛罗伦萨"], "milan-shanghai": ["米兰", "上海"]}[slug]
    cover = page_texts(result.output)[0]
    for name in names:
        assert name in cover
    assert any("CJK" in row["name"] for row in fonts(result.output))


def test_every_qr_code_decodes_to_its_url(catalogue):
    _, result, exhibit = catalogue
    decoded = []
    for index in range(result.page_count):
        decoded += decode_qr_codes(result.output, index, dpi=150)
    expected = sorted(link.url for link in exhibit.links())
    assert sorted(decoded) == expected
    assert len(result.rendered.qr_codes) == len(expected)


def test_pdf_metadata(catalogue):
    _, result, exhibit = catalogue
    reader = pypdf.PdfReader(str(result.output))
    title = exhibit.title if isinstance(exhibit.title, str) else exhibit.title["en"]
    assert reader.metadata.title == title
    assert reader.metadata.author
    assert reader.metadata.subject
    assert "twinning" in (reader.metadata.get("/Keywords") or "").lower() or exhibit.keywords[0] in reader.metadata["/Keywords"]
    assert str(reader.trailer["/Root"].get("/Lang")) == "en"


def test_folios_show_page_of_pages(catalogue):
    _, result, _ = catalogue
    pages = page_texts(result.output)
    total = len(pages)
    assert re.search(rf"\b3 ?/ ?{total}\b", pages[2])


def test_running_header_names_the_current_section(catalogue):
    _, result, exhibit = catalogue
    pages = page_texts(result.output)
    bookmarks = outline_titles(result.output)
    title, page = bookmarks[1]
    assert squash(pages[page - 1]).count(squash(title)) >= 2  # the heading and the running header


def test_chinese_catalogue_uses_cjk_fonts_and_chinese_text(build_once, seed_exhibits):
    result = build_once("nanjing-florence", language="zh")
    text = whole_text(result.output)
    exhibit = seed_exhibits["nanjing-florence"]
    assert exhibit.sections[0].title["zh"] in text
    assert all(row["emb"] == "yes" for row in fonts(result.output))
