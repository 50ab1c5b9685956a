"""Notebook tables on the hand-written dataset, whose every number is known."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import NOW
from leadscore.dataset import load_dataset
from leadscore.explore import conversion_by, engagement_before_conversion, event_mix, funnel


@pytest.fixture
def dataset(tiny):
    return load_dataset(tiny, now=NOW)


def test_funnel_counts_each_step(dataset) -> None:
    # L1 and L2 consented, L3 did not; all three acted (no e-mail was only delivered); L1
    # converted.
    steps = funnel(dataset)
    assert steps["leads"].to_dict() == {
        "leads": 3,
        "consented to profiling": 2,
        "active (any event)": 3,
        "engaged (an action of their own)": 3,
        "converted": 1,
    }
    assert steps.loc["consented to profiling", "share"] == pytest.approx(2 / 3)


def test_received_e_mails_are_activity_but_not_engagement(dataset) -> None:
    delivered = pd.DataFrame(
        {
            "lead_id": ["L2"],
            "occurred_at": [pd.Timestamp("2025-01-20", tz="UTC")],
            "event_type": ["email_delivered"],
            "detail": ["2025-w03-newsletter"],
        }
    )
    only_mail = dataset.events[dataset.events["lead_id"] != "L2"]
    dataset.events = pd.concat([only_mail, delivered], ignore_index=True)
    steps = funnel(dataset)["leads"]
    assert steps["active (any event)"] == 3 and steps["engaged (an action of their own)"] == 2


def test_event_mix_counts_per_month_and_type(dataset) -> None:
    mix = event_mix(dataset.events)
    assert list(mix.index) == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]
    assert mix.loc["2025-01-01"].to_dict() == {
        "demo_request": 0,
        "email_click": 1,
        "email_open": 1,
        "page_view": 2,
    }
    assert mix.loc["2025-02-01", "demo_request"] == 1


def test_engagement_before_conversion_counts_weeks_back_from_the_conversion(dataset) -> None:
    # L1 converted on 2025-03-01 12:00; its three events of 10 and 11 January were 49 to 50
    # days earlier: week 8 before the conversion (week 1 is the last 7 days).
    weeks = engagement_before_conversion(dataset)["events_per_converted_lead"]
    assert weeks.index.tolist() == list(range(1, 13))
    assert weeks[8] == 3 and weeks.drop(8).eq(0).all()
    pages = engagement_before_conversion(dataset, weeks=8, event_types=("page_view",))
    assert pages["events_per_converted_lead"].tolist() == [0] * 7 + [1]
    assert engagement_before_conversion(dataset, weeks=7)["events_per_converted_lead"].eq(0).all()


def test_conversion_by_puts_the_most_leads_first_and_skips_unused_categories() -> None:
    seniority = pd.Categorical(
        ["manager", "vp", "manager", "manager", "vp"], categories=["cfo", "manager", "vp"]
    )
    table = pd.DataFrame({"seniority": seniority, "label": [0, 1, 1, 0, 1]})
    out = conversion_by(table, "seniority")
    assert out.index.tolist() == ["manager", "vp"]
    assert out["leads"].tolist() == [3, 2] and out["conversions"].tolist() == [1, 2]
    assert out["conversion_rate"].tolist() == pytest.approx([1 / 3, 1.0])
