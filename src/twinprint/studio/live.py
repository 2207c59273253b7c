"""One document kept live in the studio: rebuilt in this warm process, its pages as images, its findings as marks.

A rebuild renders the PDF (sharing one font configuration with every earlier
render), rasterises page 1 and announces it, then the other pages, announcing
only those whose pixels changed; preflight runs after the pages are shown and
its findings follow as a separate event. A build that fails keeps the last good
pages and PDF and announces its one-line error instead.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

import pypdfium2

from ..batch.contained import Limits
from ..batch.fonts import fonts_shared_while
from ..batch.manifest import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_S
from ..batch.jobs import Job
from ..batch.resident import ResidentChild
from ..request import BuildRequest
from ..build import check_request, preflight_built, render_fitted
from ..content.load import load_exhibit
from ..errors import TwinprintError
from ..layout.lookup import layout_search_path
from ..layout.paper import page_settings
from ..layout.fit import LayoutOverflow, Overflow
from ..prepress.preflight import Finding, PreflightFailed, PreflightReport
from ..prepress.preview import render_page
from ..prepress.profiles import finish_pdf, get_profile
from .marks import Mark, report_marks

DEFAULT_PAGE_PX = 1000
PAGE_PX_LIMITS = (300, 2400)
Notify = Callable[[dict[str, Any]], None]


PREVIEW_LIMITS = Limits(DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_S, whole_process=False)


@dataclass(frozen=True)
class Overflowed:
    """A document that does not fit, shown as laid out: the build's one-line error and what overflowed where."""

    message: str
    overflows: tuple[Overflow, ...]

    def findings(self) -> list[Finding]:
        """Each overflow as a preflight-like finding on its page, with the box of what reaches out."""
        return [Finding("error", "fit", overflow.describe(), (overflow.page_index + 1,),
                        (("box_px", " ".join(f"{v:.2f}" for v in overflow.box_px)),) if overflow.box_px else ())
                for overflow in self.overflows]


def render_preview(request: BuildRequest) -> tuple[Any, Any, Overflowed | None]:
    """The document's finished PDF, its localised content, and what overflowed if it does not fit (runs in the render child)."""
    exhibit = load_exhibit(request.content_dir)
    check_request(exhibit, request)
    overflowed: list[LayoutOverflow] = []
    with fonts_shared_while():
        rendered, localised = render_fitted(exhibit, request, overflowed)
    rendered.pdf, _ = finish_pdf(rendered.pdf, get_profile(request.profile), request.bleed_mm)
    # The exception itself does not cross the pipe (its arguments are not the message it was made with).
    return rendered, localised, Overflowed(overflowed[0].message, tuple(overflowed[0].overflows)) if overflowed else None


def page_px_for(asked: int | None) -> int:
    """A page image's long side: the browser's size, in steps of 100 px so nearby sizes share images."""
    if not asked:
        return DEFAULT_PAGE_PX
    low, high = PAGE_PX_LIMITS
    return max(low, min(high, round(asked / 100) * 100))


@dataclass
class PageImage:
    png: bytes
    digest: str
    width_px: int
    height_px: int
    version: int


