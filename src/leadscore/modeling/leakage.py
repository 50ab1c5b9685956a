"""Leakage audit: columns that give the outcome away, each with its evidence and advice.

In flat CRM exports the usual culprits are fields that sales fills in *after* contact (deal
stage, a lead-quality rating, "reason lost", the length of the last call, an opportunity
amount): they look like the best features and are useless when scoring new leads, because at
that time they are still empty or hold something else.

Every column is binned on the training rows (numbers in quantile bins, categories by value,
empty values in their own bin) and judged on the held-out rows. The audit weighs four kinds of
evidence (the ``evidence`` column names those found):

``near-perfect``
    The column alone ranks the held-out conversions with ROC AUC at or above ``threshold``
    (0.9, ``--leakage-threshold``).
``missingness``
    Whether the column is filled depends on the outcome: the odds of being filled differ
    between converted and other leads by a factor of at least :data:`MISSINGNESS_ODDS_RATIO`
    (either way), and "is filled" alone reaches ROC AUC :data:`MISSINGNESS_MIN_AUC` (sales fill
    "Opportunity Amount" for won leads, "Lost reason" for lost ones).
``post-contact name``
    The header names something recorded after contact (quality, rating, stage, status,
    reason, duration, call, won, lost...; German Qualität, Bewertung, Grund, Anruf, Dauer...)
    *and* the column alone reaches ROC AUC :data:`STRONG_AUC`. A name alone never counts.
``beyond the others``
    A quick model of the other columns (each column's bins as their log-odds of conversion,
    cross-fitted on the training rows, then a logistic regression) loses to the column alone,
    or gains at least :data:`LIFT_MIN` ROC AUC from adding it. Columns with one of the first
    three kinds of evidence are left out of that model, so that two leaks do not hide each
    other.

A column is flagged when

- it is near-perfect, or
- it has a post-contact name and a strong signal that the other columns do not explain
  (adding it gains the quick model at least :data:`LIFT_NAMED` ROC AUC), or
- its missingness depends on the outcome *and* it goes beyond the others.

Beyond the others alone is no proof: one strong honest cause (a demo request) beats the other
columns too. Nor is missingness alone: an honest field can be filled mostly for an honest
reason (a webinar topic only for attendees). Being measured out of sample, an id-like column
with a different value on every row is not flagged for memorising the training labels.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> visits = rng.poisson(3, 2000)
>>> y = rng.random(2000) < 1 / (1 + np.exp(2.5 - 0.3 * visits))
>>> levels = ["high", "medium", "low"]
>>> X = pd.DataFrame({
...     "visits": visits,
...     "country": rng.choice(["DE", "AT", "CH"], 2000),
...     "Lead Quality": np.where(  # a sales rating, drawn from the outcome
...         y,
...         rng.choice(levels, 2000, p=[0.6, 0.3, 0.1]),
...         rng.choice(levels, 2000, p=[0.15, 0.35, 0.5]),
...     ),
...     "deal_stage": np.where(y, "Closed Won", "Select"),
... })
>>> audit = leakage_audit(X[:1200], y[:1200], X[1200:], y[1200:])
>>> audit[["feature", "roc_auc", "flagged"]]
        feature  roc_auc  flagged
0    deal_stage    1.000     True
1  Lead Quality    0.775     True
2        visits    0.637    False
3       country    0.469    False
>>> audit["evidence"].tolist()[1:3]
['post-contact name; beyond the others', 'beyond the others']
>>> print(audit.loc[1, "advice"])  # doctest: +NORMALIZE_WHITESPACE
'Lead Quality': ...
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from leadscore.defaults import LEAKAGE_THRESHOLD
from leadscore.errors import LeadscoreError
from leadscore.modeling.binning import Binner

if TYPE_CHECKING:
    from leadscore.flat_table import FlatTable

#: Single-column held-out ROC AUC from which a column is flagged as a likely leak.
DEFAULT_THRESHOLD = LEAKAGE_THRESHOLD
#: Single-column held-out ROC AUC that, with a post-contact name, counts as evidence.
STRONG_AUC = 0.7
#: Factor between the odds of being filled among converted and not converted leads (either
#: way) from which missingness counts as evidence.
MISSINGNESS_ODDS_RATIO = 8.0
#: Held-out ROC AUC that "is filled" alone must reach for missingness to count as evidence.
MISSINGNESS_MIN_AUC = 0.6
#: Single-column ROC AUC from which a column without other evidence is compared with the
#: quick model of the others (weaker ones cannot go beyond them; NaN in the audit).
MEASURED_FROM_AUC = 0.55
#: ROC AUC a column must add to the quick model of the other columns to count as evidence.
LIFT_MIN = 0.04
#: ROC AUC a column with a post-contact name and a strong signal must add to the quick model
#: to be flagged (below it, the other columns already tell what it tells).
LIFT_NAMED = 0.01

_EVIDENCE = ("near-perfect", "missingness", "post-contact name", "beyond the others")

# Words of fields sales fills in after contact. English words match whole words of the header
# (``deal_stage``, ``DealStage``, "Lead Quality"); German ones also inside compounds, where
# they come last or first ("Verlustgrund", "Anrufdauer", "Terminvereinbarung").
_ENGLISH = (
    r"quality|ratings?|rated|stages?|status|reasons?|tags?|owners?|durations?|won|lost|"
    r"closed?|closing|deals?|opportunit(?:y|ies)|next steps?|calls?|called|meetings?|"
    r"appointments?|outcomes?|disposition|proposals?|negotiation|contracts?|signed|"
    r"churn(?:ed)?|assigned|sales reps?|follow ?ups?|sql"
)
_GERMAN = (
    r"qualität|qualitaet|bewertung|status|grund\b|abschluss|verkaufschance|anruf|dauer\b|"
    r"termin|verloren|gewonnen|phase\b|gespräch|gespraech|absage|zuständig|betreuer|vertrag"
)
_POST_CONTACT = re.compile(rf"\b(?:{_ENGLISH})\b|{_GERMAN}", re.IGNORECASE)


def post_contact_word(name: str) -> str:
    """The word of ``name`` that suggests a field filled in after contact, or ``""``.

    >>> post_contact_word("Lead Quality"), post_contact_word("CallDuration")
    ('quality', 'call')
    >>> post_contact_word("Verlustgrund"), post_contact_word("Anrufdauer (s)")
    ('grund', 'anruf')
    >>> [post_contact_word(n) for n in ("Page Views", "Percentage", "Recall", "Grundpreis")]
    ['', '', '', '']
    """
    # camelCase and snake_case into words: "DealStage" and "deal_stage" both read "deal stage".
    words = re.sub(r"(?<=[a-zäöü])(?=[A-ZÄÖÜ])|[_\W]+", " ", str(name)).strip()
    found = _POST_CONTACT.search(words)
    return found.group(0).lower() if found else ""


def check_threshold(threshold: float, name: str = "`threshold`") -> None:
    """Refuse a threshold that is no ROC AUC above chance (NaN would switch the audit off).

    ``name`` is the parameter the threshold was given as, backquoted, for the message.

    >>> check_threshold(0.9)
    >>> check_threshold(float("nan"), "`leakage_threshold`")
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: `leakage_threshold` nan: give a ROC AUC above 0.5 ...
    """
    if not 0.5 < threshold <= 1.0:  # written so that NaN is refused too
        raise LeadscoreError(
            f"{name} {threshold}: give a ROC AUC above 0.5 and at most 1 (0.5 is a coin toss: "
            "every column would be flagged)."
        )


def leakage_audit(
    X_train: pd.DataFrame,
    y_train,
    X_test: pd.DataFrame,
    y_test,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    headers: Mapping[str, str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Every column's evidence of leaking the outcome, strongest column first.

    Parameters
    ----------
    X_train, y_train : DataFrame, array-like
        Rows the bins, conversion rates and the quick model are learned on (``y`` 0/1).
    X_test, y_test : DataFrame, array-like
        Held-out rows every ROC AUC is measured on.
    threshold : float
        Single-column ROC AUC from which a column is flagged on that evidence alone.
    headers : mapping, optional
        Each column's header as written in the file, for the name evidence and the advice
        (``feature`` stays the name ``--drop`` takes).
    seed : int
        Seed of the cross-fitting folds of the quick model.

    Returns
    -------
    DataFrame
        One row per column: ``feature``, ``roc_auc`` (held-out, of the column alone),
        ``flagged``, ``advice`` (empty unless flagged), ``evidence`` (the kinds found, see
        the module docstring), ``header``, ``filled_converted`` and ``filled_not_converted``
        (share of training rows with a value), ``filled_odds_ratio``, ``filled_roc_auc`` ("is
        filled" alone, held-out), ``name_word`` (the post-contact word in the header),
        ``others_roc_auc`` (the quick model of the other columns) and ``lift`` (what adding
        the column gains it).

    Raises
    ------
    LeadscoreError
        When ``threshold`` is no ROC AUC above 0.5.
    """
    check_threshold(threshold)
    headers = dict(headers or {})
    y_train = np.asarray(y_train, dtype=float)
    y_test = np.asarray(y_test, dtype=int)
    binner = Binner(max_bins=20, min_bin_share=0.001).fit(X_train)
    names = list(binner.columns_)
    train_codes = binner.transform(X_train).to_numpy()
    test_codes = binner.transform(X_test).to_numpy()
    n_codes = np.array([binner.n_codes(name) for name in names], dtype=int)
    both = len(np.unique(y_test)) == 2 and len(np.unique(y_train)) == 2

    alone = np.array(
        [_auc(y_test, r) for r in _bin_rates(train_codes, y_train, test_codes, n_codes, 1.0).T]
    )
    missing = _missingness(train_codes, y_train, test_codes, y_test, n_codes)
    words = [post_contact_word(headers.get(name, name)) for name in names]

    near_perfect = alone >= threshold
    by_missingness = (
        np.abs(np.log(missing["filled_odds_ratio"])) >= np.log(MISSINGNESS_ODDS_RATIO)
    ) & (missing["filled_roc_auc"] >= MISSINGNESS_MIN_AUC)
    by_name = np.array([bool(w) for w in words]) & (alone >= STRONG_AUC)
    others, lift = _beyond_the_others(
        train_codes,
        y_train,
        test_codes,
        y_test,
        n_codes,
        honest=~(near_perfect | by_missingness | by_name),
        # Weak columns cannot be leaks and cost a model each: measured only from here on.
        measure=near_perfect | by_missingness | by_name | (alone >= MEASURED_FROM_AUC),
        seed=seed,
    )
    beyond = (alone >= others) | (lift >= LIFT_MIN)
    found = np.column_stack([near_perfect, by_missingness, by_name, beyond]) & both
    flagged = found[:, 0] | (found[:, 2] & (lift >= LIFT_NAMED)) | (found[:, 1] & found[:, 3])
    audit = pd.DataFrame(
        {
            "feature": names,
            "roc_auc": alone.round(3),
            "flagged": flagged,
            "advice": "",
            "evidence": [
                "; ".join(e for e, f in zip(_EVIDENCE, row, strict=True) if f) for row in found
            ],
            "header": [headers.get(name, name) for name in names],
            **{k: v.round(3) for k, v in missing.items()},
            "name_word": words,
            "others_roc_auc": others.round(3),
            "lift": lift.round(3),
        }
    )
    audit["advice"] = [_advice(row) if row.flagged else "" for row in audit.itertuples(index=False)]
    return audit.sort_values(["roc_auc", "feature"], ascending=[False, True], ignore_index=True)


