"""Show a batch as it runs: a rich progress bar on a terminal, plain log lines anywhere else; then a summary."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .runner import BatchReport, JobOutcome

if TYPE_CHECKING:
    from rich.console import Console

MAX_NAMES_SHOWN = 3


def outcome_line(outcome: JobOutcome) -> str:
    if outcome.status == "failed":
        return f"Error: {outcome.error}"
    if outcome.status == "built":
        warned = f", {len(outcome.warnings)} warning{'s' if len(outcome.warnings) != 1 else ''}" if outcome.warnings else ""
        return f"built {outcome.output} ({outcome.pages} pages, {outcome.seconds:.1f} s{warned})"
    return f"{outcome.status}: {outcome.name}"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    return shown + (f" +{len(names) - MAX_NAMES_SHOWN}" if len(names) > MAX_NAMES_SHOWN else "")


class LogProgress:
    """For logs and pipes: one line per finished job; failures as one "Error:" line on stderr."""

    def __init__(self, out: Console, err: Console) -> None:
        self.out, self.err = out, err
        self.total = 0
        self.done = 0
        self.started = time.perf_counter()

    def _print(self, console: Console, text: str) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    def start(self, total: int, up_to_date: int) -> None:
        self.total, self.done = total, up_to_date
        self._print(self.out, f"{total} job{'s' if total != 1 else ''}: {up_to_date} up to date, {total - up_to_date} to build")

    def workers(self, description: str) -> None:
        self._print(self.out, f"building on {description}")

    def running(self, names: list[str]) -> None:
        return None

    def finished(self, outcome: JobOutcome) -> None:
        self.done += 1
        if outcome.status == "failed":
            self._print(self.err, outcome_line(outcome))
        else:
            self._print(self.out, f"[{self.done}/{self.total} {time.perf_counter() - self.started:5.1f} s] {outcome_line(outcome)}")
        for warning in outcome.warnings:
            self._print(self.err, f"Warning: {outcome.name}: {warning}")

    def stop(self) -> None:
        return None


class BarProgress(LogProgress):
    """For a terminal: a bar with done/total, the jobs running now, elapsed time and ETA; lines print above it."""

    def __init__(self, out: Console, err: Console) -> None:
        # Imported here: a build with nothing to do prints no bar, and should not load one.
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        super().__init__(out, err)
        self.bar = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err, transient=True,
        )
        self.task = self.bar.add_task("checking", total=None)

    def _print(self, console: Console, text: str) -> None:
        # Through the bar's console, so that every line lands above the bar, not through it.
        self.bar.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def start(self, total: int, up_to_date: int) -> None:
        super().start(total, up_to_date)
        self.bar.update(self.task, total=total, completed=up_to_date, description="starting workers")
        if up_to_date < total:
            self.bar.start()

    def running(self, names: list[str]) -> None:
        room = max(20, self.bar.console.width - 60)
        text = _names(names)
        self.bar.update(self.task, description=text if len(text) <= room else text[: room - 1] + "…")

    def finished(self, outcome: JobOutcome) -> None:
        super().finished(outcome)
        self.bar.advance(self.task)

    def stop(self) -> None:
        self.bar.stop()


def progress_for(out: Console, err: Console) -> LogProgress:
    return BarProgress(out, err) if err.is_terminal else LogProgress(out, err)


SUMMARY_COLUMNS = ("built", "up to date", "failed", "not run", "warnings", "time")


def summary_table(report: BatchReport) -> str:
    """Built, up to date, failed, not run and warnings, with the wall time: a header line and a line of counts, right-aligned.

    Plain text, laid out as rich's borderless table was: an up-to-date build need not import rich's tables.
    """
    counts = [len(report.with_status(s)) for s in ("built", "up to date", "failed", "not run")]  # type: ignore[arg-type]
    values = [str(c) for c in counts] + [str(report.warning_count), f"{report.seconds:.1f} s"]
    widths = [max(len(header), len(value)) for header, value in zip(SUMMARY_COLUMNS, values)]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in (SUMMARY_COLUMNS, values))
