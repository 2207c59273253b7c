"""Where the studio draws preflight findings: marks over the spot a second reader (poppler) finds the problem."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from reportlab.pdfgen import canvas

from twinprint.prepress.preflight import PreflightContext, preflight_pdf
from twinprint.studio.marks import report_marks

MEDIA_PT = (300.0, 400.0)
BLEED_PT = 9.0  # about 3 mm


def pdf_with_text_across_the_trim() -> bytes:
    """One page with trim and bleed boxes, a safe word in the middle and `CUTOFF` running off the right trim edge."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=MEDIA_PT, invariant=True)
    width, height = MEDIA_PT
    pdf.setTrimBox((BLEED_PT, BLEED_PT, width - BLEED_PT, height - BLEED_PT))
    pdf.setBleedBox((0, 0, width, height))
    pdf.setFont("Helvetica", 14)
    pdf.drawString(100, 200, "SAFE")
    pdf.drawString(width - 40, 300, "CUTOFF")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def poppler_word(pdf: Path, word: str) -> tuple[float, float, float, float]:
    """The word's box in PDF points from the media box's top-left, as pdftotext -bbox reads it."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = re.search(rf'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">{word}\w*</word>', out)
    assert found, out
    return tuple(float(v) for v in found.groups())  # type: ignore[return-value]


def test_text_crossing_the_trim_is_marked_where_it_is(tmp_path):
    data = pdf_with_text_across_the_trim()
    report = preflight_pdf(data, "planted.pdf", PreflightContext(profile="print"))
    assert any(f.check == "trim" and f.severity == "error" for f in report.findings)
    marks = [mark for mark in report_marks(data, report) if mark.check == "trim"]
    assert len(marks) == 1, marks  # the word off the edge, not the safe one
    (mark,) = marks
    file = tmp_path / "planted.pdf"
    file.write_bytes(data)
    x0, y0, x1, y1 = poppler_word(file, "CUTOF")  # poppler stops at the media box
    trim_width, trim_height = MEDIA_PT[0] - 2 * BLEED_PT, MEDIA_PT[1] - 2 * BLEED_PT
    # poppler's box, from the media box's top-left, as fractions of the trim box (clipped to it, like the mark).
    left, top = (x0 - BLEED_PT) / trim_width, (y0 - BLEED_PT) / trim_height
    bottom = (y1 - BLEED_PT) / trim_height
    assert abs(mark.left - left) < 0.02 and abs(mark.top - top) < 0.03 and abs(mark.top + mark.height - bottom) < 0.03
    assert mark.left + mark.width == 1.0 or abs(mark.left + mark.width - 1.0) < 1e-6  # cut at the trim edge it crosses
    assert mark.page == 1 and mark.severity == "error"
