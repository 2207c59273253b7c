"""Chinese and mixed typography, read back from real PDFs: headlines and names never break inside a
phrase, and text in another language than the document's is tagged and set in its own face."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest

from conftest import CONTENT, PROJECT_ROOT
from twinprint.build import BuildRequest, build_document, render_exhibit_html
from twinprint.content.i18n import ForeignText, localise, plain
from twinprint.content.load import load_exhibit
from twinprint.layout import templates
from twinprint.layout.typography import QUARTER_EM_SPACE, cjk_spacing, phrases

SEED = CONTENT / "nanjing-florence"
NAMES = ("南京", "佛罗伦萨")


def test_a_name_is_one_phrase_and_a_headline_is_cut_between_phrases():
    assert phrases("佛罗伦萨", whole=True) == '<span class="tp-phrase">佛罗伦萨</span>'
    headline = str(phrases("南京—佛罗伦萨：双城记"))
    assert '<span class="tp-phrase">南京</span>' in headline and "佛罗伦萨" in headline
    assert phrases("Florence") == "Florence"  # no Han: untouched


def test_han_and_latin_are_spaced_by_a_quarter_em():
    assert cjk_spacing("自1980年起结为友好城市") == f"自{QUARTER_EM_SPACE}1980{QUARTER_EM_SPACE}年起结为友好城市"
    assert cjk_spacing("Expo 2015 Milan") == "Expo 2015 Milan"


def split_names(pdf: Path) -> list[str]:
    """Every name of NAMES that pdftotext (poppler) finds cut across two consecutive lines."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return [f"{a!r} / {b!r}" for a, b in zip(lines, lines[1:]) for name in NAMES
            for k in range(1, len(name)) if a.endswith(name[:k]) and b.startswith(name[k:])]


def poster(tmp_path: Path, orientation: str, project: Path = PROJECT_ROOT) -> Path:
    request = BuildRequest(SEED, "poster", "zh", tmp_path, project, paper="A3", orientation=orientation, preflight=False)
    return build_document(request).output


@pytest.mark.slow
@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_a3_posters_never_split_a_city_name(orientation: str, tmp_path: Path):
    assert split_names(poster(tmp_path, orientation)) == []


@pytest.mark.slow
def test_the_check_sees_the_split_when_phrases_are_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The defect planted: without phrase spans the landscape headline breaks inside 佛罗伦萨."""
    monkeypatch.setattr(templates, "phrases", lambda text, whole=False: text)
    templates._environment.cache_clear()
    try:
        assert split_names(poster(tmp_path, "landscape")) != []
    finally:
        monkeypatch.undo()
        templates._environment.cache_clear()


def fonts_of_text(pdf: Path, text: str) -> set[str]:
    """The fonts pdfium says draw the characters of `text` wherever it appears on the first page."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        page = document[0].get_textpage()
        whole = page.get_text_range()
        start = "".join(whole.split()).find("".join(text.split()))
        assert start >= 0, f"{text!r} not on the page"
        indices = [i for i, char in enumerate(whole) if not char.isspace()][start:start + len("".join(text.split()))]
        buffer, flags = ctypes.create_string_buffer(256), ctypes.c_int()
        found = set()
        for index in indices:
            pdfium_c.FPDFText_GetFontInfo(page.raw, index, buffer, 256, ctypes.byref(flags))
            found.add(buffer.value.decode().split("+")[-1])
        return found
    finally:
        document.close()


def content_with_english_title(tmp_path: Path) -> Path:
    folder = tmp_path / "nanjing-florence"
    shutil.copytree(SEED, folder)
    exhibit = folder / "exhibit.yaml"
    exhibit.write_text(exhibit.read_text(encoding="utf-8").replace('  zh: "南京—佛罗伦萨：双城记"\n', "", 1), encoding="utf-8")
    return folder


def test_english_fallback_in_a_chinese_build_is_tagged_en(tmp_path: Path):
    folder = content_with_english_title(tmp_path)
    exhibit = load_exhibit(folder)
    title = localise(exhibit, "zh").data["title"]
    assert isinstance(title, ForeignText) and title.lang == "en" and plain(title) == "Nanjing - Florence: A Tale of Two Cities"
    html, _ = render_exhibit_html(exhibit, BuildRequest(folder, "catalogue", "zh", tmp_path, PROJECT_ROOT))
    assert '<span lang="en">Nanjing - Florence: A Tale of Two Cities</span>' in html
    assert "<title>Nanjing - Florence: A Tale of Two Cities</title>" in html  # metadata untagged


@pytest.mark.slow
def test_english_fallback_in_a_chinese_poster_is_set_in_the_latin_face(tmp_path: Path):
    folder = content_with_english_title(tmp_path)
    request = BuildRequest(folder, "poster", "zh", tmp_path / "out", PROJECT_ROOT, paper="A4", preflight=False)
    assert all("CJK" not in font for font in fonts_of_text(build_document(request).output, "A Tale of Two Cities"))
    # The defect planted: a project's fonts.css without the CJK faces' unicode-range sets it in the CJK face.
    project = tmp_path / "project"
    (project / "layouts").mkdir(parents=True)
    fonts_css = (PROJECT_ROOT / "layouts" / "fonts.css").read_text(encoding="utf-8")
    (project / "layouts" / "fonts.css").write_text(fonts_css.replace(" unicode-range: U+02B0-10FFFF;", ""), encoding="utf-8")
    planted = BuildRequest(folder, "poster", "zh", tmp_path / "planted", project, paper="A4", preflight=False)
    assert any("CJK" in font for font in fonts_of_text(build_document(planted).output, "A Tale of Two Cities"))
