"""Find layouts (project-local first, then built-in) and render them to HTML with Jinja2."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..errors import LayoutError
from ..content.i18n import plain, translations_for
from .typography import cjk_spacing_html, phrases

PACKAGE_DIR = Path(__file__).resolve().parents[1]
LAYOUT_ENTRY = "layout.html"


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


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown_to_html(text: str | None) -> Markup:
    """Markdown to HTML with raw HTML disabled: content can only produce safe markup.

    Chinese gets CJK-Latin spacing; a text in another language than the document's keeps its `lang`.
    """
    html = Markup(cjk_spacing_html(_MARKDOWN.render(plain(text or ""))))
    lang = getattr(text, "lang", None)
    return Markup('<div lang="{}">{}</div>').format(lang, html) if lang else html


def qr_placeholder(url: str, side_mm: float, label: str = "") -> Markup:
    """An empty box that the PDF stage fills with the vector QR code of `url`."""
    return Markup('<span class="qr" data-qr="{url}" style="width:{side}mm;height:{side}mm" role="img" aria-label="{label}"></span>').format(
        url=url, side=f"{side_mm:.2f}", label=plain(label) or f"QR code: {url}"
    )


BUILTIN_PREFIX = "builtin"


def layout_loader(search_path: tuple[Path, ...]) -> jinja2.BaseLoader:
    """Templates by name along the search path; `builtin/<name>` always means the built-in one,
    so a project's layouts/poster/layout.html can extend "builtin/poster/layout.html" and change one block."""
    builtin = jinja2.FileSystemLoader(str(builtin_root() / "layouts"))
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader([str(p) for p in search_path]), jinja2.PrefixLoader({BUILTIN_PREFIX: builtin})])


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
    env.filters["phrases"] = phrases
    env.filters["plain"] = plain
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
    """Every template and stylesheet a layout could read, for cache keys and watch mode."""
    return sorted(p for folder in search_path for p in folder.rglob("*") if p.is_file())
