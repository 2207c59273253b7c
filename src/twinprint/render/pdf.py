"""HTML -> PDF bytes with WeasyPrint, through a sandboxed URL fetcher.

QR codes are not parsed as SVG by WeasyPrint: the layout leaves an empty box
(`span.qr[data-qr]`) and this stage draws each code as one vector path straight
into the page's content stream, which is many times faster than SVG layout.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import mimetypes
import time
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NoReturn
from urllib import request
from urllib.parse import unquote, urlparse

import pydyf
import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from ..errors import BuildError, FetchRefused
from ..content.rasters import raster_size
from ..layout.qr import make_qr
from . import fontfolders  # noqa: F401 - WeasyPrint's font copies go where they are cleaned up
from . import gridrows  # noqa: F401 - grid rows of a fixed or fractional size are not laid out to be measured
from . import pagestyles  # noqa: F401 - page and margin box styles computed once per kind of page
from . import stylememo  # noqa: F401 - a head's stylesheets are parsed once per process
from .svgdraw import SvgDrawFailed, note_figure

# Links a PDF may carry (from content or layouts): the web, mail, telephone, and anchors inside it.
LINK_SCHEMES = ("http", "https", "mailto", "tel")

PX_TO_PT = 0.75
# @font-face local() fonts reach the fetcher as file: URLs of the system's font folders.
SYSTEM_FONT_ROOTS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_REMOTE_BYTES = 20 * 1024 * 1024
REMOTE_TIMEOUT_S = 10.0
_READ_CHUNK = 64 * 1024
REMOTE_HEADERS = {"User-Agent": "twinprint", "Accept-Encoding": "identity"}


class _Refused(FatalURLFetchingError):
    """Raised inside WeasyPrint to stop rendering at the first refused resource."""


def _file_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@dataclass
class SandboxFetcher(URLFetcher):
    """Fetches only what the project allows and records every file it read.

    file: only inside `allowed_roots` (after `..` and symlinks), data: always,
    http(s): only from `allowed_hosts`, without redirects, within a time and size
    limit; anything else is refused, and a refusal stops the build.
    """

    allowed_roots: tuple[Path, ...]
    allowed_hosts: tuple[str, ...] = ()
    timeout_s: float = REMOTE_TIMEOUT_S
    max_remote_bytes: int = MAX_REMOTE_BYTES
    # Files that may have written a reference (templates, content): a refusal names the one that did.
    referrers: tuple[Path, ...] = ()
    document: str = "the document"
    fetched: dict[str, str] = field(default_factory=dict)  # url -> sha256 of the bytes
    refused: list[str] = field(default_factory=list)
    # Rasters are handed to WeasyPrint through this (content/rasters.py): scaled to what the page can print.
    scale_image: Callable[[Path, bytes], bytes] | None = None
    image_sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # file url -> pixels handed to WeasyPrint

    def __post_init__(self) -> None:
        super().__init__(timeout=self.timeout_s, allowed_protocols=("data",), allow_redirects=False)
        self.allowed_roots = tuple(Path(root).resolve() for root in self.allowed_roots)
        self.allowed_hosts = tuple(host.lower().rstrip(".") for host in self.allowed_hosts)

    def refuse(self, url: str, reason: str) -> NoReturn:
        message = f"{self.referrer_of(url)}: refused {url[:200]!r}: {reason}"
        self.refused.append(message)
        raise _Refused(message)

    def referrer_of(self, url: str) -> str:
        """The first referrer file that mentions the URL (or, for files, the file's name)."""
        needles = [url, unquote(url)]
        if url.lower().startswith("file:"):
            name = Path(unquote(urlparse(url).path)).name
            needles += [name] if name else []
        for path in self.referrers:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if any(needle in text for needle in needles):
                return str(path)
        return self.document

    def fetch(self, url: str, headers: Any = None) -> Any:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            return self._fetch_file(url)
        if scheme in ("http", "https"):
            host = (urlparse(url).hostname or "").lower().rstrip(".")
            if host not in self.allowed_hosts:
                self.refuse(url, f"host {host!r} is not in [sandbox] allowed_hosts of twinprint.toml")
            return self._fetch_remote(url, headers)
        self.refuse(url, f"the {scheme or 'empty'} scheme is not allowed (only file: inside the project, data:, and allowed http(s) hosts)")

    def _fetch_file(self, url: str) -> Any:
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            self.refuse(url, f"file URLs on another host ({parsed.netloc!r}) are not allowed")
        try:
            path = Path(unquote(parsed.path)).resolve()
        except (ValueError, OSError, RuntimeError):
            self.refuse(url, "not a valid file path")
        if not self.allows_file(path):
            self.refuse(url, "outside the project")
        if not path.is_file():
            self.refuse(url, "file not found")
        if path.stat().st_size > MAX_FILE_BYTES:
            self.refuse(url, f"larger than {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
        if path.suffix.lower() == ".svg":
            note_figure("laying out", path.as_uri())
        self.fetched[path.as_uri()] = _sha256_of_file(path, data)
        if self.scale_image is not None:
            data = self.scale_image(path, data)
            size = raster_size(data)
            if size:
                self.image_sizes[path.as_uri()] = size
        # Typed by suffix as urllib types files: WeasyPrint drops a <link> stylesheet not sent as text/css.
        return weasyprint.urls.URLFetcherResponse(path.as_uri(), data, {"Content-Type": _file_type(path)})

    def allows_file(self, path: Path) -> bool:
        """Whether a document may read this (resolved) file: inside the project, or a system font."""
        return self._in_project(path) or self._is_system_font(path)

    def _in_project(self, path: Path) -> bool:
        return any(path.is_relative_to(root) for root in self.allowed_roots)

    @staticmethod
    def _is_system_font(path: Path) -> bool:
        return path.suffix.lower() in FONT_SUFFIXES and any(path.is_relative_to(root) for root in SYSTEM_FONT_ROOTS)

    def _fetch_remote(self, url: str, headers: Any) -> Any:
        deadline = time.monotonic() + self.timeout_s
        asked = request.Request(weasyprint.urls.iri_to_uri(url), headers={**REMOTE_HEADERS, **dict(headers or {})})
        try:
            # The opener itself, not URLFetcher.fetch: that one inflates compressed bodies before we could cap them.
            response = request.OpenerDirector.open(self, asked, timeout=self.timeout_s)
        except urllib.error.HTTPError as error:
            error.close()
            self.refuse(url, f"could not fetch it: HTTP {error.code} {error.reason} (redirects are not followed)")
        except (OSError, ValueError, http.client.HTTPException) as error:
            self.refuse(url, f"could not fetch it: {error}")
        encoding = response.headers.get("Content-Encoding", "identity").lower()
        if encoding not in ("identity", ""):
            response.close()
            self.refuse(url, f"compressed responses ({encoding}) are not accepted")
        data = self._read_capped(url, response, deadline)
        self.fetched[url] = hashlib.sha256(data).hexdigest()
        return weasyprint.urls.URLFetcherResponse(url, data, response.headers)

    def _read_capped(self, url: str, response: Any, deadline: float) -> bytes:
        """Read in chunks so that a slow or endless body cannot pass the time or size limit."""
        chunks: list[bytes] = []
        size = 0
        try:
            # read1 returns what has arrived, so the deadline is checked even while a server drips bytes.
            read = getattr(response, "read1", response.read)
            while chunk := read(_READ_CHUNK):
                size += len(chunk)
                if size > self.max_remote_bytes:
                    self.refuse(url, f"larger than {self.max_remote_bytes} bytes")
                if time.monotonic() > deadline:
                    self.refuse(url, f"took longer than {self.timeout_s:g} s")
                chunks.append(chunk)
        except (OSError, http.client.HTTPException) as error:
            self.refuse(url, f"could not fetch it: {error}")
        finally:
            response.close()
        return b"".join(chunks)


_digests: dict[tuple[str, int, int], str] = {}


def _sha256_of_file(path: Path, data: bytes | None = None) -> str:
    """The digest of a file's bytes (read only if not known), remembered by path, size and mtime: fonts are ~100 MB to hash."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        _digests[key] = hashlib.sha256(path.read_bytes() if data is None else data).hexdigest()
    return _digests[key]


@dataclass(frozen=True)
class QrPlacement:
    """Where a QR code goes on a page, in CSS px from the page's top-left corner."""

    page_index: int
    url: str
    x_px: float
    y_px: float
    side_px: float
    error_correction: str | None = None  # the level the layout chose for this code (data-qr-ec); None: the build's


@dataclass
class RenderedPdf:
    pdf: bytes
    page_count: int
    qr_codes: list[QrPlacement]
    fetched: dict[str, str]
    warnings: list[str]
    image_sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # see SandboxFetcher.image_sizes


@dataclass(frozen=True)
class PdfOptions:
    """What WeasyPrint is asked for, beyond the HTML: variant, tags, identifiers."""

    qr_error_correction: str = "M"
    weasyprint_options: tuple[tuple[str, Any], ...] = ()


# Batch workers install a provider of one shared font configuration per process (batch/fonts.py),
# so @font-face files are read and registered once, not once per document; None: a fresh one each time.
_font_configuration_provider: Callable[[], Any] | None = None


def use_font_configuration(provider: Callable[[], Any] | None) -> Callable[[], Any] | None:
    """Render every later document of this process with the font configuration `provider()` returns.

    Returns the provider it replaces, so a caller can put it back.
    """
    global _font_configuration_provider
    previous, _font_configuration_provider = _font_configuration_provider, provider
    return previous


def find_qr_placements(document: Any) -> list[QrPlacement]:
    placements = []
    for index, page in enumerate(document.pages):
        # placeholders=True: codes inside absolutely placed boxes (personalised fields) too.
        for box in page._page_box.descendants(placeholders=True):
            element = getattr(box, "element", None)
            url = element.get("data-qr") if element is not None else None
            if url and box.element_tag == "span" and box.width:
                placements.append(QrPlacement(index, url, box.border_box_x(), box.border_box_y(), box.border_width(),
                                              element.get("data-qr-ec")))
    return _first_box_per_element(placements)


def _first_box_per_element(placements: list[QrPlacement]) -> list[QrPlacement]:
    seen: set[tuple[int, float, float]] = set()
    unique = []
    for placement in placements:
        key = (placement.page_index, round(placement.x_px, 2), round(placement.y_px, 2))
        if key not in seen:
            seen.add(key)
            unique.append(placement)
    return unique


def qr_drawing_operators(placement: QrPlacement, page_height_px: float, error_correction: str) -> str:
    """PDF operators drawing one code (white quiet zone, black modules), marked as artifact."""
    code = make_qr(placement.url, placement.error_correction or error_correction)
    module_pt = placement.side_px * PX_TO_PT / code.side_modules
    x_pt = placement.x_px * PX_TO_PT
    top_pt = (page_height_px - placement.y_px) * PX_TO_PT
    side = code.side_modules
    return (
        f"/Artifact BMC q {module_pt:.5f} 0 0 {-module_pt:.5f} {x_pt:.3f} {top_pt:.3f} cm "
        f"1 g 0 0 {side} {side} re f 0 g {code.pdf_rectangles()} f Q EMC\n"
    )


def _draw_qr_codes(placements: list[QrPlacement], document: Any, pdf: pydyf.PDF, error_correction: str) -> None:
    by_page: dict[int, list[QrPlacement]] = {}
    for placement in placements:
        by_page.setdefault(placement.page_index, []).append(placement)
    kids = [obj for obj in pdf.objects if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page"]
    for page_index, page_placements in by_page.items():
        page_height_px = document.pages[page_index].height
        operators = "".join(qr_drawing_operators(p, page_height_px, error_correction) for p in page_placements)
        # WeasyPrint leaves its y-flip in the graphics state: restore ours around its stream.
        save = pydyf.Stream([b"q"], compress=False)
        restore_and_draw = pydyf.Stream([b"Q\n" + operators.encode()], compress=True)
        pdf.add_object(save)
        pdf.add_object(restore_and_draw)
        page = kids[page_index]
        page["Contents"] = pydyf.Array([save.reference, page["Contents"], restore_and_draw.reference])


def render_pdf(html: str, base_url: str, fetcher: SandboxFetcher, options: PdfOptions = PdfOptions(),
               after_layout: Callable[[weasyprint.Document], weasyprint.Document] | None = None) -> RenderedPdf:
    """Lay out the HTML and write the PDF; a refused resource or a WeasyPrint crash is a BuildError.

    `after_layout` may check the laid-out document (raising to stop) or return a copy with fewer pages.
    """
    warnings = _WarningCollector()
    try:
        with warnings:
            font_config = _font_configuration_provider() if _font_configuration_provider else None
            document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                font_config=font_config, **dict(options.weasyprint_options)
            )
            check_link_schemes(document, fetcher)
            if after_layout is not None:
                document = after_layout(document)
            placements = find_qr_placements(document)
            pdf_bytes = document.write_pdf(
                finisher=lambda doc, pdf: _draw_qr_codes(placements, doc, pdf, options.qr_error_correction),
                **dict(options.weasyprint_options),
            )
    except _Refused as error:
        raise FetchRefused(str(error)) from None
    except FetchRefused:
        raise
    except SvgDrawFailed as failed:
        if fetcher.refused:
            raise FetchRefused(fetcher.refused[0]) from None
        raise BuildError(f"{fetcher.document}: the SVG figure {_shown_url(failed.url)} could not be drawn: "
                         f"{_svg_reason(failed.cause)}") from failed
    except (OSError, ValueError, AssertionError, KeyError, IndexError, TypeError) as error:
        raise BuildError(f"WeasyPrint failed: {type(error).__name__}: {error}") from error
    except (MemoryError, RecursionError) as error:
        raise BuildError(f"{fetcher.document}: too large or too deeply nested to render ({type(error).__name__})") from error
    if fetcher.refused:
        # WeasyPrint swallows errors while drawing SVG images, refusals included: they still fail the build.
        raise FetchRefused(fetcher.refused[0])
    return RenderedPdf(pdf_bytes, len(document.pages), placements, dict(fetcher.fetched), warnings.messages, dict(fetcher.image_sizes))


def check_link_schemes(document: Any, fetcher: SandboxFetcher) -> None:
    """Every link the PDF will carry goes to the web, mail, a telephone or inside the document."""
    for page in document.pages:
        for link_type, target, _, _ in page.links:
            scheme = str(target).split(":", 1)[0].lower() if ":" in str(target) else ""
            if link_type == "external" and scheme not in LINK_SCHEMES:
                raise FetchRefused(f"{fetcher.referrer_of(str(target))}: refused the link {str(target)[:200]!r}: links may only "
                                   f"use {', '.join(LINK_SCHEMES)} or point inside the document (#id)")


def _shown_url(url: str) -> str:
    return unquote(urlparse(url).path) if url.startswith("file:") else url[:200]


def _svg_reason(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "it refers to itself, or nests too deeply (RecursionError)"
    return f"{type(error).__name__}: {error}"


class _WarningCollector(logging.Handler):
    """Collects WeasyPrint's warnings and errors for the build report."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> "_WarningCollector":
        weasyprint.LOGGER.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        weasyprint.LOGGER.removeHandler(self)
