"""Learned points: scorecard scaling, evidence per rule, better ranking than hand-set points."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from conftest import NOW
from leadscore.features.pipeline import build_training_table
from leadscore.modeling.points import PointsModel, rule_units
from leadscore.modeling.scorecard import LearnedPointsModel, implied_pdo


@pytest.fixture(scope="module")
def tables(synthetic_b2b: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = build_training_table(
        synthetic_b2b,
        "monthly:2025-01-01:2025-06-01",
        90,
        interim_dir=tempfile.mkdtemp(),
        now=NOW,
    ).frame
    train = frame[frame["cutoff"] < pd.Timestamp("2025-04-01", tz="UTC")]
    test = frame[frame["cutoff"] == pd.Timestamp("2025-06-01", tz="UTC")]
    return train, test


def test_implied_pdo_recovers_the_scale() -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(-40, 120, 50_000)
    p = 1 / (1 + np.exp(-(-4 + points * math.log(2) / 20)))  # 20 points double the odds
    labels = (rng.random(len(p)) < p).astype(int)
    assert implied_pdo(points, labels) == pytest.approx(20, rel=0.05)


def test_learned_points_rank_better_out_of_time(tables) -> None:
    train, test = tables
    hand = PointsModel().fit(train, train["label"])
    learned = LearnedPointsModel().fit(train, train["label"])
    auc_hand = roc_auc_score(test["label"], hand.predict_proba(test)[:, 1])
    auc_learned = roc_auc_score(test["label"], learned.predict_proba(test)[:, 1])
    assert auc_learned > auc_hand > 0.65


def test_scaling_is_a_reparametrisation_of_the_logistic_fit(tables) -> None:
    train, test = tables
    model = LearnedPointsModel(C=0.3).fit(train, train["label"])
    units = rule_units(model.sheet_, train).to_numpy(float)
    scale = units.std(axis=0)
    scale[scale == 0] = 1
    direct = LogisticRegression(C=0.3, max_iter=2000).fit(units / scale, train["label"])
    test_units = rule_units(model.sheet_, test).to_numpy(float)
    expected = direct.predict_proba(test_units / scale)[:, 1]
    assert np.allclose(model.predict_proba(test)[:, 1], expected, atol=1e-9)
    # pdo more points double the odds; a lead matching no rule has 0 points
    assert model.factor_ == pytest.approx(model.pdo_ / math.log(2))
    assert model.points(test.iloc[:0]).shape == (0,)


def test_signs_follow_the_data_and_the_sheet_carries_evidence(tables) -> None:
    train, _ = tables
    model = LearnedPointsModel().fit(train, train["label"])
    sheet = model.points_sheet(train, train["label"]).set_index("rule")
    assert sheet.loc["competitor", "learned_points"] < 0
    assert sheet.loc["student", "learned_points"] < 0
    assert sheet.loc["decision_maker", "learned_points"] > 0
    assert (
        sheet["difference"] == (sheet["learned_points"] - sheet["hand_set_points"]).round(1)
    ).all()
    units = rule_units(model.sheet_, train)
    applies = units["pricing_page"] > 0
    assert sheet.loc["pricing_page", "leads"] == applies.sum()
    assert sheet.loc["pricing_page", "conversion_rate"] == pytest.approx(
        train.loc[applies, "label"].mean()
    )
    assert list(sheet.columns) == [
        "section",
        "unit",
        "hand_set_points",
        "learned_points",
        "difference",
        "leads",
        "conversion_rate",
    ]


def test_estimator_conventions(tables) -> None:
    train, _ = tables
    model = LearnedPointsModel(C=2.0, pdo=20)
    assert clone(model).get_params() == {"C": 2.0, "pdo": 20, "sheet": None}
    assert model.fit(train, train["label"]) is model
    assert model.pdo_ == 20
    assert list(model.transform(train).columns) == list(model.get_feature_names_out())


def test_binning_scorecard_points_match_hand_computed_woe_scaling() -> None:
    from leadscore.modeling.scorecard import BinningScorecard

    # One categorical column; bins: "a" (3 of 4 convert), "b" (1 of 4): overall 4 of 8.
    X = pd.DataFrame({"plan": ["a"] * 4 + ["b"] * 4})
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    card = BinningScorecard(min_bin_share=0.1, C=1e6, pdo=20).fit(X, y)
    prior = 0.5  # one pseudo-lead at the overall rate
    woe_a = math.log((3 + prior) / (1 + 1 - prior)) - math.log(4 / 4)
    assert card.woe_["plan"][0] == pytest.approx(woe_a)
    assert card.factor_ == pytest.approx(20 / math.log(2))
    table = card.points_table_.set_index("bin")
    expected_a = round(card.factor_ * card.coef_[0] * woe_a, 1)
    assert table.loc["a", "points"] == pytest.approx(expected_a)
    assert table.loc["b", "points"] == pytest.approx(-expected_a)  # symmetric counts
    assert table.loc["missing", "points"] == 0.0  # no evidence, no points
    # Points and probabilities are one scale: points / factor = log-odds.
    logit = np.log(card.predict_proba(X)[:, 1] / card.predict_proba(X)[:, 0])
    assert np.allclose(card.points(X), card.offset + card.factor_ * logit)
    # The plan that converts more scores higher.
    assert card.predict_proba(X.head(1))[0, 1] > card.predict_proba(X.tail(1))[0, 1]
