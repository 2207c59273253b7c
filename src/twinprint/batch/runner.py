"""Run a plan: skip what is up to date, build the rest on an executor, publish, record, report.

Jobs are checked against build/manifest.json first (no worker starts when
nothing changed), then submitted longest-first by their last build time. Each
result is written atomically and recorded before the next is looked at; a
failed job is reported and the others go on (unless fail-fast); Ctrl-C stops
the workers and still returns the report of what finished.
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Literal, Protocol

from ..request import BuildRequest, write_atomically
from ..errors import BuildError
from .jobs import Job, Plan
from .keys import FileHashes, environment, fetched_inputs, job_key, rehash_fetched, request_options, static_inputs
from .state import BuildState, JobRecord

if TYPE_CHECKING:  # the workers import the renderer: only a batch with stale jobs loads them (and the pool, the bundles)
    import concurrent.futures as cf

    from .bundle import ProjectBundle
    from .executors import JobExecutor
    from .worker import JobResult, JobTask

Status = Literal["built", "up to date", "failed", "not run"]
MAX_ATTEMPTS = 3
POLL_S = 0.25


@dataclass
class JobOutcome:
    name: str
    status: Status
    seconds: float = 0.0
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    output: Path | None = None
    worker: str = ""
    peak_rss_mb: float = 0.0
    traceback: str = ""  # of a failure, for --debug


@dataclass
class BatchReport:
    outcomes: list[JobOutcome] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    where: str = ""

    def with_status(self, status: Status) -> list[JobOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[JobOutcome]:
        return self.with_status("failed")

    @property
    def warning_count(self) -> int:
        return sum(len(o.warnings) for o in self.outcomes)


@dataclass(frozen=True)
class BatchOptions:
    workers: int | None = None  # None: one per core
    force: bool = False
    fail_fast: bool = False
    cluster: str | None = None  # tcp://host:8786 of a Dask scheduler
    timeout_s: float | None = None  # None: the plan's (twinprint.toml [build] timeout)


class ProgressReporter(Protocol):
    """What the batch tells its display: the job count, where jobs run, which run now, each outcome."""

    def start(self, total: int, up_to_date: int) -> None: ...
    def workers(self, description: str) -> None: ...
    def running(self, names: list[str]) -> None: ...
    def finished(self, outcome: JobOutcome) -> None: ...
    def stop(self) -> None: ...


class NoProgress:
    def start(self, total: int, up_to_date: int) -> None: ...
    def workers(self, description: str) -> None: ...
    def running(self, names: list[str]) -> None: ...
    def finished(self, outcome: JobOutcome) -> None: ...
    def stop(self) -> None: ...


@dataclass
class _Pending:
    """A job to build, with the inputs hashed before it was sent (a later edit makes it stale again)."""

    job: Job
    files: dict[str, str | None]
    options: dict[str, Any]
    attempt: int = 1


def _is_up_to_date(state: BuildState, pending: _Pending, hashes: FileHashes, env: dict[str, str]) -> bool:
    record = state.records.get(pending.job.name)
    if record is None:
        return False
    root = pending.job.request.project_root
    key = job_key(pending.files, rehash_fetched(record.fetched, root, hashes), pending.options, env)
    extras_there = all((state.output_dir / extra).is_file() for extra in record.extra_outputs)
    return key == record.key and extras_there and state.output_intact(pending.job.name)


def _task(pending: _Pending, plan: Plan, timeout_s: float, bundles: dict[Path, ProjectBundle] | None, env: dict[str, str]) -> JobTask:
    from .bundle import make_bundle
    from .worker import JobTask

    request: BuildRequest = pending.job.request
    if bundles is None:
        return JobTask(pending.job.name, request, timeout_s, memory_limit_mb=plan.memory_limit_mb)
    folder = Path(request.content_dir).resolve()
    if folder not in bundles:
        bundles[folder] = make_bundle(folder, Path(request.project_root))
    return JobTask(pending.job.name, request, timeout_s, bundles[folder], env, plan.memory_limit_mb)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl-C until the block is done: a job's files and its record land together."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _publish(result: JobResult, pending: _Pending, state: BuildState, env: dict[str, str]) -> JobOutcome:
    """Write the job's files and record it, uninterrupted by Ctrl-C."""
    with _interrupts_deferred():
        return _write_and_record(result, pending, state, env)


