"""One WeasyPrint font configuration per worker thread, reused by every document it renders.

A fresh configuration per document re-reads, copies and registers every
@font-face file (about 100 MB of CJK faces here) on each render. The shared one
registers each face once and replays what that face read into every later
document's fetch record, so job keys still name their fonts; a face whose file
changed on disk, or that the document's sandbox would refuse, starts a new
configuration instead.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlparse

from weasyprint.text.fonts import FontConfiguration

from ..render.pdf import SandboxFetcher, use_font_configuration


@dataclass(frozen=True)
class FaceFile:
    """A file an @font-face rule read, with what it looked like then."""

    url: str
    sha256: str
    size: int
    mtime_ns: int


def _local_path(url: str) -> Path | None:
    return Path(unquote(urlparse(url).path)) if url.startswith("file:") else None


def _face_file(url: str, sha256: str) -> FaceFile:
    path = _local_path(url)
    stat = path.stat() if path is not None and path.is_file() else None
    return FaceFile(url, sha256, stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1)


def _unchanged(face: FaceFile) -> bool:
    path = _local_path(face.url)
    if path is None:
        return True
    try:
        stat = path.stat()
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (face.size, face.mtime_ns)


def _allowed(face: FaceFile, fetcher: Any) -> bool:
    path = _local_path(face.url)
    if not isinstance(fetcher, SandboxFetcher):
        return False
    if path is None:
        host = (urlparse(face.url).hostname or "").lower().rstrip(".")
        return face.url.startswith("data:") or host in fetcher.allowed_hosts
    return fetcher.allows_file(path.resolve())


class SharedFontConfiguration(FontConfiguration):  # type: ignore[misc]
    """A FontConfiguration that loads each @font-face once and reports its files to every document."""

    def __init__(self) -> None:
        super().__init__()
        self.faces: dict[str, tuple[FaceFile, ...]] = {}
        self.stale = False

    def add_font_face(self, rule_descriptors: Any, url_fetcher: Any) -> Any:
        key = str(rule_descriptors)
        known = self.faces.get(key)
        if known is not None:
            for face in known:
                if not _allowed(face, url_fetcher):
                    url_fetcher.fetch(face.url)  # refused by this document's sandbox, as on a first load
            # Fontconfig cannot forget a face: this document gets the face as loaded (and records that
            # version), the next document a new configuration.
            self.stale = self.stale or not all(_unchanged(face) for face in known)
            url_fetcher.fetched.update({face.url: face.sha256 for face in known})
            return None
        before = dict(getattr(url_fetcher, "fetched", {}))
        result = super().add_font_face(rule_descriptors, url_fetcher)
        read = {url: sha for url, sha in getattr(url_fetcher, "fetched", {}).items() if before.get(url) != sha}
        self.faces[key] = tuple(_face_file(url, sha) for url, sha in read.items())
        return result


_per_thread = threading.local()


def _own_folder_after_fork() -> None:
    """A forked render child writes new font copies into a folder of its own, never into its parent's.

    WeasyPrint skips registering a face whose copy already exists in the folder, so a
    copy left there by one child would make the next child's document lack that face.
    """
    config = getattr(_per_thread, "config", None)
    if config is not None:
        config._folder = None


os.register_at_fork(after_in_child=_own_folder_after_fork)


def shared_font_configuration() -> SharedFontConfiguration:
    """This thread's configuration; a new one when a face's file changed since it was loaded."""
    config = getattr(_per_thread, "config", None)
    if config is None or config.stale:
        config = _per_thread.config = SharedFontConfiguration()
    return config


@contextmanager
def fonts_shared_while() -> Iterator[None]:
    """Within the block, every document this thread renders shares one font configuration."""
    previous = use_font_configuration(shared_font_configuration)
    try:
        yield
    finally:
        use_font_configuration(previous)
