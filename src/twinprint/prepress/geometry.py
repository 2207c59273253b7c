"""Layout checks on the geometry read back from every page: hidden, overprinted or cut text, empty pages, strays.

Takes the PageGeometry of a finished PDF (pagegeometry.py) and what the build
knows (the content's texts, which figures belong to which section) and gives
preflight Findings, each naming the page, the element and, where its text is
found in the content, the content field.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import astuple, dataclass
from typing import Iterable

from .marks import Box, mm
from .pagebody import body_lines, body_size, is_designed
from .pagegeometry import Glyph, Line, PageGeometry, read_geometry

SAFE_AREA_MM = 3.0
# Share of the smaller glyph two glyphs of different lines must cover to overprint.
OVERPRINT_SHARE = 0.3
# Share of the page's height a page of a multi-page document must fill.
MIN_FILL = 0.25
# A gap between lines over this many line pitches separates paragraphs.
PARAGRAPH_GAP = 1.6
LEADER_RE = re.compile(r"^[.·…\s]*\d{1,4}$")
ENTRY_NUMBER_RE = re.compile(r"^\d{1,3}\s+")


@dataclass(frozen=True)
class SectionFigures:
    """A section's anchor name (its id) and the anchor names of its figures (`figure-<id>`)."""

    section: str
    figures: tuple[str, ...]


@dataclass(frozen=True)
class GeometryProblem:
    severity: str
    message: str
    page: int  # 1-based
    box: Box | None = None  # where on the page, in PDF points (the studio draws it)

    def details(self) -> tuple[tuple[str, str], ...]:
        """The box as a Finding's details: ("box", "left bottom right top")."""
        return (("box", " ".join(f"{v:.2f}" for v in astuple(self.box))),) if self.box else ()


def around(glyphs: Iterable[Glyph]) -> Box:
    boxes = [g.box for g in glyphs]
    return Box(min(b.left for b in boxes), min(b.bottom for b in boxes), max(b.right for b in boxes), max(b.top for b in boxes))


def geometry_problems(pdf_bytes: bytes, content_texts: tuple[tuple[str, str], ...] = (),
                      sections: tuple[SectionFigures, ...] = (), laid_out: bool = True) -> list[GeometryProblem]:
    """Every geometry problem of one PDF; page fill, orphans and widows only for a document `laid_out` from content."""
    # Imported here: these build on this module's problems, sections and field names.
    from .boxedtext import text_leaving_boxes
    from .latinfaces import latin_in_cjk_faces
    from .pushedfigures import pushed_figures

    pages = read_geometry(pdf_bytes)
    fields = FieldFinder(content_texts)
    size = body_size(pages)
    problems: list[GeometryProblem] = []
    for page in pages:
        problems += hidden_text(page, fields)
        problems += overprinted_text(page, fields)
        problems += text_outside_safe_area(page, fields)
        problems += text_leaving_boxes(page, fields)
        problems += stray_leaders(page, fields)
    if laid_out and len(pages) > 1:
        problems += underfull_pages(pages, size, fields)
        problems += orphans_and_widows(pages, size, fields)
        problems += pushed_figures(pages, size, sections)
    problems += separated_figures(pages, sections)
    problems += latin_in_cjk_faces(pdf_bytes, fields)
    return problems


class FieldFinder:
    """Names the content field a printed line comes from, when its text is found in one."""

    def __init__(self, content_texts: tuple[tuple[str, str], ...]) -> None:
        self.texts = [(name, _normalised(text)) for name, text in content_texts]

    def field_of(self, text: str) -> str | None:
        needle = _normalised(text)
        # A short text is named only by a field that is exactly it: "Firenze" is in many fields.
        for name, haystack in self.texts:
            if needle and (needle == haystack or len(needle) >= 12 and needle in haystack):
                return name
        return None

    def describe(self, text: str) -> str:
        name = self.field_of(text)
        return f" (field {name})" if name else ""


