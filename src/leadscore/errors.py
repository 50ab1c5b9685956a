"""Errors that reach the user as a clear message instead of a traceback."""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable
from typing import Any

#: Characters a terminal acts on or hides instead of showing (a regex character set): C0 and C1
#: controls (NUL, ESC starting colour, link and clear-screen sequences, BEL, CR) and the
#: invisible marks that reorder or hide text. Shared by messages, the CLI and column names.
UNPRINTABLE = "\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
_CONTROL = re.compile(f"[{UNPRINTABLE}]")


class LeadscoreError(Exception):
    """An error the user can fix; the CLI prints it without a traceback and exits 1."""


class DataValidationError(LeadscoreError):
    """The input data breaks the contract; ``problems`` lists every error found."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        lines = [p.describe() for p in problems]
        super().__init__(f"{len(problems)} problem(s) in the input data:\n" + "\n".join(lines))


def excerpt(value: Any, limit: int = 60) -> str:
    """A short, printable ``repr`` of ``value`` for an error message.

    Control characters (NUL bytes included) are removed and long values are cut with "…", so a
    message never echoes a whole file, binary garbage or a line break from the user's input.

    Examples
    --------
    >>> excerpt("Budget [EUR]")
    "'Budget [EUR]'"
    >>> excerpt("a\\x00b\\nc")
    "'abc'"
    >>> excerpt(list(range(100)))
    '[0, 1, 2, 3, ...]'
    >>> excerpt("x" * 100, limit=10)
    "'xxxxxxxx…"
    """
    if isinstance(value, str):
        # Clean only the head: the value may be a megabyte long.
        text = repr(_CONTROL.sub("", value[: limit * 4]))
    else:
        short = reprlib.Repr()  # bounded: never builds the repr of a huge list or mapping
        short.maxlevel = 2
        short.maxlist = short.maxtuple = short.maxset = short.maxdict = 4
        short.maxstring = short.maxother = limit
        text = _CONTROL.sub("", short.repr(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def name_list(names: Iterable[Any]) -> str:
    """Keys of a user's file for a message: as text, sorted, each cut short, ten at most.

    >>> name_list(["windos_days", 1, "x" * 50])
    '1, windos_days, xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'
    >>> name_list(range(12))
    '0, 1, 10, 11, 2, 3, 4, 5, 6, 7 and 2 more'
    """
    cut = sorted(_CONTROL.sub("", n if len(n) <= 40 else n[:39] + "…") for n in map(str, names))
    return ", ".join(cut[:10]) + (f" and {len(cut) - 10} more" if len(cut) > 10 else "")


def column_list(names: Iterable[Any], limit: int = 30) -> str:
    """A table's columns for a message, in the file's order: ``limit`` at most, then how many
    more (so a user looking for one knows the list goes on).

    >>> column_list(["a", "b", "c"], limit=2)
    'a, b and 1 more'
    """
    names = [str(n) for n in names]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
