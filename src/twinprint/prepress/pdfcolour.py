"""Colour spaces, functions and shadings of a PDF: how many components each has or gives, and where shadings are.

Shared by the CMYK pass (which must make every shading's functions give as
many values as its colour space has) and by preflight (which checks that they do).
"""

from __future__ import annotations

from typing import Iterator

import pikepdf

_DEVICE_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/G": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/RGB": 3,
                      "/Lab": 3, "/DeviceCMYK": 4, "/CMYK": 4, "/Indexed": 1, "/Separation": 1}


def space_components(space: pikepdf.Object | None, resources: pikepdf.Object | None = None) -> int | None:
    """Components of one colour value in `space` (a name, resource name or array); None if unknown (Pattern)."""
    if space is None:
        return None
    if isinstance(space, pikepdf.Name):
        if str(space) in _DEVICE_COMPONENTS:
            return _DEVICE_COMPONENTS[str(space)]
        named = resources.get("/ColorSpace", {}).get(space) if resources is not None else None
        return space_components(named) if named is not None else None
    if isinstance(space, pikepdf.Array) and len(space) >= 1:
        family = str(space[0])
        if family == "/ICCBased" and len(space) == 2:
            return int(space[1].get("/N", 0)) or None
        if family == "/DeviceN" and len(space) >= 2:
            return len(space[1])
        if family == "/Pattern":
            return None
        return _DEVICE_COMPONENTS.get(family)
    return None


def function_outputs(function: pikepdf.Object) -> int | None:
    """Values one PDF function (types 0, 2, 3, 4, or an array of one-output functions) returns; None if malformed."""
    if isinstance(function, pikepdf.Array):
        counts = [function_outputs(item) for item in function]
        return None if None in counts else sum(counts)  # type: ignore[arg-type]
    if not isinstance(function, (pikepdf.Dictionary, pikepdf.Stream)):
        return None
    kind = int(function.get("/FunctionType", -1))
    if kind in (0, 4):
        return len(function.get("/Range", [])) // 2 or None
    if kind == 2:
        ends = [len(function[end]) for end in ("/C0", "/C1") if end in function]
        return ends[0] if ends and len(set(ends)) == 1 else (None if ends else 1)
    if kind == 3:
        counts = {function_outputs(sub) for sub in function.get("/Functions", [])}
        return counts.pop() if len(counts) == 1 else None
    return None


def shadings_in(resources: pikepdf.Object | None, depth: int = 0, nested: bool = True) -> Iterator[tuple[str, pikepdf.Object, pikepdf.Object]]:
    """(resource name, shading, the resources its colour space names refer to) of shadings and shading patterns
    in `resources`: its /Shading and /Pattern entries, and (`nested`) those of the forms and tiling patterns it holds."""
    if not isinstance(resources, pikepdf.Dictionary) or depth > 12:
        return
    for name, shading in resources.get("/Shading", {}).items():
        yield name, shading, resources
    for name, pattern in resources.get("/Pattern", {}).items():
        if "/Shading" in pattern:
            yield name, pattern.Shading, resources
        elif "/Resources" in pattern and nested:
            yield from shadings_in(pattern.Resources, depth + 1)
    for xobject in resources.get("/XObject", {}).values() if nested else ():
        if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
            yield from shadings_in(xobject.Resources, depth + 1)
