"""Every content field printed, or said not to be: layout/fields.py's table checked against real PDFs.

An exhibit fills every field of the model with a marker of its own; each layout
is built and its text read back with pypdfium2 (not WeasyPrint); every field the
table says a layout prints must be in that layout's text.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pypdfium2
import pytest
import yaml
from PIL import Image
from pydantic import BaseModel

from conftest import PROJECT_ROOT
from pdfcheck import decode_qr_codes
from twinprint.build import BuildRequest, build_document, link_warnings
from twinprint.content.i18n import format_partial_date, localise
from twinprint.content.load import load_exhibit
from twinprint.content.model import Exhibit, PartialDate
from twinprint.layout.fields import CONDITIONAL_FIELDS, NOT_PRINTED, PRINTED_FIELDS, field_table_markdown, main_link

DATES = {"twinned_since": "1971", "sections[].quotes[].date": "1603-05", "timeline[].date": "1985-04-12",
         "venue.opens": "2033-03-01", "venue.closes": "2033-06-30"}
# Fields that are not texts: what a layout prints for them.
FLAGS = {"sections[].quotes[].attributed": "attributed to", "sections[].links[].placeholder": "Placeholder link",
         "source.link.placeholder": "Placeholder link", "call_to_action.link.placeholder": "Placeholder link"}
PSEUDO_FIELDS = {"hero.caption": "sections[].figures[].caption"}


def model_leaf_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every leaf field of the content model, generic (`sections[].quotes[].author`); a date is a leaf."""
    paths = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        is_list = typing.get_origin(annotation) is list
        inner = [a for a in typing.get_args(annotation) or (annotation,) if isinstance(a, type) and issubclass(a, BaseModel)]
        record = next((a for a in inner if a is not PartialDate), None)
        if record is None:
            paths.append(path)
        else:
            paths += model_leaf_paths(record, f"{path}[]." if is_list else f"{path}.")
    return paths


def marker(path: str) -> str:
    """A word of its own for each field, short enough never to be hyphenated."""
    number = sorted(model_leaf_paths(Exhibit)).index(path)
    return f"Qx{chr(65 + number // 26)}{chr(97 + number % 26)}"


def url(path: str) -> str:
    return f"https://example.org/{marker(path)}"


def link(prefix: str) -> dict:
    return {"url": url(f"{prefix}.url"), "label": marker(f"{prefix}.label"), "placeholder": True}


def every_field_exhibit() -> dict:
    m = marker
    return {
        "kind": "partnership", "title": m("title"), "subtitle": m("subtitle"), "lede": m("lede"), "note": m("note"),
        "prepared_for": m("prepared_for"), "default_language": "en", "languages": ["en"], "translations": {"en": "original"},
        "cities": [{"name": m("cities[].name"), "country": m("cities[].country")}, {"name": m("cities[].name"), "country": m("cities[].country")}],
        "twinned_since": int(DATES["twinned_since"]), "year": 2033,
        "source": {"organisation": m("source.organisation"), "publication": m("source.publication"), "note": m("source.note"),
                   "link": link("source.link")},
        "credits": [{"role": m("credits[].role"), "name": m("credits[].name")}],
        "keywords": ["keyword"],
        "venue": {"name": m("venue.name"), "city": m("venue.city"), "opens": DATES["venue.opens"], "closes": DATES["venue.closes"]},
        "hero": "picture",
        "sections": [{
            "id": "only", "title": m("sections[].title"), "caption": m("sections[].caption"), "body": f"{m('sections[].body')} body.",
            "quotes": [{"text": m("sections[].quotes[].text"), "author": m("sections[].quotes[].author"),
                        "role": m("sections[].quotes[].role"), "date": DATES["sections[].quotes[].date"], "attributed": True,
                        "original_language": "en"}],
            "figures": [{"id": "picture", "image": "images/picture.png", "caption": m("sections[].figures[].caption"),
                         "alt": m("sections[].figures[].alt"), "credit": m("sections[].figures[].credit")}],
            "links": [link("sections[].links[]")],
        }],
        "timeline": [{"date": DATES["timeline[].date"], "title": m("timeline[].title"), "text": m("timeline[].text")}],
        "contacts": [{"name": m("contacts[].name"), "role": m("contacts[].role"), "organisation": m("contacts[].organisation"),
                      "email": f"{m('contacts[].email')}@example.org", "phone": f"+39 055 {m('contacts[].phone')}",
                      "link": link("contacts[].link")}],
        "call_to_action": {"heading": m("call_to_action.heading"), "text": m("call_to_action.text"), "link": link("call_to_action.link")},
    }


