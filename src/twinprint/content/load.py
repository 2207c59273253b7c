"""Load a content folder (exhibit.yaml + Markdown bodies) into a validated Exhibit.

Every problem is reported with the file, the line YAML gives for it, the field
path and what was expected; all problems are collected before failing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ContentError, Problem
from .images import check_image
from .model import FOLDER_NAME_PATTERN, Exhibit, FieldProblem
from .sanitise import UnsafeReference, markdown_images, markdown_issues, resolve_in_folder

from . import EXHIBIT_FILE  # noqa: E402,F401 (re-exported)
MAX_CONTENT_FILE_BYTES = 8 * 1024 * 1024
MAX_YAML_VALUES = 1_000_000
MAX_YAML_DEPTH = 40
# A headline longer than this cannot fit any paper: a pasted text, not a title.
MAX_TITLE_CHARS = 500

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
        self.values = 0

    def line_for(self, path: FieldPath) -> int | None:
        for length in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:length]))
            if line is not None:
                return line
        return None


def _node_to_data(node: yaml.Node, path: FieldPath, lines: _LineMap, file: Path) -> Any:
    lines.lines.setdefault(path, node.start_mark.line + 1)
    lines.values += 1
    # YAML aliases (*name) repeat a node without repeating its text: a short file can expand without bound.
    if lines.values > MAX_YAML_VALUES:
        raise ContentError.single(file, format_field_path(path[:1]), f"more than {MAX_YAML_VALUES} values; are YAML aliases (*name) repeating each other?",
                                  "too-large", node.start_mark.line + 1)
    if len(path) > MAX_YAML_DEPTH:
        raise ContentError.single(file, format_field_path(path[:1]), f"nested more than {MAX_YAML_DEPTH} levels deep; "
                                  "does a YAML alias (*name) refer to itself?", "too-deep", node.start_mark.line + 1)
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
        value = yaml.SafeLoader.construct_object(_SCALAR_LOADER, node)  # type: ignore[arg-type]
    except (yaml.YAMLError, TypeError, OverflowError) as error:
        # Tags safe YAML cannot build (!!python/object…), or values it cannot hold.
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ContentError.single(file, format_field_path(path), f"malformed YAML: {problem}", "yaml", node.start_mark.line + 1) from None
    except ValueError:
        # An impossible date such as 1980-02-30: keep the text so validation names the field.
        return node.value
    surrogate = _SURROGATE_RE.search(value) if isinstance(value, str) else None
    if surrogate:
        # "\ud800" in double quotes makes half a UTF-16 pair: no PDF, file name or font can hold it.
        raise ContentError.single(file, format_field_path(path), f"contains U+{ord(surrogate[0]):04X}, half of a UTF-16 pair and not a "
                                  "character (a broken \\u escape?)", "encoding", node.start_mark.line + 1)
    return value


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


_SCALAR_LOADER = yaml.SafeLoader("")
# libyaml's parser, where PyYAML was built with it: the same nodes, several times faster (a studio edit
# re-reads the content). On any error the pure-Python parser reads the text again, for the messages
# (and the nesting limit) users see.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> Any:
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except (yaml.YAMLError, UnicodeError, ValueError):
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def parse_yaml(file: Path, text: str) -> tuple[Any, _LineMap]:
    """Parse YAML text into plain data and a map from field paths to line numbers."""
    try:
        node = _compose(text)
    except RecursionError:
        raise ContentError.single(file, "", f"malformed YAML: nested more than {MAX_YAML_DEPTH} levels deep", "too-deep") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error)
        if isinstance(error, yaml.reader.ReaderError):
            line = text.count("\n", 0, error.position) + 1
            code = ord(error.character) if isinstance(error.character, str) else error.character
            problem = f"{error.reason}: character #x{code:04x}" if isinstance(code, int) else str(error.reason)
        if "\t" in problem or "\\t" in problem:
            problem += " (YAML does not allow tabs for indentation; use spaces)"
        context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and context_mark and context_mark.line + 1 != line:
            # An unclosed quote or bracket is found at the end of the file; say where it began.
            problem += f" {context} that starts on line {context_mark.line + 1}"
        raise ContentError.single(file, "", f"malformed YAML: {problem}", "yaml", line) from None
    lines = _LineMap()
    if node is None:
        return None, lines
    return _node_to_data(node, (), lines, file), lines


def read_text_file(path: Path, root: Path, *, field: str, referrer: Path) -> str:
    """Read a file the content names, refusing anything outside the content folder (after `..` and symlinks)."""
    try:
        resolved = resolve_in_folder(str(path), root)
    except UnsafeReference as error:
        raise ContentError.single(referrer, field, error.message, error.code) from None
    if resolved.stat().st_size > MAX_CONTENT_FILE_BYTES:
        raise ContentError.single(referrer, field, f"file {path} is larger than {MAX_CONTENT_FILE_BYTES} bytes", "too-large")
    try:
        return resolved.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError.single(referrer, field, f"expected UTF-8 text in {path}", "encoding") from None


def markdown_problems(text: str, folder: Path, file: Path, field: str, first_line: int = 1) -> list[Problem]:
    """Raw HTML, unsafe links and bad images in one Markdown text, located in `file` from `first_line`."""
    problems = [Problem(str(file), field, i.message, i.code, first_line + i.line - 1) for i in markdown_issues(text)]
    for line, src in markdown_images(text):
        try:
            check_image(src, folder)
        except UnsafeReference as error:
            problems.append(Problem(str(file), field, f"Markdown image: {error.message}", error.code, first_line + line - 1))
    return problems


def _read_body(reference: str, folder: Path, file: Path, field: str) -> str:
    text = read_text_file(Path(reference), folder, field=field, referrer=file)
    problems = markdown_problems(text, folder, folder / reference, field)
    if problems:
        raise ContentError(problems)
    return text


def _inline_body_files(data: dict[str, Any], root: Path, file: Path, lines: _LineMap) -> None:
    """Replace every section's `body_file` by the Markdown it names, checked where it was written."""
    sections = data.get("sections")
    if not isinstance(sections, list):
        return
    for index, section in enumerate(sections):
        if not isinstance(section, dict):
            continue
        if "body_file" not in section:
            _check_inline_body(section.get("body"), root, file, ("sections", index, "body"), lines)
            continue
        field_path: FieldPath = ("sections", index, "body_file")
        field = format_field_path(field_path)
        if "body" in section:
            raise ContentError.single(file, field, "give either body or body_file, not both", "conflict", lines.line_for(field_path))
        reference = section.pop("body_file")
        try:
            if isinstance(reference, str):
                section["body"] = _read_body(reference, root, file, field)
            elif isinstance(reference, dict) and all(isinstance(v, str) for v in reference.values()):
                section["body"] = {lang: _read_body(ref, root, file, f"{field}.{lang}") for lang, ref in reference.items()}
            else:
                raise ContentError.single(file, field, "expected a path or a mapping language -> path", "wrong-type")
        except ContentError as error:
            line = lines.line_for(field_path)
            raise ContentError([p if p.file != str(file) else replace(p, line=line) for p in error.problems]) from None


