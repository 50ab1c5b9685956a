"""Hand-set points, learned points and LightGBM on the same held-out leads, in one table.

All three use the same time split (:func:`leadscore.modeling.train.time_split`), and are fitted
three times, the way a careful data scientist does it on data that drifts:

1. settings are chosen on the validation rows: LightGBM learns from the training rows, stops
   early and is calibrated on validation, with and without weights for recent rows
   (:func:`leadscore.modeling.train.fit_newest`); the hand-set sheet's points are fixed and only
   its calibration is fitted, on validation;
2. the test metrics come from models refit on training + validation rows with those settings
   (learned points too), so the test measures what the newest data teaches;
3. the registered models are refit on every labelled row, the newest (test) rows included:
   scores for new leads come from the freshest labels there are. ``fitted_rows`` and the MLflow
   parameters say which rows each fit saw.

Next to the models, the metrics show the log loss of a constant (the base rate of the rows the
tested models saw): a model whose log loss is not below it predicts worse than no model. When
the base rate or the top features drift between the parts of the split, ``warnings`` says so.

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
from sklearn.metrics import log_loss

from leadscore.errors import LeadscoreError
from leadscore.flat_table import FlatTable, TableTyper, flat_split
from leadscore.modeling.capacity import (
    CapacityWhatIf,
    cadence_days,
    capacity_threshold,
    check_sales_capacity,
    equal_volume,
    period_weeks,
    span_weeks,
)
from leadscore.modeling.drift import DriftReference
from leadscore.modeling.evaluate import evaluate, grade_table, top_k
from leadscore.modeling.explain import family_groups, grouped_contributions, importance
from leadscore.modeling.leakage import DEFAULT_THRESHOLD, check_threshold, leakage_audit
from leadscore.modeling.points import PointsModel, PointsSheet
from leadscore.modeling.scorecard import BinningScorecard, LearnedPointsModel
from leadscore.modeling.train import (
    LightGBMModel,
    TimeSplit,
    fit_newest,
    split_masks,
    split_table,
    time_split,
    tune_lightgbm,
)
from leadscore.schema import CUTOFF, LABEL, LEAD_ID

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
    #: The models measured on the test rows (refit on train + validation); ``models`` are
    #: refit on every labelled row and are the ones registered.
    tested_models: dict[str, object] = field(default_factory=dict)
    #: What each fit learnt from, for people and MLflow: ``selection_rows``, ``tested_rows``,
    #: ``registered_rows`` (and ``tuning`` with ``tune``).
    fitted_rows: dict[str, str] = field(default_factory=dict)
    #: Drift between the parts of the split (base rate, top features), for people.
    warnings: list[str] = field(default_factory=list)
    #: With a sales capacity: the tested models at equal hand-over volume on the test rows.
    capacity: CapacityWhatIf | None = None
    #: With a sales capacity: the registered models' MQL thresholds (points for the sheets,
    #: probability for LightGBM), set on the newest labelled rows.
    mql_thresholds: dict[str, float] = field(default_factory=dict)

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


#: Ratio of the highest to the lowest base rate of the split's parts from which it is a drift.
BASE_RATE_RATIO = 1.5


def split_warnings(labels: dict[str, np.ndarray], drift: pd.DataFrame | None = None) -> list[str]:
    """Warnings for people when the base rate or the top features drift across the split.

    ``labels`` holds the 0/1 labels of each part, oldest first; ``drift`` is a
    :meth:`DriftReference.compare` of the test rows against the rows the tested model saw.
    A base rate drifts when the highest part's rate is :data:`BASE_RATE_RATIO` times the
    lowest's and the oldest and newest parts differ beyond chance (|z| ≥ 3).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> parts = {"training": rng.random(3000) < 0.05, "test": rng.random(1000) < 0.3}
    >>> split_warnings(parts)[0][:60]
    'The conversion rate drifts: training 5.3 %, test 30.4 %. The'
    """
    out = []
    rates = {name: float(np.mean(y)) for name, y in labels.items()}
    oldest, newest = labels[next(iter(labels))], labels[list(labels)[-1]]
    pooled = np.concatenate([oldest, newest]).mean()
    spread = np.sqrt(pooled * (1 - pooled) * (1 / len(oldest) + 1 / len(newest)))
    z = abs(np.mean(newest) - np.mean(oldest)) / spread if spread > 0 else 0.0
    low, high = min(rates.values()), max(rates.values())
    if z >= 3 and high >= BASE_RATE_RATIO * max(low, 1e-9):
        shown = ", ".join(f"{name} {rate:.1%}".replace("%", " %") for name, rate in rates.items())
        out.append(
            f"The conversion rate drifts: {shown}. The registered model learns from every "
            "labelled row, newest included, and its probabilities follow the newest rows; "
            "check the test metrics against the constant's log loss."
        )
    if drift is not None:
        shifted = drift.loc[drift["status"] == "major shift", "feature"].tolist()
        if shifted:
            out.append(
                f"Top features shift between the training and the test rows (PSI ≥ 0.25): "
                f"{', '.join(shifted)}. What the model learnt from older rows may not hold."
            )
    return out


def _fitted_rows(parts: dict[str, int], until: dict[str, str]) -> dict[str, str]:
    """Which rows each fit of a run saw, in words (MLflow parameters and the description)."""
    train, valid, test = parts["train"], parts["valid"], parts["test"]
    return {
        "selection_rows": f"training ({train:,} rows{until.get('train', '')}): trees, "
        "calibration and recency weights chosen on validation",
        "tested_rows": f"training + validation ({train + valid:,} rows"
        f"{until.get('valid', '')}): measured on test",
        "registered_rows": f"every labelled row ({train + valid + test:,}"
        f"{until.get('test', '')}): the registered model",
    }


def _constant_log_loss(labels: np.ndarray, seen: np.ndarray) -> float:
    """Log loss on ``labels`` of always predicting the base rate of the rows ``seen``."""
    rate = float(np.clip(np.mean(seen), 1e-6, 1 - 1e-6))
    return float(log_loss(labels, np.full(len(labels), rate), labels=[0, 1]))


def compare_models(
    table: pd.DataFrame,
    horizon_days: int,
    *,
    sheet: str | Path | PointsSheet | None = None,
    oracle: pd.DataFrame | None = None,
    lightgbm: LightGBMModel | None = None,
    families: dict[str, str] | None = None,
    tune: bool = False,
    sales_capacity: float | None = None,
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
    tune : bool
        Search LightGBM's parameters on the validation cutoff first
        (:func:`leadscore.modeling.train.tune_lightgbm`; it replaces ``lightgbm``);
        ``fitted_rows`` says what was chosen.
    sales_capacity : float, optional
        Leads sales can work per week: sets each model's MQL threshold to hand over that many
        (:mod:`leadscore.modeling.capacity`; weeks counted by the table's cutoff cadence) and
        compares the models at that volume (``capacity``, ``mql_thresholds``).

    Returns
    -------
    Comparison
        ``metrics`` has one row per model (see :func:`leadscore.modeling.evaluate.evaluate`).
    """
    if sales_capacity is not None:
        sales_capacity = check_sales_capacity(sales_capacity)
    split = time_split(table[CUTOFF].unique(), horizon_days)
    train, valid, test = split_table(table, split)
    tuning = {}
    if tune:
        search = tune_lightgbm(train, train[LABEL], valid, valid[LABEL])
        lightgbm, tuning["tuning"] = search.best_model, _tuning(search)
    labelled = pd.concat([train, valid, test], ignore_index=True)
    y = labelled[LABEL].to_numpy()
    parts = split_masks(labelled[CUTOFF], split)
    seen = labelled[parts[0] | parts[1]]
    hand = PointsModel(sheet).fit(valid, valid[LABEL])
    learned = LearnedPointsModel(hand.sheet_).fit(seen, seen[LABEL])
    fits = fit_newest(
        clone(lightgbm) if lightgbm is not None else LightGBMModel(),
        labelled,
        y,
        parts,
        labelled[CUTOFF],
    )
    booster = fits.tested
    labels = test[LABEL].to_numpy()
    truth = None
    if oracle is not None:
        keyed = test[[LEAD_ID, CUTOFF]].merge(oracle, on=[LEAD_ID, CUTOFF], how="left")
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
    metrics["constant_log_loss"] = _constant_log_loss(labels, seen[LABEL].to_numpy())
    test_scores = test[[LEAD_ID, CUTOFF, LABEL]].assign(
        **{f"p_{name}": p for name, p in probabilities.items()},
        points=hand_scores["points"].to_numpy(),
        grade=hand_scores["grade"].to_numpy(),
    )
    shap_importance, reference = _explanations(booster, seen, test, families)
    dates = {
        "train_cutoffs": ",".join(f"{c:%Y-%m-%d}" for c in split.train),
        "valid_cutoff": f"{split.valid:%Y-%m-%d}",
        "test_cutoff": f"{split.test:%Y-%m-%d}",
    }
    until = {
        "train": f", cutoffs to {split.train[-1]:%Y-%m-%d}",
        "valid": f", cutoffs to {split.valid:%Y-%m-%d}",
        "test": f", cutoffs to {split.test:%Y-%m-%d}",
    }
    fitted = {
        **_fitted_rows({"train": len(train), "valid": len(valid), "test": len(test)}, until),
        **tuning,
    }
    final_hand = PointsModel(hand.sheet_).fit(test, labels)
    final_learned = LearnedPointsModel(hand.sheet_).fit(labelled, y)
    capacity, thresholds = None, {}
    if sales_capacity is not None:
        weeks = period_weeks(test[CUTOFF], cadence_days(table[CUTOFF]))
        tested_scores = {
            "hand_set_points": hand_scores["points"].to_numpy(),
            "learned_points": learned.points(test),
            "lightgbm": probabilities["lightgbm"],
        }
        registered_scores = {
            "hand_set_points": tested_scores["hand_set_points"],  # same points, same sheet
            "learned_points": final_learned.points(test),
            "lightgbm": fits.final.predict_proba(test)[:, 1],
        }
        capacity, thresholds = _capacity(
            labels, tested_scores, registered_scores, weeks, sales_capacity
        )
    return Comparison(
        models={
            "hand_set_points": final_hand,
            "learned_points": final_learned,
            "lightgbm": fits.final,
        },
        metrics=metrics,
        grades=grade_table(labels, hand_scores["grade"].to_numpy()),
        points_sheet=learned.points_sheet(seen, seen[LABEL]),
        test_scores=test_scores.reset_index(drop=True),
        n_train=len(seen),
        description=(
            f"Train {split.train[0]:%Y-%m-%d}..{split.train[-1]:%Y-%m-%d}, validation "
            f"{split.valid:%Y-%m-%d}, test {split.test:%Y-%m-%d} ({len(test):,} leads); "
            f"measured with models refit on train + validation, registered refit on all "
            f"{len(labelled):,} labelled rows."
        ),
        split_params={**dates, "recency_half_life_days": _days(fits.half_life_days), **fitted},
        split=split,
        shap_importance=shap_importance,
        drift_reference=DriftReference.fit(labelled, list(reference.shares)),
        tested_models={"hand_set_points": hand, "learned_points": learned, "lightgbm": booster},
        fitted_rows=fitted,
        warnings=split_warnings(
            {
                "training": train[LABEL].to_numpy(),
                "validation": valid[LABEL].to_numpy(),
                "test": labels,
            },
            reference.compare(test),
        )
        + (capacity.warnings if capacity is not None else []),
        capacity=capacity,
        mql_thresholds=thresholds,
    )