def write_content(folder: Path, data: dict) -> Path:
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (300, 200), (90, 120, 160)).save(folder / "images" / "picture.png")
    (folder / "exhibit.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def pdfium_text(pdf: Path) -> str:
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def squash(text: str) -> str:
    """Ignoring white space, hyphens and case (layouts set some texts in capitals)."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011\ufffe]", "", text).casefold()


def expected_text(path: str) -> str:
    path = PSEUDO_FIELDS.get(path, path)
    if path in FLAGS:
        return FLAGS[path]
    if path == "year":
        return "2033"
    if path in DATES:
        return format_partial_date(PartialDate.model_validate(DATES[path]), "en")
    return url(path) if path.endswith(".url") else marker(path)


@pytest.fixture(scope="module")
def every_field(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_content(tmp_path_factory.mktemp("fields") / "every-field", every_field_exhibit())


def test_every_field_of_the_model_is_printed_by_a_layout_or_said_not_to_be():
    claimed = {f for fields in PRINTED_FIELDS.values() for f in fields} | {f for c in CONDITIONAL_FIELDS.values() for f in c}
    leaves = set(model_leaf_paths(Exhibit)) - {"slug"}
    assert leaves - claimed - set(NOT_PRINTED) == set(), "fields neither printed nor listed in NOT_PRINTED"
    assert claimed & set(NOT_PRINTED) == set()
    assert claimed - leaves - set(PSEUDO_FIELDS) == set(), "the table names fields the model does not have"


def test_the_readme_shows_the_table_of_the_code():
    assert field_table_markdown() in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("layout", sorted(PRINTED_FIELDS))
def test_every_field_a_layout_claims_reaches_its_page(layout: str, every_field: Path, tmp_path: Path):
    paper = {"paper": "A3"} if layout == "poster" else {}
    result = build_document(BuildRequest(every_field, layout, "en", tmp_path, PROJECT_ROOT, **paper))
    text = squash(pdfium_text(result.output))
    missing = sorted(path for path in PRINTED_FIELDS[layout] if squash(expected_text(path)) not in text)
    assert not missing, f"{layout} claims these fields but does not print them: {missing}"
    if "sections[].quotes[].attributed" in PRINTED_FIELDS[layout]:
        assert squash(f"attributed to {marker('sections[].quotes[].author')}") in text


def without_calls_to_action(data: dict, keep_source_link: bool) -> dict:
    data = {key: value for key, value in data.items() if key != "call_to_action"}
    if not keep_source_link:
        data["source"] = {key: value for key, value in data["source"].items() if key != "link"}
    return data


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["poster", "booklet", "report"])
def test_without_a_call_to_action_the_qr_code_falls_back_to_the_first_panel_link(layout: str, tmp_path: Path):
    folder = write_content(tmp_path / "no-call", without_calls_to_action(every_field_exhibit(), keep_source_link=False))
    paper = {"paper": "A4"} if layout == "poster" else {}
    result = build_document(BuildRequest(folder, layout, "en", tmp_path / "out", PROJECT_ROOT, **paper))
    panel_link = url("sections[].links[].url")
    decoded = {text for page in range(result.page_count) for text in decode_qr_codes(result.output, page)}
    assert panel_link in decoded
    assert f"no call_to_action: the {layout}'s QR code links to sections[0].links[0] ({panel_link})" in result.warnings


def test_the_main_link_prefers_the_call_to_action_then_the_source():
    full = localise(Exhibit.model_validate({**every_field_exhibit(), "slug": "x"}), "en").data
    assert main_link(full, "poster")[1] == "call_to_action.link"
    assert main_link(full, "report")[1] == "source.link"
    no_call = localise(Exhibit.model_validate({**without_calls_to_action(every_field_exhibit(), True), "slug": "x"}), "en").data
    assert main_link(no_call, "booklet")[1] == "source.link"


def test_a_link_without_a_label_is_labelled_by_its_section_and_warned_about(tmp_path: Path):
    data = every_field_exhibit()
    del data["sections"][0]["links"][0]["label"]
    exhibit = load_exhibit(write_content(tmp_path / "unlabelled", data))
    localised = localise(exhibit, "en")
    assert localised.data["sections"][0]["links"][0]["label"] == marker("sections[].title")
    warnings = link_warnings(exhibit, localised, BuildRequest(tmp_path, "booklet"))
    assert warnings == ["sections[0].links[0]: no label, printed the title of what carries the link"]


def test_a_figure_without_alt_text_is_still_an_error(tmp_path: Path):
    from twinprint.errors import ContentError

    data = every_field_exhibit()
    del data["sections"][0]["figures"][0]["alt"]
    with pytest.raises(ContentError, match=r"sections\[0\]\.figures\[0\]\.alt: required field is missing"):
        load_exhibit(write_content(tmp_path / "no-alt", data))
