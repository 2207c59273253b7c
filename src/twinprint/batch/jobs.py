"""From twinprint.toml (or command-line folders) to the list of jobs: one BuildRequest per output file.

A job is named by its output path relative to the output folder; that name is
its identity in build/manifest.json. Two jobs writing the same file are a
manifest error; content that cannot be read to list its languages is a failed
job, and the other jobs still run.
"""

from __future__ import annotations

import dataclasses
import itertools
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..request import BuildRequest, inside_output_folder, request_output, resolve_languages
from ..confine import check_content_folder
from ..errors import ContentError, TwinprintError, UsageError
from .plancache import LanguageCache

if TYPE_CHECKING:
    from ..content.model import Exhibit
from .manifest import ALL_LANGUAGES, DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_S, JobGroup, ProjectManifest, content_folders_of, parse_manifest, toml_line


@dataclass(frozen=True)
class Job:
    name: str  # output path relative to the output folder, e.g. "milan-shanghai/poster-A2.en.pdf"
    request: BuildRequest


@dataclass(frozen=True)
class PlanFailure:
    """A job that cannot even be described (its content does not load): reported as failed."""

    name: str
    error: str
    traceback: str = ""  # for --debug


@dataclass
class Plan:
    output_dir: Path
    jobs: list[Job] = field(default_factory=list)
    failures: list[PlanFailure] = field(default_factory=list)
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_limit_mb: float = DEFAULT_MEMORY_LIMIT_MB


class _Exhibits:
    """Each content folder loaded at most once while planning, and not at all when its languages are remembered."""

    def __init__(self, output_dir: Path | None = None) -> None:
        self.loaded: dict[Path, Exhibit | TwinprintError] = {}
        self.cache = LanguageCache(output_dir)

    def languages(self, folder: Path, wanted: str) -> list[str]:
        if wanted != ALL_LANGUAGES:
            return [wanted]
        if folder not in self.loaded and (remembered := self.cache.languages(folder)) is not None:
            return remembered
        if folder not in self.loaded:
            from ..content.load import load_exhibit  # pydantic and the content model: only when the folder changed

            try:
                self.loaded[folder] = load_exhibit(folder)
            except TwinprintError as error:
                self.loaded[folder] = error
        found = self.loaded[folder]
        if isinstance(found, TwinprintError):
            raise found
        languages = resolve_languages(found, ALL_LANGUAGES)
        self.cache.remember(folder, languages)
        return languages


def job_name(request: BuildRequest, pattern: str | None) -> str:
    """The output path of a request relative to its output folder: the standard name, or the pattern's."""
    slug = Path(request.content_dir).resolve().name
    if pattern is None:
        return request_output(request, slug).relative_to(request.output_dir).as_posix()
    name = pattern.format(
        **dict(request.variables), slug=slug, layout=request.layout, lang=request.language, profile=request.profile,
        paper=request.paper or "", orientation=request.orientation or "", theme=request.theme,
    )
    return inside_output_folder(Path(request.output_dir), name).relative_to(request.output_dir).as_posix()


@dataclass(frozen=True)
class Origin:
    """Where a job was declared, for the error when two jobs write the same file."""

    file: str
    field: str
    line: int | None = None


def _add(plan: Plan, request: BuildRequest, pattern: str | None, exhibits: _Exhibits, seen: dict[str, tuple[BuildRequest, Origin]],
         origin: Origin) -> None:
    try:
        check_content_folder(request.content_dir, request.project_root)
        languages = exhibits.languages(Path(request.content_dir), request.language)
    except TwinprintError as error:
        name = f"{Path(request.content_dir).name}/{request.layout}.{request.language}"
        if name not in {f.name for f in plan.failures}:
            plan.failures.append(PlanFailure(name, error.message, "".join(traceback.format_exception(error))))
        return
    for language in languages:
        localised = dataclasses.replace(request, language=language)
        try:
            job = Job(job_name(localised, pattern), localised)
        except UsageError as error:  # a variable's value that would leave the output folder
            raise ContentError.single(origin.file, f"{origin.field}.name", error.message, "output-name", origin.line) from None
        if job.name in seen:
            if seen[job.name][0] == localised:
                continue  # the same document named twice (overlapping globs, a folder given twice)
            first = seen[job.name][1]
            raise ContentError.single(origin.file, origin.field, f"writes {job.name} like {first.field}: give one of them a "
                                      "different `name` pattern (placeholders: {slug}, {theme}, a variable…)", "duplicate-output", origin.line)
        seen[job.name] = (localised, origin)
        plan.jobs.append(job)


