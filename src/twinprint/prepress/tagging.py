"""Finish WeasyPrint's tagged PDF for PDF/UA-1 (ISO 14289-1): pagination artifacts, table scopes, link texts.

WeasyPrint 70 tags margin boxes (running heads, folios) as NonStruct elements
that no parent lists, so their content is neither in the structure nor an
artifact (7.1); it gives table headers no /Scope and data cells empty /Headers
(7.5); and it describes each link by its target, the anchor slug, not by its
text (7.18.5). This pass mends the written file with pikepdf.
"""

from __future__ import annotations

import re

import pikepdf
import pypdfium2

from .structlang import tag_latin_elements
from .structure import all_elements, element_key, is_element, page_parents, reachable_elements

TABLE_SECTIONS = ("/THead", "/TBody", "/TFoot")
CELLS = ("/TH", "/TD")


def unreached_element_keys(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    reached = {element_key(e) for e in reachable_elements(pdf)}
    return {element_key(e) for e in all_elements(pdf)} - reached


def _pagination_artifacts(pdf: pikepdf.Pdf, page: pikepdf.Page, mcids: set[int]) -> None:
    """Turn the marked-content sequences of `mcids` into /Artifact <</Type /Pagination>> in one page's stream."""
    instructions = []
    for instruction in pikepdf.parse_content_stream(page):
        if (isinstance(instruction, pikepdf.ContentStreamInstruction) and str(instruction.operator) == "BDC"
                and len(instruction.operands) > 1 and isinstance(instruction.operands[1], pikepdf.Dictionary)
                and int(instruction.operands[1].get("/MCID", -1)) in mcids):
            instruction = pikepdf.ContentStreamInstruction(
                [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)], pikepdf.Operator("BDC"))
        instructions.append(instruction)
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))


def mark_unreached_content_as_pagination(pdf: pikepdf.Pdf) -> int:
    """Content whose elements the root does not reach (margin boxes) becomes pagination artifacts.

    Their parent-tree entries are emptied, so the orphaned elements are no longer written.
    Returns how many marked-content sequences changed.
    """
    unreached = unreached_element_keys(pdf)
    if not unreached:
        return 0
    parents = page_parents(pdf)
    changed = 0
    for page in pdf.pages:
        entries = parents.get(int(page.obj.get("/StructParents", -1)))
        if not isinstance(entries, pikepdf.Array):
            continue
        mcids = {mcid for mcid, element in enumerate(entries) if is_element(element) and element_key(element) in unreached}
        if mcids:
            _pagination_artifacts(pdf, page, mcids)
            for mcid in mcids:
                entries[mcid] = None
            changed += len(mcids)
    return changed


