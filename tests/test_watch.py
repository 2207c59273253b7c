"""Watch mode: a real file edit rebuilds the PDF and its preview; a broken edit is reported and watching goes on."""

from __future__ import annotations

import queue
import shutil
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from conftest import CONTENT, PROJECT_ROOT
from twinprint.build import BuildRequest
from twinprint.cli import main
from twinprint.watch import Rebuild, preview_path, watch, watched_folders

pytestmark = pytest.mark.slow
TIMEOUT_S = 60


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(CONTENT / "milan-shanghai", tmp_path / "content" / "milan-shanghai")
    return tmp_path


def next_rebuild(outcomes: "queue.Queue[Rebuild]") -> Rebuild:
    try:
        return outcomes.get(timeout=TIMEOUT_S)
    except queue.Empty:
        pytest.fail(f"no rebuild within {TIMEOUT_S} s")


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_watch_rebuilds_after_edits_and_survives_a_broken_one(project: Path):
    content = project / "content" / "milan-shanghai"
    request = BuildRequest(content, "poster", "en", project / "build", project, paper="A4")
    outcomes: "queue.Queue[Rebuild]" = queue.Queue()
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(request, outcomes.put, stop), kwargs={"debounce_ms": 200}, daemon=True)
    watcher.start()
    try:
        first = next_rebuild(outcomes)
        assert first.ok and first.output is not None and first.changed == ()
        with Image.open(first.preview) as preview:
            assert abs(preview.size[1] - 900) <= 1 and first.preview == preview_path(first.output)
        built_at = first.output.stat().st_mtime_ns
        time.sleep(0.5)  # let the watcher settle on its folders

        exhibit = content / "exhibit.yaml"
        edit(exhibit, 'en: "Milan (Italy) and Shanghai"', 'en: "Milan and Shanghai, twinned"')
        second = next_rebuild(outcomes)
        assert second.ok and exhibit in second.changed and second.seconds > 0
        assert second.output.stat().st_mtime_ns > built_at

        edit(exhibit, "twinned_since: \"1979-07-03\"", "twinned_since: [broken")
        broken = next_rebuild(outcomes)
        assert not broken.ok and "exhibit.yaml" in broken.error and "malformed YAML" in broken.error
        assert second.output.is_file(), "a failed rebuild keeps the last good PDF"

        edit(exhibit, "twinned_since: [broken", "twinned_since: \"1979-07-03\"")
        assert next_rebuild(outcomes).ok
    finally:
        stop.set()
        watcher.join(timeout=TIMEOUT_S)
    assert not watcher.is_alive()
    from pdfcheck import whole_text

    assert "Milan and Shanghai, twinned" in " ".join(whole_text(second.output).split())


def test_layout_and_theme_edits_are_watched_too(project: Path):
    layout = project / "layouts" / "poster"
    layout.mkdir(parents=True)
    template = layout / "layout.html"
    template.write_text('{% extends "builtin/poster/layout.html" %}\n')
    request = BuildRequest(project / "content" / "milan-shanghai", "poster", "en", project / "build", project, paper="A4")
    assert project / "layouts" in watched_folders(request)
    outcomes: "queue.Queue[Rebuild]" = queue.Queue()
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(request, outcomes.put, stop), kwargs={"debounce_ms": 200}, daemon=True)
    watcher.start()
    try:
        assert next_rebuild(outcomes).ok
        time.sleep(0.5)
        template.write_text('{% extends "builtin/poster/layout.html" %}\n{% block kicker %}<p>Edited</p>{% endblock %}\n')
        rebuilt = next_rebuild(outcomes)
        assert rebuilt.ok and template in rebuilt.changed
    finally:
        stop.set()
        watcher.join(timeout=TIMEOUT_S)
    from pdfcheck import whole_text

    assert "Edited" in whole_text(rebuilt.output)


def test_watch_command_reports_a_bad_layout_before_watching(project: Path, capsys):
    code = main(["--project", str(project), "watch", str(project / "content" / "milan-shanghai"), "--layout", "nope"])
    assert code == 2
    assert "unknown layout 'nope'" in capsys.readouterr().err
    assert PROJECT_ROOT.is_dir()
