"""Languages: pick each text in the wanted language, format dates, translate UI strings.

`localise()` turns an Exhibit into plain nested dicts of strings for one
language, so templates never see language mappings; every fallback to the
default language is reported with the field it happened in.
"""

from __future__ import annotations

import gettext
import io
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from markupsafe import Markup, escape
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from pydantic import BaseModel

from ..errors import UsageError
from .model import TEXT_MARKER, Exhibit, PartialDate

LOCALE_DIR = Path(__file__).parent / "locale"
BABEL_LOCALES = {"en": "en_GB", "it": "it_IT", "zh": "zh_Hans_CN"}


@dataclass
class LocalisedExhibit:
    """An exhibit in one language: plain data for templates, plus what fell back."""

    language: str
    data: dict[str, Any]
    fallbacks: list[str] = field(default_factory=list)


def html_lang(language: str) -> str:
    """The `lang` attribute of a language: Chinese is written in simplified characters."""
    return "zh-Hans" if language == "zh" else language


class ForeignText(str):
    """A text in another language than the document's (a fallback): printed tagged with its own `lang`.

    Jinja escapes through `__html__`, so `{{ field }}` prints `<span lang="en">…</span>` wherever the
    text lands, and the span is set in that language's face. In an attribute, use `| plain`.
    """

    lang: str

    def __new__(cls, text: str, lang: str) -> "ForeignText":
        made = super().__new__(cls, text)
        made.lang = lang
        return made

    def __html__(self) -> Markup:
        return Markup('<span lang="{}">{}</span>').format(self.lang, escape(str.__str__(self)))

    def __reduce__(self) -> tuple[Any, ...]:
        return ForeignText, (str.__str__(self), self.lang)


def plain(text: Any) -> str:
    """The text without its language tag, for attributes (alt, aria-label) and metadata."""
    return str.__str__(text) if isinstance(text, str) else text


def babel_locale(language: str) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(language, language))


def format_partial_date(date: PartialDate, language: str) -> str:
    """'1980', 'February 2020' or '3 July 1979', as the locale writes them."""
    locale = babel_locale(language)
    if date.precision == "year":
        return format_skeleton("y", date.as_date(), locale=locale)
    if date.precision == "month":
        return format_skeleton("yMMMM", date.as_date(), locale=locale)
    return format_date(date.as_date(), format="long", locale=locale)


def language_name(code: str, in_language: str) -> str:
    """'Chinese' / 'cinese' / '中文': a language's name as the reader's locale writes it."""
    return babel_locale(code).get_language_name(babel_locale(in_language)) or code


@lru_cache(maxsize=None)
def translations_for(language: str) -> gettext.NullTranslations:
    """Interface strings for a language, from its .po catalogue (compiled in memory)."""
    po_file = LOCALE_DIR / language / "LC_MESSAGES" / "twinprint.po"
    if not po_file.is_file():
        return gettext.NullTranslations()
    with po_file.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _is_text_annotation(annotation: Any) -> bool:
    if TEXT_MARKER in getattr(annotation, "__metadata__", ()):
        return True
    return any(_is_text_annotation(arg) for arg in typing.get_args(annotation))


def pick_text(value: str | dict[str, str], language: str, default_language: str) -> tuple[str, bool]:
    """The text in `language`; else in the default language. Returns (text, fell_back)."""
    if isinstance(value, str):
        return value, False
    if language in value:
        return value[language], False
    if default_language in value:
        return value[default_language], True
    return next(iter(value.values())), True


def text_language(value: str | dict[str, str], language: str, default_language: str) -> str:
    """Which language `pick_text` takes the text from."""
    if isinstance(value, str) or language in value:
        return language
    return default_language if default_language in value else next(iter(value))


def localised_text(value: str | dict[str, str], language: str, default_language: str) -> str:
    """The text in `language`, else the fallback as a ForeignText tagged with the language it is in."""
    text, fell_back = pick_text(value, language, default_language)
    return ForeignText(text, html_lang(text_language(value, language, default_language))) if fell_back else text


class _Localiser:
    def __init__(self, language: str, default_language: str) -> None:
        self.language = language
        self.default_language = default_language
        self.fallbacks: list[str] = []

    def text(self, value: str | dict[str, str], path: str) -> str:
        text = localised_text(value, self.language, self.default_language)
        if isinstance(text, ForeignText):
            self.fallbacks.append(path)
        return text

    def record(self, record: BaseModel, path: str) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, info in type(record).model_fields.items():
            value = getattr(record, name)
            field_path = f"{path}.{name}" if path else name
            is_text = TEXT_MARKER in info.metadata or _is_text_annotation(info.annotation)
            if value is not None and is_text:
                data[name] = self.text(value, field_path)
            else:
                data[name] = self.value(value, field_path)
        return data

    def value(self, value: Any, path: str) -> Any:
        if isinstance(value, PartialDate):
            return {"iso": value.iso(), "year": value.year, "text": format_partial_date(value, self.language)}
        if isinstance(value, BaseModel):
            return self.record(value, path)
        if isinstance(value, list):
            return [self.value(item, f"{path}[{i}]") for i, item in enumerate(value)]
        return value


def _add_quote_originals(data: dict[str, Any], exhibit: Exhibit, language: str) -> None:
    """A translated quote keeps its original wording beside the translation."""
    for section_data, section in zip(data["sections"], exhibit.sections):
        for quote_data, quote in zip(section_data["quotes"], section.quotes):
            original = quote.original_language
            quote_data["original"] = None
            if original and original != language and isinstance(quote.text, dict) and original in quote.text:
                if quote.text.get(language):
                    quote_data["original"] = quote.text[original]


def _label_links(links: list[dict[str, Any] | None], carrier_title: str) -> None:
    for link in links:
        if link is not None and link.get("label") is None:
            link["label"] = carrier_title


def _derive_link_labels(data: dict[str, Any]) -> None:
    """A link without a label is labelled with the title of what carries it (Exhibit.unlabelled_links warns)."""
    for section in data["sections"]:
        _label_links(section["links"], section["title"])
    if data["call_to_action"]:
        _label_links([data["call_to_action"]["link"]], data["call_to_action"]["heading"])
    if data["source"]:
        _label_links([data["source"]["link"]], data["source"]["organisation"])
    for contact in data["contacts"]:
        _label_links([contact["link"]], contact["name"])


def localise(exhibit: Exhibit, language: str) -> LocalisedExhibit:
    """The exhibit's texts in one language, falling back to its default language."""
    localiser = _Localiser(language, exhibit.default_language)
    data = localiser.record(exhibit, "")
    _add_quote_originals(data, exhibit, language)
    _derive_link_labels(data)
    return LocalisedExhibit(language, data, localiser.fallbacks)


def second_language(exhibit: Exhibit, variables: dict[str, str], language: str) -> LocalisedExhibit | None:
    """The exhibit in the second language of a bilingual build (`--set bilingual=zh`), if one was asked for."""
    code = variables.get("bilingual", "").strip()
    if not code or code == language:
        return None
    if code not in exhibit.languages:
        raise UsageError(f"--set bilingual={code}: expected one of the content's languages {', '.join(exhibit.languages)}")
    return localise(exhibit, code)
