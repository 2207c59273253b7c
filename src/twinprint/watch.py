"""Watch mode: rebuild one document, and a PNG preview of its first page, whenever a file it depends on changes.

The watched folders are the content folder (texts, images), every layout folder
on the search path (templates, stylesheets, themes, the project's own layouts)
and the shipped fonts. Changes are debounced; a broken edit is reported and the
watch goes on, so the next save can fix it.
"""

from __future__ import annotations

import dataclasses
import io
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import pypdfium2
import watchfiles

from .batch.contained import Limits, run_contained
from .batch.manifest import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_S
from .build import BuildRequest, BuildResult, build_document, request_design, write_atomically
from .errors import TwinprintError
from .layout.templates import builtin_root, layout_search_path

# Files a build reads: content, templates and stylesheets, themes, images, fonts.
WATCHED_SUFFIXES = frozenset({
    ".yaml", ".yml", ".md", ".html", ".css", ".toml",
    ".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp",
    ".ttf", ".otf", ".ttc", ".woff", ".woff2",
})
DEBOUNCE_MS = 300
PREVIEW_LONG_SIDE_PX = 900


@dataclass(frozen=True)
class Rebuild:
    """The outcome of one rebuild: what was written, how long it took, or why it failed."""

    seconds: float
    changed: tuple[Path, ...] = ()
    output: Path | None = None
    preview: Path | None = None
    page_count: int = 0
    warnings: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def watched_folders(request: BuildRequest) -> list[Path]:
    """Every folder whose files can change the document: content, layouts (and their themes), fonts."""
    layouts = [folder for folder in layout_search_path(request.project_root) if folder.is_dir()]
    folders = [Path(request.content_dir).resolve(), *layouts, builtin_root() / "fonts"]
    theme_file = Path(request.theme)
    if theme_file.suffix == ".toml":
        folders.append(theme_file.resolve().parent)
    unique: list[Path] = []
    for folder in folders:
        if folder.is_dir() and not any(folder.is_relative_to(kept) for kept in unique):
            unique = [kept for kept in unique if not kept.is_relative_to(folder)] + [folder]
    return unique


def preview_path(pdf: Path) -> Path:
    """`build/x/poster-A2.en.pdf` -> `build/x/poster-A2.en.png`."""
    return Path(pdf).with_suffix(".png")


def write_first_page_preview(pdf: Path, long_side_px: int = PREVIEW_LONG_SIDE_PX) -> Path:
    """Rasterise page 1 of the PDF to a PNG beside it (written atomically) and return its path."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        page = document[0]
        width, height = page.get_size()
        image = page.render(scale=long_side_px / max(width, height)).to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=True)
    target = preview_path(pdf)
    write_atomically(target, buffer.getvalue())
    return target


def _build_with_preview(request: BuildRequest) -> tuple[BuildResult, Path]:
    result = build_document(request)
    preview = write_first_page_preview(result.output)
    return dataclasses.replace(result, rendered=None, preflight=None), preview


def rebuild(request: BuildRequest, changed: tuple[Path, ...] = ()) -> Rebuild:
    """Build the PDF and its preview in a contained child (limits as for a batch job); a failure comes back as its one-line message."""
    started = time.perf_counter()
    try:
        limits = Limits(DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_S, whole_process=False)
        result, preview = run_contained(partial(_build_with_preview, request), limits, str(request.content_dir))
    except TwinprintError as error:
        return Rebuild(time.perf_counter() - started, changed, error=error.message)
    except (OSError, pypdfium2.PdfiumError) as error:
        return Rebuild(time.perf_counter() - started, changed, error=f"{type(error).__name__}: {error}")
    return Rebuild(time.perf_counter() - started, changed, result.output, preview, result.page_count, tuple(result.warnings))


class _DependencyFilter(watchfiles.DefaultFilter):
    """Only files a build reads; never the output folder (our own PDFs and previews) or editor droppings."""

    def __init__(self, output_dir: Path) -> None:
        super().__init__()
        self.output_dir = Path(output_dir).resolve()

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        file = Path(path)
        if file.suffix.lower() not in WATCHED_SUFFIXES or file.name.startswith("."):
            return False
        if file.resolve().is_relative_to(self.output_dir):
            return False
        return super().__call__(change, path)


def watch(request: BuildRequest, on_rebuild: Callable[[Rebuild], None], stop: threading.Event | None = None,
          debounce_ms: int = DEBOUNCE_MS, force_polling: bool | None = None) -> None:
    """Build once, then rebuild after every debounced batch of changes until `stop` is set (or Ctrl-C)."""
    request_design(request)  # an unknown layout or theme fails here, before watching anything
    on_rebuild(rebuild(request))
    changes = watchfiles.watch(
        *watched_folders(request),
        watch_filter=_DependencyFilter(request.output_dir),
        debounce=debounce_ms,
        step=50,
        stop_event=stop,
        force_polling=force_polling,
        raise_interrupt=False,
    )
    for batch in changes:
        changed = tuple(sorted({Path(path) for _, path in batch}))
        on_rebuild(rebuild(request, changed))
