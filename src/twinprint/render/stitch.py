"""Join chunk PDFs (parts of one document, each written by WeasyPrint) into the PDF a whole-document render
would have been: the pages in order, one program per font, one outline, one set of named destinations,
and internal links that land across chunks.

Takes the chunk files and, optionally, the FontUnion that saw each chunk's document before it was written;
gives back one PDF file (written to a temporary name, then renamed) and its page count. One chunk is open
at a time: pikepdf copies what a page needs as it is copied, so a chunk is read once and closed; what the
stitched file holds in memory until it is saved is about its own size.

Links across chunks: WeasyPrint drops a link whose anchor is not in the same document. Call
`keep_links_to_other_chunks(document)` right before the chunk's `write_pdf()` (after the link-scheme check):
it turns each such link into a URI link to `#anchor`, which the stitcher turns back into a link to the
named destination, wherever the anchor landed.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pikepdf
import weasyprint

from ..errors import BuildError
from .fontunion import FontUnion
from .stitchfonts import SharedFonts

__all__ = ["Chunk", "FontUnion", "StitchError", "keep_links_to_other_chunks", "stitch_chunks"]

LOGGER = logging.getLogger(__name__)

# Catalog entries a whole-document render has once: taken from the first chunk.
_DOCUMENT_ENTRIES = ("/Lang", "/ViewerPreferences", "/PageMode", "/PageLayout", "/OutputIntents", "/Metadata", "/AF")
_NAME_TREES = ("/Dests", "/EmbeddedFiles")

PageMap = dict[tuple[int, int], pikepdf.Object]


@dataclass
class Chunk:
    pdf: Path            # a chunk PDF written by WeasyPrint
    first_page: int      # 0-based index of its first page in the whole document


class StitchError(BuildError):
    """A chunk that cannot be joined soundly (one-line message naming the chunk file)."""


def keep_links_to_other_chunks(document: weasyprint.Document) -> int:
    """Make links to anchors outside this document survive write_pdf as `#anchor` URIs; returns how many."""
    anchors = {name for page in document.pages for name in page.anchors}
    kept = 0
    for page in document.pages:
        for index, (link_type, target, rectangle, box) in enumerate(page.links):
            if link_type == "internal" and target not in anchors:
                page.links[index] = ("external", f"#{target}", rectangle, box)
                kept += 1
    return kept


def stitch_chunks(chunks: list[Chunk], output: Path, fonts: FontUnion | None = None) -> int:
    """Write the chunks as one PDF to `output`; returns its page count."""
    output = Path(output)
    if not chunks:
        raise StitchError(f"{output}: no chunks to stitch")
    stitching = _Stitching(fonts)
    for chunk in chunks:
        with _open_chunk(chunk) as source:
            stitching.add(chunk, source)
    stitching.finish()
    _save_atomically(stitching.pdf, output, stitching.version)
    return len(stitching.pdf.pages)


@contextmanager
def _open_chunk(chunk: Chunk) -> Iterator[pikepdf.Pdf]:
    try:
        source = pikepdf.open(chunk.pdf)
    except (OSError, pikepdf.PdfError) as error:
        raise StitchError(f"{chunk.pdf}: not a readable chunk PDF ({error})") from error
    with source:
        for entry, what in (("/StructTreeRoot", "a structure tree (tagged PDF): render tagged profiles as one document"),
                            ("/AcroForm", "form fields, which stitching does not merge")):
            if entry in source.Root:
                raise StitchError(f"{chunk.pdf}: the chunk has {what}")
        yield source


class _Stitching:
    """The stitched file as chunks come in: pages, fonts, outline entries, names and page labels."""

    def __init__(self, fonts: FontUnion | None) -> None:
        self.pdf = pikepdf.new()
        self.version = "1.4"
        self.fonts = SharedFonts(self.pdf, fonts)
        self.outline = self.pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
        self.outline_items: list[pikepdf.Object] = []
        self.outline_count = 0
        # The first chunk naming a destination (or attachment) wins, as WeasyPrint keeps a name's first anchor.
        self.names: dict[str, dict[str, Any]] = {tree: {} for tree in _NAME_TREES}
        self.labels: list[tuple[int, pikepdf.Object]] = []
        self.any_labels = False

    def add(self, chunk: Chunk, source: pikepdf.Pdf) -> None:
        first_page = len(self.pdf.pages)
        if chunk.first_page != first_page:
            raise StitchError(f"{chunk.pdf}: first_page is {chunk.first_page}, but the chunks before it "
                              f"end at page {first_page} (expected first_page {first_page})")
        self.version = max(self.version, source.pdf_version)
        if first_page == 0:
            _copy_document_entries(self.pdf, source)
        self.fonts.before_copy(source)
        # Object numbers repeat from chunk to chunk: this chunk's page (num, gen) -> its stitched page.
        page_map: PageMap = {}
        for page in source.pages:
            self.pdf.pages.append(page)
            page_map[page.obj.objgen] = self.pdf.pages[-1].obj
        self.fonts.after_copy()
        self._add_outline(source, page_map)
        self._add_names(source, page_map)
        self._add_labels(chunk, source)

    def _add_outline(self, source: pikepdf.Pdf, page_map: PageMap) -> None:
        """Every chunk's top-level entries in chunk order, each subtree as the chunk wrote it."""
        outlines = source.Root.get("/Outlines")
        if not isinstance(outlines, pikepdf.Dictionary):
            return
        items = _copy_outline_items(self.pdf, source, outlines.get("/First"), self.outline, page_map)
        if self.outline_items and items:
            self.outline_items[-1].Next = items[0]
            items[0].Prev = self.outline_items[-1]
        self.outline_items += items
        self.outline_count += int(outlines.get("/Count", len(items)))

    def _add_names(self, source: pikepdf.Pdf, page_map: PageMap) -> None:
        names = source.Root.get("/Names")
        if not isinstance(names, pikepdf.Dictionary):
            return
        for tree, entries in self.names.items():
            if tree not in names:
                continue
            for name, value in pikepdf.NameTree(names[tree]).items():
                if name not in entries:
                    entries[name] = (_remapped_dest(value, page_map) if tree == "/Dests"
                                     else _copied(self.pdf, source, value))

    def _add_labels(self, chunk: Chunk, source: pikepdf.Pdf) -> None:
        if "/PageLabels" not in source.Root:
            self.labels.append((chunk.first_page, pikepdf.Dictionary(S=pikepdf.Name.D, St=chunk.first_page + 1)))
            return
        self.any_labels = True
        for index, label in pikepdf.NumberTree(source.Root.PageLabels).items():
            self.labels.append((chunk.first_page + index, _copied(self.pdf, source, label)))

    def finish(self) -> None:
        self.fonts.finish()
        if self.outline_items:
            _chain(self.outline, self.outline_items)
            self.outline.Count = self.outline_count
            self.pdf.Root.Outlines = self.outline
        written = pikepdf.Dictionary()
        for tree, entries in self.names.items():
            if entries:
                flat = pikepdf.Array()
                for name in sorted(entries):
                    flat.append(pikepdf.String(name))
                    flat.append(entries[name])
                written[tree] = self.pdf.make_indirect(pikepdf.Dictionary(Names=flat))
        if written:
            self.pdf.Root.Names = written
        _link_across_chunks(self.pdf, set(self.names["/Dests"]))
        if self.any_labels:
            labels = pikepdf.NumberTree.new(self.pdf)
            for index, label in self.labels:
                labels[index] = label
            self.pdf.Root.PageLabels = labels.obj


