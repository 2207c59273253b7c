"""Many documents in one command: expand jobs, run them, report every outcome.

One failing job never stops the others; the report says what was built and what failed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..build import BuildRequest, BuildResult, build_document, resolve_languages
from ..content import load_exhibit
from ..errors import TwinprintError


@dataclass
class JobOutcome:
    request: BuildRequest
    status: str  # "built" | "failed"
    seconds: float
    result: BuildResult | None = None
    error: str | None = None


@dataclass
class BatchReport:
    outcomes: list[JobOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[JobOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def expand_languages(requests: list[BuildRequest]) -> tuple[list[BuildRequest], list[JobOutcome]]:
    """Replace language 'all' by each language the content declares; unloadable content fails here."""
    expanded: list[BuildRequest] = []
    failures: list[JobOutcome] = []
    for request in requests:
        if request.language != "all":
            expanded.append(request)
            continue
        try:
            exhibit = load_exhibit(request.content_dir)
        except TwinprintError as error:
            failures.append(JobOutcome(request, "failed", 0.0, error=error.message))
            continue
        expanded.extend(replace(request, language=lang) for lang in resolve_languages(exhibit, "all"))
    return expanded, failures


def run_one(request: BuildRequest) -> JobOutcome:
    started = time.perf_counter()
    try:
        result = build_document(request)
    except TwinprintError as error:
        return JobOutcome(request, "failed", time.perf_counter() - started, error=error.message)
    return JobOutcome(request, "built", time.perf_counter() - started, result=result)


def run_jobs(requests: list[BuildRequest], on_outcome: Callable[[JobOutcome], None] = lambda o: None) -> BatchReport:
    """Run every job (sequentially for now), calling `on_outcome` as each finishes."""
    jobs, failures = expand_languages(requests)
    report = BatchReport()
    for outcome in failures:
        report.outcomes.append(outcome)
        on_outcome(outcome)
    for request in jobs:
        outcome = run_one(request)
        report.outcomes.append(outcome)
        on_outcome(outcome)
    return report


def default_output_dir(project_root: Path) -> Path:
    return Path(project_root) / "build"
