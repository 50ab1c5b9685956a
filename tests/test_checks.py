"""Input checks of the estimators: what they accept, and the message when they refuse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from leadscore.modeling.checks import as_frame, check_binary_target, check_table


class Model(BaseEstimator):
    """The least an estimator needs for the checks."""


def test_a_frame_keeps_its_columns_and_types() -> None:
    frame = pd.DataFrame({"visits": [1, 2], "country": ["DE", "AT"]})
    model = Model()
    assert check_table(model, frame, reset=True) is frame
    assert model.feature_names_in_.tolist() == ["visits", "country"]
    with pytest.raises(ValueError, match="country"):  # predicting on other columns
        check_table(model, frame.rename(columns={"country": "land"}), reset=False)


def test_arrays_are_named_and_must_be_two_dimensional() -> None:
    assert as_frame(np.zeros((2, 3))).columns.tolist() == ["x0", "x1", "x2"]
    mixed = as_frame(np.array([[1, "a"], [2, "b"]], dtype=object))
    assert pd.api.types.is_integer_dtype(mixed["x0"])  # numbers stay numbers, text text
    assert not pd.api.types.is_numeric_dtype(mixed["x1"])
    with pytest.raises(ValueError, match=r"2D table, got an array of shape \(3,\)"):
        as_frame(np.zeros(3))


def test_sparse_and_empty_input_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="Model does not accept sparse input"):
        check_table(Model(), sp.csr_matrix(np.eye(3)), reset=True)
    with pytest.raises(ValueError, match="0 sample"):
        check_table(Model(), pd.DataFrame({"visits": []}), reset=True)


def test_missing_values_are_allowed_in_arrays() -> None:
    checked = check_table(Model(), np.array([[1.0, np.nan], [2.0, 3.0]]), reset=True)
    assert checked.isna().sum().sum() == 1


def test_the_second_class_is_the_conversion() -> None:
    classes, y = check_binary_target(np.array(["no", "yes", "yes", "no"]))
    assert classes.tolist() == ["no", "yes"] and y.tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (None, "requires y to be passed"),
        (np.array([1, 1, 1]), "only one class .* needs both outcomes"),
        (np.array([0, 1, 2]), "Only binary classification is supported"),
        (np.array([0.2, 0.7]), "Unknown label type"),
    ],
)
def test_a_target_that_is_not_two_outcomes_is_refused(y, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_binary_target(y)
