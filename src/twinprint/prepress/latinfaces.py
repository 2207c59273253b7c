"""Latin letters set in a CJK face: an English fallback, a city's Latin name or a URL in a Chinese document's face.

The CJK faces leave Latin to the Latin faces (layouts/fonts.css unicode-range),
so a Latin letter drawn from a CJK font means a face was chosen past them (a
theme or layout naming a CJK font alone). Read back per character with pdfium:
the font each glyph was drawn with, not the HTML's font-family.
"""

from __future__ import annotations

import ctypes
import re

import pypdfium2
import pypdfium2.raw as pdfium_c

from .geometry import FieldFinder, GeometryProblem, _quoted

CJK_FONT_RE = re.compile(r"CJK|SourceHan|Hei|Song|Ming|Kai", re.IGNORECASE)
LATIN_LETTER_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _font_name(textpage: pypdfium2.PdfTextPage, index: int, buffer: ctypes.Array) -> str:
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage, index, buffer, len(buffer), flags)
    return buffer.value.decode("latin-1").split("+", 1)[-1]


def _cjk_runs(textpage: pypdfium2.PdfTextPage) -> list[tuple[str, str]]:
    """(font, text) of each run of Latin letters (and what joins them) drawn from a CJK font."""
    buffer = ctypes.create_string_buffer(256)
    runs: list[tuple[str, str]] = []
    current: tuple[str, str] | None = None
    for index in range(textpage.count_chars()):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage, index))
        font = _font_name(textpage, index, buffer)
        if LATIN_LETTER_RE.match(char) and CJK_FONT_RE.search(font):
            current = (font, (current[1] if current and current[0] == font else "") + char)
        elif current and (char.isspace() or char in ".'-’") and CJK_FONT_RE.search(font):
            current = (current[0], current[1] + char)
        else:
            if current:
                runs.append(current)
            current = None
    if current:
        runs.append(current)
    return [(font, text.strip()) for font, text in runs if text.strip()]


def latin_in_cjk_faces(pdf_bytes: bytes, fields: FieldFinder = FieldFinder(())) -> list[GeometryProblem]:
    document = pypdfium2.PdfDocument(pdf_bytes)
    problems = []
    try:
        for index in range(len(document)):
            textpage = document[index].get_textpage()
            for font, text in _cjk_runs(textpage):
                problems.append(GeometryProblem("error", f"Latin text {_quoted(text)}{fields.describe(text)} is set in the CJK face "
                                                f"{font}: expected the Latin face (tag it with its lang, or name the Latin family first)",
                                                index + 1))
            textpage.close()
    finally:
        document.close()
    return problems