def _write_and_record(result: JobResult, pending: _Pending, state: BuildState, env: dict[str, str]) -> JobOutcome:
    """Write the job's files atomically, then record it: the record never names a file not yet in place."""
    output_dir = state.output_dir
    pdf = result.files[result.pdf]
    extras = sorted(name for name in result.files if name != result.pdf)
    try:
        for name in extras:
            write_atomically(output_dir / name, result.files[name])
        write_atomically(output_dir / pending.job.name, pdf)
    except OSError as error:
        raise BuildError(f"{output_dir / pending.job.name}: cannot write: {error.strerror or error}") from None
    fetched = fetched_inputs(result.fetched, pending.job.request.project_root)
    # Learn the stats of what the worker read (fonts, images), so the next check need not read them again.
    rehash_fetched(fetched, pending.job.request.project_root, FileHashes(state.file_hashes, state.theme_inputs))
    state.record(pending.job.name, JobRecord(
        key=job_key(pending.files, dict(fetched), pending.options, env), files=pending.files, fetched=fetched,
        options=pending.options, environment=env, pages=result.pages, size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(),
        seconds=round(result.seconds, 3), warnings=result.warnings, extra_outputs=extras, worker=result.worker,
    ))
    return JobOutcome(pending.job.name, "built", result.seconds, result.pages, result.warnings,
                      output=output_dir / pending.job.name, worker=result.worker, peak_rss_mb=result.peak_rss_mb)


def run_batch(plan: Plan, options: BatchOptions = BatchOptions(), progress: ProgressReporter = NoProgress()) -> BatchReport:
    """Build every stale job of the plan; never raises for a single job's failure."""
    started = time.perf_counter()
    report = BatchReport([JobOutcome(f.name, "failed", error=f.error, traceback=f.traceback) for f in plan.failures])
    state = BuildState.load(plan.output_dir)
    hashes, env = FileHashes(state.file_hashes, state.theme_inputs), environment()
    fresh, stale = _split_up_to_date(plan, state, hashes, env, options.force)
    if hashes.changed and not stale and state.records:
        _save_quietly(state)  # what this check learned (a touched file's hash) spares the next one
    report.outcomes += [JobOutcome(job.name, "up to date", output=plan.output_dir / job.name) for job in fresh]
    up_to_date = len(report.with_status("up to date"))
    total = len(plan.jobs) + len(plan.failures)
    progress.start(total, up_to_date)
    for outcome in list(report.outcomes):
        if outcome.status == "failed":
            progress.finished(outcome)
    try:
        if stale:
            _build_stale(stale, plan, options, state, env, report, progress)
    finally:
        progress.stop()
        report.seconds = time.perf_counter() - started
    return report


def _split_up_to_date(plan: Plan, state: BuildState, hashes: FileHashes, env: dict[str, str],
                      force: bool = False) -> tuple[list[Job], list[_Pending]]:
    """The plan's jobs whose record matches what they read now, and the others (to build)."""
    fresh: list[Job] = []
    stale: list[_Pending] = []
    for job in plan.jobs:
        pending = _Pending(job, static_inputs(job.request, hashes), request_options(job.request))
        if not force and _is_up_to_date(state, pending, hashes, env):
            fresh.append(job)
        else:
            stale.append(pending)
    return fresh, stale


def _save_quietly(state: BuildState) -> None:
    try:
        state.save()
    except OSError:
        pass  # only what the next check could reuse


def up_to_date_names(plan: Plan) -> set[str]:
    """Names of the jobs `run_batch` would skip now (for displays such as the studio's)."""
    state = BuildState.load(plan.output_dir)
    fresh, _ = _split_up_to_date(plan, state, FileHashes(state.file_hashes, state.theme_inputs), environment())
    return {job.name for job in fresh}