def audit_flat_table(
    table: FlatTable, *, seed: int = 0, threshold: float = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """The audit ``leadscore train --table`` runs, without training any model.

    Same split (:func:`leadscore.flat_table.flat_split`: trained on the training rows, judged
    on the validation rows), same typing and names as
    :func:`leadscore.modeling.compare.compare_flat`: for notebooks and benchmarks.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from leadscore.flat_table import load_flat_table
    >>> from leadscore.synthetic.flat import messy_flat_table
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "export.csv"
    ...     messy_flat_table(2000, seed=3).to_csv(path, index=False)
    ...     table = load_flat_table(path, "Converted", id_col="Lead ID")
    ...     audit = audit_flat_table(table)
    >>> sorted(audit.loc[audit["flagged"], "header"])  # doctest: +NORMALIZE_WHITESPACE
    ['Deal Stage', 'Last Call Duration', 'Lead Quality', 'Lost Reason', 'Opportunity Amount']
    """
    from leadscore.flat_table import flat_split

    split = flat_split(table, seed=seed)
    typer = table.typer().fit(table.frame.iloc[split.train])
    X = typer.transform(table.frame).rename(columns=typer.columns_)
    return leakage_audit(
        X.iloc[split.train],
        table.labels[split.train],
        X.iloc[split.valid],
        table.labels[split.valid],
        threshold=threshold,
        headers={column: typer.header(column) for column in typer.columns_.values()},
        seed=seed,
    )


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count half): sklearn's value, without its
    input checks, which cost more than the sum itself in the dozens of calls here."""
    positive = y == 1
    n_positive = int(positive.sum())
    n_negative = len(y) - n_positive
    if n_positive == 0 or n_negative == 0:
        return np.nan
    ranks = rankdata(score)
    return float(
        (ranks[positive].sum() - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)
    )


def _bin_rates(train_codes, y_train, test_codes, n_codes, strength: float) -> np.ndarray:
    """Each test row's conversion rate of its bin on the training rows, one column each."""
    prior = y_train.mean()
    out = np.empty(test_codes.shape, dtype=float)
    for j, k in enumerate(n_codes):
        hits = np.bincount(train_codes[:, j], minlength=k)
        positives = np.bincount(train_codes[:, j], weights=y_train, minlength=k)
        # Shrunk to the overall rate: an unseen bin scores at the overall rate.
        out[:, j] = ((positives + strength * prior) / (hits + strength))[test_codes[:, j]]
    return out


