"""Spot inks: theme colours the designer named a spot ink for become Separation colours with their CMYK alternate.

WeasyPrint writes no Separation colour space (its issue #2911), so the theme's
CMYK for the colour (`accent = { cmyk = [0, 0.9, 0.7, 0.3], spot = "PANTONE 7621 C" }`)
reaches the PDF as plain CMYK. This pass, after the CMYK pass, finds every fill
and stroke in exactly that CMYK and paints it at full tint of the named ink
instead; a device without that ink prints the CMYK alternate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pikepdf

from .pdfcolour import space_components

CMYK = tuple[float, float, float, float]
MATCH_TOLERANCE = 0.0005
SPOT_RESOURCE_PREFIX = "/TPSpot"
_IMPLIED_SPACE = {"g": pikepdf.Name.DeviceGray, "G": pikepdf.Name.DeviceGray, "rg": pikepdf.Name.DeviceRGB, "RG": pikepdf.Name.DeviceRGB}


@dataclass
class _Side:
    """One side (fill or stroke) of the colour state: the space the content set, and the one now in force."""

    declared: pikepdf.Object = field(default_factory=lambda: pikepdf.Name("/DeviceGray"))
    actual: pikepdf.Object = field(default_factory=lambda: pikepdf.Name("/DeviceGray"))


def separation_space(pdf: pikepdf.Pdf, ink: str, cmyk: CMYK) -> pikepdf.Object:
    """[/Separation /<ink> /DeviceCMYK tint-transform]: tint 1 is the CMYK given, tint 0 no ink."""
    transform = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=list(cmyk), N=1)
    return pdf.make_indirect(pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name("/" + ink), pikepdf.Name.DeviceCMYK, transform]))


def _matching(values: list, spots: dict[str, CMYK]) -> str | None:
    if len(values) != 4:
        return None
    numbers = [float(v) for v in values]
    return next((ink for ink, cmyk in spots.items() if all(abs(a - b) <= MATCH_TOLERANCE for a, b in zip(numbers, cmyk))), None)


def _is_cmyk(space: pikepdf.Object, resources: pikepdf.Object) -> bool:
    return space_components(space, resources) == 4 and not (isinstance(space, pikepdf.Name) and str(space).startswith(SPOT_RESOURCE_PREFIX))


def _respot(operations: list, resources: pikepdf.Object, names: dict[str, pikepdf.Name], spots: dict[str, CMYK]) -> tuple[list, bool]:
    """One content stream with its spot-coloured CMYK fills and strokes on the spot's Separation space."""
    sides = {"fill": _Side(), "stroke": _Side()}
    stack: list[tuple[_Side, _Side]] = []
    out: list = []
    changed = False
    for instruction in operations:
        operands, operator = list(instruction.operands), str(instruction.operator)
        side = sides["fill" if operator.islower() else "stroke"] if operator in ("cs", "CS", "sc", "scn", "SC", "SCN", "k", "K") else None
        if operator == "q":
            stack.append((_Side(sides["fill"].declared, sides["fill"].actual), _Side(sides["stroke"].declared, sides["stroke"].actual)))
        elif operator == "Q" and stack:
            sides["fill"], sides["stroke"] = stack.pop()
        elif operator in _IMPLIED_SPACE:
            implied_side = sides["fill" if operator.islower() else "stroke"]
            implied_side.declared = implied_side.actual = _IMPLIED_SPACE[operator]
        elif operator in ("cs", "CS") and side is not None:
            side.declared = side.actual = operands[0]
        elif side is not None:
            implied = pikepdf.Name.DeviceCMYK if operator in ("k", "K") else side.declared
            ink = _matching(operands, spots) if _is_cmyk(implied, resources) else None
            if operator in ("k", "K"):
                side.declared = implied
            set_space, set_colour = ("cs", "scn") if operator.islower() else ("CS", "SCN")
            if ink is not None:
                if side.actual != names[ink]:
                    out.append(([names[ink]], pikepdf.Operator(set_space)))
                    side.actual = names[ink]
                out.append(([1], pikepdf.Operator(set_colour)))
                changed = True
                continue
            if operator not in ("k", "K") and side.actual != side.declared:
                out.append(([side.declared], pikepdf.Operator(set_space)))  # back from the spot to the content's own space
            side.actual = side.declared
        out.append((operands, instruction.operator))
    return out, changed


def apply_spot_inks(pdf: pikepdf.Pdf, spots: dict[str, CMYK]) -> int:
    """Repaint every fill and stroke in a spot ink's exact CMYK on that ink; returns how many streams changed."""
    if not spots:
        return 0
    names = {ink: pikepdf.Name(f"{SPOT_RESOURCE_PREFIX}{index}") for index, ink in enumerate(spots, 1)}
    spaces = {ink: separation_space(pdf, ink, cmyk) for ink, cmyk in spots.items()}
    streams = [(page.obj, page.obj.get("/Resources")) for page in pdf.pages]
    streams += [(obj, obj.get("/Resources")) for obj in pdf.objects
                if isinstance(obj, pikepdf.Stream) and (obj.get("/Subtype") == "/Form" or obj.get("/PatternType") == 1)]
    changed = 0
    for stream, resources in streams:
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        operations, respotted = _respot(list(pikepdf.parse_content_stream(stream)), resources, names, spots)
        if not respotted:
            continue
        if "/ColorSpace" not in resources:
            resources.ColorSpace = pikepdf.Dictionary()
        for ink, name in names.items():
            resources.ColorSpace[name] = spaces[ink]
        data = pikepdf.unparse_content_stream(operations)
        if isinstance(stream, pikepdf.Stream):
            stream.write(data)
        else:
            stream.Contents = pdf.make_stream(data)
        changed += 1
    return changed
