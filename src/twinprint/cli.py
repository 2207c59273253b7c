"""The command line only: parse, call the pipeline, print, set the exit code."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import click

from . import __version__
from .errors import AlreadyReported, BuildError, ContentError, TwinprintError, UsageError
from .prepress.preview import THUMBNAIL_LONG_SIDE_PX
from .prepress.profile_names import DEFAULT_BLEED_MM, DEFAULT_PROFILE, MAX_BLEED_MM, PROFILE_NAMES
from .request import DEFAULT_LAYOUT

if TYPE_CHECKING:
    from .watch import Rebuild

# Each command imports what it needs when it runs: `--help`, `--version` and an up-to-date `build`
# never load WeasyPrint (about a second), and rich only when they print through it.


# Environment variables that make rich treat a stream as a terminal (or not) whatever it is.
_RICH_TERMINAL_VARIABLES = ("FORCE_TERMINAL", "TTY_INTERACTIVE", "TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR", "JUPYTER_COLUMNS")


class _LazyConsole:
    """A rich Console made on first use; plain lines to a pipe or file need none (importing rich costs ~20 ms)."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Any = None

    @property
    def is_terminal(self) -> bool:
        if self._console is None and not self._maybe_terminal():
            return False
        return bool(self.__getattr__("is_terminal"))

    def print(self, text: Any = "", *, markup: bool | None = None, highlight: bool | None = None, soft_wrap: bool | None = None,
              **options: Any) -> None:
        # The console is made with soft_wrap=True: None means the same.
        if self._console is None and isinstance(text, str) and markup is False and soft_wrap is not False and not options \
                and not self._maybe_terminal():
            stream = sys.stderr if self._stderr else sys.stdout
            stream.write(text + "\n")
            stream.flush()  # line by line, as rich does: a pipe reading the progress must not wait for the end
            return
        self.__getattr__("print")(text, markup=markup, highlight=highlight, soft_wrap=soft_wrap, **options)

    def _maybe_terminal(self) -> bool:
        stream = sys.stderr if self._stderr else sys.stdout
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty()) or any(name in os.environ for name in _RICH_TERMINAL_VARIABLES)

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False, soft_wrap=True)
        return getattr(self._console, name)


console = _LazyConsole(stderr=False)
errors = _LazyConsole(stderr=True)


