"""Errors that reach the user as a clear message instead of a traceback."""

from __future__ import annotations


class LeadscoreError(Exception):
    """An error the user can fix; the CLI prints it without a traceback and exits 1."""


class DataValidationError(LeadscoreError):
    """The input data breaks the contract; ``problems`` lists every error found."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        lines = [p.describe() for p in problems]
        super().__init__(f"{len(problems)} problem(s) in the input data:\n" + "\n".join(lines))
