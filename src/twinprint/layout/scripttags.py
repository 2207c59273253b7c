"""Latin-script runs in a Chinese document tagged with their language, so readers and the structure tree know them.

In a zh document a city's Latin name ("Florence"), an English fallback string
or a printed URL is not Chinese: `tag_latin_runs` wraps each run of Latin words
in the body's text (never inside tags, the head, styles or inline SVG) in
`<span lang="…">`. The faces need no tag: the CJK faces leave Latin to the Latin
ones by their unicode-range (layouts/fonts.css).
"""

from __future__ import annotations

import re

_LATIN = r"A-Za-z\u00c0-\u024f"
# A run: words that start with a Latin letter, with digits, punctuation of names and addresses, and spaces between.
# (Not inside an entity such as &amp; or &#39;, so & and ; end a run.)
_WORD = rf"(?:[{_LATIN}0-9'’.,:/\-_?=#%~+@()]|&#39;|&amp;(?=[{_LATIN}]))*"
_BETWEEN = r"[ \u00a0]+(?:(?:[-–—]|&amp;)[ \u00a0]+)?"
_RUN_RE = re.compile(rf"(?<![&#{_LATIN}0-9])[{_LATIN}]{_WORD}(?:{_BETWEEN}[{_LATIN}0-9]{_WORD})*")
_TOKEN_RE = re.compile(r"(<[^>]*>)")
_SKIPPED = {"style": "</style", "script": "</script", "svg": "</svg", "title": "</title"}


def _tag_text(text: str, lang: str) -> str:
    def tagged(match: re.Match[str]) -> str:
        run = match.group(0).rstrip(".,:")  # a closing full stop or comma stays outside
        return f'<span lang="{lang}">{run}</span>{match.group(0)[len(run):]}'

    return _RUN_RE.sub(tagged, text)


_LANG_RE = re.compile(r"""\slang=["']?([^"'\s>]+)""")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _tag_name(tag: str) -> str:
    return tag.strip("</>").split(None, 1)[0].lower() if len(tag) > 2 else ""


def tag_latin_runs(html: str, lang: str = "en") -> str:
    """The document's HTML with each Latin run of its body's Chinese text in a `<span lang=lang>`.

    Text inside an element that already names another language (a tagged fallback) is left as it is.
    """
    start = html.find("<body")
    if start < 0:
        return html
    parts = _TOKEN_RE.split(html[start:])
    open_elements: list[tuple[str, str | None]] = []
    closing: str | None = None
    for index, part in enumerate(parts):
        if part.startswith("<"):
            name = _tag_name(part)
            if closing is not None:
                closing = None if part.lower().startswith(closing) else closing
            elif name in _SKIPPED and not part.endswith("/>"):
                closing = _SKIPPED[name]
            elif part.startswith("</"):
                while open_elements and open_elements.pop()[0] != name:
                    pass
            elif name not in _VOID and not part.endswith("/>") and not part.startswith("<!"):
                found = _LANG_RE.search(part)
                open_elements.append((name, found.group(1) if found else None))
        elif closing is None and part and _in_chinese(open_elements):
            parts[index] = _tag_text(part, lang)
    return html[:start] + "".join(parts)


def _in_chinese(open_elements: list[tuple[str, str | None]]) -> bool:
    """Whether the innermost language named is Chinese (or none is named below <html lang="zh…">)."""
    named = [lang for _, lang in open_elements if lang]
    return not named or named[-1].lower().startswith("zh")
