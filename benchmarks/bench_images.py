"""Large raster images, measured side by side in one run (ratios, not absolute targets).

A one-figure catalogue (screen profile) is built with a 600x400 photo and with
2400x1600 and 6000x4000 PNG photos of the same picture; each large one is
compared with the small one. "unscaled" hands WeasyPrint the file as it is (as
before content/rasters.py); "scaled, cold" scales it first with an empty cache;
"scaled, warm" finds the scaled copy in the cache (a batch's second document).
Target: a 6000 px PNG costs no more than about 0.3 s over the small one (cold).

Run: .venv/bin/python benchmarks/bench_images.py  (or `make bench`)
"""

from __future__ import annotations

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


def build_once(folder: Path, out: Path, scaled: bool, warm: bool) -> float:
    request = build.BuildRequest(folder, "catalogue", "en", out, ROOT, preflight=False)
    original = build.image_scaler_for
    if not scaled:
        build.image_scaler_for = lambda request, design: None  # type: ignore[assignment]
    if not warm:
        rasters._MEMORY.clear()
        shutil.rmtree(out / rasters.CACHE_FOLDER, ignore_errors=True)
    try:
        started = time.perf_counter()
        build.build_document(request)
        return time.perf_counter() - started
    finally:
        build.image_scaler_for = original


def main() -> None:
    modes = {"unscaled": (False, False), "scaled, cold": (True, False), "scaled, warm": (True, True)}
    times: dict[tuple[str, tuple[int, int]], list[float]] = {(mode, size): [] for mode in modes for size in SIZES}
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
    seconds = {key: statistics.median(values) for key, values in times.items()}
    print(f"one-figure catalogue, screen profile, median of {REPEATS} builds (unscaled: 1), seconds")
    print(f"{'':<16}" + "".join(f"{f'{w}x{h}':>12}" for w, h in SIZES) + f"{'ratio 2400':>12}{'ratio 6000':>12}{'6000 - 600':>12}")
    for mode in modes:
        row = [seconds[(mode, size)] for size in SIZES]
        ratios = [value / row[0] for value in row[1:]]
        print(f"{mode:<16}" + "".join(f"{value:>12.2f}" for value in row) + "".join(f"{r:>12.2f}" for r in ratios)
              + f"{row[2] - row[0]:>12.2f}")
    extra = seconds[("scaled, cold", SIZES[2])] - seconds[("scaled, cold", SIZES[0])]
    print(f"6000 px PNG over a 600 px one, scaled with a cold cache: {extra:+.2f} s (target <= 0.3 s)")


if __name__ == "__main__":
    main()
