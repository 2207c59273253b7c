"""Section-chunked rendering: a long document laid out and written a few tens of pages at a time.

WeasyPrint keeps every page's layout until it writes, so memory grows with the page count. A
layout marks where its body may be cut (`CHUNK_MARK` before each element that starts on a new
page: a cut there moves no page). The body is cut there into chunks: the front matter (what
comes before the first mark), then groups of sections of about `CHUNK_BYTES` of HTML each. Each
chunk is its own WeasyPrint document (the same <head>, its part of <body>), laid out with the
page numbers, side and named strings it has in the whole (render/chunkhooks.py), written to a
PDF file and freed before the next.

Order: the front matter is laid out (not written) to count its pages, then the body chunks, then
the front matter again, now with every anchor's page number for its contents (`target-counter()`)
and links. Margin boxes that print page numbers (`counter(page)`, `counter(pages)`) are left out
of the chunks and laid out last, on empty pages of the same names and sides, and laid over the
stitched pages: so no body chunk is laid out twice, and its pages do not depend on where it starts.
A long contents is itself laid out a part at a time (`Flow`: each part cut where the whole
document breaks a page), and the overlay `OVERLAY_PAGES` at a time, so that no document grows
with the page count.

Each chunk's PDF and what its layout reported are kept in a cache folder, keyed by everything
the chunk's pages depend on: its HTML and styles, the named strings it starts with, the files it
read (checked by digest), the options, and its first page number and side only where they show
(`@page :first`/`:nth()`, page numbers outside margin boxes, `target-counter()`; `:left`/`:right`
and left/right breaks for the side). After a one-section edit only that chunk (and the front
matter and the overlay of numbers, when page counts move) is laid out again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import tempfile
import zlib
from dataclasses import asdict, dataclass, field, replace
from html import unescape
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import unquote, urlparse

import pikepdf

from ..layout.fit import LayoutOverflow
from ..request import write_atomically
from .chunkflow import FLOW_ITEMS, flow_cut, NoCut, split_flow
from .chunkhooks import ChunkPages, chunk_pages
from .collector import collected_after
from .pdf import PdfOptions, QrPlacement, RenderedPdf, SandboxFetcher, _sha256_of_file, render_pdf, use_font_configuration

from .stitch import Chunk, FontUnion, stitch_chunks

CHUNK_MARK = "<!--twinprint:chunk-->"
# Sections are grouped into chunks of about this much HTML (~20 catalogue pages of text). A document's
# fixed cost is small (~30 ms with the shared fonts); a one-section edit lays out one chunk again, so its
# share of a cold build falls with the size (measured on 200 pages: 18 % at 400 kB, 11 % at 200 kB).
CHUNK_BYTES = 200_000
# A body shorter than this renders whole: chunking it would cost more than it saves.
WHOLE_BELOW = 400_000
# A group may end early, at a section whose id hashes to 0 mod this: cuts that depend on the
# sections themselves, not on the sizes before them, so an edit moves only its own chunk's cut.
CUT_MODULUS = 4
CACHE_VERSION = "1"
# The overlay of page numbers is laid out this many pages at a time.
OVERLAY_PAGES = 200
CHUNK_CACHE_FOLDER = ".chunks"  # inside the output folder: <output folder>/.chunks/<document>/<key>.pdf|.json
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_ID = re.compile(r'\bid="([^"]*)"')
_REFERENCE = re.compile(r'"#([^"]+)"')  # href="#id", data-target="#id"

AfterLayout = Callable[[Any], Any]


@dataclass(frozen=True)
class SplitDocument:
    head: str  # everything up to and including <body ...>
    front: str  # the body before the first mark
    sections: tuple[str, ...]  # the body between marks, one per marked element
    tail: str  # </body></html>

    def chunk_html(self, body: str) -> str:
        return self.head + body + self.tail


def worth_chunking(html: str) -> bool:
    """A marked layout whose body is more than one chunk: below that, chunks would only add documents."""
    if CHUNK_MARK not in html:
        return False
    sections = split_document(html).sections
    return len(sections) > 1 and sum(len(section) for section in sections) > WHOLE_BELOW


def split_document(html: str) -> SplitDocument:
    """Cut the layout's HTML at its chunk marks (top-level comments inside <body>)."""
    opening = _BODY.search(html)
    closing = html.rfind("</body>")
    if opening is None or closing < opening.end():
        raise ValueError("no <body> to cut into chunks")
    parts = html[opening.end():closing].split(CHUNK_MARK)
    return SplitDocument(html[:opening.end()], parts[0], tuple(parts[1:]), html[closing:])


