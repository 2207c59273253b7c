"""Variable-data booklets: one copy per recipient, the shared body rendered once.

A layout marks its personal pages (`data-personal-page`, with an id) and their
recipient fields (`data-personal`, absolutely placed, see layouts/partials/personal.css).
The body is rendered once with the fields left out (and kept for the next run with the same
content, personal_body.py); the fields of the recipients
are rendered once more, as layer documents of at most LAYER_BATCH recipients with
the personal pages only; each copy is the body with its recipient's layer pages
placed over the personal pages (personal_stream.py, pikepdf). Pages are placed,
never re-rendered, so page numbers and contents cannot depend on the recipient.
`merge` writes one print stream in which every copy's body pages share the body's
content streams and resources.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import ctypes.util
import dataclasses
import io
import re
import tempfile
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

import pikepdf
from weasyprint import Document, Page
from weasyprint.formatting_structure.boxes import ParentBox

from .batch.fonts import fonts_shared_while
from .build import BuildRequest, render_fitted, request_design, sandbox_for, template_context
from .content.i18n import localise
from .content.load import load_exhibit
from .layout.design import Design, design_context
from .errors import BuildError, ContentError, Problem
from .layout.templates import LayoutRequest, layout_search_path, render_layout_html
from .content.model import Exhibit
from .prepress.pdfscan import scan_pages
from .prepress.preflight import missing_characters
from .prepress.profiles import finish_pdf, get_profile, profile_html
from .layout.qr import qr_capacity_problem
from .names import slug
from .personal_body import Body, kept_or_rendered
from .personal_stream import write_copies, write_merged
from .render.collector import collected_after
from .render.pdf import PdfOptions, render_pdf

REQUIRED_COLUMNS = ("name", "url")
KNOWN_COLUMNS = ("name", "title", "organisation", "url")
COLUMN_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_RECIPIENTS = 10_000
# A name becomes part of a file name and must fit its personal page: longer values are mistakes.
MAX_FIELD_CHARS = 300
# Recipients per layer document. WeasyPrint holds a document's layout and then all its drawn pages
# until the PDF is written (~0.7 MB per recipient, 3 personal pages); 50 keeps 1000 copies well
# under 400 MB for a few per cent more time than 100 (benchmarks/bench_personalise.py).
LAYER_BATCH = 50
try:  # glibc's malloc_trim returns freed heap pages to the system; elsewhere memory is only reused
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
except (OSError, AttributeError):
    _LIBC = None
VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta source track wbr".split())


@dataclass(frozen=True)
class Recipient:
    """One CSV row: who receives a copy, and the link of their personal QR code."""

    line: int
    name: str
    url: str
    title: str = ""
    organisation: str = ""
    extra: tuple[tuple[str, str], ...] = ()
    file: str = ""  # the CSV it was read from, for problems found later

    def variables(self) -> dict[str, str]:
        """What the layout sees: vars.recipient, vars.recipient_title, …, vars.recipient_<extra column>."""
        fields = {"recipient": self.name, "recipient_url": self.url, "recipient_title": self.title,
                  "recipient_organisation": self.organisation}
        return {key: value for key, value in fields.items() if value} | {f"recipient_{k}": v for k, v in self.extra if v}

    def file_stem(self, index: int) -> str:
        """`001-chen-lei`: the row's number keeps names unique, the transliterated name makes them readable."""
        return f"{index + 1:03d}-{slug(self.name)}"


def read_recipients(file: Path, qr_error_correction: str = "M") -> list[Recipient]:
    """Read the recipients CSV (UTF-8, a header row); every problem names the file, line and column."""
    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError.single(file, "", f"cannot read the recipients: {error}", "unreadable") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ContentError.single(file, "", f"expected a header row with the columns {', '.join(KNOWN_COLUMNS)}", "empty", 1)
    header = [column.strip().lower() for column in rows[0]]
    problems = _header_problems(file, header)
    if problems:
        raise ContentError(problems)
    recipients, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        recipient, row_problems = _recipient(file, number, header, row, qr_error_correction)
        problems += row_problems
        if recipient:
            recipients.append(recipient)
    if not recipients and not problems:
        problems.append(Problem(str(file), "", "expected at least one recipient row below the header", "empty", 2))
    if len(recipients) > MAX_RECIPIENTS:
        problems.append(Problem(str(file), "", f"more than {MAX_RECIPIENTS} recipients: split the file", "too-many"))
    if problems:
        raise ContentError(problems)
    return recipients


