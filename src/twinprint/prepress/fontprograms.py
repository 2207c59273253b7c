"""Check that every glyph the text shows has an outline in the embedded font program.

A font subset that lacks a glyph the page shows (a wrong stream after stitching or editing, a broken
subsetter) draws nothing where the glyph belongs: the text extracts, the page has a hole. Takes the page
scans (which codes each page shows in which font) and gives back one finding per font, with its pages.
"""

from __future__ import annotations

import io
import struct
import unicodedata
from typing import Any

import pikepdf
from fontTools.pens.boundsPen import ControlBoundsPen
from fontTools.ttLib import TTFont, TTLibError

from .pdfscan import PageScan, font_descriptor, font_name, notdef_codes, to_unicode_map
from .preflight import Finding

_INVISIBLE = ("Zs", "Zl", "Zp", "Cc", "Cf")  # spaces and controls: an empty glyph is right for them
# A glyph a subset left out (its id kept) is an empty charstring: a width and endchar, a few bytes. Only
# charstrings this short are drawn to be sure; interpreting every CJK charstring would take seconds.
_SHORT_CHARSTRING = 16


class _Program:
    """One embedded font program, read with fontTools: which glyph ids have an outline."""

    def __init__(self, data: bytes) -> None:
        self.font = TTFont(io.BytesIO(data), lazy=True)
        self.order = self.font.getGlyphOrder()
        self._glyphs: Any = None  # made when first needed: it reads the metrics of every glyph
        self.glyf = self.font["glyf"] if "glyf" in self.font else None
        self.charstrings = self.font["CFF "].cff.topDictIndex[0].CharStrings if "CFF " in self.font else None
        self._drawn: dict[int, bool] = {}

    def has_outline(self, gid: int) -> bool:
        if gid not in self._drawn:
            self._drawn[gid] = gid < len(self.order) and self._drawn_glyph(self.order[gid])
        return self._drawn[gid]

    def _drawn_glyph(self, name: str) -> bool:
        if self.glyf is not None:
            return bool(self.glyf[name].numberOfContours)  # -1 for a composite glyph
        if self.charstrings is not None and len(self.charstrings[name].bytecode or b"") > _SHORT_CHARSTRING:
            return True
        if self._glyphs is None:
            self._glyphs = self.font.getGlyphSet()
        pen = ControlBoundsPen(self._glyphs)
        self._glyphs[name].draw(pen)
        return pen.bounds is not None


def _program_stream(font: pikepdf.Object) -> pikepdf.Stream | None:
    descriptor = font_descriptor(font)
    if descriptor is None:
        return None
    program = descriptor.get("/FontFile2")
    if program is None and str(descriptor.get("/FontFile3", {}).get("/Subtype", "")) == "/OpenType":
        program = descriptor.get("/FontFile3")
    return program if isinstance(program, pikepdf.Stream) else None


def _glyph_ids(font: pikepdf.Object, codes: set[int]) -> dict[int, int]:
    """code -> glyph id (Identity-H or WeasyPrint's encoding CMap, then CIDToGIDMap); .notdef codes left out."""
    shown = codes - notdef_codes(font)
    descendant = font.DescendantFonts[0]
    cid_to_gid = descendant.get("/CIDToGIDMap")
    if isinstance(cid_to_gid, pikepdf.Stream):
        table = cid_to_gid.read_bytes()
        return {code: int.from_bytes(table[2 * code:2 * code + 2], "big") for code in shown}
    return {code: code for code in shown}


def _visible(text: str) -> bool:
    return any(unicodedata.category(char) not in _INVISIBLE for char in text)


def missing_outlines(scans: list[PageScan]) -> dict[str, tuple[str, list[int]]]:
    """Font name -> (characters shown without an outline, 1-based pages)."""
    shown: dict[tuple[int, int], tuple[pikepdf.Object, dict[int, list[int]]]] = {}  # font -> code -> pages
    for scan in scans:
        for key, codes in scan.shown_codes.items():
            pages_of = shown.setdefault(key, (scan.fonts[key], {}))[1]
            for code in codes:
                pages_of.setdefault(code, []).append(scan.index + 1)
    programs: dict[tuple[int, int], _Program | None] = {}
    missing: dict[str, tuple[set[str], set[int]]] = {}
    for font, pages_of in shown.values():
        stream = _program_stream(font)
        if stream is None:
            continue
        if stream.objgen not in programs:
            programs[stream.objgen] = _read_program(stream)
        program = programs[stream.objgen]
        if program is None:
            continue
        text = to_unicode_map(font)
        for code, gid in _glyph_ids(font, set(pages_of)).items():
            character = text.get(code, "\ufffd")
            if not program.has_outline(gid) and _visible(character):
                characters, pages = missing.setdefault(font_name(font), (set(), set()))
                characters.add(character)
                pages.update(pages_of[code])
    return {name: ("".join(sorted(characters)), sorted(pages)) for name, (characters, pages) in missing.items()}


def _read_program(stream: pikepdf.Stream) -> _Program | None:
    try:
        return _Program(stream.read_bytes())
    except (TTLibError, AssertionError, ValueError, KeyError, struct.error):
        return None  # an unreadable program is for the renderers check to report


def check_font_programs(scans: list[PageScan]) -> list[Finding]:
    findings = []
    for name, (characters, pages) in missing_outlines(scans).items():
        listed = " ".join(f"{char} (U+{ord(char[0]):04X})" for char in characters[:20]) + (" …" if len(characters) > 20 else "")
        findings.append(Finding("error", "font programs", f"font {name}: the embedded font program has no outline for "
                                f"{len(characters)} characters the text shows: {listed} (a subset that lacks them)",
                                tuple(pages), (("characters", characters),)))
    return findings
