"""RGB -> CMYK for the print profile: one ICC transform, applied to every vector colour of a finished PDF.

WeasyPrint never converts colours, and SVG figures, user-agent defaults and
hard-coded layout colours all arrive as DeviceRGB. This pass rewrites them in
place: fills and strokes, shadings and transparency groups become DeviceCMYK
through the shipped ISO Coated v2 profile, near-neutral greys (body text)
become black ink only, so small type never prints in four registered inks.
Raster images keep their pixels and are tagged as sRGB (ICC-based), which
PDF/X-4 allows; preflight reports them so a designer can supply CMYK files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import pikepdf
from PIL import Image, ImageCms

from ..layout.templates import builtin_root

ICC_FOLDER = "icc"
ICC_FILE = "ISOcoated_v2_300_bas.icc"
# Greys whose channels differ by at most this much (of 1.0) print with black ink only.
NEUTRAL_SPREAD = 10 / 255
RGB_SPACES = ("/DeviceRGB", "/CalRGB")


def icc_profile_path() -> Path:
    return builtin_root() / ICC_FOLDER / ICC_FILE


@lru_cache(maxsize=1)
def _srgb_to_cmyk() -> ImageCms.ImageCmsTransform:
    cmyk = ImageCms.getOpenProfile(str(icc_profile_path()))
    srgb = ImageCms.createProfile("sRGB")
    return ImageCms.buildTransform(
        srgb, cmyk, "RGB", "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )


@lru_cache(maxsize=1)
def srgb_icc_bytes() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@lru_cache(maxsize=4096)
def rgb_to_cmyk(red: float, green: float, blue: float) -> tuple[float, float, float, float]:
    """One sRGB colour (channels 0..1) as CMYK ink coverage (0..1)."""
    channels = [min(1.0, max(0.0, float(value))) for value in (red, green, blue)]
    if max(channels) - min(channels) <= NEUTRAL_SPREAD:
        return (0.0, 0.0, 0.0, round(1 - sum(channels) / 3, 4))
    pixel = Image.new("RGB", (1, 1), tuple(round(value * 255) for value in channels))
    converted = ImageCms.applyTransform(pixel, _srgb_to_cmyk())
    assert converted is not None
    return tuple(round(value / 255, 4) for value in converted.getpixel((0, 0)))  # type: ignore[return-value, union-attr]


@dataclass
class ConversionCount:
    """What the pass changed, for the build report and the tests."""

    colours: int = 0
    shadings: int = 0
    groups: int = 0
    images_tagged: int = 0


_CMYK_OPERATOR = {"rg": "k", "RG": "K"}
_SET_COLOUR = {"sc", "scn", "SC", "SCN"}


def _convert_operations(operations: list[pikepdf.ContentStreamInstruction], count: ConversionCount) -> list:
    """Rewrite RGB colour operators of one content stream; other instructions pass through."""
    rewritten: list = []
    rgb_space = {"fill": False, "stroke": False}
    for instruction in operations:
        operands, operator = list(instruction.operands), str(instruction.operator)
        if operator in _CMYK_OPERATOR and len(operands) == 3:
            count.colours += 1
            rewritten.append(([*rgb_to_cmyk(*map(float, operands))], pikepdf.Operator(_CMYK_OPERATOR[operator])))
            continue
        if operator in ("cs", "CS") and operands:
            side = "fill" if operator == "cs" else "stroke"
            rgb_space[side] = str(operands[0]) in RGB_SPACES
            if rgb_space[side]:
                operands = [pikepdf.Name("/DeviceCMYK")]
        elif operator in _SET_COLOUR and len(operands) == 3 and rgb_space["fill" if operator.islower() else "stroke"]:
            count.colours += 1
            operands = list(rgb_to_cmyk(*map(float, operands)))
        rewritten.append((operands, pikepdf.Operator(operator)))
    return rewritten


def _convertible(function: pikepdf.Object) -> bool:
    """Exponential (type 2) and stitching (type 3) functions have colour end points we can convert."""
    kind = int(function.get("/FunctionType", -1))
    return kind == 2 or (kind == 3 and all(_convertible(sub) for sub in function.Functions))


def _convert_function(function: pikepdf.Object) -> None:
    for end in ("/C0", "/C1"):
        values = function.get(end, pikepdf.Array([0, 0, 0] if end == "/C0" else [1, 1, 1]))
        if len(values) == 3:
            function[end] = pikepdf.Array(rgb_to_cmyk(*map(float, values)))
    for sub in function.get("/Functions", []):
        _convert_function(sub)


def _shadings(obj: pikepdf.Object) -> Iterator[pikepdf.Object]:
    """Shading dictionaries reachable from one object (they are often direct, not numbered)."""
    if "/ShadingType" in obj:
        yield obj
    if "/PatternType" in obj and "/Shading" in obj:
        yield obj.Shading
    named = obj.get("/Shading")
    if isinstance(named, pikepdf.Dictionary) and "/ShadingType" not in named:
        yield from (value for _, value in named.items() if isinstance(value, (pikepdf.Dictionary, pikepdf.Stream)))


def _objects(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    for obj in pdf.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            yield obj


def _is_rgb(space: pikepdf.Object | None) -> bool:
    if space is None:
        return False
    if isinstance(space, pikepdf.Array) and len(space) == 2 and str(space[0]) == "/ICCBased":
        return False
    return str(space) in RGB_SPACES


def convert_pdf_to_cmyk(pdf: pikepdf.Pdf) -> ConversionCount:
    """Convert every DeviceRGB vector colour of `pdf` in place; tag RGB images as sRGB."""
    count = ConversionCount()
    srgb = pikepdf.Stream(pdf, srgb_icc_bytes(), N=3)
    for page in pdf.pages:
        operations = _convert_operations(pikepdf.parse_content_stream(page), count)
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(operations))
    for obj in _objects(pdf):
        subtype = obj.get("/Subtype")
        if isinstance(obj, pikepdf.Stream) and subtype == "/Form":
            obj.write(pikepdf.unparse_content_stream(_convert_operations(pikepdf.parse_content_stream(obj), count)))
        if isinstance(obj, pikepdf.Stream) and subtype == "/Image" and _is_rgb(obj.get("/ColorSpace")):
            obj.ColorSpace = pikepdf.Array([pikepdf.Name("/ICCBased"), srgb])
            count.images_tagged += 1
        group = obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and _is_rgb(group.get("/CS")):
            group.CS = pikepdf.Name("/DeviceCMYK")
            count.groups += 1
        for shading in _shadings(obj):
            function = shading.get("/Function")
            if _is_rgb(shading.get("/ColorSpace")) and isinstance(function, pikepdf.Dictionary) and _convertible(function):
                shading.ColorSpace = pikepdf.Name("/DeviceCMYK")
                _convert_function(function)
                count.shadings += 1
    return count
