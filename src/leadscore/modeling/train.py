"""LightGBM conversion probability, validated by time and calibrated on held-out leads.

The time split never mixes periods: the test set is the latest cutoff; validation uses the
latest cutoff whose label window ends by the test cutoff; training uses the cutoffs whose label
windows end by the validation cutoff. No training label therefore looks into a later period.

Categorical features (text in the training table) become integer codes from a vocabulary fixed
at fit time (unknown or missing values: NaN, LightGBM's missing category) and are passed to
LightGBM as categorical. Early stopping watches the validation cutoff; a calibration fitted on
the same validation predictions turns scores into probabilities: Platt scaling (a logistic
regression on LightGBM's log-odds), which is strictly increasing, so the ranking stays exactly
LightGBM's (an isotonic fit would put many leads on one plateau and rank them arbitrarily).

Examples
--------
>>> import pandas as pd
>>> cutoffs = pd.date_range("2025-01-01", "2025-12-01", freq="MS", tz="UTC")
>>> split = time_split(cutoffs, horizon_days=90)
>>> [c.strftime("%m") for c in split.train], split.valid.strftime("%m"), split.test.strftime("%m")
(['01', '02', '03', '04', '05', '06'], '09', '12')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.optimize import brentq
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.utils import Tags
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d

from leadscore.errors import LeadscoreError
from leadscore.modeling.checks import as_frame, binary_tags, check_binary_target, check_table
from leadscore.schema import CUTOFF, NON_FEATURES


@dataclass(frozen=True)
class TimeSplit:
    train: list[pd.Timestamp]
    valid: pd.Timestamp
    test: pd.Timestamp


def time_split(cutoffs: Iterable[pd.Timestamp], horizon_days: int) -> TimeSplit:
    """Train, validation and test cutoffs with a full label window between each.

    Raises
    ------
    LeadscoreError
        When the cutoffs do not span enough time (about three label windows) for such a split.
    """
    ordered = sorted(set(pd.to_datetime(list(cutoffs), utc=True)))
    if not ordered:
        raise LeadscoreError("no cutoffs to split.")
    gap = pd.Timedelta(days=horizon_days)
    test = ordered[-1]
    valid = [c for c in ordered if c + gap <= test]
    train = [c for c in ordered if valid and c + gap <= valid[-1]]
    if not train:
        first, last = ordered[0], ordered[-1]
        raise LeadscoreError(
            f"cutoffs {first:%Y-%m-%d} to {last:%Y-%m-%d} are too close together for an honest "
            f"time split: training, validation and test cutoffs must each be {horizon_days} days "
            "apart (e.g. monthly cutoffs over at least 7 months for a 90-day horizon)."
        )
    return TimeSplit(train=train, valid=valid[-1], test=test)


def split_table(table: pd.DataFrame, split: TimeSplit) -> tuple[pd.DataFrame, ...]:
    """The training table's rows for the train, validation and test cutoffs."""
    cutoff = table[CUTOFF]
    return (
        table[cutoff.isin(split.train)],
        table[cutoff == split.valid],
        table[cutoff == split.test],
    )


def split_masks(cutoff: pd.Series, split: TimeSplit) -> tuple[np.ndarray, ...]:
    """Boolean masks of the rows of the train, validation and test cutoffs."""
    return (
        cutoff.isin(split.train).to_numpy(),
        (cutoff == split.valid).to_numpy(),
        (cutoff == split.test).to_numpy(),
    )


