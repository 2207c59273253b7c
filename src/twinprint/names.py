"""File names from people's names and variables' values: transliterated to plain ASCII slugs.

Chinese is written in pinyin (pypinyin), any other script transliterated by
Unidecode; what is left is lowercase letters, digits and dashes. A value that
had to be cut, or that leaves no letters at all, keeps a short hash of itself
so that two different values never share a name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from pypinyin import lazy_pinyin
from unidecode import unidecode

MAX_SLUG_CHARS = 40
_HAN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def transliterate(text: str) -> str:
    """'张伟' -> 'zhang wei', 'Ренат' -> 'Renat', 'Lucía' -> 'Lucia'."""
    text = unicodedata.normalize("NFC", text)
    if _HAN_RE.search(text):
        # Each Han character becomes a syllable of its own; other runs are passed through whole.
        text = " ".join(lazy_pinyin(text, errors=lambda run: run))
    return unidecode(text)


def slug(text: str, max_chars: int = MAX_SLUG_CHARS) -> str:
    """A file-name part for `text`: 'Delegation of the City of Florence' -> 'delegation-of-the-city-of-florence'."""
    plain = re.sub(r"[^a-z0-9]+", "-", transliterate(text).lower()).strip("-")
    if plain and len(plain) <= max_chars:
        return plain
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{plain[:max_chars - 9].rstrip('-')}-{digest}" if plain else digest
