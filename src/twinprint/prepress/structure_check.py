"""Preflight of a tagged file's structure (ISO 14289-1): every element reached, all content tagged or artifact.

7.1: content is either in the structure tree or an artifact, so elements the
root does not reach, marked content whose element is not reached, and painting
outside any tagged or artifact sequence are errors. 7.5: table header cells name
their scope. 7.18.5: a link annotation describes the link in /Contents, with
the link's text rather than its target.
"""

from __future__ import annotations

from collections import Counter

import pikepdf

from .preflight import Finding
from .structure import (all_elements, element_key, element_page_index, is_element, page_marks, page_numbers,
                        page_parents, reachable_elements)

TAGGED_PROFILES = ("accessible", "archive")


def _pages(indexes: list[int | None]) -> tuple[int, ...]:
    return tuple(sorted({i + 1 for i in indexes if i is not None}))


def _unreached_elements(pdf: pikepdf.Pdf, reached: set[tuple[int, int]]) -> list[Finding]:
    pages = page_numbers(pdf)
    unreached = [e for e in all_elements(pdf) if element_key(e) not in reached]
    if not unreached:
        return []
    kinds = Counter(str(e.S).lstrip("/") for e in unreached)
    listed = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
    return [Finding("error", "structure", f"{len(unreached)} structure elements the StructTreeRoot does not reach ({listed}): "
                    "their content is neither in the structure nor an artifact (ISO 14289-1 7.1)",
                    _pages([element_page_index(pdf, e, pages) for e in unreached]), (("elements", listed),))]


def _content_marks(pdf: pikepdf.Pdf, reached: set[tuple[int, int]]) -> list[Finding]:
    parents = page_parents(pdf)
    orphaned: list[int] = []
    untagged: dict[int, set[str]] = {}
    for index, page in enumerate(pdf.pages):
        marks = page_marks(page, index)
        entries = parents.get(int(page.obj.get("/StructParents", -1)))
        for mcid in marks.mcids:
            element = entries[mcid] if isinstance(entries, pikepdf.Array) and mcid < len(entries) else None
            if not is_element(element) or element_key(element) not in reached:
                orphaned.append(index)
                break
        if marks.unmarked_paint:
            untagged[index] = marks.unmarked_operators
    findings = []
    if orphaned:
        findings.append(Finding("error", "structure", "marked content whose structure element the StructTreeRoot does not reach "
                                "(or no parent-tree entry): neither tagged nor artifact (ISO 14289-1 7.1)", _pages(orphaned)))
    if untagged:
        operators = " ".join(sorted(set().union(*untagged.values())))
        findings.append(Finding("error", "structure", f"content outside any tagged or artifact sequence (operators {operators}): "
                                "neither tagged nor artifact (ISO 14289-1 7.1)", _pages(list(untagged))))
    return findings


def _table_headers(pdf: pikepdf.Pdf, elements: list[pikepdf.Dictionary]) -> list[Finding]:
    pages = page_numbers(pdf)
    unscoped, empty_headers = [], []
    for element in elements:
        attributes = element.get("/A")
        owned = [a for a in (attributes if isinstance(attributes, pikepdf.Array) else [attributes])
                 if isinstance(a, pikepdf.Dictionary) and a.get("/O") == "/Table"]
        if element.S == "/TH" and not any("/Scope" in a for a in owned):
            unscoped.append(element_page_index(pdf, element, pages))
        if element.S == "/TD" and any(isinstance(a.get("/Headers"), pikepdf.Array) and not len(a.Headers) for a in owned):
            empty_headers.append(element_page_index(pdf, element, pages))
    findings = []
    if unscoped:
        findings.append(Finding("error", "structure", f"{len(unscoped)} table header cells (TH) without /Scope (ISO 14289-1 7.5)",
                                _pages(unscoped)))
    if empty_headers:
        findings.append(Finding("warning", "structure", f"{len(empty_headers)} table data cells (TD) with an empty /Headers list "
                                "(ISO 14289-1 7.5)", _pages(empty_headers)))
    return findings


def _link_descriptions(pdf: pikepdf.Pdf) -> list[Finding]:
    missing, slugs = [], []
    for index, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") != "/Link":
                continue
            contents = str(annotation.get("/Contents", "")).strip()
            target = str(annotation.get("/Dest", "")) if isinstance(annotation.get("/Dest"), pikepdf.String) else ""
            if not contents:
                missing.append(index)
            elif target and contents == target:
                slugs.append(index)
    findings = []
    if missing:
        findings.append(Finding("error", "structure", "link annotations without /Contents (ISO 14289-1 7.18.5)", _pages(missing)))
    if slugs:
        findings.append(Finding("error", "structure", "link annotations described by their anchor name instead of their text "
                                "(/Contents = /Dest; ISO 14289-1 7.18.5)", _pages(slugs)))
    return findings


def check_structure(pdf: pikepdf.Pdf, profile: str) -> list[Finding]:
    """Structure checks for tagged files (and an error when a tagged profile's file has no structure)."""
    if "/StructTreeRoot" not in pdf.Root:
        if profile in TAGGED_PROFILES:
            return [Finding("error", "structure", f"no structure tree: the {profile} profile needs a tagged PDF (ISO 14289-1 7.1)")]
        return []
    elements = reachable_elements(pdf)
    reached = {element_key(e) for e in elements}
    return (_unreached_elements(pdf, reached) + _content_marks(pdf, reached) + _table_headers(pdf, elements)
            + _link_descriptions(pdf))
