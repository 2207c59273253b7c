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

from ..confine import refuse_unless_readable
from ..errors import LayoutError
from ..content.i18n import plain, translations_for
from .qr import FittedQr, fit_qr
from .scripttags import tag_latin_runs
from .typography import cjk_spacing_html, phrases

# Where layouts are found is light to import (the command line checks --layout at start-up); re-exported here.
from .lookup import BUILTIN_PREFIX, LAYOUT_ENTRY, available_layouts, builtin_root, layout_search_path, project_root_of, template_files  # noqa: F401

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown_to_html(text: str | None) -> Markup:
    """Markdown to HTML with raw HTML disabled: content can only produce safe markup.

    Chinese gets CJK-Latin spacing; a text in another language than the document's keeps its `lang`.
    """
    html = Markup(cjk_spacing_html(_MARKDOWN.render(plain(text or ""))))
    lang = getattr(text, "lang", None)
    return Markup('<div lang="{}">{}</div>').format(lang, html) if lang else html


def qr_placeholder(url: str, side_mm: float, label: str = "", fitted: FittedQr | None = None) -> Markup:
    """An empty box that the PDF stage fills with the vector QR code of `url`.

    With `fitted`, the box takes its side and names the error-correction level the code is drawn at.
    """
    level = f' data-qr-ec="{fitted.error_correction}"' if fitted else ""
    return Markup('<span class="qr" data-qr="{url}"' + level + ' style="width:{side}mm;height:{side}mm" '
                  'role="img" aria-label="{label}"></span>').format(
        url=url, side=f"{fitted.side_mm if fitted else side_mm:.2f}", label=plain(label) or f"QR code: {url}"
    )


def _fitted_qr(context: Any, url: str, side_mm: float) -> FittedQr:
    """The code a layout's `qr()` draws: modules of TARGET_MODULE_MM at least, growing the side
    unless the user fixed it (`--set qr_mm=`)."""
    fixed = "qr_mm" in (context.get("vars") or {})
    return fit_qr(url, float(side_mm), context.get("qr_error_correction") or "M", grow=not fixed)


@jinja2.pass_context
def layout_qr(context: Any, url: str, side_mm: float, label: str = "") -> Markup:
    """`qr(url, side_mm, label)` in a layout: the placeholder of the code fitted to its module size."""
    return qr_placeholder(url, side_mm, label, _fitted_qr(context, url, side_mm))


@jinja2.pass_context
def layout_qr_side(context: Any, url: str, side_mm: float) -> float:
    """`qr_side(url, side_mm)` in a layout: the side `qr(url, side_mm)` takes, for the block around it."""
    return _fitted_qr(context, url, side_mm).side_mm


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


def layout_loader(search_path: tuple[Path, ...]) -> jinja2.BaseLoader:
    """Templates by name along the search path; `builtin/<name>` always means the built-in one,
    so a project's layouts/poster/layout.html can extend "builtin/poster/layout.html" and change one block."""
    project_root = project_root_of(search_path)
    builtin = ConfinedLoader([builtin_root() / "layouts"], project_root)
    return jinja2.ChoiceLoader([ConfinedLoader(list(search_path), project_root), jinja2.PrefixLoader({BUILTIN_PREFIX: builtin})])


def _spaced_gettext(gettext: Any) -> Any:
    """Interface strings with CJK-Latin spacing once their values are in: "自 1980 年起"."""
    @jinja2.pass_context
    def spaced(context: Any, string: str, **variables: Any) -> Any:
        text = gettext(context, string, **variables)
        return Markup(cjk_spacing_html(text)) if isinstance(text, Markup) else cjk_spacing_html(text)

    return spaced


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
    env.globals["_"] = env.globals["gettext"] = _spaced_gettext(env.globals["gettext"])
    env.filters["markdown"] = markdown_to_html
    env.filters["phrases"] = phrases
    env.filters["plain"] = plain
    env.globals["qr"] = layout_qr
    env.globals["qr_side"] = layout_qr_side
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
        html = template.render(**context)
        return tag_latin_runs(html) if request.language == "zh" else html
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
