"""Hand-set points, learned points and LightGBM on the same held-out leads, in one table.

All three use the same time split (:func:`leadscore.modeling.train.time_split`):

- the hand-set sheet's points are fixed; only its calibration is fitted, on the validation
  cutoff (the same held-out data LightGBM is calibrated on);
- learned points are fitted on the training cutoffs;
- LightGBM is trained on the training cutoffs, early-stopped and calibrated on validation.

Precision and recall "at the MQL threshold" compare what sales would receive: the hand-set and
learned sheets hand over the leads at or above the sheet's threshold; LightGBM hands over the
same number of leads as the hand-set sheet (its top scores), so all compare at equal effort.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sklearn.base import clone

from leadscore.modeling.evaluate import evaluate, grade_table, top_k
from leadscore.modeling.points import PointsModel, PointsSheet
from leadscore.modeling.scorecard import LearnedPointsModel
from leadscore.modeling.train import LightGBMModel, TimeSplit, split_table, time_split

MODEL_NAMES = ("hand_set_points", "learned_points", "lightgbm")


@dataclass
class Comparison:
    """Fitted models, their metrics on the test cutoff and the evidence behind them."""

    split: TimeSplit
    models: dict[str, object]
    metrics: pd.DataFrame
    grades: pd.DataFrame
    points_sheet: pd.DataFrame
    test_scores: pd.DataFrame = field(repr=False)
    n_train: int = 0


def compare_models(
    table: pd.DataFrame,
    horizon_days: int,
    *,
    sheet: str | Path | PointsSheet | None = None,
    oracle: pd.DataFrame | None = None,
    lightgbm: LightGBMModel | None = None,
) -> Comparison:
    """Train the three models on ``table`` and evaluate them on its latest cutoff.

    Parameters
    ----------
    table : DataFrame
        A training table from :func:`leadscore.features.pipeline.build_training_table`.
    horizon_days : int
        The label window the table was built with (sets the gaps of the time split).
    sheet : path or PointsSheet, optional
        The hand-set points sheet (default: the shipped ``points.yaml``).
    oracle : DataFrame, optional
        ``lead_id``, ``cutoff``, ``probability`` from the generator's ground truth: adds the
        oracle ROC AUC to every row.
    lightgbm : LightGBMModel, optional
        A model with your parameters, cloned before fitting (default parameters otherwise).

    Returns
    -------
    Comparison
        ``metrics`` has one row per model (see :func:`leadscore.modeling.evaluate.evaluate`).
    """
    split = time_split(table["cutoff"].unique(), horizon_days)
    train, valid, test = split_table(table, split)
    hand = PointsModel(sheet).fit(valid, valid["label"])
    learned = LearnedPointsModel(hand.sheet_).fit(train, train["label"])
    booster = (clone(lightgbm) if lightgbm is not None else LightGBMModel()).fit(
        train, train["label"], X_valid=valid, y_valid=valid["label"]
    )
    labels = test["label"].to_numpy()
    truth = None
    if oracle is not None:
        keyed = test[["lead_id", "cutoff"]].merge(oracle, on=["lead_id", "cutoff"], how="left")
        truth = keyed["probability"].to_numpy()
    hand_scores = hand.score_frame(test)
    n_mql = int(hand_scores["is_mql"].sum())
    probabilities = {
        "hand_set_points": hand.predict_proba(test)[:, 1],
        "learned_points": learned.predict_proba(test)[:, 1],
        "lightgbm": booster.predict_proba(test)[:, 1],
    }
    selected = {
        "hand_set_points": hand_scores["is_mql"].to_numpy(),
        "learned_points": learned.predict(test).astype(bool),
        "lightgbm": top_k(probabilities["lightgbm"], n_mql),
    }
    metrics = pd.DataFrame(
        {name: evaluate(labels, probabilities[name], selected[name], truth) for name in MODEL_NAMES}
    ).T
    metrics.index.name = "model"
    test_scores = test[["lead_id", "cutoff", "label"]].assign(
        **{f"p_{name}": p for name, p in probabilities.items()},
        points=hand_scores["points"].to_numpy(),
        grade=hand_scores["grade"].to_numpy(),
    )
    return Comparison(
        split=split,
        models={"hand_set_points": hand, "learned_points": learned, "lightgbm": booster},
        metrics=metrics,
        grades=grade_table(labels, hand_scores["grade"].to_numpy()),
        points_sheet=learned.points_sheet(train, train["label"]),
        test_scores=test_scores.reset_index(drop=True),
        n_train=len(train),
    )


#: Names of the models in the metrics file.
_JSON_NAMES = {
    "hand_set_points": "points",
    "learned_points": "learned_points",
    "lightgbm": "lightgbm",
}


def metrics_json(comparison: Comparison, mlflow_run_id: str | None = None) -> dict:
    """The comparison as the documented metrics file (``leadscore train --metrics-out``)."""
    metrics = comparison.metrics
    models = {
        _JSON_NAMES[name]: {
            k: float(v) for k, v in row.items() if k != "oracle_roc_auc" and pd.notna(v)
        }
        for name, row in metrics.iterrows()
    }
    oracle = None
    if "oracle_roc_auc" in metrics.columns:
        oracle = {"roc_auc": float(metrics["oracle_roc_auc"].iloc[0])}
    n_test = len(comparison.test_scores)
    return {
        "models": models,
        "oracle": oracle,
        "n_train": int(comparison.n_train),
        "n_test": n_test,
        "mlflow_run_id": mlflow_run_id,
    }
