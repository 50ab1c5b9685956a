"""LightGBM conversion probability, validated by time and calibrated on held-out leads.

The time split never mixes periods: the test set is the latest cutoff; validation uses the
latest cutoff whose label window ends by the test cutoff; training uses the cutoffs whose label
windows end by the validation cutoff. No training label therefore looks into a later period.

Categorical features (text in the training table) become integer codes from a vocabulary fixed
at fit time (unknown or missing values: -1, which LightGBM reads as missing) and are passed to
LightGBM as categorical. Early stopping watches the validation cutoff; an isotonic calibration
fitted on the same validation predictions turns scores into probabilities.

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
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.validation import check_is_fitted

from leadscore.errors import LeadscoreError

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
    n_estimators, learning_rate, num_leaves, min_child_samples, colsample_bytree, reg_lambda
        LightGBM parameters; ``n_estimators`` is the ceiling for early stopping.
    early_stopping_rounds : int
        Rounds without improvement of the validation log loss before training stops.
    random_state : int
        Seed. Training is deterministic: LightGBM's ``deterministic`` mode, one thread.

    Attributes
    ----------
    features_ : list of str
    categories_ : dict
        Vocabulary of each categorical feature.
    booster_ : lightgbm.LGBMClassifier
    best_iteration_ : int
    calibrator_ : IsotonicRegression
    """

    def __init__(
        self,
        n_estimators: int = 1000,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 50,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        early_stopping_rounds: int = 50,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.random_state = random_state

    def _encode(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [f for f in self.features_ if f not in X.columns]
        if missing:
            raise LeadscoreError(
                f"the table lacks feature(s) the model was trained on: {', '.join(missing[:10])}"
            )
        out = X[self.features_].copy()
        for name, vocabulary in self.categories_.items():
            codes = pd.Index(vocabulary).get_indexer(out[name].astype(object))  # -1: unknown
            out[name] = codes.astype(np.int32)
        return out

    def fit(self, X: pd.DataFrame, y, *, X_valid: pd.DataFrame, y_valid) -> LightGBMModel:
        """Train with early stopping on ``X_valid`` and calibrate on it."""
        self.features_ = [c for c in X.columns if c not in NON_FEATURES]
        self.categories_ = {
            c: sorted(X[c].dropna().astype(str).unique())
            for c in self.features_
            if not pd.api.types.is_numeric_dtype(X[c])
        }
        train, valid = self._encode(X), self._encode(X_valid)
        self.booster_ = lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            colsample_bytree=self.colsample_bytree,
            subsample_freq=0,
            reg_lambda=self.reg_lambda,
            random_state=self.random_state,
            deterministic=True,
            force_col_wise=True,
            n_jobs=1,
            verbose=-1,
        )
        self.booster_.fit(
            train,
            np.asarray(y),
            eval_X=valid,
            eval_y=np.asarray(y_valid),
            eval_metric="binary_logloss",
            categorical_feature=list(self.categories_),
            callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
        )
        self.best_iteration_ = int(self.booster_.best_iteration_ or self.n_estimators)
        raw = self.booster_.predict_proba(valid)[:, 1]
        self.calibrator_ = IsotonicRegression(
            y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip"
        ).fit(raw, np.asarray(y_valid))
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """LightGBM's own log-odds, before calibration (SHAP explains this)."""
        check_is_fitted(self, "booster_")
        return self.booster_.predict(self._encode(X), raw_score=True)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "booster_")
        raw = self.booster_.predict_proba(self._encode(X))[:, 1]
        p = self.calibrator_.predict(raw)
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)
