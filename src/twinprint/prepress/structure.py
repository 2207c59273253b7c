"""Read a tagged PDF's logical structure with pikepdf: the elements the root reaches, the parent tree, marked content.

The structure tree (ISO 32000-1 14.7) is reached from /StructTreeRoot through
each element's /K; page content is tied to it by marked-content identifiers
(MCIDs) that the parent tree maps back to elements. Both directions are read
here, for the repair pass (tagging.py) and for preflight (structure_check.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import pikepdf

# Operators that put marks on the page (ISO 32000-1 8.2, table 51).
PAINTING_OPERATORS = frozenset({"Tj", "TJ", "'", '"', "f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "Do", "sh", "INLINE IMAGE"})
MAX_DEPTH = 200


def _kids(value: pikepdf.Object | None) -> list[pikepdf.Object]:
    if value is None:
        return []
    return list(value) if isinstance(value, pikepdf.Array) else [value]


def is_element(value: object) -> bool:
    """A structure element dictionary (not a marked-content or object reference)."""
    return (isinstance(value, pikepdf.Dictionary) and "/S" in value
            and value.get("/Type", pikepdf.Name.StructElem) == pikepdf.Name.StructElem)


def element_key(element: pikepdf.Object) -> tuple[int, int]:
    return element.objgen if element.is_indirect else (id(element), -1)


def reachable_elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element reached from /StructTreeRoot through /K, in document order."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return []
    found: list[pikepdf.Dictionary] = []
    seen: set[tuple[int, int]] = set()
    stack = list(reversed(_kids(root.get("/K"))))
    while stack:
        element = stack.pop()
        if not is_element(element) or element_key(element) in seen:
            continue
        seen.add(element_key(element))
        found.append(element)
        stack.extend(reversed([kid for kid in _kids(element.get("/K")) if is_element(kid)]))
    return found


def all_elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every indirect structure element in the file (with a parent), whether reached or not."""
    return [obj for obj in pdf.objects if is_element(obj) and "/P" in obj]


def number_tree(node: pikepdf.Object | None, depth: int = 0) -> Iterator[tuple[int, pikepdf.Object]]:
    """(key, value) of a number tree (ISO 32000-1 7.9.7), leaves and kids alike."""
    if node is None or depth > MAX_DEPTH:
        return
    nums = node.get("/Nums")
    if nums is not None:
        for at in range(0, len(nums) - 1, 2):
            yield int(nums[at]), nums[at + 1]
    for kid in node.get("/Kids", []):
        yield from number_tree(kid, depth + 1)


def page_parents(pdf: pikepdf.Pdf) -> dict[int, pikepdf.Object]:
    """The parent tree: /StructParents (or /StructParent) key -> array of elements by MCID (or one element)."""
    root = pdf.Root.get("/StructTreeRoot")
    return dict(number_tree(root.get("/ParentTree"))) if root is not None else {}


@dataclass(frozen=True)
class MarkedSpan:
    """One marked-content sequence on a page: its tag, MCID (None: untagged), artifact or not."""

    tag: str
    mcid: int | None
    artifact: bool


@dataclass
class PageMarks:
    """What a page's content stream marks: MCIDs used, and painting outside any tag or artifact."""

    index: int
    mcids: list[int] = field(default_factory=list)
    unmarked_paint: int = 0  # painting operators outside every MCID-tagged and Artifact sequence
    unmarked_operators: set[str] = field(default_factory=set)


def _marked_span(operands: list, operator: str, page: pikepdf.Page) -> MarkedSpan:
    tag = str(operands[0]) if operands else ""
    properties = operands[1] if operator == "BDC" and len(operands) > 1 else None
    if isinstance(properties, pikepdf.Name):
        properties = page.obj.get("/Resources", {}).get("/Properties", {}).get(properties)
    mcid = properties.get("/MCID") if isinstance(properties, pikepdf.Dictionary) else None
    return MarkedSpan(tag, int(mcid) if mcid is not None else None, tag == "/Artifact")


def page_marks(page: pikepdf.Page, index: int) -> PageMarks:
    """Walk one page's content stream with the stack of open marked-content sequences."""
    marks = PageMarks(index)
    stack: list[MarkedSpan] = []
    for instruction in pikepdf.parse_content_stream(page):
        operator = "INLINE IMAGE" if isinstance(instruction, pikepdf.ContentStreamInlineImage) else str(instruction.operator)
        if operator in ("BMC", "BDC"):
            span = _marked_span(list(instruction.operands), operator, page)
            stack.append(span)
            if span.mcid is not None:
                marks.mcids.append(span.mcid)
        elif operator == "EMC":
            if stack:
                stack.pop()
        elif operator in PAINTING_OPERATORS and not any(s.artifact or s.mcid is not None for s in stack):
            marks.unmarked_paint += 1
            marks.unmarked_operators.add(operator)
    return marks


def element_page_index(pdf: pikepdf.Pdf, element: pikepdf.Dictionary, pages: dict[tuple[int, int], int]) -> int | None:
    """The page an element is on: its /Pg or its nearest parent's."""
    node: pikepdf.Object | None = element
    for _ in range(MAX_DEPTH):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        page = node.get("/Pg")
        if isinstance(page, pikepdf.Dictionary) and page.objgen in pages:
            return pages[page.objgen]
        node = node.get("/P")
    return None


def page_numbers(pdf: pikepdf.Pdf) -> dict[tuple[int, int], int]:
    """Page object -> 0-based index."""
    return {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
