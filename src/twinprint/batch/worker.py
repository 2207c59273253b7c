"""What runs inside a worker process (local pool or Dask): build one job, return its files.

The worker builds into a private scratch folder and sends back the bytes of
every file the build wrote; only the coordinating process writes to the output
folder, atomically. Start-up work (imports, Fontconfig, the shared font
configuration) happens once per worker. A job over its time limit is stopped
with an exception raised in the thread that runs it.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import resource
import shutil
import signal
import socket
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..build import BuildRequest, build_document
from ..errors import TwinprintError
from ..render.pdf import use_font_configuration
from .bundle import ProjectBundle, unpacked_request
from .fonts import shared_font_configuration
from .keys import environment

_prepared = False
MEMORY_LIMIT_MB = 450.0
MEMORY_POLL_S = 0.05
PREPARED_WORKER_MB = 100.0  # resident memory of a worker after prepare_worker(), measured
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


@dataclass(frozen=True)
class JobTask:
    """Everything a worker needs for one job; picklable, so it travels to any worker."""

    name: str
    request: BuildRequest
    timeout_s: float
    # Set for clusters: the job's content and layouts travel with it, no shared storage needed.
    bundle: ProjectBundle | None = None
    # The coordinator's environment (code, WeasyPrint, fonts): a worker that differs refuses the job.
    expected_environment: dict[str, str] | None = None
    # Resident memory a job may reach before it is stopped (issue 6: under 500 MB).
    memory_limit_mb: float = MEMORY_LIMIT_MB


@dataclass
class JobResult:
    name: str
    error: str | None = None
    # Relative path -> bytes of every file the build wrote; `pdf` names the document among them.
    files: dict[str, bytes] = field(default_factory=dict)
    pdf: str = ""
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    fetched: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""
    peak_rss_mb: float = 0.0
    # The failure's traceback, shown by --debug.
    traceback: str = ""


class JobTimedOut(BaseException):
    """Raised inside a job's thread at its time limit; BaseException so no `except Exception` eats it."""


class JobOutOfMemory(BaseException):
    """Raised inside a job's thread when its process passes the memory limit."""


def resident_mb() -> float:
    """This process's resident memory (Linux /proc; 0 where unknown, which disables the limit)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _tune_malloc() -> None:
    """Fixed glibc thresholds: big font buffers go back to the system instead of bloating the heap."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 4 << 20)
    except (OSError, AttributeError):
        pass


