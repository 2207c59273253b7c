"""Chunked vs whole-document rendering, measured side by side in one run.

1. Cold render, chunked vs whole, wall and CPU time: both seed catalogues and a generated
   200-page catalogue (target ratio <= 1.1), with "pages identical" (pdftotext per page and
   30-dpi rasters, read back with poppler).
2. A one-panel edit rebuilt from the chunk cache vs the cold chunked render, on the 200-page
   catalogue (target <= 15 %): a word changed (no page moves), and a paragraph added (pages move).
3. Peak RSS of one render in a fresh process, chunked vs whole, at about 100, 200,
   500 and 1000 pages, and a 2000-panel content chunked (target <= 250 MB, flat). Whole renders
   stop at 500 pages (a 1000-page whole render takes minutes and is past the worker's limit anyway).
   The peak is the child's own high-water mark (VmHWM): its ru_maxrss would carry this process's
   peak across exec (Linux keeps the larger of the two).

Both modes render with one font configuration per document (read once, as a whole render does),
after a warm-up of the process. Run: .venv/bin/python benchmarks/bench_chunks.py [--quick] [--only-rss]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from corpus import write_long_catalogue  # noqa: E402
from peak import own_peak_rss_mb  # noqa: E402
from twinprint.build import BuildRequest, render_exhibit_html, sandbox_for  # noqa: E402
from twinprint.content.load import load_exhibit  # noqa: E402
from twinprint.render.chunks import render_chunked  # noqa: E402
from twinprint.render.pdf import render_pdf  # noqa: E402

SEEDS = (("nanjing-florence", "en"), ("milan-shanghai", "zh"))
SEED_CHUNK_BYTES = 3_000  # seeds are below the size chunking starts at: cut them small to measure the overhead
PAGES_TO_PANELS = {100: 95, 200: 190, 500: 475, 1000: 950}
WHOLE_UP_TO = 500


def html_of(folder: Path, language: str = "en") -> tuple[str, str, BuildRequest]:
    request = BuildRequest(folder, "catalogue", language, folder.parent / "out", ROOT)
    html, _ = render_exhibit_html(load_exhibit(folder), request)
    return html, folder.resolve().as_uri() + "/", request


def timed(action):
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def same_pages(a: bytes, b: bytes, scratch: Path) -> bool:
    files = [scratch / "a.pdf", scratch / "b.pdf"]
    for path, data in zip(files, (a, b)):
        path.write_bytes(data)
    texts = [subprocess.run(["pdftotext", "-enc", "UTF-8", str(p), "-"], capture_output=True, text=True, check=True).stdout for p in files]
    if texts[0] != texts[1]:
        return False
    from PIL import Image, ImageChops

    for path in files:
        subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(path.with_suffix(""))], check=True)
    for page in sorted(scratch.glob("a-*.png")):
        one, other = Image.open(page).convert("L"), Image.open(scratch / ("b" + page.name[1:])).convert("L")
        if one.size != other.size or ImageChops.difference(one, other).point(lambda v: 255 if v > 24 else 0).histogram()[255] > 0.002 * one.width * one.height:
            return False
    return True


def compare(label: str, folder: Path, language: str, scratch: Path, chunk_bytes: int | None = None, rounds: int = 3) -> None:
    """Whole and chunked renders taken in turn, `rounds` times each: this VM's speed drifts by 20 % within
    a minute, so each ratio is of a pair run back to back, and the median pair is shown."""
    html, base_url, request = html_of(folder, language)
    render_pdf(html, base_url, sandbox_for(request))  # warm-up: imports, caches
    pairs = []
    for _ in range(rounds):
        whole, whole_wall, whole_cpu = timed(lambda: render_pdf(html, base_url, sandbox_for(request)))
        chunked, wall, cpu = timed(lambda: render_chunked(html, base_url, sandbox_for(request), chunk_bytes=chunk_bytes))
        pairs.append((cpu / whole_cpu, wall / whole_wall, whole_wall, whole_cpu, wall, cpu))
    cpu_ratio, wall_ratio, whole_wall, whole_cpu, wall, cpu = sorted(pairs)[len(pairs) // 2]
    identical = same_pages(chunked.rendered.pdf, whole.pdf, scratch)
    print(f"  {label:28s} {whole.page_count:4d} pages, {chunked.chunk_count:3d} chunks   whole {whole_wall:6.1f} s wall {whole_cpu:6.1f} s cpu"
          f"   chunked {wall:6.1f} s wall {cpu:6.1f} s cpu   ratio wall {wall_ratio:4.2f} cpu {cpu_ratio:4.2f}"
          f"   (median of {rounds} pairs; cpu ratios {' '.join(f'{pair[0]:.2f}' for pair in pairs)})   pages identical: {'yes' if identical else 'NO'}")


def edit_rebuilds(folder: Path) -> None:
    cache = folder.parent / "cache"
    html, base_url, request = html_of(folder)
    cold, cold_wall, cold_cpu = timed(lambda: render_chunked(html, base_url, sandbox_for(request), cache_dir=cache))
    body = folder / "text" / "p0100.md"
    for label, edit in (("a word changed", lambda text: text.replace("city", "town", 1)),
                        ("a paragraph added (pages move)", lambda text: text + "\n" + text)):
        body.write_text(edit(body.read_text(encoding="utf-8")), encoding="utf-8")
        html, base_url, request = html_of(folder)
        again, wall, cpu = timed(lambda: render_chunked(html, base_url, sandbox_for(request), cache_dir=cache))
        print(f"  {label:32s} {again.rendered_chunks} of the cold build's {cold.rendered_chunks} documents laid out again: "
              f"{wall:5.1f} s wall, {cpu:5.1f} s cpu = {wall / cold_wall:5.1%} of cold wall, {cpu / cold_cpu:5.1%} of cold cpu"
              f"  (cold chunked {cold_wall:.1f} s wall, {cold_cpu:.1f} s cpu; target <= 15 %)")


def peak_rss_child(mode: str, panels: int) -> None:
    """In a fresh process: build the content, render once, print pages and peak RSS (MB) as JSON."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = write_long_catalogue(Path(scratch) / "long", panels)
        html, base_url, request = html_of(folder)
        started = time.perf_counter()
        if mode == "whole":
            pages = render_pdf(html, base_url, sandbox_for(request)).page_count
        else:
            pages = render_chunked(html, base_url, sandbox_for(request)).rendered.page_count
        print(json.dumps({"pages": pages, "peak_mb": own_peak_rss_mb(),
                          "seconds": time.perf_counter() - started}))


