"""The public API: ``from leadscore import …`` covers the notebook workflow, and stays light."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import leadscore

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_public_name_resolves_to_what_its_module_defines() -> None:
    for name in leadscore.__all__:
        value = getattr(leadscore, name)
        assert getattr(value, "__name__", name) == name, name
    assert set(leadscore.__all__) <= set(dir(leadscore))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        leadscore.nothing_here  # noqa: B018


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, leadscore; "
        "print(sorted(m for m in ('pandas', 'sklearn', 'lightgbm', 'mlflow', 'shap') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _readme_example() -> str:
    section = README.read_text(encoding="utf-8").split("## In Python: the public API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_end_to_end(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # its relative paths land in a throw-away folder
    exec(compile(_readme_example(), str(README), "exec"), {})
    printed = capsys.readouterr().out
    assert "roc_auc" in printed and "api-example version 1" in printed
    scores = (tmp_path / "data" / "scores" / "api.csv").read_text(encoding="utf-8")
    assert scores.startswith("lead_id,") and len(scores.splitlines()) > 100
    assert (tmp_path / "reports" / "api-example" / "grade_conversion.csv").is_file()
