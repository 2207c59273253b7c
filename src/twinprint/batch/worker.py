"""What runs inside a worker process (local pool or Dask): build one job, return its files.

The worker builds into a private scratch folder and sends back the bytes of
every file the build wrote; only the coordinating process writes to the output
folder, atomically. Start-up work (imports, Fontconfig, the shared font
configuration with the built-in faces) happens once per worker; each job then
renders in a forked child that the worker kills at the job's memory or time
limit (contained.py), and the worker dies with its coordinator (lifeline.py).
"""

from __future__ import annotations

import ctypes
import dataclasses
import multiprocessing.util
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ..build import BuildRequest, build_document
from ..errors import TwinprintError
from ..layout.templates import builtin_root
from ..render.fontfolders import private_folder, remove_own_folders
from ..render.pdf import SandboxFetcher, use_font_configuration
from . import contained
from .bundle import ProjectBundle, unpacked_request
from .contained import LimitExceeded, Limits, run_contained
from .fonts import shared_font_configuration
from .keys import environment
from .lifeline import watch_process

_prepared = False
MEMORY_LIMIT_MB = 450.0
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
    # Resident memory a job's render process may reach before it is killed (issue 6: under 500 MB).
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


def _tune_malloc() -> None:
    """Fixed glibc thresholds: big font buffers go back to the system instead of bloating the heap."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, 4 << 20)
    except (OSError, AttributeError):
        pass


def warm_up_fonts() -> None:
    """Render a line in every built-in face: the faces are registered once here and every job's child inherits them."""
    import weasyprint

    css_file = builtin_root() / "layouts" / "fonts.css"
    fonts_url = (builtin_root() / "fonts").as_uri() + "/"
    css = css_file.read_text(encoding="utf-8").replace("{{ fonts_url }}", fonts_url) if css_file.is_file() else ""
    fetcher = SandboxFetcher(allowed_roots=(builtin_root() / "fonts",))
    # Each family, weight and style once: Pango opens and caches the font files here, not in every job's child.
    samples = "".join(f'<p style="font-family: \'{family}\'; font-weight: {weight}; font-style: {style}">twinprint 城市 1990</p>'
                      for family in ("TP Serif", "TP Sans", "TP CJK Serif", "TP CJK Sans")
                      for weight in (400, 700) for style in ("normal", "italic"))
    html = f"<style>{css}</style>{samples}"
    weasyprint.HTML(string=html, url_fetcher=fetcher).render(font_config=shared_font_configuration()).write_pdf()


def prepare_worker(coordinator_pid: int | None = None) -> None:
    """Once per worker process: die with the coordinator, memory settings, the shared font configuration, a first render."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    if coordinator_pid is not None:
        watch_process(coordinator_pid)
        # A pool worker ends with os._exit: multiprocessing's finalizers still run, atexit handlers do not.
        multiprocessing.util.Finalize(None, remove_own_folders, exitpriority=10)
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C reaches the whole process group: the coordinator alone decides what stops.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _tune_malloc()
    use_font_configuration(shared_font_configuration)
    warm_up_fonts()


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
    """Build one job in a scratch folder, rendered in a contained child; failures come back as a one-line error.

    `prepare`: make this process a worker first (done once); False when the coordinator runs the job itself.
    """
    started = time.perf_counter()
    if prepare:
        prepare_worker()
    result = JobResult(task.name, worker=f"{socket.gethostname()}:{os.getpid()}")
    # Made and removed here, outside the child: a killed child leaves nothing behind.
    scratch = private_folder("job-")
    try:
        result.error = _environment_mismatch(task.expected_environment)
        if result.error is None:
            limits = Limits(task.memory_limit_mb, task.timeout_s, whole_process=prepare)
            result = run_contained(partial(_job_in_child, task, scratch, result), limits, task.name)
    except LimitExceeded as error:
        result.error = error.message
        result.traceback = traceback.format_exc()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    result.peak_rss_mb = contained.last_report.peak_mb
    return result


def _job_in_child(task: JobTask, scratch: Path, result: JobResult) -> JobResult:
    try:
        _build_into(task, scratch, result)
    except TwinprintError as error:
        # Name files where the user will find them, not in this job's scratch folder.
        result.error = error.message.replace(str(scratch), str(task.request.output_dir))
        result.traceback = traceback.format_exc()
    except Exception as error:  # noqa: BLE001 - reported as the job's failure, never lost
        where = traceback.extract_tb(error.__traceback__)[-1]
        result.error = f"{task.name}: internal error {type(error).__name__}: {error} (at {Path(where.filename).name}:{where.lineno})"
        result.traceback = traceback.format_exc()
    return result


def _build_into(task: JobTask, scratch: Path, result: JobResult) -> None:
    request = dataclasses.replace(task.request, output_dir=scratch)
    to_coordinator: Any = None
    if task.bundle is not None:
        request, to_coordinator = unpacked_request(task.bundle, request)
    built = build_document(request)
    result.files = _collect_files(scratch)
    result.pdf = str(built.output.relative_to(scratch))
    result.pages = built.page_count
    result.warnings = list(built.warnings)
    fetched = built.rendered.fetched if built.rendered else {}
    result.fetched = to_coordinator(fetched) if to_coordinator else dict(fetched)
