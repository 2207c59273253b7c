"""PNG previews of a PDF: one thumbnail per page and a contact sheet of all pages (pypdfium2).

For `build/x/catalogue.en.pdf` they are `build/x/catalogue.en.previews/page-01.png`
… and `build/x/catalogue.en.contact.png`. Pages are shown at their trim box, as
they will look once cut; each file is written atomically.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BuildError
from ..layout.lookup import builtin_root

if TYPE_CHECKING:  # imported where they are used: the command line reads this module's sizes at start-up
    import pypdfium2
    from PIL import Image, ImageFont

THUMBNAIL_LONG_SIDE_PX = 480
CONTACT_CELL_PX = 260
CONTACT_COLUMNS = 6
CONTACT_GAP_PX = 16
LABEL_PX = 18
BACKGROUND = (236, 233, 228)


def preview_paths(pdf_path: Path) -> tuple[Path, Path]:
    """(folder of page thumbnails, contact sheet) for a PDF."""
    stem = Path(pdf_path).with_suffix("")
    return stem.with_name(stem.name + ".previews"), stem.with_name(stem.name + ".contact.png")


def render_page(page: pypdfium2.PdfPage, long_side_px: int) -> Image.Image:
    """The page's trim box as an RGB image whose longer side is `long_side_px`."""
    left, bottom, right, top = page.get_trimbox()
    scale = long_side_px / max(right - left, top - bottom)
    media_left, media_bottom, _, media_top = page.get_mediabox()
    crop = (left - media_left, bottom - media_bottom, page.get_mediabox()[2] - right, media_top - top)
    bitmap = page.render(scale=scale, crop=tuple(max(0.0, value) for value in crop))
    return bitmap.to_pil().convert("RGB")


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _label_font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(str(builtin_root() / "fonts" / "NotoSans-Regular.ttf"), 12)
    except OSError:
        return ImageFont.load_default()


def contact_sheet(thumbnails: list[Image.Image]) -> Image.Image:
    """All pages in a grid, in reading order, each with its page number beneath."""
    from PIL import Image, ImageDraw

    columns = min(CONTACT_COLUMNS, max(1, len(thumbnails)))
    rows = math.ceil(len(thumbnails) / columns)
    cell_w, cell_h = CONTACT_CELL_PX, CONTACT_CELL_PX + LABEL_PX
    sheet = Image.new("RGB", (columns * (cell_w + CONTACT_GAP_PX) + CONTACT_GAP_PX,
                              rows * (cell_h + CONTACT_GAP_PX) + CONTACT_GAP_PX), BACKGROUND)
    draw, font = ImageDraw.Draw(sheet), _label_font()
    for index, thumbnail in enumerate(thumbnails):
        small = thumbnail.copy()
        small.thumbnail((CONTACT_CELL_PX, CONTACT_CELL_PX))
        x = CONTACT_GAP_PX + (index % columns) * (cell_w + CONTACT_GAP_PX)
        y = CONTACT_GAP_PX + (index // columns) * (cell_h + CONTACT_GAP_PX)
        at_x, at_y = x + (CONTACT_CELL_PX - small.width) // 2, y + (CONTACT_CELL_PX - small.height)
        sheet.paste(small, (at_x, at_y))
        draw.rectangle((at_x - 1, at_y - 1, at_x + small.width, at_y + small.height), outline=(170, 165, 158))
        draw.text((x + cell_w // 2, y + CONTACT_CELL_PX + 3), str(index + 1), fill=(60, 58, 55), font=font, anchor="mt")
    return sheet


def render_previews(pdf_path: Path, long_side_px: int = THUMBNAIL_LONG_SIDE_PX) -> dict[Path, bytes]:
    """PNG bytes of every page thumbnail and of the contact sheet (last), by the path each belongs at."""
    import pypdfium2

    folder, contact_path = preview_paths(pdf_path)
    try:
        document = pypdfium2.PdfDocument(str(pdf_path))
    except (pypdfium2.PdfiumError, OSError) as error:
        raise BuildError(f"{pdf_path}: cannot open for previews: {error}") from None
    try:
        thumbnails = [render_page(document[index], long_side_px) for index in range(len(document))]
    finally:
        document.close()
    width = max(2, len(str(len(thumbnails))))
    files = {folder / f"page-{number:0{width}d}.png": _png_bytes(image) for number, image in enumerate(thumbnails, 1)}
    files[contact_path] = _png_bytes(contact_sheet(thumbnails))
    return files
