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
from leadscore.modeling.binning import MISSING_LABEL, RARE_LABEL, Binner
from leadscore.modeling.points import PointsModel, rule_units
from leadscore.modeling.scorecard import (
    BinningScorecard,
    LearnedPointsModel,
    implied_pdo,
    sign_constrained_logistic,
    sign_contradictions,
)


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


@pytest.mark.parametrize("constrain_signs", [True, False])
def test_the_published_sheet_is_the_model_that_scores(tables, constrain_signs) -> None:
    train, test = tables
    model = LearnedPointsModel(constrain_signs=constrain_signs).fit(train, train["label"])
    sheet = model.points_sheet(train, train["label"])
    # A salesperson adding up the sheet's points for a lead's rules gets the lead's points
    # (within the sheet's rounding to 0.1 per unit) ...
    units = rule_units(model.sheet_, test)[sheet["rule"]].to_numpy(float)
    by_hand = units @ sheet["learned_points"].to_numpy()
    assert (np.abs(model.points(test) - by_hand) <= 0.05 * np.abs(units).sum(axis=1) + 1e-9).all()
    # ... and a lead matching no rule has 0 points, on the learned sheet as on the hand-set one.
    nothing = np.abs(units).sum(axis=1) == 0
    assert nothing.any() and (model.points(test)[nothing] == 0).all()
    # The fit's free intercept matches the base rate on its own rows (calibration in the large).
    assert model.predict_proba(train)[:, 1].mean() == pytest.approx(train["label"].mean(), abs=1e-3)


def test_signs_follow_the_data_and_the_sheet_carries_evidence(tables) -> None:
    train, _ = tables
    model = LearnedPointsModel().fit(train, train["label"])
    sheet = model.points_sheet(train, train["label"]).set_index("rule")
    assert sheet.loc["competitor", "learned_points"] < 0
    assert sheet.loc["student", "learned_points"] < 0
    assert sheet.loc["decision_maker", "learned_points"] > 0
    # No evidence, no points: a rule that never applies in the data proposes 0 learned points.
    demo = next(r for r in model.sheet_.rules if r.name == "demo_request")
    without_demos = train.assign(**dict.fromkeys(demo.columns, 0.0))
    blind = LearnedPointsModel().fit(without_demos, train["label"])
    row = blind.points_sheet(without_demos, train["label"]).set_index("rule").loc["demo_request"]
    assert row["leads"] == 0 and row["learned_points"] == 0 and np.isnan(row["conversion_rate"])
    assert row["difference"] == -row["hand_set_points"]
    units = rule_units(model.sheet_, train)
    applies = units["pricing_page"] > 0
    assert sheet.loc["pricing_page", "leads"] == applies.sum()
    assert sheet.loc["pricing_page", "conversion_rate"] == round(
        train.loc[applies, "label"].mean(), 3
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
    assert clone(model).get_params() == {
        "C": 2.0,
        "Cs": 10,
        "constrain_signs": True,
        "max_points": "sheet",
        "pdo": 20,
        "sheet": None,
    }
    assert model.fit(train, train["label"]) is model
    assert model.pdo_ == 20
    assert list(model.transform(train).columns) == list(model.get_feature_names_out())


def test_learned_rule_points_never_contradict_their_conversion_rate(tables) -> None:
    train, _ = tables
    model = LearnedPointsModel().fit(train, train["label"])
    sheet = model.points_sheet(train, train["label"])
    base = train["label"].mean()
    wrong = ((sheet["learned_points"] < 0) & (sheet["conversion_rate"] > base)) | (
        (sheet["learned_points"] > 0) & (sheet["conversion_rate"] < base)
    )
    assert not wrong.any(), sheet[wrong]
    # rounded for people
    assert (sheet["conversion_rate"].dropna() == sheet["conversion_rate"].dropna().round(3)).all()


def test_sign_constrained_fit_is_scikit_learns_when_no_constraint_binds() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 3))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(X @ [1.0, -0.5, 0.3] - 1)))).astype(int)
    reference = LogisticRegression(C=0.5, tol=1e-8, max_iter=5000).fit(X, y)
    intercept, coef = sign_constrained_logistic(X, y, 0.5, np.sign(reference.coef_[0]))
    assert np.allclose(coef, reference.coef_[0], atol=1e-4)
    assert intercept == pytest.approx(reference.intercept_[0], abs=1e-4)
    # the wrong sign asked for: that coefficient stays at the bound, 0
    _, bound = sign_constrained_logistic(X, y, 0.5, np.array([1, 1, 1]))
    assert bound[1] == 0.0 and bound[0] > 0 and bound[2] > 0


