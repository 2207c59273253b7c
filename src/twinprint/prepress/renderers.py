"""Render every page with two independent renderers (poppler's pdftoppm, MuPDF's mutool) and collect their warnings.

A file one viewer complains about is drawn differently by another (a broken
shading is blank in poppler and black in MuPDF), so any warning is an error.
Pages are rendered at a few dpi: the warnings come from parsing and
evaluating the content, not from the pixels.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .preflight import Finding

RENDER_DPI = 9
TIMEOUT_S = 300
# Printed by Debian's MuPDF build on every run, about itself rather than the file.
TOOL_NOTICES = ("warning: ICC support is not available",)


@dataclass(frozen=True)
class RendererWarning:
    renderer: str  # poppler | mupdf
    page: int | None  # 1-based; None when the renderer does not say
    message: str


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and line.strip() not in TOOL_NOTICES]


def _mutool(pdf_path: Path, folder: Path, page: int | None) -> list[str]:
    pages = [str(page)] if page else []
    run = subprocess.run(["mutool", "draw", "-q", "-r", str(RENDER_DPI), "-c", "gray", "-o", str(folder / "m%d.pgm"),
                          str(pdf_path), *pages], capture_output=True, text=True, timeout=TIMEOUT_S)
    return _lines(run.stdout + run.stderr) + ([f"mutool exited with {run.returncode}"] if run.returncode else [])


def _pdftoppm(pdf_path: Path, folder: Path, page: int | None) -> list[str]:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    run = subprocess.run(["pdftoppm", "-r", str(RENDER_DPI), "-gray", *pages, str(pdf_path), str(folder / "p")],
                         capture_output=True, text=True, timeout=TIMEOUT_S)
    return _lines(run.stderr) + ([f"pdftoppm exited with {run.returncode}"] if run.returncode else [])


RENDERERS = {"poppler": ("pdftoppm", _pdftoppm), "mupdf": ("mutool", _mutool)}


def warnings_of(renderer: str, pdf_path: Path, folder: Path, page_count: int) -> list[RendererWarning]:
    """One renderer's warnings: the whole file at once, and only if it warns, page by page to say where."""
    _, run = RENDERERS[renderer]
    if not run(pdf_path, folder, None):
        return []
    return [RendererWarning(renderer, page, line) for page in range(1, page_count + 1) for line in run(pdf_path, folder, page)]


def renderer_warnings(pdf_bytes: bytes, page_count: int) -> tuple[list[RendererWarning], list[str]]:
    """Warnings of both renderers, and the names of renderers that are not installed."""
    missing = [tool for tool, _ in RENDERERS.values() if shutil.which(tool) is None]
    found: list[RendererWarning] = []
    with tempfile.TemporaryDirectory(prefix="twinprint-render-") as scratch:
        folder = Path(scratch)
        pdf_path = folder / "file.pdf"
        pdf_path.write_bytes(pdf_bytes)
        for renderer, (tool, _) in RENDERERS.items():
            if tool not in missing:
                found += warnings_of(renderer, pdf_path, folder, page_count)
    return found, missing


def check_renderers(pdf_bytes: bytes, page_count: int) -> list[Finding]:
    """Preflight: poppler and MuPDF draw every page without a warning."""
    found, missing = renderer_warnings(pdf_bytes, page_count)
    by_message: dict[tuple[str, str], list[int]] = {}
    for warning in found:
        pages = by_message.setdefault((warning.renderer, warning.message), [])
        if warning.page is not None and warning.page not in pages:
            pages.append(warning.page)
    findings = [Finding("error", "renderers", f"{renderer} warns: {message}", tuple(pages), (("renderer", renderer),))
                for (renderer, message), pages in by_message.items()]
    findings += [Finding("warning", "renderers", f"{tool} is not installed: pages not checked with it "
                         "(scripts/bootstrap.sh installs it)") for tool in missing]
    return findings
