"""Read a finished PDF once, page by page: fonts and the glyph codes shown, colour operators, placed images.

Content streams are walked with the graphics state that matters here (the
transformation matrix, the current font, the colour spaces), following Form
XObjects into their own resources, so an image inside an SVG figure or an
opacity group is measured at the size it is printed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterator

import pikepdf

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MAX_FORM_DEPTH = 12
RGB_SPACES = ("/DeviceRGB", "/CalRGB")
_TEXT_SHOW = {"Tj", "TJ", "'", '"'}


def multiply(first: Matrix, second: Matrix) -> Matrix:
    """first × second, as PDF composes `cm` (first applied, then second)."""
    a, b, c, d, e, f = first
    a2, b2, c2, d2, e2, f2 = second
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


@dataclass(frozen=True)
class PlacedImage:
    """One raster image as drawn on a page: pixels, colour space, printed size and resolution."""

    name: str
    width_px: int
    height_px: int
    colour_space: str
    width_pt: float
    height_pt: float

    @property
    def dpi(self) -> float:
        """The lower of the horizontal and vertical effective resolutions."""
        if self.width_pt <= 0 or self.height_pt <= 0:
            return math.inf
        return min(self.width_px / (self.width_pt / 72), self.height_px / (self.height_pt / 72))

    @property
    def is_rgb(self) -> bool:
        return self.colour_space in ("RGB", "DeviceRGB", "CalRGB")


@dataclass
class PageScan:
    """What one page draws."""

    index: int
    fonts: dict[tuple[int, int], pikepdf.Object] = field(default_factory=dict)
    shown_codes: dict[tuple[int, int], set[int]] = field(default_factory=dict)
    rgb_colours: int = 0
    rgb_groups: int = 0
    rgb_shadings: int = 0
    images: list[PlacedImage] = field(default_factory=list)


def font_key(font: pikepdf.Object) -> tuple[int, int]:
    return font.objgen if font.is_indirect else (id(font), -1)


def colour_space_name(space: pikepdf.Object | None, resources: pikepdf.Object | None = None) -> str:
    """A short name for a colour space: DeviceRGB, RGB (ICC, 3 components), CMYK, Gray, Separation…"""
    if space is None:
        return "none"
    if isinstance(space, pikepdf.Name) and resources is not None and space in resources.get("/ColorSpace", {}):
        return colour_space_name(resources.ColorSpace[space])
    if isinstance(space, pikepdf.Array) and len(space) >= 2:
        family = str(space[0])
        if family == "/ICCBased":
            return {1: "Gray", 3: "RGB", 4: "CMYK"}.get(int(space[1].get("/N", 0)), "ICC")
        if family == "/Indexed":
            return colour_space_name(space[1], resources)
        return family.lstrip("/")
    return str(space).lstrip("/")


def _text_codes(operands: list, operator: str) -> Iterator[bytes]:
    if operator == "TJ":
        yield from (bytes(item) for item in operands[0] if isinstance(item, pikepdf.String))
    elif operands and isinstance(operands[-1], pikepdf.String):
        yield bytes(operands[-1])


def _two_byte_codes(data: bytes) -> Iterator[int]:
    for at in range(0, len(data) - 1, 2):
        yield data[at] << 8 | data[at + 1]


class _Walker:
    """Walks one page's content and the forms it draws, filling a PageScan."""

    def __init__(self, scan: PageScan) -> None:
        self.scan = scan
        self.rgb_spaces: set[str] = set()

    def walk(self, content: pikepdf.Object, resources: pikepdf.Object, ctm: Matrix, depth: int = 0) -> None:
        stack: list[Matrix] = []
        font: pikepdf.Object | None = None
        for instruction in pikepdf.parse_content_stream(content):
            operands, operator = instruction.operands, str(instruction.operator)
            if operator == "q":
                stack.append(ctm)
            elif operator == "Q" and stack:
                ctm = stack.pop()
            elif operator == "cm":
                ctm = multiply(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
            elif operator == "Tf":
                font = resources.get("/Font", {}).get(operands[0])
                if font is not None:
                    self.scan.fonts.setdefault(font_key(font), font)
            elif operator in _TEXT_SHOW and font is not None:
                self._record_text(font, list(operands), operator)
            elif operator in ("rg", "RG"):
                self.scan.rgb_colours += 1
            elif operator in ("cs", "CS") and colour_space_name(operands[0], resources) in ("DeviceRGB", "CalRGB"):
                self.scan.rgb_colours += 1
            elif operator == "sh":
                self._record_shading(resources.get("/Shading", {}).get(operands[0]), resources)
            elif operator == "Do" and depth < MAX_FORM_DEPTH:
                self._draw_xobject(operands[0], resources, ctm, depth)

    def _record_text(self, font: pikepdf.Object, operands: list, operator: str) -> None:
        if font.get("/Subtype") != "/Type0":
            return
        codes = self.scan.shown_codes.setdefault(font_key(font), set())
        for data in _text_codes(operands, operator):
            codes.update(_two_byte_codes(data))

    def _record_shading(self, shading: pikepdf.Object | None, resources: pikepdf.Object) -> None:
        if shading is not None and colour_space_name(shading.get("/ColorSpace"), resources) in ("DeviceRGB", "CalRGB"):
            self.scan.rgb_shadings += 1

    def _draw_xobject(self, name: pikepdf.Object, resources: pikepdf.Object, ctm: Matrix, depth: int) -> None:
        xobject = resources.get("/XObject", {}).get(name)
        if xobject is None:
            return
        if xobject.get("/Subtype") == "/Image" and not xobject.get("/ImageMask", False):
            a, b, c, d, _, _ = ctm
            self.scan.images.append(PlacedImage(
                str(name), int(xobject.get("/Width", 0)), int(xobject.get("/Height", 0)),
                colour_space_name(xobject.get("/ColorSpace"), resources), math.hypot(a, b), math.hypot(c, d),
            ))
        elif xobject.get("/Subtype") == "/Form":
            group = xobject.get("/Group")
            if isinstance(group, pikepdf.Dictionary) and colour_space_name(group.get("/CS")) in ("DeviceRGB", "CalRGB"):
                self.scan.rgb_groups += 1
            matrix = tuple(float(v) for v in xobject.get("/Matrix", IDENTITY))
            self.walk(xobject, xobject.get("/Resources", resources), multiply(matrix, ctm), depth + 1)  # type: ignore[arg-type]


def scan_pages(pdf: pikepdf.Pdf) -> list[PageScan]:
    scans = []
    for index, page in enumerate(pdf.pages):
        scan = PageScan(index)
        walker = _Walker(scan)
        walker.walk(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), IDENTITY)
        group = page.obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and colour_space_name(group.get("/CS")) in ("DeviceRGB", "CalRGB"):
            scan.rgb_groups += 1
        scans.append(scan)
    return scans


