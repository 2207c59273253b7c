"""`twinprint diff`: editions of a real catalogue, one with a section inserted and a word changed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from twinprint.build import BuildRequest, build_document
from twinprint.cli import main
from twinprint.prepress.diff import diff_files, pair_pages, report_html

PROJECT = Path(__file__).resolve().parents[1]
SEED = PROJECT / "content" / "milan-shanghai"
NEW_SECTION = """
  - id: youth-exchanges
    title:
      en: "Youth exchanges between the two cities"
    body:
      en: "Every summer since 2012 students from Milan and Shanghai have spent four weeks in each other's schools and families."
"""
CHANGED_WORD = ("Similarly in 2009", "Likewise in 2009")


def test_pairs_follow_the_content_not_the_position():
    old = ["cover Milan Shanghai", "contents one two three", "one alpha beta gamma", "two delta epsilon", "three zeta eta"]
    new = ["cover Milan Shanghai", "contents one new two three", "one alpha beta gamma", "new page about youth exchanges",
           "two delta epsilon", "three zeta eta theta"]
    assert pair_pages(old, new) == [(0, 0), (1, 1), (2, 2), (None, 3), (3, 4), (4, 5)]
    assert pair_pages(new, old) == [(0, 0), (1, 1), (2, 2), (3, None), (4, 3), (5, 4)]
    assert pair_pages(old, []) == [(i, None) for i in range(5)]


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> tuple[Path, Path]:
    """Last year's catalogue (the seed) and this year's: a section inserted before key achievements, a word changed in it."""
    root = tmp_path_factory.mktemp("diff")
    content = root / "content" / "milan-shanghai"
    shutil.copytree(SEED, content)
    exhibit = content / "exhibit.yaml"
    text = exhibit.read_text(encoding="utf-8")
    anchor = "\n  - id: key-achievements\n"
    assert anchor in text
    exhibit.write_text(text.replace(anchor, NEW_SECTION + anchor, 1), encoding="utf-8")
    body = content / "text" / "key-achievements.en.md"
    assert CHANGED_WORD[0] in body.read_text(encoding="utf-8")
    body.write_text(body.read_text(encoding="utf-8").replace(*CHANGED_WORD), encoding="utf-8")
    old = build_document(BuildRequest(SEED, "catalogue", "en", root / "old", PROJECT, preflight=False)).output
    new = build_document(BuildRequest(content, "catalogue", "en", root / "new", PROJECT, preflight=False)).output
    return old, new


def poppler_pages(pdf: Path) -> list[str]:
    """Each page's text as poppler reads it (a reader independent of pdfium, which the diff uses)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def poppler_word_box(pdf: Path, page: int, word: str) -> tuple[float, float, float, float]:
    """(xMin, yMin, xMax, yMax) of a word on a page as fractions of the page, from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    width, height = (float(v) for v in re.search(r'<page width="([\d.]+)" height="([\d.]+)"', out).groups())
    found = re.search(rf'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">{word}</word>', out)
    assert found, f"{word!r} not on page {page}"
    x0, y0, x1, y1 = (float(v) for v in found.groups())
    return x0 / width, y0 / height, x1 / width, y1 / height


@pytest.mark.slow
def test_an_inserted_section_is_one_added_page_and_a_changed_word_is_highlighted(editions):
    old, new = editions
    old_texts, new_texts = poppler_pages(old), poppler_pages(new)
    assert len(new_texts) == len(old_texts) + 1
    diff = diff_files(old, new)
    statuses = {(p.old_page, p.new_page): p.status for p in diff.pages}
    added = [p for p in diff.pages if p.status == "added"]
    assert [p.new_page for p in added] == [next(i + 1 for i, t in enumerate(new_texts) if "Every summer since 2012" in t)]
    assert diff.count("removed") == 0
    # The pages after the inserted one still meet their counterparts, one page later.
    word_page = next(i + 1 for i, t in enumerate(new_texts) if "Likewise" in t)
    old_word_page = next(i + 1 for i, t in enumerate(old_texts) if "Similarly in 2009" in t)
    assert statuses[(old_word_page, word_page)] == "changed"
    assert word_page == old_word_page + 1
    unchanged = [(o, n) for (o, n), status in statuses.items() if status == "unchanged"]
    assert unchanged and all(n == o + 1 for o, n in unchanged if o is not None and o > old_word_page)
    assert (1, 1) in unchanged  # the cover
    # The changed page's text diff names the word, and a highlighted area covers where poppler finds it.
    row = next(p for p in diff.pages if p.new_page == word_page)
    assert any(line.startswith("- ") and "Similarly" in line for line in row.text_diff)
    assert any(line.startswith("+ ") and "Likewise" in line for line in row.text_diff)
    x0, y0, x1, y1 = poppler_word_box(new, word_page, "Likewise")
    from PIL import Image
    import io
    width, height = Image.open(io.BytesIO(row.new_png)).size
    assert any(left <= x0 * width + 2 and right >= x1 * width - 2 and top <= y0 * height + 2 and bottom >= y1 * height - 2
               for left, top, right, bottom in row.boxes), row.boxes
    assert diff.summary().endswith(f"1 page added, 0 removed, {diff.count('changed')} changed, {len(unchanged)} unchanged")
    assert "Likewise" in report_html(diff) and report_html(diff).count("<section") == len(diff.pages)


@pytest.mark.slow
def test_the_command_exits_1_with_changes_and_0_without(editions, tmp_path, capsys):
    old, new = editions
    report = tmp_path / "report.html"
    assert main(["diff", str(old), str(new), "-o", str(report)]) == 1
    assert "1 page added, 0 removed" in capsys.readouterr().out
    assert report.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert main(["diff", str(old), str(old), "-o", str(report)]) == 0
    assert "0 pages added, 0 removed, 0 changed" in capsys.readouterr().out


def test_a_file_that_is_not_a_pdf_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.pdf"
    bad.write_text("not a pdf")
    assert main(["diff", str(bad), str(bad)]) == 1
    assert "not a readable PDF" in capsys.readouterr().err
