"""The three models side by side on the same held-out leads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leadscore.modeling.compare import MODEL_NAMES, compare_models
from leadscore.synthetic import conversion_probability


@pytest.fixture(scope="module")
def comparison(synthetic_b2b: Path, monthly_table):
    oracle = conversion_probability(synthetic_b2b, monthly_table.cutoffs, 90)
    return compare_models(monthly_table.frame, 90, oracle=oracle)


def test_one_row_per_model_on_the_same_leads(comparison) -> None:
    metrics = comparison.metrics
    assert list(metrics.index) == list(MODEL_NAMES)
    assert (metrics["leads"] == metrics["leads"].iloc[0]).all()
    assert (metrics["conversion_rate"] == metrics["conversion_rate"].iloc[0]).all()
    assert (comparison.test_scores["cutoff"] == comparison.split.test).all()


def test_learned_models_rank_better_and_nobody_beats_the_oracle(comparison) -> None:
    auc = comparison.metrics["roc_auc"]
    assert auc["lightgbm"] > auc["hand_set_points"]
    assert auc["learned_points"] > auc["hand_set_points"]
    assert (auc < comparison.metrics["oracle_roc_auc"]).all()
    assert (comparison.metrics["ece"] < 0.02).all()


def test_at_equal_effort_lightgbm_hands_over_better_leads(comparison) -> None:
    # What sales would get, recounted from the held-out scores a user sees: the hand-set MQLs
    # (points at or above the sheet's threshold) and as many of LightGBM's best leads.
    metrics, scores = comparison.metrics, comparison.test_scores
    threshold = comparison.tested_models["hand_set_points"].sheet_.mql_threshold
    n_mql = int((scores["points"] >= threshold).sum())
    best = scores.nlargest(n_mql, "p_lightgbm", keep="all")
    assert len(best) == n_mql, "LightGBM's top leads are cut through a tie"
    assert metrics.loc["lightgbm", "precision_at_threshold"] == pytest.approx(best["label"].mean())
    assert metrics.loc["lightgbm", "recall_at_threshold"] == pytest.approx(
        best["label"].sum() / scores["label"].sum()
    )
    for name in ("precision_at_threshold", "recall_at_threshold", "capture_at_10pct"):
        assert metrics.loc["lightgbm", name] > metrics.loc["hand_set_points", name], name


def test_grade_grid_and_points_sheet(comparison) -> None:
    rates = comparison.grades["conversion_rate"]
    assert rates.loc["A", "1"] > rates.loc["D", "4"]
    assert set(comparison.points_sheet["rule"]) >= {"demo_request", "competitor"}
    scores = comparison.test_scores
    assert np.isclose(scores.groupby("grade")["label"].mean()["A1"], rates.loc["A", "1"])
    assert len(scores) == comparison.metrics["leads"].iloc[0]
    for name in MODEL_NAMES:
        assert scores[f"p_{name}"].between(0, 1).all()


def test_figures_are_written_as_png(comparison, tmp_path) -> None:
    from leadscore.plots import comparison_figures, figure_names

    paths = comparison_figures(comparison, tmp_path / "figures")
    assert tuple(paths) == figure_names()
    for path in paths.values():
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 10_000
    assert not list((tmp_path / "figures").glob(".*")), "temporary files left behind"


def test_a_sales_capacity_on_a_flat_table_needs_its_time_column(tmp_path: Path) -> None:
    """Leads per week need dates: without a time column the table is refused before training;
    with one, every model hands over about the asked volume over the test rows' weeks."""
    from leadscore.errors import LeadscoreError
    from leadscore.flat_table import load_flat_table
    from leadscore.modeling.compare import compare_flat
    from leadscore.workflows import write_flat_export

    export = write_flat_export(tmp_path / "export.csv", rows=3000, seed=2)
    untimed = load_flat_table(export.path, "Converted", id_col="Lead ID")
    with pytest.raises(LeadscoreError, match=r"`sales_capacity` counts leads per week.*`time_col`"):
        compare_flat(untimed, sales_capacity=20)
    timed = load_flat_table(export.path, "Converted", id_col="Lead ID", time_col="Created Date")
    comparison = compare_flat(timed, sales_capacity=20)
    what_if = comparison.capacity
    assert set(what_if.table["model"]) == {"learned_points", "lightgbm"}
    assert what_if.table["mqls_per_week"].tolist() == pytest.approx([20, 20], abs=1 / what_if.weeks)
    assert set(comparison.mql_thresholds) == {"learned_points", "lightgbm"}
