"""Bins for any table: quantile bins for numbers, frequent values for categories.

Used by the automatic-binning scorecard (:class:`leadscore.modeling.scorecard.BinningScorecard`)
and by the leakage audit (:mod:`leadscore.modeling.leakage`). Every column gets its own bin for
missing values, because in CRM exports *that a field is empty* often says the most (a field
that sales fills in only after a call is the classic leak).

Codes per column: numbers ``0 .. len(edges)`` (``x < edges[0]`` is bin 0), then one code for
missing. Categories ``0 .. k-1`` for the frequent values, ``k`` for the rare (or unseen) values,
``k + 1`` for missing. Their labels, :data:`RARE_LABEL` and :data:`MISSING_LABEL`, are in
brackets so that they never read like a real category (an export's own "Other" or "missing").

A numeric column with at most :data:`MAX_CODES` distinct values (a yes/no flag, a small count,
integer codes of browsers or regions) gets a bin per value, rare values merged with their
neighbour: quantile edges would fold a flag set for 8 % of the leads into the bin of the other
92 %, and put codes 3 and 7, which convert much better, in one bin with codes 4 to 6.

Examples
--------
>>> import numpy as np, pandas as pd
>>> X = pd.DataFrame(
...     {"visits": [0, 1, 2, 3, np.nan, 8], "country": ["de", "de", "at", None, "de", "ch"]}
... )
>>> binner = Binner(max_bins=2, min_bin_share=0.3).fit(X)
>>> binner.transform(X)["visits"].tolist()
[0, 0, 1, 1, 2, 1]
>>> binner.labels("visits")
['< 2', '≥ 2', '(missing)']
>>> binner.transform(X)["country"].tolist(), binner.labels("country")
([0, 0, 1, 2, 0, 1], ['de', '(rare values)', '(missing)'])
>>> flag = pd.DataFrame({"demo": [0.0] * 92 + [1.0] * 8})
>>> Binner(max_bins=8).fit(flag).labels("demo")
['< 1', '≥ 1', '(missing)']
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted

from leadscore.modeling.checks import check_table


def is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


#: Numeric columns with at most this many distinct values get a bin per value (see above).
MAX_CODES = 20
#: Label of the bin of categories rarer than ``min_bin_share`` (and of values unseen in fit).
RARE_LABEL = "(rare values)"
#: Label of the bin of missing values.
MISSING_LABEL = "(missing)"


def _format(value: float) -> str:
    """An edge as written in a label: every digit that tells values apart, no exponent.

    Rounding to a few significant digits would move the edge across values (a budget of
    10,012 in the bin "< 1.001e+04"); ten decimals drop only float noise.

    >>> _format(10014.5), _format(0.1 + 0.2), _format(2500000.0)
    ('10014.5', '0.3', '2500000')
    """
    return np.format_float_positional(value, precision=10, trim="-")


def discrete_edges(values: np.ndarray, min_share: float) -> np.ndarray:
    """Edges giving each distinct value of ``values`` its own bin, rare values merged.

    From the lowest value up, a bin is closed once it holds ``min_share`` of ``values``, so a
    rare value shares the bin of the next ones, and a rare last bin joins the one below. A
    column keeps at least one edge: a rare flag is still told apart from the rest.

    >>> discrete_edges(np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 7]), min_share=0.15).tolist()
    [1.0, 2.0]
    >>> discrete_edges(np.array([0] * 99 + [1]), min_share=0.02).tolist()
    [1.0]
    """
    distinct, counts = np.unique(values, return_counts=True)
    shares = counts / len(values)
    edges: list = []
    gathered = 0.0  # share of the bin being filled
    for value, share in zip(distinct, shares, strict=True):
        if gathered >= min_share:
            edges.append(value)
            gathered = 0.0
        gathered += share
    if gathered < min_share and len(edges) > 1:
        edges.pop()  # the last bin is rare: merge it into the one below
    return np.asarray(edges, dtype=float)


class Binner(TransformerMixin, BaseEstimator):
    """Discretise every column into at most ``max_bins`` bins plus a missing bin.

    Parameters
    ----------
    max_bins : int
        Quantile bins per numeric column (fewer when values repeat; a bin per value for
        columns with at most ``max(max_bins, MAX_CODES)`` distinct values).
    min_bin_share : float
        Categories rarer than this share of rows share one bin (:data:`RARE_LABEL`); so do
        numbers of a column with few distinct values (see :func:`discrete_edges`).

    Attributes
    ----------
    columns_ : list of str
        The columns binned (``x0, x1, ...`` for arrays).
    edges_ : dict
        Bin edges of each numeric column.
    categories_ : dict
        Frequent values of each categorical column.
    """

    def __init__(self, max_bins: int = 10, min_bin_share: float = 0.02) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = []  # codes are int32 whatever comes in
        return tags

    def fit(self, X, y=None) -> Binner:
        X = check_table(self, X, reset=True)
        self.columns_ = list(X.columns)
        self.edges_: dict[str, np.ndarray] = {}
        self.categories_: dict[str, list] = {}
        quantiles = np.linspace(0, 1, self.max_bins + 1)[1:-1]
        for name in X.columns:
            column = X[name]
            if is_numeric(column):
                values = column.to_numpy(dtype=float, na_value=np.nan)
                values = values[np.isfinite(values)]
                if 1 < len(np.unique(values)) <= max(self.max_bins, MAX_CODES):
                    self.edges_[name] = discrete_edges(values, self.min_bin_share)
                    continue
                edges = np.unique(np.quantile(values, quantiles)) if len(values) else []
                # An edge at the minimum would leave bin 0 empty.
                self.edges_[name] = np.asarray(
                    [e for e in edges if len(values) and e > values.min()]
                )
            else:
                shares = column.dropna().astype(str).value_counts() / len(column)
                frequent = shares[shares >= self.min_bin_share]
                self.categories_[name] = sorted(frequent.index)
        return self

    def n_codes(self, name: str) -> int:
        """Number of codes of column ``name``, the missing bin included."""
        if name in self.edges_:
            return len(self.edges_[name]) + 2
        return len(self.categories_[name]) + 2

    def labels(self, name: str) -> list[str]:
        """A readable label for each code of column ``name``."""
        check_is_fitted(self, "edges_")
        if name in self.edges_:
            edges = self.edges_[name]
            if len(edges) == 0:
                return ["any value", MISSING_LABEL]
            inner = [f"{_format(a)} to < {_format(b)}" for a, b in itertools.pairwise(edges)]
            return [f"< {_format(edges[0])}", *inner, f"≥ {_format(edges[-1])}", MISSING_LABEL]
        return [*self.categories_[name], RARE_LABEL, MISSING_LABEL]

    def transform(self, X) -> pd.DataFrame:
        check_is_fitted(self, "edges_")
        X = check_table(self, X, reset=False)
        codes = {}
        for name in self.columns_:
            column = X[name]
            if name in self.edges_:
                values = pd.to_numeric(column, errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan
                )
                edges = self.edges_[name]
                code = np.searchsorted(edges, values, side="right")
                code[np.isnan(values)] = len(edges) + 1
            else:
                vocabulary = pd.Index(self.categories_[name])
                k = len(vocabulary)
                code = vocabulary.get_indexer(column.astype(str))
                code = np.where(code < 0, k, code)
                code[column.isna().to_numpy()] = k + 1
            codes[name] = code.astype(np.int32)
        return pd.DataFrame(codes, index=X.index)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "edges_")
        return np.asarray(self.columns_, dtype=object)
