"""The structure tree's /Lang for Latin text in a Chinese tagged PDF: what `lang="en"` says in the HTML, for readers.

WeasyPrint gives the document its /Lang (zh-Hans) but no structure element one of
its own, so a screen reader reads "Florence" or an English fallback with Chinese
rules. In a zh document each Latin run is its own span (layout/scripttags.py), so
its own marked content: every structure element whose marked content is Latin
text without Han characters gets /Lang, read from the page's text objects
(pdfium) through the parent tree (pikepdf).
"""

from __future__ import annotations

import ctypes
import re
from collections import defaultdict

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c

from .structure import page_parents

_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_HAN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def _text_of(obj: pypdfium2.PdfObject, textpage: pypdfium2.PdfTextPage) -> str:
    length = pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
    if length <= 2:
        return ""
    buffer = ctypes.create_string_buffer(length)
    pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)), length)
    return buffer.raw.decode("utf-16-le", errors="ignore").rstrip("\x00")


def marked_texts(pdf_bytes: bytes) -> list[dict[int, str]]:
    """Per page: MCID -> the text its text objects show."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    pages = []
    try:
        for page in document:
            textpage = page.get_textpage()
            texts: dict[int, str] = defaultdict(str)
            for obj in page.get_objects(max_depth=0):
                if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
                    mcid = pdfium_c.FPDFPageObj_GetMarkedContentID(obj.raw)
                    if mcid >= 0:
                        texts[mcid] += _text_of(obj, textpage)
            pages.append(dict(texts))
            textpage.close()
    finally:
        document.close()
    return pages


def is_latin_text(text: str) -> bool:
    return bool(_LATIN_RE.search(text)) and not _HAN_RE.search(text)


def tag_latin_elements(pdf: pikepdf.Pdf, pdf_bytes: bytes, lang: str = "en") -> int:
    """Give /Lang to the structure elements of Latin text in a Chinese document; how many were given it."""
    if not str(pdf.Root.get("/Lang", "")).lower().startswith("zh"):
        return 0
    parents = page_parents(pdf)
    tagged = 0
    for page, texts in zip(pdf.pages, marked_texts(pdf_bytes)):
        key = page.obj.get("/StructParents")
        entries = parents.get(int(key)) if key is not None else None
        if not isinstance(entries, pikepdf.Array):
            continue
        for mcid, text in texts.items():
            element = entries[mcid] if mcid < len(entries) else None
            if isinstance(element, pikepdf.Dictionary) and "/Lang" not in element and is_latin_text(text):
                element.Lang = pikepdf.String(lang)
                tagged += 1
    return tagged
