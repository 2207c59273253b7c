"""Run the twinprint command line once per argument list, each in its own process, importing twinprint only once.

Reads a JSON list of argument lists on stdin; prints a JSON list of
{"code", "stdout", "stderr"}, in the same order. Each run is a fork of this
interpreter (which has imported twinprint but run nothing) calling the real
entry point `twinprint.cli.run()`, with its own stdout/stderr file descriptors;
an exception escaping it is printed by `sys.excepthook`, as the interpreter
itself would. As many runs go at once as the machine has cores.

The stages a build imports (WeasyPrint, the models, pikepdf) are imported here once too, before
any fork: each run would otherwise import them again (seconds each on a slow machine).
tests/test_bad_inputs.py starts a few cases in a fresh interpreter as well.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import IO

import twinprint.batch.runner  # noqa: F401 - imported once, before the forks
import twinprint.build  # noqa: F401
import twinprint.cli
import twinprint.prepress.preflight  # noqa: F401


def _child(argv: list[str], out_fd: int, err_fd: int) -> int:
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    sys.argv = ["twinprint", *argv]
    try:
        twinprint.cli.run()
        return 0
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - what the interpreter does with an uncaught exception
        sys.excepthook(*sys.exc_info())
        return 1


def start_forked(argv: list[str]) -> tuple[int, IO[bytes], IO[bytes]]:
    """Fork one run; returns its pid and the files its stdout and stderr go to."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = _child(argv, out.fileno(), err.fileno())
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid, out, err


def collected(status: int, out: IO[bytes], err: IO[bytes]) -> dict[str, object]:
    with out, err:
        out.seek(0)
        err.seek(0)
        return {"code": os.waitstatus_to_exitcode(status), "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace")}


def run_all(argvs: list[list[str]], at_once: int) -> list[dict[str, object]]:
    results: list[dict[str, object] | None] = [None] * len(argvs)
    running: dict[int, tuple[int, IO[bytes], IO[bytes]]] = {}
    pending = list(enumerate(argvs))
    while pending or running:
        while pending and len(running) < at_once:
            index, argv = pending.pop(0)
            pid, out, err = start_forked(argv)
            running[pid] = (index, out, err)
        pid, status = os.wait()
        if pid in running:
            index, out, err = running.pop(pid)
            results[index] = collected(status, out, err)
    return [result for result in results if result is not None]


if __name__ == "__main__":
    print(json.dumps(run_all(json.load(sys.stdin), os.cpu_count() or 1)))
