"""Previews: one PNG per page at its trim box, and a contact sheet of all pages."""

from __future__ import annotations

from PIL import Image
from reportlab.lib.pagesizes import A5
import pytest

from synthpdf import numbered_pdf
from twinprint.cli import main
from twinprint.prepress.preview import preview_paths


def test_preview_png_writes_thumbnails_and_contact_sheet(tmp_path, capsys):
    pdf = tmp_path / "flyer.en.pdf"
    pdf.write_bytes(numbered_pdf(3, A5))
    assert main(["preview-png", str(pdf), "--size", "300"]) == 0
    folder, contact = preview_paths(pdf)
    pages = sorted(folder.glob("*.png"))
    assert [p.name for p in pages] == ["page-01.png", "page-02.png", "page-03.png"]
    with Image.open(pages[0]) as first:
        assert first.height == 300 and first.width == pytest.approx(300 * 148 / 210, abs=1)
        # the page number in black type, on white paper
        darkest, lightest = first.convert("L").getextrema()
        assert darkest < 60 and lightest > 240
    with Image.open(contact) as sheet:
        assert sheet.width > 3 * 200 and sheet.height < sheet.width
    assert "wrote 3 thumbnails" in capsys.readouterr().out


@pytest.mark.slow
def test_build_with_previews_shows_the_trimmed_page(build_once):
    result = build_once("nanjing-florence", profile="print", previews=True)
    assert len(result.previews) == result.page_count + 1
    with Image.open(result.previews[0]) as cover:
        assert cover.width / cover.height == pytest.approx(210 / 297, abs=0.01)  # trim box, not bleed and marks
    assert result.previews[-1].name == "catalogue.en.print.contact.png"
