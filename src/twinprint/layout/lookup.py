"""Where layouts live: the built-in folder and the project's own, searched in order; no Jinja, light to import."""

from __future__ import annotations

from pathlib import Path

from ..errors import LayoutError

PACKAGE_DIR = Path(__file__).resolve().parents[1]
LAYOUT_ENTRY = "layout.html"
# `builtin/<name>` always names the built-in template, whatever the project overrides.
BUILTIN_PREFIX = "builtin"


def builtin_root() -> Path:
    """Where the built-in layouts/ and fonts/ live: the source checkout, or the wheel's data."""
    for candidate in (PACKAGE_DIR.parents[1], PACKAGE_DIR / "_data"):
        if (candidate / "layouts").is_dir() and (candidate / "fonts").is_dir():
            return candidate
    raise LayoutError(f"twinprint is installed without its layouts/ and fonts/ folders (looked beside {PACKAGE_DIR})")


def layout_search_path(project_root: Path) -> list[Path]:
    """Layout folders in lookup order: the project's own first, so it can override blocks."""
    folders = [Path(project_root).resolve() / "layouts", builtin_root() / "layouts"]
    unique: list[Path] = []
    for folder in folders:
        if folder.is_dir() and folder not in unique:
            unique.append(folder)
    return unique


def available_layouts(search_path: list[Path]) -> list[str]:
    names = {p.parent.name for folder in search_path for p in folder.glob(f"*/{LAYOUT_ENTRY}")}
    return sorted(names)


def template_files(search_path: tuple[Path, ...]) -> list[Path]:
    """Every template and stylesheet a layout could read, for cache keys and watch mode."""
    return sorted(p for folder in search_path for p in folder.rglob("*") if p.is_file())
