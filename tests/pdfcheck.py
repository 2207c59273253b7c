"""Read finished PDFs back for tests: text, fonts, boxes, bookmarks, QR codes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pypdf
import pypdfium2
import zxingcpp


def page_texts(pdf: Path) -> list[str]:
    """Text of every page, as poppler's pdftotext extracts it (reading order, layout off)."""
    reader = pypdf.PdfReader(str(pdf))
    texts = []
    for number in range(1, len(reader.pages) + 1):
        out = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-enc", "UTF-8", str(pdf), "-"],
                             check=True, capture_output=True, text=True)
        texts.append(out.stdout)
    return texts


def whole_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def normalise(text: str) -> str:
    """Collapse white space and undo hyphenation at line ends, to compare with source text."""
    text = text.replace("\u00ad", "")
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = text.replace("-\n", "")
    return " ".join(text.split())


def fonts(pdf: Path) -> list[dict[str, str]]:
    """pdffonts rows as dicts: name, type, emb, sub, uni."""
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()
    rows = []
    for line in out[2:]:
        parts = line.split()
        # name, type (may hold spaces), encoding, emb, sub, uni, object, id
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3], "line": line})
    return rows


def outline_titles(pdf: Path) -> list[tuple[str, int]]:
    """(title, 1-based page) of every bookmark, depth-first."""
    reader = pypdf.PdfReader(str(pdf))
    found: list[tuple[str, int]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append((item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    return found


def decode_qr_codes(pdf: Path, page_index: int, dpi: int = 150) -> list[str]:
    """Rasterise one page at `dpi` and decode every QR code on it."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        bitmap = document[page_index].render(scale=dpi / 72)
        image = bitmap.to_pil()
    finally:
        document.close()
    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def media_box_mm(pdf: Path, page_index: int = 0) -> tuple[float, float]:
    box = pypdf.PdfReader(str(pdf)).pages[page_index].mediabox
    return float(box.width) * 25.4 / 72, float(box.height) * 25.4 / 72


def outputs_in(folder: Path) -> list[Path]:
    """Files a user finds in an output folder: not those of its hidden caches (.chunks, .personal, …)."""
    if not folder.exists():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
