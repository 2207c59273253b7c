"""The command line: help everywhere, exit codes 0/1/2, one-line errors."""

from __future__ import annotations

import shutil

import pytest

from twinprint.cli import cli, main


def test_help_on_every_command(capsys):
    assert main(["--help"]) == 0
    for name in cli.commands:
        assert main([name, "--help"]) == 0, name
    out = capsys.readouterr().out
    assert "build" in out and "validate" in out


def test_usage_error_exits_2(capsys):
    assert main(["build", "--no-such-option"]) == 2
    assert main(["no-such-command"]) == 2


def test_validate_seeds_ok(project_root, capsys):
    assert main(["--project", str(project_root), "validate"]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and "nanjing-florence" in out


def test_validate_broken_content_exits_1_with_one_line(tmp_path, project_root, capsys):
    folder = tmp_path / "content" / "broken"
    shutil.copytree(project_root / "content" / "milan-shanghai", folder)
    yaml_file = folder / "exhibit.yaml"
    yaml_file.write_text(yaml_file.read_text(encoding="utf-8").replace("kind: partnership", "kind: partnership\nkinds: x"), encoding="utf-8")
    assert main(["--project", str(tmp_path), "validate"]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith("Error: ") and "exhibit.yaml:" in first and "kinds" in first
    assert "Traceback" not in err


@pytest.mark.slow
def test_build_writes_predictable_names(tmp_path, project_root, capsys):
    out = tmp_path / "out"
    code = main(["--project", str(project_root), "build", str(project_root / "content" / "milan-shanghai"), "-o", str(out)])
    assert code == 0
    assert (out / "milan-shanghai" / "catalogue.en.pdf").is_file()
    assert "built" in capsys.readouterr().out


def test_missing_content_folder_exits_1(tmp_path, capsys):
    assert main(["build", str(tmp_path / "nothing"), "-o", str(tmp_path / "out")]) == 1
    assert "expected a content folder" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--profile", "print"], ["--set", "recipient=Chen"], ["--paper", "A3"], ["--bleed", "5"]])
def test_document_options_are_refused_with_a_manifest_rather_than_ignored(tmp_path, project_root, capsys, option):
    from batchproject import make_project

    project = make_project(tmp_path / "project", project_root)
    assert main(["--project", str(project), "build", *option]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "twinprint.toml" in err[0] and option[0] in err[0] and "[[jobs]]" in err[0], err
    assert not (project / "build").exists()  # nothing built with options it would not have honoured
