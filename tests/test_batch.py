"""The batch: parallel jobs, incremental rebuilds keyed by content hashes, isolation of failures, crash safety."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from batchproject import ALL_JOBS, MANIFEST, make_project, with_ctrl_c
from pdfcheck import whole_text
from twinprint.batch import BatchOptions, BatchReport, JobOutcome, plan_from_manifest, run_batch
from twinprint.batch.runner import NoProgress
from twinprint.cli import main

pytestmark = pytest.mark.slow


def build(project: Path, **options: object) -> BatchReport:
    plan = plan_from_manifest(project / "twinprint.toml", project)
    return run_batch(plan, BatchOptions(**options), NoProgress())  # type: ignore[arg-type]


def statuses(report: BatchReport) -> dict[str, str]:
    return {o.name: o.status for o in report.outcomes}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, project_root: Path) -> tuple[Path, BatchReport]:
    """The tiny project after one cold build with two workers."""
    project = make_project(tmp_path_factory.mktemp("batch") / "project", project_root)
    return project, build(project, workers=2)


@pytest.fixture
def project(built: tuple[Path, BatchReport], tmp_path: Path) -> Path:
    """A private copy of the built project (sources, outputs and build/manifest.json)."""
    return Path(shutil.copytree(built[0], tmp_path / "project"))


def test_cold_build_makes_and_records_every_job(built: tuple[Path, BatchReport]) -> None:
    project, report = built
    assert statuses(report) == {name: "built" for name in ALL_JOBS}
    assert report.where == "2 local workers"
    assert "Beta and Alpha" in whole_text(project / "build" / "beta" / "catalogue.en.pdf")
    state = json.loads((project / "build" / "manifest.json").read_text())["jobs"]
    assert set(state) == ALL_JOBS
    entry = state["alpha/catalogue.en.pdf"]
    assert entry["pages"] >= 3 and entry["size"] == (project / "build" / "alpha" / "catalogue.en.pdf").stat().st_size
    assert entry["seconds"] > 0 and isinstance(entry["warnings"], list) and len(entry["key"]) == 64
    # Inputs: content files, the layout's templates (not the poster's), fetched fonts and their hashes.
    assert "content/alpha/text/first.zh.md" in entry["files"] and "layouts/catalogue/catalogue.css" in entry["files"]
    assert "layouts/base.html" in entry["files"] and "layouts/poster/poster.css" not in entry["files"]
    assert any(path.endswith("NotoSerif-Regular.ttf") for path in entry["fetched"])
    assert any(path.endswith("NotoSerifCJK-Bold.ttc") for path in entry["fetched"])  # the cover's Chinese city names
    # Two workers really shared the work, each starting up once.
    assert len({o.worker for o in report.outcomes}) == 2


def test_second_run_is_up_to_date_without_starting_workers(project: Path) -> None:
    report = build(project, workers=2)
    assert statuses(report) == {name: "up to date" for name in ALL_JOBS}
    assert report.where == ""


def test_an_edit_rebuilds_exactly_the_jobs_that_read_it(project: Path) -> None:
    (project / "content" / "alpha" / "text" / "first.zh.md").write_text("两座城市。\n", encoding="utf-8")
    assert {n for n, s in statuses(build(project)).items() if s == "built"} == {"alpha/catalogue.en.pdf", "alpha/poster.en.pdf"}
    css = project / "layouts" / "poster" / "poster.css"
    css.write_text(css.read_text() + "\n/* designer's note */\n")
    assert {n for n, s in statuses(build(project)).items() if s == "built"} == {"alpha/poster.en.pdf", "beta/poster.en.pdf"}
    base = project / "layouts" / "base.css"
    base.write_text(base.read_text() + "\n.unused { color: red; }\n")
    assert set(statuses(build(project)).values()) == {"built"}


def test_same_bytes_with_new_times_stay_up_to_date(project: Path) -> None:
    """A fresh checkout: every modification time changes, no content does."""
    for path in project.rglob("*"):
        os.utime(path, (time.time() + 100, time.time() + 100))
    assert set(statuses(build(project)).values()) == {"up to date"}


def test_missing_or_damaged_outputs_and_changed_options_are_rebuilt(project: Path) -> None:
    (project / "build" / "alpha" / "poster.en.pdf").unlink()
    damaged = project / "build" / "beta" / "poster.en.pdf"
    damaged.write_bytes(damaged.read_bytes()[:1000])
    assert {n for n, s in statuses(build(project)).items() if s == "built"} == {"alpha/poster.en.pdf", "beta/poster.en.pdf"}
    (project / "twinprint.toml").write_text(MANIFEST + 'qr_error_correction = "H"\n')
    assert set(statuses(build(project)).values()) == {"built"}
    assert set(statuses(build(project, force=False)).values()) == {"up to date"}
    assert set(statuses(build(project, force=True)).values()) == {"built"}


def test_a_failing_job_is_reported_and_the_others_are_built(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "twinprint.toml").write_text(MANIFEST + '\n[[jobs]]\ncontent = "content/beta"\nlayouts = "no-such-layout"\nlanguages = "en"\n')
    (project / "content" / "alpha" / "text" / "first.en.md").write_text("Changed.\n")
    assert main(["--project", str(project), "build", "--jobs", "2"]) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "unknown layout 'no-such-layout'" in errors[0]
    assert "built" in captured.out and "up to date" in captured.out
    assert "1 of 5 documents failed" in captured.err
    state = json.loads((project / "build" / "manifest.json").read_text())["jobs"]
    assert set(state) == ALL_JOBS  # the failed job is not recorded; the edited ones are rebuilt and recorded
    assert "Changed." in whole_text(project / "build" / "alpha" / "catalogue.en.pdf")


def test_fail_fast_stops_at_the_first_failure(project: Path) -> None:
    (project / "twinprint.toml").write_text('[[jobs]]\nlayouts = "no-such-layout"\nlanguages = "en"\n\n' + MANIFEST)
    report = build(project, workers=1, force=True, fail_fast=True)
    assert report.failed and report.outcomes[0].status == "failed"
    assert "not run" in statuses(report).values()


def test_time_limit_stops_a_job_and_keeps_the_old_output(project: Path) -> None:
    output = project / "build" / "alpha" / "catalogue.en.pdf"
    before = output.read_bytes()
    report = build(project, workers=2, force=True, timeout_s=0.05)
    assert set(statuses(report).values()) == {"failed"}
    assert all("time limit of 0.05 s" in (o.error or "") for o in report.outcomes)
    assert output.read_bytes() == before


def _pool_workers() -> list[int]:
    """Worker processes of this test's process pool: children of its fork server."""
    def children(pid: int) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
        return found
    return [worker for server in children(os.getpid()) for worker in children(server)]


