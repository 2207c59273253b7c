"""Themes: a TOML file of colours, fonts, logo and paper defaults, turned into CSS variables.

A theme is found by name in `themes/` of the layout search path (the project's
own layouts/ first), or given as a path. It may extend another theme and change
only what differs. Every colour becomes `--tp-<name>` and every font role
`--tp-<role>`, so layouts (and print profiles) only ever use variables.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..confine import is_readable
from ..errors import LayoutError
from .lookup import THEMES_FOLDER, project_root_of

DEFAULT_THEME = "default"
NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
# Colours are written into CSS: allow colour syntax only (hex, functions, names), nothing that ends a rule.
COLOUR_RE = re.compile(r"^(#[0-9a-fA-F]{3,8}|(rgba?|hsla?|device-cmyk|lab|lch|oklab|oklch)\([0-9.,%\s/a-z-]*\)|[a-z]+)$")
FAMILY_RE = re.compile(r"^[A-Za-z0-9 _.-]+$")
DEVICE_CMYK_RE = re.compile(r"^device-cmyk\(\s*([0-9.]+(?:[\s,]+[0-9.]+){3})\s*\)$")
# A spot ink's name becomes a PDF name (the separation's plate): printable words, no delimiters.
SPOT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.+-]{0,62}$")
REQUIRED_COLOURS = ("ink", "muted", "accent", "accent-2", "paper", "tint", "on-accent", "on-accent-muted", "highlight", "rule")


class _ThemePart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fonts(_ThemePart):
    """Font families by role; Latin roles fall back to the CJK family of the same kind."""

    serif: str = "TP Serif"
    sans: str = "TP Sans"
    cjk_serif: str = Field("TP CJK Serif", alias="cjk-serif")
    cjk_sans: str = Field("TP CJK Sans", alias="cjk-sans")

    @field_validator("serif", "sans", "cjk_serif", "cjk_sans")
    @classmethod
    def _family(cls, value: str) -> str:
        if not FAMILY_RE.match(value):
            raise ValueError(f"expected a font family name (letters, digits, spaces), got {value!r}")
        return value


class FontFace(_ThemePart):
    """A font file the theme brings, relative to the theme file."""

    family: str
    file: str
    weight: int = Field(400, ge=100, le=900)
    style: Literal["normal", "italic"] = "normal"

    @field_validator("family")
    @classmethod
    def _family(cls, value: str) -> str:
        return Fonts._family(value)


class Theme(_ThemePart):
    """A theme as read from its file (after merging the themes it extends)."""

    name: str
    colours: dict[str, str]
    fonts: Fonts = Fonts()
    font_faces: list[FontFace] = Field(default=[], alias="font-faces")
    logo: str | None = None
    # Default paper per layout name, e.g. poster = "A2"; --paper wins over it.
    # (logo and font files are absolute paths here: each file's are resolved against its own folder)
    paper: dict[str, str] = {}
    # Spot inks the colours name: ink name -> its CMYK alternate (0..1), for the print profile's Separation spaces.
    spot_inks: dict[str, tuple[float, float, float, float]] = Field(default={}, alias="spot-inks")

    def css(self) -> Markup:
        """The theme as CSS: @font-face rules and one :root block of --tp-* variables."""
        faces = [
            f'@font-face {{ font-family: "{face.family}"; src: url("{Path(face.file).as_uri()}"); '
            f"font-weight: {face.weight}; font-style: {face.style}; }}"
            for face in self.font_faces
        ]
        colours = [f"  --tp-{name}: {value};" for name, value in self.colours.items()]
        f = self.fonts
        latin = [f'  --tp-serif: "{f.serif}", "{f.cjk_serif}";', f'  --tp-sans: "{f.sans}", "{f.cjk_sans}";']
        cjk = [f'  --tp-serif: "{f.cjk_serif}", "{f.serif}";', f'  --tp-sans: "{f.cjk_sans}", "{f.sans}";']
        families = [f'  --tp-cjk-serif: "{f.cjk_serif}", "{f.serif}";', f'  --tp-cjk-sans: "{f.cjk_sans}", "{f.sans}";']
        blocks = faces + [":root {", *colours, *latin, *families, "}", "html:lang(zh) {", *cjk, "}"]
        return Markup("\n".join(blocks) + "\n")

    def cmyk_colours(self) -> tuple[tuple[float, ...], ...]:
        """The colours given as inks (`device-cmyk(c m y k)`), as CMYK values 0..1."""
        found = (DEVICE_CMYK_RE.match(value.strip()) for value in self.colours.values())
        return tuple(tuple(float(v) for v in match.group(1).replace(",", " ").split()) for match in found if match)

    def template_values(self) -> dict[str, Any]:
        """What layouts see as `theme`: its CSS, colours, and the logo's URL if it has one."""
        return {
            "name": self.name,
            "css": self.css(),
            "colours": dict(self.colours),
            "logo_url": Path(self.logo).as_uri() if self.logo else None,
        }

    def files(self) -> list[Path]:
        """Files the theme reads besides itself (fonts, logo), for watch mode."""
        named = [face.file for face in self.font_faces] + ([self.logo] if self.logo else [])
        return [Path(name) for name in named]


