"""Bins a person can read: each label describes exactly the values of its bin."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from leadscore.modeling.binning import MISSING_LABEL, RARE_LABEL, Binner


def _in_label(value: float, label: str) -> bool:
    """Whether ``value`` lies in the interval a numeric bin's label names."""
    if label == MISSING_LABEL:
        return bool(np.isnan(value))
    if np.isnan(value):
        return False
    if label == "any value":
        return True
    if match := re.fullmatch(r"< (\S+)", label):
        return value < float(match[1])
    if match := re.fullmatch(r"≥ (\S+)", label):
        return value >= float(match[1])
    low, high = re.fullmatch(r"(\S+) to < (\S+)", label).groups()
    return float(low) <= value < float(high)


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 4000
    budget = np.round(rng.lognormal(8, 1.2, n), 0)
    budget[rng.random(n) < 0.15] = np.nan
    return pd.DataFrame(
        {
            "budget": budget,  # continuous: quantile bins
            "visits": rng.poisson(2, n).astype(float),  # a small count: a bin per value
            "demo": (rng.random(n) < 0.08).astype(float),  # a rare flag keeps its own bin
            "country": rng.choice(["DE", "AT", "CH", "LU"], n, p=[0.6, 0.25, 0.14, 0.01]),
        }
    )


def _check_labels(binner: Binner, frame: pd.DataFrame, name: str) -> None:
    labels = binner.labels(name)
    assert len(labels) == binner.n_codes(name) and labels[-1] == MISSING_LABEL
    for value, code in zip(frame[name], binner.transform(frame)[name], strict=True):
        assert _in_label(value, labels[code]), (name, value, labels[code])


@pytest.mark.parametrize("name", ["visits", "demo"])
def test_labels_of_counts_and_flags_describe_the_values_of_their_bins(leads, name) -> None:
    _check_labels(Binner(max_bins=8).fit(leads), leads, name)


def test_labels_of_quantile_bins_describe_the_values_of_their_bins(leads) -> None:
    _check_labels(Binner(max_bins=8).fit(leads), leads, "budget")


def test_quantile_bins_hold_similar_shares(leads) -> None:
    codes = Binner(max_bins=8).fit(leads).transform(leads)["budget"]
    shares = codes[leads["budget"].notna()].value_counts(normalize=True)
    assert len(shares) == 8 and shares.between(0.1, 0.15).all()


def test_a_rare_flag_and_small_counts_are_not_folded_away(leads) -> None:
    binner = Binner(max_bins=4).fit(leads)
    assert binner.labels("demo") == ["< 1", "≥ 1", MISSING_LABEL]
    assert len(binner.labels("visits")) > 4  # 0, 1, 2, ... each its bin despite max_bins=4


def test_categories_rare_unseen_and_missing_values(leads) -> None:
    binner = Binner(min_bin_share=0.05).fit(leads)
    assert binner.labels("country") == ["AT", "CH", "DE", RARE_LABEL, MISSING_LABEL]
    new = pd.DataFrame(
        {"budget": [1.0] * 4, "visits": [0.0] * 4, "demo": [0.0] * 4,
         "country": ["DE", "LU", "FR", None]}
    )  # fmt: skip
    labels = binner.labels("country")
    assert [labels[c] for c in binner.transform(new)["country"]] == [
        "DE",
        RARE_LABEL,  # rare in training
        RARE_LABEL,  # never seen
        MISSING_LABEL,
    ]


def test_a_column_without_spread_gets_one_bin_and_missing() -> None:
    constant = pd.DataFrame({"score": [5.0] * 50 + [np.nan] * 5})
    binner = Binner().fit(constant)
    assert binner.labels("score") == ["any value", MISSING_LABEL]
    assert binner.transform(constant)["score"].tolist() == [0] * 50 + [1] * 5


def test_arrays_are_named_and_an_unfitted_binner_says_so() -> None:
    with pytest.raises(NotFittedError):
        Binner().transform(np.zeros((3, 2)))
    binner = Binner().fit(np.arange(20.0).reshape(10, 2))
    assert binner.get_feature_names_out().tolist() == ["x0", "x1"]