class LightGBMModel(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM probability of converting.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, max_depth, min_child_samples, colsample_bytree
        LightGBM parameters; ``n_estimators`` is the
        ceiling for early stopping. The default trees are shallow (depth 4, 15 leaves): on lead
        data they rank as well as 31-leaf trees of any depth, and TreeSHAP, whose cost grows
        with the square of the depth, explains them several times faster
        (``benchmarks/bench_score.py`` measures both).
    reg_lambda : float
        L2 penalty on the leaf values.
    early_stopping_rounds : int
        Rounds without improvement of the validation log loss before training stops.
    validation_fraction : float
        Share of rows held out (stratified) when ``fit`` is given no validation set.
    random_state : int
        Seed. Training is deterministic: LightGBM's ``deterministic`` mode, column-wise
        histograms, a fixed number of threads.
    n_jobs : int
        Threads. The same data, seed and ``n_jobs`` give the same model bit for bit.

    Attributes
    ----------
    features_ : list of str
    categories_ : dict
        Vocabulary of each categorical feature.
    booster_ : lightgbm.Booster
        The trained trees (:meth:`to_dict` and :meth:`from_dict` save and restore the model
        as LightGBM's text format and JSON, without pickle).
    best_iteration_ : int
    valid_log_loss_ : float
        Validation log loss at the best iteration.
    calibrator_ : LogisticRegression
        Platt scaling of the log-odds (slope and intercept) fitted on the validation set.
    """

    def __init__(
        self,
        n_estimators: int = 1000,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        max_depth: int = 4,
        min_child_samples: int = 50,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.2,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.n_jobs = n_jobs

    def encode(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's features as LightGBM reads them (categories as codes of the vocabulary)."""
        missing = [f for f in self.features_ if f not in X.columns]
        if missing:
            raise LeadscoreError(
                f"the table lacks feature(s) the model was trained on: {', '.join(missing[:10])}"
            )
        out = X[self.features_].copy()
        for name, vocabulary in self.categories_.items():
            codes = pd.Index(vocabulary).get_indexer(out[name].astype(object))
            # Unknown or missing: NaN, LightGBM's missing category.
            out[name] = np.where(codes < 0, np.nan, codes).astype(np.float32)
        return out

    def fit(
        self,
        X: pd.DataFrame,
        y,
        *,
        X_valid: pd.DataFrame | None = None,
        y_valid=None,
        sample_weight=None,
    ) -> LightGBMModel:
        """Train with early stopping on ``X_valid`` and calibrate on it.

        Without ``X_valid``, a stratified ``validation_fraction`` of the rows is held out (for
        tables without time; event tables should pass their validation period).
        ``sample_weight`` weighs the training rows (e.g. :func:`recency_weights`).
        """
        X = check_table(self, X, reset=True)
        self.classes_, y = check_binary_target(y)
        weights = _checked_weights(sample_weight, len(X))
        if X_valid is None:
            positions = np.arange(len(X))
            fit_rows, valid_rows = train_test_split(
                positions,
                test_size=self.validation_fraction,
                stratify=y,
                random_state=self.random_state,
            )
            X, X_valid = X.iloc[fit_rows], X.iloc[valid_rows]
            y, y_valid = y[fit_rows], y[valid_rows]
            weights = None if weights is None else weights[fit_rows]
        else:
            X_valid = as_frame(X_valid)
            y_valid = (column_or_1d(y_valid) == self.classes_[1]).astype(int)
        self._learn_vocabulary(X)
        train, valid = self.encode(X), self.encode(X_valid)
        classifier = self._classifier(self.n_estimators)
        classifier.fit(
            train,
            np.asarray(y),
            sample_weight=weights,
            eval_X=valid,
            eval_y=np.asarray(y_valid),
            eval_metric="binary_logloss",
            categorical_feature=list(self.categories_),
            callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
        )
        self.booster_ = classifier.booster_
        self.best_iteration_ = int(classifier.best_iteration_ or self.n_estimators)
        self.valid_log_loss_ = float(classifier.best_score_["valid_0"]["binary_logloss"])
        raw = self.booster_.predict(valid, raw_score=True)
        self.calibrator_ = LogisticRegression(C=1e4, max_iter=1000).fit(
            raw.reshape(-1, 1), np.asarray(y_valid)
        )
        return self

    def refit(self, X: pd.DataFrame, y, *, sample_weight=None, newest=None) -> LightGBMModel:
        """The same model learnt again on more rows (e.g. train + validation), as a new model.

        The number of trees and the calibration's slope are the ones chosen on the validation
        rows by :meth:`fit`; no rows are left to stop or calibrate on, so the calibration's
        level is set on the ``newest`` rows (a boolean mask; default all): their mean
        probability equals their conversion rate. Only the level is fitted in sample, and it
        follows a base rate that drifts.
        """
        check_is_fitted(self, "booster_")
        model = clone(self)
        X = check_table(model, X, reset=True)
        model.classes_, y = check_binary_target(y)
        model._learn_vocabulary(X)
        encoded = model.encode(X)
        classifier = model._classifier(self.best_iteration_)
        classifier.fit(
            encoded,
            y,
            sample_weight=_checked_weights(sample_weight, len(X)),
            categorical_feature=list(model.categories_),
        )
        model.booster_ = classifier.booster_
        model.best_iteration_ = self.best_iteration_
        model.valid_log_loss_ = self.valid_log_loss_  # of the settings, chosen on validation
        newest = np.ones(len(y), dtype=bool) if newest is None else np.asarray(newest, bool)
        raw = model.booster_.predict(encoded[newest], raw_score=True)
        slope = float(self.calibrator_.coef_[0, 0])
        model.calibrator_ = _platt(slope, _level(slope * raw, y[newest].mean()))
        return model

    def _learn_vocabulary(self, X: pd.DataFrame) -> None:
        self.features_ = [c for c in X.columns if c not in NON_FEATURES]
        self.categories_ = {
            c: sorted(X[c].dropna().astype(str).unique())
            for c in self.features_
            if not pd.api.types.is_numeric_dtype(X[c])
        }

    def _classifier(self, n_estimators: int) -> lgb.LGBMClassifier:
        return lgb.LGBMClassifier(
            n_estimators=n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            max_depth=self.max_depth,
            min_child_samples=self.min_child_samples,
            colsample_bytree=self.colsample_bytree,
            subsample_freq=0,
            reg_lambda=self.reg_lambda,
            random_state=self.random_state,
            deterministic=True,
            force_col_wise=True,
            n_jobs=self.n_jobs,
            verbose=-1,
        )

    def __sklearn_tags__(self) -> Tags:
        return binary_tags(super().__sklearn_tags__())

    def _checked(self, X) -> pd.DataFrame:
        """Arrays are checked like the training array; tables are matched by column name."""
        if isinstance(X, pd.DataFrame):
            return X  # a scoring table may hold more columns (ids, label) than the model uses
        return check_table(self, X, reset=False)

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """LightGBM's own log-odds, before calibration (SHAP explains this)."""
        check_is_fitted(self, "booster_")
        return self.booster_.predict(self.encode(self._checked(X)), raw_score=True)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "booster_")
        raw = self.raw_score(X)
        p = self.calibrator_.predict_proba(raw.reshape(-1, 1))[:, 1]
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "booster_")
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def _checked_weights(sample_weight, n_rows: int) -> np.ndarray | None:
    """Row weights as floats, refused when they cannot weigh ``n_rows`` rows."""
    if sample_weight is None:
        return None
    weights = _check_sample_weight(sample_weight, np.empty((n_rows, 0)), ensure_non_negative=True)
    if not weights.any():
        raise ValueError("sample_weight: every weight is zero; at least one row must count.")
    return weights


