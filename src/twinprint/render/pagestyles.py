"""Page styles computed once per kind of page, not once per page.

WeasyPrint 70 cascades the `@page` rules and computes the styles of the page and its 16 margin
boxes anew for every page: its page type holds the page's index, which `:nth()` selectors match.
Where no page rule of the document selects by index, two pages of the same side, name, groups,
blankness and first-ness get the same styles: the second page takes the styles computed for the
first (the same objects; WeasyPrint only reads them, but for an idempotent clean-up of page
counters). Where a rule uses `:nth()`, every page is styled as before.
"""

from __future__ import annotations

from typing import Any

import weasyprint.layout.page as wp_page

_original_set_styles = wp_page.set_page_type_computed_styles


def _selects_by_index(style_for: Any) -> bool:
    known = getattr(style_for, "_twinprint_by_index", None)
    if known is None:
        known = any(selector[2].index is not None for sheet, _, _ in style_for._sheets
                    for _, selectors, _ in sheet.page_rules for selector in selectors)
        style_for._twinprint_by_index = known
    return known


def set_page_type_computed_styles(page_type: Any, html: Any, style_for: Any) -> None:
    if _selects_by_index(style_for):
        return _original_set_styles(page_type, html, style_for)
    kinds: dict[Any, tuple[Any, list[Any]]] = style_for.__dict__.setdefault("_twinprint_page_kinds", {})
    kind = page_type._replace(index=min(page_type.index, 1))  # :first still tells the first page apart
    computed = style_for.get_computed_styles()
    if kind in kinds:
        first, pseudo_types = kinds[kind]
        for pseudo_type in pseudo_types:
            computed[page_type, pseudo_type] = computed[first, pseudo_type]
        return None
    _original_set_styles(page_type, html, style_for)
    kinds[kind] = (page_type, [pseudo for element, pseudo in list(computed) if element == page_type])
    return None


def install() -> None:
    wp_page.set_page_type_computed_styles = set_page_type_computed_styles


install()
