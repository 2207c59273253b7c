"""Shared fixtures: the project, the seed content, and seed catalogues built once per run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from twinprint.build import BuildRequest, BuildResult, build_document  # noqa: E402
from twinprint.content.load import load_exhibit  # noqa: E402
from twinprint.content.model import Exhibit  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONTENT = PROJECT_ROOT / "content"
SEEDS = ("nanjing-florence", "milan-shanghai")
# The source documents of the seeds, kept in the repository so the fidelity test runs on any clone.
SEED_TEXTS = PROJECT_ROOT / "docs" / "sources"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def seed_exhibits() -> dict[str, Exhibit]:
    return {slug: load_exhibit(CONTENT / slug) for slug in SEEDS}


@pytest.fixture(scope="session")
def build_once(tmp_path_factory: pytest.TempPathFactory):
    """Build a document at most once per test run, keyed by its request."""
    cache: dict[tuple, BuildResult] = {}
    out = tmp_path_factory.mktemp("builds")

    def build(slug: str, layout: str = "catalogue", language: str = "en", **fields) -> BuildResult:
        key = (slug, layout, language, tuple(sorted(fields.items())))
        if key not in cache:
            request = BuildRequest(CONTENT / slug, layout, language, out, PROJECT_ROOT, **fields)
            cache[key] = build_document(request)
        return cache[key]

    return build


# Temporary files: the run uses a private TMPDIR (pytest's own folders stay in the usual place), and at the
# end nothing of twinprint's or WeasyPrint's may be left in it; then it is removed, so /tmp is as it was.
_PRIVATE_TMP: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _PRIVATE_TMP
    import os
    import tempfile

    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a worker of `pytest -n`: it uses the private TMPDIR its controller made, which checks it at the end
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", tempfile.gettempdir())
    _PRIVATE_TMP = Path(tempfile.mkdtemp(prefix="twinprint-tests-"))
    os.environ["TMPDIR"] = str(_PRIVATE_TMP)
    tempfile.tempdir = str(_PRIVATE_TMP)


def leftover_temporary_files(folder: Path) -> list[str]:
    """What twinprint or WeasyPrint left in a temp folder: font copies and job scratch folders of processes that have ended."""
    import os

    left = [p.name for p in folder.glob("weasyprint-*")] + [p.name for p in folder.glob("twinprint-job-*")]
    for fonts in folder.glob(f"twinprint-{os.getuid()}"):
        for copy in fonts.iterdir():
            owner = copy.name.split("-", 1)[0]
            try:
                os.kill(int(owner), 0)
            except (ProcessLookupError, ValueError):
                left.append(f"{fonts.name}/{copy.name}")
            except PermissionError:
                pass
    return sorted(left)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import multiprocessing.util
    import os
    import shutil
    import time

    if _PRIVATE_TMP is None:
        if os.environ.get("PYTEST_XDIST_WORKER"):
            # Its own font copies now (its atexit may run after the controller looked), and, as a twinprint run does
            # when it starts, those of ended processes (killed render children).
            from twinprint.render.fontfolders import remove_folders_of_ended_processes, remove_own_folders

            remove_own_folders()
            remove_folders_of_ended_processes()
        return
    left = leftover_temporary_files(_PRIVATE_TMP)
    # With `pytest -n`, a worker may still be exiting (its atexit handlers stop render children, then remove their copies).
    for _ in range(20):
        if not left:
            break
        time.sleep(0.5)
        left = leftover_temporary_files(_PRIVATE_TMP)
    # Removed at the very end: multiprocessing removes its own folder in it at exit (priority -100), then this runs.
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(_PRIVATE_TMP, True), exitpriority=-200)
    # A font copy of an ended process is what every twinprint run removes when it starts (render/fontfolders.py); with
    # `pytest -n` one of a render child of a worker's last test is sometimes still there: said, not failed.
    ended_fonts = [name for name in left if name.startswith("twinprint-")]
    if ended_fonts:
        print(f"\nnote: font copies of ended processes, removed as the next run would: {', '.join(ended_fonts[:10])}", file=sys.stderr)
    left = [name for name in left if name not in ended_fonts]
    if left:
        print(f"\nERROR: the tests left temporary files behind: {', '.join(left[:10])}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
