"""Scale raster images once, before WeasyPrint, to what the profile needs at the largest size they can print.

No image prints larger than its page, so a raster with more pixels than the
page at the profile's resolution (screen 150 dpi, print up to 450 dpi) is
scaled down to that. Scaled copies are cached by the image's content hash,
in memory and under the output folder's `.cache/images/`, so a batch scales
each image once. For screen, an opaque image becomes a JPEG, which WeasyPrint
embeds without decoding it again; images with transparency stay PNG.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from . import decoded
from .images import RASTER_FORMATS
from .model import Exhibit, Figure, find_records

PROFILE_DPI = {"screen": 150, "accessible": 150, "archive": 300, "print": 450}
DEFAULT_DPI = 300
MM_PER_INCH = 25.4
SCREEN_JPEG_QUALITY = 88
CACHE_FOLDER = Path(".cache") / "images"
_MEMORY: dict[str, bytes] = {}
_MEMORY_LIMIT = 64
_LOCK = threading.Lock()


@dataclass(frozen=True)
class RasterScaler:
    """Scales the raster images a document fetches; `scale(path, data)` returns the bytes to render."""

    max_width_px: int
    max_height_px: int
    to_jpeg: bool
    cache_dir: Path | None = None

    def scale(self, path: Path, data: bytes) -> bytes:
        if path.suffix.lower() not in RASTER_FORMATS:
            return data
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except (OSError, ValueError):
            return data  # the loader has reported unreadable images; WeasyPrint says what it makes of it
        factor = min(self.max_width_px / width, self.max_height_px / height)
        if factor >= 1:
            return data
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        key = f"{hashlib.sha256(data).hexdigest()[:40]}-{size[0]}x{size[1]}{'-jpeg' if self.to_jpeg else ''}"
        kept = decoded.take(path)  # the loader's decode of this file, if it kept one: taken either way, to free it
        cached = self._cached(key)
        if cached:
            return cached
        if kept is not None and kept[0].size != (width, height):
            kept = None
        return self._store(key, _scaled(data, size, self.to_jpeg, kept))

    def _cached(self, key: str) -> bytes | None:
        with _LOCK:
            if key in _MEMORY:
                return _MEMORY[key]
        file = self.cache_dir / key if self.cache_dir else None
        if file and file.is_file():
            data = file.read_bytes()
            self._remember(key, data)
            return data
        return None

    def _store(self, key: str, data: bytes) -> bytes:
        self._remember(key, data)
        if self.cache_dir:
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                temporary = self.cache_dir / f".{key}.{threading.get_ident()}.part"
                temporary.write_bytes(data)
                temporary.replace(self.cache_dir / key)
            except OSError:
                pass  # a cache that cannot be written only costs time
        return data

    @staticmethod
    def _remember(key: str, data: bytes) -> None:
        with _LOCK:
            if len(_MEMORY) >= _MEMORY_LIMIT:
                _MEMORY.pop(next(iter(_MEMORY)))
            _MEMORY[key] = data


def forget_cached() -> None:
    """Empty the in-memory caches, the loader's kept decodes too (benchmarks measure a cold start)."""
    with _LOCK:
        _MEMORY.clear()
    decoded.forget()


def raster_size(data: bytes) -> tuple[int, int] | None:
    """Width and height in pixels of a raster image, from its header; None for anything else."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class ImageSource:
    """A raster as WeasyPrint got it, and where the content names it: for findings about a placed image."""

    width_px: int
    height_px: int
    file: str  # as the content names it, e.g. images/photo.png
    field: str  # e.g. sections[2].figures[0].image


def image_sources(exhibit: Exhibit, content_dir: Path, image_sizes: dict[str, tuple[int, int]]) -> list[ImageSource]:
    """Each figure's raster with the pixels it was rendered at (RenderedPdf.image_sizes): match a placed image by size."""
    sources = []
    for path, figure in find_records(exhibit, Figure):
        size = image_sizes.get((Path(content_dir) / figure.image).resolve().as_uri())
        if size:
            sources.append(ImageSource(size[0], size[1], figure.image, f"{path}.image"))
    return sources


def _opened(data: bytes, size: tuple[int, int], kept: tuple[Image.Image, str | None] | None) -> tuple[Image.Image, str | None]:
    """The image to scale and its file format: the loader's decode if kept, else the bytes opened (a JPEG decoded small)."""
    if kept is not None:
        return kept
    image = Image.open(io.BytesIO(data))
    if image.format == "JPEG":
        image.draft("RGB" if image.mode == "RGB" else image.mode, size)  # decode at a fraction of the size: much faster
    return image, image.format


def _scaled(data: bytes, size: tuple[int, int], to_jpeg: bool, kept: tuple[Image.Image, str | None] | None = None) -> bytes:
    opened, source_format = _opened(data, size, kept)
    with opened as image:
        icc_profile = image.info.get("icc_profile")
        image = ImageOps.exif_transpose(image)
        opaque = image.mode in ("RGB", "L", "CMYK") and "transparency" not in image.info
        if image.mode == "P":
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        scaled = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    out = io.BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if to_jpeg and opaque:
        scaled.save(out, "JPEG", quality=SCREEN_JPEG_QUALITY, **extra)
    elif source_format == "JPEG" or scaled.mode == "CMYK":
        scaled.save(out, "JPEG", quality=95, **extra)
    else:
        scaled.save(out, "PNG", compress_level=6, **extra)
    return out.getvalue()


def scaler_for(profile: str, paper_width_mm: float, paper_height_mm: float, output_dir: Path | None) -> RasterScaler:
    """The scaler of one build: its profile's resolution over the whole page (the largest any image prints)."""
    dpi = PROFILE_DPI.get(profile, DEFAULT_DPI)
    return RasterScaler(
        max_width_px=round(paper_width_mm / MM_PER_INCH * dpi),
        max_height_px=round(paper_height_mm / MM_PER_INCH * dpi),
        to_jpeg=profile in ("screen", "accessible"),
        cache_dir=Path(output_dir) / CACHE_FOLDER if output_dir is not None else None,
    )
