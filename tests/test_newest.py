"""Models trained on the newest data: settings on validation, test on a refit, registered on all.

A drifting flat export (base rate 5 % → 11 % → 31 % over its three thirds, the issue's table)
and the event-data comparison check what users rely on: the registered model saw the newest
labelled rows, the test figures come from a model that did not see the test rows, the
probabilities follow the drifting base rate, and training says when the data drifts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

from leadscore.errors import LeadscoreError
from leadscore.flat_table import flat_split, load_flat_table
from leadscore.modeling.compare import compare_flat
from leadscore.modeling.train import (
    LightGBMModel,
    fit_newest,
    model_for_test,
    recency_weights,
    tune_lightgbm,
)
from leadscore.synthetic.flat import PLANTED_LEAKS, messy_flat_table


@pytest.fixture(scope="module")
def drifting(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("drift") / "leads.csv"
    messy_flat_table(3000, seed=2, drift="strong").to_csv(path, index=False)
    table = load_flat_table(
        path, "Converted", id_col="Lead ID", time_col="Created Date", drop=list(PLANTED_LEAKS)
    )
    return table, compare_flat(table)


def test_the_registered_model_saw_the_newest_rows_and_the_tested_one_did_not(drifting) -> None:
    table, result = drifting
    split = flat_split(table)
    tested, final = result.tested_models["lightgbm"], result.models["lightgbm"]
    X = result.typer.transform(table.frame)
    newest = X.iloc[split.test]
    # The same trees count and calibration slope, learnt from different rows.
    assert tested.best_iteration_ == final.best_iteration_
    assert tested.calibrator_.coef_[0, 0] == final.calibrator_.coef_[0, 0]
    assert not np.array_equal(tested.predict_proba(newest), final.predict_proba(newest))
    # The test metrics are the tested model's, on rows it never saw.
    reported = result.test_scores["p_lightgbm"].to_numpy()
    assert np.array_equal(reported, tested.predict_proba(newest)[:, 1])
    # What each fit saw is said in words (and logged to MLflow as parameters).
    rows = result.fitted_rows
    assert f"({len(split.train):,} rows" in rows["selection_rows"]
    assert f"({len(split.train) + len(split.valid):,} rows" in rows["tested_rows"]
    assert f"({len(table.labels):,}" in rows["registered_rows"]
    assert result.split_params["registered_rows"] == rows["registered_rows"]


def test_probabilities_follow_a_drifting_base_rate_and_beat_a_constant(drifting) -> None:
    table, result = drifting
    metrics = result.metrics.loc["lightgbm"]
    labels = result.test_scores["label"].to_numpy()
    assert labels.mean() > 0.25  # the newest third converts at about 31 %
    assert metrics["log_loss"] < metrics["constant_log_loss"]
    # The level is set on the newest rows the model saw (validation), not on the older mix.
    split = flat_split(table)
    predicted = result.test_scores["p_lightgbm"].mean()
    assert abs(predicted - table.labels[split.valid].mean()) < 0.05
    assert predicted > 2 * table.labels[split.train].mean()
    seen = np.concatenate([split.train, split.valid])
    constant = log_loss(labels, np.full(len(labels), table.labels[seen].mean()))
    assert metrics["constant_log_loss"] == pytest.approx(constant)


def test_training_warns_when_the_base_rate_drifts_and_not_otherwise(drifting, tmp_path) -> None:
    _, result = drifting
    assert any("conversion rate drifts" in w for w in result.warnings)
    path = tmp_path / "steady.csv"
    messy_flat_table(3000, seed=2, drift="none").to_csv(path, index=False)
    steady = load_flat_table(
        path, "Converted", id_col="Lead ID", time_col="Created Date", drop=list(PLANTED_LEAKS)
    )
    assert not any("conversion rate drifts" in w for w in compare_flat(steady).warnings)


def test_a_run_rebuilds_its_tested_model_bit_for_bit_from_the_registered_one(drifting) -> None:
    table, result = drifting
    split = flat_split(table)
    X = result.typer.transform(table.frame)
    parts = (split.train, split.valid, split.test)
    rebuilt = model_for_test(result.models["lightgbm"], X, table.labels, parts, table.times)
    newest = X.iloc[split.test]
    expected = result.tested_models["lightgbm"].predict_proba(newest)
    assert np.array_equal(rebuilt.predict_proba(newest), expected)


def test_recent_rows_weigh_more_only_when_validation_says_so() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    times = pd.Series(pd.date_range("2024-01-01", periods=n, freq="6h", tz="UTC"))
    x = rng.normal(size=n)
    # The effect of x flips sign after the first third: recent rows teach the current effect.
    effect = np.where(np.arange(n) < n // 3, -1.5, 1.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-(effect * x - 1)))).astype(int)
    X = pd.DataFrame({"x": x, "noise": rng.normal(size=n)})
    positions = np.arange(n)
    parts = (positions < 1800, (positions >= 1800) & (positions < 2400), positions >= 2400)
    fit = fit_newest(LightGBMModel(), X, y, parts, times)
    assert fit.trials["half_life_days"].isna().sum() == 1 and len(fit.trials) == 2
    assert fit.half_life_days is not None  # the weighted fit wins on validation
    assert fit.final.recency_half_life_ == fit.half_life_days
    weights = recency_weights(times, fit.half_life_days)
    assert weights[-1] == 1.0 and weights[0] < weights[n // 2] < 1.0


def test_tune_searches_lightgbm_settings_on_flat_tables(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    messy_flat_table(1000, seed=3, drift="none").to_csv(path, index=False)
    table = load_flat_table(path, "Converted", id_col="Lead ID", drop=list(PLANTED_LEAKS))
    tuned = compare_flat(table, tune=True)
    # The registered model carries the settings the search found on the validation rows.
    split = flat_split(table)
    X, y = tuned.typer.transform(table.frame), table.labels
    search = tune_lightgbm(X.iloc[split.train], y[split.train], X.iloc[split.valid], y[split.valid])
    assert search.best_params  # on this table the search moves away from the defaults
    params = tuned.models["lightgbm"].get_params()
    assert {k: params[k] for k in search.best_params} == search.best_params
    assert str(search.best_params or "the defaults") in tuned.fitted_rows["tuning"]
    assert "tuning" not in compare_flat(table).fitted_rows


def test_a_split_by_time_never_cuts_through_one_time(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    days = np.repeat(pd.date_range("2025-01-01", periods=10, freq="D").strftime("%Y-%m-%d"), 70)
    frame = pd.DataFrame(
        {"Visits": rng.poisson(3, len(days)), "Day": days, "Won": rng.random(len(days)) < 0.3}
    )
    path = tmp_path / "days.csv"
    frame.to_csv(path, index=False)
    table = load_flat_table(path, "Won", time_col="Day")
    split = flat_split(table)
    times = table.times.to_numpy()
    assert times[split.train].max() < times[split.valid].min()
    assert times[split.valid].max() < times[split.test].min()
    frame.assign(Day="2025-01-01").to_csv(path, index=False)
    with pytest.raises(LeadscoreError, match=r"time column 'Day' has 1 distinct time\(s\)"):
        flat_split(load_flat_table(path, "Won", time_col="Day"))
