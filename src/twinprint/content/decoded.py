"""Large rasters the loader has decoded to check them, kept for the scaler: one decode per image and build, not two.

The loader decodes every pixel of a raster to prove it whole (images.py); the
scaler (rasters.py) needs those pixels again to scale the image down. A 6000 px
PNG takes about 0.25 s of CPU to decode, so the loader keeps what it decoded,
keyed by the file's path, size and modification time, and the scaler takes it.
A small budget of pixels bounds what is kept; what the scaler does not need (a
cache hit, an image printed at full size) is dropped by it or pushed out.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from PIL import Image

# Smaller images decode fast enough that keeping them is not worth their memory.
MIN_PIXELS = 4_000_000
# At most this many pixels are kept (a 6000x4000 photo is 24 million, 72 MB as RGB).
PIXEL_BUDGET = 30_000_000
_KEPT: OrderedDict[tuple[str, int, int], tuple[Image.Image, str | None]] = OrderedDict()
_LOCK = threading.Lock()


def _key(path: Path) -> tuple[str, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns


def keep(path: Path, image: Image.Image) -> None:
    """Keep the decoded pixels of the raster at `path` (already loaded) for the scaler, if large and within budget."""
    pixels = image.width * image.height
    key = _key(path)
    if key is None or not MIN_PIXELS <= pixels <= PIXEL_BUDGET:
        return
    copy = image.copy()  # the loader closes its image; a copy keeps the pixels (and info such as the ICC profile)
    with _LOCK:
        _KEPT[key] = (copy, image.format)
        while sum(kept.width * kept.height for kept, _ in _KEPT.values()) > PIXEL_BUDGET:
            _KEPT.popitem(last=False)


def take(path: Path) -> tuple[Image.Image, str | None] | None:
    """The decoded pixels and file format of `path` if the loader kept them (and the file has not changed since)."""
    key = _key(path)
    with _LOCK:
        return _KEPT.pop(key, None) if key else None


def forget() -> None:
    with _LOCK:
        _KEPT.clear()
