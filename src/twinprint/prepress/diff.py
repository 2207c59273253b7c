"""A visual diff between two editions of a PDF: pages paired by content, changed areas, text changes, an HTML report.

Pages are paired by their text (read back with pdfium), not by position: an
alignment that maximises the pages' text similarity, so an inserted page shows
as added and every later page still meets its counterpart. Each pair is then
compared pixel by pixel at the same size; the cells that differ are merged into
rectangles drawn on both images, and the page's text differences are listed.
"""

from __future__ import annotations

import base64
import difflib
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2
from PIL import Image, ImageChops, ImageDraw

from ..errors import BuildError
from .preview import render_page

DIFF_LONG_SIDE_PX = 800
CELL_PX = 12
# A pixel channel changing by more than this counts (anti-aliasing noise stays under it).
PIXEL_THRESHOLD = 40
# Pages whose texts are less alike than this are never paired: one was removed, the other added.
MIN_PAIR_SIMILARITY = 0.3
HIGHLIGHT = (220, 30, 60)
WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass
class PageDiff:
    """One row of the report: a page pair (or a page only one edition has) and what changed on it."""

    old_page: int | None  # 1-based
    new_page: int | None
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # changed areas in image px (left, top, right, bottom)
    text_diff: list[str] = field(default_factory=list)  # "- old line" / "+ new line"
    old_png: bytes = b""
    new_png: bytes = b""

    @property
    def status(self) -> str:
        if self.old_page is None:
            return "added"
        if self.new_page is None:
            return "removed"
        return "changed" if self.boxes or self.text_diff else "unchanged"


@dataclass
class PdfDiff:
    old_name: str
    new_name: str
    pages: list[PageDiff]

    def count(self, status: str) -> int:
        return sum(1 for page in self.pages if page.status == status)

    @property
    def changed(self) -> bool:
        return any(page.status != "unchanged" for page in self.pages)

    def summary(self) -> str:
        added, removed, changed, same = (self.count(s) for s in ("added", "removed", "changed", "unchanged"))
        return (f"{self.old_name} -> {self.new_name}: {added} page{'s' * (added != 1)} added, {removed} removed, "
                f"{changed} changed, {same} unchanged")


# --- reading ---------------------------------------------------------------------------------

def _open(pdf: bytes, name: str) -> pypdfium2.PdfDocument:
    try:
        return pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError as error:
        raise BuildError(f"{name}: not a readable PDF: {error}") from None


def page_text(page: pypdfium2.PdfPage) -> str:
    text_page = page.get_textpage()
    try:
        return text_page.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
    finally:
        text_page.close()


def text_similarity(old: str, new: str) -> float:
    """How alike two pages' texts are, 0..1: shared words over all words (both empty: alike)."""
    old_words, new_words = WORD_RE.findall(old.lower()), WORD_RE.findall(new.lower())
    if not old_words and not new_words:
        return 1.0
    old_set, new_set = set(old_words), set(new_words)
    return len(old_set & new_set) / len(old_set | new_set)


# --- pairing ---------------------------------------------------------------------------------

def pair_pages(old_texts: list[str], new_texts: list[str]) -> list[tuple[int | None, int | None]]:
    """Page pairs (0-based indexes, None for a page the other edition lacks), in reading order.

    A monotone alignment maximising the summed similarity of paired pages (like a
    text diff, but every pair scores its likeness), so an inserted page shifts nothing.
    """
    rows, cols = len(old_texts), len(new_texts)
    similarity = [[text_similarity(o, n) for n in new_texts] for o in old_texts]
    best = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            paired = similarity[i][j] + best[i + 1][j + 1] if similarity[i][j] >= MIN_PAIR_SIMILARITY else -1.0
            best[i][j] = max(paired, best[i + 1][j], best[i][j + 1])
    pairs: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < rows and j < cols:
        if similarity[i][j] >= MIN_PAIR_SIMILARITY and best[i][j] == similarity[i][j] + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    pairs += [(k, None) for k in range(i, rows)] + [(None, k) for k in range(j, cols)]
    return pairs


# --- comparing a pair --------------------------------------------------------------------------

