"""Latin runs in a Chinese document carry their lang; interface strings get CJK-Latin spacing."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from corpus import sample_specs, write_exhibit

from twinprint.build import BuildRequest, build_document, render_exhibit_html
from twinprint.content.load import load_exhibit
from twinprint.layout.scripttags import tag_latin_runs
from twinprint.layout.typography import QUARTER_EM_SPACE
from twinprint.prepress.structlang import is_latin_text, marked_texts
from twinprint.prepress.structure import page_parents

ROOT = Path(__file__).resolve().parents[1]


def test_latin_runs_are_tagged_outside_tags_head_and_svg():
    html = ('<head><title>Abc</title><style>p { color: red }</style></head><body><p class="x">南京 Florence，'
            'Dell&#39;Acqua &amp; Nanjing - Firenze 2020年<br><a href="https://x.org/a">https://x.org/a</a>.</p>'
            '<p lang="en">Already tagged, left alone</p><svg><text>Ab</text></svg></body>')
    assert tag_latin_runs(html) == (
        '<head><title>Abc</title><style>p { color: red }</style></head><body><p class="x">南京 <span lang="en">Florence</span>，'
        '<span lang="en">Dell&#39;Acqua &amp; Nanjing - Firenze 2020</span>年<br><a href="https://x.org/a">'
        '<span lang="en">https://x.org/a</span></a>.</p><p lang="en">Already tagged, left alone</p><svg><text>Ab</text></svg></body>')


def _html(layout: str, language: str) -> str:
    folder = ROOT / "content" / "nanjing-florence"
    return render_exhibit_html(load_exhibit(folder), BuildRequest(folder, layout, language, ROOT / "build", ROOT))[0]


def test_zh_catalogue_tags_latin_names_and_spaces_interface_strings():
    html = _html("catalogue", "zh")
    assert '<span class="latin-name"><span lang="en">Florence</span></span>' in html
    assert f"自{QUARTER_EM_SPACE}1980{QUARTER_EM_SPACE}年起" in html  # "Sister cities since %(year)s"
    assert '<span class="latin-name">Firenze</span>' in _html("catalogue", "it")  # Latin documents are left as they are


@pytest.mark.slow
def test_accessible_zh_poster_gives_latin_text_its_lang_in_the_structure_tree(tmp_path: Path):
    """The sectionless corpus exhibit (Latin city names, English fallbacks) as an accessible zh poster: every structure
    element showing Latin text has /Lang en, none showing Chinese has, and no Latin letter comes from a CJK face."""
    folder = write_exhibit(sample_specs()[-1], tmp_path / "content" / "empty")
    result = build_document(BuildRequest(folder, "poster", "zh", tmp_path / "out", ROOT, profile="accessible"))
    assert [f.message for f in result.preflight.findings if f.severity == "error"] == []  # geometry: Latin faces, too
    shown = marked_texts(result.output.read_bytes())
    with pikepdf.open(result.output) as pdf:
        assert str(pdf.Root.Lang) == "zh-Hans"
        parents = page_parents(pdf)
        langs = {text: str(parents[int(page.obj.StructParents)][mcid].get("/Lang", ""))
                 for page, texts in zip(pdf.pages, shown) for mcid, text in texts.items()}
    latin = {text for text, lang in langs.items() if lang == "en"}
    assert latin and all(is_latin_text(text) for text in latin)
    assert {text for text, lang in langs.items() if is_latin_text(text)} == latin
    assert any("Week m" in text for text in latin)  # a city's English name, the fallback of a zh document
