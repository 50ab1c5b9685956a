"""Reasons in log-odds: SHAP contributions summed by family add up to each lead's score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.modeling import explain
from leadscore.modeling.explain import (
    family_groups,
    grouped_contributions,
    importance,
    strongest,
)
from leadscore.modeling.train import LightGBMModel

FAMILIES = {"pricing_7d": "pricing", "pricing_30d": "pricing", "demo_30d": "demo"}


@pytest.fixture(scope="module")
def leads() -> tuple[pd.DataFrame, LightGBMModel]:
    """A model of three families: pricing (two windows), demo, and seniority (no family)."""
    rng = np.random.default_rng(5)
    n = 2000
    frame = pd.DataFrame(
        {
            "pricing_7d": rng.poisson(0.5, n).astype(float),
            "pricing_30d": rng.poisson(1.5, n).astype(float),
            "demo_30d": (rng.random(n) < 0.1).astype(float),
            "seniority": rng.choice(["vp", "manager", "student"], n),
        }
    )
    logit = (
        -2.5
        + 0.6 * frame["pricing_7d"]
        + 0.2 * frame["pricing_30d"]
        + 2.0 * frame["demo_30d"]
        + frame["seniority"].map({"vp": 0.8, "manager": 0.0, "student": -1.5})
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = LightGBMModel(n_estimators=100, min_child_samples=20).fit(frame, y)
    return frame, model


def test_family_sums_add_up_to_the_raw_score_of_every_lead(leads) -> None:
    frame, model = leads
    groups = family_groups(model.features_, FAMILIES)
    assert groups.names == ["pricing", "demo", "seniority"]  # no family: its own
    assert groups.columns["pricing"] == ["pricing_7d", "pricing_30d"]
    grouped, base = grouped_contributions(model, frame, groups)
    assert grouped.shape == (len(frame), 3)
    assert np.allclose(grouped.sum(axis=1) + base, model.raw_score(frame), atol=1e-6)
    # The signal planted: demo requests push up, students down.
    demo = frame["demo_30d"] == 1
    assert grouped[demo.to_numpy(), 1].mean() > 0.5
    assert grouped[(frame["seniority"] == "student").to_numpy(), 2].mean() < -0.3


def test_explaining_in_chunks_gives_the_same_numbers(leads, monkeypatch) -> None:
    frame, model = leads
    groups = family_groups(model.features_, FAMILIES)
    whole, whole_base = grouped_contributions(model, frame, groups)
    monkeypatch.setattr(explain, "CHUNK_ROWS", 450)
    done: list[int] = []
    chunked, chunked_base = grouped_contributions(model, frame, groups, on_chunk=done.append)
    assert done == [450, 450, 450, 450, 200]  # progress for every chunk
    assert np.array_equal(chunked, whole) and np.array_equal(chunked_base, whole_base)


def test_strongest_reasons_are_ordered_and_never_of_the_wrong_sign() -> None:
    grouped = np.array(
        [
            [0.4, -0.2, 1.1, 0.0],  # two for, one against
            [-0.3, -0.9, -0.1, -0.5],  # nothing for
            [0.2, 0.2, 0.0, 0.3],  # a tie: the first family first
        ]
    )
    top, values = strongest(grouped, 3, +1)
    assert top.tolist() == [[2, 0, -1], [-1, -1, -1], [3, 0, 1]]
    assert values.tolist() == [[1.1, 0.4, 0.0], [0.0, 0.0, 0.0], [0.3, 0.2, 0.2]]
    against, values = strongest(grouped, 2, -1)
    assert against.tolist() == [[1, -1], [1, 3], [-1, -1]]
    assert values.tolist() == [[-0.2, 0.0], [-0.9, -0.5], [0.0, 0.0]]


def test_importance_is_the_mean_absolute_contribution_largest_first() -> None:
    grouped = np.array([[0.5, -2.0, 0.1], [-0.5, 1.0, 0.1]])
    ranked = importance(grouped, ["pricing", "demo", "seniority"])
    assert ranked.to_dict() == {"demo": 1.5, "pricing": 0.5, "seniority": 0.1}
