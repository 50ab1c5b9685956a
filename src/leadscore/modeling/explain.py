"""SHAP contributions of the LightGBM model, grouped into the catalogue's feature families.

LightGBM's own TreeSHAP (``pred_contrib=True``) gives, per lead, one additive contribution per
feature plus the base value, in log-odds: they sum to the model's raw score exactly. Summing
the contributions of a family's features (every pricing-page window, say) keeps that property,
so a lead's reasons add up to its score. The numbers are the same as ``shap.TreeExplainer``'s
(a test checks it).

Leads are explained in chunks so memory stays bounded (a million leads × 180 features of
contributions would be 1.4 GB at once).

Examples
--------
>>> family_of = {"n_page_pricing_7d": "page_pricing", "n_page_pricing_30d": "page_pricing"}
>>> groups = family_groups(["n_page_pricing_7d", "n_page_pricing_30d", "seniority"], family_of)
>>> groups.names, groups.index.tolist()
(['page_pricing', 'seniority'], [0, 0, 1])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.modeling.train import LightGBMModel

#: Leads explained per chunk.
CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class FamilyGroups:
    """Which family each model feature belongs to."""

    names: list[str]
    index: np.ndarray  # family position of each feature, in the model's feature order
    columns: dict[str, list[str]]  # the features of each family

    def matrix(self) -> np.ndarray:
        """Features × families indicator, to sum contributions by family."""
        onehot = np.zeros((len(self.index), len(self.names)))
        onehot[np.arange(len(self.index)), self.index] = 1.0
        return onehot


def family_groups(features: list[str], family_of: Mapping[str, str]) -> FamilyGroups:
    """Group ``features`` by ``family_of`` (a feature without a family is its own family)."""
    families = [family_of.get(f) or f for f in features]
    names = list(dict.fromkeys(families))
    position = {name: i for i, name in enumerate(names)}
    columns: dict[str, list[str]] = {name: [] for name in names}
    for feature, family in zip(features, families, strict=True):
        columns[family].append(feature)
    return FamilyGroups(names, np.array([position[f] for f in families]), columns)


def contributions(model: LightGBMModel, X: pd.DataFrame) -> np.ndarray:
    """Per-feature SHAP values and the base value (last column), in log-odds."""
    encoded = model.encode(X)
    return model.booster_.predict(encoded, pred_contrib=True, num_iteration=model.best_iteration_)


def grouped_contributions(
    model: LightGBMModel,
    X: pd.DataFrame,
    groups: FamilyGroups,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Contributions summed per family (leads × families) and each lead's base value."""
    onehot = groups.matrix()
    grouped = np.empty((len(X), len(groups.names)))
    base = np.empty(len(X))
    for start in range(0, len(X), CHUNK_ROWS):
        chunk = contributions(model, X.iloc[start : start + CHUNK_ROWS])
        grouped[start : start + len(chunk)] = chunk[:, :-1] @ onehot
        base[start : start + len(chunk)] = chunk[:, -1]
        if on_chunk is not None:
            on_chunk(len(chunk))
    return grouped, base


def strongest(grouped: np.ndarray, k: int, sign: int) -> tuple[np.ndarray, np.ndarray]:
    """Per lead, the ``k`` families pushing hardest in direction ``sign`` (+1 for, -1 against).

    Returns positions (leads × k; -1 where fewer than ``k`` families push that way, also when
    the model has fewer than ``k`` families) and their contributions (0 there).

    >>> top, values = strongest(np.array([[0.5], [-0.2]]), 3, 1)  # a one-feature model
    >>> top.tolist(), values.tolist()
    ([[0, -1, -1], [-1, -1, -1]], [[0.5, 0.0, 0.0], [0.0, 0.0, 0.0]])
    """
    # Pad with columns that never push, so a model of 1 or 2 features still fills k slots.
    missing = max(k - grouped.shape[1], 0)
    signed = np.pad(grouped * sign, ((0, 0), (0, missing)))
    top = np.argpartition(-signed, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(signed, top, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    values = np.take_along_axis(values, order, axis=1)
    top[values <= 0] = -1
    return top, np.where(values > 0, values * sign, 0.0)


def importance(grouped: np.ndarray, names: list[str]) -> pd.Series:
    """Mean absolute contribution of each family: the global SHAP importance."""
    return pd.Series(np.abs(grouped).mean(axis=0), index=names).sort_values(ascending=False)
