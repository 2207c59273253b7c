"""One font program per font across chunk PDFs: take WeasyPrint's documents as each chunk is written, and
the chunk PDFs; give back font dictionaries subset once with the union of every chunk's glyphs.

WeasyPrint names a font `/HASH+Family`, HASH from its Pango description, so the same font has the same
BaseFont in every chunk; but each chunk embeds its own subset. FontUnion keeps, per BaseFont, one
WeasyPrint Font (its HarfBuzz face holds the original program); at stitch time it reads which glyphs the
chunks use from their font dictionaries (W and ToUnicode: a chunk cached from an earlier run counts too)
and lets WeasyPrint's own `build_fonts_dictionary` write the font once: the dictionary and program a
whole-document render would have written.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass, field
from typing import Any

import pikepdf
import pydyf
import weasyprint
from weasyprint.pdf.fonts import build_fonts_dictionary
from weasyprint.text.fonts import get_hb_object_data

from ..prepress.pdfscan import to_unicode_map


class FontUnion:
    """The original program of each font the chunks use; `collect(document)` right before each `write_pdf()`.

    Which glyphs to keep is read from the chunk PDFs themselves (each font's W and ToUnicode), so a chunk
    kept from an earlier run counts too; a FontUnion must have seen at least one document using a font.
    """

    def __init__(self, hinting: bool = False) -> None:
        self.hinting = hinting
        # WeasyPrint fills document.fonts while it draws inside write_pdf: read each dict after its write.
        self._pending: list[dict[Any, Any]] = []
        self._faces: dict[str, Any] = {}
        self._taken: dict[str, _Glyphs] = {}

    def collect(self, document: weasyprint.Document) -> None:
        self._harvest()
        self._pending.append(document.fonts)

    def take(self, font: pikepdf.Object) -> bool:
        """Add the glyphs of one chunk's font dictionary; True if the font written once is to replace it."""
        self._harvest()
        name = str(font.get("/BaseFont"))
        if name not in self._faces or font.get("/Subtype") != "/Type0":
            return False
        descendant = font.DescendantFonts[0]
        if isinstance(font.get("/Encoding"), pikepdf.Stream) or "/W" not in descendant:
            return False  # a missing glyph's id differs from chunk to chunk; without W it is no subset
        glyphs = self._taken.setdefault(name, _Glyphs())
        glyphs.to_unicode.update(to_unicode_map(font))
        glyphs.widths.update(_widths(descendant.W))
        glyphs.cid_set |= "/CIDSet" in descendant.get("/FontDescriptor", {})
        return True

    def font_dictionaries(self, output: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
        """BaseFont -> one Type0 font in `output` for each font taken, subset once with all the glyphs taken."""
        taken, self._taken = self._taken, {}
        return {name: _written_once(self._faces[name], glyphs, output, self.hinting) for name, glyphs in taken.items()}

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
        if not (font.bitmap or font.used_in_forms) and name not in self._faces:  # WeasyPrint subsets neither
            self._faces[name] = _detached_copy(font)


@dataclass
class _Glyphs:
    to_unicode: dict[int, str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    cid_set: bool = False


def _widths(array: pikepdf.Array) -> dict[int, float]:
    """CID -> width from a W array: `c [w1 w2 ...]` runs (as WeasyPrint writes) and `first last w` ranges."""
    widths: dict[int, float] = {}
    items = list(array)
    at = 0
    while at < len(items):
        first = int(items[at])
        if isinstance(items[at + 1], pikepdf.Array):
            widths.update((first + offset, float(width)) for offset, width in enumerate(items[at + 1]))
            at += 2
        else:
            widths.update((cid, float(items[at + 2])) for cid in range(first, int(items[at + 1]) + 1))
            at += 3
    return widths


def _detached_copy(font: Any) -> Any:
    """A copy that keeps the HarfBuzz face (reference-counted) but none of the chunk's glyphs or subset."""
    face = copy.copy(font)
    face.hb_font = None  # owned by its Pango font, which may go before we do; subsetting needs only the face
    face.to_unicode, face.widths, face.missing = {}, {}, {}
    face.variations = dict(font.variations)
    face.file_content = b""
    return face


def _written_once(face: Any, glyphs: _Glyphs, output: pikepdf.Pdf, hinting: bool) -> pikepdf.Object:
    """Subset the original program with the union of glyphs, the way WeasyPrint does, and copy it in."""
    font = copy.copy(face)
    font.to_unicode, font.widths = glyphs.to_unicode, glyphs.widths
    font.variations = dict(face.variations)
    font.file_content = get_hb_object_data(face.hb_face)  # the whole original again, only while we subset
    pdf = pydyf.PDF()
    options = {"hinting": hinting, "pdf_version": "1.4" if glyphs.cid_set else None}
    dictionaries = build_fonts_dictionary(pdf, {font.hash: font}, True, True, options)
    pdf.add_object(dictionaries)
    pdf.catalog["TwinprintFonts"] = dictionaries.reference
    written = io.BytesIO()
    pdf.write(written)
    with pikepdf.open(written) as source:  # pikepdf copies stream data at once: the source may close
        return output.copy_foreign(source.Root.TwinprintFonts[f"/{font.hash}"])
