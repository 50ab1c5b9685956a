"""Input checks shared by the estimators: tables, binary targets, tags.

The estimators here (the points model, the scorecards, LightGBM, the binner) accept what
scikit-learn estimators accept: a DataFrame keeps its column types, an array is named
``x0, x1, ...``; the target has exactly two classes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d, validate_data


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
