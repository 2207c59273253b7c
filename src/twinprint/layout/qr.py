"""URL -> QR code as a compact vector drawing (one path of horizontal module runs)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import qrcode
import qrcode.constants
import qrcode.base
import qrcode.LUT
import qrcode.util
from qrcode.exceptions import DataOverflowError
from qrcode.main import precomputed_qr_blanks

from ..errors import ContentError

QUIET_ZONE_MODULES = 4
ERROR_CORRECTION = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}

# Bytes a version-40 symbol holds in byte mode, per level (ISO/IEC 18004 table 7).
MAX_QR_BYTES = {"L": 2953, "M": 2331, "Q": 1663, "H": 1273}
LEVELS_LOW_TO_HIGH = ("L", "M", "Q", "H")

# Printed module sizes. GS1's smallest printable module (general specifications, close reading)
# is an absolute floor; a panel read at arm's length wants at least half a millimetre. Codes are
# drawn at TARGET_MODULE_MM or more: measured, zbar reads a code on a whole A4 page rendered at
# 150 dpi and blurred by 1 px from 0.7 mm on, and at 72 dpi from 0.75–0.8 mm.
GS1_MIN_MODULE_MM = 0.396
MIN_MODULE_MM = 0.5
TARGET_MODULE_MM = 0.75


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


_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE_PATTERNS = ("10111010000", "00001011101")


def mask_penalty(rows: list[int], size: int) -> int:
    """ISO 18004 mask penalty (rules 1-4) of a matrix given as row bit masks, as qrcode scores it."""
    lines = [format(row, f"0{size}b") for row in rows]
    lines += ["".join(column) for column in zip(*lines)]
    text = " ".join(lines)  # one scan for all rows and columns; a space ends every run
    score = sum(len(run) - 2 for run in _RUN.findall(text))
    # Neither finder-like pattern can overlap itself, so plain counting finds every occurrence.
    score += 40 * sum(text.count(pattern) for pattern in _FINDER_LIKE_PATTERNS)
    full = (1 << size) - 1
    for upper, lower in zip(rows, rows[1:]):
        same_vertically = ~(upper ^ lower) & full
        same_horizontally = ~(upper ^ (upper >> 1)) & (full >> 1)
        score += 3 * (same_vertically & (same_vertically >> 1) & same_horizontally).bit_count()
    dark = sum(row.bit_count() for row in rows)
    return score + 10 * int(abs(dark / size**2 * 100 - 50) / 5)


@lru_cache(maxsize=64)
def _mask_rows(version: int, pattern: int, data_rows: tuple[int, ...]) -> tuple[int, ...]:
    size = len(data_rows)
    flip = qrcode.util.mask_func(pattern)
    return tuple(
        sum(1 << (size - 1 - c) for c in range(size) if (data >> (size - 1 - c)) & 1 and flip(r, c))
        for r, data in enumerate(data_rows)
    )


def _bits(row: list[bool | None]) -> int:
    return int("".join("1" if module else "0" for module in row), 2)


def _generator_logs(ec_count: int) -> list[int]:
    """Logs of the Reed-Solomon generator's coefficients after the leading 1."""
    if ec_count in qrcode.LUT.rsPoly_LUT:
        coefficients = list(qrcode.LUT.rsPoly_LUT[ec_count])
    else:
        poly = qrcode.base.Polynomial([1], 0)
        for i in range(ec_count):
            poly = poly * qrcode.base.Polynomial([1, qrcode.base.gexp(i)], 0)
        coefficients = [poly[i] for i in range(len(poly))]
    return [qrcode.base.LOG_TABLE[c] for c in coefficients[1:]]


def _reed_solomon(block: list[int], ec_count: int) -> list[int]:
    """The error-correction codewords of one block (polynomial division in GF(256), with log tables)."""
    generator = _generator_logs(ec_count)
    exp, log = qrcode.base.EXP_TABLE, qrcode.base.LOG_TABLE
    remainder = [0] * ec_count
    for codeword in block:
        factor = codeword ^ remainder[0]
        remainder = remainder[1:] + [0]
        if factor:
            factor_log = log[factor]
            for i, coefficient_log in enumerate(generator):
                remainder[i] ^= exp[(factor_log + coefficient_log) % 255]
    return remainder


