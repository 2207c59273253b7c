"""URL -> QR code as a compact vector drawing (one path of horizontal module runs)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import qrcode
import qrcode.constants
from qrcode.exceptions import DataOverflowError

from .errors import ContentError

QUIET_ZONE_MODULES = 4
ERROR_CORRECTION = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


@dataclass(frozen=True)
class QrCode:
    """A QR symbol: its dark modules as a path, in module units, quiet zone included."""

    data: str
    modules: int  # symbol side without quiet zone
    runs: tuple[tuple[int, int, int], ...]  # (row, column, length) of dark runs, no quiet zone

    @property
    def side_modules(self) -> int:
        return self.modules + 2 * QUIET_ZONE_MODULES

    def svg_path(self) -> str:
        """One path of run rectangles, origin at the top-left of the quiet zone."""
        q = QUIET_ZONE_MODULES
        return "".join(f"M{x + q} {y + q}h{length}v1h-{length}z" for y, x, length in self.runs)

    def pdf_rectangles(self) -> str:
        """The same runs as PDF `re` operators, in module units, y pointing down."""
        q = QUIET_ZONE_MODULES
        return " ".join(f"{x + q} {y + q} {length} 1 re" for y, x, length in self.runs)


def qr_matrix(data: str, error_correction: str = "M") -> list[list[bool]]:
    """The module matrix of `data`, without quiet zone; raises if it cannot fit."""
    if error_correction not in ERROR_CORRECTION:
        raise ContentError.single("<options>", "qr.error_correction", f"expected one of L, M, Q, H, got {error_correction!r}")
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION[error_correction], border=0, box_size=1)
    code.add_data(data)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError):
        raise ContentError.single(
            "<link>", "url", f"{len(data)} characters do not fit in a QR code at error correction {error_correction}", "qr-capacity"
        ) from None
    return [list(row) for row in code.get_matrix()]


def module_runs(matrix: list[list[bool]]) -> list[tuple[int, int, int]]:
    """(row, first column, length) of every horizontal run of dark modules."""
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return runs


@lru_cache(maxsize=4096)
def make_qr(data: str, error_correction: str = "M") -> QrCode:
    matrix = qr_matrix(data, error_correction)
    return QrCode(data=data, modules=len(matrix), runs=tuple(module_runs(matrix)))


def qr_svg(data: str, error_correction: str = "M", colour: str = "#000") -> str:
    """A standalone SVG of the code, white quiet zone included, scaled by its container."""
    code = make_qr(data, error_correction)
    side = code.side_modules
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/><path fill="{colour}" d="{code.svg_path()}"/></svg>'
    )
