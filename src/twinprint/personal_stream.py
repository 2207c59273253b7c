"""Personalised copies put together from PDFs: each recipient's layer pages placed over the body's
personal pages (pikepdf), written one file per copy, or all copies as one merged print stream whose
body pages share the body's content streams and resources. Pages are placed, never re-rendered.
"""

from __future__ import annotations

import contextlib
import io
from functools import partial
from pathlib import Path
from typing import Any

import pikepdf

from .request import write_atomically


def _place_layer(pdf: pikepdf.Pdf, page: pikepdf.Page, layer_page: pikepdf.Page) -> None:
    """Draw a layer page over a body page, with its links."""
    page.add_overlay(layer_page)
    links = [pdf.copy_foreign(annot) for annot in layer_page.obj.get("/Annots", []) if annot.get("/P") is None]
    if links:
        page.obj.Annots = pikepdf.Array(list(page.obj.get("/Annots", [])) + links)


def write_copies(body_pdf: bytes, layers: list[Path], personal: list[int], outputs: list[Path]) -> None:
    """One file per recipient, written as soon as it is made: the body opened once, each recipient's
    layer placed, saved, then taken off again."""
    with pikepdf.open(io.BytesIO(body_pdf)) as pdf:
        pages = [pdf.pages[index] for index in personal]
        originals = [{key: page.obj.get(key) for key in ("/Contents", "/Resources", "/Annots")} for page in pages]
        remaining = iter(outputs)
        for layer_pdf in layers:
            with pikepdf.open(layer_pdf) as layer:
                for number, output in zip(range(len(layer.pages) // len(pages)), remaining):
                    for offset, page in enumerate(pages):
                        _own_contents_and_resources(pdf, page)
                        _place_layer(pdf, page, layer.pages[number * len(pages) + offset])
                    out = io.BytesIO()
                    pdf.save(out)
                    write_atomically(output, out.getvalue())
                    _restore(pages, originals)


def _restore(pages: list[pikepdf.Page], originals: list[dict[str, Any]]) -> None:
    """Put back the body's own contents, resources and links on the personal pages."""
    for page, original in zip(pages, originals):
        for key, value in original.items():
            if value is None:
                if key in page.obj:
                    del page.obj[key]
            else:
                page.obj[key] = value


def _own_contents_and_resources(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
    """Give a shared page its own contents list and resources, so placing one copy's layer leaves the others alone."""
    contents = page.obj.Contents
    page.obj.Contents = pikepdf.Array(list(contents) if isinstance(contents, pikepdf.Array) else [contents])
    resources = pikepdf.Dictionary({key: value for key, value in page.obj.Resources.items()})
    if "/XObject" in resources:
        resources.XObject = pikepdf.Dictionary({key: value for key, value in resources.XObject.items()})
    page.obj.Resources = pdf.make_indirect(resources)


def write_merged(body_pdf: bytes, layers: list[Path], personal: list[int], output: Path) -> None:
    """All copies in one file; body pages of every copy share the body's streams and resources.

    The copies' pages are shallow dictionaries pointing at the body's objects, so the stream grows
    by a few hundred bytes per shared page; each layer batch is opened once and stays open until
    the file is saved (its objects are copied when written).
    """
    with pikepdf.open(io.BytesIO(body_pdf)) as pdf, contextlib.ExitStack() as opened:
        # Taken before the first copy's layer goes on its personal pages.
        body_pages = [{key: value for key, value in page.obj.items() if key != "/Parent"} for page in pdf.pages]
        copy = 0
        for layer_pdf in layers:
            layer = opened.enter_context(pikepdf.open(layer_pdf))
            for number in range(len(layer.pages) // len(personal)):
                if copy:
                    for entries in body_pages:
                        pdf.pages.append(pikepdf.Page(pdf.make_indirect(pikepdf.Dictionary(entries))))
                for offset, index in enumerate(personal):
                    page = pdf.pages[copy * len(body_pages) + index]
                    _own_contents_and_resources(pdf, page)
                    _place_layer(pdf, page, layer.pages[number * len(personal) + offset])
                copy += 1
        write_atomically(output, partial(pdf.save, object_stream_mode=pikepdf.ObjectStreamMode.generate))
