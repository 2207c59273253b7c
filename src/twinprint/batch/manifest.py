"""twinprint.toml, the project manifest: which documents `twinprint build` makes, as typed jobs.

Each `[[jobs]]` table is a product: content folders x layouts x languages x
profiles x papers x themes, sharing the table's options. Problems are reported
like content problems: file, line, field, what is expected.
"""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..content import EXHIBIT_FILE, LANGUAGE_RE
from ..errors import ContentError, Problem

MANIFEST_FILE = "twinprint.toml"
ALL_LANGUAGES = "all"
NAME_FIELDS = ("slug", "layout", "lang", "profile", "paper", "orientation", "theme")
DEFAULT_TIMEOUT_S = 600.0
DEFAULT_MEMORY_LIMIT_MB = 450.0
HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    """`layouts = "poster"` means `layouts = ["poster"]`."""
    return [value] if isinstance(value, str) else value


class JobGroup(_Strict):
    """One [[jobs]] table: every combination of its lists, with the same options."""

    content: list[str] = Field(default=["content/*"], min_length=1)
    layouts: list[str] = Field(default=["catalogue"], min_length=1)
    languages: list[str] = Field(default=[ALL_LANGUAGES], min_length=1)
    profiles: list[str] = Field(default=["screen"], min_length=1)
    # Empty: each layout's own paper size.
    papers: list[str] = []
    orientation: Literal["portrait", "landscape"] | None = None
    themes: list[str] = Field(default=["default"], min_length=1)
    variables: dict[str, str] = {}
    qr_error_correction: Literal["L", "M", "Q", "H"] = "M"
    preflight: bool = True
    previews: bool = False
    # Missing translations are errors instead of warnings.
    strict: bool = False
    # Output file name pattern, relative to the output folder; None: the standard name.
    name: str | None = None

    _lists = field_validator("content", "layouts", "languages", "profiles", "papers", "themes", mode="before")(_as_list)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, languages: list[str]) -> list[str]:
        for code in languages:
            if code != ALL_LANGUAGES and not LANGUAGE_RE.match(code):
                raise ValueError(f"expected language codes such as en, it or zh, or 'all'; got {code!r}")
        return languages

    @field_validator("name")
    @classmethod
    def _name_pattern(cls, pattern: str | None, info: Any) -> str | None:
        if pattern is None:
            return None
        return check_name_pattern(pattern, set(info.data.get("variables", {})))


class BuildSettings(_Strict):
    output: str = "build"
    timeout: float = Field(default=DEFAULT_TIMEOUT_S, gt=0)
    # Resident memory of a job's render process, killed beyond it.
    memory_limit_mb: float = Field(default=DEFAULT_MEMORY_LIMIT_MB, ge=50)


class SandboxSettings(_Strict):
    """What documents may fetch besides project files: http(s) from these hosts only."""

    allowed_hosts: list[str] = []

    @field_validator("allowed_hosts")
    @classmethod
    def _bare_host_names(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            if not HOST_RE.match(host):
                raise ValueError(f"expected host names such as 'images.example.org' (no scheme, port or path), got {host!r}")
        return [host.lower() for host in hosts]


class ProjectManifest(_Strict):
    """The whole twinprint.toml."""

    build: BuildSettings = BuildSettings()
    sandbox: SandboxSettings = SandboxSettings()
    jobs: list[JobGroup] = Field(min_length=1)


def check_name_pattern(pattern: str, variables: set[str]) -> str:
    """A relative `.pdf` path whose {placeholders} are job fields or the job's variables."""
    known = set(NAME_FIELDS) | variables
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as error:
        raise ValueError(f"expected a name pattern such as '{{slug}}/{{layout}}.{{lang}}.pdf': {error}") from None
    unknown = sorted(fields - known)
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}: expected one of {', '.join(sorted(known))}")
    if not pattern.endswith(".pdf") or pattern.startswith("/") or ".." in Path(pattern).parts:
        raise ValueError(f"expected a relative path ending in .pdf inside the output folder, got {pattern!r}")
    return pattern


def toml_line(text: str, path: tuple[str | int, ...]) -> int | None:
    """The line of a field in TOML text: its table header, then its key inside that table."""
    lines = text.splitlines()
    start, end = 0, len(lines)
    keys = list(path)
    if keys and isinstance(keys[0], str) and len(keys) > 1:
        table = keys.pop(0)
        index = keys.pop(0) if keys and isinstance(keys[0], int) else 0
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
        headers = [n for n, line in enumerate(lines) if header.match(line)]
        if index >= len(headers):
            return None
        start = headers[index]
        following = [n for n in range(start + 1, len(lines)) if re.match(r"^\s*\[", lines[n])]
        end = following[0] if following else len(lines)
    elif keys:
        following = [n for n, line in enumerate(lines) if re.match(r"^\s*\[", line)]
        end = following[0] if following else len(lines)
    key = next((k for k in keys if isinstance(k, str)), None)
    if key is not None:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start, end):
            if pattern.match(lines[number]):
                return number + 1
    return start + 1 if start or path else None


def _field_path(path: tuple[str | int, ...]) -> str:
    from ..content.load import format_field_path  # the content model loads only when there is a problem to report

    return format_field_path(path)


def _problems(error: ValidationError, file: Path, text: str) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not (isinstance(part, str) and part.startswith(("function-", "literal["))))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r} (a typo?)"
        elif item["type"] == "missing":
            message = "required field is missing" if loc != ("jobs",) else "expected at least one [[jobs]] table"
        problems.append(Problem(str(file), _field_path(loc), message, item["type"], toml_line(text, loc)))
    return problems


def parse_manifest(file: Path) -> ProjectManifest:
    """Read and validate twinprint.toml, or raise ContentError with every problem."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError.single(file, "", f"cannot read the manifest: {error}", "unreadable") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        line = int(found[1]) if found else (len(text.splitlines()) if "end of document" in str(error) else None)
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(error))
        raise ContentError.single(file, "", f"malformed TOML: {message}", "toml", line) from None
    try:
        return ProjectManifest.model_validate(data)
    except ValidationError as error:
        raise ContentError(_problems(error, file, text)) from None


def find_manifest(project_root: Path) -> Path | None:
    file = Path(project_root) / MANIFEST_FILE
    return file if file.is_file() else None


def project_allowed_hosts(project_root: Path) -> tuple[str, ...]:
    """[sandbox] allowed_hosts of the project's twinprint.toml; none without one."""
    file = find_manifest(project_root)
    return tuple(parse_manifest(file).sandbox.allowed_hosts) if file else ()


def content_folders_of(group: JobGroup, group_index: int, project_root: Path, file: Path, text: str) -> list[Path]:
    """The content folders a job group names (paths or globs relative to the project root)."""
    folders: list[Path] = []
    for index, entry in enumerate(group.content):
        loc: tuple[str | int, ...] = ("jobs", group_index, "content", index)
        if Path(entry).is_absolute():
            raise ContentError.single(file, _field_path(loc), f"expected a folder or glob relative to the project root, got {entry!r}",
                                      "absolute-path", toml_line(text, loc))
        matches = sorted(p.parent for p in Path(project_root).glob(f"{entry.rstrip('/')}/{EXHIBIT_FILE}"))
        if not matches:
            raise ContentError.single(file, _field_path(loc), f"no content folder with {EXHIBIT_FILE} matches {entry!r}",
                                      "no-content", toml_line(text, loc))
        folders += [m for m in matches if m not in folders]
    return folders