def group_sections(sections: tuple[str, ...], chunk_bytes: int) -> list[str]:
    """Consecutive sections joined into chunk bodies of about `chunk_bytes` each."""
    groups: list[str] = []
    current: list[str] = []
    size = 0
    for section in sections:
        current.append(section)
        size += len(section)
        if size >= chunk_bytes or (size >= chunk_bytes // 4 and _cut_after(section)):
            groups.append(CHUNK_MARK.join(current))
            current, size = [], 0
    if current:
        groups.append(CHUNK_MARK.join(current))
    return groups


def _cut_after(section: str) -> bool:
    found = _ID.search(section)
    return found is not None and zlib.crc32(found.group(1).encode()) % CUT_MODULUS == 0


@dataclass(frozen=True)
class Placement:
    """Whether a document's styles show where a chunk starts: its first page's number, its side."""

    offset: bool
    side: bool


_PAGE_RULE = re.compile(r"@page\b[^{]*\{")
_NUMBERED_PAGES = re.compile(r"@page\b[^{]*:(first|nth\()", re.IGNORECASE)
_SIDED = re.compile(r"@page\b[^{]*:(left|right|blank)|break-(before|after)\s*:\s*(left|right|recto|verso)", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"counters?\(\s*pages?\b", re.IGNORECASE)


def placement_shown(head: str) -> Placement:
    """Read from the styles: page numbers outside @page rules, :first/:nth() pages; :left/:right pages, sided breaks."""
    return Placement(bool(_NUMBERED_PAGES.search(head) or _PAGE_NUMBER.search(_without_page_rules(head))),
                     bool(_SIDED.search(head)))


def _without_page_rules(css: str) -> str:
    """The text with every @page { ... } block (and the margin rules nested in it) taken out."""
    kept, position = [], 0
    for found in _PAGE_RULE.finditer(css):
        if found.start() < position:
            continue
        depth, end = 1, found.end()
        while depth and end < len(css):
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            end += 1
        kept.append(css[position:found.start()])
        position = end
    return "".join(kept) + css[position:]


class _LaidOut(Exception):
    """Stops a counting pass once the pages are laid out: writing them would cost more than laying them out."""

    def __init__(self, page_count: int, entries: int | None = None) -> None:
        super().__init__(page_count)
        self.page_count, self.entries = page_count, entries


@dataclass
class ChunkResult:
    """What one chunk's layout reported, as the cache keeps it (page indexes local to the chunk)."""

    page_count: int
    anchors: dict[str, int]  # anchor -> local page index
    pages: list[tuple[str, bool]]  # per page: its @page name, and whether it is on the side of the chunk's first page
    strings_after: dict[str, str]
    qr_codes: list[dict[str, Any]]
    fetched: dict[str, str]
    warnings: list[str]
    image_sizes: dict[str, list[int]]
    read_page_numbers: bool = False
    entries: int | None = None  # a part of the contents: how many entries its pages hold


@dataclass
class ChunkedRender:
    """The chunked render of one document; `rendered_chunks` counts chunks laid out (not from the cache)."""

    rendered: RenderedPdf
    rendered_chunks: int = 0
    chunk_count: int = 0


@dataclass
class _Renderer:
    split: SplitDocument
    base_url: str
    fetcher: SandboxFetcher
    options: PdfOptions
    after_layout: AfterLayout | None
    cache: Path
    fonts: Any = None
    placement: "Placement" = field(init=False)
    rendered_chunks: int = 0
    used: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.placement = placement_shown(self.split.head)

    def render(self, body: str, settings: ChunkPages, cut: bool = False) -> tuple[ChunkResult, Path]:
        """Lay out and write one chunk (or take it from the cache); `cut`: a part of the contents, cut at its last page."""
        html = self.split.chunk_html(body) + ("<!--cut-->" if cut else "")
        keys = (self.key(html, settings, placed=False), self.key(html, settings, placed=True))
        for key in keys:
            cached = self.cached(key)
            if cached is not None:
                self.used.add(key)
                return cached, self.cache / f"{key}.pdf"
        laid_out: dict[str, Any] = {}

        def after_layout(document: Any) -> Any:
            document = self.checked(document, settings)
            where = flow_cut(document) if cut else None
            if where is not None:
                document = document.copy(document.pages[:where[0]])
            laid_out["entries"] = where[1] if where is not None else None
            laid_out["anchors"] = _first_pages(document)
            sides = [page._page_box.page_type.side for page in document.pages]
            laid_out["pages"] = [(page._page_box.page_type.name, side == sides[0]) for page, side in zip(document.pages, sides)]
            if self.fonts is not None:
                self.fonts.collect(document)
            return document

        self.fetcher.fetched, self.fetcher.image_sizes = {}, {}
        with chunk_pages(settings), collected_after():
            rendered = render_pdf(html, self.base_url, self.fetcher, self.options, after_layout=after_layout)
        self.rendered_chunks += 1
        result = ChunkResult(rendered.page_count, laid_out["anchors"], laid_out["pages"], dict(settings.strings_after),
                             [asdict(code) for code in rendered.qr_codes], rendered.fetched, rendered.warnings,
                             {url: list(size) for url, size in rendered.image_sizes.items()}, settings.read_page_numbers,
                             laid_out["entries"])
        key = keys[1] if settings.read_page_numbers or self.placement.offset else keys[0]
        self.used.add(key)
        self.store(key, result, rendered.pdf)
        return result, self.cache / f"{key}.pdf"

    def count_pages(self, body: str, settings: ChunkPages, cut: bool = False) -> ChunkResult:
        """Lay out only (the PDF is not written): how many pages, and the named strings after them."""
        html = self.split.chunk_html(body) + ("<!--cut-->" if cut else "")
        key = self.key(html, settings, placed=True) + "-count"
        self.used.add(key)
        cached = self.cached(key, with_pdf=False)
        if cached is not None:
            return cached

        def stop(document: Any) -> Any:
            document = self.checked(document, settings)
            where = flow_cut(document) if cut else None
            raise _LaidOut(where[0] if where else len(document.pages), where[1] if where else None)

        self.fetcher.fetched, self.fetcher.image_sizes = {}, {}
        try:
            with chunk_pages(settings), collected_after():
                render_pdf(html, self.base_url, self.fetcher, self.options, after_layout=stop)
        except _LaidOut as laid_out:
            self.rendered_chunks += 1
            result = ChunkResult(laid_out.page_count, {}, [], dict(settings.strings_after), [], dict(self.fetcher.fetched), [], {},
                                 entries=laid_out.entries)
            self.store(key, result, None)
            return result
        raise AssertionError("the layout was not stopped")

    def checked(self, document: Any, settings: ChunkPages) -> Any:
        """The build's checks of the laid-out pages (fit, overflow), reporting pages of the whole document."""
        try:
            return self.after_layout(document) if self.after_layout else document
        except LayoutOverflow as overflow:
            raise overflow.on_pages_after(settings.offset) from None

    def key(self, html: str, settings: ChunkPages, placed: bool) -> str:
        """The cache key; `placed`: with the chunk's first page number and side even where its styles do not show them."""
        position = asdict(settings)
        if not (placed or self.placement.offset):
            del position["offset"]
        if not (placed or self.placement.side):
            del position["right_first"]
        digest = hashlib.sha256()
        for part in (CACHE_VERSION, html, self.base_url, repr(self.options), repr(sorted(position.items()))):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return digest.hexdigest()[:32]

    def cached(self, key: str, with_pdf: bool = True) -> ChunkResult | None:
        """The stored result, if its PDF is there and every file it read is unchanged."""
        try:
            result = ChunkResult(**json.loads((self.cache / f"{key}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        if (with_pdf and not (self.cache / f"{key}.pdf").is_file()) or not all(_unchanged(url, digest) for url, digest in result.fetched.items()):
            return None
        result.pages = [(name, same) for name, same in result.pages]
        return result

    def store(self, key: str, result: ChunkResult, pdf: bytes | None) -> None:
        # Atomic, PDF first: another build of the same document may read the cache at any moment.
        if pdf is not None:
            write_atomically(self.cache / f"{key}.pdf", pdf)
        write_atomically(self.cache / f"{key}.json", json.dumps(asdict(result), ensure_ascii=False).encode("utf-8"))

    def forget_unused(self) -> None:
        for path in [*self.cache.glob("*.pdf"), *self.cache.glob("*.json")]:
            if path.stem not in self.used:
                path.unlink(missing_ok=True)


def _first_pages(document: Any) -> dict[str, int]:
    """Each anchor's first page (a section broken across pages carries its id on each)."""
    first: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            first.setdefault(name, index)
    return first


def _unchanged(url: str, digest: str) -> bool:
    if not url.startswith("file:"):
        return False  # a remote file may have changed: lay the chunk out again
    path = Path(unquote(urlparse(url).path))
    try:
        return path.is_file() and _sha256_of_file(path) == digest
    except OSError:
        return False


def render_chunked(html: str, base_url: str, fetcher: SandboxFetcher, options: PdfOptions = PdfOptions(),
                   after_layout: AfterLayout | None = None, cache_dir: Path | None = None,
                   chunk_bytes: int | None = None) -> ChunkedRender:
    """Render a marked layout chunk by chunk; the same RenderedPdf as render_pdf, page indexes of the whole."""
    split = split_document(html)
    bodies = group_sections(split.sections, chunk_bytes or CHUNK_BYTES)
    with _one_font_configuration(), tempfile.TemporaryDirectory(prefix="twinprint-chunks-", dir=_temp_parent(cache_dir)) as temporary:
        cache = Path(cache_dir) if cache_dir is not None else Path(temporary) / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        renderer = _Renderer(split, base_url, fetcher, options, after_layout, cache, FontUnion())
        rendered = _render_in_order(renderer, bodies, Path(temporary))
        if cache_dir is not None:
            renderer.forget_unused()
        return ChunkedRender(rendered, renderer.rendered_chunks, len(bodies) + 1)


@contextlib.contextmanager
def _one_font_configuration() -> Iterator[None]:
    """Every chunk of the document shares one font configuration (the @font-face files are read once):
    the batch worker's, if one is installed, else one of this document's own, as a whole render has."""
    from ..batch.fonts import SharedFontConfiguration

    installed = use_font_configuration(None)
    config = installed() if installed else SharedFontConfiguration()
    use_font_configuration(lambda: config)
    try:
        yield
    finally:
        use_font_configuration(installed)


def _temp_parent(cache_dir: Path | None) -> str | None:
    if cache_dir is None:
        return None
    Path(cache_dir).parent.mkdir(parents=True, exist_ok=True)
    return str(Path(cache_dir).parent)


def _render_in_order(renderer: _Renderer, bodies: list[str], temporary: Path) -> RenderedPdf:
    all_ids = {name: 1 for body in bodies for name in _ID.findall(body)}
    # Counting pass: the front matter's page count does not depend on the numbers in its contents.
    counted = _front_parts(renderer, all_ids, counting=True)
    for _attempt in range(2):
        results: list[tuple[ChunkResult, Path, int]] = []
        offset, strings = _pages_of(counted), counted[-1][0].strings_after
        for body in bodies:
            result, pdf = renderer.render(body, ChunkPages(offset, offset % 2 == 0, strings))
            results.append((result, pdf, offset))
            offset, strings = offset + result.page_count, result.strings_after
        targets = {name: first + index + 1 for result, _, first in results for name, index in result.anchors.items()}
        front = _front_parts(renderer, targets)
        if _pages_of(front) == _pages_of(counted):
            return _assemble(renderer, front + results, temporary)
        counted = front  # the numbers made the contents longer or shorter: lay the body out from there
    raise AssertionError("the front matter's page count does not settle")


def _references(body: str) -> set[str]:
    """The anchors a part's HTML points at, as WeasyPrint names them (entities decoded; a URL's escapes too)."""
    found = {unescape(name) for name in _REFERENCE.findall(body)}
    return found | {unquote(name) for name in found}


def _pages_of(parts: list[tuple[ChunkResult, Path | None, int]]) -> int:
    return sum(result.page_count for result, _, _ in parts)


def _front_parts(renderer: _Renderer, targets: dict[str, int], counting: bool = False) -> list[tuple[ChunkResult, Path | None, int]]:
    """The front matter, its contents a few pages at a time when long (each part cut at a page the whole would break at)."""
    flow = split_flow(renderer.split.front)
    if flow is None or len(flow.items) <= FLOW_ITEMS:
        return [_front_part(renderer, renderer.split.front, ChunkPages(targets=targets), False, counting)]
    try:
        parts: list[tuple[ChunkResult, Path | None, int]] = []
        start, first, strings = 0, 0, {}
        while start < len(flow.items):
            end = min(start + FLOW_ITEMS, len(flow.items))
            last = end == len(flow.items)
            result, pdf, _ = _front_part(renderer, flow.part(start, end), ChunkPages(first, first % 2 == 0, strings, targets),
                                         not last, counting)
            parts.append((result, pdf, first))
            start = end if last else start + (result.entries if result.entries is not None else end - start)
            first, strings = first + result.page_count, result.strings_after
        return parts
    except NoCut:
        return [_front_part(renderer, renderer.split.front, ChunkPages(targets=targets), False, counting)]


def _front_part(renderer: _Renderer, body: str, settings: ChunkPages, cut: bool,
                counting: bool) -> tuple[ChunkResult, Path | None, int]:
    # Only the numbers the part itself refers to: after an edit that moves pages, a part whose entries
    # keep their numbers keeps its cache key.
    referenced = _references(body)
    settings = replace(settings, targets={name: page for name, page in settings.targets.items() if name in referenced})
    if counting:
        return renderer.count_pages(body, settings, cut), None, settings.offset
    result, pdf = renderer.render(body, settings, cut)
    return result, pdf, settings.offset


def _assemble(renderer: _Renderer, results: list[tuple[ChunkResult, Path, int]], temporary: Path) -> RenderedPdf:
    stitched = temporary / "stitched.pdf"
    page_count = stitch_chunks([Chunk(pdf, first) for _, pdf, first in results], stitched, renderer.fonts)
    pages = [(name, "right" if same == (first % 2 == 0) else "left") for result, _, first in results for name, same in result.pages]
    overlays = []
    for start in range(0, len(pages), OVERLAY_PAGES):
        part = pages[start:start + OVERLAY_PAGES]
        settings = ChunkPages(start, part[0][1] == "right", margin="numbers-only", total=len(pages))
        overlays.append(renderer.render(_numbers_overlay_body(part), settings))
    if sum(overlay.page_count for overlay, _ in overlays) != page_count:
        raise AssertionError(f"the overlay of page numbers does not have the document's {page_count} pages")
    pdf = _laid_over(stitched, [overlay_pdf for _, overlay_pdf in overlays])
    return RenderedPdf(
        pdf, page_count,
        [replace(QrPlacement(**code), page_index=code["page_index"] + first) for result, _, first in results for code in result.qr_codes],
        {url: digest for result, _, _ in results for url, digest in result.fetched.items()},
        [warning for result, _, _ in results for warning in result.warnings] + [w for overlay, _ in overlays for w in overlay.warnings],
        {url: tuple(size) for result, _, _ in results for url, size in result.image_sizes.items()},  # type: ignore[misc]
    )


# Empty pages, each of the name and side of the document's page: only their margin boxes that print
# page numbers are laid out (chunkhooks), nothing of the page itself is painted.
_OVERLAY_STYLE = ("<style>html, body { background: none !important } @page { background: none !important; "
                  "border: none !important } .tp-total-page { height: 0; margin: 0; padding: 0 }</style>")


def _numbers_overlay_body(pages: list[tuple[str, str]]) -> str:
    return _OVERLAY_STYLE + "".join(
        f'<div class="tp-total-page" style="page: {name or "auto"}; break-before: {side}"></div>' for name, side in pages)


def _laid_over(stitched: Path, overlays: list[Path]) -> bytes:
    # The overlays stay open until the save: pikepdf copies their streams' data when it writes.
    with pikepdf.open(stitched) as whole, contextlib.ExitStack() as stack:
        index = 0
        for overlay in overlays:
            for number in stack.enter_context(pikepdf.open(overlay)).pages:
                whole.pages[index].add_overlay(number)
                index += 1
        out = io.BytesIO()
        whole.save(out)
        return out.getvalue()
