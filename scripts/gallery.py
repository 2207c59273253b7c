"""Write the README gallery: PNG thumbnails of the demo's posters, booklets and reports (run after `make demo`).

docs/gallery/<slug>-<layout>.<lang>.png: a poster, a booklet's cover beside its
timeline spread, a report's first page; 300 px high.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2
from PIL import Image

from twinprint.content.i18n import translations_for

HEIGHT_PX = 300
GAP_PX = 8
ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = {"poster": "poster-A2", "booklet": "booklet", "report": "report"}


def page_image(document: pypdfium2.PdfDocument, index: int) -> Image.Image:
    page = document[index]
    return page.render(scale=HEIGHT_PX / page.get_size()[1]).to_pil().convert("RGB")


def timeline_spread(document: pypdfium2.PdfDocument, language: str) -> list[int]:
    """The two facing pages of the booklet's timeline (the first page whose text starts with 'Timeline')."""
    heading = translations_for(language).gettext("Timeline")
    for index in range(len(document)):
        if document[index].get_textpage().get_text_range().strip().startswith(heading):
            return [index, index + 1]
    raise SystemExit(f"no timeline spread found in {document}")


def page_groups(layout: str, document: pypdfium2.PdfDocument, language: str) -> list[list[int]]:
    """Pages to show, grouped: pages in a group touch (a spread), groups stand apart."""
    return [[0], timeline_spread(document, language)] if layout == "booklet" else [[0]]


def thumbnail(pdf: Path, layout: str, language: str) -> Image.Image:
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        groups = [[page_image(document, index) for index in group] for group in page_groups(layout, document, language)]
    finally:
        document.close()
    width = sum(image.width for group in groups for image in group) + GAP_PX * (len(groups) - 1)
    sheet = Image.new("RGB", (width, HEIGHT_PX), (255, 255, 255))
    x = 0
    for group in groups:
        for image in group:
            sheet.paste(image, (x, 0))
            x += image.width
        x += GAP_PX
    return sheet


def main(build: Path = ROOT / "build", out: Path = ROOT / "docs" / "gallery") -> int:
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for slug in ("nanjing-florence", "milan-shanghai"):
        for layout, stem in DOCUMENTS.items():
            for language in ("en", "zh"):
                pdf = build / slug / f"{stem}.{language}.pdf"
                if not pdf.is_file():
                    print(f"missing {pdf}: run `make demo` first", file=sys.stderr)
                    return 1
                thumbnail(pdf, layout, language).save(out / f"{slug}-{layout}.{language}.png", optimize=True)
                written += 1
    print(f"wrote {written} thumbnails to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(arg) for arg in sys.argv[1:])))
