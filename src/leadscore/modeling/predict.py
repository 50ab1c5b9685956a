"""Batch scoring: the registered model's probability, the hand-set points and grade, a rank,
a priority and the reasons for and against each lead.

Output columns, one row per lead:

- ``lead_id``, ``account_id``, ``as_of``, ``model_version``;
- ``probability``: calibrated probability of converting within the model's horizon;
- ``score``: 1-99, the lead's percentile among the leads scored in this run (99: top 1 %);
- ``points``, ``fit_grade`` (A-D), ``engagement_grade`` (1-4), ``grade`` (A1 best): the
  hand-set points sheet, as marketing knows it; ``is_mql``: the sheet's MQL threshold, or, for
  a model trained with a sales capacity (``leadscore train --sales-capacity``), the model's
  probability at or above the capacity threshold it carries (``LoadedModel.mql_threshold``);
- ``rank`` (1: highest probability; ties by lead id) and ``priority`` by rank percentile:
  *very high* the top 5 %, *high* the next 15 % (to 20 %), *medium* the next 30 % (to 50 %),
  *low* the rest (:data:`PRIORITY_BANDS`); leads of equal probability share the band of the
  best rank among them;
- ``reason_1..3`` and ``against_1..2``: the strongest feature families for and against, in
  words, each with ``_contribution``: its SHAP value in log-odds (grouped per family; with the
  base value they add up to the model's raw score).

The columns a row decides alone (:func:`predict_probability`, :func:`points_columns`,
:func:`reason_columns`) are computed apart from those that need the whole population
(:func:`rank_leads`, :func:`priority_of_probability`), and :func:`scores_frame` lays them out.
The Spark engine (:mod:`leadscore.modeling.spark_scoring`) calls the same functions per
partition and counts only the population with Spark, so both engines write the same scores.

Examples
--------
>>> priority_of_rank(np.array([1, 5, 6, 20, 21, 50, 51, 100]), 100).tolist()
['very high', 'very high', 'high', 'high', 'medium', 'medium', 'low', 'low']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError
from leadscore.modeling.bundle import LoadedModel
from leadscore.modeling.explain import (
    FamilyGroups,
    family_groups,
    grouped_contributions,
    strongest,
)
from leadscore.modeling.points import PointsModel, PointsSheet
from leadscore.modeling.reasons import (
    ColumnPhrases,
    FlatReasonWriter,
    ReasonWriter,
    keep_missing_with_signal,
    load_phrases,
)
from leadscore.modeling.train import LightGBMModel
from leadscore.schema import ACCOUNT_ID, LEAD_ID, NON_FEATURES

#: Priority by share of the scored leads, best first: (name, upper rank percentile).
PRIORITY_BANDS = (("very high", 0.05), ("high", 0.20), ("medium", 0.50), ("low", 1.0))
N_FOR, N_AGAINST = 3, 2
#: The reason slots, strongest first; each comes with ``{slot}_contribution``.
REASON_SLOTS = (
    *(f"reason_{i}" for i in range(1, N_FOR + 1)),
    *(f"against_{i}" for i in range(1, N_AGAINST + 1)),
)
#: The hand-set points sheet's columns of the scores.
POINTS_COLUMNS = ("points", "fit_grade", "engagement_grade", "grade", "is_mql")


def check_features(model: LightGBMModel, table: pd.DataFrame) -> None:
    """Refuse a table whose features differ from the model's (names the columns).

    Only ``table.columns`` is read, so a Spark DataFrame is checked alike.
    """
    expected = set(model.features_)
    given = {c for c in table.columns if c not in NON_FEATURES}
    missing = sorted(expected - given)
    unexpected = sorted(given - expected)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)}: {', '.join(missing[:10])}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)}: {', '.join(unexpected[:10])}")
        raise LeadscoreError(
            "the scoring table's features do not match the model's ("
            + "; ".join(parts)
            + "). Score with the feature settings the model was trained with, or retrain."
        )


def priority_of_rank(rank: np.ndarray, n: int) -> np.ndarray:
    """Priority band of each rank (1 = best) among ``n`` leads."""
    share = np.asarray(rank) / max(n, 1)
    names = np.array([name for name, _ in PRIORITY_BANDS], dtype=object)
    edges = np.array([upper for _, upper in PRIORITY_BANDS])
    return names[np.minimum(np.searchsorted(edges, share, side="left"), len(names) - 1)]


def priority_of_probability(probability: np.ndarray) -> np.ndarray:
    """Priority band of each lead: that of the best rank among the leads of equal probability.

    Ranks stay unique (ties by lead id), but a band is decided by the probability alone:
    leads the model cannot tell apart get the same priority, never one by id order.

    >>> priority_of_probability(np.array([0.9] * 6 + [0.1] * 14)).tolist()[4:8]
    ['very high', 'very high', 'medium', 'medium']
    """
    best_rank = pd.Series(np.asarray(probability)).rank(method="min", ascending=False)
    return priority_of_rank(best_rank.to_numpy(), len(best_rank))


def percentile_score(lower: np.ndarray, n: int) -> np.ndarray:
    """The 1-99 score of leads of which ``lower`` of the ``n`` scored leads score lower.

    >>> percentile_score(np.array([0, 50, 99]), 100).tolist()
    [1, 50, 99]
    """
    return np.clip(1 + np.floor(99 * np.asarray(lower) / max(n, 1)), 1, 99).astype(np.int64)


def rank_leads(probability: np.ndarray, lead_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank (1 = highest probability, ties by lead id) and the 1-99 percentile score."""
    order = np.lexsort((lead_ids.astype(str), -probability))
    rank = np.empty(len(probability), dtype=np.int64)
    rank[order] = np.arange(1, len(probability) + 1)
    lower = pd.Series(probability).rank(method="min").to_numpy() - 1  # leads scoring lower
    return rank, percentile_score(lower, len(probability))


