"""Hand-set points, learned points and LightGBM on the same held-out leads, in one table.

All three use the same time split (:func:`leadscore.modeling.train.time_split`):

- the hand-set sheet's points are fixed; only its calibration is fitted, on the validation
  cutoff (the same held-out data LightGBM is calibrated on);
- learned points are fitted on the training cutoffs;
- LightGBM is trained on the training cutoffs, early-stopped and calibrated on validation.

Precision and recall "at the MQL threshold" compare what sales would receive: the hand-set and
learned sheets hand over the leads at or above the sheet's threshold; LightGBM hands over the
same number of leads as the hand-set sheet (its top scores), so all compare at equal effort.

:func:`compare_flat` does the same for one flat export with a target column (``leadscore train
--table``): split by time or stratified, columns typed by :class:`leadscore.flat_table.TableTyper`,
a leakage audit, the hand-set points only when a points file is given, and the automatic-binning
scorecard (:class:`leadscore.modeling.scorecard.BinningScorecard`) as the learned points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone

from leadscore.drift import DriftReference
from leadscore.errors import LeadscoreError
from leadscore.explain import family_groups, grouped_contributions, importance
from leadscore.flat_table import FlatTable, TableTyper, flat_split
from leadscore.modeling.evaluate import evaluate, grade_table, top_k
from leadscore.modeling.leakage import DEFAULT_THRESHOLD, leakage_audit
from leadscore.modeling.points import PointsModel, PointsSheet
from leadscore.modeling.scorecard import BinningScorecard, LearnedPointsModel
from leadscore.modeling.train import LightGBMModel, TimeSplit, split_table, time_split

MODEL_NAMES = ("hand_set_points", "learned_points", "lightgbm")
#: How the models are called in tables and figures.
MODEL_TITLES = {
    "hand_set_points": "hand-set points",
    "learned_points": "learned points",
    "lightgbm": "LightGBM",
}
#: Share of the held-out leads handed to sales when no points sheet sets an MQL threshold.
DEFAULT_HANDOVER_SHARE = 0.10


@dataclass
class Comparison:
    """Fitted models, their metrics on the held-out leads and the evidence behind them.

    ``grades`` is ``None`` without a hand-set sheet; ``audit`` (the leakage audit) and
    ``typer`` (the column types) are set for flat tables only. ``split_params`` describes the
    split for MLflow, ``description`` for people.
    """

    models: dict[str, object]
    metrics: pd.DataFrame
    grades: pd.DataFrame | None
    points_sheet: pd.DataFrame
    test_scores: pd.DataFrame = field(repr=False)
    n_train: int = 0
    description: str = ""
    split_params: dict[str, str] = field(default_factory=dict)
    split: TimeSplit | None = None
    audit: pd.DataFrame | None = None
    typer: TableTyper | None = None
    #: Mean absolute SHAP contribution of each feature family on the held-out leads.
    shap_importance: pd.Series | None = None
    #: Distribution of the top features on the training rows, for drift checks when scoring.
    drift_reference: DriftReference | None = None

    @property
    def held_out(self) -> str:
        """What the metrics were measured on, for titles."""
        if self.split is not None:
            return f"test cutoff {self.split.test:%Y-%m-%d}, {len(self.test_scores):,} leads"
        return f"held-out rows, {len(self.test_scores):,} leads"


#: Features whose drift is watched when scoring: the most important ones.
N_WATCHED = 10


def _explanations(
    model: LightGBMModel,
    train: pd.DataFrame,
    test: pd.DataFrame,
    families: dict[str, str] | None,
) -> tuple[pd.Series, DriftReference]:
    """Family SHAP importance on ``test`` and a drift reference of the top features."""
    per_feature = family_groups(model.features_, {})
    contributions, _ = grouped_contributions(model, test, per_feature)  # one TreeSHAP pass
    watched = importance(contributions, per_feature.names)
    reference = DriftReference.fit(train, list(watched.index[:N_WATCHED]))
    groups = family_groups(model.features_, families or {})
    return importance(contributions @ groups.matrix(), groups.names), reference


def _metrics(
    labels: np.ndarray,
    probabilities: dict[str, np.ndarray],
    selected: dict[str, np.ndarray],
    truth: np.ndarray | None = None,
) -> pd.DataFrame:
    metrics = pd.DataFrame(
        {
            name: evaluate(labels, probabilities[name], selected[name], truth)
            for name in probabilities
        }
    ).T
    metrics.index.name = "model"
    return metrics


def compare_models(
    table: pd.DataFrame,
    horizon_days: int,
    *,
    sheet: str | Path | PointsSheet | None = None,
    oracle: pd.DataFrame | None = None,
    lightgbm: LightGBMModel | None = None,
    families: dict[str, str] | None = None,
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
    families : dict, optional
        Feature → family (the feature catalogue's), to sum SHAP importance by family.

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
    metrics = _metrics(labels, probabilities, selected, truth)
    test_scores = test[["lead_id", "cutoff", "label"]].assign(
        **{f"p_{name}": p for name, p in probabilities.items()},
        points=hand_scores["points"].to_numpy(),
        grade=hand_scores["grade"].to_numpy(),
    )
    shap_importance, drift_reference = _explanations(booster, train, test, families)
    dates = {
        "train_cutoffs": ",".join(f"{c:%Y-%m-%d}" for c in split.train),
        "valid_cutoff": f"{split.valid:%Y-%m-%d}",
        "test_cutoff": f"{split.test:%Y-%m-%d}",
    }
    return Comparison(
        models={"hand_set_points": hand, "learned_points": learned, "lightgbm": booster},
        metrics=metrics,
        grades=grade_table(labels, hand_scores["grade"].to_numpy()),
        points_sheet=learned.points_sheet(train, train["label"]),
        test_scores=test_scores.reset_index(drop=True),
        n_train=len(train),
        description=(
            f"Train {split.train[0]:%Y-%m-%d}..{split.train[-1]:%Y-%m-%d}, validation "
            f"{split.valid:%Y-%m-%d}, test {split.test:%Y-%m-%d} ({len(test):,} leads)."
        ),
        split_params=dates,
        split=split,
        shap_importance=shap_importance,
        drift_reference=drift_reference,
    )


def compare_flat(
    table: FlatTable,
    *,
    sheet: str | Path | PointsSheet | None = None,
    lightgbm: LightGBMModel | None = None,
    seed: int = 0,
    leakage_threshold: float = DEFAULT_THRESHOLD,
) -> Comparison:
    """Train and evaluate on one flat export (``leadscore train --table``).

    Parameters
    ----------
    table : FlatTable
        From :func:`leadscore.flat_table.load_flat_table`.
    sheet : path or PointsSheet, optional
        A points sheet whose rules name the table's columns; without it the hand-set points
        model is not trained (the shipped sheet reads leadscore's own feature tables).
    lightgbm : LightGBMModel, optional
        Parameters for LightGBM (cloned).
    seed : int
        Seed of the stratified split (tables without a time column).
    leakage_threshold : float
        Single-column held-out ROC AUC from which a column is flagged as a likely leak.

    Returns
    -------
    Comparison
        The leakage audit names columns as ``--drop`` takes them; the learned points sheet by
        their headers as written in the file.

    Raises
    ------
    LeadscoreError
        When typing leaves no column to learn from (the message says why each was dropped).
    """
    split = flat_split(table, seed=seed)
    typer = TableTyper(
        time_col=table.time_col,
        drop=table.excluded,
        id_col=table.id_col,
        headers=table.headers,
        keep=table.kept,
    ).fit(table.frame.iloc[split.train])
    if not typer.kinds_:
        reasons = "; ".join(f"'{typer.header(n)}': {why}" for n, why in typer.dropped_.items())
        raise LeadscoreError(
            f"{table.path}: no usable column is left to learn from. "
            f"Dropped: {reasons or 'the file has no other column'}."
        )
    X = typer.transform(table.frame)
    y = table.labels
    train, valid, test = (X.iloc[rows] for rows in (split.train, split.valid, split.test))
    y_train, y_valid, labels = y[split.train], y[split.valid], y[split.test]
    # People read the audit and act on it (--drop COLUMN): the table's column names.
    audit = leakage_audit(
        train.rename(columns=typer.columns_),
        y_train,
        valid.rename(columns=typer.columns_),
        y_valid,
        threshold=leakage_threshold,
    )
    models: dict[str, object] = {}
    probabilities: dict[str, np.ndarray] = {}
    selected: dict[str, np.ndarray] = {}
    n_selected = round(DEFAULT_HANDOVER_SHARE * len(test))
    grades = None
    extra: dict[str, np.ndarray] = {}
    if sheet is not None:
        hand = PointsModel(sheet).fit(valid, y_valid)
        hand_scores = hand.score_frame(test)
        models["hand_set_points"] = hand
        probabilities["hand_set_points"] = hand.predict_proba(test)[:, 1]
        selected["hand_set_points"] = hand_scores["is_mql"].to_numpy()
        n_selected = int(selected["hand_set_points"].sum())
        grades = grade_table(labels, hand_scores["grade"].to_numpy())
        extra = {
            "points": hand_scores["points"].to_numpy(),
            "grade": hand_scores["grade"].to_numpy(),
        }
    card = BinningScorecard().fit(train, y_train)
    booster = (clone(lightgbm) if lightgbm is not None else LightGBMModel()).fit(
        train, y_train, X_valid=valid, y_valid=y_valid
    )
    models |= {"learned_points": card, "lightgbm": booster}
    shap_importance, drift_reference = _explanations(booster, train, test, None)
    for name in ("learned_points", "lightgbm"):
        probabilities[name] = models[name].predict_proba(test)[:, 1]
        selected[name] = top_k(probabilities[name], n_selected)
    ids = (
        table.ids.iloc[split.test].to_numpy()
        if table.ids is not None
        else split.test + 1  # row number in the file (after rows without a target)
    )
    test_scores = pd.DataFrame(
        {
            "lead_id": ids,
            "label": labels,
            **{f"p_{n}": p for n, p in probabilities.items()},
            **extra,
        }
    )
    return Comparison(
        models=models,
        metrics=_metrics(labels, probabilities, selected),
        grades=grades,
        points_sheet=card.points_table_.assign(
            feature=card.points_table_["feature"].map(typer.columns_).map(typer.header)
        ),
        test_scores=test_scores,
        n_train=len(train),
        description=f"{table.path.name}: {split.description}.",
        split_params={"split": split.description, "table": table.path.name},
        audit=audit,
        typer=typer,
        shap_importance=shap_importance,
        drift_reference=drift_reference,
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
    out = {
        "models": models,
        "oracle": oracle,
        "n_train": int(comparison.n_train),
        "n_test": n_test,
        "mlflow_run_id": mlflow_run_id,
    }
    if comparison.audit is not None:
        audit = comparison.audit
        out["leakage_audit"] = {
            "flagged": audit.loc[audit["flagged"], "feature"].tolist(),
            "roc_auc": dict(zip(audit["feature"], audit["roc_auc"].astype(float), strict=True)),
        }
    return out