def _group_requests(group: JobGroup, folders: list[Path], output_dir: Path, project_root: Path,
                    allowed_hosts: tuple[str, ...] = ()) -> list[BuildRequest]:
    papers: list[str | None] = list(group.papers) or [None]
    combos = itertools.product(folders, group.layouts, group.languages, group.profiles, papers, group.themes)
    requests = []
    for folder, layout, language, profile, paper, theme in combos:
        request = BuildRequest(
            folder, layout, language, output_dir, project_root, tuple(sorted(group.variables.items())), group.qr_error_correction,
            profile=profile, paper=paper, orientation=group.orientation, preflight=group.preflight, previews=group.previews,
            theme=theme, strict=group.strict, allowed_hosts=allowed_hosts,
        )
        requests.append(request)
    return requests


def confined_output(manifest: ProjectManifest, project_root: Path, file: Path, text: str) -> Path:
    """[build] output, which must stay inside the project (only -o on the command line may write elsewhere)."""
    output = Path(project_root) / manifest.build.output
    if Path(manifest.build.output).is_absolute() or not output.resolve().is_relative_to(Path(project_root).resolve()):
        raise ContentError.single(file, "build.output", f"expected a folder inside the project, got {manifest.build.output!r} "
                                  "(-o on the command line may write anywhere)", "output-outside", toml_line(text, ("build", "output")))
    return output


def plan_from_manifest(file: Path, project_root: Path, output_dir: Path | None = None,
                       layouts: tuple[str, ...] = (), languages: tuple[str, ...] = ()) -> Plan:
    """Every job twinprint.toml declares (optionally only those of some layouts / languages)."""
    manifest: ProjectManifest = parse_manifest(file)
    text = file.read_text(encoding="utf-8")
    output = Path(output_dir) if output_dir is not None else confined_output(manifest, project_root, file, text)
    plan = Plan(output, timeout_s=manifest.build.timeout, memory_limit_mb=manifest.build.memory_limit_mb)
    exhibits = _Exhibits(output)
    seen: dict[str, tuple[BuildRequest, Origin]] = {}
    for index, group in enumerate(manifest.jobs):
        folders = content_folders_of(group, index, project_root, file, text)
        origin = Origin(str(file), f"jobs[{index}]", toml_line(text, ("jobs", index)))
        for request in _group_requests(group, folders, output, project_root, tuple(manifest.sandbox.allowed_hosts)):
            if layouts and request.layout not in layouts:
                continue
            if languages and request.language != ALL_LANGUAGES and request.language not in languages:
                continue
            _add(plan, request, group.name, exhibits, seen, origin)
    if languages:
        plan.jobs = [job for job in plan.jobs if job.request.language in languages]
    exhibits.cache.save()
    return plan


def plan_from_requests(requests: list[BuildRequest], timeout_s: float = DEFAULT_TIMEOUT_S) -> Plan:
    """Jobs for requests made on the command line (language 'all' becomes one job per language)."""
    output = Path(requests[0].output_dir) if requests else Path("build")
    plan = Plan(output, timeout_s=timeout_s)
    exhibits = _Exhibits(output)
    seen: dict[str, tuple[BuildRequest, Origin]] = {}
    for request in requests:
        _add(plan, request, None, exhibits, seen, Origin("command line", "CONTENT_DIR"))
    exhibits.cache.save()
    return plan