# --- fonts -----------------------------------------------------------------------------------

def font_name(font: pikepdf.Object) -> str:
    name = str(font.get("/BaseFont", "/unnamed")).lstrip("/")
    return name.split("+", 1)[1] if re.match(r"^[A-Z]{6}\+", name) else name


def font_descriptor(font: pikepdf.Object) -> pikepdf.Object | None:
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts", [])
        return descendants[0].get("/FontDescriptor") if len(descendants) else None
    return font.get("/FontDescriptor")


def is_embedded(font: pikepdf.Object) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are drawn by the font's own content streams
    descriptor = font_descriptor(font)
    return descriptor is not None and any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


_CIDCHAR_RE = re.compile(rb"<([0-9a-fA-F]+)>\s+(\d+)")
_BFCHAR_RE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")
_BFRANGE_RE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _section(data: bytes, begin: bytes, end: bytes) -> Iterator[bytes]:
    for match in re.finditer(rb"begin" + begin + rb"(.*?)end" + end, data, re.S):
        yield match.group(1)


def to_unicode_map(font: pikepdf.Object) -> dict[int, str]:
    """code -> text, from the font's ToUnicode CMap (bfchar and simple bfrange entries)."""
    stream = font.get("/ToUnicode")
    if not isinstance(stream, pikepdf.Stream):
        return {}
    data = stream.read_bytes()
    mapping: dict[int, str] = {}
    for block in _section(data, b"bfchar", b"bfchar"):
        for code, text in _BFCHAR_RE.findall(block):
            mapping[int(code, 16)] = _utf16(text)
    for block in _section(data, b"bfrange", b"bfrange"):
        for low, high, start in _BFRANGE_RE.findall(block):
            first = int(start, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset) if first + offset < 0x110000 else "\ufffd"
    return mapping


def _utf16(hex_text: bytes) -> str:
    try:
        return bytes.fromhex(hex_text.decode()).decode("utf-16-be")
    except (ValueError, UnicodeDecodeError):
        return "\ufffd"


def notdef_codes(font: pikepdf.Object) -> set[int]:
    """Codes this font shows as .notdef (an empty box): mapped to CID 0 by its encoding CMap.

    WeasyPrint gives a font with missing glyphs its own encoding CMap that sends
    each missing character's code to CID 0; with Identity-H, code 0 is .notdef.
    """
    if font.get("/Subtype") != "/Type0":
        return set()
    encoding = font.get("/Encoding")
    if isinstance(encoding, pikepdf.Stream):
        data = encoding.read_bytes()
        return {int(code, 16) for block in _section(data, b"cidchar", b"cidchar")
                for code, cid in _CIDCHAR_RE.findall(block) if int(cid) == 0}
    return {0}