def _platt(slope: float, intercept: float) -> LogisticRegression:
    """A Platt calibration with a given slope and level (what :meth:`LightGBMModel.refit` sets)."""
    calibrator = LogisticRegression(C=1e4, max_iter=1000)
    calibrator.classes_ = np.array([0, 1])
    calibrator.coef_ = np.array([[slope]])
    calibrator.intercept_ = np.array([intercept])
    calibrator.n_features_in_ = 1
    calibrator.n_iter_ = np.array([0], dtype=np.int32)
    return calibrator


def _level(log_odds: np.ndarray, rate: float) -> float:
    """The shift of ``log_odds`` that makes their mean probability ``rate``."""
    n = max(len(log_odds), 1)
    rate = min(max(rate, 0.5 / n), 1 - 0.5 / n)  # an all-0 slice would ask for -inf

    def gap(shift: float) -> float:
        return float(np.mean(1 / (1 + np.exp(-(log_odds + shift))))) - rate

    return float(brentq(gap, -50.0, 50.0))


def recency_weights(times, half_life_days: float | None) -> np.ndarray | None:
    """Weight 1 for the newest rows, halving every ``half_life_days`` before them.

    ``None`` for no half-life: every row weighs the same.

    Examples
    --------
    >>> times = pd.to_datetime(["2025-01-01", "2025-03-02", "2025-05-01"], utc=True)
    >>> recency_weights(times, 60.0).round(2).tolist()
    [0.25, 0.5, 1.0]
    """
    if half_life_days is None:
        return None
    stamps = pd.Series(pd.to_datetime(times, utc=True))
    age_days = (stamps.max() - stamps).dt.total_seconds().to_numpy() / 86400
    return np.power(0.5, age_days / half_life_days)


