"""Run the twinprint command line once per argument list, each in its own process, importing twinprint only once.

Reads a JSON list of argument lists on stdin; prints a JSON list of
{"code", "stdout", "stderr"}. Each run is a fork of this interpreter (which has
imported twinprint but run nothing) calling the real entry point
`twinprint.cli.run()`, with its own stdout/stderr file descriptors; an exception
escaping it is printed by `sys.excepthook`, as the interpreter itself would.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

import twinprint.cli


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


def run_forked(argv: list[str]) -> dict[str, object]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
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
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        return {"code": code, "stdout": out.read().decode(errors="replace"), "stderr": err.read().decode(errors="replace")}


if __name__ == "__main__":
    print(json.dumps([run_forked(argv) for argv in json.load(sys.stdin)]))
