"""MQL thresholds set by sales capacity, and the models compared at equal hand-over volume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.modeling.capacity import (
    cadence_days,
    capacity_threshold,
    check_sales_capacity,
    equal_volume,
    period_weeks,
    span_weeks,
)


def test_the_threshold_hands_over_the_asked_leads_per_week() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random(4_000)  # distinct scores: the volume can be met exactly
    weeks = 4_000 / 350  # 350 leads a week arrive
    for capacity in (10, 35, 120):
        threshold = capacity_threshold(scores, weeks, capacity)
        assert (scores >= threshold).sum() == round(capacity * weeks)


def test_tied_points_give_the_volume_closest_to_the_capacity() -> None:
    points = np.array([50] * 3 + [40] * 4 + [30] * 10)
    # 2 weeks at 3 a week: 6 leads; ≥ 50 hands 3 over (3 off), ≥ 40 hands 7 over (1 off).
    assert capacity_threshold(points, 2.0, 3) == 40
    # 5 leads: 3 and 7 are equally far; the smaller volume wins.
    assert capacity_threshold(points, 1.0, 5) == 50


def test_weeks_are_cutoffs_times_the_cadence() -> None:
    monthly = pd.to_datetime([f"2025-{m:02d}-01" for m in range(1, 13)])
    assert cadence_days(monthly) == 31  # gaps of 28 to 31 days, median 31
    test = pd.Series(pd.to_datetime(["2025-12-01"] * 500))
    assert period_weeks(test, 31) == pytest.approx(31 / 7)
    assert span_weeks(pd.to_datetime(["2025-03-01", "2025-03-14", "2025-03-07"])) == 2.0
    # an unparseable date (NaT) in the export neither stretches nor breaks the period
    undated = pd.Series(pd.to_datetime(["2025-03-01", None, "2025-03-14"], utc=True))
    assert span_weeks(undated.to_numpy()) == 2.0
    with pytest.raises(LeadscoreError, match="`sales_capacity` needs dated rows"):
        span_weeks(pd.Series(pd.to_datetime([None, None], utc=True)).to_numpy())
    with pytest.raises(LeadscoreError, match="`sales_capacity` needs leads at two cutoffs"):
        cadence_days(pd.to_datetime(["2025-01-01", "2025-01-01"]))


def test_equal_volume_numbers_computed_by_hand() -> None:
    labels = np.array([1, 0, 1, 0, 0, 1, 0, 0])
    scores = {
        "hand_set_points": np.array([30, 30, 10, 10, 0, 0, 0, 0]),  # 4 at ≥ 10: 2 converted
        "lightgbm": np.array([0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.05, 0.0]),  # top 4: 3 converted
    }
    what_if = equal_volume(labels, scores, weeks=2.0, sales_capacity=2).table.set_index("model")
    hand, lgbm = what_if.loc["hand_set_points"], what_if.loc["lightgbm"]
    assert hand["threshold"] == 10 and hand["mqls"] == 4 and hand["mqls_per_week"] == 2
    assert hand["conversions_per_week"] == 1.0  # 2 conversions in 2 weeks
    assert hand["precision"] == 0.5 and hand["recall"] == pytest.approx(2 / 3)
    assert lgbm["threshold"] == 0.3 and lgbm["mqls"] == 4
    assert lgbm["conversions_per_week"] == 1.5
    assert lgbm["precision"] == 0.75 and lgbm["recall"] == 1.0


def test_the_curve_ends_with_every_lead_and_every_conversion() -> None:
    labels = np.array([1, 0, 1, 0])
    what_if = equal_volume(labels, {"m": np.array([0.4, 0.3, 0.2, 0.1])}, 2.0, 1)
    curve = what_if.curve
    assert curve["leads_per_week"].tolist() == [0.5, 1.0, 1.5, 2.0]
    assert curve["conversions_per_week"].tolist() == [0.5, 0.5, 1.0, 1.0]


@pytest.mark.parametrize("value", [0, -3, "many", float("nan"), float("inf"), True, None])
def test_a_capacity_that_is_no_positive_number_is_refused_by_name(value) -> None:
    with pytest.raises(LeadscoreError, match=r"`sales_capacity` .*a finite number above 0"):
        check_sales_capacity(value)


def test_a_capacity_beyond_the_leads_there_are_hands_over_every_lead() -> None:
    labels = np.array([1, 0, 0, 0])
    what_if = equal_volume(labels, {"m": np.array([0.9, 0.5, 0.2, 0.1])}, 1.0, 10)
    assert what_if.table.loc[0, "mqls"] == 4
    assert "hands over every lead" in what_if.warnings[0]
    assert "`sales_capacity` 10" in what_if.warnings[0]


def test_a_capacity_below_one_lead_in_the_period_and_a_period_under_a_week_are_warned() -> None:
    labels = np.array([1, 0, 0, 0])
    scores = {"m": np.array([0.9, 0.5, 0.2, 0.1])}
    tiny = equal_volume(labels, scores, weeks=2.0, sales_capacity=1e-6)
    assert tiny.table.loc[0, "mqls"] == 1
    assert "less than one lead in the 2.0 weeks" in tiny.warnings[0]
    short = equal_volume(labels, scores, weeks=0.5, sales_capacity=2)
    assert short.warnings == [
        "the period covers 3.5 days, less than a week: figures per week rest on a few days' leads."
    ]
    assert not equal_volume(labels, scores, weeks=2.0, sales_capacity=1).warnings
