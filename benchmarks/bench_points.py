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
above the base rate with negative points, or below it with positive points).

Usage: ``python benchmarks/bench_points.py [--seeds 0 1 2] [--rows 5000]``. Import
:func:`points_benchmark` for one seed's figures.
"""

from __future__ import annotations

import argparse
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

from leadscore.flat_table import flat_split, load_flat_table
from leadscore.modeling.compare import compare_flat
from leadscore.modeling.scorecard import BinningScorecard, sign_contradictions
from leadscore.synthetic.flat import messy_flat_table, planted_leaks

TARGET, ID, TIME = "Converted", "Lead ID", "Created Date"


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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = [points_benchmark(s, args.rows, Path(folder)) for s in args.seeds]
    figures = pd.DataFrame(rows).set_index("seed")
    print(figures.to_string())
    gap = figures["learned_points"] - figures["one_hot_logistic"]
    print(
        f"learned points − one-hot logistic ROC AUC: mean {gap.mean():+.4f}, min {gap.min():+.4f}"
    )


if __name__ == "__main__":
    main()
