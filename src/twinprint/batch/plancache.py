"""Planning without re-reading what has not changed: the last plan of twinprint.toml, and each folder's languages.

Validating twinprint.toml and each exhibit (pydantic models) costs more than an
up-to-date build should take. A plan is reused when the manifest's text, the
command's filters, the content folders its globs match and every file in them
(size and modification time) are as they were; a folder's languages likewise.
Any change, or anything unreadable, plans from scratch. The records live in the
output folder beside manifest.json and are only caches: when they cannot be
read or written they are ignored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content import EXHIBIT_FILE
from ..request import BuildRequest, write_atomically

if TYPE_CHECKING:
    from .jobs import Plan

MANIFEST_FILE = "twinprint.toml"
CACHE_FILE = ".plan-languages.json"
PLAN_FILE = ".plan.json"


def find_manifest(project_root: Path) -> Path | None:
    file = Path(project_root) / MANIFEST_FILE
    return file if file.is_file() else None


def folder_stamp(folder: Path) -> str:
    """A digest of every visible file's relative path, size and modification time under the folder."""
    listing = hashlib.sha256()
    for directory, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(directory, name)
            stat = path.stat()
            listing.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return listing.hexdigest()


class LanguageCache:
    """{folder: (stamp, languages)} of one output folder."""

    def __init__(self, output_dir: Path | None) -> None:
        self.file = Path(output_dir) / CACHE_FILE if output_dir is not None else None
        self.entries: dict[str, list] = {}
        self.changed = False
        if self.file is not None:
            try:
                self.entries = dict(json.loads(self.file.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                self.entries = {}

    def languages(self, folder: Path) -> list[str] | None:
        entry = self.entries.get(str(Path(folder).resolve()))
        try:
            return list(entry[1]) if entry and entry[0] == folder_stamp(folder) else None
        except OSError:
            return None

    def remember(self, folder: Path, languages: list[str]) -> None:
        try:
            entry = [folder_stamp(folder), list(languages)]
        except OSError:
            return
        if self.entries.get(str(Path(folder).resolve())) != entry:
            self.entries[str(Path(folder).resolve())] = entry
            self.changed = True

    def save(self) -> None:
        if self.file is None or not self.changed or not self.file.parent.is_dir():
            return
        try:
            write_atomically(self.file, json.dumps(self.entries, indent=1, sort_keys=True).encode())
        except OSError:
            pass  # only a cache: the next plan loads the content again
        self.changed = False


def _request_from_json(values: dict[str, Any]) -> BuildRequest:
    paths = {"content_dir", "output_dir", "project_root"}
    fields = {name: Path(value) if name in paths else tuple(tuple(v) if isinstance(v, list) else v for v in value)
              if isinstance(value, list) else value for name, value in values.items()}
    return BuildRequest(**fields)


def _request_to_json(request: BuildRequest) -> dict[str, Any]:
    return {f.name: str(value) if isinstance(value := getattr(request, f.name), Path) else value for f in dataclasses.fields(request)}


class PlanCache:
    """The last plan made from one twinprint.toml with the same filters, valid while nothing it read changed."""

    def __init__(self, manifest: Path, project_root: Path, output_dir: Path | None, filters: tuple[Any, ...]) -> None:
        self.file: Path | None = None
        try:
            text = Path(manifest).read_text(encoding="utf-8")
            data = tomllib.loads(text)
            output = Path(output_dir) if output_dir is not None else Path(project_root) / str(data.get("build", {}).get("output", "build"))
            globs = [entry for group in data.get("jobs", []) for entry in group.get("content", ["content/*"])]
            listing = [str(p) for entry in globs for p in sorted(Path(project_root).glob(f"{str(entry).rstrip('/')}/{EXHIBIT_FILE}"))]
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError, TypeError, ValueError, NotImplementedError):
            return  # an absolute or odd glob, a malformed manifest: the real planning reports what is wrong
        self.file = output / PLAN_FILE
        self.key = hashlib.sha256(json.dumps([text, str(project_root), str(output_dir), repr(filters), listing]).encode()).hexdigest()

    def plan(self) -> "Plan | None":
        from .jobs import Job, Plan

        if self.file is None:
            return None
        try:
            entry = json.loads(self.file.read_text(encoding="utf-8"))
            if entry["key"] != self.key or any(folder_stamp(Path(f)) != stamp for f, stamp in entry["folders"].items()):
                return None
            jobs = [Job(name, _request_from_json(request)) for name, request in entry["jobs"]]
            return Plan(Path(entry["output_dir"]), jobs, timeout_s=float(entry["timeout_s"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(self, plan: "Plan") -> None:
        if self.file is None or plan.failures or not self.file.parent.is_dir():
            return
        try:
            folders = {str(f): folder_stamp(Path(f)) for f in sorted({str(job.request.content_dir) for job in plan.jobs})}
            entry = {"key": self.key, "folders": folders, "output_dir": str(plan.output_dir), "timeout_s": plan.timeout_s,
                     "jobs": [[job.name, _request_to_json(job.request)] for job in plan.jobs]}
            write_atomically(self.file, json.dumps(entry, ensure_ascii=False).encode())
        except (OSError, TypeError, ValueError):
            pass  # only a cache
