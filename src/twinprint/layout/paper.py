"""Paper: named and custom sizes, orientation, a layout's page settings, and the QR size rule.

Every size is in millimetres, portrait first; `resolve_paper` turns what the user
typed (`A2`, `tabloid`, `500x700`) plus an orientation into the size the CSS
`@page` rule gets. A layout's `layout.toml` says which paper it defaults to and
how its pages must come out (one page for a poster, a multiple of 4 for a booklet).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import LayoutError, UsageError

Orientation = Literal["portrait", "landscape"]

# (width, height) in mm, portrait.
NAMED_SIZES_MM: dict[str, tuple[float, float]] = {
    "A0": (841, 1189),
    "A1": (594, 841),
    "A2": (420, 594),
    "A3": (297, 420),
    "A4": (210, 297),
    "A5": (148, 210),
    "A6": (105, 148),
    "B1": (707, 1000),
    "B2": (500, 707),
    "B3": (353, 500),
    "tabloid": (279.4, 431.8),  # US tabloid, 11 x 17 in
    "letter": (215.9, 279.4),
}
ALIASES = {"us-tabloid": "tabloid", "ledger": "tabloid", "11x17in": "tabloid", "us-letter": "letter"}
CUSTOM_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(?:mm)?\s*$", re.I)
CUSTOM_LIMITS_MM = (50.0, 5000.0)

# A QR code scans reliably from about ten times its side; a poster is scanned
# from about two thirds of its long side away (A4 at 20 cm, A2 at 40 cm).
SCAN_DISTANCE_PER_LONG_SIDE = 2 / 3
SCAN_DISTANCE_PER_QR_SIDE = 10
MIN_QR_MM = 20.0
QR_LIMITS_MM = (10.0, 400.0)


@dataclass(frozen=True)
class Paper:
    """A sheet as the layout gets it: its name, its size in mm, and its orientation."""

    name: str
    width_mm: float
    height_mm: float

    @property
    def orientation(self) -> Orientation:
        return "landscape" if self.width_mm > self.height_mm else "portrait"

    @property
    def short_mm(self) -> float:
        return min(self.width_mm, self.height_mm)

    @property
    def long_mm(self) -> float:
        return max(self.width_mm, self.height_mm)

    @property
    def css_size(self) -> str:
        return f"{self.width_mm:g}mm {self.height_mm:g}mm"

    def turned(self, orientation: Orientation | None) -> "Paper":
        """The same sheet in `orientation` (None keeps it as it is)."""
        if orientation is None or orientation == self.orientation or self.width_mm == self.height_mm:
            return self
        return Paper(self.name, self.height_mm, self.width_mm)

    def template_values(self) -> dict[str, Any]:
        """What layouts see as `paper`: 1rem is set to `unit_mm`, a hundredth of the short side."""
        return {
            "name": self.name,
            "width_mm": self.width_mm,
            "height_mm": self.height_mm,
            "short_mm": self.short_mm,
            "long_mm": self.long_mm,
            "unit_mm": round(self.short_mm / 100, 4),
            "aspect": round(self.long_mm / self.short_mm, 4),
            "orientation": self.orientation,
            "css_size": self.css_size,
        }


def canonical_paper_name(text: str, option: str = "--paper") -> str:
    """`a2` -> `A2`, `US-Tabloid` -> `tabloid`, `500 x 700mm` -> `500x700`; UsageError if unknown."""
    key = text.strip()
    for name in NAMED_SIZES_MM:
        if key.lower() == name.lower():
            return name
    if key.lower() in ALIASES:
        return ALIASES[key.lower()]
    match = CUSTOM_RE.match(key)
    if match:
        width, height = (float(value) for value in match.groups())
        low, high = CUSTOM_LIMITS_MM
        if not (low <= width <= high and low <= height <= high):
            raise UsageError(f"{option} {text!r}: each side must be between {low:g} and {high:g} mm")
        return f"{width:g}x{height:g}"
    known = ", ".join(NAMED_SIZES_MM)
    raise UsageError(f"{option} {text!r}: expected one of {known}, or WIDTHxHEIGHT in mm such as 500x700")


def is_named_paper(text: str) -> bool:
    return canonical_paper_name(text) in NAMED_SIZES_MM


def resolve_paper(text: str, orientation: str | None = None) -> Paper:
    """The sheet for a paper name or `WxH` (mm), turned to `orientation` when one is given."""
    if orientation not in (None, "portrait", "landscape"):
        raise UsageError(f"--orientation {orientation!r}: expected portrait or landscape")
    name = canonical_paper_name(text)
    if name in NAMED_SIZES_MM:
        width, height = NAMED_SIZES_MM[name]
    else:
        width, height = (float(value) for value in name.split("x"))
    return Paper(name, float(width), float(height)).turned(orientation)  # type: ignore[arg-type]


def qr_side_mm(paper: Paper, requested: str | None = None) -> float:
    """The printed side of a poster's QR code: scanning distance / 10, at least 2 cm, or as requested."""
    if requested is not None:
        try:
            side = float(requested)
        except ValueError:
            raise UsageError(f"--set qr_mm: expected a side in millimetres such as 40, got {requested!r}") from None
        low, high = QR_LIMITS_MM
        if not (low <= side <= high) or math.isnan(side):
            raise UsageError(f"--set qr_mm: expected a side between {low:g} and {high:g} mm, got {requested!r}")
        return side
    distance_mm = paper.long_mm * SCAN_DISTANCE_PER_LONG_SIDE
    return round(max(MIN_QR_MM, distance_mm / SCAN_DISTANCE_PER_QR_SIDE), 1)