def predict_probability(model: LightGBMModel, features: pd.DataFrame) -> np.ndarray:
    """Each row's probability of converting, rounded to 6 digits as the scores file shows it.

    Ranks and bands are decided on the rounded value: leads whose probabilities print the
    same are ties.
    """
    return np.round(model.predict_proba(features)[:, 1], 6)


def parse_explain(value: str) -> int | None:
    """The ``explain`` of :func:`score_leads` from its text form.

    ``all`` → None (every lead), ``none`` → 0, ``top:N`` → N.
    """
    value = value.strip().lower()
    if value == "all":
        return None
    if value == "none":
        return 0
    if value.startswith("top:") and value[4:].isdigit():
        return int(value[4:])
    raise LeadscoreError(f"`explain` {value!r}: use all, none or top:N (e.g. top:1000).")


def score_leads(
    table: pd.DataFrame,
    loaded: LoadedModel,
    *,
    as_of: pd.Timestamp,
    families: dict[str, str] | None = None,
    sheet: str | Path | PointsSheet | None = None,
    explain: int | None = None,
    lang: str = "en",
    on_progress: Callable[[str, int, int], None] | None = None,
    phrases: str | Path | Mapping[str, Mapping[str, ColumnPhrases]] | None = None,
) -> pd.DataFrame:
    """Score a scoring table (or a flat table's raw rows, for a flat-table model).

    Parameters
    ----------
    table : DataFrame
        From :func:`leadscore.features.pipeline.build_scoring_table` (``lead_id``,
        ``account_id`` and the features), or a flat export's rows.
    loaded : LoadedModel
    as_of : Timestamp
    families : dict, optional
        Feature → family (from the feature catalogue), to group reasons.
    sheet : points sheet, optional
        Default: the shipped one for event data; flat tables get points only with a sheet.
    explain : int, optional
        Leads to explain, best first: ``None`` every lead, 0 none.
    lang : {"en", "de"}
    on_progress : callable, optional
        ``(stage, done, total)`` as reasons are computed.
    phrases : path or mapping, optional
        How a flat-table model's reasons name its columns
        (:func:`leadscore.modeling.reasons.load_phrases`); by default their headers. Event
        data reads ``reasons.yaml``.

    Raises
    ------
    LeadscoreError
        When ``phrases`` are given for a model trained on event data, or the phrases file is
        not valid.
    """
    model, typer = loaded.model, loaded.typer
    if phrases is not None and typer is None:
        raise LeadscoreError(
            "phrases are for flat-table models; reasons of event data come from reasons.yaml."
        )
    if isinstance(phrases, str | Path):
        phrases = load_phrases(phrases)
    if typer is not None:
        features = typer.transform(table)
        lead_ids = (
            table[typer.id_col]
            if typer.id_col
            else pd.Series(np.arange(1, len(table) + 1), index=table.index)  # row numbers
        )
        account_ids = table[ACCOUNT_ID] if ACCOUNT_ID in table.columns else None
    else:
        check_features(model, table)
        features, lead_ids, account_ids = table, table[LEAD_ID], table[ACCOUNT_ID]
    probability = predict_probability(model, features)
    ids = lead_ids.to_numpy()
    rank, score = rank_leads(probability, ids)
    groups = family_groups(model.features_, families or {})
    return scores_frame(
        lead_ids=ids,
        account_ids=account_ids.to_numpy() if account_ids is not None else None,
        as_of=as_of,
        version=loaded.version,
        probability=probability,
        score=score,
        points=points_columns(
            features,
            sheet,
            flat=typer is not None,
            probability=probability,
            mql_threshold=loaded.mql_threshold,
        ),
        rank=rank,
        priority=priority_of_probability(probability),
        reasons=reason_columns(
            model,
            features,
            explained_rows(rank, explain),
            groups,
            writer_for=lambda columns: (
                ReasonWriter(columns, lang)
                if typer is None
                else FlatReasonWriter(typer, lang, phrases, loaded.reference)
            ),
            on_progress=on_progress,
        ),
    ).sort_values("rank", kind="stable", ignore_index=True)


