"""The defaults ``--help`` shows: light to import, and the ones the library really uses."""

from __future__ import annotations

import inspect
import subprocess
import sys

from leadscore import defaults
from leadscore.dataset import load_dataset
from leadscore.flat_table import load_flat_table
from leadscore.modeling.compare import compare_flat
from leadscore.modeling.leakage import leakage_audit

HEAVY = ("pandas", "numpy", "sklearn", "scipy", "lightgbm", "mlflow", "duckdb", "matplotlib")


def test_importing_the_defaults_imports_nothing_heavy() -> None:
    # ``leadscore --help`` reads them: it must answer at once (issue 12, item 11), so neither
    # this module nor the package's __init__ may pull in the data-science stack.
    code = (
        "import sys, leadscore.defaults\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "", f"importing leadscore.defaults imported {done.stdout}"


def _default(function, parameter: str):
    return inspect.signature(function).parameters[parameter].default


def test_the_library_uses_the_defaults_the_command_line_shows() -> None:
    # One source each: a notebook user calling the library gets what --help promises.
    assert _default(load_dataset, "max_orphan_share") == defaults.MAX_ORPHAN_SHARE
    assert _default(load_flat_table, "min_class_rows") == defaults.MIN_CLASS_ROWS
    assert _default(leakage_audit, "threshold") == defaults.LEAKAGE_THRESHOLD
    assert _default(compare_flat, "leakage_threshold") == defaults.LEAKAGE_THRESHOLD
