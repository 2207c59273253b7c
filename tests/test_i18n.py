"""Languages: message catalogues cover every layout string, Babel dates, fallbacks with warnings, bilingual data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from conftest import CONTENT, PROJECT_ROOT
from twinprint.build import BuildRequest, build_document
from twinprint.errors import UsageError
from twinprint.content.i18n import LOCALE_DIR, format_partial_date, language_name, localise, second_language, translations_for
from twinprint.content.model import PartialDate

TRANSLATED = ("it", "zh")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def layout_messages() -> dict[str, list[str]]:
    """Every _("…") in the built-in templates and stylesheets, with where it is used."""
    options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trim_blocks": "true", "lstrip_blocks": "true"}
    found: dict[str, list[str]] = {}
    method_map = [("**.html", "jinja2.ext:babel_extract"), ("**.css", "jinja2.ext:babel_extract")]
    for filename, line, message, _, _ in extract_from_dir(str(PROJECT_ROOT / "layouts"), method_map, {"**": options}):
        found.setdefault(message, []).append(f"{filename}:{line}")
    return found


def catalogue(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "twinprint.po").open("rb") as handle:
        return read_po(handle, locale=language)


def test_layouts_use_interface_strings():
    messages = layout_messages()
    assert {"Contents", "Scan for more", "Timeline", "Presented to", "Page"} <= set(messages)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_layout_string_has_a_translation(language):
    entries = {message.id: message for message in catalogue(language) if message.id}
    missing = {msgid: where for msgid, where in layout_messages().items() if msgid not in entries or not entries[msgid].string}
    assert not missing, f"untranslated in {language}: {missing}"
    assert not [m.id for m in entries.values() if m.fuzzy], "fuzzy entries are not used"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language):
    for message in catalogue(language):
        if message.id:
            assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(message.id)), message.id


def test_catalogues_are_compiled_in_memory():
    assert translations_for("zh").gettext("Contents") == "目录"
    assert translations_for("it").gettext("Sister cities since %(year)s") % {"year": 1980} == "Città gemelle dal 1980"
    assert translations_for("fr").gettext("Contents") == "Contents"


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("2020-03-25", "en", "25 March 2020"), ("2020-03-25", "it", "25 marzo 2020"), ("2020-03-25", "zh", "2020年3月25日"),
    ("2020-02", "it", "febbraio 2020"), ("2020-02", "zh", "2020年2月"), ("1405", "zh", "1405年"),
])
def test_dates_are_written_as_each_locale_writes_them(text, language, expected):
    assert format_partial_date(PartialDate.model_validate(text), language) == expected


def test_language_names_are_in_the_readers_language():
    assert language_name("zh", "en") == "Chinese"
    assert language_name("zh", "it") == "cinese"
    assert language_name("it", "zh") == "意大利语"


def test_bilingual_mode_localises_a_second_language(seed_exhibits):
    exhibit = seed_exhibits["nanjing-florence"]
    second = second_language(exhibit, {"bilingual": "zh"}, "en")
    assert second is not None and second.data["title"] == "南京—佛罗伦萨：双城记"
    assert second_language(exhibit, {"bilingual": "en"}, "en") is None
    assert second_language(exhibit, {}, "en") is None
    with pytest.raises(UsageError, match="bilingual=fr: expected one of the content's languages en, it, zh"):
        second_language(exhibit, {"bilingual": "fr"}, "en")


def test_seed_translations_are_complete_and_marked_as_drafts(seed_exhibits):
    for exhibit in seed_exhibits.values():
        assert exhibit.translations == {"en": "original", "it": "draft", "zh": "draft"}
        for language in TRANSLATED:
            assert localise(exhibit, language).fallbacks == []


def content_without_a_translation(tmp_path: Path) -> Path:
    folder = tmp_path / "nanjing-florence"
    shutil.copytree(CONTENT / "nanjing-florence", folder)
    exhibit = folder / "exhibit.yaml"
    text = exhibit.read_text(encoding="utf-8")
    text = text.replace('  zh: "南京—佛罗伦萨：双城记"\n', "", 1).replace('      zh: "友谊故事"\n', "", 1)
    exhibit.write_text(text, encoding="utf-8")
    return folder


def test_a_missing_translation_falls_back_and_names_the_field(tmp_path: Path):
    from twinprint.content.load import load_exhibit

    localised = localise(load_exhibit(content_without_a_translation(tmp_path)), "zh")
    assert localised.fallbacks == ["title", "sections[0].title"]
    assert localised.data["title"] == "Nanjing - Florence: A Tale of Two Cities"


@pytest.mark.slow
def test_a_build_with_a_missing_translation_warns_and_prints_the_fallback(tmp_path: Path):
    folder = content_without_a_translation(tmp_path)
    result = build_document(BuildRequest(folder, "poster", "zh", tmp_path / "out", PROJECT_ROOT, paper="A4"))
    # One line per language, counting only what the poster prints (it prints no section titles).
    missing = [w for w in result.warnings if w.startswith("missing")]
    assert missing == ["missing zh translation of 1 printed field, used en: title (--verbose lists all)"]
    from pdfcheck import whole_text

    text = " ".join(whole_text(result.output).split())
    assert "Nanjing - Florence: A Tale of Two Cities" in text and "扫码了解更多" in text


def test_verbose_lists_every_missing_translation(tmp_path: Path):
    from twinprint.build import translation_warnings
    from twinprint.content.load import load_exhibit

    exhibit = load_exhibit(content_without_a_translation(tmp_path))
    request = BuildRequest(tmp_path, "poster", "zh", verbose=True)
    assert translation_warnings(exhibit, localise(exhibit, "zh"), request) == [
        "missing zh translation, used en: title", "missing zh translation, used en: sections[0].title"]
