"""The content loader: seeds load; broken content gives one line with file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import CONTENT
from twinprint.content.load import find_content_folders, load_exhibit
from twinprint.errors import ContentError

MINIMAL = """\
kind: exhibition
title: {en: Twin towns, zh: 友好城市}
cities:
  - {name: {en: Nanjing, zh: 南京}, country: China}
  - {name: {en: Florence, zh: 佛罗伦萨}, country: Italy}
twinned_since: 1980
sections:
  - id: intro
    title: Introduction
    body_file: text/intro.md
"""


def write_folder(tmp_path: Path, yaml_text: str, slug: str = "demo") -> Path:
    folder = tmp_path / slug
    (folder / "text").mkdir(parents=True)
    (folder / "exhibit.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    (folder / "text" / "intro.md").write_text("Hello *twins*.\n", encoding="utf-8")
    return folder


def error_for(tmp_path: Path, yaml_text: str) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load_exhibit(write_folder(tmp_path, yaml_text))
    return caught.value


def test_seed_folders_load(project_root):
    folders = find_content_folders(project_root / "content")
    slugs = [f.name for f in folders]
    assert slugs == ["milan-shanghai", "nanjing-florence"]
    nanjing = load_exhibit(project_root / "content" / "nanjing-florence")
    assert nanjing.slug == "nanjing-florence"
    assert nanjing.anniversary(2020) == 40
    assert nanjing.cities[0].name["zh"] == "南京"
    milan = load_exhibit(project_root / "content" / "milan-shanghai")
    assert milan.twinned_since.iso() == "1979-07-03"


def test_body_file_is_read_into_body(tmp_path):
    exhibit = load_exhibit(write_folder(tmp_path, MINIMAL))
    assert exhibit.sections[0].body == "Hello *twins*.\n"


def test_missing_required_field_names_file_line_and_field(tmp_path):
    error = error_for(tmp_path, MINIMAL.replace("twinned_since: 1980\n", ""))
    message = str(error)
    assert "exhibit.yaml:1:" in message
    assert "twinned_since" in message and "required" in message
    assert "\n" not in message


def test_wrong_type_points_at_the_line(tmp_path):
    error = error_for(tmp_path, MINIMAL.replace("twinned_since: 1980", "twinned_since: [1980]"))
    assert "exhibit.yaml:6: twinned_since:" in str(error)


def test_unknown_key_is_a_typo(tmp_path):
    error = error_for(tmp_path, MINIMAL.replace("    title: Introduction", "    title: Introduction\n    titel: Oops"))
    assert "exhibit.yaml:10: sections[0].titel: unknown key 'titel'" in str(error)


def test_bad_yaml_gives_line(tmp_path):
    error = error_for(tmp_path, MINIMAL.replace("kind: exhibition", 'kind: "exhibition'))
    assert "exhibit.yaml:" in str(error) and "malformed YAML" in str(error)


def test_tab_indentation_is_explained(tmp_path):
    error = error_for(tmp_path, MINIMAL.replace("  - id: intro", "\t- id: intro"))
    assert "tabs" in str(error)


def test_duplicate_key_is_an_error(tmp_path):
    error = error_for(tmp_path, MINIMAL + "kind: partnership\n")
    assert "duplicate key 'kind'" in str(error)
    assert "exhibit.yaml:11:" in str(error)


def test_bad_date_is_explained(tmp_path):
    error = error_for(tmp_path, MINIMAL.replace("twinned_since: 1980", "twinned_since: 1980-02-30"))
    assert "twinned_since" in str(error) and "no such day" in str(error)


def test_every_problem_is_collected(tmp_path):
    broken = MINIMAL.replace("kind: exhibition", "kind: fair").replace("twinned_since: 1980\n", "")
    error = error_for(tmp_path, broken)
    fields = {p.field for p in error.problems}
    assert {"kind", "twinned_since"} <= fields


def test_body_file_outside_the_folder_is_refused(tmp_path):
    error = error_for(tmp_path, MINIMAL.replace("text/intro.md", "../../etc/passwd"))
    assert "sections[0].body_file" in str(error) and "inside" in str(error)


def test_links_must_be_web_mail_or_phone(tmp_path):
    bad = MINIMAL + "call_to_action:\n  heading: Join\n  link: {url: 'javascript:alert(1)', label: x}\n"
    error = error_for(tmp_path, bad)
    assert "call_to_action.link.url" in str(error)


def test_libyaml_and_the_pure_parser_read_the_same_data_and_lines(monkeypatch):
    """The fast parser (libyaml) is in use, and gives what the pure-Python one gives; errors fall back to the latter."""
    from twinprint.content import load

    assert load._FAST_LOADER is not None, "PyYAML without libyaml: every content read is ~20x slower"
    for exhibit in sorted(CONTENT.glob("*/exhibit.yaml")):
        text = exhibit.read_text(encoding="utf-8")
        fast_data, fast_lines = load.parse_yaml(exhibit, text)
        monkeypatch.setattr(load, "_FAST_LOADER", None)
        pure_data, pure_lines = load.parse_yaml(exhibit, text)
        monkeypatch.undo()
        assert fast_data == pure_data and vars(fast_lines) == vars(pure_lines)
