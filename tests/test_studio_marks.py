"""Where the studio draws preflight findings: marks over the spot a second reader (poppler) finds the problem."""

from __future__ import annotations

import base64
import io
import re
import subprocess
from pathlib import Path

from PIL import Image
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


def fractions_of(box: tuple[float, float, float, float], page_pt: tuple[float, float]) -> tuple[float, float, float, float]:
    """A poppler box (points from the top-left) as fractions of a page without bleed (trim box = media box)."""
    x0, y0, x1, y1 = box
    return x0 / page_pt[0], y0 / page_pt[1], x1 / page_pt[0], y1 / page_pt[1]


def assert_mark_on(mark, expected: tuple[float, float, float, float], within: float = 0.02) -> None:
    left, top, right, bottom = expected
    found = (mark.left, mark.top, mark.left + mark.width, mark.top + mark.height)
    assert all(abs(a - b) < within for a, b in zip(found, (left, top, right, bottom))), (found, expected)


def test_text_hidden_under_a_figure_is_marked_where_it_is(tmp_path):
    from weasyprint import HTML

    figure = Image.new("RGB", (40, 20), "#a0522d")
    buffer = io.BytesIO()
    figure.save(buffer, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    html = ("<style>@page { size: 100mm 100mm; margin: 10mm } body { margin: 0; font: 10pt serif }</style>"
            "<p>Shown above the fold</p><p style='margin-top: 30mm'>Covered anniversary line</p>"
            f"<img src='{uri}' style='position: absolute; top: 38mm; left: 0; width: 70mm'>")
    data = HTML(string=html).write_pdf()
    report = preflight_pdf(data, "planted.pdf", PreflightContext(profile="screen"))
    hidden = [f for f in report.findings if f.check == "geometry" and "is hidden" in f.message]
    assert [f.message for f in hidden] == ["text 'Covered anniversary line' is hidden: under a figure"]
    marks = [mark for mark in report_marks(data, report) if mark.check == "geometry"]
    assert len(marks) == 1 and marks[0].page == 1 and marks[0].severity == "error"
    file = tmp_path / "planted.pdf"
    file.write_bytes(data)
    side = 100 / 25.4 * 72
    words = [poppler_word(file, word) for word in ("Covered", "line")]
    assert_mark_on(marks[0], fractions_of((words[0][0], words[0][1], words[1][2], words[1][3]), (side, side)))


def test_an_overflowing_document_is_shown_with_the_overflow_marked_where_it_is(tmp_path, project_root):
    """The studio shows a poster too small for its content as laid out, the one-line error, and a box on what reaches out."""
    from twinprint.batch.jobs import Job
    from twinprint.request import BuildRequest
    from twinprint.studio.live import LiveDocument

    request = BuildRequest(project_root / "content" / "nanjing-florence", "poster", "en", tmp_path / "build", project_root, paper="400x120")
    live = LiveDocument(Job("nanjing-florence/poster-400x120.en.pdf", request))
    events: list[dict] = []
    try:
        live.rebuild(events.append)
    finally:
        live.renderer.stop()
    kinds = [event["type"] for event in events]
    assert kinds[0] == "pages" and events[0]["changed"] == [1] and "error" in kinds and kinds[-1] == "findings"
    error = next(event for event in events if event["type"] == "error")
    assert error["shown"] and error["message"].startswith("poster: the span.anniversary ('40 years of twinning') overflows ")
    assert live.error == error["message"] and live.overflowing and live.pdf is not None
    fit = [mark for mark in live.marks if mark.check == "fit"]
    assert len(fit) == 1 and fit[0].page == 1 and fit[0].severity == "error"
    file = tmp_path / "overflowing.pdf"
    file.write_bytes(live.pdf)
    first, last = poppler_word(file, "40"), poppler_word(file, "twinning")
    assert_mark_on(fit[0], fractions_of((first[0], first[1], last[2], last[3]), (400 / 25.4 * 72, 120 / 25.4 * 72)), within=0.01)
