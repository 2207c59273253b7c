"""One font program per font across chunk PDFs: take WeasyPrint's fonts as each chunk uses them, give back
font dictionaries subset once with the union of every chunk's glyphs.

WeasyPrint names a font `/HASH+Family`, HASH from its Pango description, so the same font has the same
BaseFont in every chunk; but each chunk embeds its own subset. FontUnion keeps, per BaseFont, one
WeasyPrint Font (whose HarfBuzz face holds the original program) and the union of the glyphs, widths and
text the chunks used, then lets WeasyPrint's own `build_fonts_dictionary` write the font once: the result
is the font dictionary a whole-document render would have written.
"""

from __future__ import annotations

import copy
import io
from contextlib import ExitStack
from typing import Any

import pikepdf
import pydyf
import weasyprint
from weasyprint.pdf.fonts import build_fonts_dictionary
from weasyprint.text.fonts import get_hb_object_data


class FontUnion:
    """The glyphs every chunk uses, per font; `collect(document)` right before each `document.write_pdf()`."""

    def __init__(self, hinting: bool = False) -> None:
        self.hinting = hinting
        # WeasyPrint fills document.fonts while it draws inside write_pdf: read each dict after its write.
        self._pending: list[dict[Any, Any]] = []
        self._fonts: dict[str, Any] = {}
        self._refused: set[str] = set()

    def collect(self, document: weasyprint.Document) -> None:
        self._harvest()
        self._pending.append(document.fonts)

    def names(self) -> set[str]:
        """The BaseFont names this union writes once (others stay as each chunk wrote them)."""
        self._harvest()
        return set(self._fonts)

    def font_dictionaries(self, output: pikepdf.Pdf, cid_set: bool, sources: ExitStack) -> dict[str, pikepdf.Object]:
        """BaseFont -> one Type0 font in `output`, subset once with every chunk's glyphs.

        qpdf copies stream data when `output` is saved: `sources` keeps the font PDFs open until then.
        """
        self._harvest()
        fonts = {}
        for name, font in self._fonts.items():
            fonts[name] = _written_once(font, output, self.hinting, cid_set, sources)
        return fonts

    def _harvest(self) -> None:
        unwritten = []
        for document_fonts in self._pending:
            if not document_fonts:
                unwritten.append(document_fonts)
                continue
            for font in document_fonts.values():
                self._add(font)
        self._pending = unwritten

    def _add(self, font: Any) -> None:
        name = font.name.decode()
        if name in self._refused:
            return
        if font.bitmap or font.used_in_forms or font.missing:
            # Bitmap and form fonts are not subset; a missing glyph gets an id that differs between chunks.
            self._refused.add(name)
            self._fonts.pop(name, None)
            return
        union = self._fonts.get(name)
        if union is None:
            self._fonts[name] = _detached_copy(font)
            return
        union.to_unicode.update(font.to_unicode)
        union.widths.update(font.widths)


def _detached_copy(font: Any) -> Any:
    """A copy that keeps the HarfBuzz face (reference-counted) but none of the chunk's dicts or subset."""
    union = copy.copy(font)
    union.hb_font = None  # owned by its Pango font, which may go before we do; subsetting needs only the face
    union.to_unicode = dict(font.to_unicode)
    union.widths = dict(font.widths)
    union.variations = dict(font.variations)
    union.missing = {}
    union.file_content = b""
    return union


def _written_once(font: Any, output: pikepdf.Pdf, hinting: bool, cid_set: bool, sources: ExitStack) -> pikepdf.Object:
    """Subset the original program with the union of glyphs, the way WeasyPrint does, and copy it in."""
    font.file_content = get_hb_object_data(font.hb_face)  # the whole original again, only while we subset
    pdf = pydyf.PDF()
    options = {"hinting": hinting, "pdf_version": "1.4" if cid_set else None}
    dictionaries = build_fonts_dictionary(pdf, {font.hash: font}, True, True, options)
    pdf.add_object(dictionaries)
    pdf.catalog["TwinprintFonts"] = dictionaries.reference
    font.file_content = b""
    written = io.BytesIO()
    pdf.write(written)
    source = sources.enter_context(pikepdf.open(written))
    return output.copy_foreign(source.Root.TwinprintFonts[f"/{font.hash}"])