def find_theme_file(name_or_path: str, search_path: tuple[Path, ...]) -> Path:
    """A theme by name (`themes/<name>.toml` on the search path, project first) or by path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml":
        if not candidate.is_file():
            raise LayoutError(f"theme file not found: {name_or_path}")
        return _confined_theme(name_or_path, candidate, search_path)
    for folder in search_path:
        file = folder / THEMES_FOLDER / f"{name_or_path}.toml"
        if file.is_file():
            return _confined_theme(name_or_path, file, search_path)
    known = sorted({p.stem for folder in search_path for p in (folder / THEMES_FOLDER).glob("*.toml")})
    raise LayoutError(f"unknown theme {name_or_path!r}: expected one of {', '.join(known) or 'none'} or a .toml file")


def _confined_theme(asked: str, file: Path, search_path: tuple[Path, ...]) -> Path:
    if not is_readable(file, project_root_of(search_path)):
        raise LayoutError(f"theme {asked!r}: refused: outside the project ({file} leads to {file.resolve()}; themes, like content, "
                          "are read only from the project or twinprint's own layouts/)")
    return file.resolve()


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_table(file: Path) -> dict[str, Any]:
    """The theme file's table, with its logo and font files made absolute against its folder."""
    try:
        table = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise LayoutError(f"{file}: malformed TOML: {error}") from None
    except OSError as error:
        raise LayoutError(f"{file}: cannot read the theme: {error.strerror or error}") from None
    if isinstance(table.get("logo"), str):
        table["logo"] = _existing_file(file, "logo", table["logo"])
    for index, face in enumerate(table.get("font-faces") or []):
        if isinstance(face, dict) and isinstance(face.get("file"), str):
            face["file"] = _existing_file(file, f"font-faces[{index}].file", face["file"])
    return table


def _existing_file(theme_file: Path, field: str, relative: str) -> str:
    path = (theme_file.parent / relative).resolve()
    if not path.is_file():
        raise LayoutError(f"{theme_file}: {field}: file not found: {relative}")
    if not is_readable(path, _project_of(theme_file)):
        raise LayoutError(f"{theme_file}: {field}: refused {relative!r}: outside the project")
    return str(path)


def _project_of(theme_file: Path) -> Path:
    """The project a theme file belongs to: the folder above its layouts/ (or the file's own folder)."""
    folder = theme_file.parent
    return folder.parents[1] if folder.name == THEMES_FOLDER and folder.parent.name == "layouts" else folder


def _theme_table(file: Path, search_path: tuple[Path, ...], seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[Path]]:
    """The theme's table merged over the themes it extends, and every theme file read."""
    if file in seen:
        raise LayoutError(f"{file}: 'extends' loops back to itself")
    table = _read_table(file)
    parent_name = table.pop("extends", None)
    table.setdefault("name", file.stem)
    if parent_name is None:
        return table, [file]
    if not isinstance(parent_name, str) or not NAME_RE.match(parent_name):
        raise LayoutError(f"{file}: extends: expected the name of a theme in themes/ such as 'default', got {parent_name!r}")
    parent_file = find_theme_file(parent_name, search_path) if parent_name != file.stem else _builtin_of(file, parent_name, search_path)
    parent, files = _theme_table(parent_file, search_path, seen + (file,))
    return _merge(parent, table), files + [file]


