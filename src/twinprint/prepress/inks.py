"""The ink report: for each page, the plates it prints on and its maximum total ink (area coverage), and where.

Measured on ghostscript's separations (the tiffsep device, one image per
plate, spot inks included) of the bleed box, not on what twinprint meant to
write: the press sees every plate ghostscript sees. A total over the output
condition's limit (300 % for FOGRA39) smears and sets off, so it is an error.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image
from rich.table import Table

from .marks import Box, mm
from .preflight import Finding, PreflightReport
from .profiles import MAX_TOTAL_INK_PERCENT

INK_DPI = 50
PLATE_MIN_LEVEL = 2  # of 255: less makes no dot
# Each plate is measured in 8 bits: allow the rounding of four of them.
TOTAL_INK_TOLERANCE_PERCENT = 1.5
TIMEOUT_S = 300
PROCESS_ORDER = ("Cyan", "Magenta", "Yellow", "Black")
_SEPARATION = re.compile(r"^p(\d+)\((.+)\)\.tif$")


@dataclass(frozen=True)
class PageInks:
    page: int  # 1-based
    plates: tuple[str, ...]
    max_total_ink_percent: float
    at_mm: tuple[float, float]  # where the maximum is: from the trim's top-left corner (negative: in the bleed)


def separations(pdf_bytes: bytes, folder: Path) -> dict[int, dict[str, Path]]:
    """page -> plate name -> ghostscript's separation image of the page's bleed box (255 = no ink)."""
    pdf_path = folder / "file.pdf"
    pdf_path.write_bytes(pdf_bytes)
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", f"-r{INK_DPI}", "-dUseBleedBox",
                    f"-sOutputFile={folder / 'p%d.tif'}", str(pdf_path)], check=True, capture_output=True, timeout=TIMEOUT_S)
    plates: dict[int, dict[str, Path]] = {}
    for file in folder.iterdir():
        match = _SEPARATION.match(file.name)
        if match:
            plates.setdefault(int(match.group(1)), {})[match.group(2)] = file
    return plates


def _plate_order(name: str) -> tuple[int, str]:
    return (PROCESS_ORDER.index(name), "") if name in PROCESS_ORDER else (len(PROCESS_ORDER), name)


def measure_page(page: int, plates: dict[str, Path], page_obj: pikepdf.Object) -> PageInks:
    images = {name: Image.open(path).convert("L") for name, path in sorted(plates.items(), key=lambda item: _plate_order(item[0]))}
    used = tuple(name for name, image in images.items() if image.getextrema()[0] <= 255 - PLATE_MIN_LEVEL)
    width, _ = next(iter(images.values())).size
    sums = list(map(sum, zip(*(image.tobytes() for image in images.values()))))
    darkest = min(range(len(sums)), key=sums.__getitem__)
    total = (255 * len(images) - sums[darkest]) / 255 * 100
    trim = Box.of(page_obj.get("/TrimBox", page_obj.MediaBox))
    bleed = Box.of(page_obj.get("/BleedBox", page_obj.MediaBox))
    x_mm = (darkest % width + 0.5) / INK_DPI * 25.4 - (trim.left - bleed.left) / mm(1)
    y_mm = (darkest // width + 0.5) / INK_DPI * 25.4 - (bleed.top - trim.top) / mm(1)
    return PageInks(page, used, round(total, 1), (round(x_mm, 1), round(y_mm, 1)))


def page_inks(pdf_bytes: bytes, pdf: pikepdf.Pdf) -> list[PageInks]:
    """The ink report of every page, from ghostscript's separations."""
    with tempfile.TemporaryDirectory(prefix="twinprint-inks-") as scratch:
        plates = separations(pdf_bytes, Path(scratch))
        return [measure_page(number, plates[number], page.obj) for number, page in enumerate(pdf.pages, 1) if number in plates]


def ink_report(pdf_bytes: bytes, pdf: pikepdf.Pdf, profile: str) -> list[PageInks] | None:
    """The print profile's ink report; None for other profiles or without ghostscript."""
    if profile != "print" or shutil.which("gs") is None:
        return None
    return page_inks(pdf_bytes, pdf)


def check_total_ink(pages: list[PageInks] | None, profile: str, limit_percent: float = MAX_TOTAL_INK_PERCENT) -> list[Finding]:
    """Preflight (print): no page over the output condition's total ink limit."""
    if profile != "print":
        return []
    if pages is None:
        return [Finding("warning", "inks", "ghostscript (gs) is not installed: total ink not measured (scripts/bootstrap.sh installs it)")]
    return [Finding("error", "inks", f"total ink {p.max_total_ink_percent:g} % at {p.at_mm[0]:g}, {p.at_mm[1]:g} mm from the trim's "
                    f"top-left corner, over the {limit_percent:g} % the output condition allows", (p.page,),
                    (("max_total_ink_percent", f"{p.max_total_ink_percent:g}"), ("at_mm", f"{p.at_mm[0]:g},{p.at_mm[1]:g}")))
            for p in pages if p.max_total_ink_percent > limit_percent + TOTAL_INK_TOLERANCE_PERCENT]


def ink_rows(pages: list[PageInks]) -> list[dict[str, Any]]:
    """The ink report as JSON-ready rows."""
    return [asdict(p) | {"plates": list(p.plates), "at_mm": list(p.at_mm)} for p in pages]


def ink_table(report: PreflightReport) -> Table:
    """The human ink report: one row per page."""
    table = Table(title=f"inks ({len(report.inks)} pages; total ink limit {MAX_TOTAL_INK_PERCENT} %)", title_justify="left")
    for column in ("page", "plates", "max total ink", "at (mm from trim top-left)"):
        table.add_column(column, overflow="fold")
    for row in report.inks:
        x, y = row["at_mm"]
        table.add_row(str(row["page"]), " ".join(row["plates"]) or "-", f"{row['max_total_ink_percent']:g} %", f"{x:g}, {y:g}")
    return table
