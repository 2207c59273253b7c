"""Join chunk PDFs (parts of one document, each written by WeasyPrint) into the PDF a whole-document render
would have been: the pages in order, one program per font, one outline, one set of named destinations,
and internal links that land across chunks.

Takes the chunk files and, optionally, the FontUnion that saw each chunk's document before it was written;
gives back one PDF file (written to a temporary name, then renamed) and its page count. The chunk files are
opened lazily and stay open until the output is saved: qpdf copies page and font data only then.

Links across chunks: WeasyPrint drops a link whose anchor is not in the same document. Call
`keep_links_to_other_chunks(document)` right before the chunk's `write_pdf()` (after the link-scheme check):
it turns each such link into a URI link to `#anchor`, which the stitcher turns back into a link to the
named destination, wherever the anchor landed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pikepdf
import weasyprint

from ..errors import BuildError
from .fontunion import FontUnion

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
    with ExitStack() as sources:
        stitched = pikepdf.new()
        opened = [(chunk, _open_chunk(chunk, sources)) for chunk in chunks]
        # Object numbers repeat from chunk to chunk: one map per chunk, its page (num, gen) -> stitched page.
        mapped = [(source, _append_pages(stitched, chunk, source)) for chunk, source in opened]
        _share_font_programs(stitched, fonts, sources)
        _merge_outlines(stitched, mapped)
        dests = _merge_name_trees(stitched, mapped)
        _link_across_chunks(stitched, dests)
        _merge_page_labels(stitched, opened)
        _copy_document_entries(stitched, opened[0][1])
        _save_atomically(stitched, output, opened[0][1].pdf_version)
        return len(stitched.pages)


def _open_chunk(chunk: Chunk, sources: ExitStack) -> pikepdf.Pdf:
    try:
        source = sources.enter_context(pikepdf.open(chunk.pdf))
    except (OSError, pikepdf.PdfError) as error:
        raise StitchError(f"{chunk.pdf}: not a readable chunk PDF ({error})") from error
    for entry, what in (("/StructTreeRoot", "a structure tree (tagged PDF): render tagged profiles as one document"),
                        ("/AcroForm", "form fields, which stitching does not merge")):
        if entry in source.Root:
            raise StitchError(f"{chunk.pdf}: the chunk has {what}")
    return source


def _append_pages(stitched: pikepdf.Pdf, chunk: Chunk, source: pikepdf.Pdf) -> PageMap:
    if chunk.first_page != len(stitched.pages):
        raise StitchError(f"{chunk.pdf}: first_page is {chunk.first_page}, but the chunks before it "
                          f"end at page {len(stitched.pages)} (expected first_page {len(stitched.pages)})")
    page_map = {}
    for page in source.pages:
        stitched.pages.append(page)
        page_map[page.obj.objgen] = stitched.pages[-1].obj
    return page_map


def _walk_resources(stitched: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every Resources dictionary of the pages and of the forms and patterns they draw, each once."""
    seen: set[tuple[int, int]] = set()
    pending = [page.obj.get("/Resources") for page in stitched.pages]
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


def _font_dicts(stitched: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    seen: set[tuple[int, int]] = set()
    for resources in _walk_resources(stitched):
        fonts = resources.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary) and not (fonts.is_indirect and fonts.objgen in seen):
            if fonts.is_indirect:
                seen.add(fonts.objgen)
            yield fonts


def _descriptor(font: pikepdf.Object) -> pikepdf.Object | None:
    descendants = font.get("/DescendantFonts")
    if not descendants:
        return None
    return descendants[0].get("/FontDescriptor")


def _share_font_programs(stitched: pikepdf.Pdf, fonts: FontUnion | None, sources: ExitStack) -> None:
    """Point every chunk at one font dictionary per font (FontUnion) or one stream per identical program."""
    font_dicts = list(_font_dicts(stitched))
    if fonts is not None:
        chunk_fonts = {font.objgen: font for resources in font_dicts for font in resources.values()
                       if font.get("/Subtype") == "/Type0"}
        merged = fonts.font_dictionaries(stitched, list(chunk_fonts.values()), sources)
        for resources in font_dicts:
            for key, font in list(resources.items()):
                replacement = merged.get(str(font.get("/BaseFont")))
                if replacement is not None:
                    resources[key] = replacement
    _dedupe_identical_programs(font_dicts)