def _longest_first(stale: list[_Pending], state: BuildState) -> list[_Pending]:
    """Known slow jobs first, unknown ones before them: fewer idle workers at the end."""
    def last_seconds(pending: _Pending) -> float:
        record = state.records.get(pending.job.name)
        return record.seconds if record else float("inf")
    return sorted(stale, key=last_seconds, reverse=True)


def _build_stale(stale: list[_Pending], plan: Plan, options: BatchOptions, state: BuildState, env: dict[str, str],
                 report: BatchReport, progress: ProgressReporter) -> None:
    import concurrent.futures as cf

    from .executors import open_executor

    timeout_s = options.timeout_s or plan.timeout_s
    executor = open_executor(options.workers, options.cluster, len(stale))
    report.where = executor.description
    progress.workers(executor.description)
    bundles: dict[Path, ProjectBundle] | None = {} if executor.ships_files else None
    waiting: dict[cf.Future[JobResult], tuple[_Pending, int]] = {}

    def submit(pending: _Pending) -> None:
        waiting[executor.submit(_task(pending, plan, timeout_s, bundles, env))] = (pending, executor.generation)

    finished_cleanly = False
    try:
        for pending in _longest_first(stale, state):
            submit(pending)
        while waiting:
            done, _ = cf.wait(waiting, timeout=POLL_S, return_when=cf.FIRST_COMPLETED)
            progress.running(_running_names(waiting, executor.workers))
            for future in done:
                pending, generation = waiting.pop(future)
                outcome = _outcome_of(future, pending, generation, executor, state, env, submit)
                if outcome is None:
                    continue
                report.outcomes.append(outcome)
                progress.finished(outcome)
                if outcome.status == "failed" and options.fail_fast:
                    raise _FailFast()
        finished_cleanly = True
    except (KeyboardInterrupt, _FailFast) as stop:
        report.interrupted = isinstance(stop, KeyboardInterrupt)
        executor.abandon()
        reported = {outcome.name for outcome in report.outcomes}
        report.outcomes += [JobOutcome(p.job.name, "not run", error="stopped before it finished") for p in stale if p.job.name not in reported]
    finally:
        if finished_cleanly:
            executor.close()


class _FailFast(Exception):
    """The first failure stops the batch (--fail-fast)."""


def _running_names(waiting: dict[cf.Future[JobResult], tuple[_Pending, int]], workers: int) -> list[str]:
    running = [pending.job.name for future, (pending, _) in waiting.items() if future.running()]
    return running[:workers] or [pending.job.name for pending, _ in list(waiting.values())[:workers]]


def _outcome_of(future: cf.Future[JobResult], pending: _Pending, generation: int, executor: JobExecutor, state: BuildState,
                env: dict[str, str], resubmit: Any) -> JobOutcome | None:
    """The job's outcome, or None when it was sent again because its worker died."""
    import concurrent.futures as cf

    try:
        result = future.result()
    except cf.BrokenExecutor:
        if executor.generation == generation:
            executor.replace_broken()
        if pending.attempt >= MAX_ATTEMPTS:
            return JobOutcome(pending.job.name, "failed", error=f"{pending.job.name}: its worker process died {MAX_ATTEMPTS} times "
                              "while building it (out of memory? a crash in a native library?)")
        pending.attempt += 1
        resubmit(pending)
        return None
    except Exception as error:  # noqa: BLE001 - Dask's KilledWorker, a lost connection: the job failed, the batch goes on
        return JobOutcome(pending.job.name, "failed", error=f"{pending.job.name}: {type(error).__name__}: {error}")
    if result.error is not None:
        return JobOutcome(pending.job.name, "failed", result.seconds, error=result.error, worker=result.worker, traceback=result.traceback)
    try:
        return _publish(result, pending, state, env)
    except BuildError as error:
        return JobOutcome(pending.job.name, "failed", result.seconds, error=error.message, worker=result.worker)
