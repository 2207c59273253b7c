"""Check every image content names before rendering: a file inside the content folder, the kind its name says, no bomb.

Raster images are opened with Pillow (format, pixel count, a full decode to
catch truncation); SVG files are parsed and may refer only to their own
fragments, data: URIs and files inside the content folder.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

from PIL import Image, ImageFile, UnidentifiedImageError

from . import decoded
from .sanitise import SCHEME_RE, UnsafeReference, resolve_in_folder

# An A2 poster printed full-bleed at 300 dpi is about 35 megapixels; a bigger image only costs memory.
MAX_IMAGE_PIXELS = 50_000_000
MAX_IMAGE_BYTES = 50 * 1024 * 1024
RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
SVG_SUFFIX = ".svg"
IMAGE_SUFFIXES = (*RASTER_FORMATS, SVG_SUFFIX)
_CSS_URL_RE = re.compile(r"""url\(\s*['"]?([^'")]*)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""", re.I)
_HREF_ATTRIBUTES = ("href", "{http://www.w3.org/1999/xlink}href", "src")
_STRICT_DECODING = threading.Lock()


def check_image(reference: str, folder: Path) -> Path:
    """The image file `reference` names inside `folder`, or UnsafeReference saying what is wrong with it."""
    path = resolve_in_folder(reference, folder)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise UnsafeReference(f"expected an image file ({', '.join(IMAGE_SUFFIXES)}), got {reference!r}", "not-an-image")
    stat = path.stat()
    if stat.st_size > MAX_IMAGE_BYTES:
        raise UnsafeReference(f"image {reference} is {stat.st_size} bytes, more than the limit of {MAX_IMAGE_BYTES}", "image-too-large")
    problem = _image_problem(str(path), str(folder.resolve()), stat.st_size, stat.st_mtime_ns)
    if problem:
        message, code = problem
        raise UnsafeReference(f"image {reference}: {message}", code)
    return path


@lru_cache(maxsize=1024)
def _image_problem(path: str, folder: str, size: int, mtime_ns: int) -> tuple[str, str] | None:
    """Cached by size and modification time: a batch checks each image once, an edited image again."""
    del size, mtime_ns  # part of the cache key only
    if Path(path).suffix.lower() == SVG_SUFFIX:
        return _svg_problem(Path(path), Path(folder))
    return _raster_problem(Path(path))


def _raster_problem(path: Path) -> tuple[str, str] | None:
    expected = RASTER_FORMATS[path.suffix.lower()]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                if image.format != expected:
                    return f"the file is a {image.format} image but its name says {expected}; rename it", "mislabelled-image"
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return _bomb(width, height)
                _load_strictly(image)
                decoded.keep(path, image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return f"more than {MAX_IMAGE_PIXELS} pixels (a decompression bomb?)", "image-too-large"
        except UnidentifiedImageError:
            return f"not a readable {expected} image (corrupt, or another kind of file)", "corrupt-image"
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            return f"corrupt {expected} image ({error})", "corrupt-image"
    return None


def _load_strictly(image: Image.Image) -> None:
    """Decode every pixel, failing on a truncated file.

    WeasyPrint switches Pillow to padding truncated images with grey, process-wide;
    that is right for a renderer, wrong for a check, so it is switched off meanwhile.
    """
    with _STRICT_DECODING:
        padding = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = padding


def _bomb(width: int, height: int) -> tuple[str, str]:
    return f"{width}x{height} pixels is more than {MAX_IMAGE_PIXELS} (a decompression bomb?)", "image-too-large"


def _svg_problem(path: Path, folder: Path) -> tuple[str, str] | None:
    data = path.read_bytes()
    # A plain DOCTYPE (as Illustrator writes) is harmless; declared entities can expand without bound.
    if b"<!ENTITY" in data.upper():
        return "SVG with entity declarations (<!ENTITY) is not allowed", "svg-entities"
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        return f"not a readable SVG image ({error})", "corrupt-image"
    if not root.tag.endswith("svg"):
        return f"expected an <svg> document, found <{root.tag}>", "mislabelled-image"
    for reference in _svg_references(root):
        problem = _svg_reference_problem(reference, path, folder)
        if problem:
            return problem, "svg-reference"
    return None


def _svg_references(root: ElementTree.Element) -> list[str]:
    found: list[str] = []
    for element in root.iter():
        found.extend(element.get(name, "") for name in _HREF_ATTRIBUTES if element.get(name))
        css = (element.get("style") or "") + (element.text or "" if element.tag.endswith("style") else "")
        found.extend(a or b for a, b in _CSS_URL_RE.findall(css))
    return found


def _svg_reference_problem(reference: str, svg: Path, folder: Path) -> str | None:
    reference = reference.strip()
    if not reference or reference.startswith("#") or reference.lower().startswith("data:"):
        return None
    target = reference.split("#")[0]
    problem = f"the SVG refers to {reference[:80]!r}, which is not a file inside the content folder"
    if SCHEME_RE.match(target) or target.startswith("//"):
        return problem
    try:
        resolve_in_folder(os.path.relpath(svg.parent / target, folder), folder)
    except UnsafeReference:
        return problem
    return None
