"""Render benchmarks, measured side by side in one run (ratios, not absolute targets).

1. The seed catalogue built by twinprint vs weasyprint.HTML(string=same_html).write_pdf()
   (target: ratio <= 1.05). twinprint renders as its batch workers do, with one font
   configuration shared by every document (the @font-face files, ~100 MB of CJK faces,
   are read once per worker); plain WeasyPrint makes a new one per call, as it does by default.
2. Cost per QR code end to end (encode + layout + PDF), twinprint's vector path drawn into
   the page vs an inline SVG <path> laid out by WeasyPrint (target: <= 3 ms per code).

Run: .venv/bin/python benchmarks/bench_render.py  (or `make bench`)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import weasyprint

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from twinprint.batch.fonts import fonts_shared_while  # noqa: E402
from twinprint.build import BuildRequest, render_exhibit_html, sandbox_for  # noqa: E402
from twinprint.content.load import load_exhibit  # noqa: E402
from twinprint.layout.qr import make_qr, qr_svg  # noqa: E402
from twinprint.render.pdf import PdfOptions, render_pdf  # noqa: E402

REPEATS = 5
QR_COUNT = 60


def median_seconds(action, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_catalogue(slug: str) -> tuple[float, float]:
    folder = ROOT / "content" / slug
    request = BuildRequest(folder, "catalogue", "en", ROOT / "build", ROOT)
    base_url = folder.as_uri() + "/"

    def twinprint_build() -> None:
        exhibit = load_exhibit(folder)
        html, _ = render_exhibit_html(exhibit, request)
        render_pdf(html, base_url, sandbox_for(request))

    html, _ = render_exhibit_html(load_exhibit(folder), request)

    def plain_weasyprint() -> None:
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()

    twinprint_build(), plain_weasyprint()  # warm caches (fonts, imports) for both
    # Interleave the two so machine noise hits both alike.
    ours, theirs = [], []
    for _ in range(REPEATS):
        ours.append(median_seconds(twinprint_build, 1))
        theirs.append(median_seconds(plain_weasyprint, 1))
    return statistics.median(ours), statistics.median(theirs)


def qr_page(body: str) -> str:
    return f"<html><body style='margin:0'>{body}</body></html>"


def bench_qr_per_code() -> dict[str, float]:
    fetcher_request = BuildRequest(ROOT / "content" / "nanjing-florence", project_root=ROOT)
    round_number = iter(range(10**6))

    def urls() -> list[str]:
        n = next(round_number)  # fresh URLs every run: no encoder cache hits
        return [f"https://example.org/twinprint/bench/{n}/panel-{i}" for i in range(QR_COUNT)]

    def boxes(with_codes: bool) -> str:
        attr = "data-qr" if with_codes else "data-none"
        return "".join(f"<span class='qr' {attr}='{u}' style='display:inline-block;width:25mm;height:25mm'></span>" for u in urls())

    def render(html: str) -> None:
        render_pdf(html, ROOT.as_uri() + "/", sandbox_for(fetcher_request), PdfOptions())

    empty = median_seconds(lambda: render(qr_page(boxes(False))))
    vector = median_seconds(lambda: render(qr_page(boxes(True))))
    svg = median_seconds(lambda: render(qr_page("".join(f"<div style='display:inline-block;width:25mm;height:25mm'>{qr_svg(u)}</div>" for u in urls()))))
    encode = median_seconds(lambda: [make_qr.__wrapped__(u) for u in urls()])
    per_code = lambda total: (total - empty) / QR_COUNT * 1000  # noqa: E731
    return {"vector": per_code(vector), "svg": per_code(svg), "encode": encode / QR_COUNT * 1000}


def main() -> None:
    print("catalogue: twinprint build vs plain WeasyPrint on the same HTML (median of 5)")
    print("  a) every document with a fresh font configuration (a worker's first document)")
    print_catalogue_ratios()
    with fonts_shared_while():
        print("  b) documents sharing the worker's font configuration (how batch workers render)")
        print_catalogue_ratios()
        print_qr_costs()


def print_catalogue_ratios() -> None:
    for slug in ("nanjing-florence", "milan-shanghai"):
        ours, theirs = bench_catalogue(slug)
        print(f"     {slug:18s} twinprint {ours * 1000:7.1f} ms   weasyprint {theirs * 1000:7.1f} ms   ratio {ours / theirs:5.3f}  (target <= 1.05)")


def print_qr_costs() -> None:
    qr = bench_qr_per_code()
    print(f"QR code, per code end to end ({QR_COUNT} codes on a page, fresh URLs each run)")
    print(f"  twinprint vector path     {qr['vector']:6.2f} ms/code  (target <= 3 ms; of which encoding {qr['encode']:.2f} ms)")
    print(f"  inline SVG via WeasyPrint {qr['svg']:6.2f} ms/code")
    print(f"  ratio SVG / vector path   {qr['svg'] / qr['vector']:5.1f}x")


if __name__ == "__main__":
    main()
