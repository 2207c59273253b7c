"""Small type on more than one plate: text under 12 pt whose fill colour needs two or more inks.

Each ink is printed by its own plate; type that needs several must be held in
register, and at small sizes a fraction of a millimetre off shows coloured
fringes. The text each run shows is matched to the content's fields so the
report says which caption or credit to recolour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pikepdf

from .cmyk import SMALL_TEXT_PT, rgb_to_cmyk
from .pdfcolour import space_components
from .preflight import Finding
from .textruns import FillState, StreamKey, text_runs

PLATE_MIN = 0.005  # an ink under 0.5 % makes no dot
PROCESS_PLATES = ("C", "M", "Y", "K")
CHOSEN_TOLERANCE = 0.0005


@dataclass(frozen=True)
class SmallTextRun:
    page: int
    size_pt: float
    plates: tuple[str, ...]
    text: str
    values: tuple[float, ...] = ()  # the fill colour's values, as the PDF gives them

    def chosen(self, chosen_cmyk: tuple[tuple[float, ...], ...]) -> bool:
        """Whether the colour is one the designer gave as inks (those are left as chosen)."""
        return any(len(c) == len(self.values) and all(abs(a - b) <= CHOSEN_TOLERANCE for a, b in zip(c, self.values))
                   for c in chosen_cmyk)


def _resolved(space: pikepdf.Object, resources: pikepdf.Object) -> pikepdf.Object:
    if isinstance(space, pikepdf.Name):
        return resources.get("/ColorSpace", {}).get(space, space)
    return space


def fill_plates(fill: FillState, resources: pikepdf.Object) -> tuple[str, ...] | None:
    """The plates a fill colour prints on; None when that cannot be told (patterns, indexed colours)."""
    space = _resolved(fill.space, resources)
    values = fill.values
    family = str(space[0]) if isinstance(space, pikepdf.Array) and len(space) else str(space)
    components = space_components(space, resources)
    if components is None or len(values) != components or family == "/Indexed":
        return None
    if components == 1 and family != "/Separation":
        return ("K",) if values[0] < 1 - PLATE_MIN else ()  # a grey is black ink (1 is white)
    if family == "/Separation":
        name = str(space[1]).lstrip("/")
        return (PROCESS_PLATES if name == "All" else (name,)) if values[0] > PLATE_MIN else ()
    if family == "/DeviceN":
        return tuple(str(n).lstrip("/") for n, v in zip(space[1], values) if v > PLATE_MIN)
    if components == 3:
        values = rgb_to_cmyk(*values)  # how a RIP would separate it (preflight's colour check reports RGB itself)
    return tuple(plate for plate, v in zip(PROCESS_PLATES, values) if v > PLATE_MIN)


def small_text_on_plates(pdf: pikepdf.Pdf) -> list[SmallTextRun]:
    """Every text run under 12 pt whose colour prints on more than one plate."""
    found = []
    maps: dict[StreamKey, dict[int, str]] = {}
    for run in text_runs(pdf):
        if run.size_pt >= SMALL_TEXT_PT:
            continue
        plates = fill_plates(run.fill, run.resources)
        if plates is not None and len(plates) > 1:
            found.append(SmallTextRun(run.page_index + 1, round(run.size_pt, 1), plates, run.text(maps), run.fill.values))
    return found


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def fields_showing(texts: list[str], content_texts: tuple[tuple[str, str], ...]) -> list[str]:
    """Content fields whose text contains one of the runs' texts (runs of 4 characters or more)."""
    wanted = {_normal(t) for t in texts if len(_normal(t)) >= 4}
    return [name for name, value in content_texts if any(piece in _normal(value) for piece in wanted)]


def check_small_text(pdf: pikepdf.Pdf, profile: str, content_texts: tuple[tuple[str, str], ...] = (),
                     chosen_cmyk: tuple[tuple[float, ...], ...] = ()) -> list[Finding]:
    """Preflight (print): no text under 12 pt on more than one plate.

    An error, except in a CMYK colour the theme chose (`chosen_cmyk`): that is the designer's call, so a warning.
    """
    if profile != "print":
        return []
    grouped: dict[tuple[int, bool], list[SmallTextRun]] = {}
    for run in small_text_on_plates(pdf):
        grouped.setdefault((run.page, run.chosen(chosen_cmyk)), []).append(run)
    return [_small_text_finding(page, chosen, runs, content_texts) for (page, chosen), runs in grouped.items()]


def _small_text_finding(page: int, chosen: bool, runs: list[SmallTextRun], content_texts: tuple[tuple[str, str], ...]) -> Finding:
    first = runs[0]
    fields = fields_showing([r.text for r in runs], content_texts)
    sample = _normal(first.text)[:40]
    where = f"; fields: {', '.join(fields[:4])}{' …' if len(fields) > 4 else ''}" if fields else ""
    why = " (a CMYK colour the theme chose: it needs tight register)" if chosen else ""
    return Finding(
        "warning" if chosen else "error", "small text",
        f"{len(runs)} text run{'s' * (len(runs) != 1)} under {SMALL_TEXT_PT:g} pt on more than one plate, e.g. "
        f"{sample!r} at {first.size_pt:g} pt on {'+'.join(first.plates)}{where}{why}",
        (page,), tuple((f"field {name}", "text under 12 pt on several plates") for name in fields)
        + (("plates", "+".join(first.plates)), ("size_pt", f"{first.size_pt:g}")))
