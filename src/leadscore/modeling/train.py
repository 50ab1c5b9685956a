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
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted, column_or_1d

from leadscore.errors import LeadscoreError
from leadscore.modeling.binning import as_frame, binary_tags, check_binary_target, check_table

#: Columns of a training table that are not features.
NON_FEATURES = ("lead_id", "account_id", "cutoff", "label")


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
    cutoff = table["cutoff"]
    return (
        table[cutoff.isin(split.train)],
        table[cutoff == split.valid],
        table[cutoff == split.test],
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
        self, X: pd.DataFrame, y, *, X_valid: pd.DataFrame | None = None, y_valid=None
    ) -> LightGBMModel:
        """Train with early stopping on ``X_valid`` and calibrate on it.

        Without ``X_valid``, a stratified ``validation_fraction`` of the rows is held out (for
        tables without time; event tables should pass their validation period).
        """
        X = check_table(self, X, reset=True)
        self.classes_, y = check_binary_target(y)
        if X_valid is None:
            X, X_valid, y, y_valid = train_test_split(
                X,
                y,
                test_size=self.validation_fraction,
                stratify=y,
                random_state=self.random_state,
            )
        else:
            X_valid = as_frame(X_valid)
            y_valid = (column_or_1d(y_valid) == self.classes_[1]).astype(int)
        self.features_ = [c for c in X.columns if c not in NON_FEATURES]
        self.categories_ = {
            c: sorted(X[c].dropna().astype(str).unique())
            for c in self.features_
            if not pd.api.types.is_numeric_dtype(X[c])
        }
        train, valid = self.encode(X), self.encode(X_valid)
        classifier = lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
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
        classifier.fit(
            train,
            np.asarray(y),
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