class _Recorder(NoProgress):
    def __init__(self) -> None:
        self.outcomes: list[JobOutcome] = []

    def finished(self, outcome: JobOutcome) -> None:
        self.outcomes.append(outcome)


def test_a_worker_killed_mid_job_does_not_lose_its_job(project: Path) -> None:
    recorder = _Recorder()
    plan = plan_from_manifest(project / "twinprint.toml", project)
    reports: list[BatchReport] = []
    runner = threading.Thread(target=lambda: reports.append(run_batch(plan, BatchOptions(workers=2, force=True), recorder)))
    runner.start()
    deadline = time.monotonic() + 60
    while not recorder.outcomes and time.monotonic() < deadline:
        time.sleep(0.02)
    victims = _pool_workers()
    assert victims, "no pool worker found"
    os.kill(victims[0], signal.SIGKILL)  # the other jobs are in flight: one of them dies with it
    runner.join(timeout=120)
    [report] = reports
    assert statuses(report) == {name: "built" for name in ALL_JOBS}
    assert any(o.worker and int(o.worker.split(":")[1]) not in victims for o in report.outcomes)
    state = json.loads((project / "build" / "manifest.json").read_text())["jobs"]
    assert set(state) == ALL_JOBS


def test_ctrl_c_stops_cleanly_and_the_next_run_builds_only_the_rest(project: Path) -> None:
    shutil.rmtree(project / "build")
    command = [sys.executable, "-m", "twinprint", "--project", str(project), "build", "--jobs", "1"]
    # Without PYTHONUNBUFFERED, as a user's shell runs it: progress lines must reach the pipe as they are made.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=with_ctrl_c)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("[") and "built" in line:
            break
    process.send_signal(signal.SIGINT)
    rest, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Interrupted." in err and "not run" in rest  # the summary table's header
    recorded = set(json.loads((project / "build" / "manifest.json").read_text())["jobs"])
    assert recorded and recorded < ALL_JOBS
    assert not list((project / "build").rglob("*.part"))
    outputs = {str(p.relative_to(project / "build")) for p in (project / "build").rglob("*.pdf")}
    assert outputs == recorded  # no output without its record, no half-written file
    report = build(project)
    assert {n for n, s in statuses(report).items() if s == "built"} == ALL_JOBS - recorded


def test_workers_start_under_a_temp_folder_too_long_for_their_socket(tmp_path: Path, project_root: Path) -> None:
    """Python 3.11 puts the fork server's socket under TMPDIR: a long one used to fail with "AF_UNIX path too long"."""
    project = make_project(tmp_path / "project", project_root)
    long_tmp = tmp_path / ("t" * (120 - len(str(tmp_path))))
    long_tmp.mkdir()
    sockets_before = set(Path("/tmp").glob("pymp-*"))
    done = subprocess.run([sys.executable, "-m", "twinprint", "--project", str(project), "build", "--jobs", "2", "--no-preflight"],
                          capture_output=True, text=True, env={**os.environ, "TMPDIR": str(long_tmp)}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert {p.relative_to(project / "build").as_posix() for p in (project / "build").rglob("*.pdf")} == ALL_JOBS
    assert set(Path("/tmp").glob("pymp-*")) <= sockets_before  # the short socket folder went with the run