def _check_inline_body(body: Any, folder: Path, file: Path, path: FieldPath, lines: _LineMap) -> None:
    texts = {"": body} if isinstance(body, str) else body if isinstance(body, dict) else {}
    problems = []
    for lang, text in texts.items():
        sub_path = path + (lang,) if lang else path
        if isinstance(text, str):
            line = lines.line_for(sub_path) or 1
            problems += markdown_problems(text, folder, file, format_field_path(sub_path), line)
    if problems:
        raise ContentError(problems)


def _figure_problems(exhibit: Exhibit, folder: Path, file: Path, lines: _LineMap) -> list[Problem]:
    """Every figure's image must be a sane image file inside the content folder."""
    problems = []
    for s, section in enumerate(exhibit.sections):
        for f, figure in enumerate(section.figures):
            path: FieldPath = ("sections", s, "figures", f, "image")
            try:
                check_image(figure.image, folder)
            except UnsafeReference as error:
                problems.append(Problem(str(file), format_field_path(path), error.message, error.code, lines.line_for(path)))
    return problems


def _problems_from_validation(error: ValidationError, file: Path, lines: _LineMap) -> list[Problem]:
    problems = []
    for item in error.errors():
        path = tuple(p for p in item["loc"] if not (isinstance(p, str) and p in ("str", "dict[str,str]")))
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, FieldProblem):
            path += cause.field_path
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
    if not re.match(FOLDER_NAME_PATTERN, folder.resolve().name):
        raise ContentError.single(folder, "", f"the folder name {folder.resolve().name!r} becomes the slug and an output folder: "
                                  "expected letters, digits, '.', '_' and '-'", "folder-name")
    if "slug" in data:
        raise ContentError.single(file, "slug", "the slug is the folder name; remove this key", "extra_forbidden", lines.line_for(("slug",)))
    _inline_body_files(data, folder, file, lines)
    problems = _title_length_problems(data, file, lines)
    if problems:
        raise ContentError(problems)
    try:
        exhibit = Exhibit.model_validate({**data, "slug": folder.resolve().name})
    except ValidationError as error:
        raise ContentError(_problems_from_validation(error, file, lines)) from None
    problems = _figure_problems(exhibit, folder, file, lines)
    if problems:
        raise ContentError(problems)
    return exhibit


def _title_length_problems(data: dict[str, Any], file: Path, lines: _LineMap) -> list[Problem]:
    """Titles longer than any cover or headline can hold: fail here, not after minutes of shrinking text to fit."""
    titled: list[tuple[FieldPath, Any]] = [(("title",), data.get("title"))]
    sections = data.get("sections")
    if isinstance(sections, list):
        titled += [(("sections", i, "title"), s.get("title")) for i, s in enumerate(sections) if isinstance(s, dict)]
    problems = []
    for path, value in titled:
        texts = value.items() if isinstance(value, dict) else [((), value)]
        for language, text in texts:
            where = path + ((language,) if language != () else ())
            if isinstance(text, str) and len(text) > MAX_TITLE_CHARS:
                problems.append(Problem(str(file), format_field_path(where), f"expected at most {MAX_TITLE_CHARS} characters "
                                        f"for a title, got {len(text)}", "too-long", lines.line_for(where)))
    return problems


def find_content_folders(content_root: Path) -> list[Path]:
    """Every folder under content/ that holds an exhibit.yaml, in name order."""
    return sorted(p.parent for p in Path(content_root).glob(f"*/{EXHIBIT_FILE}"))
