"""The bad-input corpus: every case fails with one clear line, no traceback, and leaves earlier output untouched.

Each folder of tests/bad_inputs/ is one case: a project (content/, maybe layouts/
or twinprint.toml), `expected.txt` (a fragment of the one "Error:" line, naming
the file and the field or line), optionally `args.txt` (the command line, with
{case} and {out} placeholders), `exit_code.txt` (when not 1) and `setup.txt`
(steps git cannot hold: `symlink PATH TARGET`, `file PATH`). `_good` is built
first into the shared output folder; each bad case then runs into the same
folder, which must stay byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from twinprint.cli import main
from twinprint.batch.plancache import CACHE_FILE, PLAN_FILE

CORPUS = Path(__file__).parent / "bad_inputs"
GOOD = "_good"
DEFAULT_ARGS = "--project {case} build {case}/content/demo -o {out}"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    args: list[str]
    expected: str
    exit_code: int


@dataclass(frozen=True)
class Corpus:
    root: Path
    out: Path
    cases: dict[str, Case]


def read_optional(folder: Path, name: str, default: str) -> str:
    path = folder / name
    return path.read_text(encoding="utf-8").strip() if path.is_file() else default


def run_setup(folder: Path) -> None:
    for line in read_optional(folder, "setup.txt", "").splitlines():
        step, *words = shlex.split(line)
        path = folder / words[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        if step == "symlink":
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            path.symlink_to(words[1])
        elif step == "file":
            path.write_text("a file where a folder should be\n", encoding="utf-8")
        else:
            raise ValueError(f"{folder / 'setup.txt'}: unknown step {step!r}")


def prepare(name: str, root: Path, out: Path) -> Case:
    folder = root / name
    shutil.copytree(CORPUS / name, folder, symlinks=True)
    run_setup(folder)
    template = read_optional(folder, "args.txt", DEFAULT_ARGS)
    args = [word.format(case=folder, out=out) for word in shlex.split(template)]
    return Case(name, folder, args, read_optional(folder, "expected.txt", ""), int(read_optional(folder, "exit_code.txt", "1")))


# Planning caches (written atomically, a run's plan rather than an output): a failed job may leave a new one.
PLANNING_CACHES = {PLAN_FILE, CACHE_FILE}


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path (hidden temporary files included, planning caches not)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).as_posix() not in PLANNING_CACHES}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Copies of every case, and the shared output folder holding a good build."""
    root = tmp_path_factory.mktemp("bad_inputs")
    out = root / "out"
    good = prepare(GOOD, root, out)
    assert main(good.args) == 0, "the good content must build"
    assert any(p.suffix == ".pdf" for p in out.rglob("*"))
    return Corpus(root, out, {name: prepare(name, root, out) for name in CASES})


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error:")]


def check_failure(case: Case, code: int, stderr: str) -> None:
    assert code == case.exit_code, f"{case.name}: exit {code}, expected {case.exit_code}\n{stderr}"
    assert "Traceback" not in stderr, f"{case.name}: traceback printed\n{stderr}"
    lines = error_lines(stderr)
    assert len(lines) == 1, f"{case.name}: expected exactly one Error line\n{stderr}"
    assert case.expected in lines[0], f"{case.name}: expected {case.expected!r} in\n{lines[0]}"


def test_the_corpus_is_large_and_complete():
    assert len(CASES) >= 40
    for name in CASES:
        assert read_optional(CORPUS / name, "expected.txt", ""), f"{name} has no expected.txt"


@pytest.mark.parametrize("name", CASES)
def test_bad_input_in_process(name: str, corpus: Corpus, capsys: pytest.CaptureFixture[str]):
    case = corpus.cases[name]
    before = snapshot(corpus.out)
    code = main(case.args)
    check_failure(case, code, capsys.readouterr().err)
    assert snapshot(corpus.out) == before, f"{name} changed files in the output folder"


@pytest.mark.parametrize("name", [n for n in CASES if read_optional(CORPUS / n, "exit_code.txt", "1") == "1"])
def test_debug_shows_the_traceback(name: str, corpus: Corpus, capsys: pytest.CaptureFixture[str]):
    case = corpus.cases[name]
    code = main(["--debug", *case.args])
    err = capsys.readouterr().err
    assert code == case.exit_code
    assert "Traceback (most recent call last)" in err and len(error_lines(err)) == 1, err


@dataclass(frozen=True)
class Run:
    code: int
    stderr: str


@pytest.fixture(scope="module")
def subprocess_runs(corpus: Corpus) -> dict[str, Run]:
    """Every case in its own process through the real entry point, forked from one interpreter (tests/forkrun.py)."""
    env = {**os.environ, "PYTHONWARNINGS": "error", "COLUMNS": "300"}
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "forkrun.py")], input=json.dumps([c.args for c in corpus.cases.values()]),
                          capture_output=True, text=True, env=env, timeout=600, check=True)
    return {name: Run(r["code"], r["stderr"]) for name, r in zip(corpus.cases, json.loads(done.stdout))}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_as_a_subprocess(name: str, corpus: Corpus, subprocess_runs: dict[str, Run]):
    before = snapshot(corpus.out)
    check_failure(corpus.cases[name], subprocess_runs[name].code, subprocess_runs[name].stderr)
    assert snapshot(corpus.out) == before
    assert not [p for p in corpus.out.rglob("*.part")], "a temporary file was left behind"


@pytest.mark.parametrize("name", ["yaml-alias-bomb", "layout-fetches-etc-passwd", "unknown-layout"])
def test_cold_start_of_the_installed_command(name: str, corpus: Corpus):
    """A few cases through a fresh `python -m twinprint`, nothing imported beforehand."""
    case = corpus.cases[name]
    result = subprocess.run([sys.executable, "-m", "twinprint", *case.args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONWARNINGS": "error", "COLUMNS": "300"})
    check_failure(case, result.returncode, result.stderr)


def test_read_only_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """Without write permission (root ignores permissions, so then a file stands in the way, as in the corpus)."""
    good = CORPUS / GOOD / "content" / "demo"
    blocked = tmp_path / "read-only"
    blocked.mkdir()
    blocked.chmod(0o555)
    try:
        probe_writable = os.access(blocked, os.W_OK)
        target = blocked / "build" if not probe_writable else tmp_path / "file"
        if probe_writable:
            target.write_text("x", encoding="utf-8")
            target = target / "build"
        code = main(["--project", str(CORPUS / GOOD), "build", str(good), "-o", str(target)])
    finally:
        blocked.chmod(0o755)
    err = capsys.readouterr().err
    assert code == 1 and len(error_lines(err)) == 1 and "cannot write to the output folder" in err, err
