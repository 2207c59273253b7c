"""Job keys: one sha256 over everything a document reads, so unchanged jobs are skipped.

A key covers the content folder's files, the layout files the job can read
(its own folder, shared templates, themes, and any other layout's file its
templates reference), every asset the render actually fetched (images, fonts,
stylesheets: recorded by the sandboxed fetcher), the job's options, and the
environment: twinprint's code, WeasyPrint's version, the installed fonts.
Content hashes, never modification times: a fresh checkout keeps its keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .. import __version__
from ..request import BuildRequest
from ..confine import is_readable
from ..errors import TwinprintError
from ..layout.lookup import BUILTIN_PREFIX, THEMES_FOLDER, LAYOUT_ENTRY, builtin_root, layout_search_path, template_files

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# Where the request's files live; the key covers the files themselves, not where they are.
LOCATION_FIELDS = ("content_dir", "output_dir", "project_root")


class FileHashes:
    """sha256 of files, each read at most once per run (None: missing or unreadable).

    Like git's index, it remembers each file's size, times and inode with its hash: a file
    whose stat is unchanged since the last build is not read again. Keys stay content
    hashes: a fresh checkout (new times) only makes the files be read once more.
    """

    def __init__(self, remembered: dict[str, list] | None = None, themes: dict[str, list] | None = None) -> None:
        self._known: dict[Path, str | None] = {}
        self._listed: dict[Path, list[Path]] = {}
        self._readable: dict[tuple[Path, Path, Path], bool] = {}
        self._static: dict[tuple[str, ...], dict[str, str | None]] = {}  # static_inputs, shared by a job's languages
        # path -> [size, mtime_ns, ctime_ns, inode, sha256]; updated in place, so its owner can save it.
        self.remembered: dict[str, list] = remembered if remembered is not None else {}
        # theme and search path -> [stamp of every theme file there, the files the theme reads] (theme_inputs).
        self.themes: dict[str, list] = themes if themes is not None else {}
        self.changed = False

    def readable(self, path: Path, project_root: Path, content_dir: Path) -> bool:
        """confine.is_readable for the project or the content folder, resolved once per run."""
        key = (path, project_root, content_dir)
        if key not in self._readable:
            self._readable[key] = is_readable(path, project_root) or is_readable(path, content_dir)
        return self._readable[key]

    def files_under(self, folder: Path) -> list[Path]:
        """visible_files(folder), listed once per run."""
        if folder not in self._listed:
            self._listed[folder] = visible_files(folder)
        return self._listed[folder]

    def of(self, path: Path) -> str | None:
        if path not in self._known:
            self._known[path] = self._hash(path)
        return self._known[path]

    def _hash(self, path: Path) -> str | None:
        try:
            stamp = file_stamp(path)
            remembered = self.remembered.get(str(path))
            if remembered is not None and remembered[:4] == stamp:
                return str(remembered[4])
            with open(path, "rb") as stream:
                digest = hashlib.file_digest(stream, "sha256").hexdigest()
        except OSError:
            return None
        self.remembered[str(path)] = stamp + [digest]
        self.changed = True
        return digest


def file_stamp(path: Path) -> list[int]:
    """What make and git look at to tell a file changed without reading it: size, times, inode."""
    stat = os.stat(path)
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def visible_files(folder: Path) -> list[Path]:
    """Files under a folder, without hidden ones (editor swap files, .DS_Store)."""
    return sorted(
        p for p in Path(folder).rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


@lru_cache(maxsize=4096)
def shown_path(path: Path, project_root: Path) -> str:
    """A path as manifest.json records it: relative to the project when inside it."""
    path = Path(path).resolve()
    root = Path(project_root).resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _resolve_template(name: str, search_path: tuple[Path, ...]) -> Path | None:
    """The file Jinja loads for a template name (see layouts.py: `builtin/…` is always the built-in one)."""
    builtin = name.removeprefix(f"{BUILTIN_PREFIX}/")
    if builtin != name and (builtin_root() / "layouts" / builtin).is_file():
        return builtin_root() / "layouts" / builtin
    return next((folder / name for folder in search_path if (folder / name).is_file()), None)


# {% extends "x" %}, {% include 'x' %}, {% import "x" as y %}, {% from "x" import y %}: the name is
# a string literal, or the reference is made at run time (then every layout file counts).
_REFERENCE_TAG = re.compile(r"{%-?\s*(?:extends|include|import|from)\s+(?:([\"'])([^\"']+)\1|(\S))")


def _referenced_templates(name: str, search_path: tuple[Path, ...]) -> set[str] | None:
    """Every template `name` extends, includes or imports, recursively; None if one is chosen at run time."""
    seen: set[str] = set()
    waiting = [name]
    while waiting:
        current = waiting.pop()
        if current in seen:
            continue
        seen.add(current)
        file = _resolve_template(current, search_path)
        if file is None:
            continue
        try:
            source = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        for match in _REFERENCE_TAG.finditer(source):
            if match.group(2) is None:
                return None
            waiting.append(match.group(2))
    return seen


@lru_cache(maxsize=64)
def layout_files(layout: str, search_path: tuple[Path, ...]) -> tuple[Path, ...]:
    """Files of the layout search path this layout can read: all but other layouts' own folders."""
    referenced = _referenced_templates(f"{layout}/{LAYOUT_ENTRY}", search_path)
    files = template_files(search_path)
    if referenced is None:
        return tuple(files)
    other_layouts = {
        p.parent.name for folder in search_path for p in folder.glob(f"*/{LAYOUT_ENTRY}") if p.parent.name != layout
    }
    wanted = {file for name in referenced if (file := _resolve_template(name, search_path)) is not None}

    def belongs_to_other_layout(file: Path) -> bool:
        folder = next(f for f in search_path if file.is_relative_to(f))
        return file.relative_to(folder).parts[0] in other_layouts

    return tuple(f for f in files if f in wanted or not belongs_to_other_layout(f))


