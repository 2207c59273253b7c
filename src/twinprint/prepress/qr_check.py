"""Preflight of QR codes' robustness: module size against the minimum, and a second, independent decoder.

zxing (preflight's first decoder) finds each code on the 150-dpi page raster;
its version gives the module count, so the printed module size. Then zbar, a
decoder sharing no code with zxing, must read every code on the same whole-page
raster, sharp and after a 1 px blur: the measure the print shop and the issue
use. (Framed by a phone, zbar reads smaller modules; a whole page is the stricter
test, and codes at the target module size pass it.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pikepdf
import pypdfium2
import zxingcpp
from PIL import Image, ImageFilter
from pyzbar import pyzbar

from ..layout.qr import GS1_MIN_MODULE_MM, MIN_MODULE_MM
from .preflight import QR_RASTER_DPI, Finding, PreflightContext

BLUR_RADIUS_PX = 1


@dataclass(frozen=True)
class FoundQr:
    text: str
    modules: int
    box_px: tuple[int, int, int, int]  # left, top, right, bottom of the symbol (no quiet zone)

    @property
    def module_mm(self) -> float:
        left, top, right, bottom = self.box_px
        return max(right - left, bottom - top) / self.modules / QR_RASTER_DPI * 25.4


def symbol_modules(code: Any) -> int:
    """Modules on a side, from the version zxing reports (QR version v has 17 + 4v); 0 if unknown."""
    extra = code.extra
    if isinstance(extra, str):  # older zxing-cpp: a JSON string
        try:
            extra = json.loads(extra) if extra else {}
        except ValueError:
            extra = {}
    try:
        version = int(extra.get("Version", 0)) if isinstance(extra, dict) else 0
    except (TypeError, ValueError):
        version = 0
    return 17 + 4 * version if version else 0


def find_codes(image: Image.Image) -> list[FoundQr]:
    found = []
    for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        p = code.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
        modules = symbol_modules(code)
        if modules:
            found.append(FoundQr(code.text, modules, (min(xs), min(ys), max(xs) + 1, max(ys) + 1)))
    return found


def zbar_texts(image: Image.Image) -> set[str]:
    return {symbol.data.decode("utf-8", "replace") for symbol in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])}


def zbar_problems(image: Image.Image, texts: set[str]) -> dict[str, str]:
    """Which of `texts` zbar does not read on the page: at 150 dpi, or after a 1 px blur."""
    gray = image.convert("L")
    sharp = zbar_texts(gray)
    blurred = zbar_texts(gray.filter(ImageFilter.GaussianBlur(BLUR_RADIUS_PX)))
    problems = {}
    for text in texts:
        if text not in sharp:
            problems[text] = f"at {QR_RASTER_DPI} dpi"
        elif text not in blurred:
            problems[text] = f"at {QR_RASTER_DPI} dpi after a {BLUR_RADIUS_PX} px blur"
    return problems


def _where(url: str, context: PreflightContext) -> tuple[str, str]:
    """`; content field sections[0].links[0].url` when the build knows which field holds the URL."""
    fields = [name for name, text in context.content_texts if text == url]
    return (f"; content field {fields[0]}", fields[0]) if fields else ("", "")


def check_qr_robustness(document: pypdfium2.PdfDocument, pdf: pikepdf.Pdf, context: PreflightContext) -> list[Finding]:
    """Module size at least MIN_MODULE_MM (GS1's floor when the user chose a small side); zbar reads every code."""
    expected = context.expected_qr
    pages = sorted({q.page_index for q in expected}) if expected is not None else range(len(pdf.pages))
    minimum = GS1_MIN_MODULE_MM if context.min_qr_mm else MIN_MODULE_MM
    findings = []
    for index in pages:
        image = document[index].render(scale=QR_RASTER_DPI / 72).to_pil()
        codes = find_codes(image)
        unread = zbar_problems(image, {code.text for code in codes}) if codes else {}
        for code in codes:
            where, field = _where(code.text, context)
            details = (("url", code.text), ("module_mm", f"{code.module_mm:.3f}")) + ((("field", field),) if field else ())
            if code.module_mm < minimum - 0.01:
                findings.append(Finding("error", "qr-robustness", f"QR code for {code.text} has {code.module_mm:.2f} mm modules, under the "
                                        f"{minimum:g} mm minimum: shorten the link or give it a larger side{where}", (index + 1,), details))
            problem = unread.get(code.text)
            if problem:
                findings.append(Finding("error", "qr-robustness", f"QR code for {code.text} is not read by a second decoder (zbar) {problem}"
                                        f"{where}", (index + 1,), details))
    return findings