def scores_frame(
    *,
    lead_ids: np.ndarray,
    account_ids: np.ndarray | None,
    as_of: pd.Timestamp,
    version: str,
    probability: np.ndarray,
    score: np.ndarray,
    points: pd.DataFrame,
    rank: np.ndarray,
    priority: np.ndarray,
    reasons: pd.DataFrame,
) -> pd.DataFrame:
    """The scores' columns in the order of the file, one row per lead as given (not sorted).

    ``points`` and ``reasons`` come from :func:`points_columns` and :func:`reason_columns`;
    ``account_ids`` None leaves the column empty (a flat table without one).
    """
    out = pd.DataFrame(
        {
            LEAD_ID: lead_ids,
            ACCOUNT_ID: account_ids if account_ids is not None else pd.NA,
            "as_of": f"{as_of:%Y-%m-%d}",
            "model_version": version,
            "probability": probability,
            "score": score,
        }
    )
    out = pd.concat([out, points.reset_index(drop=True)], axis=1)
    out["rank"] = rank
    out["priority"] = priority
    return pd.concat([out, reasons.reset_index(drop=True)], axis=1)


def points_columns(
    features: pd.DataFrame,
    sheet: str | Path | PointsSheet | None,
    *,
    flat: bool = False,
    probability: np.ndarray | None = None,
    mql_threshold: float | None = None,
) -> pd.DataFrame:
    """The hand-set points sheet's :data:`POINTS_COLUMNS` of each row (points to 0.1).

    A flat table gets them only with a ``sheet`` (empty columns otherwise); event data gets
    the shipped sheet by default. With an ``mql_threshold`` (a model trained with a sales
    capacity), ``is_mql`` is ``probability`` at or above it instead of the sheet's threshold.
    """
    columns = list(POINTS_COLUMNS)
    if flat and sheet is None:
        scores = pd.DataFrame({c: pd.NA for c in columns}, index=range(len(features)))
    else:
        scores = PointsModel(sheet).score_frame(features)[columns].reset_index(drop=True)
        scores = scores.assign(points=scores["points"].round(1))
    if mql_threshold is not None:
        scores["is_mql"] = np.asarray(probability) >= mql_threshold
    return scores


def explained_rows(rank: np.ndarray, explain: int | None) -> np.ndarray:
    """Which leads get reasons: every one (``explain`` None) or the best ``explain`` by rank.

    >>> explained_rows(np.array([3, 1, 2]), 2).tolist()
    [False, True, True]
    """
    rank = np.asarray(rank)
    return np.ones(len(rank), dtype=bool) if explain is None else rank <= explain


