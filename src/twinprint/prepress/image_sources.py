"""Which content file and field a placed image comes from, so a preflight finding can name them.

A PDF keeps no file names for its images; the build knows the content's image
fields. A raster file's pixel size identifies it on the page (profiles may
re-encode an image, never resample it for print); two files of one size are
both named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from PIL import Image, UnidentifiedImageError

RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".gif")

ContentImage = tuple[str, str, int, int]  # (field, file relative to the content folder, width px, height px)


def content_images(content_texts: Iterable[tuple[str, str]], content_dir: Path | None) -> tuple[ContentImage, ...]:
    """The raster files the content's fields name, with their pixel sizes (files that cannot be read are left out)."""
    if content_dir is None:
        return ()
    root = Path(content_dir).resolve()
    found = []
    for field, text in content_texts:
        if not text.lower().endswith(RASTER_SUFFIXES) or "://" in text:
            continue
        path = (root / text).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            continue
        try:
            with Image.open(path) as image:
                found.append((field, text, image.width, image.height))
        except (OSError, UnidentifiedImageError):
            continue
    return tuple(found)


def image_source(images: tuple[ContentImage, ...], width_px: int, height_px: int) -> str:
    """`; file images/x.jpg, field sections[0].figures[1].image` for an image of that pixel size, or ''."""
    matches = [f"file {file}, field {field}" for field, file, width, height in images if (width, height) == (width_px, height_px)]
    return f"; {' or '.join(matches)}" if matches else ""
