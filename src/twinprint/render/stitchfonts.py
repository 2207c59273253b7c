"""Fonts of stitched chunks: one font dictionary per font (with a FontUnion) or one stream per identical
font program (without), decided before each chunk's pages are copied.

pikepdf copies a stream's data the moment the stream is copied, so what is not to be kept must not be
copied: before a chunk's pages go over, its font dictionaries that the union will write once, and the
programs already copied from an earlier chunk, are swapped (in the open chunk only) for small placeholders
naming them; once every chunk is in, the placeholders are pointed at the one shared object.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Iterator

import pikepdf

from .fontunion import FontUnion

_PROGRAMS = ("/FontFile", "/FontFile2", "/FontFile3")
_FONT_PLACEHOLDER = "/TwinprintFont"
_PROGRAM_PLACEHOLDER = "/TwinprintProgram"


def walk_resources(pages: Iterable[pikepdf.Page]) -> Iterator[pikepdf.Dictionary]:
    """Every Resources dictionary of the pages and of the forms and patterns they draw, each once."""
    seen: set[tuple[int, int]] = set()
    pending = [page.obj.get("/Resources") for page in pages]
    while pending:
        resources = pending.pop()
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        yield resources
        for group in ("/XObject", "/Pattern"):
            for item in dict(resources.get(group, {})).values():
                if isinstance(item, (pikepdf.Stream, pikepdf.Dictionary)) and "/Resources" in item:
                    pending.append(item.Resources)


def font_resources(pages: Iterable[pikepdf.Page]) -> Iterator[pikepdf.Dictionary]:
    """Every /Font resource dictionary, each once."""
    seen: set[tuple[int, int]] = set()
    for resources in walk_resources(pages):
        fonts = resources.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary) and not (fonts.is_indirect and fonts.objgen in seen):
            if fonts.is_indirect:
                seen.add(fonts.objgen)
            yield fonts


def _descriptor(font: pikepdf.Object) -> pikepdf.Object | None:
    descendants = font.get("/DescendantFonts")
    return descendants[0].get("/FontDescriptor") if descendants else font.get("/FontDescriptor")


def _program_digest(program: pikepdf.Stream) -> str:
    entries = sorted((key, str(value)) for key, value in program.items() if key != "/Length")
    return hashlib.sha256(program.read_raw_bytes() + repr(entries).encode()).hexdigest()


class SharedFonts:
    """The fonts of one stitched file, chunk by chunk: `before_copy`, copy the pages, `after_copy`; `finish`."""

    def __init__(self, stitched: pikepdf.Pdf, union: FontUnion | None) -> None:
        self.stitched = stitched
        self.union = union
        self._programs: dict[str, pikepdf.Object] = {}  # digest -> the program in the stitched file
        self._first_seen: dict[str, pikepdf.Object] = {}  # digest -> the program in the open chunk

    def before_copy(self, source: pikepdf.Pdf) -> None:
        placeholders: dict[tuple[int, int], pikepdf.Object | None] = {}  # font -> its placeholder, if taken
        for fonts in font_resources(source.pages):
            for key, font in list(fonts.items()):
                seen = font.objgen if font.is_indirect else (id(font), -1)
                if seen not in placeholders:
                    placeholders[seen] = self._placeholder(font)
                if placeholders[seen] is not None:
                    fonts[key] = placeholders[seen]

    def _placeholder(self, font: pikepdf.Object) -> pikepdf.Object | None:
        if self.union is not None and self.union.take(font):
            return pikepdf.Dictionary({_FONT_PLACEHOLDER: pikepdf.String(str(font.BaseFont))})
        self._share_program(font)
        return None

    def _share_program(self, font: pikepdf.Object) -> None:
        descriptor = _descriptor(font)
        for entry in _PROGRAMS:
            program = descriptor.get(entry) if descriptor is not None else None
            if not isinstance(program, pikepdf.Stream):
                continue
            digest = _program_digest(program)
            if digest in self._programs or digest in self._first_seen:
                descriptor[entry] = pikepdf.Dictionary({_PROGRAM_PLACEHOLDER: pikepdf.String(digest)})
            else:
                self._first_seen[digest] = program

    def after_copy(self) -> None:
        """Learn the stitched copies of the programs this chunk brought first (qpdf maps each object once)."""
        for digest, program in self._first_seen.items():
            self._programs[digest] = self.stitched.copy_foreign(program)
        self._first_seen = {}

    def finish(self) -> None:
        merged = self.union.font_dictionaries(self.stitched) if self.union is not None else {}
        for fonts in font_resources(self.stitched.pages):
            for key, font in list(fonts.items()):
                if _FONT_PLACEHOLDER in font:
                    fonts[key] = merged[str(font[_FONT_PLACEHOLDER])]
                    continue
                descriptor = _descriptor(font)
                for entry in _PROGRAMS:
                    program = descriptor.get(entry) if descriptor is not None else None
                    if isinstance(program, pikepdf.Dictionary) and _PROGRAM_PLACEHOLDER in program:
                        descriptor[entry] = self._programs[str(program[_PROGRAM_PLACEHOLDER])]
