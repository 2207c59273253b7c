"""Preflight's QR robustness check on a real print catalogue: module size and a second decoder (zbar).

The defects are planted by redrawing one code of the built file with smaller
modules (its top-left corner kept), as a dense link in a small box would be.
"""

from __future__ import annotations

import io

import pikepdf
import pypdfium2
import pytest

from twinprint.content.i18n import localise
from twinprint.layout.qr import MIN_MODULE_MM, TARGET_MODULE_MM
from twinprint.prepress.marks import mm
from twinprint.prepress.preflight import build_context, check_qr_codes
from twinprint.prepress.qr_check import check_qr_robustness

pytestmark = pytest.mark.slow
PAGE_INDEX = 2  # the first chapter page: its link's code
URL = "https://example.org/twinprint/nanjing-florence/silk-road"


def operator(instruction) -> str:
    return str(getattr(instruction, "operator", ""))


def qr_matrices(instructions: list) -> list[int]:
    """Where the `cm` drawing a code is: `/Artifact BMC q <module> 0 0 -<module> x y cm` (render/pdf.py)."""
    return [at for at in range(2, len(instructions)) if operator(instructions[at]) == "cm" and operator(instructions[at - 1]) == "q"
            and operator(instructions[at - 2]) == "BMC" and instructions[at - 2].operands[0] == "/Artifact"
            and float(instructions[at].operands[3]) == -float(instructions[at].operands[0])]


def with_module_mm(pdf_bytes: bytes, module_mm: float) -> bytes:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        page = pdf.pages[PAGE_INDEX]
        instructions = list(pikepdf.parse_content_stream(page))
        (at,) = qr_matrices(instructions)
        x, y = instructions[at].operands[4:6]
        instructions[at] = pikepdf.ContentStreamInstruction([mm(module_mm), 0, 0, -mm(module_mm), x, y], pikepdf.Operator("cm"))
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def catalogue(build_once, seed_exhibits):
    result = build_once("nanjing-florence", profile="print")
    assert "qr-robustness" in result.preflight.checks  # the build's preflight ran it
    context = build_context("print", 1, result.rendered.qr_codes, localise(seed_exhibits["nanjing-florence"], "en").data)
    return result.output.read_bytes(), context


def robustness(pdf_bytes: bytes, context, check=check_qr_robustness) -> list:
    """One of preflight's QR checks alone (the full run is slow)."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
            return check(document, pdf, context)
    finally:
        document.close()


def test_built_codes_meet_the_target_module_and_zbar_reads_them(catalogue):
    data, context = catalogue
    assert robustness(data, context) == []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pages = [list(pikepdf.parse_content_stream(page)) for page in pdf.pages]
        scales = [float(instructions[at].operands[0]) for instructions in pages for at in qr_matrices(instructions)]
    assert scales and min(scales) / mm(1) >= TARGET_MODULE_MM - 0.001


def test_preflight_reports_a_code_under_the_module_minimum_with_page_and_field(catalogue):
    data, context = catalogue
    findings = robustness(with_module_mm(data, 0.45), context)
    (small,) = [f for f in findings if "mm modules, under the" in f.message]
    assert small.pages == (PAGE_INDEX + 1,) and f"under the {MIN_MODULE_MM:g} mm minimum" in small.message
    details = dict(small.details)
    assert details["url"] == URL and details["field"] == "sections[0].links[0].url" and float(details["module_mm"]) == pytest.approx(0.45, abs=0.02)


def test_preflight_reports_a_code_zxing_reads_but_zbar_does_not(catalogue):
    """0.51 mm modules: above the minimum, read by zxing, but not by zbar in a poor capture (72 dpi, JPEG quality 30)."""
    data, context = catalogue
    planted = with_module_mm(data, 0.51)
    findings = robustness(planted, context)
    assert [f.message for f in findings] == [
        f"QR code for {URL} is not read by a second decoder (zbar) at 72 dpi as a JPEG of quality 30; content field sections[0].links[0].url"]
    assert findings[0].pages == (PAGE_INDEX + 1,) and findings[0].severity == "warning"
    assert robustness(planted, context, check_qr_codes) == []  # zxing, the first decoder, still reads it
