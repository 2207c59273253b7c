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


def test_an_up_to_date_build_imports_nothing_heavy_and_prints_its_summary(tmp_path):
    """Piped (not a terminal), its lines are written plainly: rich, WeasyPrint and the models stay unloaded."""
    subprocess.run(["cp", "-r", str(PROJECT / "content" / "milan-shanghai"), str(tmp_path / "milan-shanghai")], check=True)
    (tmp_path / "twinprint.toml").write_text('[[jobs]]\ncontent = ["milan-shanghai"]\nlayouts = ["report"]\nlanguages = ["en"]\n',
                                             encoding="utf-8")
    build = f"import os\nos.chdir({str(tmp_path)!r})\nfrom twinprint.cli import main\ntry:\n    main(['build'])\nexcept SystemExit:\n    pass"
    modules_after(build)  # builds the one job
    modules_after(build)  # up to date: remembers the theme's inputs by their files' stamps
    probe = f"{build}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    for name in ("FORCE_TERMINAL", "TTY_INTERACTIVE", "TTY_COMPATIBLE", "FORCE_COLOR"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, "-c", f"import sys\n{probe}"], capture_output=True, text=True, env=env, check=True).stdout
    lines = out.splitlines()
    assert lines[0] == "1 job: 1 up to date, 0 to build"
    assert lines[1].split() == ["built", "up", "to", "date", "failed", "not", "run", "warnings", "time"]
    assert not set(lines[-1].split()) & set(HEAVY), set(lines[-1].split()) & set(HEAVY)


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


def test_a_remembered_plan_follows_the_manifest_and_new_content_folders(tmp_path):
    for slug in ("milan-shanghai", "nanjing-florence"):
        (tmp_path / "content").mkdir(exist_ok=True)
        subprocess.run(["cp", "-r", str(PROJECT / "content" / slug), str(tmp_path / "content" / slug)], check=True)
    moved = tmp_path / "elsewhere"
    (tmp_path / "content" / "nanjing-florence").rename(moved)
    manifest = tmp_path / "twinprint.toml"
    manifest.write_text('[[jobs]]\ncontent = ["content/*"]\nlayouts = ["report"]\nlanguages = ["en"]\n', encoding="utf-8")
    (tmp_path / "build").mkdir()

    def names() -> list[str]:
        return [job.name for job in plan_from_manifest(manifest, tmp_path).jobs]

    assert names() == ["milan-shanghai/report.en.pdf"] == names()
    moved.rename(tmp_path / "content" / "nanjing-florence")  # a new folder the glob matches
    assert names() == ["milan-shanghai/report.en.pdf", "nanjing-florence/report.en.pdf"]
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"report"', '"poster"'), encoding="utf-8")
    assert names() == ["milan-shanghai/poster.en.pdf", "nanjing-florence/poster.en.pdf"]
    manifest.write_text(manifest.read_text(encoding="utf-8") + "bogus = 1\n", encoding="utf-8")
    with pytest.raises(Exception, match="bogus"):
        names()  # a broken manifest is reported, not hidden by the remembered plan


LIBRARY_PROBE = """
import subprocess, sys
started = []
original = subprocess.Popen.__init__
def counting(self, args, *rest, **options):
    started.append(args[0] if isinstance(args, list) else args)
    original(self, args, *rest, **options)
subprocess.Popen.__init__ = counting
{first}
import weasyprint
libraries = sorted({{line.split()[-1] for line in open('/proc/self/maps') if '.so' in line}})
print(repr((started, libraries)))
"""


def weasyprint_import(first: str) -> tuple[list[str], list[str]]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", LIBRARY_PROBE.format(first=first)], capture_output=True, text=True, env=env, check=True)
    return eval(out.stdout)


def test_weasyprint_loads_the_same_libraries_without_a_compiler_run_per_name():
    """Plain, cffi looks up each spelling WeasyPrint tries with ldconfig, gcc and ld; under twinprint, one ldconfig."""
    plain_processes, plain_libraries = weasyprint_import("")
    processes, libraries = weasyprint_import("import twinprint")
    assert any("gcc" in str(p) for p in plain_processes)  # what the quick lookup saves (dozens of processes)
    assert processes == ["/sbin/ldconfig"], processes
    assert libraries == plain_libraries and any("libpango-1.0" in p for p in libraries)
