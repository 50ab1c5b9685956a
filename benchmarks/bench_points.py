"""Benchmark: learned points against a one-hot logistic regression on the synthetic flat export.

For each seed, ``messy_flat_table(5000, seed)`` is written to CSV and trained on as
``make train-flat`` does (``--id "Lead ID" --time-col "Created Date"``), its planted leaks
dropped (``--drop``, as the leakage audit advises), with
:func:`leadscore.modeling.compare.compare_flat`. On that run's split, every model learns from the
rows ``compare_flat``'s tested models see (training + validation) and is measured on its test
rows:

- *learned points*: the automatic-binning scorecard ``compare_flat`` tests (sign-constrained);
- *unconstrained points*: the same scorecard without the sign constraint, to show what the
  constraint costs in ranking;
- *one-hot logistic*: scikit-learn's ``LogisticRegression`` on one-hot categories and
  standardised numbers (median-imputed, with missing indicators), the plain baseline;
- *LightGBM*: ``compare_flat``'s, for reference.

Each row also counts the bins whose points contradict their conversion rate (a bin converting
above the base rate with negative points, or below it with positive points), and gives the
scorecard's chosen ``C`` and its largest points in absolute value (the cap is 100).

Second part, the learned points sheet on the default synthetic B2B data (``generate(n_leads=
20_000, seed)``, seeds 42-44, monthly cutoffs, 90-day labels, ``leadscore train``'s time split):
the hand-set sheet (calibrated on validation) against the learned sheet refitted on training and
validation (``C`` chosen on the newest cutoffs, capped at the hand-set sheet's largest rule) and
against the sheet as learned before (``C=1``, no cap): ROC AUC on the test cutoff, the chosen
``C`` and the largest points a rule gives a lead (a count rule at its cap), medians over seeds.

Usage: ``python benchmarks/bench_points.py [--seeds 0 1 2] [--rows 5000] [--b2b-seeds 42 43 44]
[--skip-flat] [--skip-b2b]``. Import :func:`points_benchmark` or :func:`b2b_points_benchmark`
for one seed's figures.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from leadscore.features.pipeline import build_training_table
from leadscore.flat_table import flat_split, load_flat_table
from leadscore.modeling.compare import compare_flat
from leadscore.modeling.points import PointsModel
from leadscore.modeling.scorecard import (
    BinningScorecard,
    LearnedPointsModel,
    sign_contradictions,
)
from leadscore.modeling.train import split_table, time_split
from leadscore.synthetic import generate
from leadscore.synthetic.flat import messy_flat_table, planted_leaks

TARGET, ID, TIME = "Converted", "Lead ID", "Created Date"
HORIZON = 90


def one_hot_logistic(C: float = 1.0) -> object:
    """One-hot categories, standardised numbers (median + missing indicator), L2 logistic."""
    numbers = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    categories = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="(missing)"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    columns = ColumnTransformer(
        [
            ("numbers", numbers, make_column_selector(dtype_include="number")),
            ("categories", categories, make_column_selector(dtype_exclude="number")),
        ]
    )
    return make_pipeline(columns, LogisticRegression(C=C, max_iter=5000))


def _as_object(X: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object with NaN, which SimpleImputer and OneHotEncoder take."""
    text = X.select_dtypes(exclude="number").columns
    return X.astype(dict.fromkeys(text, object)).replace({pd.NA: np.nan})


