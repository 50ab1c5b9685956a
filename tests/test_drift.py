"""Drift between training and scoring: a shift is found, named, and turned into advice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadscore.modeling.drift import (
    MAJOR,
    MODERATE,
    DriftReference,
    population_stability,
    retrain_advice,
)


def _leads(n: int, seed: int, *, visits: float = 3.0, students: float = 0.1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    budget = rng.lognormal(8, 1, n)
    budget[rng.random(n) < 0.2] = np.nan
    return pd.DataFrame(
        {
            "visits": rng.poisson(visits, n).astype(float),
            "budget": budget,
            "seniority": np.where(rng.random(n) < students, "student", "manager"),
        }
    )


@pytest.fixture(scope="module")
def reference() -> DriftReference:
    return DriftReference.fit(_leads(5000, 0), ["visits", "budget", "seniority"])


def test_the_same_population_is_stable(reference) -> None:
    drift = reference.compare(_leads(5000, 1))
    assert set(drift["feature"]) == {"visits", "budget", "seniority"}
    assert (drift["psi"] < MODERATE).all() and (drift["status"] == "stable").all()
    assert retrain_advice(drift).startswith("The top features look like the training period")


def test_a_shifted_feature_is_named_first_and_retraining_advised(reference) -> None:
    scored = _leads(5000, 1, visits=6.0)
    drift = reference.compare(scored)
    assert drift["feature"].iloc[0] == "visits" and drift["status"].iloc[0] == "major shift"
    assert drift["psi"].is_monotonic_decreasing
    advice = retrain_advice(drift)
    assert advice.startswith("Retraining is advisable: visits shifted strongly")


def test_new_categories_and_more_empty_values_are_shifts_too(reference) -> None:
    scored = _leads(5000, 1, students=0.0)
    scored.loc[: len(scored) // 3, "seniority"] = "intern"  # unseen in training: the rare bin
    scored.loc[: len(scored) // 2, "budget"] = np.nan  # 50 % missing instead of 20 %
    drift = reference.compare(scored).set_index("feature")
    assert drift.loc["seniority", "psi"] >= MAJOR
    assert drift.loc["budget", "psi"] >= MODERATE
    assert drift.loc["visits", "status"] == "stable"


def test_a_moderate_shift_is_watched_not_retrained() -> None:
    drift = pd.DataFrame({"feature": ["visits", "budget"], "psi": [0.15, 0.02]})
    assert retrain_advice(drift).startswith("Watch visits: a moderate shift")


def test_only_watched_features_are_reported() -> None:
    train = _leads(2000, 0)
    reference = DriftReference.fit(train, ["visits"], also=["budget", "seniority"])
    assert reference.compare(_leads(2000, 1, students=0.9))["feature"].tolist() == ["visits"]
    assert set(reference.shares) == {"visits", "budget", "seniority"}  # for "top x %" reasons


@st.composite
def two_distributions(draw) -> tuple[np.ndarray, np.ndarray]:
    """Shares over the same 2-12 bins, some of them empty."""
    n = draw(st.integers(2, 12))
    weights = st.lists(st.floats(0, 1), min_size=n, max_size=n).filter(lambda v: sum(v) > 0)
    a, b = np.array(draw(weights)), np.array(draw(weights))
    return a / a.sum(), b / b.sum()


@given(two_distributions())
def test_psi_is_a_finite_symmetric_non_negative_distance(pair) -> None:
    expected, actual = pair
    psi = population_stability(expected, actual)
    assert np.isfinite(psi) and psi >= -1e-12  # empty bins are floored, never infinite
    assert psi == pytest.approx(population_stability(actual, expected))
    assert population_stability(expected, expected) == 0.0
