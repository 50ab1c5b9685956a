"""Exploration tables for the notebooks: funnel, event mix, conversion by attribute.

Everything here is vectorised pandas on a :class:`leadscore.dataset.Dataset` (or a training
table), so a notebook shows results instead of re-implementing them.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"seniority": ["vp", "vp", "manager"], "label": [1, 0, 0]})
>>> conversion_by(table, "seniority")["conversion_rate"].to_dict()
{'vp': 0.5, 'manager': 0.0}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.dataset import Dataset


def funnel(dataset: Dataset) -> pd.DataFrame:
    """Leads at each step: all, consented, active (any event), engaged (an action besides
    e-mails received), converted — with the share of all leads."""
    leads = dataset.leads
    events = dataset.events
    active = set(events["lead_id"].unique())
    engaged = set(events.loc[events["event_type"] != "email_delivered", "lead_id"].unique())
    converted = set(dataset.outcomes["lead_id"])
    counts = {
        "leads": len(leads),
        "consented to profiling": int(leads["consent"].sum()),
        "active (any event)": int(leads["lead_id"].isin(active).sum()),
        "engaged (an action of their own)": int(leads["lead_id"].isin(engaged).sum()),
        "converted": int(leads["lead_id"].isin(converted).sum()),
    }
    frame = pd.DataFrame({"leads": counts})
    frame["share"] = frame["leads"] / len(leads)
    frame.index.name = "step"
    return frame


def event_mix(events: pd.DataFrame, freq: str = "MS") -> pd.DataFrame:
    """Events per period (rows) and event type (columns)."""
    period = events["occurred_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period(freq[0])
    mix = pd.crosstab(period.rename("period"), events["event_type"])
    mix.index = mix.index.to_timestamp()
    return mix


def conversion_by(table: pd.DataFrame, column: str, label: str = "label") -> pd.DataFrame:
    """Leads, conversions and conversion rate per value of ``column`` (most leads first)."""
    grouped = table.groupby(column, observed=True, sort=False)[label]
    out = pd.DataFrame(
        {"leads": grouped.size(), "conversions": grouped.sum(), "conversion_rate": grouped.mean()}
    )
    return out.sort_values(["leads", "conversion_rate"], ascending=False)


def engagement_before_conversion(
    dataset: Dataset, weeks: int = 12, event_types: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Events per converted lead in each week before their conversion (week 1 = the last).

    Shows how activity builds up before a purchase (what engagement scores try to catch).
    """
    converted_at = dataset.outcomes.set_index("lead_id")["converted_at"]
    events = dataset.events[dataset.events["lead_id"].isin(converted_at.index)]
    if event_types is not None:
        events = events[events["event_type"].isin(event_types)]
    before = converted_at.reindex(events["lead_id"]).to_numpy() - events["occurred_at"].to_numpy()
    week = np.floor(pd.to_timedelta(before).total_seconds() / (7 * 86_400)).astype(int) + 1
    inside = (week >= 1) & (week <= weeks)
    counts = pd.Series(week[inside]).value_counts().reindex(range(1, weeks + 1), fill_value=0)
    per_lead = counts / max(len(converted_at), 1)
    return pd.DataFrame(
        {"events_per_converted_lead": per_lead.to_numpy()},
        index=pd.Index(range(1, weeks + 1), name="weeks_before_conversion"),
    )