def _normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\x02", "").replace("\xad", "")
    return re.sub(r"[\s\-‐‑–—]+", "", text).casefold()


def _quoted(text: str, limit: int = 48) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# --- hidden and overprinted text --------------------------------------------------------------

def hidden_text(page: PageGeometry, fields: FieldFinder) -> list[GeometryProblem]:
    problems = []
    for line in page.lines:
        hidden = [g for g in line.inked if not g.visible]
        if len(hidden) < min(2, len(line.inked)):
            continue
        text = line.text
        cover = _covering_drawing(page, hidden)
        where = f"under a {cover}" if cover else "clipped, or drawn in the colour behind it"
        share = "" if len(hidden) == len(line.inked) else f" ({len(hidden)} of {len(line.inked)} characters)"
        problems.append(GeometryProblem("error", f"text {_quoted(text)}{fields.describe(text)} is hidden{share}: {where}",
                                        page.index + 1, around(hidden)))
    return problems


def _covering_drawing(page: PageGeometry, glyphs: list[Glyph]) -> str | None:
    """What lies over hidden glyphs: a figure before a shape, the smallest drawing that holds them."""
    found = []
    for drawing in page.drawings:
        if all(drawing.box.contains(_centre(g.box), 0.5) for g in glyphs):
            found.append((drawing.kind == "shape", drawing.box.width * drawing.box.height, drawing.kind))
    if not found:
        return None
    kind = min(found)[2]
    return "figure" if kind in ("image", "figure") else "shape or background"


def _centre(box: Box) -> Box:
    x, y = (box.left + box.right) / 2, (box.bottom + box.top) / 2
    return Box(x, y, x, y)


def overprinted_text(page: PageGeometry, fields: FieldFinder) -> list[GeometryProblem]:
    cells: dict[tuple[int, int], list[tuple[int, Glyph]]] = defaultdict(list)
    clashes: set[tuple[int, int]] = set()
    for number, line in enumerate(page.lines):
        for glyph in line.inked:
            if not glyph.visible:
                continue
            for cell in _cells(glyph.box):
                for other_number, other in cells[cell]:
                    if other_number != number and _overprints(glyph.box, other.box):
                        clashes.add((other_number, number))
                cells[cell].append((number, glyph))
    problems = []
    for first, second in sorted(clashes):
        above, below = page.lines[first].text, page.lines[second].text
        problems.append(GeometryProblem("error", f"text {_quoted(below)}{fields.describe(below)} overprints "
                                        f"{_quoted(above)}{fields.describe(above)}", page.index + 1,
                                        around(page.lines[first].inked + page.lines[second].inked)))
    return problems