@dataclass
class LiveDocument:
    """The live state of one job: last good PDF and pages, the error of the last build, its findings."""

    job: Job
    page_px: int = DEFAULT_PAGE_PX
    # The warm render process every document of the studio shares (made here when none is given).
    renderer: ResidentChild = field(default_factory=ResidentChild)
    pdf: bytes | None = None
    pages: list[PageImage] = field(default_factory=list)
    error: str | None = None
    overflowing: bool = False  # the error is an overflow, and the pages shown are the overflowing ones
    building: bool = False
    report: PreflightReport | None = None
    marks: list[Mark] = field(default_factory=list)
    render_seconds: float = 0.0
    builds: int = 0
    # When a browser last asked for this document: after an edit, the one looked at last is rebuilt first.
    last_viewed: float = field(default_factory=time.monotonic)
    # Browser pages showing it; with none, an edit only marks it stale (rebuilt when it is shown again).
    viewers: int = 0
    stale: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.job.name

    @property
    def spreads(self) -> bool:
        """Saddle-stitched layouts are shown as spreads: page 1 alone, then facing pairs."""
        request = self.job.request
        return page_settings(request.layout, tuple(layout_search_path(request.project_root))).page_multiple % 2 == 0

    def state(self) -> dict[str, Any]:
        """What the browser needs to draw the document (JSON)."""
        return {
            "job": self.name, "error": self.error, "overflowing": self.overflowing, "building": self.building, "spreads": self.spreads,
            "pages": [{"n": n, "v": p.version, "w": p.width_px, "h": p.height_px} for n, p in enumerate(self.pages, 1)],
            "findings": self.findings_state(), "seconds": round(self.render_seconds, 3), "builds": self.builds,
        }

    def findings_state(self) -> dict[str, Any] | None:
        if self.report is None:
            return None
        findings = [{"severity": f.severity, "check": f.check, "message": f.message, "pages": f.pages_text()} for f in self.report.findings]
        return {"summary": self.report.summary(), "passed": self.report.passed, "findings": findings,
                "marks": [mark.as_dict() for mark in self.marks]}

    def rebuild(self, notify: Notify) -> None:
        """Render, show the pages (page 1 first), then preflight; on failure keep the last good pages."""
        started = time.perf_counter()
        self.building = True
        try:
            rendered, localised, overflowed = self._render()
        except TwinprintError as error:
            self.building = False
            self.error, self.overflowing = error.message, False
            notify({"type": "error", "job": self.name, "message": error.message})
            return
        self.error, self.overflowing = (overflowed.message, True) if overflowed else (None, False)
        self.builds += 1
        self._show_pages(rendered.pdf, started, notify)
        if overflowed:  # the build fails; the pages show where, and the overflows are marked on them
            notify({"type": "error", "job": self.name, "message": overflowed.message, "shown": True})
        self._preflight(rendered, localised, notify, overflowed.findings() if overflowed else [])
        self.building = False

    def _render(self) -> tuple[Any, Any, Overflowed | None]:
        # In a contained child, like every render: a runaway figure is killed at the limits, the studio lives on.
        # The child stays between renders, warm (fonts registered, templates compiled): see batch/resident.py.
        return self.renderer.run(partial(render_preview, self.job.request), PREVIEW_LIMITS, self.name)

    def _show_pages(self, pdf: bytes, started: float, notify: Notify) -> None:
        document = pypdfium2.PdfDocument(pdf)
        try:
            count = len(document)
            with self.lock:
                self.pdf = pdf
                del self.pages[count:]
            self._announce(self._raster(document, range(min(1, count))), count, started, notify)
            self._announce(self._raster(document, range(1, count)), count, started, notify)
        finally:
            document.close()

    def _raster(self, document: pypdfium2.PdfDocument, indexes: range) -> list[int]:
        """Rasterise these pages; the 1-based numbers of those whose pixels changed."""
        changed = []
        for index in indexes:
            image = render_page(document[index], self.page_px)
            raw = image.tobytes()
            digest = hashlib.sha1(raw + repr(image.size).encode()).hexdigest()
            old = self.pages[index] if index < len(self.pages) else None
            if old is not None and old.digest == digest:
                continue
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", compress_level=1)
            page = PageImage(buffer.getvalue(), digest, image.width, image.height, (old.version + 1) if old else 1)
            with self.lock:
                if old is None:
                    self.pages.append(page)
                else:
                    self.pages[index] = page
            changed.append(index + 1)
        return changed

    def _announce(self, changed: list[int], count: int, started: float, notify: Notify) -> None:
        self.render_seconds = time.perf_counter() - started
        pages = [{"n": n, "v": p.version, "w": p.width_px, "h": p.height_px} for n, p in enumerate(self.pages, 1)]
        notify({"type": "pages", "job": self.name, "count": count, "changed": changed, "pages": pages,
                "spreads": self.spreads, "seconds": round(self.render_seconds, 3)})

    def _preflight(self, rendered: Any, localised: Any, notify: Notify, fit_findings: list[Finding]) -> None:
        request = self.job.request
        try:
            report = preflight_built(request, rendered, localised, self.job.request.output_dir / self.name)
        except PreflightFailed as failed:
            report = failed.report
        except TwinprintError as error:
            notify({"type": "error", "job": self.name, "message": error.message})
            return
        report.findings[:0] = fit_findings
        self.report = report
        self.marks = report_marks(rendered.pdf, report, rendered.qr_codes)
        notify({"type": "findings", "job": self.name, **(self.findings_state() or {})})
