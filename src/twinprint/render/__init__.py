"""Render stage: HTML to PDF with WeasyPrint behind the sandboxed URL fetcher."""
