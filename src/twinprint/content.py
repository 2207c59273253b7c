"""Load a content folder (exhibit.yaml + Markdown bodies) into a validated Exhibit.

Every problem is reported with the file, the line YAML gives for it, the field
path and what was expected; all problems are collected before failing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import ContentError, Problem
from .model import Exhibit

EXHIBIT_FILE = "exhibit.yaml"
MAX_CONTENT_FILE_BYTES = 8 * 1024 * 1024

FieldPath = tuple[str | int, ...]


def format_field_path(path: FieldPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _LineMap:
    """Remembers the line of every mapping key and sequence item in a YAML file."""

    def __init__(self) -> None:
        self.lines: dict[FieldPath, int] = {}

    def line_for(self, path: FieldPath) -> int | None:
        for length in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:length]))
            if line is not None:
                return line
        return None


def _node_to_data(node: yaml.Node, path: FieldPath, lines: _LineMap, file: Path) -> Any:
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _node_to_data(key_node, path, lines, file)
            if not isinstance(key, (str, int)):
                raise ContentError.single(file, format_field_path(path), "expected text keys", "yaml", key_node.start_mark.line + 1)
            if key in data:
                raise ContentError.single(
                    file, format_field_path(path + (key,)), f"duplicate key {key!r}", "duplicate-key", key_node.start_mark.line + 1
                )
            lines.lines[path + (key,)] = key_node.start_mark.line + 1
            data[key] = _node_to_data(value_node, path + (key,), lines, file)
        return data
    if isinstance(node, yaml.SequenceNode):
        return [_node_to_data(item, path + (i,), lines, file) for i, item in enumerate(node.value)]
    try:
        return yaml.SafeLoader.construct_object(_SCALAR_LOADER, node)  # type: ignore[arg-type]
    except ValueError:
        # An impossible date such as 1980-02-30: keep the text so validation names the field.
        return node.value


_SCALAR_LOADER = yaml.SafeLoader("")


def parse_yaml(file: Path, text: str) -> tuple[Any, _LineMap]:
    """Parse YAML text into plain data and a map from field paths to line numbers."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error)
        if "\t" in problem or "\\t" in problem:
            problem += " (YAML does not allow tabs for indentation; use spaces)"
        raise ContentError.single(file, "", f"malformed YAML: {problem}", "yaml", line) from None
    lines = _LineMap()
    if node is None:
        return None, lines
    return _node_to_data(node, (), lines, file), lines


def read_text_file(path: Path, root: Path, *, field: str, referrer: Path) -> str:
    """Read a file the content names, refusing anything outside the content folder."""
    resolved = (root / path).resolve() if not Path(path).is_absolute() else None
    if resolved is None or not resolved.is_relative_to(root.resolve()):
        raise ContentError.single(referrer, field, f"expected a path inside {root}, got {str(path)!r}", "outside-folder")
    if not resolved.is_file():
        raise ContentError.single(referrer, field, f"file not found: {path}", "missing-file")
    if resolved.stat().st_size > MAX_CONTENT_FILE_BYTES:
        raise ContentError.single(referrer, field, f"file {path} is larger than {MAX_CONTENT_FILE_BYTES} bytes", "too-large")
    try:
        return resolved.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError.single(referrer, field, f"expected UTF-8 text in {path}", "encoding") from None


def _inline_body_files(data: dict[str, Any], root: Path, file: Path, lines: _LineMap) -> None:
    """Replace every section's `body_file` by the Markdown it names."""
    sections = data.get("sections")
    if not isinstance(sections, list):
        return
    for index, section in enumerate(sections):
        if not isinstance(section, dict) or "body_file" not in section:
            continue
        field_path: FieldPath = ("sections", index, "body_file")
        field = format_field_path(field_path)
        if "body" in section:
            raise ContentError.single(file, field, "give either body or body_file, not both", "conflict", lines.line_for(field_path))
        reference = section.pop("body_file")
        try:
            if isinstance(reference, str):
                section["body"] = read_text_file(Path(reference), root, field=field, referrer=file)
            elif isinstance(reference, dict) and all(isinstance(v, str) for v in reference.values()):
                section["body"] = {
                    lang: read_text_file(Path(ref), root, field=f"{field}.{lang}", referrer=file) for lang, ref in reference.items()
                }
            else:
                raise ContentError.single(file, field, "expected a path or a mapping language -> path", "wrong-type")
        except ContentError as error:
            line = lines.line_for(field_path)
            raise ContentError([Problem(p.file, p.field, p.message, p.code, line) for p in error.problems]) from None


def _problems_from_validation(error: ValidationError, file: Path, lines: _LineMap) -> list[Problem]:
    problems = []
    for item in error.errors():
        path = tuple(p for p in item["loc"] if not (isinstance(p, str) and p in ("str", "dict[str,str]")))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = f"unknown key {path[-1]!r} (a typo?)"
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append(Problem(str(file), format_field_path(path), message, item["type"], lines.line_for(path)))
    return problems


def load_exhibit(folder: Path) -> Exhibit:
    """Load and validate content/<slug>/ into an Exhibit, or raise ContentError."""
    folder = Path(folder)
    file = folder / EXHIBIT_FILE
    if not folder.is_dir():
        raise ContentError.single(folder, "", "expected a content folder, found none", "missing-folder")
    if not file.is_file():
        raise ContentError.single(file, "", f"expected {EXHIBIT_FILE} in the content folder", "missing-file")
    text = read_text_file(Path(EXHIBIT_FILE), folder, field="", referrer=file)
    data, lines = parse_yaml(file, text)
    if not isinstance(data, dict):
        raise ContentError.single(file, "", "expected a mapping of fields at the top level", "wrong-type", 1)
    if "slug" in data:
        raise ContentError.single(file, "slug", "the slug is the folder name; remove this key", "extra_forbidden", lines.line_for(("slug",)))
    _inline_body_files(data, folder, file, lines)
    try:
        return Exhibit.model_validate({**data, "slug": folder.resolve().name})
    except ValidationError as error:
        raise ContentError(_problems_from_validation(error, file, lines)) from None


def find_content_folders(content_root: Path) -> list[Path]:
    """Every folder under content/ that holds an exhibit.yaml, in name order."""
    return sorted(p.parent for p in Path(content_root).glob(f"*/{EXHIBIT_FILE}"))
