"""Author stylesheets parsed once per process, not once per document.

A batch worker, the studio and a chunked render lay out many documents with the same `<style>`
elements (a layout's CSS; every chunk of a document has the same `<head>`). WeasyPrint 70 parses
them again for each document: tinycss2, validation of every declaration, selectors compiled
into a matcher, about 20-50 ms a document. Here the parsed stylesheets are kept, keyed by their
text, base URL and media type, and what parsing does to the document besides is recorded and
replayed: its page rules, layers and counter styles, and its `@font-face` and `@color-profile`
rules, whose files are read again through the document's own font configuration and fetcher,
so each document still fetches, checks and records them as before.

Parsed as before, never kept: documents with `<link>` stylesheets or `@import` (their files may
change between documents), and stylesheets whose parse logged a warning (each document reports
its own warnings).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable

import weasyprint.css as wp_css

_original_find_stylesheets = wp_css.find_stylesheets
KEPT = 8  # distinct head styles kept: a batch alternates between a few layouts
_kept: OrderedDict[tuple, "_Parsed"] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class _Parsed:
    sheets: list[Any]
    page_rules: list[Any]
    layers: list[str]
    counter_styles: dict[str, Any]
    color_profiles: dict[str, Any]
    font_faces: list[Any]


class _FontFacesSeen:
    """The document's font configuration, noting each @font-face rule registered through it."""

    def __init__(self, fonts: Any) -> None:
        self.fonts = fonts
        self.faces: list[Any] = []

    def add_font_face(self, descriptors: Any, url_fetcher: Any) -> Any:
        self.faces.append(descriptors)
        return self.fonts.add_font_face(descriptors, url_fetcher)


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen = True


def style_key(wrapper_element: Any, media_type: str, base_url: str | None) -> tuple | None:
    """What the document's author stylesheets are made of, or None where they cannot be kept."""
    styles = []
    for wrapper in wrapper_element.query_all("style", "link"):
        element = wrapper.etree_element
        if element.tag == "link":
            if element.get("href"):
                return None
            continue
        text = wp_css.get_child_text(element)
        if "@import" in text.lower():
            return None
        styles.append((element.get("type", ""), element.get("media", ""), text))
    return (media_type, base_url, tuple(styles))


def _new_entries(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in after.items() if name not in before or before[name] is not value}


def find_stylesheets(wrapper_element: Any, device_media_type: str, url_fetcher: Any, base_url: str | None,
                     font_config: Any, counter_style: Any, color_profiles: Any, page_rules: list, layers: list) -> Iterable[Any]:
    """WeasyPrint's find_stylesheets, with the parse of a head seen before taken from memory."""
    arguments = (wrapper_element, device_media_type, url_fetcher, base_url)
    key = style_key(wrapper_element, device_media_type, base_url)
    if key is None or page_rules or layers or font_config is None:
        return _original_find_stylesheets(*arguments, font_config, counter_style, color_profiles, page_rules, layers)
    with _lock:
        parsed = _kept.get(key)
        if parsed is not None:
            _kept.move_to_end(key)
    if parsed is None:
        return _parse_and_keep(key, arguments, font_config, counter_style, color_profiles, page_rules, layers)
    for descriptors in parsed.font_faces:
        font_config.add_font_face(descriptors, url_fetcher)
    page_rules.extend(parsed.page_rules)
    layers.extend(parsed.layers)
    counter_style.update(parsed.counter_styles)
    for name, profile in parsed.color_profiles.items():
        color_profiles[name] = _fetched_again(profile, url_fetcher)
    return list(parsed.sheets)


def _fetched_again(profile: Any, url_fetcher: Any) -> Any:
    """A new ColorProfile read through this document's fetcher: WeasyPrint writes a document's
    PDF reference into it, and the fetch is part of what the document read."""
    with wp_css.fetch(url_fetcher, profile.src) as response:
        return wp_css.ColorProfile(response, profile.src, profile.rendering_intent, profile.components)


def _parse_and_keep(key: tuple, arguments: tuple, font_config: Any, counter_style: Any, color_profiles: Any,
                    page_rules: list, layers: list) -> list[Any]:
    counters_before, profiles_before = dict(counter_style), dict(color_profiles)
    fonts = _FontFacesSeen(font_config)
    warnings = _Warnings()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(warnings)
    try:
        sheets = list(_original_find_stylesheets(*arguments, fonts, counter_style, color_profiles, page_rules, layers))
    finally:
        logger.removeHandler(warnings)
    if not warnings.seen:
        parsed = _Parsed(sheets, list(page_rules), list(layers), _new_entries(counter_style, counters_before),
                         _new_entries(color_profiles, profiles_before), fonts.faces)
        with _lock:
            _kept[key] = parsed
            while len(_kept) > KEPT:
                _kept.popitem(last=False)
    return sheets


def forget() -> None:
    with _lock:
        _kept.clear()


def install() -> None:
    wp_css.find_stylesheets = find_stylesheets


install()