def _header_problems(file: Path, header: list[str]) -> list[Problem]:
    problems = [Problem(str(file), column, "required column is missing", "missing", 1) for column in REQUIRED_COLUMNS if column not in header]
    problems += [Problem(str(file), column or f"column {n + 1}", "expected a column name of lowercase letters, digits and _", "column-name", 1)
                 for n, column in enumerate(header) if not COLUMN_RE.match(column)]
    problems += [Problem(str(file), column, "column appears twice", "duplicate-column", 1) for column in sorted({c for c in header if header.count(c) > 1})]
    return problems


def _recipient(file: Path, line: int, header: list[str], row: list[str], level: str) -> tuple[Recipient | None, list[Problem]]:
    if len(row) != len(header):
        return None, [Problem(str(file), "", f"expected {len(header)} columns like the header, found {len(row)}", "columns", line)]
    values = {column: cell.strip() for column, cell in zip(header, row)}
    problems = [Problem(str(file), column, "expected a value", "missing", line) for column in REQUIRED_COLUMNS if not values[column]]
    problems += [Problem(str(file), column, f"expected at most {MAX_FIELD_CHARS} characters, got {len(value)}", "too-long", line)
                 for column, value in values.items() if len(value) > MAX_FIELD_CHARS]
    url = values["url"]
    if url and not re.match(r"^https?://[^\s/]+", url):
        problems.append(Problem(str(file), "url", f"expected an http(s) link for the personal QR code, got {url[:80]!r}", "url", line))
    elif url and (message := qr_capacity_problem(url, level)):
        problems.append(Problem(str(file), "url", message, "qr-capacity", line))
    if problems:
        return None, problems
    extra = tuple((column, values[column]) for column in header if column not in KNOWN_COLUMNS)
    return Recipient(line, values["name"], url, values.get("title", ""), values.get("organisation", ""), extra, str(file)), []


@dataclass
class PersonalisedSet:
    """What `personalise` made: one file per recipient, or one merged print stream."""

    outputs: list[Path]
    copies: int
    pages_per_copy: int
    personal_pages: list[int]  # 0-based page indices replaced per recipient
    warnings: list[str]
    body_kept: bool = False  # the shared body was taken from the last run's (personal_body.py)


