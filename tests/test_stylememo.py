"""Stylesheets parsed once per process (render/stylememo.py): each document still gets the same
pages, fetches, sandbox checks and warnings as when its head is parsed anew."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest

import weasyprint.css as wp_css
from twinprint.errors import FetchRefused
from twinprint.render import stylememo
from twinprint.render.pdf import SandboxFetcher, render_pdf

PROJECT = Path(__file__).resolve().parents[1]
FONT = (PROJECT / "fonts" / "NotoSans-Regular.ttf").as_uri()
ICC = next((PROJECT / "icc").glob("*.icc"))
HEAD = (f'<style>@font-face {{ font-family: "TP Memo"; src: url("{FONT}") }}\n'
        '@page { size: 120mm 80mm; margin: 10mm; @bottom-center { content: counter(page) } }\n'
        'p { font-family: "TP Memo"; color: #224466 } h1 { font-size: 20pt }</style>')
BODY = "<h1>Nanjing – Firenze</h1><p>Sister cities since 1980.</p>"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times WeasyPrint itself parsed a document's stylesheets, from a memory emptied first."""
    stylememo.forget()
    counted: list[int] = []
    original = stylememo._original_find_stylesheets

    def counting(*arguments):
        counted.append(1)
        return original(*arguments)

    monkeypatch.setattr(stylememo, "_original_find_stylesheets", counting)
    yield counted
    stylememo.forget()


def render(html: str, root: Path = PROJECT, base: Path = PROJECT):
    fetcher = SandboxFetcher(allowed_roots=(root,))
    return render_pdf(html, base.as_uri() + "/", fetcher), fetcher


def test_a_head_seen_before_is_parsed_once_and_renders_the_same_bytes_and_fetches(parses, monkeypatch):
    first, _ = render(HEAD + BODY)
    second, fetcher = render(HEAD + BODY)
    assert len(parses) == 1
    assert FONT in fetcher.fetched  # the @font-face file is read again, by this document's fetcher
    monkeypatch.setattr(wp_css, "find_stylesheets", stylememo._original_find_stylesheets)
    unkept, _ = render(HEAD + BODY)
    assert second.pdf == unkept.pdf == first.pdf and second.fetched == unkept.fetched
    with pikepdf.open(io.BytesIO(second.pdf)) as pdf:
        assert [round(float(v) / 72 * 25.4) for v in pdf.pages[0].mediabox[2:]] == [120, 80]


def test_a_kept_head_still_goes_through_the_sandbox_of_each_document(parses, tmp_path):
    render(HEAD + BODY)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(FetchRefused, match="NotoSans-Regular.ttf"):
        render(HEAD + BODY, root=elsewhere)
    assert len(parses) == 1


def test_a_colour_profile_is_read_again_for_each_document(parses):
    head = f'<style>@color-profile device-cmyk {{ src: url("{ICC.as_uri()}"); components: cyan, magenta, yellow, black }}' \
           ' p { color: device-cmyk(0 0.5 1 0) }</style>'
    first, _ = render(head + BODY)
    second, fetcher = render(head + BODY)
    assert len(parses) == 1 and ICC.resolve().as_uri() in fetcher.fetched
    assert second.pdf == first.pdf


def test_a_head_that_warns_is_parsed_again_and_warns_again(parses):
    head = "<style>p { colour: red }</style>"
    warnings = [render(head + BODY)[0].warnings for _ in range(2)]
    assert len(parses) == 2
    assert all(any("colour" in line for line in found) for found in warnings), warnings


@pytest.mark.parametrize("reference", ['<link rel="stylesheet" href="{name}">', '<style>@import url("{name}");</style>'])
def test_stylesheets_read_from_files_are_parsed_for_each_document(parses, tmp_path, reference):
    sheet = tmp_path / "page.css"
    html = reference.format(name=sheet.name) + BODY
    sizes = []
    for width in (100, 140):
        sheet.write_text(f"@page {{ size: {width}mm 90mm }}", encoding="utf-8")
        rendered, _ = render(html, root=tmp_path, base=tmp_path)
        with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
            sizes.append(round(float(pdf.pages[0].mediabox[2]) / 72 * 25.4))
    assert sizes == [100, 140] and len(parses) == 2
