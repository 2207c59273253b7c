"""What content may say and point to: no raw HTML, only safe link schemes, files only inside the content folder.

These checks run while content loads, so a bad reference is reported with the
file, field and line that wrote it, long before WeasyPrint could try to fetch it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

LINK_SCHEMES = ("http", "https", "mailto", "tel")
SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# A complete start or end tag: `<b>`, `</p>`, `<img src=x onerror=y>`; not `<3`, `a < b` or `<https://…>` autolinks.
HTML_TAG_RE = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9-]*)(?:[\s/][^<>]*)?>|<!--|<!\[CDATA\[|<!DOCTYPE|<\?", re.I)

# Parses with every link accepted, so checks see exactly what an author wrote.
_INSPECTOR = MarkdownIt("commonmark", {"html": False})
_INSPECTOR.validateLink = lambda url: True  # type: ignore[method-assign]


class UnsafeReference(ValueError):
    """A reference content must not make; `code` is the short machine-readable kind."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class MarkdownIssue:
    """One problem in a Markdown text: 1-based line within that text, message, code."""

    line: int
    message: str
    code: str


def raw_html_tags(text: str) -> list[tuple[int, str]]:
    """(1-based line, tag) of every HTML tag in `text`, whether or not Markdown would see it as one."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(0)[:60]) for m in HTML_TAG_RE.finditer(text)]


def find_raw_html(text: str) -> tuple[int, str] | None:
    """(1-based line, tag) of the first HTML tag in `text`, or None."""
    match = HTML_TAG_RE.search(text)
    return (text.count("\n", 0, match.start()) + 1, match.group(0)[:60]) if match else None


def link_scheme_problem(url: str) -> str | None:
    """Why `url` may not be printed as a link or QR code, or None when it may."""
    match = SCHEME_RE.match(url)
    scheme = match[1].lower() if match else ""
    if scheme not in LINK_SCHEMES:
        allowed = ", ".join(s + ":" for s in LINK_SCHEMES)
        return f"expected a link starting with {allowed}; got {url[:80]!r}"
    if scheme in ("http", "https") and not re.match(r"^https?://[^/\s?#]+", url, re.I):
        return f"expected a URL with a host, got {url[:80]!r}"
    if any(c.isspace() for c in url) or any(ord(c) < 32 or ord(c) == 127 for c in url):
        return f"expected a URL without spaces or control characters, got {url[:80]!r}"
    return None


def resolve_in_folder(reference: str, folder: Path) -> Path:
    """The file `reference` names inside `folder`, after `..` and symlinks; UnsafeReference otherwise."""
    if not reference.strip():
        raise UnsafeReference("expected a file path, got an empty text", "empty-path")
    if "\x00" in reference:
        raise UnsafeReference("expected a file path, got a text with a NUL character", "invalid-path")
    if SCHEME_RE.match(reference) or reference.startswith("//"):
        raise UnsafeReference(
            f"expected a file inside the content folder, got the URL {reference[:80]!r} (save the file into the folder)", "remote-url"
        )
    if reference.startswith(("/", "\\", "~")) or os.path.isabs(reference):
        raise UnsafeReference(f"expected a path relative to the content folder, got the absolute path {reference!r}", "absolute-path")
    root = folder.resolve()
    lexical = Path(os.path.normpath(root / reference))
    if not lexical.is_relative_to(root):
        raise UnsafeReference(f"expected a path inside the content folder, {reference!r} leaves it with '..'", "path-traversal")
    resolved = lexical.resolve()
    if not resolved.is_relative_to(root):
        raise UnsafeReference(f"expected a file inside the content folder, {reference!r} is a symlink to {resolved}", "symlink-outside")
    if not resolved.exists():
        raise UnsafeReference(f"file not found: {reference}", "missing-file")
    if not resolved.is_file():
        raise UnsafeReference(f"expected a file, {reference!r} is not one", "not-a-file")
    return resolved


def markdown_issues(text: str) -> list[MarkdownIssue]:
    """Raw HTML and unsafe links in a Markdown text (images are listed by `markdown_images`)."""
    first_tag_per_line = dict(reversed(raw_html_tags(text)))
    issues = [MarkdownIssue(line, f"raw HTML is not allowed in Markdown, found {tag!r}", "raw-html") for line, tag in first_tag_per_line.items()]
    for block in _INSPECTOR.parse(text):
        line = block.map[0] + 1 if block.map else 1
        for token in block.children or []:
            href = str(token.attrs.get("href", "")) if token.type == "link_open" else "#"
            problem = None if href.startswith("#") else link_scheme_problem(href)
            if problem:
                issues.append(MarkdownIssue(line, f"link: {problem}", "link-scheme"))
    return sorted(issues, key=lambda issue: issue.line)


def markdown_images(text: str) -> list[tuple[int, str]]:
    """(1-based line, src) of every image a Markdown text shows."""
    found = []
    for block in _INSPECTOR.parse(text):
        line = block.map[0] + 1 if block.map else 1
        found.extend((line, str(token.attrs.get("src", ""))) for token in block.children or [] if token.type == "image")
    return found
