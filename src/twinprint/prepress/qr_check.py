"""Preflight of QR codes' robustness: module size against the minimum, and a second, independent decoder.

zxing (preflight's first decoder) finds each code on the 150-dpi page raster;
its version gives the module count, so the printed module size. Then zbar, a
decoder sharing no code with zxing, must read every code framed as a phone
frames it (the code and half its side around it): at 150 dpi after a 1 px blur,
and (a warning only) at 72 dpi saved as a JPEG of quality 30, a poor capture. The framed test is
the stable one: zbar's scan of a whole page misses sound codes among some text
(a 0.76 mm code of a generated report), while the degraded 72-dpi capture still
fails 0.55 mm modules and passes 0.6 mm and more.
"""

from __future__ import annotations

import io
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
COARSE_DPI = 72
POOR_JPEG_QUALITY = 30
FRAME_MARGIN = 0.5  # of the side, on each side


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


def framed(image: Image.Image, code: FoundQr, scale: float = 1.0) -> Image.Image:
    """The code and half its side around it, from `image` (rendered at `scale` times the 150-dpi raster)."""
    left, top, right, bottom = (v * scale for v in code.box_px)
    margin = (right - left) * FRAME_MARGIN
    return image.crop((int(max(0, left - margin)), int(max(0, top - margin)),
                       int(min(image.width, right + margin)), int(min(image.height, bottom + margin))))


def poor_capture(image: Image.Image) -> Image.Image:
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=POOR_JPEG_QUALITY)
    return Image.open(io.BytesIO(encoded.getvalue()))


def zbar_problems(sharp_page: Image.Image, coarse_page: Image.Image, codes: list[FoundQr]) -> dict[str, tuple[str, str]]:
    """(severity, how) for the codes zbar does not read, framed: an error at 150 dpi after a 1 px blur;
    a warning at 72 dpi as a JPEG of quality 30 (a poor capture: a code may then need a second try)."""
    problems = {}
    for code in codes:
        if code.text not in zbar_texts(framed(sharp_page, code).filter(ImageFilter.GaussianBlur(BLUR_RADIUS_PX))):
            problems[code.text] = ("error", f"at {QR_RASTER_DPI} dpi after a {BLUR_RADIUS_PX} px blur")
        elif code.text not in zbar_texts(poor_capture(framed(coarse_page, code, COARSE_DPI / QR_RASTER_DPI))):
            problems[code.text] = ("warning", f"at {COARSE_DPI} dpi as a JPEG of quality {POOR_JPEG_QUALITY}")
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
        coarse = document[index].render(scale=COARSE_DPI / 72).to_pil().convert("L") if codes else None
        unread = zbar_problems(image.convert("L"), coarse, codes) if codes else {}
        for code in codes:
            where, field = _where(code.text, context)
            details = (("url", code.text), ("module_mm", f"{code.module_mm:.3f}")) + ((("field", field),) if field else ())
            if code.module_mm < minimum - 0.01:
                findings.append(Finding("error", "qr-robustness", f"QR code for {code.text} has {code.module_mm:.2f} mm modules, under the "
                                        f"{minimum:g} mm minimum: shorten the link or give it a larger side{where}", (index + 1,), details))
            if code.text in unread:
                severity, problem = unread[code.text]
                findings.append(Finding(severity, "qr-robustness", f"QR code for {code.text} is not read by a second decoder (zbar) {problem}"
                                        f"{where}", (index + 1,), details))
    return findings
