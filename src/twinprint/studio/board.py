"""The studio's home: every job of the project with its status, thumbnail, preflight verdict, pages and size.

Jobs come from twinprint.toml, or without one every content folder × layout ×
language. Status is what `twinprint build` would decide (up to date or stale),
or what the studio saw: building, failed. Building a job runs the batch on it,
so its output and build/manifest.json are those `twinprint build` writes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..batch import BatchOptions, Job, Plan, find_manifest, plan_from_manifest, plan_from_requests, run_batch
from ..batch.runner import up_to_date_names
from ..batch.state import BuildState
from ..content.load import find_content_folders
from ..errors import TwinprintError
from ..layout.lookup import available_layouts, layout_search_path
from ..prepress.preview import render_page
from ..request import BuildRequest

THUMBNAIL_PX = 360


@dataclass(frozen=True)
class Card:
    name: str
    slug: str
    layout: str
    language: str
    status: str  # up to date | stale | building | failed
    pages: int = 0
    size_kb: int = 0
    verdict: str = ""  # preflight: passed, passed with N warnings, failed, or "" when not known
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def project_plan(project_root: Path) -> Plan:
    """The jobs of twinprint.toml, or every content folder × layout × language without one."""
    manifest = find_manifest(project_root)
    if manifest is not None:
        return plan_from_manifest(manifest, project_root)
    layouts = available_layouts(layout_search_path(project_root))
    requests = [BuildRequest(folder, layout, "all", Path(project_root) / "build", project_root)
                for folder in find_content_folders(Path(project_root) / "content") for layout in layouts]
    return plan_from_requests(requests)


def preflight_verdict(warnings: list[str]) -> str:
    count = sum(1 for line in warnings if line.startswith("preflight warning"))
    return "passed" if not count else f"passed, {count} warning{'s' * (count != 1)}"


class JobBoard:
    """Job statuses for the home page, and builds of stale jobs on a background thread."""

    def __init__(self, project_root: Path, notify: Callable[[dict[str, Any]], None]) -> None:
        self.project_root = Path(project_root)
        self.notify = notify
        self.building: set[str] = set()
        self.failed: dict[str, str] = {}
        self._thumbnails: dict[tuple[str, int, int], bytes] = {}
        self._lock = threading.Lock()

    def plan(self) -> Plan:
        return project_plan(self.project_root)

    def job(self, name: str) -> Job | None:
        return next((job for job in self.plan().jobs if job.name == name), None)

    def cards(self) -> list[Card]:
        plan = self.plan()
        fresh = up_to_date_names(plan)
        records = BuildState.load(plan.output_dir).records
        cards = [Card(failure.name, failure.name.split("/")[0], "", "", "failed", error=failure.error) for failure in plan.failures]
        for job in plan.jobs:
            record = records.get(job.name)
            status = ("building" if job.name in self.building else "failed" if job.name in self.failed
                      else "up to date" if job.name in fresh else "stale")
            error = self.failed.get(job.name, "")
            verdict = "failed" if "preflight found" in error else preflight_verdict(record.warnings) if record else ""
            cards.append(Card(job.name, Path(job.request.content_dir).name, job.request.layout, job.request.language, status,
                              record.pages if record else 0, round(record.size / 1024) if record else 0, verdict, error))
        return cards

    def thumbnail(self, name: str) -> bytes | None:
        """Page 1 of the job's last built PDF, small; None before its first build."""
        path = self.plan().output_dir / name
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in self._thumbnails:
            self._thumbnails[key] = _first_page_png(path)
        return self._thumbnails[key]

    def build(self, name: str) -> bool:
        """Start building one job with the batch (its output and record as `twinprint build` makes them)."""
        plan = self.plan()
        job = next((job for job in plan.jobs if job.name == name), None)
        with self._lock:
            if job is None or name in self.building:
                return False
            self.building.add(name)
            self.failed.pop(name, None)
        self.notify({"type": "jobs"})
        threading.Thread(target=self._run, args=(Plan(plan.output_dir, [job], timeout_s=plan.timeout_s),), daemon=True).start()
        return True

    def _run(self, plan: Plan) -> None:
        name = plan.jobs[0].name
        try:
            report = run_batch(plan, BatchOptions(workers=1))
            failed = report.failed
            if failed:
                self.failed[name] = failed[0].error or "failed"
        except TwinprintError as error:
            self.failed[name] = error.message
        finally:
            with self._lock:
                self.building.discard(name)
            self.notify({"type": "jobs"})


def _first_page_png(path: Path) -> bytes:
    import io

    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        image = render_page(document[0], THUMBNAIL_PX)
    finally:
        document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
