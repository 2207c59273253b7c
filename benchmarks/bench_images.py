"""Large raster images, measured side by side in one run (ratios, not absolute targets).

A one-figure catalogue (screen profile) is built with a 600x400 photo and with
2400x1600 and 6000x4000 PNG photos of the same picture; each large one is
compared with the small one. "unscaled" hands WeasyPrint the file as it is (as
before content/rasters.py); "scaled, cold" scales it first with an empty cache, as a new process does
(the loader's check and the scaler share one decode, content/decoded.py);
"decoded twice" is that without the sharing (the scaler decodes it again);
"scaled, warm" finds the scaled copy in the cache (a batch's second document).
Target: a 6000 px PNG costs no more than about 0.3 s over the small one (cold).

Each build is measured in CPU seconds of this process (and of any child it
waits for), the median of REPEATS interleaved builds: on a machine shared with
other work, wall time grows with the load (+0.27 s quiet, +0.83 s busy for the
same build), CPU time much less. Wall medians are printed beside. The stages a
large PNG adds are timed alone too: the loader's strict check (one decode), the
scaler (decode, resize, JPEG) and the content hash.

Run: .venv/bin/python benchmarks/bench_images.py  (or `make bench`)
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import twinprint.build as build  # noqa: E402
from twinprint.batch.fonts import fonts_shared_while  # noqa: E402
from twinprint.content import rasters  # noqa: E402
from twinprint.content import decoded, images  # noqa: E402
from twinprint.content.images import check_image  # noqa: E402

REPEATS = 5
SIZES = ((600, 400), (2400, 1600), (6000, 4000))
EXHIBIT = """kind: exhibition
title: One photograph
cities:
  - {name: Nanjing, country: China}
  - {name: Florence, country: Italy}
twinned_since: 1980
hero: photo
sections:
  - id: photo
    title: A photograph
    body: "A panel with one large photograph."
    figures:
      - {id: photo, image: images/photo.png, caption: "The photograph", alt: "A photograph"}
"""


def photo(size: tuple[int, int]) -> Image.Image:
    """A photograph-like picture: smooth shapes with grain, so PNG compresses it as poorly as a real photo."""
    base = Image.radial_gradient("L").resize(size).convert("RGB")
    grain = Image.effect_noise(size, 24).convert("RGB")
    return Image.blend(base, grain, 0.25).filter(ImageFilter.SMOOTH)


def content_folder(root: Path, size: tuple[int, int]) -> Path:
    folder = root / f"photo-{size[0]}"
    (folder / "images").mkdir(parents=True)
    photo(size).save(folder / "images" / "photo.png")
    (folder / "exhibit.yaml").write_text(EXHIBIT, encoding="utf-8")
    return folder


def cpu_seconds() -> float:
    """CPU time of this process and of the children it has waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def measured(run) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    run()
    return cpu_seconds() - cpu, time.perf_counter() - wall


def build_once(folder: Path, out: Path, scaled: bool, warm: bool, handed_over: bool = True) -> tuple[float, float]:
    """One build; `handed_over=False` makes the scaler decode the image again, as before content/decoded.py."""
    request = build.BuildRequest(folder, "catalogue", "en", out, ROOT, preflight=False)
    original, kept_from = build.image_scaler_for, decoded.MIN_PIXELS
    decoded.MIN_PIXELS = kept_from if handed_over else 10**12
    if not scaled:
        build.image_scaler_for = lambda request, design: None  # type: ignore[assignment]
    if not warm:
        # A cold start, as a new process has it: the loader checks the image again and nothing is cached.
        rasters.forget_cached()
        images._image_problem.cache_clear()
        shutil.rmtree(out / rasters.CACHE_FOLDER, ignore_errors=True)
    try:
        return measured(lambda: build.build_document(request))
    finally:
        build.image_scaler_for, decoded.MIN_PIXELS = original, kept_from


def stage_seconds(folder: Path) -> dict[str, float]:
    """CPU seconds (median of REPEATS) of each stage a raster adds, alone: check, scale (cold), content hash."""
    path = folder / "images" / "photo.png"
    data = path.read_bytes()
    scaler = rasters.scaler_for("screen", 210, 297, None)
    stages = {"loader check": lambda: check_image("images/photo.png", folder),
              "scaler alone": lambda: scaler.scale(path, data),
              "check + scale": lambda: (check_image("images/photo.png", folder), scaler.scale(path, data)),
              "sha256": lambda: hashlib.sha256(data).hexdigest()}
    return {name: statistics.median(measured(lambda: (_cold(), run()))[0] for _ in range(REPEATS)) for name, run in stages.items()}


def _cold() -> None:
    rasters.forget_cached()
    images._image_problem.cache_clear()


def print_table(title: str, seconds: dict[tuple[str, tuple[int, int]], float], modes: list[str]) -> None:
    print(title)
    print(f"{'':<16}" + "".join(f"{f'{w}x{h}':>12}" for w, h in SIZES) + f"{'ratio 2400':>12}{'ratio 6000':>12}{'6000 - 600':>12}")
    for mode in modes:
        row = [seconds[(mode, size)] for size in SIZES]
        ratios = [value / row[0] for value in row[1:]]
        print(f"{mode:<16}" + "".join(f"{value:>12.2f}" for value in row) + "".join(f"{r:>12.2f}" for r in ratios)
              + f"{row[2] - row[0]:>12.2f}")


def main() -> None:
    modes = {"unscaled": (False, False), "decoded twice": (True, False, False), "scaled, cold": (True, False),
             "scaled, warm": (True, True)}
    times: dict[tuple[str, tuple[int, int]], list[tuple[float, float]]] = {(mode, size): [] for mode in modes for size in SIZES}
    with tempfile.TemporaryDirectory() as scratch, fonts_shared_while():
        root = Path(scratch)
        folders = {size: content_folder(root, size) for size in SIZES}
        build_once(folders[SIZES[0]], root / "out", True, False)  # warm fonts and imports
        for repeat in range(REPEATS):
            # Interleaved, so machine noise hits every mode alike; unscaled is slow (a minute at 6000 px): measured once.
            for mode, flags in modes.items():
                for size in SIZES:
                    if mode != "unscaled" or repeat == 0:
                        times[(mode, size)].append(build_once(folders[size], root / "out", *flags))
        stages = {size: stage_seconds(folders[size]) for size in SIZES}
    cpu = {key: statistics.median(c for c, _ in values) for key, values in times.items()}
    wall = {key: statistics.median(w for _, w in values) for key, values in times.items()}
    print(f"load average {os.getloadavg()[0]:.1f}; one-figure catalogue, screen profile, median of {REPEATS} builds (unscaled: 1)")
    print_table("CPU seconds", cpu, list(modes))
    print_table("wall seconds", wall, list(modes))
    print("stages alone, CPU seconds (median of %d)" % REPEATS)
    print(f"{'':<16}" + "".join(f"{f'{w}x{h}':>12}" for w, h in SIZES))
    for stage in stages[SIZES[0]]:
        print(f"{stage:<16}" + "".join(f"{stages[size][stage]:>12.3f}" for size in SIZES))
    for mode in ("decoded twice", "scaled, cold", "scaled, warm"):
        extra = cpu[(mode, SIZES[2])] - cpu[(mode, SIZES[0])]
        print(f"6000 px PNG over a 600 px one, {mode}: {extra:+.2f} s CPU, "
              f"{wall[(mode, SIZES[2])] - wall[(mode, SIZES[0])]:+.2f} s wall (target <= 0.3 s)")


if __name__ == "__main__":
    main()
