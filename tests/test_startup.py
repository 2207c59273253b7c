"""A fast command line: --help, --version and an up-to-date build load neither WeasyPrint nor the content model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from twinprint.batch import plan_from_manifest
from twinprint.batch.plancache import CACHE_FILE
from twinprint.prepress.profile_names import PROFILE_NAMES
from twinprint.prepress.profiles import PROFILES

PROJECT = Path(__file__).resolve().parents[1]
HEAVY = ("weasyprint", "pydantic", "rich", "pikepdf", "pypdfium2", "jinja2", "PIL")


def modules_after(code: str) -> set[str]:
    """Top-level packages a fresh interpreter holds after running `code`."""
    probe = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True).stdout
    return set(out.split())


def test_the_command_line_lists_every_profile():
    assert PROFILE_NAMES == tuple(PROFILES)


@pytest.mark.parametrize("argument", ["--help", "--version"])
def test_help_and_version_import_nothing_heavy(argument):
    loaded = modules_after(f"from twinprint.cli import main\ntry:\n    main([{argument!r}])\nexcept SystemExit:\n    pass")
    assert "twinprint" in loaded and not loaded & set(HEAVY), loaded & set(HEAVY)


def test_planning_twice_loads_the_content_once_and_an_edit_reloads_it(tmp_path):
    content = tmp_path / "content" / "milan-shanghai"
    content.parent.mkdir()
    subprocess.run(["cp", "-r", str(PROJECT / "content" / "milan-shanghai"), str(content)], check=True)
    (tmp_path / "twinprint.toml").write_text('[[jobs]]\ncontent = ["content/*"]\nlayouts = ["report"]\n', encoding="utf-8")
    (tmp_path / "build").mkdir()
    first = plan_from_manifest(tmp_path / "twinprint.toml", tmp_path)
    assert [job.request.language for job in first.jobs] == ["en", "it", "zh"]
    assert (tmp_path / "build" / CACHE_FILE).is_file()
    # The remembered languages serve a second plan without the content model (a fresh interpreter shows it).
    loaded = modules_after(f"from pathlib import Path\nfrom twinprint.batch import plan_from_manifest\n"
                           f"plan = plan_from_manifest(Path({str(tmp_path / 'twinprint.toml')!r}), Path({str(tmp_path)!r}))\n"
                           "assert [j.request.language for j in plan.jobs] == ['en', 'it', 'zh']")
    assert "yaml" not in loaded
    # An edit to the folder (a language dropped) is seen at once: the cache is keyed by the files' sizes and times.
    exhibit = content / "exhibit.yaml"
    exhibit.write_text(exhibit.read_text(encoding="utf-8").replace("languages: [en, it, zh]", "languages: [en, it]"), encoding="utf-8")
    assert [job.request.language for job in plan_from_manifest(tmp_path / "twinprint.toml", tmp_path).jobs] == ["en", "it"]
