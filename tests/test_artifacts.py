"""A training run's files: written under one set of names, logged without personal data, read back.

The comparisons here are built by hand (no training), so the tests are quick and the expected
tables are known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.artifacts import (
    COLUMN_TYPES,
    COMPARE_FOLDER,
    GRADE_CONVERSION,
    MODEL_COMPARISON,
    POINTS_COMPARISON,
    SHAP_IMPORTANCE,
    grade_conversion,
    read_run,
    write_points_comparison,
    write_run,
)
from leadscore.modeling.compare import MODEL_NAMES, Comparison
from leadscore.modeling.evaluate import grade_table
from leadscore.modeling.points_comparison import PointsComparison

GRADES = ["A1", "A1", "B2", "B2", "B2", "D4"] * 50
LABELS = [1, 0, 1, 0, 0, 0] * 50


def _comparison(flat: bool = False) -> Comparison:
    """A comparison as training returns one, with known held-out scores."""
    rng = np.random.default_rng(0)
    labels = np.array(LABELS)
    probabilities = {
        name: np.clip(0.3 * labels + 0.6 * rng.random(len(labels)), 0.01, 0.99)
        for name in MODEL_NAMES
    }
    metrics = pd.DataFrame(
        {"roc_auc": [0.71, 0.74, 0.8], "pr_auc": [0.4, 0.45, 0.5]},
        index=pd.Index(MODEL_NAMES, name="model"),
    )
    audit = None
    if flat:
        audit = pd.DataFrame(
            {"feature": ["Visits"], "header": ["Visits"], "roc_auc": [0.6], "flagged": [False]}
        )
    return Comparison(
        models=dict.fromkeys(MODEL_NAMES),
        metrics=metrics,
        grades=grade_table(labels, np.array(GRADES)),
        points_sheet=pd.DataFrame(
            {"rule": ["pricing_page", "free_mail"], "hand_set_points": [10, -5]}
        ).assign(learned_points=[14.0, -2.0]),
        test_scores=pd.DataFrame(
            {
                "lead_id": [f"L{i}" for i in range(len(labels))],
                "label": labels,
                **{f"p_{name}": p for name, p in probabilities.items()},
                "grade": GRADES,
            }
        ),
        shap_importance=pd.Series({"engagement": 0.42, "fit": 0.17}),
        audit=audit,
        typer=object() if flat else None,  # a flat table's (only its presence matters here)
    )


def test_the_grade_table_counts_leads_and_conversions_per_grade() -> None:
    table = grade_conversion(_comparison())
    assert table.to_dict("list") == {
        "grade": ["A1", "B2", "D4"],
        "leads": [100, 150, 50],
        "conversion_rate": [0.5, 1 / 3, 0.0],
    }
    without_sheet = _comparison()
    without_sheet.test_scores = without_sheet.test_scores.drop(columns="grade")
    assert grade_conversion(without_sheet) is None  # a flat table trained without points


def test_a_run_writes_its_tables_and_figures_and_logs_them_under_reports(tmp_path: Path) -> None:
    catalogue = pd.DataFrame({"name": ["n_actions_7d"], "family": ["actions"]})
    files = write_run(_comparison(), tmp_path / "reports", catalogue=catalogue)
    assert list(files.tables) == [
        MODEL_COMPARISON,
        POINTS_COMPARISON,
        GRADE_CONVERSION,
        SHAP_IMPORTANCE,
    ]  # no leakage audit: event data has none
    assert pd.read_csv(files.tables[GRADE_CONVERSION])["leads"].tolist() == [100, 150, 50]
    shap = pd.read_csv(files.tables[SHAP_IMPORTANCE])
    assert shap.to_dict("list") == {"family": ["engagement", "fit"], "mean_abs_shap": [0.42, 0.17]}
    assert set(files.figures) == {
        "roc", "precision_recall", "calibration", "gains", "grades", "shap_importance"
    }  # fmt: skip
    assert all(p.parent == tmp_path / "reports" / "figures" for p in files.figures.values())
    assert not (tmp_path / "reports" / COLUMN_TYPES).exists()
    logged = files.artifacts
    assert "reports/roc.png" in logged and "reports/grade_conversion.csv" in logged
    assert logged["reports/feature_catalogue.csv"] is catalogue  # logged only, not written


def test_a_flat_run_writes_column_types_with_examples_and_logs_them_without(
    tmp_path: Path,
) -> None:
    kinds = pd.DataFrame(
        {"header": ["Email", "Visits"], "type": ["drop", "numeric"], "example": ["a@b.de", "3"]}
    )
    files = write_run(_comparison(flat=True), tmp_path, catalogue=kinds)
    assert "leakage_audit.csv" in files.tables
    written = pd.read_csv(tmp_path / COLUMN_TYPES)
    assert written["example"].tolist() == ["a@b.de", "3"]  # for the user to correct, pass back
    assert files.column_types == tmp_path / COLUMN_TYPES
    logged = files.artifacts
    assert "reports/feature_catalogue.csv" not in logged
    assert list(logged["reports/column_types.csv"].columns) == ["header", "type"]
    assert all(not isinstance(v, Path) or v.name != COLUMN_TYPES for v in logged.values())


@pytest.fixture
def store(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


def _points_comparison(comparison: Comparison) -> PointsComparison:
    return PointsComparison(
        sheet=comparison.points_sheet.assign(difference=[4.0, 3.0]),
        what_if=pd.DataFrame({"sheet": ["hand-set"], "mqls": [12]}),
        test_scores=comparison.test_scores,
        grades=comparison.grades,
    )


def test_read_run_gives_back_what_the_run_logged(store: Path) -> None:
    from leadscore.artifacts import log_points_comparison
    from leadscore.modeling.tracking import connect, log_files

    comparison = _comparison()
    files = write_run(comparison, store / "reports")
    client = connect()
    run = client.create_run(client.create_experiment("runs"))
    client.log_metric(run.info.run_id, "lightgbm.roc_auc", 0.8)
    log_files(files.artifacts, run.info.run_id)
    compared = write_points_comparison(_points_comparison(comparison), store / "compare")
    assert log_points_comparison(run.info.run_id, compared) == COMPARE_FOLDER

    record = read_run(run.info.run_id)
    assert (record.run_id, record.metrics) == (run.info.run_id, {"lightgbm.roc_auc": 0.8})
    for name, path in files.tables.items():
        pd.testing.assert_frame_equal(record.table(name), pd.read_csv(path))
    assert record.figure("roc") == files.figures["roc"].read_bytes()
    assert record.table("what_if.csv", COMPARE_FOLDER)["mqls"].tolist() == [12]
    assert record.figure("points_hand_vs_learned", COMPARE_FOLDER) is not None
    assert record.table("what_if.csv") is None  # compare's files stay in their folder