class PageSettings(BaseModel):
    """A layout's `layout.toml`: its default paper and the page rules the build enforces."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    # Another layout whose settings this one starts from (a project's poster variant: "poster").
    extends: str | None = None
    paper: str = "A4"
    orientation: Orientation = "portrait"
    # The document must fit on this many pages (1 for a poster); more is an overflow error.
    max_pages: int | None = Field(default=None, ge=1)
    # The page count is padded to a multiple of this with the layout's notes pages (4 for a booklet).
    page_multiple: int = Field(default=1, ge=1, le=16)
    # How many notes pages the layout renders so the build can keep just enough of them.
    notes_pages: int = Field(default=0, ge=0, le=16)


SETTINGS_FILE = "layout.toml"
LAYOUT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def _find_settings_file(layout: str, search_path: tuple[Path, ...]) -> Path | None:
    return next((folder / layout / SETTINGS_FILE for folder in search_path if (folder / layout / SETTINGS_FILE).is_file()), None)


def _read_settings_table(file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise LayoutError(f"{file}: malformed TOML: {error}") from None


def page_settings(layout: str, search_path: tuple[Path, ...]) -> PageSettings:
    """The first `<layout>/layout.toml` on the search path, merged over the layout it extends."""
    merged: dict[str, Any] = {}
    seen: list[str] = []
    name: str | None = layout
    while name is not None:
        if name in seen:
            raise LayoutError(f"layout {layout!r}: layout.toml 'extends' loops through {' -> '.join(seen + [name])}")
        seen.append(name)
        file = _find_settings_file(name, search_path)
        if file is None:
            break
        table = _read_settings_table(file)
        merged = {**table, **merged}
        name = table.get("extends")
        if name is not None and not (isinstance(name, str) and LAYOUT_NAME_RE.match(name)):
            raise LayoutError(f"{file}: extends: expected the name of another layout (a folder of layouts/), got {name!r}")
    merged.pop("extends", None)
    try:
        return PageSettings.model_validate(merged)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise LayoutError(f"{layout}/{SETTINGS_FILE}: {where}: {first['msg']}") from None


def padding_pages(content_pages: int, multiple: int) -> int:
    """How many pages to add to `content_pages` to reach a multiple of `multiple`."""
    return -content_pages % multiple
