"""Honest evaluation: ranking, calibration and what sales would get from the top of the list.

Every model (hand-set points, learned points, LightGBM) is scored on the same held-out leads
with the same metrics, so one table compares them.

Examples
--------
>>> import numpy as np
>>> labels = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
>>> scores = np.array([.9, .8, .7, .1, .1, .1, .1, .1, .1, .1])
>>> m = ranking_metrics(labels, scores)
>>> round(m["roc_auc"], 3), m["capture_at_20pct"], m["lift_at_20pct"]
(0.938, 0.5, 2.5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

TOP_SHARES = (0.05, 0.10, 0.20)
#: The headline metrics and how tables and reports call them.
METRIC_TITLES = {
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "log_loss": "log loss",
    "constant_log_loss": "log loss of a constant (base rate)",
    "brier": "Brier score",
    "ece": "calibration error (ECE)",
    "capture_at_10pct": "conversions in top 10 %",
    "lift_at_10pct": "lift in top 10 %",
    "selected_share": "share handed to sales",
    "precision_at_threshold": "precision of handed leads",
    "recall_at_threshold": "recall of handed leads",
    "oracle_roc_auc": "oracle ROC AUC (synthetic)",
}


def expected_calibration_error(
    labels: np.ndarray, probability: np.ndarray, bins: int = 10
) -> float:
    """Mean gap between predicted and observed conversion over equal-width probability bins,
    weighted by the number of leads in each bin."""
    labels = np.asarray(labels, dtype=float)
    probability = np.asarray(probability, dtype=float)
    which = np.minimum((probability * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.sum() * abs(probability[inside].mean() - labels[inside].mean())
    return float(total / len(labels))


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` highest scores (ties broken by position, stably)."""
    chosen = np.zeros(len(scores), dtype=bool)
    chosen[np.argsort(-np.asarray(scores), kind="stable")[:k]] = True
    return chosen


def ranking_metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, and lift and capture in the top 5/10/20 % of leads.

    ``capture_at_10pct`` is the share of all conversions found in the top 10 % of leads;
    ``lift_at_10pct`` their conversion rate over the overall rate.
    """
    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=float)
    out = {
        "roc_auc": roc_auc_score(labels, scores),
        "pr_auc": average_precision_score(labels, scores),
    }
    base = labels.mean()
    for share in TOP_SHARES:
        top = top_k(scores, max(1, round(share * len(scores))))
        name = f"at_{round(share * 100)}pct"
        out[f"capture_{name}"] = labels[top].sum() / labels.sum()
        out[f"lift_{name}"] = labels[top].mean() / base
    return {k: float(v) for k, v in out.items()}


def probability_metrics(labels: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Log loss, Brier score and expected calibration error of probabilities."""
    probability = np.clip(np.asarray(probability, dtype=float), 1e-6, 1 - 1e-6)
    return {
        "log_loss": float(log_loss(labels, probability, labels=[0, 1])),
        "brier": float(brier_score_loss(labels, probability)),
        "ece": expected_calibration_error(labels, probability),
    }


def threshold_metrics(labels: np.ndarray, selected: np.ndarray) -> dict[str, float]:
    """Precision and recall of the leads a model hands to sales (e.g. its MQLs)."""
    labels = np.asarray(labels, dtype=bool)
    selected = np.asarray(selected, dtype=bool)
    return {
        "selected_share": float(selected.mean()),
        "precision_at_threshold": float(labels[selected].mean()) if selected.any() else np.nan,
        "recall_at_threshold": float(labels[selected].sum() / labels.sum()),
    }


def evaluate(
    labels: np.ndarray,
    probability: np.ndarray,
    selected: np.ndarray | None = None,
    oracle: np.ndarray | None = None,
) -> dict[str, float]:
    """Every metric of one model on one held-out set.

    Parameters
    ----------
    labels : array of 0/1
    probability : array
        The model's calibrated probability of converting.
    selected : array of bool, optional
        The leads the model would hand to sales (its MQLs) for precision and recall.
    oracle : array, optional
        True probabilities (synthetic data only): adds the oracle ROC AUC for reference.
    """
    out = {**ranking_metrics(labels, probability), **probability_metrics(labels, probability)}
    if selected is not None:
        out |= threshold_metrics(labels, selected)
    if oracle is not None:
        out["oracle_roc_auc"] = float(roc_auc_score(labels, oracle))
    out["leads"] = float(len(labels))
    out["conversion_rate"] = float(np.mean(labels))
    return out


def grade_table(labels: np.ndarray, grades: np.ndarray) -> pd.DataFrame:
    """Leads and conversion rate per grade, as the A-D by 1-4 grid (A1 top left)."""
    frame = pd.DataFrame({"grade": grades, "label": np.asarray(labels, dtype=float)})
    frame["fit"] = frame["grade"].str[0]
    frame["engagement"] = frame["grade"].str[1:]
    rates = frame.pivot_table(index="fit", columns="engagement", values="label", aggfunc="mean")
    counts = frame.pivot_table(index="fit", columns="engagement", values="label", aggfunc="size")
    return pd.concat({"conversion_rate": rates, "leads": counts}, axis=1).sort_index()