def _dedupe_identical_programs(font_dicts: list[pikepdf.Dictionary]) -> None:
    first_of: dict[bytes, pikepdf.Object] = {}
    for resources in font_dicts:
        for font in resources.values():
            descriptor = _descriptor(font)
            if descriptor is None:
                continue
            for entry in ("/FontFile", "/FontFile2", "/FontFile3"):
                program = descriptor.get(entry)
                if not isinstance(program, pikepdf.Stream):
                    continue
                entries = sorted((key, str(value)) for key, value in program.items() if key != "/Length")
                digest = hashlib.sha256(program.read_raw_bytes()).digest() + repr(entries).encode()
                kept = first_of.setdefault(digest, program)
                if kept.objgen != program.objgen:
                    descriptor[entry] = kept


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


def _merge_outlines(stitched: pikepdf.Pdf, mapped: list[tuple[pikepdf.Pdf, PageMap]]) -> None:
    """One outline: every chunk's top-level entries in chunk order, each subtree as the chunk wrote it."""
    root = stitched.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    items: list[pikepdf.Object] = []
    count = 0
    for source, page_map in mapped:
        outlines = source.Root.get("/Outlines")
        if not isinstance(outlines, pikepdf.Dictionary):
            continue
        chunk_items = _copy_outline_items(stitched, source, outlines.get("/First"), root, page_map)
        if items and chunk_items:
            items[-1].Next = chunk_items[0]
            chunk_items[0].Prev = items[-1]
        items += chunk_items
        count += int(outlines.get("/Count", len(chunk_items)))
    if items:
        _chain(root, items)
        root.Count = count
        stitched.Root.Outlines = root


def _merge_name_trees(stitched: pikepdf.Pdf, mapped: list[tuple[pikepdf.Pdf, PageMap]]) -> set[str]:
    """Named destinations (and attachments) of all chunks in one tree each; the first chunk naming one wins,
    as WeasyPrint keeps the first anchor of a name. Returns the destination names."""
    merged: dict[str, dict[str, Any]] = {tree: {} for tree in _NAME_TREES}
    for source, page_map in mapped:
        names = source.Root.get("/Names")
        if not isinstance(names, pikepdf.Dictionary):
            continue
        for tree, entries in merged.items():
            if tree not in names:
                continue
            for name, value in pikepdf.NameTree(names[tree]).items():
                if name not in entries:
                    entries[name] = (_remapped_dest(value, page_map) if tree == "/Dests"
                                     else _copied(stitched, source, value))
    written = pikepdf.Dictionary()
    for tree, entries in merged.items():
        if entries:
            flat = pikepdf.Array()
            for name in sorted(entries):
                flat.append(pikepdf.String(name))
                flat.append(entries[name])
            written[tree] = stitched.make_indirect(pikepdf.Dictionary(Names=flat))
    if written:
        stitched.Root.Names = written
    return set(merged["/Dests"])


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


def _merge_page_labels(stitched: pikepdf.Pdf, opened: list[tuple[Chunk, pikepdf.Pdf]]) -> None:
    if not any("/PageLabels" in source.Root for _, source in opened):
        return
    labels = pikepdf.NumberTree.new(stitched)
    for chunk, source in opened:
        if "/PageLabels" not in source.Root:
            labels[chunk.first_page] = pikepdf.Dictionary(S=pikepdf.Name.D, St=chunk.first_page + 1)
            continue
        for index, label in pikepdf.NumberTree(source.Root.PageLabels).items():
            labels[chunk.first_page + index] = _copied(stitched, source, label)
    stitched.Root.PageLabels = labels.obj


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
