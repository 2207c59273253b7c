"""Fitting text to an area before layout, and finding overflows after it (fit.py, design.finish_layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CONTENT, PROJECT_ROOT
from twinprint.build import BuildRequest, build_document
from twinprint.errors import FitError
from twinprint.fit import LayoutOverflow, Overflow, estimated_lines, fit_text_size


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


@pytest.mark.slow
def test_a_poster_too_small_for_its_content_fails_saying_what_overflowed(tmp_path: Path):
    request = BuildRequest(CONTENT / "nanjing-florence", "poster", "en", tmp_path, PROJECT_ROOT, paper="400x120")
    with pytest.raises(FitError) as raised:
        build_document(request)
    message = raised.value.message
    assert message.startswith("poster: the ") and " overflows " in message and " mm (page 1)" in message
    assert "400x120 landscape" in message
    assert not any(tmp_path.rglob("*.pdf")), "nothing is written when the content does not fit"
