"""Grid rows of a fixed or fractional size are not laid out to be measured (render/gridrows.py):
fewer layouts, and the same PDF as WeasyPrint's own track sizing, on grids of every kind of row
and on the posters of both seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

import weasyprint.layout.block as wp_block
import weasyprint.layout.grid as wp_grid
from twinprint.build import BuildRequest, build_document
from twinprint.render import gridrows
from twinprint.render.pdf import SandboxFetcher, render_pdf

PROJECT = Path(__file__).resolve().parents[1]
ITEM = "<div style='padding: 2mm; background: rgb({shade}, 90, 60)'><p>Nanjing {n}</p><p>Firenze 南京 {n}</p></div>"
ROWS = {
    "fractions": "minmax(0, 1fr) auto",
    "fixed and flexible": "30mm minmax(20mm, 1fr) 100%",
    "content": "auto min-content auto",
    # WeasyPrint 70 compares with "max_content": a max-content row is measured and its height unused.
    "max-content": "max-content 1fr max-content",
}


def grid(rows: str, items: int = 3, nested: bool = False, spans: bool = False) -> str:
    inner = "".join(ITEM.format(shade=40 * n, n=n) for n in range(items))
    if nested:
        inner = f"<div style='display: grid; grid-template-rows: {rows}; min-height: 0'>{inner}</div>" + inner[:-6] + "</div>"
    spanning = "<div style='grid-row: 1 / span 2; background: rgb(0, 0, 200)'>span</div>" if spans else ""
    return (f"<style>@page {{ size: 90mm 160mm; margin: 5mm }} .g {{ display: grid; height: 140mm; grid-template-rows: {rows};"
            f" grid-template-columns: 100% }}</style><div class='g'>{spanning}{inner}</div>")


def render(html: str) -> bytes:
    return render_pdf(html, PROJECT.as_uri() + "/", SandboxFetcher(allowed_roots=(PROJECT,))).pdf


def counted_layouts(monkeypatch: pytest.MonkeyPatch, action: Callable[[], bytes]) -> tuple[int, bytes]:
    """How many block-level layouts WeasyPrint made for `action`, and its PDF."""
    calls = [0]
    original = wp_block.block_level_layout

    def counting(*arguments, **keywords):
        calls[0] += 1
        return original(*arguments, **keywords)

    with monkeypatch.context() as patched:
        patched.setattr(wp_block, "block_level_layout", counting)
        pdf = action()
    return calls[0], pdf


def layouts_and_pdf(html: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, bytes]:
    return counted_layouts(monkeypatch, lambda: render(html))


def weasyprints_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wp_grid, "_resolve_tracks_sizes", gridrows._original_resolve)


@pytest.mark.parametrize("kind", sorted(ROWS))
@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_a_grid_prints_the_same_as_with_every_row_measured(kind, nested, monkeypatch):
    html = grid(ROWS[kind], nested=nested)
    assert wp_grid._resolve_tracks_sizes is gridrows.resolve_tracks_sizes
    ours, pdf = layouts_and_pdf(html, monkeypatch)
    weasyprints_own(monkeypatch)
    theirs, expected = layouts_and_pdf(html, monkeypatch)
    assert pdf == expected
    if kind == "content":  # every row is sized by its items: each is measured, as before
        assert ours == theirs
    else:
        assert ours < theirs


def test_an_item_spanning_rows_leaves_the_measurement_as_weasyprint_makes_it(monkeypatch):
    html = grid(ROWS["fractions"], spans=True)
    ours, pdf = layouts_and_pdf(html, monkeypatch)
    weasyprints_own(monkeypatch)
    assert layouts_and_pdf(html, monkeypatch) == (ours, pdf)


@pytest.mark.parametrize("content", ["nanjing-florence", "milan-shanghai"])
def test_the_seed_posters_print_the_same_with_fewer_layouts(content, tmp_path, monkeypatch):
    def poster(output: str) -> tuple[int, bytes]:
        request = BuildRequest(PROJECT / "content" / content, "poster", "zh", tmp_path / output, PROJECT, preflight=False)
        return counted_layouts(monkeypatch, lambda: build_document(request).output.read_bytes())

    ours, pdf = poster("ours")
    weasyprints_own(monkeypatch)
    theirs, expected = poster("theirs")
    assert pdf == expected
    assert ours < 0.8 * theirs