def _missingness(train_codes, y_train, test_codes, y_test, n_codes) -> dict[str, np.ndarray]:
    """How much more often each column is filled for converted than for other leads."""
    missing_code = n_codes - 1
    filled = train_codes != missing_code
    converted = y_train == 1
    n_converted, n_other = converted.sum(), (~converted).sum()
    a, c = filled[converted].sum(axis=0), filled[~converted].sum(axis=0)
    share_converted, share_other = a / max(n_converted, 1), c / max(n_other, 1)
    # Haldane's +0.5 keeps the ratio finite when a column is never filled for one outcome.
    odds_ratio = ((a + 0.5) / (n_converted - a + 0.5)) / ((c + 0.5) / (n_other - c + 0.5))
    # A column filled on every training row (or on none) has no contrast to measure.
    odds_ratio[filled.all(axis=0) | ~filled.any(axis=0)] = 1.0
    test_filled = test_codes != missing_code
    if len(np.unique(y_test)) == 2:
        held_out = test_filled[y_test == 1].mean(axis=0) - test_filled[y_test == 0].mean(axis=0)
        # A yes/no score has ROC AUC 0.5 + (share among positives - among negatives) / 2,
        # oriented the way the training rows point.
        auc = 0.5 + np.sign(share_converted - share_other) * held_out / 2
    else:
        auc = np.full(len(n_codes), np.nan)
    return {
        "filled_converted": share_converted,
        "filled_not_converted": share_other,
        "filled_odds_ratio": odds_ratio,
        "filled_roc_auc": auc,
    }


