"""Prepress stage: print profiles, CMYK, marks, imposition, previews and preflight of finished PDFs."""