def _release_memory() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def prepare_worker() -> None:
    """Once per worker process: memory settings, the shared font configuration, a first render."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C reaches the whole process group: the coordinator alone decides what stops.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _tune_malloc()
    use_font_configuration(shared_font_configuration)
    import weasyprint

    # Loads Pango, HarfBuzz, Fontconfig's font list and the user-agent stylesheets.
    weasyprint.HTML(string="<p>twinprint</p>").render(font_config=shared_font_configuration()).write_pdf()


class Deadline:
    """Raise JobTimedOut in this thread after `seconds`; stopping it clears a pending one."""

    exception: type[BaseException] = JobTimedOut

    def __init__(self, seconds: float) -> None:
        self.thread_id = threading.get_ident()
        self.lock = threading.Lock()
        self.armed = True
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True

    def _fire(self) -> None:
        with self.lock:
            if self.armed:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread_id), ctypes.py_object(self.exception))

    def __enter__(self) -> "Deadline":
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()
        with self.lock:
            self.armed = False
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread_id), None)


class MemoryGuard(Deadline):
    """Raise JobOutOfMemory in this thread once the process holds more than `limit_mb` (checked every 50 ms).

    WeasyPrint keeps every laid-out page in memory: a huge document would grow
    until the machine swaps or the kernel kills the worker. This stops it first,
    with a message, and the worker lives on for the next job.
    """

    exception = JobOutOfMemory

    def __init__(self, limit_mb: float, in_worker: bool = True) -> None:
        super().__init__(0)
        # A worker process holds one job at a time, so its whole RSS counts. When the
        # coordinator runs the job itself (one job, tests, watch), its RSS already holds
        # whatever it did before: allow the job the growth a fresh worker would have.
        self.limit_mb = limit_mb if in_worker else max(limit_mb, resident_mb() + limit_mb - PREPARED_WORKER_MB)
        self.timer = _Poller(self._check)

    def _check(self) -> bool:
        if resident_mb() <= self.limit_mb:
            return False
        self._fire()
        return True


class _Poller(threading.Thread):
    """Calls `check` every MEMORY_POLL_S until it returns True or `cancel()` is called."""

    def __init__(self, check: Any) -> None:
        super().__init__(daemon=True)
        self.check = check
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(MEMORY_POLL_S):
            if self.check():
                return

    def cancel(self) -> None:
        self.stopped.set()


def _collect_files(scratch: Path) -> dict[str, bytes]:
    return {str(p.relative_to(scratch)): p.read_bytes() for p in sorted(scratch.rglob("*")) if p.is_file()}


def _environment_mismatch(expected: dict[str, str] | None) -> str | None:
    if expected is None:
        return None
    here = environment()
    differs = [k for k in ("twinprint", "weasyprint", "fonts") if here.get(k) != expected.get(k)]
    if not differs:
        return None
    what = ", ".join(f"{k} {here.get(k)} (coordinator: {expected.get(k)})" for k in differs)
    return f"worker {socket.gethostname()} differs from this machine: {what}; install the same twinprint, WeasyPrint and fonts on every worker"


def run_job(task: JobTask, prepare: bool = True) -> JobResult:
    """Build one job in a scratch folder; failures come back as a result with a one-line error.

    `prepare`: make this process a worker first (done once); False when the coordinator runs the job itself.
    """
    started = time.perf_counter()
    if prepare:
        prepare_worker()
    result = JobResult(task.name, worker=f"{socket.gethostname()}:{os.getpid()}")
    scratch = Path(tempfile.mkdtemp(prefix="twinprint-job-"))
    try:
        result.error = _environment_mismatch(task.expected_environment)
        if result.error is None:
            _build_into(task, scratch, result, in_worker=prepare)
    except TwinprintError as error:
        # Name files where the user will find them, not in this job's scratch folder.
        result.error = error.message.replace(str(scratch), str(task.request.output_dir))
        result.traceback = traceback.format_exc()
    except JobTimedOut:
        result.error = f"{task.name}: stopped after the time limit of {task.timeout_s:g} s"
    except JobOutOfMemory:
        result.error = (f"{task.name}: stopped at the memory limit of {task.memory_limit_mb:g} MB: the content is too large "
                        "for one document (split it into several content folders)")
    except Exception as error:  # noqa: BLE001 - reported as the job's failure, never lost
        where = traceback.extract_tb(error.__traceback__)[-1]
        result.error = f"{task.name}: internal error {type(error).__name__}: {error} (at {Path(where.filename).name}:{where.lineno})"
        result.traceback = traceback.format_exc()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        _release_memory()
    result.seconds = time.perf_counter() - started
    result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _build_into(task: JobTask, scratch: Path, result: JobResult, in_worker: bool) -> None:
    request = dataclasses.replace(task.request, output_dir=scratch)
    to_coordinator: Any = None
    if task.bundle is not None:
        request, to_coordinator = unpacked_request(task.bundle, request)
    with Deadline(task.timeout_s), MemoryGuard(task.memory_limit_mb, in_worker):
        built = build_document(request)
    result.files = _collect_files(scratch)
    result.pdf = str(built.output.relative_to(scratch))
    result.pages = built.page_count
    result.warnings = list(built.warnings)
    fetched = built.rendered.fetched if built.rendered else {}
    result.fetched = to_coordinator(fetched) if to_coordinator else dict(fetched)
