"""Bins for any table: quantile bins for numbers, frequent values for categories.

Used by the automatic-binning scorecard (:class:`leadscore.modeling.scorecard.BinningScorecard`)
and by the leakage audit (:mod:`leadscore.modeling.leakage`). Every column gets its own bin for
missing values, because in CRM exports *that a field is empty* often says the most (a field
that sales fills in only after a call is the classic leak).

Codes per column: numbers ``0 .. len(edges)`` (``x < edges[0]`` is bin 0), then one code for
missing. Categories ``0 .. k-1`` for the frequent values, ``k`` for "other" (rare or unseen),
``k + 1`` for missing.

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
['< 2', '≥ 2', 'missing']
>>> binner.transform(X)["country"].tolist(), binner.labels("country")
([0, 0, 1, 2, 0, 1], ['de', 'other', 'missing'])
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data


def as_frame(X) -> pd.DataFrame:
    """``X`` as a DataFrame (arrays get the column names ``x0, x1, ...``)."""
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"Expected a 2D table, got an array of shape {array.shape}.")
    frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    return frame.infer_objects() if array.dtype == object else frame


def check_table(estimator: BaseEstimator, X, *, reset: bool) -> pd.DataFrame:
    """``X`` as a DataFrame after scikit-learn's input checks.

    DataFrames keep their column types (text columns are categories); arrays must be 2-D,
    dense, non-empty and numeric, and are named ``x0, x1, ...``. ``reset=True`` (in ``fit``)
    records the number and names of the columns, ``reset=False`` checks them.
    """
    if sp.issparse(X):
        raise TypeError(
            f"{type(estimator).__name__} does not accept sparse input; pass a dense array or "
            "a DataFrame."
        )
    if isinstance(X, pd.DataFrame):
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        if len(X) == 0:
            raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
        return X
    array = validate_data(estimator, X, reset=reset, ensure_all_finite="allow-nan")
    return as_frame(array)


def check_binary_target(y) -> tuple[np.ndarray, np.ndarray]:
    """The two classes of ``y`` and ``y`` as 0/1 (1: the second class, e.g. converted)."""
    if y is None:
        raise ValueError("requires y to be passed, but the target y is None")
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    kind = type_of_target(y, input_name="y")
    if kind != "binary":
        raise ValueError(
            f"Only binary classification is supported. The type of the target is {kind}."
        )
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(
            f"y has only one class ({classes[0]!r}); a model of conversion needs both outcomes."
        )
    return classes, (y == classes[1]).astype(int)


def binary_tags(tags: Tags) -> Tags:
    """Tags of the binary classifiers here: missing values allowed, two classes only."""
    tags.input_tags.allow_nan = True
    tags.classifier_tags.multi_class = False
    return tags


def is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _format(value: float) -> str:
    return f"{value:.4g}"


class Binner(TransformerMixin, BaseEstimator):
    """Discretise every column into at most ``max_bins`` bins plus a missing bin.

    Parameters
    ----------
    max_bins : int
        Quantile bins per numeric column (fewer when values repeat).
    min_bin_share : float
        Categories rarer than this share of rows go to "other".

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
                return ["any value", "missing"]
            inner = [f"{_format(a)} to < {_format(b)}" for a, b in itertools.pairwise(edges)]
            return [f"< {_format(edges[0])}", *inner, f"≥ {_format(edges[-1])}", "missing"]
        return [*self.categories_[name], "other", "missing"]

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
