"""Grid rows sized without laying out what their size does not depend on.

To size a grid's rows, WeasyPrint 70 (layout/grid.py, step 1.2.2 of track sizing) lays out a copy
of every item that spans one row, and reads the copy's height only where the row is sized by its
content (`auto`, `min-content`; `max_content` as it spells it). For a row of `minmax(0, 1fr)` or
`100%` the copy's layout is thrown away, and in nested grids those layouts multiply (the poster:
its spread, the spread's hero, the box of the cities). Items of such rows are left out of the
measurement. Where an item spans rows the list is passed whole: WeasyPrint's later steps read it
by position.
"""

from __future__ import annotations

from typing import Any

import weasyprint.layout.grid as wp_grid

_original_resolve = wp_grid._resolve_tracks_sizes
# The sizing functions for which WeasyPrint 70 reads the measured height, spelled as it compares them.
_MEASURED_MINIMUM = ("min-content", "max_content", "auto")
_MEASURED_MAXIMUM = ("min-content", "max_content")


def _sized_by_content(functions: tuple[Any, Any]) -> bool:
    minimum, maximum = functions
    return minimum in _MEASURED_MINIMUM or maximum in _MEASURED_MAXIMUM


def resolve_tracks_sizes(sizing_functions: Any, box_size: Any, children_positions: dict[Any, tuple[int, int, int, int]],
                         implicit_start: int, direction: str, *arguments: Any, **keywords: Any) -> Any:
    if direction == "y" and all(rows == 1 for _, _, _, rows in children_positions.values()):
        children_positions = {child: position for child, position in children_positions.items()
                              if _sized_by_content(sizing_functions[position[1] - implicit_start])}
    return _original_resolve(sizing_functions, box_size, children_positions, implicit_start, direction, *arguments, **keywords)


def install() -> None:
    wp_grid._resolve_tracks_sizes = resolve_tracks_sizes


install()
