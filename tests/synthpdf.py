"""Small PDFs made with reportlab for tests: numbered pages with a text layer, any page size."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A5
from reportlab.pdfgen import canvas


def numbered_pdf(count: int, page_size: tuple[float, float] = A5, label: str = "Page") -> bytes:
    """`count` pages, each with `<label> <n>` in large type and a frame, Helvetica (not embedded)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=page_size, invariant=True)
    width, height = page_size
    for number in range(1, count + 1):
        pdf.setFont("Helvetica-Bold", min(width, height) / 8)
        pdf.drawCentredString(width / 2, height / 2, f"{label} {number}")
        pdf.rect(12, 12, width - 24, height - 24)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