def _canonical_paper(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if not value:
        return None
    from .layout.paper import canonical_paper_name

    return canonical_paper_name(value)


def _canonical_sheet(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if not value:
        return None
    from .prepress.impose import canonical_sheet_name

    return canonical_sheet_name(value)


def parse_assignments(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set: expected KEY=VALUE, got {value!r}")
        pairs.append((key.strip(), text))
    return tuple(pairs)


def content_folders(project: Path, given: Sequence[Path]) -> list[Path]:
    from .content.load import find_content_folders

    if given:
        return [Path(p) for p in given]
    folders = find_content_folders(project / "content")
    if not folders:
        raise UsageError(f"no content folders with exhibit.yaml under {project / 'content'}")
    return folders


def check_layout_and_language(project: Path, layout: str, language: str) -> None:
    """Refuse an unknown --layout or a malformed --lang before any job starts (usage errors, exit 2)."""
    from .content import LANGUAGE_RE
    from .layout.lookup import available_layouts, layout_search_path
    from .request import is_known_language

    known = available_layouts(layout_search_path(project))
    if layout not in known:
        raise UsageError(f"--layout: unknown layout {layout!r}; expected one of {', '.join(known) or 'none'}")
    if language != "all" and not (LANGUAGE_RE.match(language) and is_known_language(language)):
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
            # A summary of problems already printed has no traceback worth showing.
            if ctx.obj and ctx.obj.get("debug") and not isinstance(error, AlreadyReported):
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
    return click.option("--paper", default=None, callback=_canonical_paper,
                        help="Paper size: A4, A3, A2, A1, A0, B2, B1, tabloid… or WIDTHxHEIGHT in mm (default: the layout's).")(command)


def profile_options(command: Any) -> Any:
    """--profile, --bleed, --no-preflight and --png of build."""
    command = click.option("--png", is_flag=True, help="Also write PNG page thumbnails and a contact sheet.")(command)
    command = click.option("--no-preflight", is_flag=True, help="Skip the preflight checks after each build.")(command)
    command = click.option("--bleed", type=click.FloatRange(0, MAX_BLEED_MM), default=DEFAULT_BLEED_MM, show_default=True,
                           metavar="MM", help="Bleed around each page in the print profile, in mm.")(command)
    return click.option("--profile", type=click.Choice(PROFILE_NAMES), default=DEFAULT_PROFILE, show_default=True,
                        help="screen (small, for e-mail), print (PDF/X-4, CMYK, bleed, marks), archive (PDF/A-3a + PDF/UA-1 + sources), "
                             "accessible (tagged PDF/UA-1).")(command)


@cli.command()
@click.argument("content_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--layout", "-l", default=DEFAULT_LAYOUT, show_default=True, help="Layout name (a folder of layouts/).")
@click.option("--lang", default="en", show_default=True, help="Language code, or 'all' for every language the content declares.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("build"), show_default=True, help="Output folder.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Set a layout variable, e.g. recipient=\"…\".")
@click.option("--qr-ec", type=click.Choice(["L", "M", "Q", "H"]), default="M", show_default=True, help="QR error correction level.")
@click.option("--strict", is_flag=True, help="Missing translations are errors, not warnings.")
@click.option("--verbose", "-v", is_flag=True, help="List every missing translation, not a summary of the printed ones.")
@paper_options
@profile_options
@click.option("--jobs", "-j", "workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: one per core).")
@click.option("--force", is_flag=True, help="Rebuild every job, even those up to date.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed job.")
@click.option("--cluster", metavar="tcp://HOST:8786", default=None, help="Run the jobs on this Dask scheduler's workers.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Time limit per job (default: twinprint.toml's [build] timeout, else 600).")
@click.option("--no-chunks", is_flag=True, help="Lay out each document whole, not section by section (render/chunks.py).")
@click.pass_context
def build(ctx: click.Context, content_dirs: tuple[Path, ...], layout: str, lang: str, output: Path,
          assignments: tuple[str, ...], qr_ec: str, strict: bool, paper: str | None, orientation: str | None, theme: str,
          workers: int | None, force: bool, fail_fast: bool, cluster: str | None, timeout: float | None,
          profile: str, bleed: float, no_preflight: bool, png: bool, verbose: bool, no_chunks: bool) -> None:
    """Build PDFs: what twinprint.toml declares, or build/<slug>/<layout>[-<paper>].<lang>.pdf for each CONTENT_DIR.

    With no CONTENT_DIR and a twinprint.toml, --layout and --lang pick among its jobs; without a
    manifest every folder of content/ is built. Jobs run in parallel; unchanged ones are skipped.
    """
    from .batch import BatchOptions, find_manifest, plan_from_manifest, plan_from_requests, run_batch
    from .batch.progress import progress_for, summary_table
    from .request import BuildRequest, check_command_line_values, prepare_output_folder

    project: Path = ctx.obj["project"]
    variables = parse_assignments(assignments)
    check_layout_and_language(project, layout, lang)
    manifest = None if content_dirs else find_manifest(project)
    if manifest is not None:
        refuse_document_options_with_a_manifest(ctx, manifest)
        given = {name: ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT for name in ("layout", "lang", "output")}
        plan = plan_from_manifest(manifest, project, output if given["output"] else None,
                                  (layout,) if given["layout"] else (), (lang,) if given["lang"] and lang != "all" else ())
        run_options = {"preflight": False} if no_preflight else {}
        run_options |= ({"previews": True} if png else {}) | ({"strict": True} if strict else {})
        plan.jobs = [dataclasses.replace(job, request=dataclasses.replace(job.request, **run_options)) for job in plan.jobs]
    else:
        from .batch.manifest import project_allowed_hosts

        allowed_hosts = project_allowed_hosts(project)
        requests = [
            BuildRequest(folder, layout, lang, output, project, variables, qr_ec, strict=strict, paper=paper, orientation=orientation, theme=theme,
                         profile=profile, bleed_mm=bleed, preflight=not no_preflight, previews=png, allowed_hosts=allowed_hosts,
                         verbose=verbose, chunks=not no_chunks)
            for folder in content_folders(project, content_dirs)
        ]
        check_command_line_values(requests[0])
        plan = plan_from_requests(requests)
    if verbose:  # twinprint.toml's jobs too
        plan.jobs = [dataclasses.replace(job, request=dataclasses.replace(job.request, verbose=True)) for job in plan.jobs]
    prepare_output_folder(plan.output_dir)
    options = BatchOptions(workers=workers, force=force, fail_fast=fail_fast, cluster=cluster, timeout_s=timeout)
    report = run_batch(plan, options, progress_for(console, errors))
    if ctx.obj["debug"]:
        for outcome in report.failed:
            errors.print(outcome.traceback, markup=False, end="")
    console.print(summary_table(report), markup=False)
    if report.interrupted:
        raise click.exceptions.Abort() from KeyboardInterrupt()
    if report.failed:
        count, total = len(report.failed), len(report.outcomes)
        raise AlreadyReported(f"{count} of {total} document{'s' if total > 1 else ''} failed")


# What a document is made of: twinprint.toml's jobs declare it, so these only go with content folders on the command line.
DOCUMENT_OPTIONS = {"assignments": "--set", "qr_ec": "--qr-ec", "paper": "--paper", "orientation": "--orientation",
                    "theme": "--theme", "profile": "--profile", "bleed": "--bleed"}


def refuse_document_options_with_a_manifest(ctx: click.Context, manifest: Path) -> None:
    """--profile and the like would be ignored for twinprint.toml's jobs: say so instead of building something else."""
    given = [flag for name, flag in DOCUMENT_OPTIONS.items() if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT]
    if given:
        raise UsageError(f"{manifest}: {', '.join(given)} cannot change the jobs twinprint.toml declares: set them in its "
                         f"[[jobs]] (profiles, papers, themes, variables…), or give content folders: "
                         f"twinprint build content/<folder> {given[0]} …")


@cli.command(name="personalise")
@click.argument("content_dir", type=click.Path(path_type=Path))
@click.option("--recipients", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV with a header: name,title,organisation,url and any extra column (vars.recipient_<column>).")
@click.option("--layout", "-l", default="booklet", show_default=True, help="A layout with personal pages.")
@click.option("--lang", default="en", show_default=True, help="Language code.")
@click.option("--merge", is_flag=True, help="One print stream with every copy (the body shared) instead of one file each.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("build"), show_default=True, help="Output folder.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Set a layout variable for every copy.")
@click.option("--qr-ec", type=click.Choice(["L", "M", "Q", "H"]), default="M", show_default=True, help="QR error correction level.")
@paper_options
@click.pass_context
def personalise_command(ctx: click.Context, content_dir: Path, recipients: Path, layout: str, lang: str, merge: bool, output: Path,
                        assignments: tuple[str, ...], qr_ec: str, paper: str | None, orientation: str | None, theme: str) -> None:
    """One copy per recipient: build/<slug>/<layout>-personal/NNN-<name>.<lang>.pdf (or one merged <layout>-personal.<lang>.pdf)."""
    from .batch.manifest import project_allowed_hosts
    from .personalise import personalise, read_recipients
    from .request import BuildRequest, check_command_line_values, prepare_output_folder

    project: Path = ctx.obj["project"]
    check_layout_and_language(project, layout, lang)
    people = read_recipients(recipients, qr_ec)
    request = BuildRequest(content_dir, layout, lang, output, project, parse_assignments(assignments), qr_ec,
                           paper=paper, orientation=orientation, theme=theme, preflight=False,
                           allowed_hosts=project_allowed_hosts(project))
    check_command_line_values(request)
    prepare_output_folder(output)
    started = time.perf_counter()
    made = personalise(request, people, merge)
    for warning in made.warnings:
        errors.print(f"Warning: {warning}", markup=False)
    where = made.outputs[0] if merge else made.outputs[0].parent
    console.print(f"personalised {made.copies} {layout}s of {made.pages_per_copy} pages (personal pages "
                  f"{', '.join(str(p + 1) for p in made.personal_pages)}{'; body kept from the last run' if made.body_kept else ''}) "
                  f"in {time.perf_counter() - started:.1f} s: {where}", markup=False)


@cli.command()
@click.argument("content_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx: click.Context, content_dirs: tuple[Path, ...]) -> None:
    """Check content folders against the content model; print every problem."""
    from .content.load import load_exhibit

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


@cli.command(name="watch")
@click.argument("content_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--layout", "-l", default=DEFAULT_LAYOUT, show_default=True, help="Layout name (a folder of layouts/).")
@click.option("--lang", default="en", show_default=True, help="Language code.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("build"), show_default=True, help="Output folder.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Set a layout variable, e.g. recipient=\"…\".")
@paper_options
@click.pass_context
def watch_command(ctx: click.Context, content_dir: Path, layout: str, lang: str, output: Path, assignments: tuple[str, ...],
                  paper: str | None, orientation: str | None, theme: str) -> None:
    """Rebuild one PDF and a PNG of its first page whenever a content, layout, theme, font or image file changes."""
    from .request import BuildRequest, check_command_line_values
    from .watch import watch, watched_folders

    project: Path = ctx.obj["project"]
    check_layout_and_language(project, layout, lang)
    request = BuildRequest(content_dir, layout, lang, output, project, parse_assignments(assignments),
                           paper=paper, orientation=orientation, theme=theme)
    check_command_line_values(request)
    folders = ", ".join(str(folder) for folder in watched_folders(request))
    console.print(f"watching {folders} (Ctrl-C to stop)", markup=False)
    watch(request, print_rebuild)
    console.print("stopped watching", markup=False)


def print_rebuild(outcome: "Rebuild") -> None:
    """One line per rebuild: what changed, what was written and how long it took; or the error."""
    changed = f" after {', '.join(p.name for p in outcome.changed[:3])}{'…' if len(outcome.changed) > 3 else ''} changed" if outcome.changed else ""
    stamp = time.strftime("%H:%M:%S")
    if not outcome.ok:
        errors.print(f"[{stamp}] Error{changed}: {outcome.error} (still watching)", markup=False)
        return
    for warning in outcome.warnings:
        errors.print(f"Warning: {warning}", markup=False)
    console.print(f"[{stamp}] rebuilt {outcome.output} and {outcome.preview} ({outcome.page_count} pages) in {outcome.seconds:.2f} s{changed}",
                  markup=False)


@cli.command(name="preflight")
@click.argument("pdf_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default=None,
              help="Check against this profile (default: the one the PDF declares: PDF/X -> print, PDF/A -> archive…).")
@click.option("--layout", "-l", default=None, help="The layout the PDF was made with: its page rule applies (booklet: a multiple of 4), "
              "and page fill, orphans and widows are checked.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def preflight_command(ctx: click.Context, pdf_file: Path, profile: str | None, layout: str | None, as_json: bool) -> None:
    """Check a finished PDF for print: fonts, missing glyphs, images, colour, trim, QR codes, boxes, page geometry. Errors exit 1."""
    from .layout.lookup import layout_search_path
    from .layout.paper import page_settings
    from .prepress.inks import ink_table
    from .prepress.preflight import PreflightContext, preflight_file, report_table

    multiple = page_settings(layout, tuple(layout_search_path(ctx.obj["project"]))).page_multiple if layout else 1
    report = preflight_file(pdf_file, PreflightContext(profile=profile, page_multiple=multiple, laid_out=layout is not None))
    if as_json:
        click.echo(report.to_json())
    else:
        console.print(report_table(report))
        if report.inks:
            console.print(ink_table(report))
        console.print(report.summary(), markup=False)
    if report.errors:
        raise AlreadyReported(f"{pdf_file}: {len(report.errors)} preflight error{'s' * (len(report.errors) != 1)}")


@cli.command(name="impose")
@click.argument("pdf_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--booklet", is_flag=True, help="Saddle-stitch booklet: two pages per side, duplex, flip on the short edge.")
@click.option("--n-up", "n_up", default=None, metavar="COLSxROWS", help="A grid of pages per sheet (flyers, badges), e.g. 2x2.")
@click.option("--sheet", default=None, callback=_canonical_sheet,
              help="Sheet size: A4, SRA4, A3, SRA3… or WxH in mm (default: the smallest that holds the pages and their bleed).")
@click.option("--creep", default="0", show_default=True, metavar="MM", help="Creep per sheet toward the spine (booklets), e.g. 0.2mm.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: FILE.booklet.pdf or FILE.<cols>x<rows>.pdf beside FILE).")
def impose_command(pdf_file: Path, booklet: bool, n_up: str | None, sheet: str | None, creep: str, output: Path | None) -> None:
    """Impose a PDF on printing sheets with crop marks and a slug line."""
    from .prepress.impose import ImposeOptions, impose, imposed_path, parse_creep_mm, parse_grid
    from .request import write_atomically

    options = ImposeOptions(booklet=booklet, n_up=parse_grid(n_up) if n_up else None, sheet=sheet,
                            creep_mm=parse_creep_mm(creep), job_name=pdf_file.name)
    imposed = impose(read_pdf(pdf_file), options, str(pdf_file))
    target = output or imposed_path(pdf_file, options)
    write_atomically(target, imposed.pdf)
    width, height = imposed.sheet_mm
    blanks = f", {imposed.blanks} blank pages added" if imposed.blanks else ""
    marks = "with marks" if imposed.marks else "no room for marks outside the trim"
    console.print(f"imposed {target}: {imposed.pages_in} pages on {imposed.sides} sides of {width:g}×{height:g} mm{blanks}, {marks}",
                  markup=False)
    for warning in imposed.warnings:
        errors.print(f"Warning: {warning}", markup=False)


@cli.command(name="preview-png")
@click.argument("pdf_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--size", type=click.IntRange(64, 4000), default=THUMBNAIL_LONG_SIDE_PX, show_default=True,
              help="Long side of each page thumbnail, in pixels.")
def preview_png_command(pdf_file: Path, size: int) -> None:
    """Write PNG thumbnails of every page (FILE.previews/) and a contact sheet (FILE.contact.png)."""
    from .prepress.preview import render_previews
    from .request import write_atomically

    files = render_previews(pdf_file, size)
    for path, png in files.items():
        write_atomically(path, png)
    contact = list(files)[-1]
    console.print(f"wrote {len(files) - 1} thumbnails in {contact.with_name(contact.name.replace('.contact.png', '.previews'))} "
                  f"and {contact}", markup=False)


@cli.command(name="studio")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; only an explicit other host (0.0.0.0: every one) lets other machines in.")
@click.option("--open", "open_browser", is_flag=True, help="Open the studio in the web browser.")
@click.pass_context
def studio_command(ctx: click.Context, port: int, host: str, open_browser: bool) -> None:
    """A local web page of every job: live page images while you edit, preflight marks, approve and diff."""
    from .studio.server import serve

    serve(ctx.obj["project"], host, port, open_browser,
          on_ready=lambda url: console.print(f"twinprint studio at {url} (Ctrl-C to stop)", markup=False))


@cli.command(name="diff")
@click.argument("old_pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new_pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The HTML report (default: NEW.diff.html beside NEW_PDF).")
@click.pass_context
def diff_command(ctx: click.Context, old_pdf: Path, new_pdf: Path, output: Path | None) -> None:
    """Compare two editions page by page: pages paired by content, changes highlighted in an HTML report.

    Exits 0 when nothing changed, 1 when pages were added, removed or changed (like diff).
    """
    from .prepress.diff import diff_files, report_html
    from .request import write_atomically

    diff = diff_files(old_pdf, new_pdf)
    target = output or new_pdf.with_suffix(".diff.html")
    write_atomically(target, report_html(diff).encode())
    console.print(f"{diff.summary()}; report: {target}", markup=False)
    ctx.exit(1 if diff.changed else 0)


def read_pdf(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise BuildError(f"{path}: cannot read: {error.strerror or error}") from None


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

