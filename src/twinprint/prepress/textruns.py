"""Where a PDF shows text and in which fill colour: each text run with its printed size and colour instruction.

Walks page content and the forms it draws with the state that decides a text
run's ink (the transformation matrices, the font size, the current fill colour
and its space, saved and restored by q/Q), so the CMYK pass can give small
type one ink and preflight can check that it has one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import pikepdf

from .pdfscan import IDENTITY, MAX_FORM_DEPTH, Matrix, multiply, to_unicode_map

TEXT_SHOW = {"Tj", "TJ", "'", '"'}
FILL_COLOUR = {"g", "rg", "k", "sc", "scn"}
StreamKey = tuple[int, int]


@dataclass(frozen=True)
class FillState:
    """The fill colour in force: its space and the instruction (stream, index) that set its values."""

    space: pikepdf.Object = pikepdf.Name("/DeviceGray")
    values: tuple[float, ...] = (0.0,)
    where: tuple[StreamKey, int] | None = None


@dataclass(frozen=True)
class TextRun:
    """One text-showing instruction: its printed size, fill colour and the text it shows (if the font maps it)."""

    page_index: int
    size_pt: float
    fill: FillState
    font: pikepdf.Object | None
    shown: bytes  # the codes shown, in the font's encoding
    resources: pikepdf.Object

    def text(self, maps: dict[StreamKey, dict[int, str]]) -> str:
        """The text shown, through the font's ToUnicode map (`maps` caches them by font)."""
        if self.font is None:
            return ""
        key = stream_key(self.font)
        if key not in maps:
            maps[key] = to_unicode_map(self.font)
        data = self.shown
        if self.font.get("/Subtype") == "/Type0":
            codes = [data[at] << 8 | data[at + 1] for at in range(0, len(data) - 1, 2)]
        else:
            codes = list(data)
        return "".join(maps[key].get(code, "") for code in codes)


def stream_key(stream: pikepdf.Object) -> StreamKey:
    return stream.objgen if stream.is_indirect else (id(stream), -1)


def _shown_bytes(operands: list, operator: str) -> bytes:
    pieces = list(operands[0]) if operator == "TJ" else operands[-1:]
    return b"".join(bytes(item) for item in pieces if isinstance(item, pikepdf.String))


def _fill_after(operator: str, operands: list, fill: FillState, key: StreamKey, index: int) -> FillState:
    """The fill state after one colour operator."""
    if operator == "cs":
        return FillState(operands[0], (), (key, index))
    values = tuple(float(v) for v in operands if not isinstance(v, pikepdf.Name))
    space = {"g": pikepdf.Name("/DeviceGray"), "rg": pikepdf.Name("/DeviceRGB"), "k": pikepdf.Name("/DeviceCMYK")}.get(operator, fill.space)
    return FillState(space, values, (key, index))


def _walk(content: pikepdf.Object, resources: pikepdf.Object, ctm: Matrix, page_index: int,
          fill: FillState, depth: int) -> Iterator[TextRun]:
    key = stream_key(content)
    stack: list[tuple[Matrix, FillState]] = []
    font: pikepdf.Object | None = None
    font_size, text_matrix = 0.0, IDENTITY
    for index, instruction in enumerate(pikepdf.parse_content_stream(content)):
        operands, operator = list(instruction.operands), str(instruction.operator)
        if operator == "q":
            stack.append((ctm, fill))
        elif operator == "Q" and stack:
            ctm, fill = stack.pop()
        elif operator == "cm":
            ctm = multiply(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
        elif operator in FILL_COLOUR or operator == "cs":
            fill = _fill_after(operator, operands, fill, key, index)
        elif operator == "BT":
            text_matrix = IDENTITY
        elif operator == "Tm":
            text_matrix = tuple(float(v) for v in operands)  # type: ignore[assignment]
        elif operator == "Tf":
            font, font_size = resources.get("/Font", {}).get(operands[0]), float(operands[1])
        elif operator in TEXT_SHOW:
            _, _, c, d, _, _ = multiply(text_matrix, ctm)
            yield TextRun(page_index, abs(font_size) * math.hypot(c, d), fill, font, _shown_bytes(operands, operator), resources)
        elif operator == "Do" and depth < MAX_FORM_DEPTH:
            form = resources.get("/XObject", {}).get(operands[0])
            if form is not None and form.get("/Subtype") == "/Form":
                matrix = tuple(float(v) for v in form.get("/Matrix", IDENTITY))
                yield from _walk(form, form.get("/Resources", resources), multiply(matrix, ctm),  # type: ignore[arg-type]
                                 page_index, fill, depth + 1)


def text_runs(pdf: pikepdf.Pdf) -> Iterator[TextRun]:
    """Every text run of every page, in drawing order."""
    for index, page in enumerate(pdf.pages):
        yield from _walk(page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), IDENTITY, index, FillState(), 0)


def smallest_text_by_colour(pdf: pikepdf.Pdf) -> dict[tuple[StreamKey, int], float]:
    """(stream, instruction index) of each fill colour that paints text -> the smallest size it paints, in pt."""
    sizes: dict[tuple[StreamKey, int], float] = {}
    for run in text_runs(pdf):
        if run.fill.where is not None:
            sizes[run.fill.where] = min(run.size_pt, sizes.get(run.fill.where, math.inf))
    return sizes