def compare_flat(
    table: FlatTable,
    *,
    sheet: str | Path | PointsSheet | None = None,
    lightgbm: LightGBMModel | None = None,
    seed: int = 0,
    leakage_threshold: float = DEFAULT_THRESHOLD,
    tune: bool = False,
    sales_capacity: float | None = None,
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
    tune : bool
        Search LightGBM's parameters on the validation rows first
        (:func:`leadscore.modeling.train.tune_lightgbm`).
    sales_capacity : float, optional
        Leads sales can work per week, as for :func:`compare_models`; the test rows' weeks are
        counted from their first to their last day of the time column (tables with one only).

    Returns
    -------
    Comparison
        The leakage audit names columns as ``load_flat_table(drop=...)`` takes them; the
        learned points sheet by their headers as written in the file.

    Raises
    ------
    LeadscoreError
        When typing leaves no column to learn from (the message says why each was dropped),
        or ``leakage_threshold`` is no ROC AUC above 0.5, or ``sales_capacity`` is given for
        a table without a time column (no weeks to count) or is no number above 0.
    """
    check_threshold(leakage_threshold, "`leakage_threshold`")  # before the costly typing
    if sales_capacity is not None:
        sales_capacity = check_sales_capacity(sales_capacity)
        if table.times is None:
            raise LeadscoreError(
                f"{table.path}: `sales_capacity` counts leads per week, and the table has no "
                "time column: give `time_col`, the column saying when each lead was created."
            )
    split = flat_split(table, seed=seed)
    typer = table.typer().fit(table.frame.iloc[split.train])
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
    # People read the audit and act on it (drop the column): the table's column names.
    audit = leakage_audit(
        train.rename(columns=typer.columns_),
        y_train,
        valid.rename(columns=typer.columns_),
        y_valid,
        threshold=leakage_threshold,
        headers={column: typer.header(column) for column in typer.columns_.values()},
    )
    tested: dict[str, object] = {}
    models: dict[str, object] = {}
    probabilities: dict[str, np.ndarray] = {}
    selected: dict[str, np.ndarray] = {}
    n_selected = round(DEFAULT_HANDOVER_SHARE * len(test))
    grades = None
    extra: dict[str, np.ndarray] = {}
    if sheet is not None:
        hand = PointsModel(sheet).fit(valid, y_valid)
        hand_scores = hand.score_frame(test)
        tested["hand_set_points"] = hand
        # Its points are fixed: only the calibration learns, from the newest labelled rows.
        models["hand_set_points"] = PointsModel(hand.sheet_).fit(test, labels)
        probabilities["hand_set_points"] = hand.predict_proba(test)[:, 1]
        selected["hand_set_points"] = hand_scores["is_mql"].to_numpy()
        n_selected = int(selected["hand_set_points"].sum())
        grades = grade_table(labels, hand_scores["grade"].to_numpy())
        extra = {
            "points": hand_scores["points"].to_numpy(),
            "grade": hand_scores["grade"].to_numpy(),
        }
    tuning = {}
    if tune:
        search = tune_lightgbm(train, y_train, valid, y_valid, random_state=seed)
        lightgbm, tuning["tuning"] = search.best_model, _tuning(search)
    parts = (split.train, split.valid, split.test)
    fits = fit_newest(
        clone(lightgbm) if lightgbm is not None else LightGBMModel(), X, y, parts, table.times
    )
    seen = np.sort(np.concatenate([split.train, split.valid]))
    # the card chooses its strength on its newest rows, as LightGBM stops early on them
    times = None if table.times is None else table.times.dt.tz_localize(None).to_numpy()
    seen_times = None if times is None else times[seen]
    tested["learned_points"] = BinningScorecard().fit(X.iloc[seen], y[seen], times=seen_times)
    tested["lightgbm"] = fits.tested
    models["learned_points"] = BinningScorecard().fit(X, y, times=times)
    models["lightgbm"] = fits.final
    shap_importance, reference = _explanations(fits.tested, X.iloc[seen], test, None)
    for name in ("learned_points", "lightgbm"):
        probabilities[name] = tested[name].predict_proba(test)[:, 1]
        selected[name] = top_k(probabilities[name], n_selected)
    ids = (
        table.ids.iloc[split.test].to_numpy()
        if table.ids is not None
        else split.test + 1  # row number in the file (after rows without a target)
    )
    test_scores = pd.DataFrame(
        {
            LEAD_ID: ids,
            LABEL: labels,
            **{f"p_{n}": p for n, p in probabilities.items()},
            **extra,
        }
    )
    metrics = _metrics(labels, probabilities, selected)
    metrics["constant_log_loss"] = _constant_log_loss(labels, y[seen])
    until = {}
    if table.times is not None:
        times = table.times.to_numpy()
        until = {
            part: f", to {pd.Timestamp(times[rows].max()):%Y-%m-%d}"
            for part, rows in zip(("train", "valid", "test"), parts, strict=True)
        }
    fitted = {
        **_fitted_rows({"train": len(train), "valid": len(valid), "test": len(test)}, until),
        **tuning,
    }
    card = models["learned_points"]
    capacity, thresholds = None, {}
    if sales_capacity is not None:
        weeks = span_weeks(table.times.to_numpy()[split.test])
        # points sheets get thresholds in points, LightGBM in probability (as on event data)
        tested_scores = {
            **({"hand_set_points": extra["points"]} if "points" in extra else {}),
            "learned_points": tested["learned_points"].points(test),
            "lightgbm": probabilities["lightgbm"],
        }
        registered_scores = {
            **({"hand_set_points": extra["points"]} if "points" in extra else {}),
            "learned_points": models["learned_points"].points(test),
            "lightgbm": models["lightgbm"].predict_proba(test)[:, 1],
        }
        capacity, thresholds = _capacity(
            labels, tested_scores, registered_scores, weeks, sales_capacity
        )
    return Comparison(
        models=models,
        metrics=metrics,
        grades=grades,
        points_sheet=card.points_table_.assign(
            feature=card.points_table_["feature"].map(typer.columns_).map(typer.header)
        ),
        test_scores=test_scores,
        n_train=len(seen),
        description=f"{table.path.name}: {split.description}.",
        split_params={
            "split": split.description,
            "table": table.path.name,
            "recency_half_life_days": _days(fits.half_life_days),
            **fitted,
        },
        audit=audit,
        typer=typer,
        shap_importance=shap_importance,
        # Every number's bins too: reasons say where a lead stands among the training leads.
        drift_reference=DriftReference.fit(
            X,
            list(reference.shares),
            also=[c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])],
        ),
        tested_models=tested,
        fitted_rows=fitted,
        warnings=split_warnings(
            {"training": y_train, "validation": y_valid, "test": labels},
            reference.compare(test),
        )
        + (capacity.warnings if capacity is not None else []),
        capacity=capacity,
        mql_thresholds=thresholds,
    )


def _capacity(
    labels: np.ndarray,
    tested: dict[str, np.ndarray],
    registered: dict[str, np.ndarray],
    weeks: float,
    sales_capacity: float,
) -> tuple[CapacityWhatIf, dict[str, float]]:
    """The tested models at equal volume on the test rows, and the registered models'
    thresholds: they score new leads, so their thresholds come from their own scores of the
    newest labelled leads (no label sets a threshold)."""
    what_if = equal_volume(labels, tested, weeks, sales_capacity)
    thresholds = {
        name: capacity_threshold(score, weeks, sales_capacity) for name, score in registered.items()
    }
    return what_if, thresholds


def _tuning(search) -> str:
    """What tuning chose, for people and MLflow (``fitted_rows["tuning"]``)."""
    return (
        f"best of {len(search.trials)} LightGBM settings on validation (log loss "
        f"{search.best_score:.4f}): {search.best_params or 'the defaults'}"
    )


def _days(half_life: float | None) -> str:
    return "none" if half_life is None else f"{half_life:.0f}"


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
            k: float(v)
            for k, v in row.items()
            if k not in ("oracle_roc_auc", "constant_log_loss") and pd.notna(v)
        }
        for name, row in metrics.iterrows()
    }
    oracle = None
    if "oracle_roc_auc" in metrics.columns:
        oracle = {"roc_auc": float(metrics["oracle_roc_auc"].iloc[0])}
    constant = None
    if "constant_log_loss" in metrics.columns:
        constant = {"log_loss": float(metrics["constant_log_loss"].iloc[0])}
    n_test = len(comparison.test_scores)
    out = {
        "models": models,
        "oracle": oracle,
        "constant": constant,
        "fitted_rows": comparison.fitted_rows,
        "n_train": int(comparison.n_train),
        "n_test": n_test,
        "mlflow_run_id": mlflow_run_id,
    }
    if comparison.capacity is not None:
        out["capacity"] = capacity_json(comparison)
    if comparison.audit is not None:
        audit = comparison.audit
        out["leakage_audit"] = {
            "flagged": audit.loc[audit["flagged"], "feature"].tolist(),
            "roc_auc": dict(zip(audit["feature"], audit["roc_auc"].astype(float), strict=True)),
        }
    return out


def capacity_json(comparison: Comparison) -> dict:
    """The equal-volume what-if of a comparison with a sales capacity, for the metrics file.

    ``sales_capacity`` (leads per week), ``weeks`` of the test rows, ``models``: per model its
    what-if threshold, ``mqls_per_week``, ``conversions_per_week``, ``precision``, ``recall``;
    ``registered_thresholds``: the thresholds the registered models score with.
    """
    what_if = comparison.capacity
    table = what_if.table.set_index("model")
    return {
        "sales_capacity": what_if.sales_capacity,
        "weeks": what_if.weeks,
        "models": {
            _JSON_NAMES[name]: {k: float(v) for k, v in row.items() if pd.notna(v)}
            for name, row in table.drop(columns="mqls").iterrows()
        },
        "registered_thresholds": {
            _JSON_NAMES[name]: value for name, value in comparison.mql_thresholds.items()
        },
    }
