"""Evaluation metrics on hand-checked examples."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.modeling.evaluate import (
    evaluate,
    expected_calibration_error,
    grade_table,
    ranking_metrics,
    threshold_metrics,
)

LABELS = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
SCORES = np.linspace(1, 0, 20)  # leads already sorted best first


def test_capture_and_lift_in_the_top() -> None:
    m = ranking_metrics(LABELS, SCORES)
    # top 10 % = first 2 leads: 1 of 3 conversions; rate 0.5 against 0.15 overall
    assert m["capture_at_10pct"] == pytest.approx(1 / 3)
    assert m["lift_at_10pct"] == pytest.approx(0.5 / 0.15)
    # top 20 % = first 4 leads: 2 conversions
    assert m["capture_at_20pct"] == pytest.approx(2 / 3)
    assert m["capture_at_5pct"] == pytest.approx(1 / 3)  # at least one lead


def test_ece_is_zero_when_calibrated_and_large_when_not() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.3, 200_000)
    labels = rng.random(len(p)) < p
    assert expected_calibration_error(labels, p) < 0.005
    assert expected_calibration_error(labels, np.minimum(p * 2, 1)) > 0.1


def test_threshold_metrics() -> None:
    selected = np.zeros(20, dtype=bool)
    selected[:4] = True
    m = threshold_metrics(LABELS, selected)
    assert m == {
        "selected_share": 0.2,
        "precision_at_threshold": 0.5,
        "recall_at_threshold": pytest.approx(2 / 3),
    }


def test_evaluate_collects_everything() -> None:
    m = evaluate(LABELS, SCORES * 0.3, selected=SCORES > 0.8, oracle=SCORES)
    for key in (
        "roc_auc",
        "pr_auc",
        "log_loss",
        "brier",
        "ece",
        "precision_at_threshold",
        "oracle_roc_auc",
        "lift_at_5pct",
    ):
        assert key in m
    assert m["leads"] == 20
    assert m["conversion_rate"] == pytest.approx(0.15)


def test_grade_table_is_the_a1_to_d4_grid() -> None:
    grades = np.array(["A1", "A1", "D4", "D4", "B2"])
    table = grade_table(np.array([1, 0, 0, 0, 1]), grades)
    assert table.loc["A", ("conversion_rate", "1")] == 0.5
    assert table.loc["D", ("leads", "4")] == 2
    assert list(table.index) == ["A", "B", "D"]
