"""The true conversion probability of each lead at any cutoff, from the generator's hidden state.

For a cutoff ``T`` and a horizon of ``H`` days, the probability that a lead converts in
``(T, T + H]`` given everything the generator knows at ``T`` (its hidden stage, its fit and
the account's events) is computed exactly by a forward recursion over the same daily Markov
chain the generator simulated. Ranking leads by it gives the best achievable ("oracle") ROC
AUC that later reports print next to the models'.

Exact at midnight cutoffs (the generator works in whole days; other cutoffs are floored to the
day). Account events after the cutoff are taken as they happened, not re-drawn: they are
outside the lead's control and this keeps the oracle exact for the realised world.

Examples
--------
>>> import tempfile
>>> from leadscore.synthetic import generate
>>> folder = tempfile.mkdtemp()
>>> _ = generate(folder, n_leads=300, seed=3)
>>> truth = conversion_probability(folder, ["2025-06-01"], horizon_days=90)
>>> list(truth.columns)
['lead_id', 'cutoff', 'probability']
>>> bool(truth["probability"].between(0, 1).all())
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from leadscore.errors import LeadscoreError
from leadscore.readers import find_table_file, read_table_file
from leadscore.schema import CUTOFF, LABEL, LEAD_ID
from leadscore.synthetic import world
from leadscore.synthetic.generator import (
    TRUTH_DIR,
    account_effects,
    day_index,
    sigmoid,
    transition_matrices,
)


def stage_on_day(stages: pd.DataFrame, lead_pos: np.ndarray, n_leads: int, day: int) -> np.ndarray:
    """Each lead's hidden stage on simulated ``day`` (-1 where it has none, e.g. not created yet).

    ``stages`` is the ground truth's stage history, ``lead_pos`` each of its rows' lead position.
    """
    current = (stages["first_day"].to_numpy() <= day) & (stages["end_day"].to_numpy() > day)
    stage = np.full(n_leads, -1)
    stage[lead_pos[current]] = stages["stage"].to_numpy()[current]
    return stage


def _load_truth(data_dir: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    folder = data_dir / TRUTH_DIR
    if not (folder / "params.json").is_file():
        raise LeadscoreError(
            f"{data_dir}: no ground truth here; only data made by 'leadscore generate' has one."
        )
    params = json.loads((folder / "params.json").read_text())
    leads = pd.read_parquet(folder / "leads.parquet")
    stages = pd.read_parquet(folder / "stages.parquet")
    return params, leads, stages


def _account_effect_rows(
    data_dir: Path, lead_accounts: pd.Series, start_us: int, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Account effect matrix and each lead's row in it (-1 without an account)."""
    path = find_table_file(data_dir, "account_events")
    codes, uniques = pd.factorize(lead_accounts)
    if path is None or not len(uniques):
        return np.zeros((0, n_days), np.float32), np.full(len(lead_accounts), -1)
    events = read_table_file(path).frame
    occurred = pd.to_datetime(events["occurred_at"], utc=True).dt.as_unit("us")
    account = pd.Index(uniques).get_indexer(events["account_id"])
    known = account >= 0
    effect = account_effects(
        account[known],
        day_index(occurred.astype("int64").to_numpy()[known], start_us),
        events["event_type"].to_numpy(dtype=object)[known],
        events["detail"].isin(list(world.INTEGRABLE_TOOLS)).to_numpy()[known],
        len(uniques),
        n_days,
    )
    return effect, codes