def _cells(box: Box, size: float = 24.0) -> Iterable[tuple[int, int]]:
    for x in range(int(box.left // size), int(box.right // size) + 1):
        for y in range(int(box.bottom // size), int(box.top // size) + 1):
            yield x, y


def _overprints(a: Box, b: Box) -> bool:
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.top, b.top) - max(a.bottom, b.bottom)
    if width <= 0 or height <= 0:
        return False
    return width * height > OVERPRINT_SHARE * min(a.width * a.height, b.width * b.height)


# --- the trim's safe area -------------------------------------------------------------------------

def text_outside_safe_area(page: PageGeometry, fields: FieldFinder) -> list[GeometryProblem]:
    safe = page.trim.grown(-mm(SAFE_AREA_MM))
    problems = []
    for line in page.lines:
        out = [g for g in line.inked if _meets(g.box, page.trim.grown(mm(SAFE_AREA_MM))) and not safe.contains(g.box, 0.25)]
        if out:
            text = line.text
            cut = any(not page.trim.contains(g.box, 0.25) for g in out)
            what = "crosses the trim (it will be cut)" if cut else f"lies within {SAFE_AREA_MM:g} mm of the trim"
            # A label drawn inside a picture belongs to the picture: worth a look, not a layout error.
            in_figure = all(any(d.kind == "figure" and d.box.contains(g.box, 0.5) for d in page.drawings) for g in out)
            problems.append(GeometryProblem("warning" if in_figure else "error",
                                            f"text {_quoted(text)}{fields.describe(text)}{' in a figure' * in_figure} {what}",
                                            page.index + 1, around(out)))
    return problems


def _meets(a: Box, b: Box) -> bool:
    return a.left < b.right and b.left < a.right and a.bottom < b.top and b.bottom < a.top


# --- contents entries -----------------------------------------------------------------------------

def stray_leaders(page: PageGeometry, fields: FieldFinder = FieldFinder(())) -> list[GeometryProblem]:
    """A leader and page number on a line of their own: the contents entry they belong to ran onto two lines."""
    problems = []
    for number, line in enumerate(page.lines):
        text = line.text
        if LEADER_RE.match(text) and text.count(".") + text.count("·") + text.count("…") >= 3:
            before = page.lines[number - 1].text if number else ""
            entry = ENTRY_NUMBER_RE.sub("", before)  # the entry's own text, without its number
            problems.append(GeometryProblem("error", f"contents entry {_quoted(before)}{fields.describe(entry)}: its leader and page number "
                                            "sit on a line of their own", page.index + 1))
    return problems


# --- pages and paragraphs -----------------------------------------------------------------------

def _fill(page: PageGeometry, body_size: float) -> float:
    """Share of the page's height from its first to its last text line or drawing (running heads and folios aside)."""
    spans = [(line.box.bottom, line.box.top) for line in body_lines(page, body_size)]
    spans += [(d.box.bottom, d.box.top) for d in page.drawings if d.box.width > 2 and d.box.height > 2]
    if not page.trim.height:
        return 1.0
    if not spans:
        return 0.0
    top = min(max(top for _, top in spans), page.trim.top)
    bottom = max(min(bottom for bottom, _ in spans), page.trim.bottom)
    return max(0.0, top - bottom) / page.trim.height


def underfull_pages(pages: list[PageGeometry], body_size: float, fields: FieldFinder = FieldFinder(())) -> list[GeometryProblem]:
    """Pages under a quarter full; a chapter's last page before a page that opens another is only a warning."""
    openers = {a.page_index for p in pages for a in p.anchors if not a.name.startswith("figure-")
               and a.top_pt >= p.trim.top - p.trim.height * 0.3}
    problems = []
    for page in pages:
        fill = _fill(page, body_size)
        if fill >= MIN_FILL or is_designed(page):
            continue
        chapter_end = page.index + 1 in openers
        severity = "warning" if chapter_end else "error"
        last = body_lines(page, body_size)
        tail = f", last line {_quoted(last[-1].text)}{fields.describe(last[-1].text)}" if last else ""
        problems.append(GeometryProblem(severity, f"page {page.index + 1} is {fill:.0%} full (under {MIN_FILL:.0%}{tail})"
                                        + (": a chapter's last page" if chapter_end else ""), page.index + 1))
    return problems


def _line_pitch(pages: list[PageGeometry], body_size: float) -> float:
    """The usual distance between baselines of running text."""
    gaps = sorted(round(a.box.bottom - b.box.bottom, 1) for page in pages for a, b in zip(page.lines, page.lines[1:])
                  if abs(a.size_pt - body_size) < 0.2 and abs(b.size_pt - body_size) < 0.2 and 0 < a.box.bottom - b.box.bottom < 3 * body_size)
    return gaps[len(gaps) // 2] if gaps else body_size


def _paragraph_gap(lines: list[Line], index: int, pitch: float) -> bool:
    """Whether a paragraph (or block) break lies before lines[index]."""
    if index == 0:
        return True
    gap = lines[index - 1].box.bottom - lines[index].box.bottom
    return gap > PARAGRAPH_GAP * pitch or gap < 0 or abs(lines[index].box.left - lines[index - 1].box.left) > 2 * lines[index].size_pt


def orphans_and_widows(pages: list[PageGeometry], body_size: float, fields: FieldFinder) -> list[GeometryProblem]:
    """A paragraph's first line alone at a page's foot, or its last alone at the next page's head."""
    problems = []
    pitch = _line_pitch(pages, body_size)
    for page, following in zip(pages, pages[1:]):
        here_all, there_all = body_lines(page, body_size), body_lines(following, body_size)
        here = [l for l in here_all if abs(l.size_pt - body_size) < 0.2]
        there = [l for l in there_all if abs(l.size_pt - body_size) < 0.2]
        if is_designed(page) or is_designed(following) or not here or not there or not _runs_on(here, there, fields):
            continue
        # Only the page's very last and the next page's very first lines can be orphan and widow (not a line with a figure
        # or a smaller text after it).
        if here[-1] is not here_all[-1] or there[0] is not there_all[0]:
            continue
        if _paragraph_gap(here, len(here) - 1, pitch) and (len(there) < 2 or not _paragraph_gap(there, 1, pitch)):
            text = here[-1].text
            problems.append(GeometryProblem("error", f"orphan: {_quoted(text)}{fields.describe(text)}, a paragraph's first line, "
                                            "alone at the foot of the page", page.index + 1))
        if len(there) == 1 or _paragraph_gap(there, 1, pitch):
            text = there[0].text
            problems.append(GeometryProblem("error", f"widow: {_quoted(text)}{fields.describe(text)}, a paragraph's last line, "
                                            "alone at the head of the page", following.index + 1))
    return problems


def _runs_on(here: list[Line], there: list[Line], fields: FieldFinder) -> bool:
    """Whether the last body line of a page continues on the next: same column, full measure, no heading between,
    not two lines known to come from different fields (two timeline events)."""
    last, first = here[-1], there[0]
    others = here[:-1] + there
    fields_of = {fields.field_of(last.text), fields.field_of(first.text)}
    if not others or None not in fields_of and len(fields_of) == 2:
        return False
    full = last.box.width >= 0.96 * max(l.box.width for l in others)
    return full and not last.text.endswith((".", "。", "!", "?", ":", "！", "？", "：")) and abs(first.box.left - last.box.left) < 2 * first.size_pt


# --- figures and their sections -------------------------------------------------------------------

def separated_figures(pages: list[PageGeometry], sections: tuple[SectionFigures, ...]) -> list[GeometryProblem]:
    """A figure placed after another section's heading, away from the text it belongs to."""
    where = {a.name: (a.page_index, -a.top_pt) for p in pages for a in p.anchors}
    headings = [(where[s.section], s.section) for s in sections if s.section in where]
    fields = figure_fields(sections)
    problems = []
    for section in sections:
        start = where.get(section.section)
        for figure in section.figures:
            placed = where.get(figure)
            if start is None or placed is None:
                continue
            between = [name for position, name in headings if name != section.section and start < position < placed]
            if between:
                field = f" (field {fields[figure]})"
                problems.append(GeometryProblem("error", f"figure {figure.removeprefix('figure-')!r}{field} of section {section.section!r} "
                                                f"is placed after the heading of section {between[0]!r}", placed[0] + 1))
    return problems


def figure_fields(sections: tuple[SectionFigures, ...]) -> dict[str, str]:
    """Figure anchor -> its content field, `sections[1].figures[0]`."""
    return {figure: f"sections[{s}].figures[{f}]" for s, section in enumerate(sections) for f, figure in enumerate(section.figures)}


def section_figures(content: dict) -> tuple[SectionFigures, ...]:
    """Which figure anchors belong to which section anchor, from the localised content data."""
    return tuple(SectionFigures(str(s.get("id")), tuple(f"figure-{f.get('id')}" for f in s.get("figures") or ()))
                 for s in content.get("sections") or () if isinstance(s, dict))
