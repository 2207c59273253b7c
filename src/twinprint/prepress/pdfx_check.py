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


# The parts preflight's boxes check already reports for a print file.
CHECKED_WITH_BOXES = ("intent", "boxes")


def pdfx_identity_gaps(pdf: pikepdf.Pdf) -> list[tuple[str, str, tuple[int, ...]]]:
    """What a PDF/X-4 file lacks: (part, message, pages it concerns; none: the whole file)."""
    gaps: list[tuple[str, str, tuple[int, ...]]] = []
    if not _has_pdfx_intent(pdf):
        gaps.append(("intent", "no PDF/X output intent (ISO 15930-7 6: output intent)", ()))
    if not pdf.open_metadata().get("pdfxid:GTS_PDFXVersion"):
        gaps.append(("xmp", "no pdfxid:GTS_PDFXVersion in the XMP metadata (ISO 15930-7 6: identification)", ()))
    if "/Trapped" not in pdf.docinfo:
        gaps.append(("trapped", "no /Trapped in the document information (ISO 15930-7 6: trapping key)", ()))
    boxless = tuple(number for number, page in enumerate(pdf.pages, 1)
                    if "/TrimBox" not in page.obj or "/BleedBox" not in page.obj)
    if boxless:
        gaps.append(("boxes", "pages without TrimBox and BleedBox (ISO 15930-7 6: page boundaries)", boxless))
    return gaps


def check_pdfx_identity(pdf: pikepdf.Pdf, profile: str) -> list[Finding]:
    """For print files and imposed press sheets: each missing part of the PDF/X identity is an error.

    A file read as print already has its output intent and boxes checked (check_boxes); an
    imposed file that lost every sign of PDF/X is recognised by its crop marks.
    """
    imposed = is_imposed_press_sheet(pdf)
    if profile != "print" and not imposed:
        return []
    what = "imposed sheets without their" if imposed else "print file without its"
    return [Finding("error", "pdfx", f"{what} PDF/X identity: {message}", pages) for part, message, pages in pdfx_identity_gaps(pdf)
            if profile != "print" or part not in CHECKED_WITH_BOXES]