class _IntBitBuffer:
    """The part of qrcode's BitBuffer that QRData.write uses, kept in one integer."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | (number & ((1 << length) - 1))
        self.length += length

    def __len__(self) -> int:
        return self.length

    def to_bytes(self, count: int) -> bytes:
        """The bits so far, zero-padded on the right to `count` bytes."""
        return (self.value << (count * 8 - self.length)).to_bytes(count, "big")


def _codewords(version: int, error_correction: int, data_list: list[qrcode.util.QRData]) -> list[int]:
    """qrcode.util.create_data, with padding done on bytes and the division done with log tables."""
    buffer = _IntBitBuffer()
    for data in data_list:
        buffer.put(data.mode, 4)
        buffer.put(len(data), qrcode.util.length_in_bits(data.mode, version))
        data.write(buffer)
    blocks = qrcode.base.rs_blocks(version, error_correction)
    data_bytes = sum(block.data_count for block in blocks)
    if len(buffer) > data_bytes * 8:
        raise DataOverflowError(f"{len(buffer)} bits do not fit in {data_bytes * 8}")
    terminated_bits = min(len(buffer) + 4, data_bytes * 8)  # terminator, then zero bits to a byte boundary
    used = (terminated_bits + 7) // 8
    codewords = list(buffer.to_bytes(used))
    codewords += [qrcode.util.PAD0 if i % 2 == 0 else qrcode.util.PAD1 for i in range(data_bytes - used)]
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        data_blocks.append(codewords[offset:offset + block.data_count])
        ec_blocks.append(_reed_solomon(data_blocks[-1], block.total_count - block.data_count))
        offset += block.data_count
    interleaved = [b[i] for i in range(max(map(len, data_blocks))) for b in data_blocks if i < len(b)]
    return interleaved + [b[i] for i in range(max(map(len, ec_blocks))) for b in ec_blocks if i < len(b)]


class _FastMaskQRCode(qrcode.QRCode):  # type: ignore[type-arg]
    """qrcode's encoder with the same mask choice, scored on bit masks instead of 8 full placements.

    qrcode places the data once per candidate mask and scores each in pure
    Python (about 5 ms a code); here the data is placed once, the other masks
    are applied by XOR on the data modules, and the penalty runs on integers.
    """

    _data_rows_cache: dict[int, tuple[int, ...]] = {}

    def _data_rows(self) -> tuple[int, ...]:
        """Per row, a bit mask of the modules that carry data (not function patterns)."""
        if self.version not in self._data_rows_cache:
            saved = self.modules
            self.modules = [list(row) for row in precomputed_qr_blanks[self.version]]
            self.setup_type_info(True, 0)
            if self.version >= 7:
                self.setup_type_number(True)
            self._data_rows_cache[self.version] = tuple(_bits([m is None for m in row]) for row in self.modules)
            self.modules = saved
        return self._data_rows_cache[self.version]

    def make(self, fit: bool = True) -> None:
        if fit or self.version is None:
            self.best_fit(start=self.version)
        self.data_cache = _codewords(self.version, self.error_correction, self.data_list)
        self.makeImpl(True, 0)
        size = self.modules_count
        data_rows = self._data_rows()
        placed = [_bits(row) for row in self.modules]
        unmasked = [row ^ mask for row, mask in zip(placed, _mask_rows(self.version, 0, data_rows))]
        candidates = []
        for pattern in range(8):
            rows = [row ^ mask for row, mask in zip(unmasked, _mask_rows(self.version, pattern, data_rows))]
            candidates.append((mask_penalty(rows, size), pattern, rows))
        _, best, rows = min(candidates, key=lambda item: (item[0], item[1]))
        self.modules = [[bool((row >> (size - 1 - c)) & 1) for c in range(size)] for row in rows]
        self.setup_type_info(False, best)
        if self.version >= 7:
            self.setup_type_number(False)
        self.mask_pattern = best


def qr_matrix(data: str, error_correction: str = "M") -> list[list[bool]]:
    """The module matrix of `data`, without quiet zone; raises if it cannot fit."""
    if error_correction not in ERROR_CORRECTION:
        raise ContentError.single("<options>", "qr.error_correction", f"expected one of L, M, Q, H, got {error_correction!r}")
    code = _FastMaskQRCode(error_correction=ERROR_CORRECTION[error_correction], border=0, box_size=1)
    code.add_data(data)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError):
        raise ContentError.single(
            "<link>", "url", f"{len(data.encode())} bytes do not fit in a QR code at error correction {error_correction} "
            f"(at most {MAX_QR_BYTES[error_correction]}); use a shorter link", "qr-capacity"
        ) from None
    return [list(row) for row in code.get_matrix()]


def qr_capacity_problem(data: str, error_correction: str = "M") -> str | None:
    """Why `data` cannot be a QR code at this error-correction level, or None when it can."""
    try:
        make_qr(data, error_correction)
    except ContentError as error:
        return error.problems[0].message
    return None


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


@dataclass(frozen=True)
class FittedQr:
    """A code chosen for a printed side: the level it is drawn at and the side it needs."""

    code: QrCode
    error_correction: str
    side_mm: float

    @property
    def module_mm(self) -> float:
        return self.side_mm / self.code.side_modules


@lru_cache(maxsize=4096)
def fit_qr(data: str, side_mm: float, error_correction: str = "M", module_mm: float = TARGET_MODULE_MM,
           grow: bool = True) -> FittedQr:
    """The code for `data` with modules of at least `module_mm` (quiet zone included in the side).

    Dense codes first drop error correction (towards L, the level asked for being the most
    kept), because fewer modules read better than more redundancy in small ones; when even
    the fewest modules are too small at `side_mm`, the side grows (unless `grow` is False:
    a side the user fixed, which preflight then holds to GS1's floor).
    """
    if error_correction not in ERROR_CORRECTION:
        make_qr(data, error_correction)  # raises the one-line error
    levels = LEVELS_LOW_TO_HIGH[: LEVELS_LOW_TO_HIGH.index(error_correction) + 1]
    codes = []
    for level in reversed(levels):  # the level asked for first; a lower one encoded only when needed
        code = make_qr(data, level)
        if side_mm / code.side_modules >= module_mm:
            return FittedQr(code, level, side_mm)
        codes.append((code, level))
    code, level = min(codes, key=lambda item: item[0].modules)  # min() keeps the first: the higher level on a tie
    needed_mm = math.ceil(code.side_modules * module_mm * 100) / 100
    return FittedQr(code, level, max(side_mm, needed_mm) if grow else side_mm)


def qr_svg(data: str, error_correction: str = "M", colour: str = "#000") -> str:
    """A standalone SVG of the code, white quiet zone included, scaled by its container."""
    code = make_qr(data, error_correction)
    side = code.side_modules
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/><path fill="{colour}" d="{code.svg_path()}"/></svg>'
    )
