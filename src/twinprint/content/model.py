"""The typed content model of an exhibit: what a content folder must say, no I/O."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..layout.qr import qr_capacity_problem
from .sanitise import find_raw_html, link_scheme_problem

from . import LANGUAGE_RE  # noqa: E402,F401 (re-exported)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
FOLDER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
R = TypeVar("R", bound="BaseModel")


def _check_language(code: Any) -> str:
    if not isinstance(code, str) or not LANGUAGE_RE.match(code):
        raise ValueError(f"expected a language code such as 'en', 'it' or 'zh', got {code!r}")
    return code


Language = Annotated[str, BeforeValidator(_check_language)]


def _check_text(value: Any) -> Any:
    for text in [value] if isinstance(value, str) else value.values() if isinstance(value, dict) else []:
        found = find_raw_html(text) if isinstance(text, str) else None
        if found:
            raise PydanticCustomError("raw-html", "HTML markup is not allowed in content text (write Markdown), found {tag}", {"tag": repr(found[1])})
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if not value:
            raise ValueError("expected a text or a mapping language -> text, got an empty mapping")
        for code, text in value.items():
            if not isinstance(code, str) or not LANGUAGE_RE.match(code):
                raise ValueError(f"expected language codes as keys (en, it, zh), got {code!r}")
            if not isinstance(text, str):
                raise ValueError(f"expected a text for language {code!r}, got {type(text).__name__}")
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a text or a mapping language -> text, got {type(value).__name__}")


class FieldProblem(ValueError):
    """A record-level problem that belongs to one field: the loader reports it at that field's own YAML line."""

    def __init__(self, field_path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.field_path = field_path


class _TextMarker:
    """Marks Text fields so the localiser can find them in any record."""


TEXT_MARKER = _TextMarker()

# A text field is a plain string (one language) or a mapping language -> string.
Text = Annotated[str | dict[str, str], BeforeValidator(_check_text), TEXT_MARKER]


class Strict(BaseModel):
    """Base of every content record: unknown keys are errors, so typos are caught."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PartialDate(Strict):
    """A date known to the year, the month or the day, as sources often give them."""

    year: int = Field(ge=1, le=9999)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("expected a date: YYYY, YYYY-MM or YYYY-MM-DD")
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return {"year": value.year, "month": value.month, "day": value.day}
        if isinstance(value, int):
            return {"year": value}
        if isinstance(value, str):
            match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value.strip())
            if not match or (match[3] and not match[2]):
                raise ValueError(f"expected a date: YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
            return {k: int(v) for k, v in zip(("year", "month", "day"), match.groups()) if v}
        return value

    @model_validator(mode="after")
    def _exists(self) -> "PartialDate":
        if self.day is not None:
            try:
                dt.date(self.year, self.month or 1, self.day)
            except ValueError as error:
                raise ValueError(f"no such day: {error}") from None
        return self

    @property
    def precision(self) -> Literal["year", "month", "day"]:
        return "day" if self.day else "month" if self.month else "year"

    def as_date(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def iso(self) -> str:
        parts = [f"{self.year:04d}"] + [f"{p:02d}" for p in (self.month, self.day) if p]
        return "-".join(parts)


class Link(Strict):
    """A URL with a label; every link a panel carries becomes a QR code.

    Without a label, layouts print the title of what carries the link (its section,
    call to action, source or contact), and the build says so in a warning.
    """

    url: str
    label: Text | None = None
    placeholder: bool = False

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        problem = link_scheme_problem(url)
        if problem:
            raise PydanticCustomError("link-scheme", problem)
        # The loosest level here; the level a build asks for is checked again by the build.
        problem = qr_capacity_problem(url, "L")
        if problem:
            raise PydanticCustomError("qr-capacity", problem)
        return url


class City(Strict):
    name: Text
    country: Text


class Source(Strict):
    organisation: Text
    publication: Text | None = None
    note: Text | None = None
    link: Link | None = None


class Credit(Strict):
    role: Text
    name: Text


class Quote(Strict):
    text: Text
    author: str
    role: Text | None = None
    # When the words were said or written, as precisely as the source gives it.
    date: PartialDate | None = None
    # The source attributes the words to the author without proof: printed "attributed to …".
    attributed: bool = False
    # The language the quote was given in by the source; other languages are translations.
    original_language: Language | None = None


class Figure(Strict):
    id: str
    image: str
    caption: Text
    alt: Text
    credit: Text | None = None


class TimelineEvent(Strict):
    date: PartialDate
    title: Text
    text: Text | None = None


class Contact(Strict):
    name: Text
    role: Text | None = None
    organisation: Text | None = None
    email: str | None = None
    phone: str | None = None
    link: Link | None = None


class CallToAction(Strict):
    heading: Text
    text: Text | None = None
    link: Link


class Venue(Strict):
    """Where and when an exhibition is shown, for posters."""

    name: Text
    city: Text | None = None
    opens: PartialDate | None = None
    closes: PartialDate | None = None


class Section(Strict):
    id: str
    title: Text
    caption: Text | None = None
    body: Text | None = None
    quotes: list[Quote] = []
    figures: list[Figure] = []
    links: list[Link] = []

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.match(value):
            raise ValueError(f"expected lowercase letters, digits and dashes, got {value!r}")
        return value


class Exhibit(Strict):
    """One partnership or exhibition: everything every layout may print."""

    # The content folder's name; it becomes a folder of the output, so it must be one plain path component.
    slug: Annotated[str, Field(pattern=FOLDER_NAME_PATTERN)]
    kind: Literal["exhibition", "partnership"]
    title: Text
    subtitle: Text | None = None
    # An introduction of a paragraph or two, printed before the first section.
    lede: Text | None = None
    # A note or disclaimer printed with the colophon ("Figures are provisional…").
    note: Text | None = None
    # Who the edition was made for ("Delegation of the City of Florence"), printed under the title.
    prepared_for: Text | None = None
    default_language: Language = "en"
    languages: list[Language] = ["en"]
    # Per language: "original", "draft" (awaiting review) or "reviewed".
    translations: dict[str, Literal["original", "draft", "reviewed"]] = {}
    cities: list[City] = Field(min_length=2, max_length=2)
    twinned_since: PartialDate
    # The year this edition speaks from (the exhibition's or survey's year); anniversaries count to it.
    year: int | None = Field(default=None, ge=1, le=9999)
    source: Source | None = None
    credits: list[Credit] = []
    keywords: list[str] = []
    venue: Venue | None = None
    hero: str | None = None
    sections: list[Section] = []
    timeline: list[TimelineEvent] = []
    contacts: list[Contact] = []
    call_to_action: CallToAction | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Exhibit":
        if self.default_language not in self.languages:
            raise FieldProblem(("default_language",), f"default_language {self.default_language!r} is not among languages {self.languages}")
        ids = [s.id for s in self.sections]
        repeated = next((n for n, i in enumerate(ids) if i in ids[:n]), None)
        if repeated is not None:
            raise FieldProblem(("sections", repeated, "id"), f"section ids must be unique, {ids[repeated]!r} is repeated")
        if self.hero and self.hero not in {f.id for f in self.figures()}:
            raise FieldProblem(("hero",), f"hero {self.hero!r} names no figure of any section")
        return self

    def figures(self) -> list[Figure]:
        return [figure for section in self.sections for figure in section.figures]

    def links(self) -> list[Link]:
        """Every link the exhibit carries, each of which a layout may print as a QR code."""
        found = [link for section in self.sections for link in section.links]
        if self.call_to_action:
            found.append(self.call_to_action.link)
        if self.source and self.source.link:
            found.append(self.source.link)
        return found

    def unlabelled_links(self) -> list[str]:
        """Field paths of the links whose label the layouts derive from what carries them."""
        return [path for path, link in find_records(self, Link) if link.label is None]

    def anniversary(self, year: int) -> int:
        """How many years the twinning has run in `year` (40 for 1980 -> 2020)."""
        return year - self.twinned_since.year


def find_records(record: BaseModel, kind: type[R], path: str = "") -> list[tuple[str, R]]:
    """Every record of `kind` inside `record`, with its field path such as `sections[0].links[1]`."""
    found: list[tuple[str, R]] = []
    for name in type(record).model_fields:
        value = getattr(record, name)
        field_path = f"{path}.{name}" if path else name
        items = [(f"{field_path}[{i}]", v) for i, v in enumerate(value)] if isinstance(value, list) else [(field_path, value)]
        for item_path, item in items:
            if isinstance(item, kind):
                found.append((item_path, item))
            elif isinstance(item, BaseModel):
                found.extend(find_records(item, kind, item_path))
    return found
