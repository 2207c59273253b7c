"""RGB -> CMYK for the print profile: one ICC transform, applied to every vector colour of a finished PDF.

WeasyPrint never converts colours, and SVG figures, user-agent defaults and
hard-coded layout colours all arrive as DeviceRGB. This pass rewrites them in
place: fills and strokes, shadings (every function of them, whatever space
WeasyPrint named) and transparency groups become DeviceCMYK through the
shipped ISO Coated v2 profile. Neutral greys become black ink only, dark
neutral text solid black, and text under 12 pt the one process ink that
prints closest to its colour, so small type never needs registered inks.
Raster images keep their pixels and are tagged as sRGB (ICC-based), which
PDF/X-4 allows; preflight reports them so a designer can supply CMYK files.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import pikepdf
from PIL import Image, ImageCms

from ..layout.templates import builtin_root
from .functions import resampled
from .pdfcolour import function_outputs, shadings_in, space_components
from .textruns import StreamKey, smallest_text_by_colour, stream_key

ICC_FOLDER = "icc"
ICC_FILE = "ISOcoated_v2_300_bas.icc"
# A colour this close to grey (CIELAB chroma) prints with black ink only. Type looks neutral
# at a higher chroma than an area does (small targets lose their colour to the eye), so
# a warm grey for captions goes to K while a warm paper tint keeps its inks.
NEUTRAL_CHROMA = 2.5
NEUTRAL_TEXT_CHROMA = 6.0
# Text under this size prints on one plate (no registration to hold), unless it is already CMYK.
SMALL_TEXT_PT = 12.0
# Neutral text darker than this lightness (L*) is solid black: a screened K would fray its edges.
SOLID_BLACK_TEXT_LIGHTNESS = 20.0
RGB_SPACES = ("/DeviceRGB", "/CalRGB")
CMYK = tuple[float, float, float, float]


def icc_profile_path() -> Path:
    return builtin_root() / ICC_FOLDER / ICC_FILE


@lru_cache(maxsize=1)
def _srgb_to_cmyk() -> ImageCms.ImageCmsTransform:
    return _transform("RGB", "CMYK")


@lru_cache(maxsize=1)
def _cmyk_to_srgb() -> ImageCms.ImageCmsTransform:
    return _transform("CMYK", "RGB")


def _transform(source: str, target: str) -> ImageCms.ImageCmsTransform:
    cmyk = ImageCms.getOpenProfile(str(icc_profile_path()))
    srgb = ImageCms.createProfile("sRGB")
    profiles = {"RGB": srgb, "CMYK": cmyk}
    return ImageCms.buildTransform(
        profiles[source], profiles[target], source, target,
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )


@lru_cache(maxsize=1)
def srgb_icc_bytes() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def lab(red: float, green: float, blue: float) -> tuple[float, float, float]:
    """CIELAB (D65) of one sRGB colour with channels 0..1."""
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(min(1.0, max(0.0, c))) for c in (red, green, blue))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def chroma(red: float, green: float, blue: float) -> float:
    _, a, b = lab(red, green, blue)
    return math.hypot(a, b)


@lru_cache(maxsize=1)
def _one_ink_tints() -> tuple[tuple[CMYK, tuple[float, float, float]], ...]:
    """Every 1 % tint of each process ink alone, with how it prints (CIELAB through the output profile)."""
    tints = [tuple(percent / 100 if ink == plate else 0.0 for plate in range(4)) for ink in range(4) for percent in range(101)]
    strip = Image.new("CMYK", (len(tints), 1))
    strip.putdata([tuple(round(v * 255) for v in tint) for tint in tints])
    printed = ImageCms.applyTransform(strip, _cmyk_to_srgb())
    assert printed is not None
    rgb = printed.tobytes()
    return tuple((tint, lab(*(c / 255 for c in rgb[3 * at:3 * at + 3]))) for at, tint in enumerate(tints))  # type: ignore[misc]


@lru_cache(maxsize=4096)
def nearest_one_ink(red: float, green: float, blue: float, black_only: bool = False) -> CMYK:
    """The tint of one process ink (or of black alone) that prints closest to an sRGB colour (CIE76 ΔE)."""
    wanted = lab(red, green, blue)
    candidates = [(tint, printed) for tint, printed in _one_ink_tints() if not black_only or tint[:3] == (0.0, 0.0, 0.0)]
    tint, _ = min(candidates, key=lambda item: math.dist(item[1], wanted))
    return tint  # type: ignore[return-value]


@lru_cache(maxsize=4096)
def rgb_to_cmyk(red: float, green: float, blue: float) -> CMYK:
    """One sRGB colour (channels 0..1) as CMYK ink coverage (0..1): greys on black ink only."""
    channels = [min(1.0, max(0.0, float(value))) for value in (red, green, blue)]
    if chroma(*channels) <= NEUTRAL_CHROMA:
        return nearest_one_ink(*channels, black_only=True)
    pixel = Image.new("RGB", (1, 1), tuple(round(value * 255) for value in channels))
    converted = ImageCms.applyTransform(pixel, _srgb_to_cmyk())
    assert converted is not None
    return tuple(round(value / 255, 4) for value in converted.getpixel((0, 0)))  # type: ignore[return-value, union-attr]


@lru_cache(maxsize=4096)
def text_rgb_to_cmyk(red: float, green: float, blue: float, size_pt: float) -> CMYK:
    """The inks of text in one sRGB colour: neutral text on black only (dark text solid black), small text on one plate."""
    channels = [min(1.0, max(0.0, float(value))) for value in (red, green, blue)]
    if chroma(*channels) <= NEUTRAL_TEXT_CHROMA:
        if lab(*channels)[0] <= SOLID_BLACK_TEXT_LIGHTNESS:
            return (0.0, 0.0, 0.0, 1.0)
        return nearest_one_ink(*channels, black_only=True)
    if size_pt < SMALL_TEXT_PT:
        return nearest_one_ink(*channels)
    return rgb_to_cmyk(*channels)


@dataclass
class ConversionCount:
    """What the pass changed, for the build report and the tests."""

    colours: int = 0
    shadings: int = 0
    groups: int = 0
    images_tagged: int = 0


_CMYK_OPERATOR = {"rg": "k", "RG": "K"}
_SET_COLOUR = {"sc", "scn", "SC", "SCN"}


def _cmyk_for(values: list, index: int, text_sizes: dict[int, float]) -> list[float]:
    """The CMYK of one RGB colour instruction: as text of its smallest size if it paints text, else as an area."""
    rgb = [float(v) for v in values]
    size = text_sizes.get(index)
    return list(text_rgb_to_cmyk(*rgb, size) if size is not None else rgb_to_cmyk(*rgb))


def _convert_operations(operations: list[pikepdf.ContentStreamInstruction], count: ConversionCount,
                        text_sizes: dict[int, float]) -> list:
    """Rewrite RGB colour operators of one content stream; other instructions pass through.

    `text_sizes` maps the index of a fill colour instruction to the smallest text it paints (pt).
    """
    rewritten: list = []
    rgb_space = {"fill": False, "stroke": False}
    for index, instruction in enumerate(operations):
        operands, operator = list(instruction.operands), str(instruction.operator)
        if operator in _CMYK_OPERATOR and len(operands) == 3:
            count.colours += 1
            rewritten.append((_cmyk_for(operands, index, text_sizes), pikepdf.Operator(_CMYK_OPERATOR[operator])))
            continue
        if operator in ("cs", "CS") and operands:
            side = "fill" if operator == "cs" else "stroke"
            rgb_space[side] = str(operands[0]) in RGB_SPACES
            if rgb_space[side]:
                operands = [pikepdf.Name("/DeviceCMYK")]
        elif operator in _SET_COLOUR and len(operands) == 3 and rgb_space["fill" if operator.islower() else "stroke"]:
            count.colours += 1
            operands = _cmyk_for(operands, index, text_sizes)
        rewritten.append((operands, pikepdf.Operator(operator)))
    return rewritten


def _convertible(function: pikepdf.Object) -> bool:
    """Functions whose RGB values can be rewritten as CMYK: exponential (2), stitching (3) of those, 8/16-bit sampled (0)."""
    if not isinstance(function, (pikepdf.Dictionary, pikepdf.Stream)):
        return False
    kind = int(function.get("/FunctionType", -1))
    if kind == 0:
        return isinstance(function, pikepdf.Stream) and int(function.get("/BitsPerSample", 0)) in (8, 16)
    return kind == 2 or (kind == 3 and all(_convertible(sub) for sub in function.Functions))


def _convert_function(function: pikepdf.Object) -> None:
    """Rewrite one function (and its parts) from 3 output values to 4, through rgb_to_cmyk."""
    kind = int(function.get("/FunctionType", -1))
    if kind == 0:
        _convert_sampled(function)
    for end in ("/C0", "/C1"):
        values = function.get(end, pikepdf.Array([0, 0, 0] if end == "/C0" else [1, 1, 1]))
        if kind == 2 and len(values) == 3:
            function[end] = pikepdf.Array(rgb_to_cmyk(*map(float, values)))
    for sub in function.get("/Functions", []):
        _convert_function(sub)


def _convert_sampled(function: pikepdf.Stream) -> None:
    """A sampled function's RGB samples become 8-bit CMYK samples (Decode and Range [0 1] per ink)."""
    bits = int(function.BitsPerSample)
    data = function.read_bytes()
    samples = array("B" if bits == 8 else "H", data[: len(data) // (bits // 8) * (bits // 8)])
    if bits == 16 and array("H", [1]).tobytes() != b"\x00\x01":
        samples.byteswap()  # samples are big-endian
    top = (1 << bits) - 1
    decode = [float(v) for v in function.get("/Decode", function.Range)]
    inks = array("B")
    for at in range(0, len(samples) - 2, 3):
        rgb = [decode[2 * i] + samples[at + i] / top * (decode[2 * i + 1] - decode[2 * i]) for i in range(3)]
        inks.extend(round(v * 255) for v in rgb_to_cmyk(*(round(c, 4) for c in rgb)))
    function.write(inks.tobytes())
    function.BitsPerSample = 8
    function.Range = pikepdf.Array([0, 1] * 4)
    function.Decode = pikepdf.Array([0, 1] * 4)


def _convert_shading(pdf: pikepdf.Pdf, shading: pikepdf.Object, resources: pikepdf.Object | None) -> bool:
    """Make one shading CMYK if it is RGB, or if (as WeasyPrint writes for PDF/X-4) its space is CMYK
    but its functions return RGB. Returns whether it changed."""
    space = shading.get("/ColorSpace")
    function = shading.get("/Function")
    rgb_values = function is not None and function_outputs(function) == 3
    if not (rgb_values and (_is_rgb(space) or space_components(space, resources) == 4)):
        return False
    if _convertible(function):
        _convert_function(function)
    elif int(shading.get("/ShadingType", 0)) in (2, 3):
        # A calculator function or an array of functions: sampled, through the same transform.
        domain = tuple(float(v) for v in shading.get("/Domain", [0, 1]))
        shading.Function = resampled(pdf, function, domain, lambda rgb: list(rgb_to_cmyk(*(round(c, 4) for c in rgb))))
    else:
        return False
    shading.ColorSpace = pikepdf.Name("/DeviceCMYK")
    background = shading.get("/Background")
    if background is not None and len(background) == 3:
        shading.Background = pikepdf.Array(rgb_to_cmyk(*map(float, background)))
    return True


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


def _convert_shadings(pdf: pikepdf.Pdf, count: ConversionCount) -> None:
    """Every shading, whether a numbered object or a direct one inside a resource dictionary or pattern.

    (A shading met twice is left alone the second time: its functions already give four values.)
    """
    done: set[int] = set()
    resource_dicts = [page.obj.get("/Resources") for page in pdf.pages]
    resource_dicts += [obj.get("/Resources") for obj in _objects(pdf) if "/Resources" in obj]
    for resources in resource_dicts:
        for _, shading, owner in shadings_in(resources, nested=False):
            key = id(shading) if not shading.is_indirect else shading.objgen[0]
            if key not in done and _convert_shading(pdf, shading, owner):
                count.shadings += 1
            done.add(key)
    for obj in _objects(pdf):
        if "/ShadingType" in obj and obj.objgen[0] not in done and _convert_shading(pdf, obj, None):
            count.shadings += 1


def _is_content(obj: pikepdf.Object) -> bool:
    return isinstance(obj, pikepdf.Stream) and (obj.get("/Subtype") == "/Form" or obj.get("/PatternType") == 1)


def convert_pdf_to_cmyk(pdf: pikepdf.Pdf) -> ConversionCount:
    """Convert every DeviceRGB vector colour of `pdf` in place; tag RGB images as sRGB."""
    count = ConversionCount()
    srgb = pikepdf.Stream(pdf, srgb_icc_bytes(), N=3)
    text_sizes: dict[StreamKey, dict[int, float]] = {}
    for (key, index), size in smallest_text_by_colour(pdf).items():
        text_sizes.setdefault(key, {})[index] = size
    for page in pdf.pages:
        operations = _convert_operations(pikepdf.parse_content_stream(page.obj), count, text_sizes.get(stream_key(page.obj), {}))
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(operations))
    for obj in _objects(pdf):
        if _is_content(obj):
            operations = _convert_operations(pikepdf.parse_content_stream(obj), count, text_sizes.get(stream_key(obj), {}))
            obj.write(pikepdf.unparse_content_stream(operations))
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image" and _is_rgb(obj.get("/ColorSpace")):
            obj.ColorSpace = pikepdf.Array([pikepdf.Name("/ICCBased"), srgb])
            count.images_tagged += 1
        group = obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and _is_rgb(group.get("/CS")):
            group.CS = pikepdf.Name("/DeviceCMYK")
            count.groups += 1
    _convert_shadings(pdf, count)
    return count