@dataclass
class NewestFit:
    """Three fits of one LightGBM setting: chosen on validation, tested, registered.

    ``selected`` learns from the training rows and chooses the number of trees, the
    calibration and the half-life of the recency weights on the validation rows; ``tested``
    is refit on training + validation rows and measured on the test rows; ``final`` is
    refit on every labelled row, the newest included: the model to register and score with.
    """

    selected: LightGBMModel
    tested: LightGBMModel
    final: LightGBMModel
    half_life_days: float | None
    #: Each half-life tried and the validation log loss it reached.
    trials: pd.DataFrame


def fit_newest(
    model: LightGBMModel,
    X: pd.DataFrame,
    y,
    parts: tuple[np.ndarray, np.ndarray, np.ndarray],
    times=None,
) -> NewestFit:
    """Choose settings on validation, then refit on the newest labelled rows.

    Parameters
    ----------
    model : LightGBMModel
        The parameters to use (cloned).
    X, y
        Every labelled row.
    parts : (train, valid, test)
        Boolean masks or positions of the rows of each part; test is the newest.
    times : array-like, optional
        Each row's time (creation date, cutoff). With times, rows can be weighted by recency:
        no weights and a half-life of half the training period are tried, and the one with
        the lower validation log loss (after calibration) is kept.

    Returns
    -------
    NewestFit
    """
    X = as_frame(X)
    y = np.asarray(y)
    train, valid, test = (_mask(part, len(X)) for part in parts)
    half_lives: list[float | None] = [None]
    if times is not None:
        stamps = pd.Series(pd.to_datetime(times, utc=True)).to_numpy()
        span = (stamps[train].max() - stamps[train].min()) / np.timedelta64(1, "D")
        if span > 0:
            half_lives.append(float(span) / 2)
    trials, best = [], None
    for half_life in half_lives:
        weights = recency_weights(times, half_life)
        candidate = clone(model).fit(
            X[train],
            y[train],
            X_valid=X[valid],
            y_valid=y[valid],
            sample_weight=_mean_one(weights, train),
        )
        score = log_loss(y[valid], candidate.predict_proba(X[valid])[:, 1], labels=[0, 1])
        trials.append({"half_life_days": half_life, "valid_log_loss": score})
        if best is None or score < best[0]:
            best = (score, half_life, candidate)
    _, half_life, selected = best
    weights = recency_weights(times, half_life)
    seen = train | valid
    every = seen | test
    newest_seen, newest_all = (valid, test) if times is not None else (seen, every)
    return NewestFit(
        selected=selected,
        tested=_refit_rows(selected, X, y, seen, newest_seen, weights, half_life),
        final=_refit_rows(selected, X, y, every, newest_all, weights, half_life),
        half_life_days=half_life,
        trials=pd.DataFrame(trials),
    )


