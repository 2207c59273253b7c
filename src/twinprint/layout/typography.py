"""Template filters for Chinese and mixed typography: phrase-aware line breaks and CJK-Latin spacing.

Chinese has no spaces, so a line may break between any two characters, inside a
word or a name (佛罗伦|萨). `phrases` asks BudouX, Google's phrase segmenter
(Simplified Chinese model), where the phrases are and keeps each on one line
(`span.tp-phrase`, white-space: nowrap in base.css); a name given whole (a city)
is kept as one phrase. `cjk_spacing` puts a quarter-em space between Han
characters and Latin letters or digits, as Chinese typesetting does (clreq).
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

_HAN = r"\u3400-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{_HAN}]")
_HAN_THEN_LATIN = re.compile(f"([{_HAN}])([A-Za-z0-9])")
_LATIN_THEN_HAN = re.compile(f"([A-Za-z0-9%])([{_HAN}])")
QUARTER_EM_SPACE = "\u2005"
# A "phrase" longer than this is left breakable: on one line it could overflow a narrow column.
MAX_PHRASE_CHARS = 12


@lru_cache(maxsize=1)
def _parser():  # type: ignore[no-untyped-def]
    import budoux

    return budoux.load_default_simplified_chinese_parser()


def has_han(text: str) -> bool:
    return bool(_HAN_RE.search(text))


def cjk_spacing(text: str) -> str:
    """'自1980年起' -> '自 1980 年起' (with quarter-em spaces)."""
    if not has_han(text):
        return text
    return _LATIN_THEN_HAN.sub(rf"\1{QUARTER_EM_SPACE}\2", _HAN_THEN_LATIN.sub(rf"\1{QUARTER_EM_SPACE}\2", text))


_TAG_RE = re.compile(r"(<[^>]*>)")


def cjk_spacing_html(html: str) -> str:
    """`cjk_spacing` on the text of an HTML fragment, never inside its tags (a link's address)."""
    if not has_han(html):
        return html
    return "".join(part if part.startswith("<") else cjk_spacing(part) for part in _TAG_RE.split(html))


def _phrase_span(phrase: str) -> Markup:
    if len(phrase) > MAX_PHRASE_CHARS:
        return escape(phrase)
    return Markup('<span class="tp-phrase">{}</span>').format(phrase)


def phrases(text: str | None, whole: bool = False) -> Markup | str:
    """Chinese text with each phrase kept on one line; `whole=True` keeps all of it together (a name).

    Text without Han characters is returned as it is (so a tagged fallback keeps its own markup).
    """
    if not text or not has_han(text):
        return text or ""
    spaced = cjk_spacing(str(text))
    parts = [spaced] if whole else _parser().parse(spaced)
    html = Markup("").join(_phrase_span(part) for part in parts)
    lang = getattr(text, "lang", None)
    return Markup('<span lang="{}">{}</span>').format(lang, html) if lang else html
