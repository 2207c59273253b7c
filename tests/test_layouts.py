"""End to end: every layout in every language from both seeds, read back from the PDF.

Covers the issue's proofs: each layout x language renders, zh text and embedded
CJK fonts, every QR code decodes at 150 dpi, booklet pages % 4 == 0, the poster
project-local layouts override built-in ones (the headline fit is in test_fit.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest

from conftest import CONTENT, PROJECT_ROOT, SEEDS
from pdfcheck import decode_qr_codes, fonts, page_texts, whole_text
from twinprint.build import BuildRequest, build_document
from twinprint.content.i18n import localise, translations_for

pytestmark = pytest.mark.slow

LAYOUTS = ("poster", "booklet", "report", "catalogue")
LANGUAGES = ("en", "it", "zh")
# A string each layout prints from its message catalogue.
UI_STRING = {"poster": "Scan for more", "booklet": "Timeline", "report": "Chronology", "catalogue": "Contents"}
PDF_LANG = {"en": "en", "it": "it", "zh": "zh-Hans"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def squash(text: str) -> str:
    """Compare ignoring white space, hyphens and case (line breaks, hyphenation, text-transform)."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]", "", text).casefold()


def matrix(layouts=LAYOUTS, languages=LANGUAGES) -> list:
    return [pytest.param(l, s, g, id=f"{l}-{s}-{g}") for l in layouts for s in SEEDS for g in languages]


@pytest.fixture
def built(build_once, seed_exhibits, layout, slug, language):
    """The (layout, seed, language) build of this run, and the localised content it was made from."""
    return build_once(slug, layout, language), localise(seed_exhibits[slug], language).data


@pytest.mark.parametrize(("layout", "slug", "language"), matrix())
def test_every_layout_renders_in_every_language_with_its_own_strings(built, layout, language):
    result, data = built
    text = whole_text(result.output)
    assert squash(data["title"]) in squash(text)
    assert squash(translations_for(language).gettext(UI_STRING[layout])) in squash(text)
    assert pypdf.PdfReader(str(result.output)).trailer["/Root"]["/Lang"] == PDF_LANG[language]
    draft_note = translations_for(language).gettext("This translation is a draft awaiting review.")
    assert (squash(draft_note) in squash(text)) == (language != "en")
    assert not [w for w in result.warnings if w.startswith("missing")]


@pytest.mark.parametrize(("layout", "slug", "language"), matrix(languages=("zh",)))
def test_chinese_builds_carry_chinese_text_in_embedded_cjk_fonts(built, layout):
    result, data = built
    text = whole_text(result.output)
    printed = data["title"] if layout == "poster" else data["sections"][0]["title"]
    assert len(CJK.findall(text)) > 20 and CJK.search(printed) and squash(printed) in squash(text)
    cjk_fonts = [row for row in fonts(result.output) if "CJK" in row["name"]]
    assert cjk_fonts and all(row["emb"] == "yes" for row in cjk_fonts)


@pytest.mark.parametrize(("layout", "slug", "language"), matrix(languages=("en", "zh")))
def test_every_qr_code_decodes_from_a_150_dpi_raster(built, layout):
    result, _ = built
    placed: dict[int, set[str]] = {}
    for code in result.rendered.qr_codes:
        placed.setdefault(code.page_index, set()).add(code.url)
    assert placed, f"{layout} prints no QR code"
    for page_index, urls in placed.items():
        assert set(decode_qr_codes(result.output, page_index, dpi=150)) == urls


@pytest.mark.parametrize(("layout", "slug", "language"), matrix(layouts=("booklet",)))
def test_booklets_have_a_multiple_of_four_pages_and_end_on_the_back_cover(built, language):
    result, data = built
    assert result.page_count % 4 == 0
    pages = page_texts(result.output)
    cta = data["call_to_action"]["heading"] if data["call_to_action"] else translations_for(language).gettext("Scan for more")
    assert squash(cta) in squash(pages[-1])
    # Designed notes pages only: before the timeline spread (to start it on a left page) and before the back cover.
    notes, timeline = (translations_for(language).gettext(word) for word in ("Notes", "Timeline"))
    notes_pages = [i for i, page in enumerate(pages) if page.strip().startswith(notes)]
    spread_start = next(i for i, page in enumerate(pages) if page.strip().startswith(timeline))
    assert spread_start % 2 == 1, "the timeline spread starts on a left (even-numbered) page"
    padding = [i for i in notes_pages if i != spread_start - 1]
    assert padding == list(range(len(pages) - 1 - len(padding), len(pages) - 1)) and len(padding) <= 3
    assert not [i for i, page in enumerate(pages) if not page.strip()], "no page is left without content"


def test_booklet_cover_shows_the_computed_anniversary(build_once):
    for slug, years in (("nanjing-florence", "40"), ("milan-shanghai", "30")):
        cover = page_texts(build_once(slug, "booklet", "en").output)[0]
        assert re.search(rf"^{years}$", cover, re.M) and "years of twinning" in cover.lower()