def theme_inputs(request: BuildRequest, hashes: FileHashes | None = None) -> list[Path]:
    """The theme files the job reads (wherever they are: `--theme file.toml`, `extends`), its logo and font files.

    Reading a theme validates it (pydantic, slow to import); with `hashes`, the answer of the last
    run is reused while every theme file the search path (or the given file) offers has its stamp.
    """
    search_path = tuple(layout_search_path(request.project_root))
    if hashes is None:
        return _read_theme_inputs(request.theme, search_path)
    key = json.dumps([request.theme, [str(folder) for folder in search_path]])
    stamp = _themes_stamp(request.theme, search_path)
    known = hashes.themes.get(key)
    if known is not None and known[0] == stamp:
        return [Path(file) for file in known[1]]
    files = _read_theme_inputs(request.theme, search_path)
    hashes.themes[key] = [stamp, [str(file) for file in files]]
    hashes.changed = True
    return files


def _read_theme_inputs(theme_name: str, search_path: tuple[Path, ...]) -> list[Path]:
    try:
        from ..layout.theme import load_theme

        theme, files = load_theme(theme_name, search_path)
    except TwinprintError:
        return []  # the build reports it
    return [*files, *theme.files()]


def _themes_stamp(theme_name: str, search_path: tuple[Path, ...]) -> str:
    """Stamps of every file a theme lookup can find: each themes/ folder of the search path, and a theme given as a file."""
    candidates = [Path(theme_name)] if theme_name.endswith(".toml") else []
    candidates += [file for folder in search_path for file in sorted((folder / THEMES_FOLDER).glob("*"))]
    stamps = []
    for file in candidates:
        try:
            stamps.append([str(file), *file_stamp(file)])
        except OSError:
            stamps.append([str(file), None])
    return hashlib.sha256(json.dumps(stamps).encode()).hexdigest()


