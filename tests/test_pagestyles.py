"""Page styles computed once per kind of page (render/pagestyles.py): the same PDF as WeasyPrint's
page-by-page styles, and `:nth()` pages still styled one by one (read back with poppler)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

import weasyprint.layout.page as wp_page
from twinprint.render import pagestyles
from twinprint.render.pdf import SandboxFetcher, render_pdf

PROJECT = Path(__file__).resolve().parents[1]
PAGES = ("@page { size: 100mm 70mm; margin: 12mm; @bottom-center { content: counter(page) ' / ' counter(pages) } }"
         "@page :left { @top-left { content: 'Nanjing' } } @page :right { @top-right { content: 'Firenze' } }"
         "@page :first { @top-right { content: none } } @page wide { size: 140mm 70mm }")
BODY = "".join(f"<p style='break-before: page{'; page: wide' if n % 5 == 4 else ''}'>Panel {n}</p>" for n in range(12))


@pytest.fixture
def styled(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The page types WeasyPrint computed styles for."""
    computed: list[object] = []
    original = pagestyles._original_set_styles

    def counting(page_type, html, style_for):
        computed.append(page_type)
        return original(page_type, html, style_for)

    monkeypatch.setattr(pagestyles, "_original_set_styles", counting)
    return computed


def render(html: str) -> bytes:
    return render_pdf(html, PROJECT.as_uri() + "/", SandboxFetcher(allowed_roots=(PROJECT,))).pdf


def test_pages_of_one_kind_share_their_styles_and_print_the_same(styled, monkeypatch):
    html = f"<style>{PAGES}</style>{BODY}"
    kept = render(html)
    kinds = len(styled)
    assert 2 <= kinds <= 6  # first, left, right, each also named "wide": not 12
    monkeypatch.setattr(wp_page, "set_page_type_computed_styles", pagestyles._original_set_styles)
    assert render(html) == kept and len(styled) == kinds + 12


def test_a_page_selected_by_index_is_styled_on_its_own(styled, tmp_path):
    pdf = tmp_path / "nth.pdf"
    pdf.write_bytes(render(f"<style>{PAGES} @page :nth(3) {{ background: rgb(200, 0, 0) }}</style>{BODY}"))
    subprocess.run(["pdftoppm", "-r", "10", "-png", "-f", "2", "-l", "4", str(pdf), str(tmp_path / "page")], check=True)
    red = [Image.open(tmp_path / f"page-{n:02d}.png").convert("RGB").getpixel((1, 1))[1] < 100 for n in (2, 3, 4)]
    assert red == [False, True, False] and len(styled) == 12
