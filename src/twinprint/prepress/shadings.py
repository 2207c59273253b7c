"""Shadings whose functions do not give as many values as their colour space has components.

Such a shading is drawn differently by every renderer (poppler leaves it
out, MuPDF paints it black, ghostscript guesses), so it is an error in any profile.
"""

from __future__ import annotations

import pikepdf

from .pdfcolour import function_outputs, space_components
from .pdfscan import MAX_FORM_DEPTH
from .preflight import Finding

Used = tuple[str, pikepdf.Object, pikepdf.Object]


def _space_label(space: pikepdf.Object | None) -> str:
    if isinstance(space, pikepdf.Array) and len(space):
        return str(space[0]).lstrip("/")
    return str(space).lstrip("/")


def shadings_drawn(content: pikepdf.Object, resources: pikepdf.Object, depth: int = 0) -> list[Used]:
    """(resource name, shading, its resources) of the shadings one content stream paints: with `sh`, as a
    pattern fill or stroke, or inside the forms and tiling patterns it draws.

    Pages often share one resource dictionary, so what a page can reach says little about what it draws.
    """
    used: list[Used] = []
    if depth > MAX_FORM_DEPTH or not isinstance(resources, pikepdf.Dictionary):
        return used
    for instruction in pikepdf.parse_content_stream(content):
        operator, operands = str(instruction.operator), list(instruction.operands)
        if operator == "sh" and operands:
            shading = resources.get("/Shading", {}).get(operands[0])
            if shading is not None:
                used.append((str(operands[0]), shading, resources))
        elif operator in ("scn", "SCN") and operands and isinstance(operands[-1], pikepdf.Name):
            pattern = resources.get("/Pattern", {}).get(operands[-1])
            if pattern is not None and "/Shading" in pattern:
                used.append((str(operands[-1]), pattern.Shading, resources))
            elif pattern is not None and int(pattern.get("/PatternType", 0)) == 1:
                used += shadings_drawn(pattern, pattern.get("/Resources", resources), depth + 1)
        elif operator == "Do" and operands:
            form = resources.get("/XObject", {}).get(operands[0])
            if form is not None and form.get("/Subtype") == "/Form":
                used += shadings_drawn(form, form.get("/Resources", resources), depth + 1)
    return used


def shading_mismatches(pdf: pikepdf.Pdf) -> list[tuple[int, str, str]]:
    """(1-based page, resource name, what is wrong) of every shading a page draws whose functions do not fit."""
    found = []
    for number, page in enumerate(pdf.pages, 1):
        for name, shading, resources in shadings_drawn(page.obj, page.obj.get("/Resources")):
            function = shading.get("/Function")
            if function is None:
                continue  # mesh shadings carry their colours in the stream
            needed, given = space_components(shading.get("/ColorSpace"), resources), function_outputs(function)
            if needed is not None and given != needed:
                gives = f"{given} values" if given is not None else "an unreadable number of values"
                found.append((number, str(name), f"its function gives {gives}, its colour space "
                              f"({_space_label(shading.get('/ColorSpace'))}) has {needed} components"))
    return found


def check_shadings(pdf: pikepdf.Pdf) -> list[Finding]:
    """Preflight: every function of every shading and shading pattern fits its colour space."""
    grouped: dict[str, list[tuple[int, str]]] = {}
    for page, name, problem in shading_mismatches(pdf):
        grouped.setdefault(problem, []).append((page, name))
    return [Finding("error", "shadings", f"{len(places)} shading{'s' * (len(places) != 1)} drawn differently by every renderer: {problem}",
                    tuple(sorted({page for page, _ in places})), tuple((f"page {page} {name}", problem) for page, name in places))
            for problem, places in grouped.items()]