def _log_odds(train_codes, y_train, test_codes, n_codes, seed: int, strength: float = 20.0):
    """Each bin's log-odds of conversion relative to the overall, cross-fitted on the
    training rows (a row never sees its own label, else sparse bins would look predictive)."""
    n_folds = 5
    fold = np.random.default_rng(seed).integers(0, n_folds, len(y_train))
    prior = y_train.mean()
    train_out = np.empty(train_codes.shape, dtype=float)
    test_out = np.empty(test_codes.shape, dtype=float)
    for j, k in enumerate(n_codes):
        index = train_codes[:, j] * n_folds + fold
        hits = np.bincount(index, minlength=k * n_folds).reshape(k, n_folds)
        positives = np.bincount(index, weights=y_train, minlength=k * n_folds).reshape(k, n_folds)
        out_of_fold = (positives.sum(1, keepdims=True) - positives + strength * prior) / (
            hits.sum(1, keepdims=True) - hits + strength
        )
        train_out[:, j] = _logit(out_of_fold)[train_codes[:, j], fold]
        full = (positives.sum(1) + strength * prior) / (hits.sum(1) + strength)
        test_out[:, j] = _logit(full)[test_codes[:, j]]
    return train_out - _logit(prior), test_out - _logit(prior)


def _logit(p):
    return np.log(p / (1 - p))


def _beyond_the_others(
    train_codes,
    y_train,
    test_codes,
    y_test,
    n_codes,
    *,
    honest: np.ndarray,
    measure: np.ndarray,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Held-out ROC AUC of a quick model of the honest-looking other columns, and what adding
    each column gains it (one logistic regression per measured column on cross-fitted
    log-odds); NaN for the columns not measured."""
    n_columns = len(n_codes)
    others, lift = np.full(n_columns, np.nan), np.full(n_columns, np.nan)
    if len(np.unique(y_train)) < 2 or len(np.unique(y_test)) < 2:
        return others, lift
    w_train, w_test = _log_odds(train_codes, y_train, test_codes, n_codes, seed)

    def score(columns: np.ndarray) -> float:
        if not columns.any():
            return 0.5
        model = LogisticRegression(C=1.0, max_iter=300).fit(w_train[:, columns], y_train)
        return _auc(y_test, model.decision_function(w_test[:, columns]))

    # Dozens of small fits: BLAS threads would only fight over the cores.
    with threadpool_limits(1):
        base = score(honest)
        for j in np.flatnonzero(measure):
            switched = honest.copy()
            switched[j] = not honest[j]
            other = score(switched) if honest[j] else base
            others[j], lift[j] = other, (base if honest[j] else score(switched)) - other
    return others, lift


def _advice(row) -> str:
    """The evidence in words, and what to do."""
    why = [f"alone it ranks the held-out conversions with ROC AUC {row.roc_auc:.3f}"]
    if "missingness" in row.evidence:
        why.append(
            f"it is filled for {row.filled_converted:.0%} of converted leads and "
            f"{row.filled_not_converted:.0%} of the others"
        )
    if "post-contact name" in row.evidence:
        why.append(f"its name ('{row.name_word}') suggests a field filled in after contact")
    if "beyond the others" in row.evidence:
        why.append(
            f"it lifts a quick model of the other columns from ROC AUC {row.others_roc_auc:.3f} "
            f"by {row.lift:.3f}"
        )
    return (
        f"'{row.header}': {'; '.join(why)}. It is probably filled in after the outcome (e.g. by "
        f"sales). Drop it with `drop` {shlex.quote(row.feature)} unless its value is known "
        "when new leads are scored."
    )
