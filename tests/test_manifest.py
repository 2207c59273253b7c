"""twinprint.toml: typed job groups, one-line errors with file and line, job expansion and names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from twinprint.batch import parse_manifest, plan_from_manifest
from twinprint.cli import main
from twinprint.errors import ContentError, TwinprintError

SEED = "milan-shanghai"


@pytest.fixture
def project(tmp_path: Path, project_root: Path) -> Path:
    """A project with one seed (en, it, zh) and a second folder of the same content."""
    for slug in (SEED, "copy"):
        shutil.copytree(project_root / "content" / SEED, tmp_path / "content" / slug)
    return tmp_path


def write(project: Path, text: str) -> Path:
    file = project / "twinprint.toml"
    file.write_text(text, encoding="utf-8")
    return file


def error_of(file: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        parse_manifest(file)
    return caught.value


def test_defaults_and_single_values_as_lists(project: Path) -> None:
    manifest = parse_manifest(write(project, '[[jobs]]\nlayouts = "poster"\n'))
    group = manifest.jobs[0]
    assert group.layouts == ["poster"] and group.content == ["content/*"] and group.languages == ["all"]
    assert manifest.build.output == "build" and manifest.build.timeout == 600


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('[build]\noutput = "out"\n\n[[jobs]]\nlayouts = ["catalogue"]\nlayout = "poster"\n', ":6: jobs[0].layout:", "unknown key 'layout'"),
        ("[[jobs]]\n\n[[jobs]]\nlanguages = 3\n", ":4: jobs[1].languages:", "list"),
        ("[[jobs]]\nqr_error_correction = \"X\"\n", ":2: jobs[0].qr_error_correction:", "'L', 'M', 'Q' or 'H'"),
        ('[build]\ntimeout = -1\n[[jobs]]\n', ":2: build.timeout:", "greater than 0"),
        ("[[jobs]]\nname = \"{slug}/{colour}.pdf\"\n", ":2: jobs[0].name:", "unknown placeholder {colour}"),
        ("[[jobs]]\nname = \"../{slug}.pdf\"\n", ":2: jobs[0].name:", "relative path ending in .pdf"),
        ("[build]\noutput = \"x\"\n", ":", "expected at least one [[jobs]] table"),
        ("[[jobs]]\nlayouts = [\"poster\"\n", ":2:", "malformed TOML"),
        ("[[jobs]]\nlanguages = en\n", ":2:", "malformed TOML: Invalid value"),
    ],
)
def test_problems_are_one_line_with_file_line_and_field(project: Path, text: str, where: str, message: str) -> None:
    error = error_of(write(project, text))
    assert error.message.startswith(str(project / "twinprint.toml") + where), error.message
    assert message in error.message
    assert "\n" not in error.message


def test_jobs_are_the_product_of_the_lists(project: Path) -> None:
    file = write(project, '[[jobs]]\nlayouts = ["catalogue", "poster"]\nlanguages = ["en", "zh"]\npapers = ["A2", "A3"]\n')
    plan = plan_from_manifest(file, project)
    assert len(plan.jobs) == 2 * 2 * 2 * 2  # folders x layouts x languages x papers
    assert f"{SEED}/poster-A3.zh.pdf" in {job.name for job in plan.jobs}
    assert plan.output_dir == project / "build"


def test_all_languages_come_from_each_content_folder(project: Path) -> None:
    plan = plan_from_manifest(write(project, f'[[jobs]]\ncontent = ["content/{SEED}"]\n'), project)
    assert sorted(job.name for job in plan.jobs) == [f"{SEED}/catalogue.{lang}.pdf" for lang in ("en", "it", "zh")]


def test_filters_pick_among_the_declared_jobs(project: Path) -> None:
    file = write(project, '[[jobs]]\nlayouts = ["catalogue", "poster"]\n')
    plan = plan_from_manifest(file, project, layouts=("poster",), languages=("zh",))
    assert sorted(job.name for job in plan.jobs) == ["copy/poster.zh.pdf", f"{SEED}/poster.zh.pdf"]


def test_name_pattern_with_variables(project: Path) -> None:
    file = write(project, '[[jobs]]\ncontent = ["content/copy"]\nlanguages = "en"\nname = "{slug}/{layout}-for-{who}.{lang}.pdf"\n'
                          'variables = { who = "mayor" }\n')
    [job] = plan_from_manifest(file, project).jobs
    assert job.name == "copy/catalogue-for-mayor.en.pdf"
    assert dict(job.request.variables) == {"who": "mayor"}


def test_two_jobs_writing_one_file_is_an_error(project: Path) -> None:
    file = write(project, '[[jobs]]\nlanguages = "en"\n\n[[jobs]]\nlanguages = "en"\nqr_error_correction = "H"\n')
    with pytest.raises(ContentError) as caught:
        plan_from_manifest(file, project)
    assert ":4: jobs[1]:" in caught.value.message and "catalogue.en.pdf" in caught.value.message


def test_content_that_matches_nothing_is_an_error(project: Path) -> None:
    file = write(project, '[[jobs]]\ncontent = ["content/*", "content/nowhere"]\n')
    with pytest.raises(ContentError) as caught:
        plan_from_manifest(file, project)
    assert ":2: jobs[0].content[1]:" in caught.value.message and "'content/nowhere'" in caught.value.message


def test_unreadable_content_fails_its_jobs_only(project: Path) -> None:
    (project / "content" / "copy" / "exhibit.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    plan = plan_from_manifest(write(project, "[[jobs]]\n"), project)
    assert [f.name for f in plan.failures] == ["copy/catalogue.all"]
    assert "malformed YAML" in plan.failures[0].error
    assert {job.name for job in plan.jobs} == {f"{SEED}/catalogue.{lang}.pdf" for lang in ("en", "it", "zh")}


def test_cli_reports_a_bad_manifest_in_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, "[[jobs]]\nlayouts = [\"catalogue\"]\nlanguage = \"en\"\n")
    assert main(["--project", str(project), "build"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [f"Error: {project / 'twinprint.toml'}:3: jobs[0].language: unknown key 'language' (a typo?) [extra_forbidden]"]


def test_the_repository_manifest_is_valid(project_root: Path) -> None:
    try:
        plan = plan_from_manifest(project_root / "twinprint.toml", project_root)
    except TwinprintError as error:
        pytest.fail(error.message)
    layouts = {job.request.layout for job in plan.jobs}
    assert {"catalogue", "poster"} <= layouts
    assert not plan.failures