def model_for_test(
    model: LightGBMModel,
    X: pd.DataFrame,
    y,
    parts: tuple[np.ndarray, np.ndarray, np.ndarray],
    times=None,
) -> LightGBMModel:
    """The model a run measured on its test rows, from the model it registered.

    A registered model learnt from every labelled row, the test rows included
    (:func:`fit_newest`); the run measured a refit on train + validation, which this rebuilds
    bit for bit from the same rows. Models from before refits never saw the test rows: they
    are returned as they are.
    """
    if not hasattr(model, "recency_half_life_"):
        return model
    X = as_frame(X)
    y = np.asarray(y)
    train, valid = (_mask(part, len(X)) for part in parts[:2])
    seen = train | valid
    newest = valid if times is not None else seen
    half_life = model.recency_half_life_
    weights = recency_weights(times, half_life)
    return _refit_rows(model, X, y, seen, newest, weights, half_life)


def _refit_rows(
    model: LightGBMModel,
    X: pd.DataFrame,
    y: np.ndarray,
    rows: np.ndarray,
    newest: np.ndarray,
    weights: np.ndarray | None,
    half_life: float | None,
) -> LightGBMModel:
    """``model`` refit on ``rows`` (masks over ``X``), its level set on their ``newest``."""
    refitted = model.refit(
        X[rows], y[rows], sample_weight=_mean_one(weights, rows), newest=newest[rows]
    )
    refitted.recency_half_life_ = half_life
    return refitted


def _mean_one(weights: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    """The weights of ``rows``, scaled to a mean of 1 (LightGBM's leaf minimums count weight)."""
    if weights is None:
        return None
    return weights[rows] / weights[rows].mean()


def _mask(part: np.ndarray, n: int) -> np.ndarray:
    part = np.asarray(part)
    if part.dtype == bool:
        return part
    mask = np.zeros(n, dtype=bool)
    mask[part] = True
    return mask


#: The search space of :func:`tune_lightgbm`.
TUNING_SPACE = {
    "num_leaves": (7, 15, 31),
    "max_depth": (3, 4, 6, -1),
    "learning_rate": (0.03, 0.05, 0.1),
    "min_child_samples": (20, 50, 100, 200),
    "colsample_bytree": (0.5, 0.8, 1.0),
    "reg_lambda": (0.0, 1.0, 5.0),
}


@dataclass
class Tuning:
    """The outcome of :func:`tune_lightgbm`."""

    best_params: dict
    best_score: float
    best_model: LightGBMModel
    trials: pd.DataFrame


def tune_lightgbm(
    X: pd.DataFrame,
    y,
    X_valid: pd.DataFrame,
    y_valid,
    n_trials: int = 8,
    random_state: int = 0,
) -> Tuning:
    """A small seeded random search over :data:`TUNING_SPACE`, judged on the validation set.

    Each setting is trained on ``X`` with early stopping on ``X_valid`` and scored by LightGBM's
    validation log loss. The test period is never seen: pass the training and validation
    parts of the time split. The first trial is always the default setting, so tuning never
    returns something worse on validation than the defaults.

    Returns
    -------
    Tuning
        ``trials`` has one row per setting with its ``valid_log_loss`` and ``trees``.
    """
    rng = np.random.default_rng(random_state)
    settings = [{}] + [
        {name: values[rng.integers(len(values))] for name, values in TUNING_SPACE.items()}
        for _ in range(n_trials - 1)
    ]
    rows, best = [], None
    for params in settings:
        model = LightGBMModel(random_state=random_state, **params).fit(
            X, y, X_valid=X_valid, y_valid=y_valid
        )
        score = model.valid_log_loss_
        rows.append({**params, "valid_log_loss": score, "trees": model.best_iteration_})
        if best is None or score < best[0]:
            best = (score, params, model)
    score, params, model = best
    return Tuning(best_params=params, best_score=score, best_model=model, trials=pd.DataFrame(rows))