def peak_rss(mode: str, panels: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--rss", mode, str(panels)], capture_output=True, text=True, timeout=3600)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(quick: bool, only_rss: bool) -> None:
    if not only_rss:
        compare_times()
    print_peak_rss(quick)


def compare_times() -> None:
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        print("1. cold render, chunked vs whole (target: ratio <= 1.1, pages identical)")
        for slug, language in SEEDS:
            compare(f"{slug} {language} (cut small)", ROOT / "content" / slug, language, scratch, SEED_CHUNK_BYTES)
        long = write_long_catalogue(scratch / "long200" / "content", PAGES_TO_PANELS[200])
        compare("generated, 190 panels", long, "en", scratch)
        print("2. one-panel edit on the 200-page catalogue, rebuilt from the chunk cache vs cold")
        edit_rebuilds(long)


def print_peak_rss(quick: bool) -> None:
    print("3. peak RSS of one render in a fresh process (target <= 250 MB, flat)")
    sizes = [100, 200] if quick else list(PAGES_TO_PANELS)
    for pages in sizes:
        panels = PAGES_TO_PANELS[pages]
        chunked = peak_rss("chunked", panels)
        whole = peak_rss("whole", panels) if pages <= WHOLE_UP_TO else None
        print(f"  ~{pages:4d} pages ({panels} panels): chunked {_rss(chunked)}   whole {_rss(whole) if whole else 'not measured'}")
    if not quick:
        print(f"  2000 panels: chunked {_rss(peak_rss('chunked', 2000))}")


def _rss(measured: dict) -> str:
    if "error" in measured:
        return f"failed: {measured['error'][:80]}"
    return f"{measured['peak_mb']:6.0f} MB ({measured['pages']} pages, {measured['seconds']:.0f} s)"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rss"]:
        peak_rss_child(sys.argv[2], int(sys.argv[3]))
    else:
        main("--quick" in sys.argv, "--only-rss" in sys.argv)