def points_benchmark(seed: int, n_rows: int = 5000, folder: Path | None = None) -> dict:
    """ROC AUC on the test rows of one synthetic flat export, per model (see the module)."""
    folder = Path(folder or tempfile.mkdtemp())
    path = folder / f"flat_{seed}.csv"
    messy_flat_table(n_rows, seed).to_csv(path, index=False)
    leaks = list(planted_leaks())
    table = load_flat_table(path, TARGET, id_col=ID, time_col=TIME, drop=leaks)
    comparison = compare_flat(table, seed=seed)
    split = flat_split(table, seed=seed)
    X = comparison.typer.transform(table.frame)
    seen = np.concatenate([split.train, split.valid])
    train, test = X.iloc[seen], X.iloc[split.test]
    y_train, y_test = table.labels[seen], table.labels[split.test]
    tested = getattr(comparison, "tested_models", None) or comparison.models
    card = tested["learned_points"]
    unconstrained = BinningScorecard(constrain_signs=False).fit(train, y_train)
    logistic = one_hot_logistic().fit(_as_object(train), y_train)
    auc = {
        "learned_points": roc_auc_score(y_test, card.predict_proba(test)[:, 1]),
        "unconstrained_points": roc_auc_score(y_test, unconstrained.predict_proba(test)[:, 1]),
        "one_hot_logistic": roc_auc_score(y_test, logistic.predict_proba(_as_object(test))[:, 1]),
        "lightgbm": float(comparison.metrics.loc["lightgbm", "roc_auc"]),
    }
    return {
        "seed": seed,
        **{name: round(float(value), 4) for name, value in auc.items()},
        "contradictions": int(sign_contradictions(card).sum()),
        "contradictions_unconstrained": int(sign_contradictions(unconstrained).sum()),
        "C": round(float(card.C_), 4),
        "max_abs_points": float(card.points_table_["points"].abs().max()),
    }


def largest_rule_points(model: LearnedPointsModel) -> tuple[str, float]:
    """The rule giving a lead the most points in absolute value (a count rule at its cap)."""
    most = [1.0 if math.isinf(r.max_units) else r.max_units for r in model.sheet_.rules]
    reach = model.learned_points_.abs() * np.asarray(most)
    return str(reach.idxmax()), round(float(reach.max()), 1)


def b2b_points_benchmark(seed: int, folder: Path | None = None) -> dict:
    """Hand-set against learned points on one default synthetic B2B dataset (see the module)."""
    root = Path(folder or tempfile.mkdtemp())
    data = root / f"b2b_{seed}"
    generate(data, n_leads=20_000, seed=seed)
    table = build_training_table(data, None, HORIZON, interim_dir=root / f"interim_{seed}").frame
    train, valid, test = split_table(table, time_split(table["cutoff"].unique(), HORIZON))
    seen = pd.concat([train, valid])
    hand = PointsModel().fit(valid, valid["label"])
    learned = LearnedPointsModel(hand.sheet_).fit(seen, seen["label"])
    before = LearnedPointsModel(hand.sheet_, C=1.0, max_points=None).fit(seen, seen["label"])
    labels = test["label"]
    rule, points = largest_rule_points(learned)
    rule_before, points_before = largest_rule_points(before)
    return {
        "seed": seed,
        "hand_set_auc": round(roc_auc_score(labels, hand.predict_proba(test)[:, 1]), 4),
        "learned_auc": round(roc_auc_score(labels, learned.predict_proba(test)[:, 1]), 4),
        "before_auc": round(roc_auc_score(labels, before.predict_proba(test)[:, 1]), 4),
        "C": round(learned.C_, 4),
        "validation": learned.validation_,
        "max_abs_points": points,
        "largest_rule": rule,
        "max_abs_points_before": points_before,
        "largest_rule_before": rule_before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--b2b-seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--skip-flat", action="store_true")
    parser.add_argument("--skip-b2b", action="store_true")
    args = parser.parse_args()
    if not args.skip_flat:
        with tempfile.TemporaryDirectory() as folder:
            rows = [points_benchmark(s, args.rows, Path(folder)) for s in args.seeds]
        figures = pd.DataFrame(rows).set_index("seed")
        print(figures.to_string())
        gap = figures["learned_points"] - figures["one_hot_logistic"]
        print(
            f"learned points − one-hot logistic ROC AUC: mean {gap.mean():+.4f}, "
            f"min {gap.min():+.4f}"
        )
    if not args.skip_b2b:
        with tempfile.TemporaryDirectory() as folder:
            rows = [b2b_points_benchmark(s, Path(folder)) for s in args.b2b_seeds]
        b2b = pd.DataFrame(rows).set_index("seed")
        print(b2b.to_string())
        median = b2b.median(numeric_only=True)
        print(
            f"B2B medians over seeds {args.b2b_seeds}: ROC AUC learned {median['learned_auc']:.4f}"
            f" vs hand-set {median['hand_set_auc']:.4f} (before: {median['before_auc']:.4f}); "
            f"chosen C {median['C']:.4g}; largest |points| of a rule {median['max_abs_points']:.1f}"
            f" (before: {median['max_abs_points_before']:.1f})"
        )


if __name__ == "__main__":
    main()
