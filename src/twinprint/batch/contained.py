"""Run one render in a child process whose limits are enforced from outside it.

WeasyPrint's SVG drawing catches BaseException, so nothing raised inside the
rendering process (a memory guard, a timer, Ctrl-C) can be relied on to stop a
runaway drawing. Each render is therefore forked into a child (which inherits
the imported modules and the font configuration of its parent); the parent
polls the child's resident memory and wall time and SIGKILLs it at a limit,
naming the figure it was drawing. RLIMIT_AS is a backstop, and the child dies
with its parent (lifeline.py).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import resource
import signal
import sys
import threading
import tempfile
import time
import traceback
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from typing import Any, Callable, TypeVar
from urllib.parse import unquote, urlparse

from ..errors import BuildError
from ..render.fontfolders import remove_folders_of, remove_own_folders
from ..render.svgdraw import report_figures_to
from .lifeline import die_with_parent

T = TypeVar("T")
POLL_S = 0.05
# Resident memory of a prepared worker (measured): a coordinator that runs a job itself may
# already hold more than that, and the job is allowed the growth a fresh worker would have.
PREPARED_WORKER_MB = 100.0
ADDRESS_SPACE_HEADROOM_MB = 512.0


@dataclass(frozen=True)
class Limits:
    memory_mb: float
    seconds: float
    # True: the limit is the child's whole resident memory (a worker holds nothing else);
    # False: its parent's memory at the fork does not count against the job.
    whole_process: bool = True


class LimitExceeded(BuildError):
    """The render was killed from outside at a limit (or died on its own); the message says which."""


@dataclass(frozen=True)
class ChildReport:
    """What the parent saw of a finished child: its peak memory and time."""

    peak_mb: float
    seconds: float


def resident_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (Linux /proc; 0 where unknown, which disables the limit)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _virtual_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


_channel: Connection | None = None
last_report = ChildReport(0.0, 0.0)


def _report_figure(stage: str, url: str) -> None:
    if _channel is not None:
        try:
            _channel.send(("figure", f"{stage} the figure {_shown(url)}"))
        except (OSError, ValueError):
            pass


def run_contained(function: Callable[[], T], limits: Limits, label: str) -> T:
    """`function()` in a forked child; its value, or its exception, comes back; a limit kills it (LimitExceeded)."""
    allowed_mb = limits.memory_mb if limits.whole_process else max(limits.memory_mb, resident_mb() + limits.memory_mb - PREPARED_WORKER_MB)
    pid, reader = fork_child(partial(_child, function, allowed_mb=allowed_mb))
    try:
        return _supervise(pid, reader, allowed_mb, limits, label)
    finally:
        reader.close()


# Render children not yet reaped: at this process's exit they are ended and their font copies removed (a daemon
# thread waiting for one, such as a studio build, stops at exit; the child would then die with its parent, copies left).
_unreaped: set[int] = set()
# Held from fork to the child's entry in _unreaped: the exit handler waits for it, so a child a thread has just
# forked cannot slip past it.
_forking = threading.Lock()


def fork_child(body: Callable[[Connection, int], None], duplex: bool = False) -> tuple[int, Connection]:
    """Fork a child that runs `body(its end of a pipe, this process's pid)` and never returns; its pid and this end."""
    ours, theirs = multiprocessing.Pipe(duplex=duplex)  # one way: (reader, writer)
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    settle_temporary_folder()
    with _forking:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            _child_starts_unlocked()
            ours.close()
            body(theirs, parent)
        _unreaped.add(pid)
    theirs.close()
    return pid, ours


def _child_starts_unlocked() -> None:
    """In a fresh child: no children of its own yet, and the fork lock (held by the parent's fork) free."""
    global _forking
    _forking = threading.Lock()
    _unreaped.clear()


def settle_temporary_folder() -> None:
    """Have tempfile choose its folder and names now, in this thread.

    It does so once, under a lock: a child forked (from a thread, as the studio's builds are)
    while another thread held that lock would wait for it forever at its first temporary folder.
    """
    tempfile.gettempdir()
    tempfile._get_candidate_names()  # noqa: SLF001 - the same lock, taken on the first name


def reap(pid: int) -> int:
    """Wait for a child to end and remove its font copies (a killed child could not); its wait status."""
    try:
        status = os.waitpid(pid, 0)[1]
    except ChildProcessError:  # reaped already, by the exit handler below
        status = 0
    _unreaped.discard(pid)
    remove_folders_of(pid)
    return status


@atexit.register
def _end_unreaped_children() -> None:
    with _forking:
        children = list(_unreaped)
    for pid in children:
        kill(pid)
        reap(pid)


def _child(function: Callable[[], Any], writer: Connection, parent: int, allowed_mb: float) -> None:
    try:
        start_child(writer, parent)
        limit_address_space(allowed_mb)
        answer(function, writer)
    finally:
        remove_own_folders()
        os._exit(0)


def start_child(writer: Connection, parent: int) -> None:
    """In a fresh render child: Ctrl-C is the parent's to handle, die with it, tell it which figure is being drawn."""
    global _channel
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    _channel = writer
    report_figures_to(_report_figure)


def limit_address_space(allowed_mb: float) -> None:
    """The backstop: address space for `allowed_mb` more than now (soft limit, so a resident child can move it on)."""
    ceiling = int((_virtual_mb() + allowed_mb + ADDRESS_SPACE_HEADROOM_MB) * 2**20)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, resource.getrlimit(resource.RLIMIT_AS)[1]))


