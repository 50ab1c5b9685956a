"""Figures of a model comparison, as PNG files (matplotlib, no display needed).

Examples
--------
>>> figure_names()
('roc', 'precision_recall', 'calibration', 'gains', 'grades')
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a screen

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve

from leadscore.io import atomic_path
from leadscore.modeling.capacity import CapacityWhatIf
from leadscore.modeling.compare import MODEL_NAMES, MODEL_TITLES, Comparison


def figure_names() -> tuple[str, ...]:
    return ("roc", "precision_recall", "calibration", "gains", "grades")


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _curves(comparison: Comparison):
    scores = comparison.test_scores
    labels = scores["label"].to_numpy()
    return labels, {
        name: scores[f"p_{name}"].to_numpy() for name in MODEL_NAMES if name in comparison.models
    }


def comparison_figures(comparison: Comparison, out_dir: str | Path) -> dict[str, Path]:
    """Write the comparison figures to ``out_dir``; returns their paths by name.

    The grade heat-map needs the hand-set sheet; without it (a flat table without ``--points``)
    there are four figures.
    """
    out_dir = Path(out_dir)
    labels, probabilities = _curves(comparison)
    when = comparison.held_out
    paths: dict[str, Path] = {}

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, p in probabilities.items():
        fpr, tpr, _ = roc_curve(labels, p)
        auc = comparison.metrics.loc[name, "roc_auc"]
        ax.plot(fpr, tpr, label=f"{MODEL_TITLES[name]} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], ls=":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC — {when}")
    ax.legend(loc="lower right")
    paths["roc"] = _save(fig, out_dir / "roc.png")

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, p in probabilities.items():
        precision, recall, _ = precision_recall_curve(labels, p)
        ap = comparison.metrics.loc[name, "pr_auc"]
        ax.plot(recall, precision, label=f"{MODEL_TITLES[name]} (AP {ap:.3f})")
    ax.axhline(labels.mean(), ls=":", color="grey", label="conversion rate")
    ax.set(xlabel="recall", ylabel="precision", title=f"Precision-recall — {when}")
    ax.legend(loc="upper right")
    paths["precision_recall"] = _save(fig, out_dir / "precision_recall.png")

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, p in probabilities.items():
        bins = np.minimum((p * 10).astype(int), 9)
        used = np.unique(bins)
        ax.plot(
            [p[bins == b].mean() for b in used],
            [labels[bins == b].mean() for b in used],
            marker="o",
            label=MODEL_TITLES[name],
        )
    top = max(max(p.max() for p in probabilities.values()), labels.mean()) * 1.05
    ax.plot([0, top], [0, top], ls=":", color="grey", label="perfect calibration")
    ax.set(
        xlabel="predicted probability",
        ylabel="observed conversion rate",
        title="Calibration (10 bins)",
    )
    ax.legend(loc="upper left")
    paths["calibration"] = _save(fig, out_dir / "calibration.png")

    paths["gains"] = gains_figure(labels, probabilities, out_dir / "gains.png")
    if comparison.grades is not None:
        paths["grades"] = grades_figure(comparison.grades, out_dir / "grades.png")
    return paths


def gains_figure(labels: np.ndarray, probabilities: dict[str, np.ndarray], path: Path) -> Path:
    """Cumulative gains: the share of conversions found by contacting the best leads first."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    share = np.arange(1, len(labels) + 1) / len(labels)
    for name, p in probabilities.items():
        ordered = labels[np.argsort(-p, kind="stable")]
        ax.plot(share, np.cumsum(ordered) / labels.sum(), label=MODEL_TITLES.get(name, name))
    ax.plot([0, 1], [0, 1], ls=":", color="grey", label="random")
    ax.set(
        xlabel="share of leads contacted (best first)",
        ylabel="share of conversions",
        title="Cumulative gains",
    )
    ax.legend(loc="lower right")
    return _save(fig, path)


def capacity_figure(what_if: CapacityWhatIf, path: Path) -> Path:
    """Conversions captured per week against leads handed over per week, per model, with the
    sales capacity and each model's point at it."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, curve in what_if.curve.groupby("model", sort=False):
        x = np.concatenate([[0.0], curve["leads_per_week"].to_numpy()])
        y = np.concatenate([[0.0], curve["conversions_per_week"].to_numpy()])
        (line,) = ax.plot(x, y, label=MODEL_TITLES.get(name, name))
        row = what_if.table.loc[what_if.table["model"] == name].iloc[0]
        ax.plot(row["mqls_per_week"], row["conversions_per_week"], "o", color=line.get_color())
    ax.axvline(
        what_if.sales_capacity,
        ls=":",
        color="grey",
        label=f"sales capacity ({what_if.sales_capacity:g} a week)",
    )
    ax.set(
        xlabel="leads handed over per week (best first)",
        ylabel="conversions handed over per week",
        title=f"Conversions captured at each hand-over volume ({what_if.weeks:.1f} weeks)",
    )
    ax.legend(loc="lower right")
    return _save(fig, path)


def grades_figure(grades: pd.DataFrame, path: Path) -> Path:
    """Conversion rate and leads per grade, as the A-D × 1-4 grid."""
    rates = grades["conversion_rate"]
    counts = grades["leads"]
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    image = ax.imshow(rates.to_numpy(dtype=float), cmap="Greens")
    for i in range(rates.shape[0]):
        for j in range(rates.shape[1]):
            if np.isfinite(rates.iloc[i, j]):
                ax.text(
                    j,
                    i,
                    f"{rates.iloc[i, j]:.1%}\nn={int(counts.iloc[i, j]):,}",
                    ha="center",
                    va="center",
                    fontsize=8,
                )
    ax.set_xticks(range(len(rates.columns)), list(rates.columns))
    ax.set_yticks(range(len(rates.index)), list(rates.index))
    ax.set(
        xlabel="engagement (1 best)",
        ylabel="fit (A best)",
        title="Conversion rate per grade (hand-set sheet)",
    )
    fig.colorbar(image, ax=ax, label="conversion rate")
    return _save(fig, path)


def points_figure(sheet: pd.DataFrame, path: Path) -> Path:
    """Hand-set against learned points per rule (one unit of the rule)."""
    ordered = sheet.sort_values("hand_set_points")
    fig, ax = plt.subplots(figsize=(7, max(4, 0.28 * len(ordered))))
    y = np.arange(len(ordered))
    ax.barh(y - 0.2, ordered["hand_set_points"], height=0.4, label="hand-set")
    ax.barh(y + 0.2, ordered["learned_points"], height=0.4, label="learned")
    ax.set_yticks(y, ordered["rule"].tolist(), fontsize=8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set(xlabel="points per unit", title="Hand-set and learned points per rule")
    ax.legend(loc="lower right")
    return _save(fig, path)


def importance_figure(importance: pd.Series, path: Path, top: int = 15) -> Path:
    """Global SHAP importance: mean absolute contribution per feature family (log-odds)."""
    shown = importance.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6.5, max(3, 0.3 * len(shown))))
    ax.barh(range(len(shown)), shown.to_numpy(), color="#3b7dd8")
    ax.set_yticks(range(len(shown)), [str(n).replace("_", " ") for n in shown.index], fontsize=8)
    ax.set(
        xlabel="mean |SHAP| (log-odds)", title="What drives the scores (LightGBM, held-out leads)"
    )
    return _save(fig, path)
