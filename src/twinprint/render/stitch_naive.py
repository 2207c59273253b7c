"""A plain stitch of chunk PDFs, standing in for render/stitch.py until that lands (same signature).

The first chunk's file is the base (catalogue, metadata, output intent); the other chunks' pages
are appended; their named destinations join one /Dests tree and their outlines one outline, so
`<a href="#id">` links (WeasyPrint writes them as named destinations) land across chunks. Fonts
are not merged: each chunk keeps its own subsets.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, OutlineItem, String


@dataclass
class Chunk:
    pdf: Path  # a chunk PDF written by WeasyPrint
    first_page: int  # 0-based index of its first page in the whole document


def stitch_chunks(chunks: list[Chunk], output: Path, fonts: Any = None) -> int:
    """Write the chunks, in page order, as one PDF; returns its page count."""
    ordered = sorted(chunks, key=lambda chunk: chunk.first_page)
    with pikepdf.open(ordered[0].pdf) as whole:
        names: list[tuple[str, Any]] = []
        outline: list[_Entry] = []
        for chunk in ordered:
            source = whole if chunk is ordered[0] else pikepdf.open(chunk.pdf)
            first = len(whole.pages) if source is not whole else 0
            if source is not whole:
                with warnings.catch_warnings():  # named destinations are rebuilt below, pointing at the copies
                    warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", UserWarning))
                    whole.pages.extend(source.pages)
            index_of = {page.objgen: n for n, page in enumerate(source.pages)}
            for name, destination in _named_destinations(source):
                target = whole.pages[first + index_of[destination[0].objgen]]
                names.append((name, Array([target.obj, *list(destination)[1:]])))
            with source.open_outline() as chunk_outline:
                outline += [_entry(item, first, index_of) for item in chunk_outline.root]
            if source is not whole:
                source.close()
        _write_names(whole, names)
        _write_outline(whole, outline)
        whole.save(output)
        return len(whole.pages)


def _named_destinations(pdf: pikepdf.Pdf) -> list[tuple[str, Any]]:
    tree = pdf.Root.get("/Names", {}).get("/Dests")
    if tree is None:
        return []
    found: list[tuple[str, Any]] = []
    nodes = [tree]
    while nodes:
        node = nodes.pop()
        flat = list(node.get("/Names", []))
        found += [(str(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2)]
        nodes += list(node.get("/Kids", []))
    return found


def _write_names(pdf: pikepdf.Pdf, names: list[tuple[str, Any]]) -> None:
    if not names:
        return
    flat = Array()
    for name, destination in sorted(names, key=lambda item: item[0].encode("utf-16-be")):
        flat.append(String(name))
        flat.append(pdf.make_indirect(destination))
    if "/Names" not in pdf.Root:
        pdf.Root.Names = Dictionary()
    pdf.Root.Names.Dests = pdf.make_indirect(Dictionary(Names=flat))


# An outline entry: title, page index in the whole document, the rest of its destination, children.
_Entry = tuple[str, int, list[Any], list[Any]]


def _entry(item: OutlineItem, first: int, index_of: dict[tuple[int, int], int]) -> _Entry:
    destination = item.destination if item.destination is not None else item.action.get("/D")
    page = destination[0]
    index = first + (index_of[page.objgen] if isinstance(page, pikepdf.Dictionary) else int(page))
    return item.title, index, list(destination)[1:], [_entry(child, first, index_of) for child in item.children]


def _write_outline(pdf: pikepdf.Pdf, entries: list[_Entry]) -> None:
    """One outline: each chunk's entries, pointing at their pages in the whole document."""

    def item(entry: _Entry) -> OutlineItem:
        title, index, rest, children = entry
        made = OutlineItem(title, Array([pdf.pages[index].obj, *rest]))
        made.children.extend(item(child) for child in children)
        return made

    with pdf.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(item(entry) for entry in entries)