def collinear_sources(n: int = 6000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """The issue's trap: a 90 % converting source, an origin almost a function of the source,
    a real category "Other", rare sources, and a number that also ranks."""
    rng = np.random.default_rng(seed)
    common = ["Google", "Direct", "Olark Chat", "Organic", "Other"]
    rare = [f"Rare {i}" for i in range(6)]  # each well below 1 %
    source = rng.choice(
        np.array([*common, "Reference", *rare], dtype=object),
        n,
        p=[0.3, 0.25, 0.15, 0.12, 0.09, 0.06, *[0.005] * 6],
    )
    origin = np.where(
        source == "Reference",
        np.where(rng.random(n) < 0.97, "Referral Program", "Landing Page"),
        np.where(source == "Olark Chat", "API", rng.choice(["Landing Page", "API"], n)),
    )
    visits = rng.poisson(3, n)
    effect = (
        pd.Series(source)
        .map({"Google": 0.0, "Direct": -0.4, "Olark Chat": -0.8, "Organic": 0.2, "Other": 0.6})
        .fillna(0.0)
        .to_numpy()
    )
    p = 1 / (1 + np.exp(-(-2.2 + effect + 0.25 * visits)))
    p = np.where(source == "Reference", 0.9, p)
    y = (rng.random(n) < p).astype(int)
    X = pd.DataFrame({"lead_source": source, "lead_origin": origin, "visits": visits.astype(float)})
    return X, y


def test_a_90_percent_source_of_collinear_columns_gets_positive_points() -> None:
    X, y = collinear_sources()
    unconstrained = BinningScorecard(constrain_signs=False, C=100).fit(X, y)
    card = BinningScorecard().fit(X, y)
    table = card.points_table_.set_index(["feature", "bin"])
    assert table.loc[("lead_source", "Reference"), "conversion_rate"] > 0.85
    assert table.loc[("lead_source", "Reference"), "points"] > 0
    assert table.loc[("lead_origin", "Referral Program"), "points"] > 0
    assert not sign_contradictions(card).any()
    # without the constraint the same data gives some bin points against its own rate
    assert sign_contradictions(unconstrained).any()
    # the constraint costs next to nothing in ranking on fresh leads
    X_new, y_new = collinear_sources(seed=1)
    auc = roc_auc_score(y_new, card.predict_proba(X_new)[:, 1])
    auc_free = roc_auc_score(y_new, unconstrained.predict_proba(X_new)[:, 1])
    assert auc > auc_free - 0.01


def test_rare_values_and_missing_never_read_like_a_category() -> None:
    X, y = collinear_sources()
    X.loc[:99, "lead_source"] = None
    card = BinningScorecard().fit(X, y)
    bins = card.points_table_.query("feature == 'lead_source'")["bin"].tolist()
    assert "Other" in bins and RARE_LABEL in bins and MISSING_LABEL in bins
    assert len(bins) == len(set(bins))
    assert not any(b.startswith("Rare ") for b in bins)  # each below 1 %: grouped
    rare = card.points_table_.set_index(["feature", "bin"]).loc[("lead_source", RARE_LABEL)]
    assert rare["leads"] == X["lead_source"].str.startswith("Rare ").sum()


def test_points_sheet_is_rounded_for_people() -> None:
    X, y = collinear_sources()
    table = BinningScorecard().fit(X, y).points_table_
    assert (table["points"] == table["points"].round(1)).all()
    rates = table["conversion_rate"].dropna()
    assert (rates == rates.round(3)).all()
    assert not np.signbit(table.loc[table["points"] == 0, "points"]).any()  # no "-0.0"


def test_a_rare_flag_keeps_its_own_bin() -> None:
    rng = np.random.default_rng(0)
    demo = (rng.random(4000) < 0.08).astype(float)  # quantile edges would all be 0
    binner = Binner(max_bins=6).fit(pd.DataFrame({"demo": demo}))
    assert binner.labels("demo") == ["< 1", "≥ 1", MISSING_LABEL]
    y = (rng.random(4000) < np.where(demo == 1, 0.5, 0.1)).astype(int)
    card = BinningScorecard().fit(pd.DataFrame({"demo": demo}), y)
    assert card.points_table_.set_index("bin").loc["≥ 1", "points"] > 20


def test_binning_scorecard_points_are_log_odds_on_the_pdo_scale() -> None:
    X = pd.DataFrame({"plan": ["a"] * 40 + ["b"] * 40})
    y = np.array(([1] * 30 + [0] * 10) + ([1] * 10 + [0] * 30))
    card = BinningScorecard(min_bin_share=0.1, C=1e6, pdo=20, offset=600).fit(X, y)
    assert card.factor_ == pytest.approx(20 / math.log(2))
    table = card.points_table_.set_index("bin")
    # Nearly unpenalised: the bins' log-odds difference is the data's, 3:1 against 1:3.
    difference = (table.loc["a", "points"] - table.loc["b", "points"]) / card.factor_
    assert difference == pytest.approx(math.log(9), abs=0.01)
    assert table.loc[MISSING_LABEL, "points"] == 0.0  # no evidence, no points
    logit = np.log(card.predict_proba(X)[:, 1] / card.predict_proba(X)[:, 0])
    assert np.allclose(card.points(X), card.offset + card.factor_ * logit)
    assert card.predict_proba(X.head(1))[0, 1] > card.predict_proba(X.tail(1))[0, 1]


def never_converting_groups(n: int = 5000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Near-separation: an e-mail type that never converts (internal), one that nearly always
    does, and a number that ranks the rest."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(np.array(["business", "freemail", "internal", "partner"], dtype=object), n,
                      p=[0.6, 0.2, 0.15, 0.05])  # fmt: skip
    visits = rng.poisson(3, n)
    p = 1 / (1 + np.exp(-(-1.5 + 0.3 * visits - 0.5 * (kind == "freemail"))))
    p = np.where(kind == "internal", 0.0, np.where(kind == "partner", 0.98, p))
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame({"email_type": kind, "visits": visits.astype(float)}), y


def test_a_group_that_never_converts_gets_the_cap_not_hundreds_of_points() -> None:
    X, y = never_converting_groups()
    lightly_penalised = BinningScorecard(C=100.0, max_points=None).fit(X, y)
    old = lightly_penalised.points_table_.set_index(["feature", "bin"])
    assert old.loc[("email_type", "internal"), "points"] < -150  # what the sheet used to say
    card = BinningScorecard().fit(X, y)
    table = card.points_table_.set_index(["feature", "bin"])
    assert card.max_points_ == 100.0  # the shipped sheet's largest rule
    assert table["points"].abs().max() <= 100.0
    assert table.loc[("email_type", "internal"), "points"] == -100.0
    assert not sign_contradictions(card).any()
    # The cap is part of the model, not of the printout: the probabilities are the points'
    # log-odds, and the intercept refitted around the capped bins keeps the base rate.
    logit = np.log(card.predict_proba(X)[:, 1] / card.predict_proba(X)[:, 0])
    assert np.allclose(card.points(X), card.offset + card.factor_ * logit)
    assert card.predict_proba(X)[:, 1].mean() == pytest.approx(y.mean(), abs=1e-3)
    # and it ranks fresh leads as well as the uncapped card
    X_new, y_new = never_converting_groups(seed=1)
    auc = roc_auc_score(y_new, card.predict_proba(X_new)[:, 1])
    assert auc >= roc_auc_score(y_new, lightly_penalised.predict_proba(X_new)[:, 1]) - 0.005


def test_learned_rules_stay_within_the_hand_set_sheets_largest_rule(tables) -> None:
    train, _ = tables
    uncapped = LearnedPointsModel(C=1e4, max_points=None).fit(train, train["label"])
    model = LearnedPointsModel().fit(train, train["label"])
    most = np.array([r.max_units if np.isfinite(r.max_units) else 1 for r in model.sheet_.rules])
    assert (np.abs(uncapped.learned_points_) * most).max() > 150
    assert model.max_points_ == 100.0
    assert (np.abs(model.learned_points_) * most).max() <= 100.0 + 1e-9
    assert model.validation_ == "newest" and model.C_ in model.validation_loss_.index
    assert model.validation_loss_.idxmin() == model.C_


def test_the_strength_is_chosen_weaker_for_clean_data_than_for_noise() -> None:
    X, y = collinear_sources(4000)
    clean = BinningScorecard().fit(X, y)
    noise = np.random.default_rng(3).permutation(y)  # the same columns, outcomes unrelated
    noisy = BinningScorecard().fit(X, noise)
    assert noisy.C_ < clean.C_
    assert clean.validation_ == noisy.validation_ == "stratified"
    # Dates given: the newest rows choose, whatever their order in the table.
    dates = pd.Series(pd.date_range("2025-01-01", periods=len(y), freq="h")).sample(
        frac=1.0, random_state=0
    )
    dated = BinningScorecard().fit(X, y, times=dates.to_numpy())
    assert dated.validation_ == "newest"
    assert list(dated.validation_loss_.index) == list(clean.validation_loss_.index)


def test_the_newest_rows_of_whole_cutoffs_choose_the_strength() -> None:
    from leadscore.modeling.scorecard import validation_split

    labels = np.tile([0, 1, 0, 0], 25)
    cutoffs = np.repeat(pd.date_range("2025-01-01", periods=5, freq="MS"), 20)
    fit, valid, kind = validation_split(labels, cutoffs[::-1])  # the table's order is irrelevant
    assert kind == "newest" and set(cutoffs[::-1][valid]) == {cutoffs[-1]}
    assert len(valid) == 20 and len(fit) == 80
    # one cutoff only: a stratified hold-out of the same share
    fit, valid, kind = validation_split(labels, np.zeros(100))
    assert kind == "stratified" and labels[valid].mean() == labels.mean()
    assert validation_split(np.array([0, 0, 0, 1])) is None  # nothing to hold out


def test_bad_strengths_and_caps_are_refused() -> None:
    X, y = never_converting_groups(500)
    with pytest.raises(ValueError, match="`C`"):
        BinningScorecard(C="best").fit(X, y)
    with pytest.raises(ValueError, match="`max_points`"):
        BinningScorecard(max_points=-5).fit(X, y)