def _builtin_of(file: Path, name: str, search_path: tuple[Path, ...]) -> Path:
    """A project theme may extend the built-in theme of the same name: look past itself."""
    for folder in search_path:
        candidate = (folder / THEMES_FOLDER / f"{name}.toml").resolve()
        if candidate.is_file() and candidate != file:
            return candidate
    raise LayoutError(f"{file}: extends {name!r}, but no other theme of that name exists")


def _ink_colour(value: dict[str, Any], file: Path, name: str) -> tuple[str, tuple[str, tuple[float, ...]] | None]:
    """A colour given as inks, `{ cmyk = [c, m, y, k], spot = "PANTONE 7621 C" }`: its CSS, and its spot ink if named."""
    cmyk, spot = value.get("cmyk"), value.get("spot")
    unknown = sorted(set(value) - {"cmyk", "spot"})
    if unknown:
        raise LayoutError(f"{file}: colours.{name}: unknown key {unknown[0]!r} (expected cmyk and, for a spot ink, spot)")
    if not (isinstance(cmyk, list) and len(cmyk) == 4 and all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in cmyk)):
        raise LayoutError(f"{file}: colours.{name}.cmyk: expected four ink values from 0 to 1, e.g. [0, 0.9, 0.7, 0.3], got {cmyk!r}")
    if spot is not None and not (isinstance(spot, str) and SPOT_RE.match(spot)):
        raise LayoutError(f"{file}: colours.{name}.spot: expected an ink name such as \"PANTONE 7621 C\", got {spot!r}")
    css = "device-cmyk(" + " ".join(f"{float(v):g}" for v in cmyk) + ")"
    return css, ((spot, tuple(float(v) for v in cmyk)) if spot else None)


def _ink_colours(table: dict[str, Any], file: Path) -> None:
    """Colours given as inks become CSS device-cmyk(); the spot inks they name go to `spot-inks`."""
    colours = table.get("colours")
    if not isinstance(colours, dict):
        return
    spots = {}
    for name, value in colours.items():
        if isinstance(value, dict):
            colours[name], spot = _ink_colour(value, file, name)
            if spot:
                spots[spot[0]] = spot[1]
    table["spot-inks"] = spots


def _check_colours(colours: Any, file: Path) -> None:
    """Every colour is CSS colour syntax under a plain name, and the ones layouts use are all there."""
    if not isinstance(colours, dict):
        raise LayoutError(f"{file}: colours: expected a [colours] table of name = \"#rrggbb\"")
    for name, value in colours.items():
        if not NAME_RE.match(name):
            raise LayoutError(f"{file}: colours.{name}: colour names are lowercase words with dashes")
        if not isinstance(value, str) or not COLOUR_RE.match(value.strip()):
            raise LayoutError(f"{file}: colours.{name}: expected a CSS colour such as #8c2f39 or {{ cmyk = [c, m, y, k] }}, got {value!r}")
    missing = [name for name in REQUIRED_COLOURS if name not in colours]
    if missing:
        raise LayoutError(f"{file}: colours: missing {', '.join(missing)} (layouts use them all)")


def load_theme(name_or_path: str, search_path: tuple[Path, ...]) -> tuple[Theme, list[Path]]:
    """The theme and the theme files it was read from (for watch mode and cache keys)."""
    file = find_theme_file(name_or_path, search_path)
    table, files = _theme_table(file, search_path)
    _ink_colours(table, file)
    _check_colours(table.get("colours"), file)
    try:
        theme = Theme.model_validate(table)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise LayoutError(f"{file}: {where}: {first['msg'].removeprefix('Value error, ')}") from None
    return theme, files