def changed_boxes(old: Image.Image, new: Image.Image) -> list[tuple[int, int, int, int]]:
    """Rectangles (in `new`'s pixels) around the cells where the two images differ, neighbours merged."""
    if old.size != new.size:
        old = old.resize(new.size)
    difference = ImageChops.difference(old.convert("RGB"), new.convert("RGB")).convert("L").point(lambda v: 255 if v > PIXEL_THRESHOLD else 0)
    columns, rows = -(-new.width // CELL_PX), -(-new.height // CELL_PX)
    # A cell's average is above zero when any of its pixels changed.
    cells = difference.resize((columns, rows), Image.Resampling.BOX)
    values = cells.tobytes()
    marked = {(index % columns, index // columns) for index, value in enumerate(values) if value}
    boxes = []
    while marked:
        stack = [marked.pop()]
        xs, ys = [], []
        while stack:
            x, y = stack.pop()
            xs.append(x)
            ys.append(y)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    neighbour = (x + dx, y + dy)
                    if neighbour in marked:
                        marked.remove(neighbour)
                        stack.append(neighbour)
        boxes.append((min(xs) * CELL_PX, min(ys) * CELL_PX, min(new.width, (max(xs) + 1) * CELL_PX), min(new.height, (max(ys) + 1) * CELL_PX)))
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def text_changes(old: str, new: str) -> list[str]:
    """The lines that differ, `- ` removed and `+ ` added (the page's text, line by line)."""
    old_lines = [line.strip() for line in old.splitlines() if line.strip()]
    new_lines = [line.strip() for line in new.splitlines() if line.strip()]
    return [line for line in difflib.ndiff(old_lines, new_lines) if line.startswith(("- ", "+ "))]


def _highlighted_png(image: Image.Image, boxes: list[tuple[int, int, int, int]]) -> bytes:
    marked = image.convert("RGB")
    draw = ImageDraw.Draw(marked, "RGBA")
    for left, top, right, bottom in boxes:
        draw.rectangle((left, top, right, bottom), outline=HIGHLIGHT + (255,), fill=HIGHLIGHT + (40,), width=3)
    buffer = io.BytesIO()
    marked.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _scaled(boxes: list[tuple[int, int, int, int]], source: Image.Image, target: Image.Image) -> list[tuple[int, int, int, int]]:
    sx, sy = target.width / source.width, target.height / source.height
    return [(round(l * sx), round(t * sy), round(r * sx), round(b * sy)) for l, t, r, b in boxes]


# --- the whole comparison ------------------------------------------------------------------------

def diff_pdfs(old_pdf: bytes, new_pdf: bytes, old_name: str = "old", new_name: str = "new",
              long_side_px: int = DIFF_LONG_SIDE_PX) -> PdfDiff:
    """Pair the pages of two PDFs by content and compare each pair's pixels and text."""
    old_doc, new_doc = _open(old_pdf, old_name), _open(new_pdf, new_name)
    try:
        old_texts = [page_text(old_doc[i]) for i in range(len(old_doc))]
        new_texts = [page_text(new_doc[i]) for i in range(len(new_doc))]
        pages = []
        for old_index, new_index in pair_pages(old_texts, new_texts):
            old_image = render_page(old_doc[old_index], long_side_px) if old_index is not None else None
            new_image = render_page(new_doc[new_index], long_side_px) if new_index is not None else None
            row = PageDiff(None if old_index is None else old_index + 1, None if new_index is None else new_index + 1)
            if old_image is not None and new_image is not None:
                row.boxes = changed_boxes(old_image, new_image)
                row.text_diff = text_changes(old_texts[old_index], new_texts[new_index])
                row.old_png = _highlighted_png(old_image, _scaled(row.boxes, new_image, old_image))
                row.new_png = _highlighted_png(new_image, row.boxes)
            elif old_image is not None:
                row.old_png = _highlighted_png(old_image, [])
            elif new_image is not None:
                row.new_png = _highlighted_png(new_image, [])
            pages.append(row)
    finally:
        old_doc.close()
        new_doc.close()
    return PdfDiff(old_name, new_name, pages)


def diff_files(old: Path, new: Path) -> PdfDiff:
    try:
        old_pdf, new_pdf = Path(old).read_bytes(), Path(new).read_bytes()
    except OSError as error:
        raise BuildError(f"{error.filename}: cannot read: {error.strerror or error}") from None
    return diff_pdfs(old_pdf, new_pdf, str(old), str(new))


# --- the report --------------------------------------------------------------------------------

def _image(png: bytes, label: str) -> str:
    if not png:
        return '<div class="none">—</div>'
    return f'<img alt="{html.escape(label)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _row_html(page: PageDiff) -> str:
    title = {"added": f"new page {page.new_page} added", "removed": f"old page {page.old_page} removed",
             "changed": f"page {page.old_page} → {page.new_page} changed", "unchanged": f"page {page.old_page} → {page.new_page} unchanged"}
    lines = "".join(f'<li class="{"del" if line.startswith("-") else "ins"}">{html.escape(line)}</li>' for line in page.text_diff)
    texts = f'<ul class="text">{lines}</ul>' if lines else ""
    return (f'<section class="pair {page.status}"><h2>{html.escape(title[page.status])}</h2>'
            f'<div class="side">{_image(page.old_png, f"old page {page.old_page}")}{_image(page.new_png, f"new page {page.new_page}")}</div>'
            f"{texts}</section>")


REPORT_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #23211f; background: #f4f1ec; }
.summary { font-weight: 600; font-size: 1.05rem; }
.pair { background: #fff; border: 1px solid #d8d2c8; border-radius: 6px; padding: .8rem; margin: 1rem 0; }
.pair.unchanged { opacity: .6; } .pair.added h2 { color: #2e7d32; } .pair.removed h2, .pair.changed h2 { color: #c62828; }
.pair h2 { font-size: 1rem; margin: 0 0 .5rem; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; align-items: start; }
.side img { max-width: 100%; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.none { color: #999; text-align: center; padding: 3rem; border: 1px dashed #ccc; }
.text { font: 12px/1.4 ui-monospace, monospace; list-style: none; padding: 0; }
.text .del { color: #b71c1c; background: #fdecea; } .text .ins { color: #1b5e20; background: #e8f5e9; }
"""


def report_html(diff: PdfDiff, show_unchanged: bool = True) -> str:
    """A self-contained HTML page: the summary, then each pair side by side with its changes highlighted."""
    rows = "".join(_row_html(page) for page in diff.pages if show_unchanged or page.status != "unchanged")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(diff.summary())}</title>'
            f"<style>{REPORT_STYLE}</style></head><body>"
            f'<p class="summary">{html.escape(diff.summary())}</p>'
            f'<p>left: {html.escape(diff.old_name)} · right: {html.escape(diff.new_name)}</p>{rows}</body></html>')
