"""The command line only: parse, call the pipeline, print, set the exit code."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any, Sequence

import click
from rich.console import Console

from . import __version__
from .batch import BatchOptions, find_manifest, plan_from_manifest, plan_from_requests, run_batch
from .batch.progress import progress_for, summary_table
from .build import DEFAULT_LAYOUT, BuildRequest, prepare_output_folder
from .content import find_content_folders, load_exhibit
from .errors import AlreadyReported, BuildError, ContentError, TwinprintError, UsageError
from .layouts import available_layouts, layout_search_path
from .model import LANGUAGE_RE
from .paper import canonical_paper_name

console = Console(stderr=False, highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def parse_assignments(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set: expected KEY=VALUE, got {value!r}")
        pairs.append((key.strip(), text))
    return tuple(pairs)


def content_folders(project: Path, given: Sequence[Path]) -> list[Path]:
    if given:
        return [Path(p) for p in given]
    folders = find_content_folders(project / "content")
    if not folders:
        raise UsageError(f"no content folders with exhibit.yaml under {project / 'content'}")
    return folders


def check_layout_and_language(project: Path, layout: str, language: str) -> None:
    """Refuse an unknown --layout or a malformed --lang before any job starts (usage errors, exit 2)."""
    known = available_layouts(layout_search_path(project))
    if layout not in known:
        raise UsageError(f"--layout: unknown layout {layout!r}; expected one of {', '.join(known) or 'none'}")
    if language != "all" and not LANGUAGE_RE.match(language):
        raise UsageError(f"--lang: expected a language code such as en, it or zh, or 'all'; got {language!r}")


def report_error(error: TwinprintError) -> None:
    """The one place an error reaches the user: one line on stderr ("Error: …" unless already reported)."""
    prefix = "" if isinstance(error, AlreadyReported) else "Error: "
    errors.print(f"{prefix}{error.message}", markup=False)


class TwinprintGroup(click.Group):
    """Turns TwinprintError into one line on stderr and its exit code (traceback with --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TwinprintError as error:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            report_error(error)
            ctx.exit(error.exit_code)
        except OSError as error:
            # An OSError that no stage turned into a TwinprintError: still one line, naming the file.
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            report_error(BuildError(f"{error.filename or 'twinprint'}: {error.strerror or error}"))
            ctx.exit(BuildError.exit_code)


@click.group(cls=TwinprintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="twinprint")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="Project root: its content/, layouts/ and twinprint.toml are used.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, project: Path) -> None:
    """twinprint: print-ready PDFs for city-twinning exhibitions."""
    ctx.ensure_object(dict)
    ctx.obj.update(debug=debug, project=project)


def paper_options(command: Any) -> Any:
    """--paper, --orientation and --theme, shared by build and watch."""
    command = click.option("--theme", default="default", show_default=True, help="Theme name (layouts/themes/<name>.toml) or a .toml file.")(command)
    command = click.option("--orientation", type=click.Choice(["portrait", "landscape"]), default=None,
                           help="Paper orientation (default: the layout's).")(command)
    return click.option("--paper", default=None, callback=lambda ctx, param, value: canonical_paper_name(value) if value else None,
                        help="Paper size: A4, A3, A2, A1, A0, B2, B1, tabloid… or WIDTHxHEIGHT in mm (default: the layout's).")(command)


@cli.command()
@click.argument("content_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--layout", "-l", default=DEFAULT_LAYOUT, show_default=True, help="Layout name (a folder of layouts/).")
@click.option("--lang", default="en", show_default=True, help="Language code, or 'all' for every language the content declares.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("build"), show_default=True, help="Output folder.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Set a layout variable, e.g. recipient=\"…\".")
@click.option("--qr-ec", type=click.Choice(["L", "M", "Q", "H"]), default="M", show_default=True, help="QR error correction level.")
@click.option("--strict", is_flag=True, help="Missing translations are errors, not warnings.")
@paper_options
@click.option("--jobs", "-j", "workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: one per core).")
@click.option("--force", is_flag=True, help="Rebuild every job, even those up to date.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed job.")
@click.option("--cluster", metavar="tcp://HOST:8786", default=None, help="Run the jobs on this Dask scheduler's workers.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Time limit per job (default: twinprint.toml's [build] timeout, else 600).")
@click.pass_context
def build(ctx: click.Context, content_dirs: tuple[Path, ...], layout: str, lang: str, output: Path,
          assignments: tuple[str, ...], qr_ec: str, strict: bool, paper: str | None, orientation: str | None, theme: str,
          workers: int | None, force: bool, fail_fast: bool, cluster: str | None, timeout: float | None) -> None:
    """Build PDFs: what twinprint.toml declares, or build/<slug>/<layout>[-<paper>].<lang>.pdf for each CONTENT_DIR.

    With no CONTENT_DIR and a twinprint.toml, --layout and --lang pick among its jobs; without a
    manifest every folder of content/ is built. Jobs run in parallel; unchanged ones are skipped.
    """
    project: Path = ctx.obj["project"]
    variables = parse_assignments(assignments)
    check_layout_and_language(project, layout, lang)
    manifest = None if content_dirs else find_manifest(project)
    if manifest is not None:
        given = {name: ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT for name in ("layout", "lang", "output")}
        plan = plan_from_manifest(manifest, project, output if given["output"] else None,
                                  (layout,) if given["layout"] else (), (lang,) if given["lang"] and lang != "all" else ())
    else:
        requests = [
            BuildRequest(folder, layout, lang, output, project, variables, qr_ec, strict=strict, paper=paper, orientation=orientation, theme=theme)
            for folder in content_folders(project, content_dirs)
        ]
        plan = plan_from_requests(requests)
    prepare_output_folder(plan.output_dir)
    options = BatchOptions(workers=workers, force=force, fail_fast=fail_fast, cluster=cluster, timeout_s=timeout)
    report = run_batch(plan, options, progress_for(console, errors))
    console.print(summary_table(report))
    if report.interrupted:
        raise click.exceptions.Abort() from KeyboardInterrupt()
    if report.failed:
        count, total = len(report.failed), len(report.outcomes)
        raise AlreadyReported(f"{count} of {total} document{'s' if total > 1 else ''} failed")


@cli.command()
@click.argument("content_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx: click.Context, content_dirs: tuple[Path, ...]) -> None:
    """Check content folders against the content model; print every problem."""
    problems = 0
    for folder in content_folders(ctx.obj["project"], content_dirs):
        try:
            exhibit = load_exhibit(folder)
        except ContentError as error:
            for problem in error.problems:
                errors.print(f"Error: {problem.one_line()}", markup=False)
            problems += len(error.problems)
            continue
        console.print(f"ok {folder} ({len(exhibit.sections)} sections, languages {', '.join(exhibit.languages)})", markup=False)
    if problems:
        raise AlreadyReported(f"{problems} problem{'s' if problems > 1 else ''} found")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code so tests can run the CLI in-process."""
    try:
        code = cli.main(args=list(argv) if argv is not None else None, prog_name="twinprint", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt) as stop:
        # click turns Ctrl-C (SIGINT) into Abort; finished files stay, unfinished ones were never renamed into place.
        interrupted = isinstance(stop, KeyboardInterrupt) or isinstance(stop.__cause__, KeyboardInterrupt)
        errors.print("Interrupted." if interrupted else "Aborted.", markup=False)
        return 130 if interrupted else 1
    except Exception as error:  # noqa: BLE001 (the last resort: a bug must still not print a traceback)
        if "--debug" in (argv if argv is not None else sys.argv[1:]):
            traceback.print_exc()
        errors.print(f"Error: internal error, {type(error).__name__}: {error} (a bug in twinprint; --debug shows the traceback)",
                     markup=False)
        return 1


def run() -> None:
    sys.exit(main())