def _kids(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    kids = element.get("/K")
    kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
    return [kid for kid in kids if is_element(kid)]


def table_rows(table: pikepdf.Dictionary) -> list[list[pikepdf.Dictionary]]:
    """The cells of each row of a Table element, through THead/TBody/TFoot."""
    rows = []
    for kid in _kids(table):
        for row in (_kids(kid) if kid.S in TABLE_SECTIONS else [kid]):
            if row.S == "/TR":
                rows.append([cell for cell in _kids(row) if cell.S in CELLS])
    return rows


def _table_attributes(cell: pikepdf.Dictionary) -> pikepdf.Dictionary:
    """The cell's attribute dictionary owned by /Table (created when missing)."""
    attributes = cell.get("/A")
    candidates = list(attributes) if isinstance(attributes, pikepdf.Array) else [attributes] if attributes is not None else []
    for candidate in candidates:
        if isinstance(candidate, pikepdf.Dictionary) and candidate.get("/O") == "/Table":
            return candidate
    owned = pikepdf.Dictionary(O=pikepdf.Name.Table)
    cell.A = pikepdf.Array([*candidates, owned]) if candidates else owned
    return owned


def scope_table_headers(pdf: pikepdf.Pdf) -> int:
    """TH cells get /Scope (/Column in a row of headers, else /Row) and an /ID; TD cells /Headers naming them.

    Returns how many header cells were scoped.
    """
    scoped = 0
    for table_number, table in enumerate(e for e in reachable_elements(pdf) if e.S == "/Table"):
        rows = table_rows(table)
        column_headers: dict[int, list[str]] = {}
        for row_number, cells in enumerate(rows):
            header_row = all(cell.S == "/TH" for cell in cells)
            row_headers: list[str] = []
            for column, cell in enumerate(cells):
                attributes = _table_attributes(cell)
                if cell.S == "/TH":
                    cell.ID = cell.get("/ID") or pikepdf.String(f"table{table_number}-r{row_number}c{column}")
                    attributes.Scope = pikepdf.Name.Column if header_row else pikepdf.Name.Row
                    (column_headers.setdefault(column, []) if header_row else row_headers).append(str(cell.ID))
                    scoped += 1
                else:
                    headers = column_headers.get(column, []) + row_headers
                    if headers:
                        attributes.Headers = pikepdf.Array([pikepdf.String(h) for h in headers])
                    elif "/Headers" in attributes:
                        del attributes["/Headers"]
    _register_ids(pdf)
    return scoped


def _register_ids(pdf: pikepdf.Pdf) -> None:
    """The structure root's /IDTree (ISO 32000-1 14.7.2), so /Headers can be resolved."""
    named = sorted(((str(e.ID), e) for e in reachable_elements(pdf) if "/ID" in e), key=lambda item: item[0])
    if named:
        names = pikepdf.Array()
        for identifier, element in named:
            names.extend([pikepdf.String(identifier), element])
        pdf.Root.StructTreeRoot.IDTree = pdf.make_indirect(pikepdf.Dictionary(Names=names))


def _clean(text: str) -> str:
    """Text read from a link's area, without line breaks or dot leaders (contents pages)."""
    text = re.sub(r"[.·…]{3,}", " ", text.replace("\ufffe", "").replace("\x02", ""))
    return re.sub(r"\s+", " ", text).strip()


def _rect(link: pikepdf.Dictionary) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in link.Rect)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _outermost(links: list[pikepdf.Dictionary]) -> list[pikepdf.Dictionary]:
    """The annotations not inside another one of the same link (WeasyPrint adds one per nested box)."""
    def inside(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return a != b and b[0] - 0.5 <= a[0] and b[1] - 0.5 <= a[1] and a[2] <= b[2] + 0.5 and a[3] <= b[3] + 0.5
    rects = [_rect(link) for link in links]
    unique = list(dict.fromkeys(rects))
    return [link for link, rect in zip(links, rects)
            if not any(inside(rect, other) for other in unique) and rects.index(rect) == links.index(link)]


def _link_target(link: pikepdf.Dictionary) -> str:
    action = link.get("/A")
    return str(action.get("/URI", "")) if isinstance(action, pikepdf.Dictionary) else str(link.get("/Dest", ""))


def _joined(pieces: list[str], target: str) -> str:
    """A link's texts, one per line box: a URL broken over lines joins without spaces."""
    return "".join(pieces) if "".join(pieces) == target else " ".join(pieces)


def describe_links_by_their_text(pdf: pikepdf.Pdf, pdf_bytes: bytes) -> int:
    """Each link annotation's /Contents becomes the text of its link (read with pdfium), not its target.

    A link broken over lines has one annotation per line box; they share the whole text.
    """
    document = pypdfium2.PdfDocument(pdf_bytes)
    described = 0
    try:
        for index, page in enumerate(pdf.pages):
            links = [a for a in page.obj.get("/Annots", []) if a.get("/Subtype") == "/Link"]
            if not links:
                continue
            text_page = document[index].get_textpage()
            by_target: dict[str, list[pikepdf.Dictionary]] = {}
            for link in links:
                by_target.setdefault(_link_target(link), []).append(link)
            for target, same in by_target.items():
                texts = [_clean(text_page.get_text_bounded(*_rect(link))) for link in _outermost(same)]
                whole = _joined([text for text in texts if text], target)
                for link in same if whole else []:
                    link.Contents = pikepdf.String(whole)
                    described += 1
    finally:
        document.close()
    return described


def finish_tagged_pdf(pdf: pikepdf.Pdf, pdf_bytes: bytes) -> None:
    """Every PDF/UA mend, on a tagged file opened from `pdf_bytes`."""
    if "/StructTreeRoot" not in pdf.Root:
        return
    describe_links_by_their_text(pdf, pdf_bytes)
    mark_unreached_content_as_pagination(pdf)
    scope_table_headers(pdf)
    tag_latin_elements(pdf, pdf_bytes)
