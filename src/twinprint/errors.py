"""The one exception hierarchy of twinprint: every error a user can see."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is expected, a short code."""

    file: str
    field: str
    message: str
    code: str = "invalid"
    line: int | None = None

    def one_line(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        # One line, whatever a parser put into the message.
        return " ".join(f"{where}:{field} {self.message} [{self.code}]".split())


class TwinprintError(Exception):
    """Base class: carries a user-facing message and the exit code of the CLI."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple:
        # Subclasses take other constructor arguments: rebuild from the state, so errors travel between processes.
        return (_restore_error, (type(self), self.message, self.__dict__))


def _restore_error(cls: type[TwinprintError], message: str, state: dict) -> TwinprintError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class UsageError(TwinprintError):
    """The command line was wrong (unknown option value, missing argument)."""

    exit_code = 2


class AlreadyReported(TwinprintError):
    """Every problem was printed, one line each, as it was found; this carries only the summary and exit code."""


class ContentError(TwinprintError):
    """Content files are malformed or do not match the content model."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0].one_line() if self.problems else "invalid content"
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(first + suffix)

    @classmethod
    def single(
        cls, file: Path | str, field: str, message: str, code: str = "invalid", line: int | None = None
    ) -> "ContentError":
        return cls([Problem(str(file), field, message, code, line)])


class LayoutError(TwinprintError):
    """A layout is missing or its template is broken."""


class FetchRefused(TwinprintError):
    """The sandboxed URL fetcher refused a resource the document asked for."""


class BuildError(TwinprintError):
    """Rendering or writing a document failed."""


class FitError(BuildError):
    """Content does not fit the area a layout gives it."""
