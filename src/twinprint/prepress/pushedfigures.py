"""Figures pushed to the next page: a page left half empty because the figure after its text did not fit the rest.

A flowing page whose content ends before PUSHED_FILL of the body area, followed
by a page that opens with a figure, means the figure was moved whole to the
next page (figures do not break) and left the room above it empty. Reported
with the page left empty and the figure's anchor and content field.
"""

from __future__ import annotations

from .geometry import GeometryProblem, SectionFigures, figure_fields
from .pagebody import body_lines, is_designed
from .pagegeometry import PageGeometry

# A page whose content ends before this share of the body area, followed by a figure, was left empty by it.
PUSHED_FILL = 0.5
# Drawings taller than this share of the page are backgrounds (a notes page's rules), not content.
BACKGROUND_SHARE = 0.9
# Points a line may reach above a figure's anchor and still belong to the figure.
ANCHOR_TOLERANCE_PT = 2.0


def _content_spans(page: PageGeometry, size: float) -> list[tuple[float, float]]:
    """(bottom, top) of every body line and every drawing that is not the page's background."""
    spans = [(line.box.bottom, line.box.top) for line in body_lines(page, size)]
    spans += [(d.box.bottom, d.box.top) for d in page.drawings
              if d.box.width > 2 and 2 < d.box.height < BACKGROUND_SHARE * page.trim.height]
    return spans


def _body_area(pages: list[PageGeometry], size: float) -> tuple[float, float] | None:
    """(bottom, top) of the body area: as low and as high as the flowing pages' content reaches."""
    spans = [span for page in pages if not is_designed(page) for span in _content_spans(page, size)]
    if not spans:
        return None
    return min(bottom for bottom, _ in spans), max(top for _, top in spans)


def _opening_figure(page: PageGeometry, size: float) -> str | None:
    """The anchor name of the figure a page opens with (no body line above it), if it opens with one."""
    figures = sorted((a for a in page.anchors if a.name.startswith("figure-")), key=lambda a: -a.top_pt)
    if not figures:
        return None
    first = figures[0]
    above = [line for line in body_lines(page, size) if line.box.bottom > first.top_pt + ANCHOR_TOLERANCE_PT]
    return None if above else first.name


def pushed_figures(pages: list[PageGeometry], size: float, sections: tuple[SectionFigures, ...] = ()) -> list[GeometryProblem]:
    area = _body_area(pages, size)
    if area is None or area[1] - area[0] <= 0:
        return []
    bottom, top = area
    fields = figure_fields(sections)
    problems = []
    for page, following in zip(pages, pages[1:]):
        spans = _content_spans(page, size)
        if is_designed(page) or is_designed(following) or not spans:
            continue
        fill = (top - min(low for low, _ in spans)) / (top - bottom)
        figure = _opening_figure(following, size)
        if fill >= PUSHED_FILL or figure is None:
            continue
        name = figure.removeprefix("figure-")
        field = f" (field {fields[figure]})" if figure in fields else ""
        problems.append(GeometryProblem(
            "error", f"page {page.index + 1} ends at {fill:.0%} of its body: figure {name!r}{field} did not fit the "
            f"{1 - fill:.0%} left and opens page {following.index + 1}; set it smaller or let the text run on past it",
            page.index + 1))
    return problems