def conversion_probability(
    data_dir: str | Path, cutoffs: Iterable[str | pd.Timestamp], horizon_days: int = 90
) -> pd.DataFrame:
    """True probability of converting within ``horizon_days`` after each cutoff.

    Parameters
    ----------
    data_dir : str or Path
        A folder written by :func:`leadscore.synthetic.generate`.
    cutoffs : iterable of dates
        Cutoff timestamps (UTC; floored to midnight).
    horizon_days : int
        Length of the label window after the cutoff.

    Returns
    -------
    DataFrame
        ``lead_id``, ``cutoff``, ``probability`` for every lead that existed before the cutoff
        and had not converted yet (consent and other eligibility rules are the caller's).
    """
    data_dir = Path(data_dir)
    params, truth, stages = _load_truth(data_dir)
    start = pd.Timestamp(params["start"])
    start_us = start.value // 1000
    n_days = int(params["n_days"])
    alpha = world.STAGE_HAZARD_LOGIT[params["profile"]]
    leads = read_table_file(find_table_file(data_dir, "leads")).frame
    created = pd.to_datetime(leads["created_at"], utc=True)
    truth = truth.set_index("lead_id").loc[leads["lead_id"]]
    effect, acc_row = _account_effect_rows(
        data_dir, leads["account_id"], start_us, n_days + horizon_days
    )
    fit = truth["fit"].to_numpy()
    moves = transition_matrices(truth["need"].to_numpy())
    lead_pos = pd.Index(leads["lead_id"]).get_indexer(stages["lead_id"])

    frames = []
    for cutoff in cutoffs:
        cutoff_ts = pd.Timestamp(cutoff)
        cutoff_ts = cutoff_ts.tz_localize("UTC") if cutoff_ts.tzinfo is None else cutoff_ts
        day = (cutoff_ts.floor("D") - start).days
        if not 0 <= day < n_days:
            raise LeadscoreError(
                f"cutoff {cutoff_ts:%Y-%m-%d} is outside the simulated period "
                f"{start:%Y-%m-%d} to {start + pd.Timedelta(days=n_days):%Y-%m-%d}."
            )
        stage = stage_on_day(stages, lead_pos, len(leads), day)
        alive = (stage >= 0) & (stage < world.N_OPEN_STAGES) & (created < cutoff_ts).to_numpy()
        idx = np.flatnonzero(alive)
        belief = np.zeros((len(idx), world.N_OPEN_STAGES))
        belief[np.arange(len(idx)), stage[idx]] = 1.0
        converted = np.zeros(len(idx))
        rows = acc_row[idx]
        for step in range(horizon_days):
            logit = alpha[None, :] + fit[idx, None]
            if len(effect):
                acc = np.where(rows >= 0, effect[np.maximum(rows, 0), day + step], 0.0)
                logit = logit + acc[:, None]
            hazard = sigmoid(logit)
            converted += (belief * hazard).sum(axis=1)
            belief = np.einsum("ns,nst->nt", belief * (1.0 - hazard), moves[idx])
        frames.append(
            pd.DataFrame(
                {
                    LEAD_ID: leads["lead_id"].to_numpy()[idx],
                    CUTOFF: cutoff_ts,
                    "probability": converted,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def oracle_report(
    data_dir: str | Path, cutoffs: Iterable[str | pd.Timestamp], horizon_days: int = 90
) -> pd.DataFrame:
    """Best achievable ranking quality per cutoff: the ROC AUC of the true probabilities.

    Scored are the leads a model would score: consented, existing before the cutoff and not
    converted before it. Their label is a conversion in ``(cutoff, cutoff + horizon_days]``.

    Returns
    -------
    DataFrame
        ``cutoff``, ``leads``, ``conversions``, ``conversion_rate``, ``mean_probability``
        (should match the rate: the truth is calibrated) and ``oracle_auc``.
    """
    data_dir = Path(data_dir)
    truth = conversion_probability(data_dir, cutoffs, horizon_days)
    leads = read_table_file(find_table_file(data_dir, "leads")).frame
    outcomes = read_table_file(find_table_file(data_dir, "outcomes")).frame
    consented = set(leads.loc[leads["consent"].astype(bool), "lead_id"])
    converted_at = pd.to_datetime(outcomes.set_index("lead_id")["converted_at"], utc=True)
    truth = truth[truth[LEAD_ID].isin(consented)]
    when = truth[LEAD_ID].map(converted_at)
    horizon = pd.Timedelta(days=horizon_days)
    truth = truth.assign(**{LABEL: (when > truth[CUTOFF]) & (when <= truth[CUTOFF] + horizon)})
    rows = []
    for cutoff, group in truth.groupby(CUTOFF, sort=True):
        both_classes = group[LABEL].nunique() == 2
        rows.append(
            {
                CUTOFF: cutoff,
                "leads": len(group),
                "conversions": int(group[LABEL].sum()),
                "conversion_rate": group[LABEL].mean(),
                "mean_probability": group["probability"].mean(),
                "oracle_auc": (
                    roc_auc_score(group[LABEL], group["probability"]) if both_classes else np.nan
                ),
            }
        )
    return pd.DataFrame(rows)
