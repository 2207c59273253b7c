"""What one document is (BuildRequest), where it is written, and how: light enough for the command line to import at start-up.

The pipeline itself lives in build.py; this module imports no renderer, so
`twinprint build` with every job up to date never loads WeasyPrint.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable

from .errors import BuildError, LayoutError, UsageError
from .prepress.profile_names import DEFAULT_BLEED_MM

if TYPE_CHECKING:
    from .content.model import Exhibit

DEFAULT_LAYOUT = "catalogue"
# A request's language "all": one document per language the content declares.
ALL_LANGUAGES = "all"
# Seconds a job may take before it is stopped (twinprint.toml [build] timeout).
DEFAULT_TIMEOUT_S = 600.0
DEFAULT_MEMORY_LIMIT_MB = 450.0


@dataclass(frozen=True)
class BuildRequest:
    """One document to make: which content, layout, language, and where it goes."""

    content_dir: Path
    layout: str = DEFAULT_LAYOUT
    language: str = "en"
    output_dir: Path = Path("build")
    project_root: Path = Path(".")
    variables: tuple[tuple[str, str], ...] = ()
    qr_error_correction: str = "M"
    profile: str = "screen"
    # Paper name (A4, A2, B1, tabloid…) or WxH in mm; None keeps the layout's own size.
    paper: str | None = None
    orientation: str | None = None
    # Bleed around the trim box for print profiles, in mm.
    bleed_mm: float = DEFAULT_BLEED_MM
    # Theme name (layouts/themes/<name>.toml, the project's first) or a path to a .toml file.
    theme: str = "default"
    preflight: bool = True
    previews: bool = False
    # Missing translations are errors instead of warnings.
    strict: bool = False
    # Hosts a document may fetch from over http(s): twinprint.toml's [sandbox] allowed_hosts.
    allowed_hosts: tuple[str, ...] = ()
    # List every missing translation, not only a summary of those the layout prints.
    verbose: bool = False
    # Lay out long layouts section by section where that changes no page (render/chunks.py); False: as one document.
    chunks: bool = True


def variables_name_part(variables: tuple[tuple[str, str], ...]) -> str:
    """`-<key>-<value slug>` per variable, in key order: every variable changes the document, so it names it."""
    if not variables:
        return ""
    from .names import slug

    return "".join(f"-{slug(key)}-{slug(value)}" for key, value in sorted(variables))


def output_name(slug: str, layout: str, language: str, profile: str = "screen", paper: str | None = None,
                orientation: str | None = None, variables: tuple[tuple[str, str], ...] = ()) -> str:
    """Output file name relative to the output folder.

    `<slug>/<layout>[-<paper>[-landscape]][-<variable>-<value>…].<lang>[.<profile>].pdf`: the paper part
    only when a paper size was asked for, a part per `--set` variable (`booklet-recipient-lei-chen.en.pdf`,
    `booklet-bilingual-zh.en.pdf`), the profile part only when not 'screen'.
    """
    variant = f"-{paper}" if paper else ""
    if orientation == "landscape":
        variant += "-landscape"
    variant += variables_name_part(variables)
    suffix = "" if profile == "screen" else f".{profile}"
    return f"{slug}/{layout}{variant}.{language}{suffix}.pdf"


def request_output(request: BuildRequest, slug: str) -> Path:
    name = output_name(slug, request.layout, request.language, request.profile, request.paper, request.orientation, request.variables)
    return inside_output_folder(Path(request.output_dir), name)


def inside_output_folder(output_dir: Path, name: str) -> Path:
    """`output_dir / name`, refusing any name that could land outside the output folder or hide in it."""
    parts = name.split("/")
    unsafe = [p for p in parts if p in ("", ".", "..") or p.startswith(".") or any(c < " " or c in "\\\x7f" for c in p)]
    if unsafe or not parts[-1].endswith(".pdf") or parts[-1] == ".pdf":
        raise UsageError(f"output name {name!r}: expected a relative path of plain names ending in .pdf, inside {output_dir}")
    return output_dir.joinpath(*parts)


def prepare_output_folder(output_dir: Path) -> None:
    """Create the output folder and prove it writable before any job starts: one error, not one per job."""
    try:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output_dir):
            pass
    except OSError as error:
        raise BuildError(f"{output_dir}: cannot write to the output folder: {error.strerror or error}") from None


def resolve_languages(exhibit: Exhibit, language: str) -> list[str]:
    if language == ALL_LANGUAGES:
        return list(exhibit.languages)
    return [language]


# Read once, at import: os.umask can only be read by setting it, which is not thread-safe later.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomically(path: Path, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file.

    `data` is the bytes, or a function that writes them to the open file (a large PDF saved
    straight to disk rather than held in memory first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        # mkstemp makes the file private (0600): give it the permissions a plain open() would.
        os.fchmod(handle, 0o666 & ~_UMASK)
        with os.fdopen(handle, "wb") as stream:
            if callable(data):
                data(stream)
            else:
                stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def year_variable(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"--set year: expected a year such as 2020, got {text!r}") from None


def is_known_language(code: str) -> bool:
    """Whether Babel has a locale for the code (dates, numbers and language names need one)."""
    import babel

    try:
        babel.Locale.parse(code.replace("-", "_"))
    except (ValueError, babel.UnknownLocaleError):
        return False
    return True


def check_command_line_values(request: BuildRequest) -> None:
    """Values given on the command line that would otherwise fail inside a job: usage errors (exit 2) before any job starts."""
    from .layout.lookup import layout_search_path
    from .layout.paper import page_settings, qr_side_mm, resolve_paper
    from .layout.theme import find_theme_file

    variables = dict(request.variables)
    if "year" in variables:
        year_variable(variables["year"])
    search_path = tuple(layout_search_path(request.project_root))
    try:
        find_theme_file(request.theme, search_path)
    except LayoutError as error:
        raise UsageError(f"--theme: {error.message}") from None
    qr_side_mm(resolve_paper(request.paper or page_settings(request.layout, search_path).paper, request.orientation),
               variables.get("qr_mm"))