def test_bilingual_booklet_with_recipient(build_once, seed_exhibits):
    result = build_once("nanjing-florence", "booklet", "en",
                        variables=(("bilingual", "zh"), ("recipient", "Delegation of the City of Florence")))
    assert result.page_count % 4 == 0
    pages = page_texts(result.output)
    assert "PRESENTED TO" in pages[1] and "Delegation of the City of Florence" in pages[1]
    assert "The Chinese translation is a draft awaiting review." in " ".join(pages[1].split())
    zh = localise(seed_exhibits["nanjing-florence"], "zh").data
    text = squash(whole_text(result.output))
    assert squash(zh["title"]) in text and squash(zh["sections"][1]["title"]) in text
    assert squash("Nanjing and Florence sister cities") in text


def test_report_attributes_its_source_and_counts_the_years(build_once):
    result = build_once("milan-shanghai", "report", "en")
    first = " ".join(page_texts(result.output)[0].split())
    assert "Source: International Affairs Office City of Milan — Europe - China Exchange Platform Survey" in first
    assert "3 July 1979" in first and "30 years in 2009" in first
    assert "https://example.org/twinprint/milan-shanghai/source" in {c.url for c in result.rendered.qr_codes}
    text = squash(whole_text(result.output))
    for title in ("Character, start and duration of the partnership", "Main topics addressed and activities undertaken",
                  "Key achievements within the partnership", "Future expectations", "Key obstacles and weaknesses"):
        assert squash(title) in text


def test_poster_shows_both_cities_in_both_scripts_and_the_years(build_once):
    text = " ".join(whole_text(build_once("nanjing-florence", "poster", "it").output).split())
    for name in ("南京", "佛罗伦萨", "Nanchino", "Firenze", "1980 – 2020", "40 anni di gemellaggio"):
        assert name in text


# --- project-local layouts -----------------------------------------------------------------------

def test_a_project_variant_overrides_one_block_of_the_builtin_poster(tmp_path: Path):
    variant = tmp_path / "layouts" / "festival-poster"
    variant.mkdir(parents=True)
    (variant / "layout.toml").write_text('extends = "poster"\n')
    (variant / "layout.html").write_text(
        '{% extends "poster/layout.html" %}\n{% block kicker %}<p class="kicker">Festival edition</p>{% endblock %}\n')
    result = build_document(BuildRequest(CONTENT / "milan-shanghai", "festival-poster", "en", tmp_path / "out", tmp_path, paper="A4"))
    text = whole_text(result.output)
    assert "FESTIVAL EDITION" in text and "SISTER CITIES SINCE" not in text
    assert "Milan (Italy) and Shanghai" in " ".join(text.split()) and result.page_count == 1


def test_a_project_layout_of_the_same_name_extends_the_builtin_one(tmp_path: Path):
    poster = tmp_path / "layouts" / "poster"
    poster.mkdir(parents=True)
    (poster / "layout.html").write_text(
        '{% extends "builtin/poster/layout.html" %}\n{% block years %}<p class="years">Since {{ exhibit.twinned_since.text }}</p>{% endblock %}\n')
    result = build_document(BuildRequest(CONTENT / "milan-shanghai", "poster", "en", tmp_path / "out", tmp_path, paper="A4"))
    text = " ".join(whole_text(result.output).split())
    assert "Since 3 July 1979" in text and "30 years of twinning" not in text
    assert decode_qr_codes(result.output, 0) == ["https://example.org/twinprint/milan-shanghai/source"]


def test_poster_prints_the_venue_and_its_dates_when_the_content_has_them(tmp_path: Path):
    import shutil

    folder = tmp_path / "milan-shanghai"
    shutil.copytree(CONTENT / "milan-shanghai", folder)
    with (folder / "exhibit.yaml").open("a", encoding="utf-8") as handle:
        handle.write('\nvenue:\n  name: {en: "Palazzo Reale", it: "Palazzo Reale", zh: "米兰王宫"}\n'
                     '  city: {en: Milan, it: Milano, zh: 米兰}\n  opens: 2009-07-03\n  closes: 2009-09-30\n')
    result = build_document(BuildRequest(folder, "poster", "it", tmp_path / "out", PROJECT_ROOT, paper="A3"))
    text = " ".join(whole_text(result.output).split())
    assert "Palazzo Reale" in text and "Milano" in text and "3 luglio 2009 – 30 settembre 2009" in text


def test_a_landscape_poster_without_a_hero_gives_its_text_the_whole_width(tmp_path: Path):
    """No picture for the right column (a generated exhibit without figures): the masthead band runs to
    the right edge, read from poppler's raster, instead of stopping beside an empty column."""
    import subprocess

    from PIL import Image

    from corpus import sample_specs, write_exhibit

    without_figures = next(spec for spec in sample_specs() if not spec.data["sections"])
    folder = write_exhibit(without_figures, tmp_path / "exhibit")
    result = build_document(BuildRequest(folder, "poster", "en", tmp_path / "out", PROJECT_ROOT, paper="A3", orientation="landscape"))
    subprocess.run(["pdftoppm", "-png", "-r", "20", "-singlefile", str(result.output), str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png").convert("RGB")
    band = page.getpixel((page.width // 20, page.height // 20))
    assert page.getpixel((page.width * 19 // 20, page.height // 20)) == band != page.getpixel((page.width // 2, page.height // 2))
