"""Where layouts live: the built-in folder and the project's own, searched in order; no Jinja, light to import."""

from __future__ import annotations

from pathlib import Path

from ..confine import builtin_root, is_readable

LAYOUT_ENTRY = "layout.html"
# `builtin/<name>` always names the built-in template, whatever the project overrides.
BUILTIN_PREFIX = "builtin"
# Where themes live in each folder of the search path (layout/theme.py reads them).
THEMES_FOLDER = "themes"


def layout_search_path(project_root: Path) -> list[Path]:
    """Layout folders in lookup order: the project's own first (even before it exists: it names the project), so it can override blocks."""
    folders = [Path(project_root).resolve() / "layouts", builtin_root() / "layouts"]
    return list(dict.fromkeys(folders))


def available_layouts(search_path: list[Path]) -> list[str]:
    names = {p.parent.name for folder in search_path for p in folder.glob(f"*/{LAYOUT_ENTRY}")}
    return sorted(names)


def project_root_of(search_path: tuple[Path, ...]) -> Path:
    """The project whose layouts/ leads the search path."""
    return Path(search_path[0]).parent if search_path else builtin_root() / "layouts"


def template_files(search_path: tuple[Path, ...]) -> list[Path]:
    """Every template and stylesheet a layout could read, for cache keys and watch mode (never a link out of the project)."""
    project_root = project_root_of(search_path)
    return sorted(p for folder in search_path for p in folder.rglob("*") if p.is_file() and is_readable(p, project_root))