def _remapped_dest(dest: Any, page_map: PageMap) -> Any:
    """A destination array ([page /XYZ x y zoom]) pointing at the stitched page instead of the chunk's."""
    if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:  # a GoTo action
        return pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=_remapped_dest(dest.D, page_map))
    if isinstance(dest, pikepdf.Array) and len(dest) and isinstance(dest[0], pikepdf.Dictionary):
        page = page_map.get(dest[0].objgen)
        if page is not None:
            return pikepdf.Array([page, *list(dest)[1:]])
    return dest


def _copy_outline_items(stitched: pikepdf.Pdf, source: pikepdf.Pdf, first: Any, parent: pikepdf.Object,
                        page_map: PageMap) -> list[pikepdf.Object]:
    items: list[pikepdf.Object] = []
    item = first
    while isinstance(item, pikepdf.Dictionary):
        copied = stitched.make_indirect(pikepdf.Dictionary(Title=item.get("/Title", pikepdf.String("")), Parent=parent))
        if "/Dest" in item:
            copied.Dest = _remapped_dest(item.Dest, page_map)
        elif "/A" in item:
            copied.A = _remapped_dest(item.A, page_map) if "/D" in item.A else _copied(stitched, source, item.A)
        for entry in ("/Count", "/C", "/F"):
            if entry in item:
                copied[entry] = _copied(stitched, source, item[entry])
        _chain(copied, _copy_outline_items(stitched, source, item.get("/First"), copied, page_map))
        if items:
            items[-1].Next = copied
            copied.Prev = items[-1]
        items.append(copied)
        item = item.get("/Next")
    return items


def _chain(parent: pikepdf.Object, children: list[pikepdf.Object]) -> None:
    if children:
        parent.First = children[0]
        parent.Last = children[-1]


def _link_across_chunks(stitched: pikepdf.Pdf, dests: set[str]) -> None:
    """`#anchor` URI links (see keep_links_to_other_chunks) become links to the named destination."""
    for number, page in enumerate(stitched.pages, start=1):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        kept = pikepdf.Array()
        for annot in annots:
            uri = str(annot.get("/A", {}).get("/URI", "")) if annot.get("/Subtype") == "/Link" else ""
            if uri.startswith("#"):
                if uri[1:] not in dests:
                    LOGGER.warning("page %d: no anchor #%s in any chunk: the link is dropped", number, uri[1:])
                    continue
                del annot["/A"]
                annot.Dest = pikepdf.String(uri[1:])
            kept.append(annot)
        page.obj.Annots = kept


def _copy_document_entries(stitched: pikepdf.Pdf, first: pikepdf.Pdf) -> None:
    for entry in _DOCUMENT_ENTRIES:
        if entry in first.Root:
            stitched.Root[entry] = _copied(stitched, first, first.Root[entry])
    if "/Info" in first.trailer:
        stitched.trailer.Info = _copied(stitched, first, first.trailer.Info)


def _copied(stitched: pikepdf.Pdf, source: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    if not isinstance(value, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
        return value  # a string, name or number travels as it is
    return stitched.copy_foreign(value if value.is_indirect else source.make_indirect(value))


def _save_atomically(stitched: pikepdf.Pdf, output: Path, version: str) -> None:
    temporary = output.with_name(f".{output.name}.{os.getpid()}.stitching")
    try:
        # WeasyPrint packs objects into streams from PDF 1.5 on; so does a stitched file, to stay as small.
        streams = pikepdf.ObjectStreamMode.generate if version >= "1.5" else pikepdf.ObjectStreamMode.disable
        stitched.save(temporary, min_version=version, object_stream_mode=streams)
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