def answer(function: Callable[[], Any], writer: Connection) -> None:
    """Run `function` and send its value, or its exception and traceback, to the parent."""
    try:
        message: tuple[Any, ...] = ("value", function())
    except BaseException as error:  # noqa: BLE001 - travels to the parent, which raises it
        message = ("error", error, traceback.format_exc())
    try:
        writer.send(message)
    except Exception as error:  # noqa: BLE001 - an exception that cannot be pickled
        writer.send(("error", BuildError(f"{type(message[1]).__name__}: {message[1]}"), repr(error)))


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class Watched:
    """What the parent saw of a child while waiting: its peak memory, and the figure it was drawing."""

    peak_mb: float = 0.0
    drawing: str | None = None


def await_message(pid: int, reader: Connection, allowed_mb: float, limits: Limits, label: str, seen: Watched) -> tuple[Any, ...] | None:
    """The child's answer ("value" or "error"), or None if it died; at a limit it is killed (LimitExceeded)."""
    started = time.monotonic()
    while True:
        if reader.poll(POLL_S):
            try:
                received = reader.recv()
            except EOFError:
                return None
            if received[0] != "figure":
                return received
            seen.drawing = received[1]
            continue
        seen.peak_mb = max(seen.peak_mb, resident_mb(pid))
        elapsed = time.monotonic() - started
        if seen.peak_mb > allowed_mb:
            kill(pid)
            raise LimitExceeded(f"{label}: stopped at the memory limit of {limits.memory_mb:g} MB{_while(seen.drawing)} "
                                f"(killed after {elapsed:.1f} s at {seen.peak_mb:.0f} MB)")
        if elapsed > limits.seconds:
            kill(pid)
            raise LimitExceeded(f"{label}: stopped after the time limit of {limits.seconds:g} s{_while(seen.drawing)}")


def value_of(message: tuple[Any, ...]) -> Any:
    """The child's value, or its exception raised here with the child's traceback as a note (for --debug)."""
    if message[0] == "error":
        error = message[1]
        if isinstance(error, BaseException):
            error.add_note(message[2])
            raise error
    return message[1]


def died(label: str, status: int, seen: Watched) -> LimitExceeded:
    return LimitExceeded(f"{label}: the render process died ({_how(status)}){_while(seen.drawing)}: out of memory, or a crash in a native library")


def _supervise(pid: int, reader: Connection, allowed_mb: float, limits: Limits, label: str) -> Any:
    global last_report
    started = time.monotonic()
    seen = Watched()
    try:
        message = await_message(pid, reader, allowed_mb, limits, label, seen)
    except BaseException:
        kill(pid)
        raise
    finally:
        status = reap(pid)
        last_report = ChildReport(seen.peak_mb, time.monotonic() - started)
    if message is None:
        raise died(label, status, seen)
    return value_of(message)


def _shown(url: str) -> str:
    return unquote(urlparse(url).path) if url.startswith("file:") else url[:100]


def _while(figure: str | None) -> str:
    return f" while {figure}" if figure else ""


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