def static_inputs(request: BuildRequest, hashes: FileHashes) -> dict[str, str | None]:
    """Files the job reads whatever it renders: its content folder, its layout's files and its theme.

    Only files inside the project or twinprint's layouts/ and fonts/: a link to elsewhere is never read or recorded.
    """
    key = (str(request.content_dir), request.layout, request.theme, str(request.project_root))
    if key not in hashes._static:
        root = request.project_root
        search_path = tuple(layout_search_path(root))
        files = hashes.files_under(Path(request.content_dir)) + list(layout_files(request.layout, search_path)) + theme_inputs(request, hashes)
        readable = [f for f in files if hashes.readable(f, root, request.content_dir)]
        hashes._static[key] = {shown_path(f, root): hashes.of(f) for f in dict.fromkeys(readable)}
    return dict(hashes._static[key])


def fetched_inputs(fetched: dict[str, str], project_root: Path) -> dict[str, str]:
    """The render's fetch record ({url: sha256}) with file URLs shown as paths."""
    shown = {}
    for url, digest in fetched.items():
        key = shown_path(Path(unquote(urlparse(url).path)), project_root) if url.startswith("file:") else url
        shown[key] = digest
    return shown


def rehash_fetched(recorded: dict[str, str], project_root: Path, hashes: FileHashes) -> dict[str, str | None]:
    """Today's hashes of what a job fetched last time; remote URLs are trusted (--force refetches)."""
    current: dict[str, str | None] = {}
    for shown, digest in recorded.items():
        if "://" in shown:
            current[shown] = digest
            continue
        path = Path(shown) if Path(shown).is_absolute() else Path(project_root) / shown
        current[shown] = hashes.of(path)
    return current


def request_options(request: BuildRequest) -> dict[str, Any]:
    """Every request field but the locations, as JSON values (new fields join the key by themselves)."""
    options = {f.name: getattr(request, f.name) for f in dataclasses.fields(request) if f.name not in LOCATION_FIELDS}
    return json.loads(json.dumps(options, default=str))


@lru_cache(maxsize=1)
def environment() -> dict[str, str]:
    """What the whole run depends on: the code, WeasyPrint and the fonts installed."""
    code = hashlib.sha256()
    # Code and interface strings only: layouts and fonts are inputs of their own (and an installed
    # wheel carries them inside the package, a checkout beside it).
    for file in visible_files(PACKAGE_DIR):
        if file.suffix in (".py", ".po") and not {"__pycache__", "_data"} & set(file.parts):
            code.update(str(file.relative_to(PACKAGE_DIR)).encode() + b"\0" + file.read_bytes())
    return {
        "twinprint": f"{__version__}+{code.hexdigest()[:16]}",
        # Read from the installed metadata: importing WeasyPrint costs a second, and an up-to-date build needs none of it.
        "weasyprint": installed_version("weasyprint"),
        "pydyf": installed_version("pydyf"),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "fonts": fonts_digest(),
    }


def installed_version(distribution: str) -> str:
    """A distribution's version, from the name of its `<name>-<version>.dist-info` folder on sys.path.

    The folder importlib.metadata would read first, without importing it (email, zipfile: a tenth of
    an up-to-date build); importlib.metadata answers when no such folder is found (an egg, a zip).
    """
    wanted = re.sub(r"[-_.]+", "_", distribution).lower()
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            stem, _, version = name.removesuffix(".dist-info").rpartition("-")
            if name.endswith(".dist-info") and re.sub(r"[-_.]+", "_", stem).lower() == wanted:
                return version
    from importlib import metadata

    return metadata.version(distribution)


def fonts_digest() -> str:
    """Digest of the fonts fontconfig knows (file and size): fallback fonts are never fetched."""
    try:
        listing = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    entries = []
    for name in sorted(set(listing.splitlines())):
        try:
            entries.append(f"{name}:{Path(name).stat().st_size}")
        except OSError:
            continue
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()[:16]


def job_key(files: dict[str, str | None], fetched: dict[str, str | None], options: dict[str, Any], env: dict[str, str]) -> str:
    payload = json.dumps({"files": files, "fetched": fetched, "options": options, "environment": env}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()
