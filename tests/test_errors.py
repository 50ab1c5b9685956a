"""Error messages: every problem at once, and nothing from the input that could harm a terminal."""

from __future__ import annotations

import time

import pytest

from leadscore.errors import (
    DataValidationError,
    LeadscoreError,
    column_list,
    excerpt,
    name_list,
)
from leadscore.validation import Problem

#: What a hostile or broken export may carry into a message: colour and clear-screen escape
#: sequences, a terminal hyperlink, a carriage return that overwrites the line, a bell, a
#: right-to-left override that reverses what follows, a zero-width space and a NUL byte.
HOSTILE = "Budget\x1b[31m\x1b[2J\x1b]8;;http://x\x07\rEUR\u202e\u200b\x00"


@pytest.mark.parametrize("value", [HOSTILE, [HOSTILE], {"k": HOSTILE}])
def test_excerpts_never_carry_control_or_invisible_characters(value) -> None:
    text = excerpt(value, limit=200)
    assert "Budget" in text and "EUR" in text
    assert not any(c in text for c in "\x1b\x07\r\x00\u202e\u200b")


@pytest.mark.parametrize("hostile", ["\x1b", "\x9b", "\u2066", "\ufeff", "\n", "\u061c"])
def test_column_names_in_messages_are_printable(hostile: str) -> None:
    assert name_list([f"a{hostile}b"]) == "ab"


def test_a_huge_value_gives_a_short_excerpt_at_once() -> None:
    huge = ["x" * 50_000_000, list(range(10_000_000)), {i: [i] * 100 for i in range(100_000)}]
    started = time.perf_counter()
    short = [excerpt(value) for value in huge]
    assert time.perf_counter() - started < 0.5  # never the repr of the whole value
    assert all(len(text) <= 60 for text in short)


def test_lists_of_names_say_how_many_more_there_are() -> None:
    assert name_list(f"col{i}" for i in range(25)).endswith(" and 15 more")
    assert name_list(["b", "a"]) == "a, b"  # sorted: the same message for the same file
    columns = column_list([f"c{i}" for i in range(40)])
    assert columns.startswith("c0, c1") and columns.endswith("c29 and 10 more")


def test_a_validation_error_lists_every_problem_and_is_a_user_error() -> None:
    problems = [
        Problem("error", "leads", "leads.csv", "created_at", "not a timestamp", 3, ("'x'",)),
        Problem("error", "events", "events.csv", None, "the file is empty"),
    ]
    error = DataValidationError(problems)
    assert isinstance(error, LeadscoreError)  # the CLI prints it without a traceback
    assert error.problems == problems
    lines = str(error).splitlines()
    assert lines[0] == "2 problem(s) in the input data:"
    assert lines[1:] == [
        "error: leads.csv, column 'created_at': not a timestamp (3 rows); e.g. 'x'",
        "error: events.csv: the file is empty",
    ]
