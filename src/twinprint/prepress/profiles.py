"""Print profiles: screen, print (PDF/X-4), archive (PDF/A-3a + PDF/UA-1), accessible (PDF/UA-1).

A profile is a named preset, like WeasyPrint's own PDF variants: the options
WeasyPrint gets, a stylesheet added after the layout's own CSS, and a finishing
pass over the written PDF (print: CMYK conversion, boxes, output intent, marks).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import weasyprint

from .archive import finish_archive
from .cmyk import ConversionCount, convert_pdf_to_cmyk, icc_profile_path
from .tagging import finish_tagged_pdf
from ..errors import UsageError
from .spots import apply_spot_inks
from .marks import Box, MarkSheet, draw_marks_pdf, mark_offset_pt, marks_margin_pt, mm, overlay_forms, stamp

from .profile_names import DEFAULT_BLEED_MM, DEFAULT_PROFILE, MAX_BLEED_MM  # noqa: F401,E402 (names the command line imports light)
PROFILE_STYLESHEET_FOLDER = "profiles"
# ISO Coated v2 (the shipped profile) is built on this registered characterisation.
OUTPUT_CONDITION_ID = "FOGRA39"
OUTPUT_CONDITION = "ISO Coated v2 300% (basICColor): offset, coated paper, ISO 12647-2:2004/Amd 1 (FOGRA39)"
ICC_REGISTRY = "http://www.color.org"
# The total ink (area coverage) FOGRA39 allows, in % (preflight's limit for the print profile).
MAX_TOTAL_INK_PERCENT = 300
SOURCE_SUFFIXES = (".yaml", ".yml", ".md")
SRGB_ICC_FILE = "sRGB2014.icc"
SRGB_PROFILE_NAME = "--srgb"


@dataclass(frozen=True)
class Profile:
    """One output preset and what it promises."""

    name: str
    summary: str
    pdf_variant: str | None = None
    cmyk: bool = False  # colours converted to CMYK, output intent, bleed and marks
    tagged: bool = False
    attach_sources: bool = False
    screen_images: bool = False  # images downsampled for e-mail


PROFILES: dict[str, Profile] = {
    "screen": Profile("screen", "small file for e-mail and screens: images at 150 dpi, fonts subset, live links",
                      screen_images=True),
    "print": Profile("print", "PDF/X-4 for the print shop: CMYK (ISO Coated v2 / FOGRA39), bleed, crop marks",
                     pdf_variant="pdf/x-4", cmyk=True),
    "archive": Profile("archive", "PDF/A-3a + PDF/UA-1 for archives: tagged, accessible, with the content's YAML and Markdown attached",
                       pdf_variant="pdf/a-3a", tagged=True, attach_sources=True),
    "accessible": Profile("accessible", "tagged PDF/UA-1: language, title, alt texts, headings, bookmarks",
                          pdf_variant="pdf/ua-1", tagged=True),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UsageError(f"unknown profile {name!r}: expected one of {', '.join(PROFILES)}") from None


def check_bleed_mm(bleed_mm: float) -> float:
    if not 0 <= bleed_mm <= MAX_BLEED_MM:
        raise UsageError(f"--bleed: expected between 0 and {MAX_BLEED_MM:g} mm, got {bleed_mm:g}")
    return bleed_mm


def source_attachments(content_dir: Path) -> list[weasyprint.Attachment]:
    """The content folder's YAML and Markdown as PDF attachments (bytes, never file names).

    Files are read here, inside the content folder only (symlinks leading out are
    skipped), and handed to WeasyPrint as file objects: given a file name,
    WeasyPrint would open it itself, past the sandboxed fetcher.
    """
    root = Path(content_dir).resolve()
    attachments = []
    for path in sorted(root.rglob("*")):
        resolved = path.resolve()
        if path.suffix.lower() not in SOURCE_SUFFIXES or not resolved.is_file() or not resolved.is_relative_to(root):
            continue
        name = path.relative_to(root).as_posix()
        modified = dt.datetime.fromtimestamp(resolved.stat().st_mtime)
        attachments.append(weasyprint.Attachment(
            file_obj=io.BytesIO(resolved.read_bytes()), name=name, description=f"twinprint source: {name}",
            relationship="Source", created=modified, modified=modified,
        ))
    return attachments


def weasyprint_options(profile: Profile, content_dir: Path) -> tuple[tuple[str, Any], ...]:
    """What WeasyPrint is given (to render() and write_pdf() alike) for this profile."""
    options: dict[str, Any] = {"pdf_variant": profile.pdf_variant} if profile.pdf_variant else {}
    if profile.screen_images:
        options.update(optimize_images=True, jpeg_quality=82, dpi=150)
    if profile.cmyk:
        # The ICC profile registered as device-cmyk (print.css) becomes the output intent.
        options.update(output_intent="device-cmyk", optimize_images=True)
    if profile.tagged:
        options.update(pdf_tags=True)
    if profile.attach_sources:
        # The shipped sRGB profile, registered by the profile's stylesheet (WeasyPrint's own is left open).
        options.update(attachments=source_attachments(content_dir), output_intent=SRGB_PROFILE_NAME)
    return tuple(options.items())


def profile_stylesheet(profile: Profile, search_path: tuple[Path, ...], bleed_mm: float) -> str:
    """CSS added after the layout's own: the generated rules, then layouts/profiles/<name>.css if any."""
    rules = []
    if profile.cmyk:
        icc_url = icc_profile_path().as_uri()
        rules.append(f'@color-profile device-cmyk {{ src: url("{icc_url}"); components: cyan, magenta, yellow, black; }}')
        rules.append(f"@page {{ bleed: {bleed_mm:g}mm; }}")
        rules.append(f":root {{ --tp-bleed: {bleed_mm:g}mm; }}")
    if profile.attach_sources:
        srgb_url = (icc_profile_path().parent / SRGB_ICC_FILE).as_uri()
        rules.append(f'@color-profile {SRGB_PROFILE_NAME} {{ src: url("{srgb_url}"); components: red, green, blue; }}')
    designer_file = next((folder / PROFILE_STYLESHEET_FOLDER / f"{profile.name}.css"
                          for folder in search_path if (folder / PROFILE_STYLESHEET_FOLDER / f"{profile.name}.css").is_file()), None)
    if designer_file is not None:
        rules.append(designer_file.read_text(encoding="utf-8"))
    return "\n".join(rules)


