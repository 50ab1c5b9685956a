"""Leakage audit: columns that predict the target almost perfectly on their own.

In flat CRM exports the usual culprits are fields that sales fills in *after* contact (deal
stage, "reason lost", sales owner, a meeting date): they look like the best features and are
useless when scoring new leads, because at that time they are still empty.

Each column is binned on the training rows (numbers in quantile bins, categories by value,
empty values in their own bin), each bin's conversion rate is learned on the training rows,
and the column's ROC AUC is measured on the held-out rows. A column at or above the threshold
is flagged. Being measured out of sample, an id-like column with a different value on every
row is not flagged for memorising the training labels.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> y = rng.random(1000) < 0.2
>>> X = pd.DataFrame({
...     "visits": rng.poisson(2 + 2 * y),
...     "deal_stage": np.where(y, "Closed Won", "Select"),
... })
>>> audit = leakage_audit(X[:600], y[:600], X[600:], y[600:])
>>> audit[["feature", "roc_auc", "flagged"]]
      feature  roc_auc  flagged
0  deal_stage    1.000     True
1      visits    0.769    False
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from leadscore.errors import LeadscoreError
from leadscore.modeling.binning import Binner

#: Single-column held-out ROC AUC from which a column is flagged as a likely leak.
DEFAULT_THRESHOLD = 0.9


def check_threshold(threshold: float) -> None:
    """Refuse a threshold that is no ROC AUC above chance (NaN would switch the audit off).

    >>> check_threshold(0.9)
    >>> check_threshold(float("nan"))
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: give a ROC AUC above 0.5 and at most 1 (0.5 is a coin toss: ...
    """
    if not 0.5 < threshold <= 1.0:  # written so that NaN is refused too
        raise LeadscoreError(
            "give a ROC AUC above 0.5 and at most 1 (0.5 is a coin toss: every column would be "
            "flagged)."
        )


def leakage_audit(
    X_train: pd.DataFrame,
    y_train,
    X_test: pd.DataFrame,
    y_test,
    threshold: float = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Every column's predictive power on its own, strongest first.

    Returns
    -------
    DataFrame
        ``feature``, ``roc_auc`` (held-out, of the column alone), ``flagged`` (at or above
        ``threshold``) and ``advice`` (empty unless flagged).
    """
    try:
        check_threshold(threshold)
    except LeadscoreError as exc:
        raise LeadscoreError(f"leakage threshold {threshold}: {exc}") from None
    y_train = np.asarray(y_train, dtype=float)
    y_test = np.asarray(y_test, dtype=int)
    binner = Binner(max_bins=20, min_bin_share=0.001).fit(X_train)
    train_codes, test_codes = binner.transform(X_train), binner.transform(X_test)
    prior = y_train.mean()
    rows = []
    for name in binner.columns_:
        n_codes = binner.n_codes(name)
        hits = np.bincount(train_codes[name], minlength=n_codes)
        positives = np.bincount(train_codes[name], weights=y_train, minlength=n_codes)
        rate = (positives + prior) / (hits + 1)  # an unseen bin scores at the overall rate
        both = len(np.unique(y_test)) == 2
        auc = roc_auc_score(y_test, rate[test_codes[name].to_numpy()]) if both else np.nan
        rows.append({"feature": name, "roc_auc": round(float(auc), 3)})
    audit = pd.DataFrame(rows, columns=["feature", "roc_auc"])
    audit = audit.sort_values(["roc_auc", "feature"], ascending=[False, True], ignore_index=True)
    audit["flagged"] = audit["roc_auc"] >= threshold
    audit["advice"] = [
        (
            f"'{name}' alone ranks the held-out conversions with ROC AUC {auc:.3f}: it is "
            "probably filled in after the outcome (e.g. by sales). Drop it with "
            f"--drop {name} unless its value is known when new leads are scored."
        )
        if flagged
        else ""
        for name, auc, flagged in audit[["feature", "roc_auc", "flagged"]].itertuples(index=False)
    ]
    return audit
