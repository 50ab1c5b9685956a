"""Who is scored and who is left out, and why: the entity rules on a hand-written dataset.

As of 2025-03-01 (midnight UTC). Each lead is there to trip one rule, some of them two, to show
that a lead left out counts once, under the first rule that applies.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import NOW, write_tables
from leadscore.features.entity import ENTITY_RULES
from leadscore.features.pipeline import build_scoring_table, build_training_table

AS_OF = pd.Timestamp("2025-03-01", tz="UTC")
LEADS = (
    "lead_id,account_id,created_at,email,job_title,country,lead_source,consent,lifecycle_stage\n"
    "IN,A1,2025-01-01T00:00:00Z,,CEO,DE,event,true,lead\n"
    "LATER,A1,2025-03-10T00:00:00Z,,CEO,DE,event,false,lead\n"  # no consent, and created later
    "SILENT,A1,2025-01-01T00:00:00Z,,CEO,DE,event,false,lead\n"  # no consent, but active
    "NEW,A1,2025-03-01T00:00:00Z,,CEO,DE,event,true,lead\n"  # created at the as-of date
    "OLD_CUSTOMER,A1,2025-01-01T00:00:00Z,,CEO,DE,event,true,customer\n"  # no conversion date
    "WON,A1,2025-01-01T00:00:00Z,,CEO,DE,event,true,customer\n"  # converted before, active
    "WON_AT_MIDNIGHT,,2025-01-01T00:00:00Z,,CEO,DE,event,true,lead\n"
)
TABLES = {
    "leads": LEADS,
    "accounts": (
        "account_id,domain,industry,employees,annual_revenue,country,technologies\n"
        "A1,example.com,software,120,25000000,DE,\n"
    ),
    "events": (
        "lead_id,occurred_at,event_type,detail\n"
        "IN,2025-02-20T10:00:00Z,page_view,pricing\n"
        "SILENT,2025-02-21T10:00:00Z,page_view,pricing\n"
        "WON,2025-02-22T10:00:00Z,page_view,pricing\n"
        "NEW,2025-05-01T10:00:00Z,page_view,pricing\n"
    ),
    "account_events": "account_id,occurred_at,event_type,detail\n",
    "outcomes": (
        "lead_id,converted_at\n"
        "WON,2025-02-25T00:00:00Z\n"
        "WON_AT_MIDNIGHT,2025-03-01T00:00:00Z\n"
        "IN,2025-04-01T00:00:00Z\n"
    ),
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tables(tmp_path_factory.mktemp("entity"), TABLES)


def test_each_lead_left_out_counts_once_under_the_first_rule(data: Path, tmp_path: Path) -> None:
    table = build_scoring_table(data, AS_OF, interim_dir=tmp_path, now=NOW)
    assert table.frame["lead_id"].tolist() == ["IN"]
    assert table.skipped == {
        "no consent to profiling": 2,  # LATER (also created later) and SILENT
        "created after the as-of date": 1,  # NEW, created exactly at the as-of date
        "customer before the data": 1,  # OLD_CUSTOMER
        "already converted": 2,  # WON, and WON_AT_MIDNIGHT exactly at the as-of date
    }
    assert list(table.skipped) == [rule.reason for rule in ENTITY_RULES]


def test_converted_colleagues_count_for_the_company_leads_without_consent_never(
    data: Path, tmp_path: Path
) -> None:
    # IN's colleagues active in the last 30 days: WON (converted, still profiled), not SILENT
    # (no consent: its events are never read).
    table = build_scoring_table(data, AS_OF, interim_dir=tmp_path, now=NOW)
    assert table.frame.set_index("lead_id").loc["IN", "account_engaged_contacts_30d"] == 1


def test_training_rows_follow_the_same_rules_at_every_cutoff(data: Path, tmp_path: Path) -> None:
    cutoffs = ["2025-02-01", "2025-03-01"]
    frame = build_training_table(data, cutoffs, 30, interim_dir=tmp_path, now=NOW).frame
    # On Feb 1 WON and WON_AT_MIDNIGHT had not converted yet; on Mar 1 only IN is left.
    labels = frame.set_index(["lead_id", frame["cutoff"].dt.strftime("%m")])["label"]
    assert labels.to_dict() == {
        ("IN", "02"): 0,  # converts Apr 1, after Feb 1 + 30 days
        ("WON", "02"): 1,
        ("WON_AT_MIDNIGHT", "02"): 1,  # Mar 1 00:00 is Feb 1 + 28 days: inside
        ("IN", "03"): 0,  # Apr 1 is Mar 1 + 31 days: outside
    }
