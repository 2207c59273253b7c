"""SVG figures that fail to draw stop the build, naming the figure, instead of vanishing with a warning.

WeasyPrint's SVGImage.draw catches BaseException and logs "Failed to render SVG
image": a figure that refers to itself, a drawing error, even a KeyboardInterrupt
would leave a hole in the page and a build reported as done. This replaces that
one method with a version that tells the caller which figure is being drawn
(so a process killed at a limit can be reported with it) and lets failures out.
"""

from __future__ import annotations

from typing import Any, Callable

from weasyprint.images import SVGImage


class SvgDrawFailed(Exception):
    """An SVG figure could not be drawn; carries its URL and the underlying error."""

    def __init__(self, url: str, cause: BaseException) -> None:
        super().__init__(url, cause)
        self.url = url
        self.cause = cause


_figure_hook: Callable[[str, str], None] | None = None


def report_figures_to(hook: Callable[[str, str], None] | None) -> None:
    """Call `hook(stage, url)` when an SVG figure is read ("laying out") and drawn ("drawing"): a render child tells its supervisor."""
    global _figure_hook
    _figure_hook = hook


def note_figure(stage: str, url: str) -> None:
    if _figure_hook is not None:
        _figure_hook(stage, url)


def _draw(self: Any, stream: Any, concrete_width: float, concrete_height: float, _style: Any) -> None:
    url = str(self._base_url)
    note_figure("drawing", url)
    try:
        self._svg.draw(stream, concrete_width, concrete_height, self._base_url, self._context)
    except SvgDrawFailed:
        raise
    except Exception as error:  # noqa: BLE001 - reported as the figure's failure (RecursionError included)
        raise SvgDrawFailed(url, error) from error


SVGImage.draw = _draw
