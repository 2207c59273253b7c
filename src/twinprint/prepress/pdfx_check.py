"""Preflight of a print file's PDF/X identity (ISO 15930-7), imposed sheets included.

A PDF/X-4 file names itself in its XMP (pdfxid:GTS_PDFXVersion), has a PDF/X
output intent with its ICC profile, a TrimBox and a BleedBox on every page and
an Info /Trapped key (ISO 15930-7 clause 6; the sub-clause numbers are not
quoted: the standard's text was not at hand). Imposed sheets with crop
marks are press sheets: they need the same identity, or the print shop's RIP
cannot know their printing condition or where they are cut.
"""

from __future__ import annotations

import pikepdf

from .preflight import Finding

IMPOSE_PRODUCER = "twinprint impose"
MARKS_FORM = "/TPMarks"


def is_imposed_press_sheet(pdf: pikepdf.Pdf) -> bool:
    """Made by `twinprint impose`, with crop marks on some sheet."""
    if not str(pdf.docinfo.get("/Producer", "")).startswith(IMPOSE_PRODUCER):
        return False
    return any(MARKS_FORM in page.obj.get("/Resources", {}).get("/XObject", {}) for page in pdf.pages)


def _has_pdfx_intent(pdf: pikepdf.Pdf) -> bool:
    return any(intent.get("/S") == "/GTS_PDFX" and isinstance(intent.get("/DestOutputProfile"), pikepdf.Stream)
               for intent in pdf.Root.get("/OutputIntents", []))


def pdfx_identity_gaps(pdf: pikepdf.Pdf) -> list[tuple[str, tuple[int, ...]]]:
    """What a PDF/X-4 file lacks, each with the pages it concerns (none: the whole file)."""
    gaps: list[tuple[str, tuple[int, ...]]] = []
    if not _has_pdfx_intent(pdf):
        gaps.append(("no PDF/X output intent (ISO 15930-7 6: output intent)", ()))
    if not pdf.open_metadata().get("pdfxid:GTS_PDFXVersion"):
        gaps.append(("no pdfxid:GTS_PDFXVersion in the XMP metadata (ISO 15930-7 6: identification)", ()))
    if "/Trapped" not in pdf.docinfo:
        gaps.append(("no /Trapped in the document information (ISO 15930-7 6: trapping key)", ()))
    boxless = tuple(number for number, page in enumerate(pdf.pages, 1)
                    if "/TrimBox" not in page.obj or "/BleedBox" not in page.obj)
    if boxless:
        gaps.append(("pages without TrimBox and BleedBox (ISO 15930-7 6: page boundaries)", boxless))
    return gaps


def check_pdfx_identity(pdf: pikepdf.Pdf, profile: str) -> list[Finding]:
    """For print files and imposed press sheets: every part of the PDF/X identity, each missing one an error."""
    imposed = is_imposed_press_sheet(pdf)
    if profile != "print" and not imposed:
        return []
    what = "imposed sheets" if imposed else "print file"
    return [Finding("error", "pdfx", f"{what} without their PDF/X identity: {gap}", pages) for gap, pages in pdfx_identity_gaps(pdf)]
