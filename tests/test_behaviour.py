"""The SQL builders, run on DuckDB over a few hand-written rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from leadscore.features.behaviour import (
    behaviour_features,
    counters,
    daily_sql,
    day_of,
    lit,
    technologies_sql,
)
from leadscore.features.settings import load_settings

SETTINGS = load_settings()
DAY = 20_148  # 2025-03-01


def _stamps(*values: str) -> pd.Series:
    return pd.to_datetime(pd.Series(values), utc=True).dt.as_unit("us")


@pytest.mark.parametrize("text", ["O'Reilly", "'; DROP TABLE leads; --", "a''b", ""])
def test_literals_survive_any_quote(text: str) -> None:
    assert duckdb.sql(f"SELECT {lit(text)} AS v").fetchall()[0][0] == text


def test_days_are_whole_utc_days_also_before_1970() -> None:
    con = duckdb.connect()
    stamps = _stamps(
        "2025-03-01T00:00:00Z", "2025-02-28T23:59:59Z", "2025-03-01T01:00:00+02:00",
        "1969-12-31T23:00:00Z",
    )  # fmt: skip
    con.register("t", pd.DataFrame({"stamp": stamps}))
    days = [row[0] for row in con.sql(f"SELECT {day_of('stamp')} FROM t").fetchall()]
    assert days == [DAY, DAY - 1, DAY - 1, -1]  # +02:00 at 01:00 is 23:00 UTC the day before


def test_daily_counts_read_page_categories_in_any_case_and_stop_at_the_last_cutoff() -> None:
    con = duckdb.connect()
    events = pd.DataFrame(
        {
            "lead_id": ["L1"] * 5 + ["L9"],
            "occurred_at": _stamps(
                "2025-02-27T08:00:00Z",
                "2025-02-27T09:00:00Z",
                "2025-02-27T10:00:00Z",
                "2025-02-28T10:00:00Z",
                "2025-03-01T00:00:00Z",
                "2025-02-27T08:00:00Z",
            ),
            "event_type": [
                "page_view",
                "page_view",
                "email_delivered",
                "demo_request",
                "page_view",
                "page_view",
            ],
            "detail": [" Pricing ", "careers", "c1", "demo", "pricing", "pricing"],
        }
    )
    con.register("events", events)
    con.register("keys", pd.DataFrame({"lead_id": ["L1"], "lead_idx": [0]}))  # L9 unknown
    daily = con.sql(daily_sql("events", "keys", DAY, SETTINGS)).df().set_index("day")
    assert daily.index.tolist() == [DAY - 2, DAY - 1]  # the event at the cutoff is not read
    first, second = daily.loc[DAY - 2], daily.loc[DAY - 1]
    assert (first["pg_pricing"], first["pg_careers"], first["ev_page_view"]) == (1, 1, 2)
    assert first["in_pricing_page"] == 1 and first["intent"] == 1
    assert first["act"] == 2  # a delivered e-mail is not the lead's action
    assert (second["ev_demo_request"], second["intent"], second["act"]) == (1, 1, 1)
    assert len(daily.columns) == 1 + len(counters(SETTINGS))


def test_technologies_are_rolled_back_to_each_cutoff() -> None:
    con = duckdb.connect()
    con.register(
        "accounts",
        pd.DataFrame({"account_id": ["A1"], "technologies": ["HubSpot; typo3;;sap"]}),
    )
    con.register("account_keys", pd.DataFrame({"account_id": ["A1"], "account_idx": [0]}))
    con.register(
        "account_events",
        pd.DataFrame(
            {
                "account_id": ["A1", "A1", "A1"],
                "occurred_at": _stamps("2025-04-01", "2025-05-01", "2025-01-01"),
                "event_type": ["tech_added", "tech_removed", "tech_removed"],
                "detail": ["hubspot", "salesforce", "pipedrive"],
            }
        ),
    )
    cutoffs = pd.DataFrame({"cutoff_day": [DAY, DAY + 92]})  # 1 March and 1 June
    con.register("cutoffs", cutoffs)
    sql = technologies_sql("accounts", "account_events", "account_keys", "cutoffs", SETTINGS)
    tools = con.sql(sql).df().set_index("cutoff_day")
    # 1 March: hubspot not added yet; salesforce still there (removed in May); pipedrive gone.
    assert tools.loc[DAY, "n_technologies"] == 3  # typo3, sap, salesforce
    assert tools.loc[DAY, "n_integrable"] == 1  # salesforce
    # 1 June: the export's list (hubspot, typo3, sap).
    assert tools.loc[DAY + 92, "n_technologies"] == 3
    assert tools.loc[DAY + 92, "n_integrable"] == 1  # hubspot


def test_feature_names_follow_the_settings_and_are_unique(tmp_path: Path) -> None:
    mine = tmp_path / "settings.yaml"
    mine.write_text("windows_days: [3, 14]\nburst_days: 2\n", encoding="utf-8")
    features = behaviour_features(load_settings(mine))
    names = [f.name for f in features]
    assert len(names) == len(set(names))
    assert {"n_actions_3d", "n_actions_14d", "n_page_pricing_14d"} <= set(names)
    assert "max_daily_actions_2d" in names
    assert not [n for n in names if n.endswith(("_7d", "_30d", "_365d")) and "account" not in n]
    pricing = [f for f in features if f.family == "page_pricing"]
    assert [f.name for f in pricing] == ["n_page_pricing_3d", "n_page_pricing_14d"]
    assert all(f.sql and f.description for f in features)
