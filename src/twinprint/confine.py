"""The one rule for every file a build reads: inside the project, or twinprint's own layouts/ and fonts/.

Paths are resolved (`..` and symlinks) before the check, so a link inside the
project that points elsewhere is refused like the path it points to. The web
fetcher adds the system font folders for @font-face local() fonts; nothing
else of the machine, nor the rest of twinprint's installation (its .git,
its sources), is readable by content, layouts or themes.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .errors import ContentError, FetchRefused, LayoutError

PACKAGE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def builtin_root() -> Path:
    """Where the built-in layouts/ and fonts/ live: the source checkout, or the wheel's data."""
    for candidate in (PACKAGE_DIR.parents[1], PACKAGE_DIR / "_data"):
        if (candidate / "layouts").is_dir() and (candidate / "fonts").is_dir():
            return candidate
    raise LayoutError(f"twinprint is installed without its layouts/ and fonts/ folders (looked beside {PACKAGE_DIR})")


@lru_cache(maxsize=1)
def installation_roots() -> tuple[Path, ...]:
    """The parts of twinprint's installation a document may read: layouts/ and fonts/, nothing else."""
    return ((builtin_root() / "layouts").resolve(), (builtin_root() / "fonts").resolve())


def readable_roots(project_root: Path) -> tuple[Path, ...]:
    return (Path(project_root).resolve(), *installation_roots())


def is_readable(path: Path, project_root: Path) -> bool:
    """Whether the real file behind `path` is inside the project or twinprint's layouts/ and fonts/."""
    try:
        real = Path(path).resolve()
    except (OSError, RuntimeError):
        return False
    return any(real.is_relative_to(root) for root in readable_roots(project_root))


def refuse_unless_readable(path: Path, project_root: Path, asked_by: str) -> Path:
    """The resolved path, or FetchRefused naming who asked, what and where it really leads."""
    try:
        real = Path(path).resolve()
    except (OSError, RuntimeError):
        raise FetchRefused(f"{asked_by}: refused {str(path)!r}: not a valid path") from None
    if not any(real.is_relative_to(root) for root in readable_roots(project_root)):
        leads = f" (a link to {real})" if real != Path(path).absolute() else ""
        raise FetchRefused(f"{asked_by}: refused {str(path)!r}: outside the project{leads}")
    return real


def check_content_folder(folder: Path, project_root: Path) -> None:
    """A content folder inside the project must really be there, not a link to a folder elsewhere.

    A folder named on the command line outside the project is the user's choice and is read as given.
    """
    given, root = Path(os.path.abspath(folder)), Path(os.path.abspath(project_root))
    if given.is_relative_to(root) and not is_readable(folder, project_root):
        raise ContentError.single(folder, "", f"refused: the content folder is a link to {Path(folder).resolve()}, outside the project",
                                  "outside-project")
