"""The same jobs on a Dask cluster: a LocalCluster of two worker processes started by the test run."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from batchproject import ALL_JOBS, add_long_exhibit, make_project
from pdfcheck import page_texts
from twinprint.batch import BatchOptions, BatchReport, plan_from_manifest, run_batch
from twinprint.batch.worker import JobTask, run_job
from twinprint.build import BuildRequest

pytestmark = pytest.mark.slow
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        with distributed.Client(local.scheduler_address) as client:
            yield local.scheduler_address, client


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, project_root: Path) -> Path:
    return make_project(tmp_path_factory.mktemp("dask") / "project", project_root)


def build(project: Path, output: str, **options: object) -> BatchReport:
    plan = plan_from_manifest(project / "twinprint.toml", project, output_dir=project / output)
    return run_batch(plan, BatchOptions(**options))  # type: ignore[arg-type]


def test_cluster_builds_the_same_documents_as_the_local_pool(cluster, project: Path) -> None:
    address, _ = cluster
    local, remote = build(project, "local", workers=2), build(project, "remote", cluster=address)
    assert {o.status for o in local.outcomes + remote.outcomes} == {"built"}
    assert remote.where.startswith(f"Dask cluster {address}")
    for name in ALL_JOBS:
        assert page_texts(project / "remote" / name) == page_texts(project / "local" / name), name
    # The workers built from shipped copies, yet report the coordinator's paths: the job keys agree.
    local_state = json.loads((project / "local" / "manifest.json").read_text())["jobs"]
    remote_state = json.loads((project / "remote" / "manifest.json").read_text())["jobs"]
    assert {n: e["key"] for n, e in remote_state.items()} == {n: e["key"] for n, e in local_state.items()}
    assert all(remote_state[n]["fetched"] == local_state[n]["fetched"] for n in ALL_JOBS)
    assert {o.status for o in build(project, "remote", cluster=address).outcomes} == {"up to date"}


def _processing_worker(client) -> str | None:
    busy = [address for address, keys in client.processing().items() if keys]
    return busy[0] if busy else None


def test_a_worker_killed_mid_job_does_not_lose_the_job(cluster, project: Path) -> None:
    address, client = cluster
    add_long_exhibit(project, "long", 30)
    (project / "long.toml").write_text('[[jobs]]\ncontent = "content/long"\nlanguages = "en"\n')
    plan = plan_from_manifest(project / "long.toml", project, output_dir=project / "killed")
    reports: list[BatchReport] = []
    runner = threading.Thread(target=lambda: reports.append(run_batch(plan, BatchOptions(cluster=address))))
    runner.start()
    deadline = time.monotonic() + 60
    while (busy := _processing_worker(client)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert busy is not None, "the job never started"
    time.sleep(0.5)  # well inside the job (it takes seconds)
    victim = client.run(os.getpid, workers=[busy])[busy]
    os.kill(victim, signal.SIGKILL)
    runner.join(timeout=180)
    [report] = reports
    [outcome] = report.outcomes
    assert outcome.status == "built", outcome.error
    assert int(outcome.worker.split(":")[1]) != victim
    assert len(page_texts(project / "killed" / "long" / "catalogue.en.pdf")) == outcome.pages >= 30


def test_a_worker_with_other_fonts_refuses_the_job(project: Path) -> None:
    request = BuildRequest(project / "content" / "alpha", output_dir=project / "unused", project_root=project)
    result = run_job(JobTask("alpha/catalogue.en.pdf", request, 60, expected_environment={"fonts": "elsewhere"}), prepare=False)
    assert result.error is not None and "differs from this machine" in result.error and "fonts" in result.error
    assert not result.files
