"""Learned versus hand-set point weights, with the LightGBM model's view of the same rules.

For a training run (by default the champion's), on the run's own time split:

- the points sheet: each rule's hand-set and learned points, their difference, the leads it
  applies to and their conversion rate (the learned sheet is refitted on the run's training and
  validation cutoffs, as the run measured it: the fit is deterministic, so these are the run's
  learned points);
- each rule's SHAP importance in the LightGBM model: the mean absolute contribution of the
  features the rule reads, on the held-out leads;
- *what if*: how many MQLs each sheet would have produced on the held-out leads at the same
  threshold, and how many of the eventual conversions they hold (and LightGBM's top leads, as
  many as the hand-set MQLs, for reference);
- with a sales capacity, the three models at equal hand-over volume
  (:func:`leadscore.modeling.capacity.equal_volume`).

Examples
--------
>>> import numpy as np
>>> labels = np.array([1, 0, 0, 1, 0])
>>> handed = {"hand_set_points": np.array([1, 1, 0, 0, 0], bool),
...           "learned_points": np.array([1, 0, 0, 1, 0], bool)}
>>> what_if_table(labels, handed)[["sheet", "mqls", "converted_mqls", "recall"]]
             sheet  mqls  converted_mqls  recall
0  hand_set_points     2               1     0.5
1   learned_points     2               2     1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.modeling.capacity import CapacityWhatIf, equal_volume
from leadscore.modeling.evaluate import grade_table, top_k
from leadscore.modeling.explain import contributions
from leadscore.modeling.points import PointsModel, PointsSheet
from leadscore.modeling.scorecard import LearnedPointsModel
from leadscore.modeling.train import (
    LightGBMModel,
    TimeSplit,
    model_for_test,
    split_masks,
    split_table,
)
from leadscore.schema import CUTOFF, LABEL, LEAD_ID


@dataclass
class PointsComparison:
    """The outcome of :func:`compare_points`."""

    sheet: pd.DataFrame
    what_if: pd.DataFrame
    test_scores: pd.DataFrame
    grades: pd.DataFrame
    #: With a sales capacity: the models at equal hand-over volume on the held-out leads.
    capacity: CapacityWhatIf | None = None


def rule_importance(model: LightGBMModel, X: pd.DataFrame, sheet: PointsSheet) -> pd.Series:
    """Mean absolute SHAP contribution of the features each rule reads, per rule."""
    contrib = contributions(model, X)[:, :-1]
    position = {name: i for i, name in enumerate(model.features_)}
    values = {}
    for rule in sheet.rules:
        used = [position[c] for c in rule.columns if c in position]
        values[rule.name] = float(np.abs(contrib[:, used].sum(axis=1)).mean()) if used else np.nan
    return pd.Series(values, name="shap_importance")


def what_if_table(labels: np.ndarray, handed: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per sheet: leads handed to sales (MQLs), conversions among them, precision, recall."""
    labels = np.asarray(labels, dtype=bool)
    rows = []
    for name, chosen in handed.items():
        chosen = np.asarray(chosen, dtype=bool)
        converted = int((labels & chosen).sum())
        rows.append(
            {
                "sheet": name,
                "mqls": int(chosen.sum()),
                "converted_mqls": converted,
                "precision": converted / chosen.sum() if chosen.any() else np.nan,
                "recall": converted / labels.sum() if labels.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def compare_points(
    table: pd.DataFrame,
    split: TimeSplit,
    model: LightGBMModel,
    sheet: str | PointsSheet | None = None,
    sales_capacity: float | None = None,
    weeks: float | None = None,
) -> PointsComparison:
    """The points sheet, rule importance and what-if grading on ``split``'s held-out leads.

    Parameters
    ----------
    table : DataFrame
        The training table of the run's cutoffs.
    split : TimeSplit
        The run's train, validation and test cutoffs.
    model : LightGBMModel
        The run's LightGBM model.
    sheet : path or PointsSheet, optional
        The hand-set sheet (default: the shipped one).
    sales_capacity, weeks : float, optional
        Leads sales can work per week, and the weeks the test cutoff covers
        (:func:`leadscore.modeling.capacity.period_weeks`): adds ``capacity``.
    """
    train, valid, test = split_table(table, split)
    labelled = pd.concat([train, valid, test], ignore_index=True)
    parts = split_masks(labelled[CUTOFF], split)
    # The run measured models refit on train + validation; its registered one saw the test too.
    model = model_for_test(model, labelled, labelled[LABEL], parts, labelled[CUTOFF])
    seen = labelled[parts[0] | parts[1]]
    hand = PointsModel(sheet).fit(valid, valid[LABEL])
    learned = LearnedPointsModel(hand.sheet_).fit(seen, seen[LABEL])
    points_sheet = learned.points_sheet(seen, seen[LABEL])
    importance = rule_importance(model, test, hand.sheet_)
    points_sheet["shap_importance"] = points_sheet["rule"].map(importance).round(4)
    labels = test[LABEL].to_numpy()
    hand_mql = hand.predict(test).astype(bool)
    probability = model.predict_proba(test)[:, 1]
    handed = {
        "hand_set_points": hand_mql,
        "learned_points": learned.predict(test).astype(bool),
        "lightgbm_top": top_k(probability, int(hand_mql.sum())),
    }
    hand_scores = hand.score_frame(test)
    test_scores = test[[LEAD_ID, CUTOFF, LABEL]].assign(
        p_hand_set_points=hand.predict_proba(test)[:, 1],
        p_learned_points=learned.predict_proba(test)[:, 1],
        p_lightgbm=probability,
        points=hand_scores["points"].to_numpy(),
        learned_points=learned.points(test),
        grade=hand_scores["grade"].to_numpy(),
    )
    capacity = None
    if sales_capacity is not None:
        scores = {
            "hand_set_points": test_scores["points"].to_numpy(),
            "learned_points": test_scores["learned_points"].to_numpy(),
            "lightgbm": probability,
        }
        capacity = equal_volume(labels, scores, weeks, sales_capacity)
    return PointsComparison(
        sheet=points_sheet,
        what_if=what_if_table(labels, handed),
        test_scores=test_scores.reset_index(drop=True),
        grades=grade_table(labels, hand_scores["grade"].to_numpy()),
        capacity=capacity,
    )
