"""Find layouts (project-local first, then built-in) and render them to HTML with Jinja2."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..confine import builtin_root, is_readable, refuse_unless_readable
from ..errors import LayoutError
from ..content.i18n import translations_for

__all__ = ["builtin_root"]  # re-exported: stages find the built-in layouts and fonts here
LAYOUT_ENTRY = "layout.html"


def layout_search_path(project_root: Path) -> list[Path]:
    """Layout folders in lookup order: the project's own first (even before it exists: it names the project), so it can override blocks."""
    folders = [Path(project_root).resolve() / "layouts", builtin_root() / "layouts"]
    return list(dict.fromkeys(folders))


def available_layouts(search_path: list[Path]) -> list[str]:
    names = {p.parent.name for folder in search_path for p in folder.glob(f"*/{LAYOUT_ENTRY}")}
    return sorted(names)


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown_to_html(text: str | None) -> Markup:
    """Markdown to HTML with raw HTML disabled: content can only produce safe markup."""
    return Markup(_MARKDOWN.render(text or ""))


def qr_placeholder(url: str, side_mm: float, label: str = "") -> Markup:
    """An empty box that the PDF stage fills with the vector QR code of `url`."""
    return Markup('<span class="qr" data-qr="{url}" style="width:{side}mm;height:{side}mm" role="img" aria-label="{label}"></span>').format(
        url=url, side=f"{side_mm:.2f}", label=label or f"QR code: {url}"
    )


BUILTIN_PREFIX = "builtin"


class ConfinedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that reads a template only if its real path is inside the project or the built-in layouts."""

    def __init__(self, folders: list[Path], project_root: Path) -> None:
        super().__init__([str(p) for p in folders])
        self.project_root = project_root

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        # The file Jinja would open (the first folder that has it), checked before it is read.
        for folder in self.searchpath:
            candidate = Path(folder, *split_template_path(template))
            if candidate.is_file():
                refuse_unless_readable(candidate, self.project_root, f"layout template {template!r}")
                break
        return super().get_source(environment, template)


def project_root_of(search_path: tuple[Path, ...]) -> Path:
    """The project whose layouts/ leads the search path."""
    return Path(search_path[0]).parent if search_path else builtin_root() / "layouts"


def layout_loader(search_path: tuple[Path, ...]) -> jinja2.BaseLoader:
    """Templates by name along the search path; `builtin/<name>` always means the built-in one,
    so a project's layouts/poster/layout.html can extend "builtin/poster/layout.html" and change one block."""
    project_root = project_root_of(search_path)
    builtin = ConfinedLoader([builtin_root() / "layouts"], project_root)
    return jinja2.ChoiceLoader([ConfinedLoader(list(search_path), project_root), jinja2.PrefixLoader({BUILTIN_PREFIX: builtin})])


@lru_cache(maxsize=32)
def _environment(search_path: tuple[Path, ...], language: str) -> jinja2.Environment:
    # Sandboxed: a project-local layout can loop and format, but not reach Python internals or files.
    env = SandboxedEnvironment(
        loader=layout_loader(search_path),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations_for(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["markdown"] = markdown_to_html
    env.globals["qr"] = qr_placeholder
    return env


@dataclass(frozen=True)
class LayoutRequest:
    name: str
    language: str
    search_path: tuple[Path, ...]


def render_layout_html(request: LayoutRequest, context: dict[str, Any]) -> str:
    """Render `<layout>/layout.html` with the context; template problems become LayoutError."""
    env = _environment(request.search_path, request.language)
    template_name = f"{request.name}/{LAYOUT_ENTRY}"
    try:
        template = env.get_template(template_name)
    except jinja2.TemplateNotFound as error:
        if error.name == template_name:
            known = ", ".join(available_layouts(list(request.search_path))) or "none"
            raise LayoutError(f"unknown layout {request.name!r}: expected one of {known}") from None
        raise LayoutError(f"layout {request.name!r}: template {error.name!r} not found") from None
    except jinja2.TemplateSyntaxError as error:
        raise LayoutError(f"{error.filename}:{error.lineno}: template syntax error: {error.message}") from None
    try:
        return template.render(**context)
    except RecursionError as error:
        raise LayoutError(f"{template_location(error, template)}: layout {request.name!r}: templates include or extend "
                          "each other without end") from None
    except jinja2.TemplateSyntaxError as error:
        raise LayoutError(f"{error.filename}:{error.lineno}: template syntax error: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise LayoutError(f"{template_location(error, template)}: layout {request.name!r}: {error.message}") from None
    except SecurityError as error:
        raise LayoutError(f"{template_location(error, template)}: layout {request.name!r}: not allowed in a template: {error}") from None


def template_location(error: BaseException, template: jinja2.Template) -> str:
    """`file:line` of the template line that failed (Jinja puts template lines into the traceback)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.endswith(".py") and Path(f.filename).is_file()]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else str(template.filename)


def template_files(search_path: tuple[Path, ...]) -> list[Path]:
    """Every template and stylesheet a layout could read, for cache keys and watch mode (never a link out of the project)."""
    project_root = project_root_of(search_path)
    return sorted(p for folder in search_path for p in folder.rglob("*") if p.is_file() and is_readable(p, project_root))
