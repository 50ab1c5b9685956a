"""The notebooks are kept without outputs and run top to bottom (small) in the test suite."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_exist_with_cookiecutter_names() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "0.01-explore-leads-and-events.ipynb",
        "1.01-retrain-and-compare-models.ipynb",
        "2.01-learned-vs-hand-set-points.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    book = json.loads(path.read_text())
    for cell in book["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{path.name} holds outputs: clear them before committing"
            )


def _run(path: Path, tmp_path: Path, monkeypatch, **environ: str) -> None:
    """Run the notebook top to bottom (nbclient raises on the first cell that fails)."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("LEADSCORE_HOME", str(tmp_path))  # reports and MLflow go here
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    book = nbformat.read(path, as_version=4)
    NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()


@pytest.mark.parametrize(
    "path", [p for p in NOTEBOOKS if not p.name.startswith("1.01")], ids=lambda p: p.stem
)
def test_notebook_runs_top_to_bottom(path: Path, data: Path, tmp_path: Path, monkeypatch) -> None:
    _run(path, tmp_path, monkeypatch, LEADSCORE_NB_DATA=str(data), LEADSCORE_NB_LEADS="4000")


def test_a_notebook_run_reports_like_a_command_line_run(
    data: Path, registry: Path, tmp_path: Path, monkeypatch
) -> None:
    """1.01 trains as 'leadscore train' does: its run's report has the same sections, equal."""
    from leadscore.report import gather, render

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{registry / 'mlflow.db'}")
    command_line = gather()  # the registry's champion: 'leadscore train --data DATA'
    cutoffs = (
        f"monthly:{command_line.params['train_cutoffs'][:10]}:{command_line.params['test_cutoff']}"
    )
    path = next(p for p in NOTEBOOKS if p.name.startswith("1.01"))
    _run(
        path, tmp_path, monkeypatch,
        LEADSCORE_NB_DATA=str(data), LEADSCORE_NB_LEADS="4000", LEADSCORE_NB_CUTOFFS=cutoffs,
    )  # fmt: skip
    notebook = gather()  # the notebook's run: the first version in its store, the champion
    assert notebook.run_id != command_line.run_id
    assert notebook.grades is not None and notebook.importance is not None
    pd.testing.assert_frame_equal(notebook.metrics, command_line.metrics)
    pd.testing.assert_frame_equal(notebook.grades, command_line.grades)
    pd.testing.assert_frame_equal(notebook.importance, command_line.importance)
    assert set(notebook.charts) == set(command_line.charts) == {
        "ROC curve", "Cumulative gains", "Calibration"
    }  # fmt: skip
    assert notebook.importance_chart is not None
    page = render(notebook)
    for heading in ("Grade grid A1–D4", "What drives the scores", "Ranking and calibration"):
        assert heading in page and heading in render(command_line)
