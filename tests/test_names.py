"""Names and consistency: output names carry the variables that change a document; personalised
file names are transliterated slugs; personalise refuses names the fonts cannot draw, naming the CSV row."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CONTENT, PROJECT_ROOT
from pdfcheck import outputs_in
from twinprint.batch.jobs import plan_from_requests
from twinprint.build import BuildRequest, request_output
from twinprint.errors import ContentError
from twinprint.names import slug
from twinprint.personalise import Recipient, personalise, personalised_paths, read_recipients

SEED = CONTENT / "nanjing-florence"


def booklet(**variables: str) -> BuildRequest:
    return BuildRequest(SEED, "booklet", "en", Path("build"), PROJECT_ROOT, tuple(sorted(variables.items())))


def test_output_names_include_the_variables_that_change_the_document():
    assert request_output(booklet(), "nanjing-florence").name == "booklet.en.pdf"
    assert request_output(booklet(recipient="Lei Chen"), "nanjing-florence").name == "booklet-recipient-lei-chen.en.pdf"
    assert request_output(booklet(bilingual="zh"), "nanjing-florence").name == "booklet-bilingual-zh.en.pdf"
    assert request_output(booklet(recipient="陈蕾", bilingual="zh"), "nanjing-florence").name == \
        "booklet-bilingual-zh-recipient-chen-lei.en.pdf"


def test_a_plain_build_and_a_build_with_variables_are_separate_jobs():
    plan = plan_from_requests([booklet(), booklet(recipient="Lei Chen"), booklet(bilingual="zh"), booklet(qr_mm="30")])
    names = [job.name for job in plan.jobs]
    assert len(set(names)) == 4, names


@pytest.mark.parametrize("text, expected", [
    ("Lei Chen", "lei-chen"), ("陈蕾", "chen-lei"), ("佛罗伦萨代表团", "fo-luo-lun-sa-dai-biao-tuan"),
    ("Lucía Núñez-Ortega", "lucia-nunez-ortega"), ("Ренат Алиев", "renat-aliev"), ("Ms. 王 (Wang) Fang", "ms-wang-wang-fang"),
])
def test_names_become_transliterated_slugs(text: str, expected: str):
    assert slug(text) == expected


def test_a_slug_that_loses_its_letters_or_its_length_keeps_a_hash_of_the_value():
    assert slug("😀") != slug("😃") and slug("😀").isalnum()
    long_a, long_b = "Delegation " * 12 + "A", "Delegation " * 12 + "B"
    assert slug(long_a) != slug(long_b) and len(slug(long_a)) <= 40


def test_personalised_file_names_are_unique_and_readable(tmp_path: Path):
    people = [Recipient(2, "陈蕾", "https://example.org/a"), Recipient(3, "陈蕾", "https://example.org/b"),
              Recipient(4, "Lei Chen", "https://example.org/c"), Recipient(5, "😀", "https://example.org/d")]
    paths = personalised_paths(BuildRequest(SEED, "booklet", "en", tmp_path), people, merge=False)
    names = [p.name for p in paths]
    assert names[:3] == ["001-chen-lei.en.pdf", "002-chen-lei.en.pdf", "003-lei-chen.en.pdf"]
    assert len(set(names)) == len(names) and "recipient" not in names[3]


@pytest.mark.slow
def test_personalise_fails_naming_the_csv_row_of_a_name_the_fonts_cannot_draw(tmp_path: Path):
    csv = tmp_path / "people.csv"
    csv.write_text("name,url\nLei Chen,https://example.org/a\nAna \U00013000,https://example.org/b\n", encoding="utf-8")
    request = BuildRequest(SEED, "booklet", "en", tmp_path / "out", PROJECT_ROOT)
    with pytest.raises(ContentError) as raised:
        personalise(request, read_recipients(csv))
    assert raised.value.message == f"{csv}:3: name: characters the fonts cannot draw (printed as boxes): \U00013000 (U+13000) [glyphs]"
    assert not outputs_in(tmp_path / "out")
