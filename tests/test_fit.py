"""Fitting text to an area before layout, and finding overflows after it (fit.py, design.finish_layout)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest

from conftest import CONTENT, PROJECT_ROOT
from twinprint.build import BuildRequest, build_document
from twinprint.errors import FitError
from twinprint.layout.fit import LayoutOverflow, Overflow, estimated_lines, fit_text_size


def test_wrapping_estimate_counts_words_and_breaks_long_ones():
    assert estimated_lines("Nanjing Florence", size=1, width=100) == 1
    assert estimated_lines("word " * 40, size=1, width=10) > 10
    assert estimated_lines("x" * 100, size=1, width=10) >= 6  # one long word breaks anywhere
    assert estimated_lines("南京" * 20, size=1, width=10) == 4  # every CJK character is a break


def test_fitted_size_shrinks_as_the_text_grows_and_stays_within_bounds():
    sizes = [fit_text_size("Twinning " * (n // 9 + 1), 88, 24, max_size=11, min_size=2.2) for n in (5, 40, 120, 200)]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == 11 and sizes[-1] >= 2.2
    assert fit_text_size("x" * 5000, 10, 1, max_size=11, min_size=2.2) == 2.2


def test_fitted_text_wraps_inside_its_area_by_the_estimate():
    text = "Friendship between two river cities across the maritime Silk Road " * 3
    size = fit_text_size(text, 88, 24, 11, 2.2, line_height=1.1)
    assert estimated_lines(text, size, 88) * 1.1 * size <= 24


def test_a_retry_scale_shrinks_the_size():
    assert fit_text_size("Short", 88, 24, 11, 2.2, scale=0.85) == pytest.approx(11 * 0.85)


def test_overflow_message_names_what_where_and_how_much():
    error = LayoutOverflow("poster", [Overflow("the headline ('A tale')", "the page area", 12.34, 0, True),
                                      Overflow("the hero", "its area", 3, 0, False)], "choose a larger --paper")
    assert isinstance(error, FitError)
    assert error.message == "poster: the headline ('A tale') overflows the page area by 12.3 mm (page 1) (and 1 more); choose a larger --paper"


def overflows_of(html: str, max_pages: int | None = None) -> list[str]:
    import weasyprint

    from twinprint.layout.fit import find_overflows

    return [o.describe() for o in find_overflows(weasyprint.HTML(string=html).render(), max_pages)]


def test_overflows_are_found_in_the_box_tree():
    page = "<style>@page { size: 100mm 100mm; margin: 10mm } body { margin: 0; font-size: 12pt }</style>"
    assert overflows_of(page + "<p>Fits</p>") == []
    boxed = page + '<div data-fit="band" style="height: 8mm">one two three four five six seven eight nine ten eleven twelve</div>'
    assert overflows_of(boxed)[0].startswith("the band ('one two three") and "overflows its area by" in overflows_of(boxed)[0]
    wide = page + '<p style="margin-left: -20mm">Out in the margin</p>'
    assert overflows_of(wide)[0].startswith("the p (") and "overflows the page area by 20.0 mm" in overflows_of(wide)[0]
    two_pages = page + '<p style="break-after: page">One</p><p class="second">Two</p>'
    assert overflows_of(two_pages, max_pages=1) and "onto page 2" in overflows_of(two_pages, max_pages=1)[0]
    folio = "<style>@page { size: 100mm 100mm; margin: 0; @bottom-center { content: '7' } }</style><p>Text</p>"
    assert overflows_of(folio) == ["the @bottom-center margin text overflows the sheet by " + overflows_of(folio)[0].split(" by ")[1]]


@pytest.mark.parametrize("display", ["block", "flex; flex-direction: column", "grid; grid-template-rows: minmax(0, 1fr)"])
def test_an_area_overflowing_is_found_whether_laid_out_as_block_flex_or_grid(display):
    """The poster's spread is a grid: an area laid out as one must be checked like a block (it once was not)."""
    page = "<style>@page { size: 100mm 100mm; margin: 10mm } body { margin: 0; font-size: 12pt }</style>"
    area = (page + f'<div data-fit="spread" style="display: {display}; height: 20mm"><div class="column">'
            + "<p>one two three four five six seven eight nine ten</p>" * 4 + "</div></div>")
    found = overflows_of(area)
    assert found and "overflows the spread area by" in found[0], found


@pytest.mark.slow
def test_a_poster_too_small_for_its_content_fails_saying_what_overflowed(tmp_path: Path):
    request = BuildRequest(CONTENT / "nanjing-florence", "poster", "en", tmp_path, PROJECT_ROOT, paper="400x120")
    with pytest.raises(FitError) as raised:
        build_document(request)
    message = raised.value.message
    assert message.startswith("poster: the ") and " overflows " in message and " mm (page 1)" in message
    assert "400x120 landscape" in message
    assert not any(tmp_path.rglob("*.pdf")), "nothing is written when the content does not fit"


# --- the headline fits for any title length -------------------------------------------------------

WORDS = ("Friendship between two river cities across the maritime Silk Road of the Ming Dynasty "
         "and forty years of exchanges in culture education sport and technology").split()
CHINESE = "两座河畔城市跨越明代海上丝绸之路的友谊以及四十年来在文化教育体育和科技领域的交流合作"


def title_of(length: int, chinese: bool = False) -> str:
    if chinese:
        return (CHINESE * (length // len(CHINESE) + 1))[:length]
    words, text = iter(WORDS * 10), ""
    while len(text) < length:
        text = f"{text} {next(words)}".strip()
    return text[:length].rstrip()


def char_boxes(pdf: Path, needles: list[str]) -> list[tuple[float, float, float, float]]:
    """(left, bottom, right, top) in points of each needle on page 1, at its topmost occurrence."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        textpage = document[0].get_textpage()
        boxes = []
        for needle in needles:
            searcher = textpage.search(needle, match_case=True)
            occurrences = []
            while found := searcher.get_next():
                index, count = found
                occurrences.append([textpage.get_charbox(i) for i in range(index, index + count)])
            assert occurrences, f"{needle!r} is not in the text layer"
            boxes += max(occurrences, key=lambda chars: chars[0][3])
        return boxes
    finally:
        document.close()


HEADLINES = [(5, "A4", None, False), (60, "A4", None, False), (200, "A4", None, False), (200, "A3", "landscape", False),
             (200, "tabloid", None, False), (200, "A2", None, True), (90, "B1", "landscape", True)]


@pytest.mark.slow
@pytest.mark.parametrize(("length", "paper", "orientation", "chinese"), HEADLINES)
def test_poster_headline_stays_inside_its_area(build_once, length, paper, orientation, chinese):
    headline = title_of(length, chinese)
    assert len(headline) >= length - 1
    result = build_once("nanjing-florence", "poster", "zh" if chinese else "en", paper=paper, orientation=orientation,
                        variables=(("headline", headline),))
    with pypdfium2.PdfDocument(str(result.output)) as document:
        width, height = document[0].get_size()
    needles = [headline[i:i + 6] for i in range(0, len(headline), 6)] if chinese else sorted({w for w in headline.split() if len(w) >= 4}, key=len)[-12:]
    headline_boxes = char_boxes(result.output, needles)
    city_top = max(top for _, _, _, top in char_boxes(result.output, ["佛罗伦萨"]))
    for left, bottom, right, top in headline_boxes:
        assert 0 <= left and right <= width and 0 <= bottom and top <= height, "headline text outside the page"
        assert bottom > city_top, "headline text runs into the cities below it"
