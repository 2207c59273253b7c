"""A render child that stays: forked once, it renders one call after another, warm, under the same limits.

A child forked for each render (contained.py) starts cold every time: WeasyPrint
registers the document's @font-face files again, Jinja compiles the templates
again, Pango opens the fonts again; for a live preview that is most of an edit's
wait. This child keeps all of that between calls. Its parent still watches each
call from outside: the child's growth in resident memory during the call and the
call's wall time; at a limit the child is killed (LimitExceeded, as before) and
the next call forks a fresh one, as it does after a call that leaves the child
holding more than twice a call's allowance beyond what it held when forked (a
forked child counts its parent's pages as its own). It dies with its parent
(lifeline.py).
"""

from __future__ import annotations

import os
import threading
from multiprocessing.connection import Connection
from typing import Any, Callable, TypeVar

from ..errors import BuildError
from ..render.fontfolders import remove_own_folders
from .contained import (Limits, Watched, answer, await_message, died, fork_child, kill, limit_address_space, reap, resident_mb,
                        start_child, value_of)

T = TypeVar("T")
# A child that holds more than this many calls' memory allowance after answering is replaced (a warm studio child
# holds about 370 MB after posters, catalogues and a CJK booklet; the allowance is 450 MB).
RETIRE_AT = 2


class ResidentChild:
    """One long-lived render process; `run` is called from one thread at a time (a lock makes sure)."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._pipe: Connection | None = None
        self._forked_mb = 0.0  # the child's resident memory when forked: its parent's pages
        self._lock = threading.Lock()
        self._closed = False

    @property
    def pid(self) -> int | None:
        return self._pid

    def run(self, function: Callable[[], T], limits: Limits, label: str) -> T:
        """`function()` (picklable) in the resident child; its value, or its exception; a limit kills the child."""
        with self._lock:
            if self._closed:
                raise BuildError(f"{label}: not rendered, the render process was stopped")
            pipe, pid = self._ensure_started()
            # The child's memory now is its own (caches, fonts): only what this call adds counts against the limit.
            allowed_mb = resident_mb(pid) + limits.memory_mb
            seen = Watched()
            try:
                pipe.send((function, allowed_mb))
                message = await_message(pid, pipe, allowed_mb, limits, label, seen)
            except BaseException:
                self._end(kill_first=True)
                raise
            if message is None:
                status = self._end(kill_first=True)
                raise died(label, status, seen)
            if resident_mb(pid) - self._forked_mb > RETIRE_AT * limits.memory_mb:
                self._end(kill_first=True)  # grown too large with what it keeps (caches, faces): the next call starts afresh
            return value_of(message)

    def stop(self) -> None:
        """Kill the child now (a call in progress sees it die), reap it and remove its font copies; no call starts after."""
        self._closed = True
        pid = self._pid
        if pid is not None:
            kill(pid)
        with self._lock:
            self._end(kill_first=True)

    def _ensure_started(self) -> tuple[Connection, int]:
        if self._pid is None or self._pipe is None:
            self._pid, self._pipe = fork_child(_serve, duplex=True)
            self._forked_mb = resident_mb(self._pid)
        return self._pipe, self._pid

    def _end(self, kill_first: bool) -> int:
        """Stop and reap the child (and remove its font copies); its wait status."""
        pid, pipe = self._pid, self._pipe
        self._pid = self._pipe = None
        if pipe is not None:
            pipe.close()
        if pid is None:
            return 0
        if kill_first:
            kill(pid)
        return reap(pid)


def _serve(pipe: Connection, parent: int) -> None:
    """The child's loop: one call at a time until the parent closes the pipe."""
    try:
        start_child(pipe, parent)
        while True:
            try:
                function, allowed_mb = pipe.recv()
            except (EOFError, OSError):
                break
            limit_address_space(allowed_mb - resident_mb())
            answer(function, pipe)
    finally:
        remove_own_folders()
        os._exit(0)
