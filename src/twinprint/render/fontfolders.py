"""Temporary folders of a run (WeasyPrint's font copies, job scratch folders): one folder per machine and user, emptied of dead processes' folders.

WeasyPrint writes every @font-face it registers into a fresh `/tmp/weasyprint-*`
folder and removes it only when its FontConfiguration is garbage-collected,
which a worker ending with os._exit, a killed process or a forked render child
never does: about 93 MB of font copies per worker were left behind. Here each
process's copies (and each job's scratch folder) go into
`<tmp>/twinprint-<uid>/<pid>-<random>/`; a process removes its own at exit, and
each run removes those of processes that are no longer running (killed ones included).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import weasyprint.text.fonts

_swept = False


def font_cache_root() -> Path:
    return Path(tempfile.gettempdir()) / f"twinprint-{os.getuid()}"


def private_folder(prefix: str = "") -> Path:
    """A new temporary folder owned by this process (removed at its exit, or by a later run if it is killed)."""
    root = font_cache_root()
    root.mkdir(mode=0o700, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{prefix}", dir=root))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owners(root: Path) -> list[tuple[Path, int]]:
    if not root.is_dir():
        return []
    return [(folder, int(folder.name.split("-", 1)[0])) for folder in root.iterdir() if folder.name.split("-", 1)[0].isdigit()]


def remove_folders_of(pid: int) -> None:
    """Remove the font copies of one process (this one at exit, or a render child its parent killed)."""
    for folder, owner in _owners(font_cache_root()):
        if owner == pid:
            shutil.rmtree(folder, ignore_errors=True)


def remove_own_folders() -> None:
    remove_folders_of(os.getpid())


def remove_folders_of_ended_processes() -> None:
    """Remove the font copies of processes that are no longer running (killed, or ended by os._exit)."""
    for folder, owner in _owners(font_cache_root()):
        if owner != os.getpid() and not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)


def _font_folder(prefix: str = "weasyprint-", **_: object) -> str:
    """WeasyPrint's mkdtemp, redirected under font_cache_root()."""
    global _swept
    if not _swept:
        _swept = True
        remove_folders_of_ended_processes()
    return str(private_folder("fonts-"))


def _after_fork_in_child() -> None:
    global _swept
    _swept = True  # the parent swept already


weasyprint.text.fonts.mkdtemp = _font_folder
os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(remove_own_folders)