def _named_pages(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Element ids (named destinations) -> 0-based page index, first occurrence."""
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    index_of = {page.objgen: n for n, page in enumerate(pdf.pages)}
    found: dict[str, int] = {}
    for name, dest in pikepdf.NameTree(names.Dests).items():
        target = dest[0] if isinstance(dest, pikepdf.Array) else dest.D[0]
        if name not in found and target.objgen in index_of:
            found[name] = index_of[target.objgen]
    return found


class _PersonalSections(HTMLParser):
    """Each personal page section of a layer document: its start tag and the source of its recipient fields."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.html = html
        self.sections: list[tuple[str, list[str]]] = []
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", html)]
        self._depth = 0
        self._section_depth: int | None = None
        self._field: tuple[int, int] | None = None  # source offset and depth of the open field
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_ELEMENTS:
            return
        self._depth += 1
        names = {name for name, _ in attrs}
        if "data-personal-page" in names and self._section_depth is None:
            self._section_depth = self._depth
            self.sections.append((self.get_starttag_text() or "", []))
        elif "data-personal" in names and self._section_depth is not None and self._field is None:
            self._field = (self._offset(), self._depth)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        if self._field is not None and self._field[1] == self._depth:
            end = self.html.index(">", self._offset()) + 1
            self.sections[-1][1].append(self.html[self._field[0]:end])
            self._field = None
        if self._section_depth == self._depth:
            self._section_depth = None
        self._depth -= 1


def _recipient_documents(exhibit: Exhibit, request: BuildRequest, recipients: list[Recipient], design: Design) -> list[str]:
    """Each recipient's layer HTML (pages=layer). The template context is made once and only `vars`
    changes: recipient fields are vars.recipient_*, which nothing else in the context reads."""
    layout = LayoutRequest(request.layout, request.language, tuple(layout_search_path(request.project_root)))
    first = _with_variables(request, recipients[0], "layer")
    shared = template_context(exhibit, localise(exhibit, request.language), first) | design_context(design)
    return [render_layout_html(layout, shared | {"vars": dict(_with_variables(request, r, "layer").variables)}) for r in recipients]


def _layer_html(documents: list[str], layout: str) -> str:
    """One HTML page per personal page, holding the fields of every recipient, each marked with its number.

    Laid out once, those few pages are then split into one page per recipient and personal page
    (`_one_page_per_recipient`): WeasyPrint's cost per page is paid for a handful of pages, not hundreds.
    """
    head, body_tag, _ = re.split(r"(<body[^>]*>)", documents[0], maxsplit=1)
    parsed = [_PersonalSections(html[html.index("<body"):]).sections for html in documents]
    if any(len(sections) != len(parsed[0]) for sections in parsed):
        raise BuildError(f"layout {layout!r}: recipients do not all have the same personal pages")
    pages = []
    for kind, (start_tag, _) in enumerate(parsed[0]):
        fields = [re.sub(r"^<(\w+)", rf'<\1 data-recipient="{number}"', field, count=1)
                  for number, sections in enumerate(parsed) for field in sections[kind][1]]
        pages.append(start_tag + "".join(fields) + "</section>")
    return head + body_tag + "".join(pages) + "</body></html>"


def _only_recipient(box: Any, number: str) -> Any:
    """A copy of a laid-out box tree without the fields of other recipients."""
    children = []
    for child in box.children:
        element = getattr(child, "element", None)
        tagged = element.get("data-recipient") if element is not None else None
        if tagged is None and isinstance(child, ParentBox):
            child = _only_recipient(child, number)
        if tagged in (None, number):
            children.append(child)
    return box.copy_with_children(children)


def _one_page_per_recipient(document: Document, recipients: int) -> Document:
    """After layout: recipient by recipient, one page per personal page with only that recipient's fields."""
    pages = [Page(_only_recipient(page._page_box, str(number))) for number in range(recipients) for page in document.pages]
    return document.copy(pages)


def _with_variables(request: BuildRequest, recipient: Recipient, pages: str) -> BuildRequest:
    variables = dict(request.variables) | recipient.variables() | {"pages": pages}
    return dataclasses.replace(request, variables=tuple(sorted(variables.items())))


def _render_body(exhibit: Exhibit, request: BuildRequest) -> Body:
    """The pages every copy shares, with the recipient fields left out (`request`: pages=static)."""
    body, _ = render_fitted(exhibit, request)
    body_pdf, _ = finish_pdf(body.pdf, get_profile(request.profile), request.bleed_mm)
    return Body(body_pdf, body.warnings, body.fetched)


def _render_layer(exhibit: Exhibit, request: BuildRequest, recipients: list[Recipient], design: Design) -> tuple[bytes, list[str]]:
    """The personal pages of these recipients, fields only, one page per recipient and personal page."""
    documents = _recipient_documents(exhibit, request, recipients, design)
    html = profile_html(_layer_html(documents, request.layout), request.profile, request.bleed_mm,
                        tuple(layout_search_path(request.project_root)))
    base_url = Path(request.content_dir).resolve().as_uri() + "/"
    layer = render_pdf(html, base_url, sandbox_for(request), PdfOptions(qr_error_correction=request.qr_error_correction),
                       after_layout=partial(_one_page_per_recipient, recipients=len(recipients)))
    return layer.pdf, [w for w in layer.warnings if "anchor" not in w.lower()]


def layer_batches(recipients: list[Recipient], size: int = LAYER_BATCH) -> list[list[Recipient]]:
    """Recipients in runs of at most `size`: one layer document each, so its layout (held by
    WeasyPrint until written) does not grow with the number of copies."""
    return [recipients[start:start + size] for start in range(0, len(recipients), size)]


@contextlib.contextmanager
def freed_after() -> Iterator[None]:
    """Around one render (the body, a layer batch): its box trees collected (collected_after) and the
    freed heap handed back to the system, so the next render's peak starts from what is kept, not
    from the last one's high-water mark."""
    with collected_after():
        yield
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def undrawable_characters(layer: pikepdf.Pdf, recipients: list[Recipient]) -> list[Problem]:
    """Per CSV row, the characters of its fields that the fonts drew as empty boxes (as build's preflight finds them)."""
    per_copy = len(layer.pages) // len(recipients)
    by_recipient: dict[int, set[str]] = {}
    for character, pages in missing_characters(scan_pages(layer)).items():
        for page in pages:
            by_recipient.setdefault((page - 1) // per_copy, set()).add(character)
    problems = []
    for number, characters in sorted(by_recipient.items()):
        recipient = recipients[number]
        columns = [("name", recipient.name), ("title", recipient.title), ("organisation", recipient.organisation), *recipient.extra]
        column = next((c for c, value in columns if characters & set(value)), "name")
        listed = " ".join(f"{c} (U+{ord(c):04X})" for c in sorted(characters))
        problems.append(Problem(recipient.file, column, f"characters the fonts cannot draw (printed as boxes): {listed}", "glyphs", recipient.line))
    return problems


def _personal_pages(body: pikepdf.Pdf, layer: pikepdf.Pdf, recipients: int, layout: str) -> list[int]:
    """Body page indices of the personal pages, matched to the layer's first copy by element id."""
    if len(layer.pages) == 0 or len(layer.pages) % recipients:
        raise BuildError(f"layout {layout!r}: its recipient layer has {len(layer.pages)} pages for {recipients} recipients; "
                         "a personal page must stay one page whatever the name (see layouts/partials/personal.css)")
    per_copy = len(layer.pages) // recipients
    layer_ids = sorted((index, name) for name, index in _named_pages(layer).items() if index < per_copy)
    body_ids = _named_pages(body)
    pages = [body_ids.get(name) for _, name in layer_ids]
    if len(layer_ids) != per_copy or None in pages or len(set(pages)) != per_copy:
        raise BuildError(f"layout {layout!r} has no personal pages that twinprint can place: mark each with "
                         "data-personal-page and an id, its recipient fields with data-personal")
    return [p for p in pages if p is not None]


def personalised_paths(request: BuildRequest, recipients: list[Recipient], merge: bool) -> list[Path]:
    """build/<slug>/<layout>-personal.<lang>.pdf when merged, else one file per recipient in <layout>-personal/."""
    folder = Path(request.output_dir) / Path(request.content_dir).resolve().name
    if merge:
        return [folder / f"{request.layout}-personal.{request.language}.pdf"]
    return [folder / f"{request.layout}-personal" / f"{r.file_stem(i)}.{request.language}.pdf" for i, r in enumerate(recipients)]


def personalise(request: BuildRequest, recipients: list[Recipient], merge: bool = False) -> PersonalisedSet:
    """Make one copy per recipient (or one merged stream); outputs are written atomically.

    Every layer batch is rendered and checked before the first output is written, so a row with
    characters the fonts cannot draw leaves nothing behind. The layers wait in a temporary folder:
    pikepdf reads them from there as it places their pages, memory holds none of them whole.
    """
    if not recipients:
        raise BuildError("personalise: no recipients")
    with tempfile.TemporaryDirectory(prefix="twinprint-layers-") as spool:
        body_pdf, layers, personal, warnings, kept = _render_and_check(request, recipients, Path(spool))
        outputs = personalised_paths(request, recipients, merge)
        if merge:
            write_merged(body_pdf, layers, personal, outputs[0])
        else:
            write_copies(body_pdf, layers, personal, outputs)
    with pikepdf.open(io.BytesIO(body_pdf)) as body:
        pages = len(body.pages)
    return PersonalisedSet(outputs, len(recipients), pages, personal, warnings, kept)


def _render_and_check(request: BuildRequest, recipients: list[Recipient], spool: Path) -> tuple[bytes, list[Path], list[int], list[str], bool]:
    """The body, and the layer files of every batch in `spool`, with the personal page indices and
    whether the body was kept from the last run; raises
    ContentError naming every row whose characters the fonts cannot draw."""
    layers: list[Path] = []
    personal: list[int] = []
    problems: list[Problem] = []
    with fonts_shared_while():
        exhibit = load_exhibit(request.content_dir)
        static = _with_variables(request, recipients[0], "static")
        with freed_after():
            shared, kept = kept_or_rendered(static, partial(_render_body, exhibit, static))
        body_pdf, warnings = shared.pdf, list(shared.warnings)
        design = request_design(static)
        with pikepdf.open(io.BytesIO(body_pdf)) as body:
            for batch in layer_batches(recipients):
                with freed_after():
                    layer_pdf, layer_warnings = _render_layer(exhibit, request, batch, design)
                warnings += [w for w in layer_warnings if w not in warnings]
                layers.append(spool / f"layer-{len(layers):05d}.pdf")
                layers[-1].write_bytes(layer_pdf)
                with pikepdf.open(layers[-1]) as layer:
                    found = _personal_pages(body, layer, len(batch), request.layout)
                    if personal and found != personal:
                        raise BuildError(f"layout {request.layout!r}: recipients do not all have the same personal pages")
                    personal = found
                    problems += undrawable_characters(layer, batch)
    if problems:
        raise ContentError(problems)
    return body_pdf, layers, personal, warnings, kept
