"""Processes of a run die with the process that started them, on SIGKILL too.

A render child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG);
a pool worker, whose parent is multiprocessing's fork server rather than the
coordinator, watches the coordinator through a pidfd and kills itself when it
goes. With the workers gone, the fork server and the resource tracker see their
pipes close and exit too: nothing of a run outlives its coordinator.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import threading

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """SIGKILL this process when its parent ends (Linux); exit now if it already has."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        watch_process(parent_pid)
    # The parent may have died between fork() and prctl(): then we were already given to init.
    if os.getppid() != parent_pid:
        os._exit(1)


def watch_process(pid: int) -> None:
    """A daemon thread that kills this process as soon as process `pid` ends."""
    try:
        handle = os.pidfd_open(pid)
    except (OSError, AttributeError):
        handle = None
    if handle is None:
        threading.Thread(target=_poll_until_gone, args=(pid,), daemon=True, name="twinprint-lifeline").start()
        return
    threading.Thread(target=_wait_for_pidfd, args=(handle,), daemon=True, name="twinprint-lifeline").start()


def _wait_for_pidfd(handle: int) -> None:
    select.select([handle], [], [])  # readable once the process has ended
    os.kill(os.getpid(), signal.SIGKILL)


def _poll_until_gone(pid: int) -> None:
    import time

    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os.kill(os.getpid(), signal.SIGKILL)
        except PermissionError:
            pass
        time.sleep(0.5)