def apply_profile_css(html: str, css: str) -> str:
    """Put the profile's CSS last in <head>, so it wins over the layout's rules of equal weight.

    Content text in <head> (the title) is escaped, so the first `</head>` is the real one.
    """
    if not css:
        return html
    marker = "</head>"
    at = html.find(marker)
    if at < 0:
        return f"<style>{css}</style>" + html
    return html[:at] + f"<style>\n{css}\n</style>\n" + html[at:]


def profile_html(html: str, profile_name: str, bleed_mm: float, search_path: tuple[Path, ...]) -> str:
    """The layout's HTML with the profile's stylesheet added (the build's entry point)."""
    profile = get_profile(profile_name)
    return apply_profile_css(html, profile_stylesheet(profile, search_path, check_bleed_mm(bleed_mm)))


def profile_pdf_options(profile_name: str, content_dir: Path) -> tuple[tuple[str, Any], ...]:
    return weasyprint_options(get_profile(profile_name), content_dir)


@dataclass
class FinishReport:
    """What the finishing pass did."""

    converted: ConversionCount | None = None
    marks: bool = False
    spot_streams: int = 0  # content streams with spot-ink colours


def _set_output_condition(pdf: pikepdf.Pdf) -> None:
    for intent in pdf.Root.get("/OutputIntents", []):
        if intent.get("/S") == "/GTS_PDFX":
            intent.OutputConditionIdentifier = pikepdf.String(OUTPUT_CONDITION_ID)
            intent.RegistryName = pikepdf.String(ICC_REGISTRY)
            intent.OutputCondition = pikepdf.String(OUTPUT_CONDITION)
            intent.Info = pikepdf.String(OUTPUT_CONDITION)


def _deduplicate_associated_files(pdf: pikepdf.Pdf) -> None:
    """WeasyPrint lists each attachment twice in the catalogue's /AF: keep one of each."""
    if "/AF" not in pdf.Root:
        return
    seen, unique = set(), pikepdf.Array()
    for spec in pdf.Root.AF:
        key = spec.objgen if spec.is_indirect else id(spec)
        if key not in seen:
            seen.add(key)
            unique.append(spec)
    pdf.Root.AF = unique


def _add_marks(pdf: pikepdf.Pdf, bleed_mm: float) -> bool:
    """Grow each page's media box past the bleed and draw crop marks and targets there."""
    bleed_pt = mm(bleed_mm)
    forms: dict[tuple[float, float], tuple[str, pikepdf.Object]] = {}
    for page in pdf.pages:
        trim = Box.of(page.obj.get("/TrimBox", page.obj.MediaBox))
        bleed = Box.of(page.obj.MediaBox)  # WeasyPrint's media box is the CSS bleed area
        media = trim.grown(marks_margin_pt(bleed_pt))
        key = (round(trim.width, 2), round(trim.height, 2))
        if key not in forms:
            origin = Box(0, 0, media.width, media.height)
            local_trim = Box(trim.left - media.left, trim.bottom - media.bottom,
                             trim.right - media.left, trim.top - media.bottom)
            sheet = MarkSheet(origin, local_trim, (local_trim.left, local_trim.right),
                              (local_trim.bottom, local_trim.top), mark_offset_pt(bleed_pt))
            forms[key] = (f"/TPMarks{len(forms) + 1}", overlay_forms(pdf, draw_marks_pdf([sheet]))[0])
        page.obj.MediaBox = media.as_array()
        page.obj.BleedBox = bleed.as_array()
        page.obj.TrimBox = trim.as_array()
        stamp(pdf, page, forms[key][1], forms[key][0], media)
    return bool(forms)


def _finish_tagged_and_archived(pdf: pikepdf.Pdf, pdf_bytes: bytes, profile: Profile) -> None:
    """PDF/UA mends for tagged profiles; dates and typed sources; the PDF/UA claim beside PDF/A."""
    if profile.tagged:
        finish_tagged_pdf(pdf, pdf_bytes)
    if profile.tagged or profile.attach_sources:
        finish_archive(pdf, claim_ua=profile.tagged and profile.attach_sources)


def finish_pdf(pdf_bytes: bytes, profile: Profile, bleed_mm: float = DEFAULT_BLEED_MM,
               spot_inks: dict[str, tuple[float, float, float, float]] | None = None) -> tuple[bytes, FinishReport]:
    """The profile's pass over the written PDF; profiles without one return the bytes unchanged.

    `spot_inks` (the theme's: ink name -> CMYK) are written as Separation colours in the print profile.
    """
    report = FinishReport()
    if not (profile.cmyk or profile.attach_sources or profile.tagged):
        return pdf_bytes, report
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        if profile.cmyk:
            report.converted = convert_pdf_to_cmyk(pdf)
            report.spot_streams = apply_spot_inks(pdf, spot_inks or {})
            _set_output_condition(pdf)
            report.marks = _add_marks(pdf, bleed_mm)
        if profile.attach_sources:
            _deduplicate_associated_files(pdf)
        _finish_tagged_and_archived(pdf, pdf_bytes, profile)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue(), report
