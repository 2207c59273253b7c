"""Stitching chunk PDFs, measured side by side in one run (ratios, not absolute targets).

A bilingual (zh + Latin) document of N sections, two A5 pages each, is rendered whole and as N chunks
(one WeasyPrint document per section); the chunks are stitched with a FontUnion (each font subset once)
and without (each chunk keeps its own subsets; only byte-identical programs are shared). Prints the file
sizes against the whole render, the stitch time against the time to render the chunks, and how much the
stitch adds to the process's peak resident memory.
Target: subset-once within 1.05x of the whole render's size; stitching a small share of rendering.

Run: .venv/bin/python benchmarks/bench_stitch.py  (or `make bench`)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import weasyprint

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from twinprint.render.stitch import Chunk, FontUnion, keep_links_to_other_chunks, stitch_chunks  # noqa: E402

CHUNK_COUNTS = (10, 50, 200)
STYLE = f"""
@font-face {{ font-family: "TP Sans"; src: url("{(ROOT / 'fonts').as_uri()}/NotoSans-Regular.ttf"); }}
@font-face {{ font-family: "TP CJK Sans"; src: local("NotoSansCJKsc-Regular"); unicode-range: U+02B0-10FFFF; }}
@page {{ size: A5; margin: 15mm; @bottom-right {{ content: counter(page); }} }}
body {{ font: 10.5pt/1.6 "TP Sans", "TP CJK Sans" }}
h1 {{ bookmark-level: 1 }} .panel {{ break-before: page }}
"""


def panel(index: int, count: int) -> str:
    """A panel whose Chinese text draws on its own stretch of the CJK block, so every chunk's subset differs."""
    chinese = "".join(chr(0x4E00 + (97 * index + 13 * k) % 20000) for k in range(400))
    return (f'<div class="panel"><h1 id="p{index}">展板 {index} · Panel {index}</h1><p>{chinese}</p>'
            f'<p style="break-before: page">Twinned cities, panel {index}: <a href="#p{(index + 7) % count}">see also</a>.</p></div>')


def document_html(panels: list[str], first_page: int) -> str:
    counter = f"@page :first {{ counter-reset: page {first_page + 1} }}" if first_page else ""
    return f'<html lang="zh"><style>{STYLE}{counter}</style><body>{"".join(panels)}</body></html>'


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stitch_measured(chunks: list[Chunk], output: Path, union: FontUnion | None) -> tuple[float, float]:
    """Seconds, and MB the stitch adds to resident memory at its peak (Linux: the peak is reset first)."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    stitch_chunks(chunks, output, union)
    return time.perf_counter() - started, _status_mb("VmHWM") - before


def run(count: int, folder: Path) -> dict[str, float]:
    panels = [panel(i, count) for i in range(count)]
    started = time.perf_counter()
    weasyprint.HTML(string=document_html(panels, 0)).write_pdf(folder / "whole.pdf")
    whole_seconds = time.perf_counter() - started
    union, chunks, first = FontUnion(), [], 0
    started = time.perf_counter()
    for index, body in enumerate(panels):
        document = weasyprint.HTML(string=document_html([body], first)).render()
        keep_links_to_other_chunks(document)
        union.collect(document)
        document.write_pdf(folder / f"chunk{index}.pdf")
        chunks.append(Chunk(folder / f"chunk{index}.pdf", first))
        first += len(document.pages)
    chunk_seconds = time.perf_counter() - started
    stitch_seconds, stitch_mb = stitch_measured(chunks, folder / "stitched.pdf", union)
    naive_seconds, naive_mb = stitch_measured(chunks, folder / "naive.pdf", None)
    return {"pages": first, "whole s": whole_seconds, "chunks s": chunk_seconds, "stitch s": stitch_seconds,
            "naive stitch s": naive_seconds, "stitch MB": stitch_mb, "naive MB": naive_mb,
            **{f"{name} B": (folder / f"{name}.pdf").stat().st_size for name in ("whole", "stitched", "naive")}}


def main() -> None:
    print("chunks  pages  whole B    subset-once B (x whole)  naive B (x whole)    render whole s  render chunks s  "
          "stitch s (x chunks)  naive stitch s  stitch +MB peak (naive)")
    for count in CHUNK_COUNTS:
        with tempfile.TemporaryDirectory(prefix="twinprint-bench-stitch-") as folder:
            m = run(count, Path(folder))
        print(f"{count:>6}  {m['pages']:>5}  {m['whole B']:>8.0f}  {m['stitched B']:>10.0f} ({m['stitched B'] / m['whole B']:.3f}x)"
              f"     {m['naive B']:>9.0f} ({m['naive B'] / m['whole B']:.2f}x)  {m['whole s']:>14.2f}  {m['chunks s']:>15.2f}"
              f"  {m['stitch s']:>8.2f} ({m['stitch s'] / m['chunks s']:.3f}x)  {m['naive stitch s']:>14.2f}"
              f"  {m['stitch MB']:>7.1f} ({m['naive MB']:.1f})")


if __name__ == "__main__":
    main()