def reason_columns(
    model: LightGBMModel,
    features: pd.DataFrame,
    explained: np.ndarray,
    groups: FamilyGroups,
    writer_for: Callable[[dict[str, list[str]]], ReasonWriter | FlatReasonWriter],
    on_progress: Callable[[str, int, int], None] | None = None,
) -> pd.DataFrame:
    """The :data:`REASON_SLOTS` of each row, in words, with their contributions.

    Parameters
    ----------
    model : LightGBMModel
    features : DataFrame
        The rows to explain (the model's features; more columns are ignored).
    explained : ndarray of bool
        Rows that get reasons (:func:`explained_rows`); the others get empty slots and zero
        contributions.
    groups : FamilyGroups
        The model's features by family (:func:`leadscore.modeling.explain.family_groups`).
    writer_for : callable
        The reason writer for the families' columns, made only when a row is explained.
    on_progress : callable, optional
        ``("explaining", done, total)`` after each chunk of rows.
    """
    n = len(features)
    text = {s: np.full(n, "", dtype=object) for s in REASON_SLOTS}
    effect = {s: np.zeros(n) for s in REASON_SLOTS}
    chosen = np.flatnonzero(explained)
    if len(chosen):
        rows = features.iloc[chosen].reset_index(drop=True)
        done = 0

        def advance(k: int) -> None:
            nonlocal done
            done += k
            if on_progress is not None:
                on_progress("explaining", done, len(rows))

        grouped, _ = grouped_contributions(model, rows, groups, on_chunk=advance)
        writer = writer_for(groups.columns)
        if isinstance(writer, FlatReasonWriter):
            # An empty cell is a reason only when the model says it matters.
            empty = np.column_stack(
                [rows[groups.columns[name]].isna().all(axis=1) for name in groups.names]
            )
            grouped = keep_missing_with_signal(grouped, empty)
        picks = {}
        for names, k, sign in (
            (REASON_SLOTS[:N_FOR], N_FOR, 1),
            (REASON_SLOTS[N_FOR:], N_AGAINST, -1),
        ):
            top, values = strongest(grouped, k, sign)
            for j, slot in enumerate(names):
                picks[slot] = top[:, j]
                effect[slot][chosen] = np.round(values[:, j], 3)
        for family_index, family in enumerate(groups.names):
            needed = np.zeros(len(rows), dtype=bool)
            for slot in REASON_SLOTS:
                needed |= picks[slot] == family_index
            if not needed.any():
                continue
            rendered = np.full(len(rows), "", dtype=object)
            if isinstance(writer, FlatReasonWriter):
                contribution = grouped[needed, family_index]
                rendered[needed] = writer.render(family, rows.loc[needed], contribution)
            else:
                rendered[needed] = writer.render(family, rows.loc[needed])
            for slot in REASON_SLOTS:
                hit = picks[slot] == family_index
                text[slot][chosen[hit]] = rendered[hit]
    columns = {}
    for slot in REASON_SLOTS:
        columns[slot] = text[slot]
        columns[f"{slot}_contribution"] = effect[slot]
    return pd.DataFrame(columns)


def account_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per account: best lead, mean and max probability, high-priority leads.

    >>> scores = pd.DataFrame({"lead_id": ["L1", "L2", "L3"], "account_id": ["A", "A", None],
    ...                        "probability": [0.2, 0.6, 0.9], "priority": ["low", "high", "high"]})
    >>> account_summary(scores).iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'account_id': 'A', 'best_lead_id': 'L2', 'leads': 2, 'max_probability': 0.6,
     'mean_probability': 0.4, 'high_priority_leads': 1}
    """
    with_account = scores[scores[ACCOUNT_ID].notna()].assign(
        high=lambda d: d["priority"].isin(["very high", "high"]).astype(int)
    )
    best = with_account.sort_values(["probability", LEAD_ID], ascending=[False, True])
    best = best.drop_duplicates(ACCOUNT_ID).set_index(ACCOUNT_ID)[LEAD_ID]
    grouped = with_account.groupby(ACCOUNT_ID, sort=False)
    summary = pd.DataFrame(
        {
            "best_lead_id": best,
            "leads": grouped.size(),
            "max_probability": grouped["probability"].max(),
            "mean_probability": grouped["probability"].mean().round(6),
            "high_priority_leads": grouped["high"].sum(),
        }
    )
    summary.index.name = ACCOUNT_ID
    return summary.sort_values(
        ["max_probability", "mean_probability"], ascending=False, kind="stable"
    ).reset_index()
