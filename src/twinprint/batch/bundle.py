"""Ship a job's project files to a cluster worker: no shared storage needed.

A bundle holds the job's content folder and the project's own layouts/ (a few
hundred kB). A worker unpacks each bundle once, by digest, and builds from
there; what it fetched is reported back under the coordinator's paths, so job
keys stay the same whichever machine built the job. twinprint itself (with its
built-in layouts and fonts) and the system fonts must be installed on workers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlparse

from ..request import BuildRequest
from ..layout.lookup import builtin_root
from .keys import visible_files

CONTENT_PREFIX = "content"
LAYOUTS_PREFIX = "layouts"


@dataclass(frozen=True)
class ProjectBundle:
    """Files (relative path, bytes) and where each part lives on the coordinator."""

    digest: str
    files: tuple[tuple[str, bytes], ...]
    content_dir: str
    project_root: str
    coordinator_builtin_root: str

    @property
    def slug(self) -> str:
        return Path(self.content_dir).name


def make_bundle(content_dir: Path, project_root: Path) -> ProjectBundle:
    """Pack a content folder and the project's layouts/ for a remote worker."""
    content_dir, project_root = Path(content_dir).resolve(), Path(project_root).resolve()
    files = [(f"{CONTENT_PREFIX}/{content_dir.name}/{p.relative_to(content_dir)}", p.read_bytes()) for p in visible_files(content_dir)]
    layouts = project_root / "layouts"
    if layouts.is_dir():
        files += [(f"{LAYOUTS_PREFIX}/{p.relative_to(layouts)}", p.read_bytes()) for p in visible_files(layouts)]
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return ProjectBundle(digest.hexdigest()[:24], tuple(files), str(content_dir), str(project_root), str(builtin_root()))


def unpack(bundle: ProjectBundle) -> Path:
    """The bundle's files on this machine, written once per digest (atomically, by renaming a folder)."""
    root = Path(tempfile.gettempdir()) / "twinprint-bundles" / bundle.digest
    if root.is_dir():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{bundle.digest}."))
    for name, data in bundle.files:
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    try:
        os.rename(staging, root)
    except OSError:
        # Another job of this worker machine unpacked it first: same digest, same files.
        shutil.rmtree(staging, ignore_errors=True)
    return root


def unpacked_request(bundle: ProjectBundle, request: BuildRequest) -> tuple[BuildRequest, Callable[[dict[str, str]], dict[str, str]]]:
    """The request pointed at the unpacked files, and a function mapping fetched URLs back."""
    root = unpack(bundle).resolve()
    local = dataclasses.replace(request, content_dir=root / CONTENT_PREFIX / bundle.slug, project_root=root)
    places = [
        (root / CONTENT_PREFIX / bundle.slug, Path(bundle.content_dir)),
        (root / LAYOUTS_PREFIX, Path(bundle.project_root) / "layouts"),
        (builtin_root(), Path(bundle.coordinator_builtin_root)),
    ]

    def to_coordinator(fetched: dict[str, str]) -> dict[str, str]:
        mapped = {}
        for url, digest in fetched.items():
            path = Path(unquote(urlparse(url).path)) if url.startswith("file:") else None
            for here, there in places:
                if path is not None and path.is_relative_to(here):
                    url = (there / path.relative_to(here)).as_uri()
                    break
            mapped[url] = digest
        return mapped

    return local, to_coordinator
