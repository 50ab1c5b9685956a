"""Library messages speak in library terms: parameters, never command-line flags.

A notebook user has no ``--min-class-rows``; they have ``min_class_rows``. The library writes a
parameter in backquotes (```min_class_rows```) and the command line shows it as its flag.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import leadscore
from leadscore.errors import LeadscoreError
from leadscore.modeling.predict import parse_explain
from leadscore.modeling.tracking import check_model_name
from leadscore.synthetic import generate

#: A command-line flag: ``--time-col``, not ``--`` alone nor a placeholder like ``--select--``.
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?![\w-])")
#: A backquoted parameter name, as library messages write them.
PARAMETER = re.compile(r"`([a-z_][a-z0-9_]*)`")
#: A command to run ("leadscore train --table FILE --target COLUMN"): its flags are the
#: command's, which the message tells the user to run, not options of the function called.
COMMAND = re.compile(r"leadscore [a-z][a-z-]*(?: [^.;)'\"\n]*)?")
#: The command line itself, and the terminal output only it prints, speak in flags.
COMMAND_LINE_MODULES = {"cli.py", "terminal.py"}


def _message(call: Callable[[], object]) -> str:
    with pytest.raises(LeadscoreError) as caught:
        call()
    return str(caught.value)


def _speaks_library_terms(message: str, function: Callable) -> None:
    """No flag; every backquoted name is a parameter of ``function`` (what the user called)."""
    assert not FLAG.findall(message), message
    named = set(PARAMETER.findall(message))
    assert named, f"names no parameter: {message}"
    assert named <= set(inspect.signature(function).parameters), message


def _flat_export(path: Path, converted: int, rows: int = 100) -> Path:
    rng = np.random.default_rng(0)
    pd.DataFrame(
        {
            "Visits": rng.integers(0, 50, rows),
            "Won": [1] * converted + [0] * (rows - converted),
        }
    ).to_csv(path, index=False)
    return path


def test_a_bad_cutoff_names_the_parameter_of_build_training_table() -> None:
    from leadscore.features.pipeline import build_training_table

    message = _message(lambda: build_training_table("no-such-folder", cutoffs="2025-13-01"))
    assert message == "`cutoffs` '2025-13-01' is not a date (use YYYY-MM-DD)."
    _speaks_library_terms(message, build_training_table)


def test_flat_table_refusals_name_the_parameters_of_load_flat_table(tmp_path: Path) -> None:
    from leadscore.flat_table import load_flat_table

    few = _flat_export(tmp_path / "few.csv", converted=12)
    message = _message(lambda: load_flat_table(few, "Won"))
    assert message.endswith("28 short. Lower `min_class_rows` to train anyway.")
    _speaks_library_terms(message, load_flat_table)
    enough = _flat_export(tmp_path / "enough.csv", converted=50)
    for call in (
        lambda: load_flat_table(enough, "Converted"),
        lambda: load_flat_table(enough, "Won", id_col="won"),
        lambda: load_flat_table(enough, "Won", drop=["Pages"]),
    ):
        _speaks_library_terms(_message(call), load_flat_table)


def test_a_bad_types_file_is_named_as_load_flat_tables_types(tmp_path: Path) -> None:
    from leadscore.flat_table import load_flat_table

    export = _flat_export(tmp_path / "t.csv", converted=50)
    types = tmp_path / "types.csv"
    types.write_text("column,kind\nVisits,numeric\n")
    message = _message(lambda: load_flat_table(export, "Won", types=types))
    assert "a `types` CSV needs the columns 'column' (or 'header') and 'type'" in message
    _speaks_library_terms(message, load_flat_table)


def test_the_typing_table_names_parameters_not_flags() -> None:
    from leadscore.flat_table import TableTyper

    raw = pd.DataFrame({"owner": ["Stefan Wolf", "Anna Vogel"] * 5, "visits": range(10)})
    typer = TableTyper(types={"owner": "category", "visits": "category"}).fit(raw)
    actions = typer.describe()["action"].tolist()
    assert actions[0].endswith(
        "(`types` asked for category: add `keep` to vouch it holds no personal data)"
    )
    assert actions[1] == "category (integer codes) (set by `types`)"
    for action in actions:
        _speaks_library_terms(action, TableTyper)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: generate("unused", n_leads=0), "`n_leads` must be at least 1."),
        (lambda: generate("unused", activity=0), "`activity` must be a positive number."),
        (
            lambda: parse_explain("most"),
            "`explain` 'most': use all, none or top:N (e.g. top:1000).",
        ),
        (lambda: check_model_name("my model"), "`name` 'my model': a model name holds letters"),
    ],
)
def test_argument_errors_name_the_parameter(call: Callable[[], object], expected: str) -> None:
    message = _message(call)
    assert message.startswith(expected) and not FLAG.findall(message)


def _user_texts(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """String literals outside docstrings, an f-string's parts joined around ``{}``."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    inside_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
            inside_fstrings.update(id(v) for v in node.values)
            yield node.lineno, "".join(map(str, parts))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and id(node) not in inside_fstrings
        ):
            yield node.lineno, node.value


def test_no_library_text_names_a_command_line_flag() -> None:
    """Every string the library may show a user (not docstrings, not the CLI's own modules)."""
    package = Path(leadscore.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name in COMMAND_LINE_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, text in _user_texts(tree):
            flags = FLAG.findall(COMMAND.sub("", text))
            if flags:
                found.append(f"{path.relative_to(package)}:{line}: {', '.join(flags)}")
    assert not found, "library text names CLI flags:\n" + "\n".join(found)


def test_the_scan_finds_flags_and_spares_commands_and_docstrings() -> None:
    tree = ast.parse(
        '"""Docstring: ``--types``."""\n'
        'A = f"{path}: --id and {x} --target-col"\n'
        'B = "train first (leadscore train --table FILE --target COLUMN); or pass --model."\n'
        'C = ("--select--", "-- Select --", "a--b")\n'
    )
    flags = {line: FLAG.findall(COMMAND.sub("", text)) for line, text in _user_texts(tree)}
    assert {line: found for line, found in flags.items() if found} == {
        2: ["--id", "--target-col"],
        3: ["--model"],
    }
