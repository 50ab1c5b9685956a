"""The feature pipeline on a hand-written fixture: exact values, window edges, no leakage.

Cutoff 2025-03-01 (midnight UTC), horizon 90 days (label window ends 2025-05-30). Expected
values are worked out by hand in the comments next to each assertion.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import NOW, write_tables
from leadscore.contract import EVENT_TYPES
from leadscore.dataset import stage_dataset
from leadscore.errors import LeadscoreError
from leadscore.features.pipeline import (
    MAX_DAYS_AFTER_DATA,
    CutoffError,
    build_scoring_table,
    build_training_table,
    parse_cutoffs,
    to_cutoff,
)

CUTOFF = pd.Timestamp("2025-03-01", tz="UTC")
HEADER = "lead_id,occurred_at,event_type,detail\n"
FIXTURE = {
    "leads": (
        "lead_id,account_id,created_at,email,job_title,country,lead_source,consent,"
        "lifecycle_stage\n"
        "L1,A1,2024-11-01T00:00:00Z,anna@brandt-software.de,Head of Marketing,DE,referral,"
        "true,lead\n"
        "L2,A1,2024-12-01T00:00:00Z,max@gmail.com,werkstudent,DE,organic_search,true,lead\n"
        "L3,A1,2024-12-15T00:00:00Z,eva@brandt-software.de,CTO,DE,event,true,customer\n"
        "L4,A1,2024-12-01T00:00:00Z,no@brandt-software.de,CEO,DE,event,false,lead\n"
        "L5,,2024-10-01T00:00:00Z,old@gmail.com,Owner,AT,direct,true,customer\n"
        "L6,A1,2025-03-10T00:00:00Z,new@brandt-software.de,CFO,DE,event,true,lead\n"
        "L7,,2025-02-28T23:00:00Z,stud@tum.de,,US,paid_search,true,subscriber\n"
    ),
    "accounts": (
        "account_id,domain,industry,employees,annual_revenue,country,technologies\n"
        "A1,brandt-software.de,software,120,25000000,DE,hubspot;typo3\n"
    ),
    "events": HEADER
    + (
        "L1,2024-12-01T10:00:00Z,unsubscribe,\n"  # exactly 90 days before: in the 90d window
        "L1,2025-02-10T09:00:00Z,demo_request,demo\n"
        "L1,2025-02-21T23:59:00Z,page_view,pricing\n"  # 7 days + 1 minute before: not in 7d
        "L1,2025-02-22T00:00:00Z,page_view,pricing\n"  # exactly 7 days before: in 7d
        "L1,2025-02-25T08:00:00Z,email_delivered,c1\n"
        "L1,2025-02-25T09:00:00Z,email_open,c1\n"
        "L1,2025-02-25T09:05:00Z,email_open,c1\n"
        "L1,2025-02-27T20:00:00Z,email_open,c1\n"
        "L1,2025-02-27T20:01:00Z,email_click,c1\n"
        "L1,2025-02-27T21:00:00Z,page_view,careers\n"
        "L1,2025-02-28T23:59:00Z,page_view,Pricing\n"
        "L1,2025-03-01T00:00:00Z,page_view,pricing\n"  # at the cutoff: excluded
        "L1,2025-06-30T12:00:00Z,page_view,pricing\n"  # after: excluded
        "L2,2025-02-20T10:00:00Z,page_view,blog\n"
        "L3,2025-01-10T10:00:00Z,page_view,pricing\n"
        "L4,2025-02-26T10:00:00Z,demo_request,demo\n"  # no consent: never read
        "L4,2025-02-26T10:01:00Z,page_view,pricing\n"
    ),
    "account_events": (
        "account_id,occurred_at,event_type,detail\n"
        "A1,2024-06-01T00:00:00Z,layoff,\n"
        "A1,2025-02-01T00:00:00Z,hiring_sales,account executive\n"
        "A1,2025-03-01T00:00:00Z,press,\n"  # at the cutoff: excluded
        "A1,2025-04-01T00:00:00Z,tech_added,hubspot\n"  # so hubspot was not there yet
    ),
    "outcomes": (
        "lead_id,converted_at\n"
        "L1,2025-05-15T00:00:00Z\n"  # inside (cutoff, cutoff + 90d]: label 1
        "L2,2025-06-15T00:00:00Z\n"  # after the horizon: label 0
        "L3,2025-01-15T00:00:00Z\n"  # before the cutoff: not in the entity table
    ),
}


def _table(folder: Path, cutoffs=(CUTOFF,), **kwargs) -> pd.DataFrame:
    interim = Path(tempfile.mkdtemp())
    table = build_training_table(folder, list(cutoffs), 90, interim_dir=interim, now=NOW, **kwargs)
    return table.frame.set_index("lead_id")


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tables(tmp_path_factory.mktemp("fixture"), FIXTURE)


@pytest.fixture(scope="module")
def table(fixture_dir: Path) -> pd.DataFrame:
    return _table(fixture_dir)


def test_entity_rows_follow_the_rules(table: pd.DataFrame) -> None:
    # L3 converted before, L4 has no consent, L5 is a customer with no known conversion date,
    # L6 was created after the cutoff.
    assert sorted(table.index) == ["L1", "L2", "L7"]
    assert table["label"].to_dict() == {"L1": 1, "L2": 0, "L7": 0}
    assert (table["cutoff"] == CUTOFF).all()
    assert table.loc["L1", "account_id"] == "A1"


def test_window_counts_and_edges(table: pd.DataFrame) -> None:
    l1 = table.loc["L1"]
    assert l1["n_page_pricing_7d"] == 2  # Feb 22 00:00 and Feb 28; not Feb 21 or Mar 1
    assert l1["n_page_pricing_30d"] == 3
    assert l1["n_page_careers_7d"] == 1
    assert l1["n_email_open_7d"] == 3
    assert l1["n_email_click_7d"] == 1
    assert l1["n_email_delivered_7d"] == 1
    assert l1["n_actions_7d"] == 7  # delivered e-mails are not actions
    assert l1["n_actions_30d"] == 9
    assert l1["n_actions_90d"] == 10  # the unsubscribe exactly 90 days before counts
    assert l1["n_unsubscribe_30d"] == 0
    assert l1["n_unsubscribe_90d"] == 1
    assert l1["n_unsubscribe_ever"] == 1
    assert l1["active_days_7d"] == 4  # Feb 22, 25, 27, 28
    assert l1["active_days_30d"] == 6  # + Feb 10, 21
    assert table.loc["L2", "n_page_blog_30d"] == 1


def test_recency_decay_bursts_velocity_and_ratios(table: pd.DataFrame) -> None:
    l1 = table.loc["L1"]
    assert l1["days_since_last_action"] == 1
    assert l1["days_since_demo_request"] == 19
    assert l1["days_since_pricing_page"] == 1
    assert np.isnan(l1["days_since_trial_signup"])
    assert l1["max_daily_actions_14d"] == 3  # Feb 27: open, click, careers page
    assert l1["max_opens_one_campaign_14d"] == 3
    assert l1["click_through_90d"] == pytest.approx(1 / 3)
    assert l1["open_rate_90d"] == pytest.approx(3.0)
    # 7 actions in the last 7 days against 2 in the 28 days before: (7 + 1) / (2 * 7/28 + 1)
    assert l1["velocity_7d_vs_28d"] == pytest.approx(8 / 1.5)
    ages = [7, 4, 4, 2, 2, 2, 1, 8, 19, 90]  # whole days before the cutoff of each action
    assert l1["decayed_actions_hl7d"] == pytest.approx(sum(0.5 ** (a / 7) for a in ages))
    intent_ages = [8, 7, 1, 19]  # three pricing visits and the demo request
    assert l1["decayed_intent_hl7d"] == pytest.approx(sum(0.5 ** (a / 7) for a in intent_ages))


def test_never_active_lead_has_zero_counts_and_missing_recency(table: pd.DataFrame) -> None:
    l7 = table.loc["L7"]
    assert l7["n_actions_365d"] == 0
    assert l7["decayed_actions_hl30d"] == 0
    assert np.isnan(l7["days_since_last_action"])
    assert np.isnan(l7["click_through_90d"])
    assert np.isnan(l7["account_hiring_90d"])  # no company at all
    assert l7["email_domain_type"] == "education"
    assert l7["in_service_area"] == 0
    assert l7["days_since_created"] == pytest.approx(1 / 24)


def test_explicit_features(table: pd.DataFrame) -> None:
    l1 = table.loc["L1"]
    assert (l1["seniority"], l1["department"]) == ("director", "marketing")
    assert l1["email_domain_type"] == "corporate"
    assert table.loc["L2", "seniority"] == "student"
    assert table.loc["L2", "email_domain_type"] == "freemail"
    assert l1["industry"] == "software"
    assert l1["employees"] == 120
    assert l1["employees_band"] == "50-249"
    assert l1["revenue_band"] == "10M-50M"
    assert (l1["icp_industry"], l1["icp_size"], l1["icp_match"]) == (1, 1, 1)
    assert l1["in_service_area"] == 1
    assert l1["days_since_created"] == 120


def test_account_features(table: pd.DataFrame) -> None:
    l1 = table.loc["L1"]
    assert l1["account_hiring_sales_90d"] == 1
    assert l1["days_since_account_hiring_sales"] == 28
    assert l1["account_layoff_90d"] == 0
    assert l1["account_layoff_365d"] == 1
    assert l1["days_since_account_layoff"] == 273
    assert l1["account_press_90d"] == 0  # the press event is at the cutoff
    assert np.isnan(l1["days_since_account_press"])
    # hubspot was added after the cutoff, so only typo3 was on the website then
    assert l1["n_technologies"] == 1
    assert l1["uses_integrable_tool"] == 0
    assert l1["account_engaged_contacts_30d"] == 1  # L2 (L4 has no consent: not counted)
    assert table.loc["L2", "account_engaged_contacts_30d"] == 1  # L1
    assert l1["account_converted_contacts"] == 1  # L3
    l1_decay = sum(0.5 ** (a / 7) for a in [7, 4, 4, 2, 2, 2, 1, 8, 19, 90])
    others = 0.5 ** (9 / 7) + 0.5 ** (50 / 7)  # L2 on Feb 20, L3 on Jan 10
    assert l1["account_decayed_actions_hl7d"] == pytest.approx(l1_decay + others)


def test_catalogue_describes_every_feature_column(fixture_dir: Path) -> None:
    table = build_training_table(fixture_dir, [CUTOFF], 90, interim_dir=tempfile.mkdtemp(), now=NOW)
    features = list(table.frame.columns[4:])
    assert features == table.feature_names
    catalogue = table.catalogue_frame()
    assert set(catalogue["group"]) == {"fit", "engagement", "account", "negative"}
    assert catalogue["description"].str.len().min() > 10
    assert catalogue.loc[catalogue["name"] == "n_page_careers_7d", "group"].item() == "negative"


def test_training_and_scoring_give_the_same_features(fixture_dir: Path) -> None:
    training = _table(fixture_dir).drop(columns=["label"])
    scoring = build_scoring_table(
        fixture_dir, "2025-03-01", interim_dir=tempfile.mkdtemp(), now=NOW
    ).frame.set_index("lead_id")
    assert "label" not in scoring.columns
    pd.testing.assert_frame_equal(training, scoring)


def test_scoring_defaults_to_the_day_after_the_data(fixture_dir: Path) -> None:
    scoring = build_scoring_table(fixture_dir, interim_dir=tempfile.mkdtemp(), now=NOW)
    assert scoring.cutoffs == [pd.Timestamp("2025-07-01", tz="UTC")]
    # L1 and L2 converted by then; L6 now exists
    assert sorted(scoring.frame["lead_id"]) == ["L6", "L7"]


def test_censored_cutoffs_are_refused(fixture_dir: Path) -> None:
    with pytest.raises(LeadscoreError, match=r"2025-05-01.*past the end of the data.*2025-04-01"):
        _table(fixture_dir, cutoffs=[CUTOFF, pd.Timestamp("2025-05-01", tz="UTC")])


def test_cutoffs_are_dates() -> None:
    assert parse_cutoffs("2025-02-01, 2025-01-01,2025-01-01") == [
        pd.Timestamp("2025-01-01", tz="UTC"),
        pd.Timestamp("2025-02-01", tz="UTC"),
    ]
    assert len(parse_cutoffs("monthly:2025-01-01:2025-12-01")) == 12
    with pytest.raises(LeadscoreError, match="whole days"):
        parse_cutoffs("2025-01-01T12:00")
    with pytest.raises(LeadscoreError, match="not a date"):
        parse_cutoffs("soon")
    with pytest.raises(LeadscoreError, match="END is before START"):
        parse_cutoffs("monthly:2025-05-01:2025-01-01")


# -- no leakage ---------------------------------------------------------------------------------

# Two cutoffs: the rollup skips everything after the last one, so only the windows guard the
# earlier cutoff. Appended rows are at or after the earlier cutoff.
EARLY = pd.Timestamp("2025-02-01", tz="UTC")
AFTER_SECONDS = st.integers(min_value=0, max_value=200 * 86_400)
LEADS = st.sampled_from(["L1", "L2", "L3", "L4", "L7"])
DETAILS = st.sampled_from(["pricing", "careers", "blog", "c1", "demo", "contact", ""])
# Tech changes are left out: a later tech_added/tech_removed is what tells which tools the
# export's (later) technologies list did not have yet at the cutoff; see test_account_features.
ACCOUNT_TYPES = st.sampled_from(["hiring", "hiring_sales", "funding", "layoff", "press"])


def _stamp(seconds: int) -> str:
    return (EARLY + pd.Timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def early_table(fixture_dir: Path) -> pd.DataFrame:
    return _table(fixture_dir, cutoffs=(EARLY, CUTOFF))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.lists(
        st.tuples(LEADS, AFTER_SECONDS, st.sampled_from(EVENT_TYPES), DETAILS), max_size=12
    ),
    account_events=st.lists(st.tuples(AFTER_SECONDS, ACCOUNT_TYPES), max_size=4),
    outcomes=st.lists(st.tuples(st.sampled_from(["L1", "L2", "L7"]), AFTER_SECONDS), max_size=2),
)
def test_appending_the_future_never_changes_features(
    early_table: pd.DataFrame, events, account_events, outcomes
) -> None:
    extra = {
        "events": FIXTURE["events"]
        + "".join(f"{lead},{_stamp(s)},{kind},{detail}\n" for lead, s, kind, detail in events),
        "account_events": FIXTURE["account_events"]
        + "".join(f"A1,{_stamp(s)},{kind},\n" for s, kind in account_events),
        "outcomes": FIXTURE["outcomes"]
        + "".join(f"{lead},{_stamp(s + 1)}\n" for lead, s in outcomes),
    }
    with tempfile.TemporaryDirectory() as folder:
        future = _table(write_tables(Path(folder), {**FIXTURE, **extra}), cutoffs=(EARLY, CUTOFF))
    before = early_table[early_table["cutoff"] == EARLY].drop(columns=["label"])
    after = future[future["cutoff"] == EARLY].drop(columns=["label"])
    assert sorted(before.index) == ["L1", "L2"]  # L3 converted on Jan 15, L7 came later
    pd.testing.assert_frame_equal(before, after)


def test_the_label_uses_only_the_horizon(fixture_dir: Path, tmp_path: Path) -> None:
    outcomes = FIXTURE["outcomes"].replace("L2,2025-06-15", "L2,2025-05-30")
    folder = write_tables(tmp_path / "edge", {**FIXTURE, "outcomes": outcomes})
    assert _table(folder).loc["L2", "label"] == 1  # exactly cutoff + 90 days: inside
    outcomes = FIXTURE["outcomes"].replace("L2,2025-06-15T00:00:00Z", "L2,2025-05-30T00:00:01Z")
    folder = write_tables(tmp_path / "edge2", {**FIXTURE, "outcomes": outcomes})
    assert _table(folder).loc["L2", "label"] == 0


# -- on synthetic data ---------------------------------------------------------------------------


def test_synthetic_table_matches_the_ground_truth_and_carries_signal(
    synthetic_b2b: Path, tmp_path: Path
) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    from leadscore.synthetic import conversion_probability

    cutoffs = ["2025-04-01", "2025-08-01"]
    table = build_training_table(synthetic_b2b, cutoffs, 90, interim_dir=tmp_path, now=NOW)
    frame = table.frame
    leads = pd.read_parquet(synthetic_b2b / "leads.parquet")
    truth = conversion_probability(synthetic_b2b, cutoffs, 90)
    truth = truth[truth["lead_id"].isin(leads.loc[leads["consent"], "lead_id"])]
    keys = ["lead_id", "cutoff"]
    merged = frame[[*keys, "label"]].merge(truth, on=keys, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), "entity rows differ from the eligible leads"
    assert abs(merged["label"].sum() - merged["probability"].sum()) < 4 * np.sqrt(
        merged["probability"].sum()
    )
    # A model on the features ranks well out of time, below the oracle (which also knows the
    # hidden stage and noise): train on the first cutoff, test on the second.
    numeric = [
        f.name for f in table.catalogue if f.kind == "numeric" and frame[f.name].notna().any()
    ]
    train, test = (frame[frame["cutoff"] == pd.Timestamp(c, tz="UTC")] for c in cutoffs)
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, random_state=0)
    model.fit(train[numeric], train["label"])
    auc = roc_auc_score(test["label"], model.predict_proba(test[numeric])[:, 1])
    later = merged[merged["cutoff"] == pd.Timestamp(cutoffs[1], tz="UTC")]
    assert 0.70 < auc < roc_auc_score(later["label"], later["probability"])
    assert frame["n_actions_30d"].le(frame["n_actions_90d"]).all()
    assert frame["active_days_7d"].le(7).all()


def test_nobody_to_score_gives_an_empty_table_with_every_column(fixture_dir: Path) -> None:
    # only L5 exists on 2024-10-02, a customer from before the data
    table = build_scoring_table(fixture_dir, "2024-10-02", interim_dir=tempfile.mkdtemp(), now=NOW)
    assert len(table.frame) == 0
    assert table.skipped["customer before the data"] == 1
    assert list(table.frame.columns[3:]) == table.feature_names


def test_b2c_data_without_accounts(tmp_path: Path) -> None:
    from leadscore.synthetic import generate

    generate(tmp_path / "b2c", profile="b2c", n_leads=1500, seed=4)
    frame = _table(tmp_path / "b2c", cutoffs=[pd.Timestamp("2025-06-01", tz="UTC")])
    assert frame["age_band"].notna().mean() > 0.8
    assert frame["account_hiring_90d"].isna().all()
    assert frame["n_actions_90d"].sum() > 0


def test_csv_and_parquet_exports_give_the_same_table(tmp_path: Path) -> None:
    from leadscore.synthetic import generate

    generate(tmp_path / "csv", n_leads=800, seed=4, file_format="csv")
    generate(tmp_path / "parquet", n_leads=800, seed=4)
    cutoffs = [pd.Timestamp("2025-06-01", tz="UTC")]
    pd.testing.assert_frame_equal(
        _table(tmp_path / "csv", cutoffs=cutoffs), _table(tmp_path / "parquet", cutoffs=cutoffs)
    )


def test_same_data_same_features_bit_for_bit(
    synthetic_b2b: Path, monthly_table, tmp_path: Path
) -> None:
    """Also whatever other cutoffs a table has: the cache serves some cutoffs of a larger table."""
    cutoffs = ["2025-03-01", "2025-09-01"]
    first = build_training_table(synthetic_b2b, cutoffs, 90, interim_dir=tmp_path / "a", now=NOW)
    again = build_training_table(synthetic_b2b, cutoffs, 90, interim_dir=tmp_path / "b", now=NOW)
    of_twelve = monthly_table.frame[monthly_table.frame["cutoff"].isin(first.cutoffs)]
    for other in (again.frame, of_twelve.reset_index(drop=True)):
        for column in first.frame.columns:
            left, right = first.frame[column].to_numpy(), other[column].to_numpy()
            assert left.dtype == right.dtype
            assert (pd.isna(left) == pd.isna(right)).all() and (
                left[~pd.isna(left)] == right[~pd.isna(right)]
            ).all(), column


def test_portable_sql_running_totals_equal_the_numpy_ones(tmp_path: Path) -> None:
    import duckdb

    from leadscore.features import behaviour
    from leadscore.features.settings import load_settings
    from leadscore.features.windows import running_totals
    from leadscore.synthetic import generate

    generate(tmp_path / "data", n_leads=1500, seed=8)
    staged = stage_dataset(tmp_path / "data", interim_dir=tmp_path / "interim", now=NOW)
    settings = load_settings()
    con = duckdb.connect()
    keys = staged.leads[["lead_id"]].assign(lead_idx=range(len(staged.leads)))
    con.register("keys", keys)
    events = f"read_parquet({behaviour.lit(str(staged.paths['events']))})"
    cutoff_days = [20120, 20180, 20240]  # 2025-02-01, 2025-04-02, 2025-06-01
    con.execute(f"CREATE TABLE daily AS {behaviour.daily_sql(events, 'keys', 20240, settings)}")
    con.execute(
        "CREATE TABLE population AS SELECT lead_idx, c AS cutoff_day FROM keys, "
        f"unnest({cutoff_days}) AS t(c)"
    )
    by_sql = con.sql(behaviour.running_totals_sql("daily", "population", settings)).df()
    by_numpy = running_totals(
        con.execute("SELECT * FROM daily").fetchnumpy(),
        con.execute("SELECT * FROM population").fetchnumpy(),
        behaviour.boundaries(settings),
        behaviour.last_day_columns(settings),
    ).to_pandas()
    order = ["lead_idx", "cutoff_day"]
    by_sql = by_sql.sort_values(order).reset_index(drop=True)
    by_numpy = by_numpy.sort_values(order).reset_index(drop=True)[by_sql.columns]
    assert len(by_sql) == 3 * 1500
    pd.testing.assert_frame_equal(by_sql, by_numpy, check_dtype=False)


def test_default_cutoffs_span_the_data_and_leave_one_horizon(fixture_dir: Path) -> None:
    from leadscore.features.pipeline import default_cutoffs

    staged = stage_dataset(fixture_dir, interim_dir=tempfile.mkdtemp(), now=NOW)
    cutoffs = default_cutoffs(staged, 90)
    # first event 2024-12-01 -> first cutoff 2025-02-01; data end 2025-06-30 -> last 2025-04-01
    assert cutoffs == [
        pd.Timestamp(d, tz="UTC") for d in ("2025-02-01", "2025-03-01", "2025-04-01")
    ]
    with pytest.raises(LeadscoreError, match="too short"):
        default_cutoffs(staged, 300)


# -- dates the data cannot serve -----------------------------------------------------------------

# FIXTURE: the first lead was created on 2024-10-01, the latest timestamp is 2025-06-30 12:00.
COVERAGE = "the data runs from 2024-10-01, when the first lead was created, to 2025-06-30"


def test_monthly_cutoffs_span_the_whole_range_however_long() -> None:
    cutoffs = parse_cutoffs("monthly:1900-01-31:2025-12-31")
    assert len(cutoffs) == 126 * 12
    assert cutoffs[-1] == pd.Timestamp("2025-12-31", tz="UTC")
    assert [f"{c:%m-%d}" for c in cutoffs[:3]] == ["01-31", "02-28", "03-31"]  # no drift


@pytest.mark.parametrize(
    "value",
    ["nan", "", "  ", "01.03.2025", "3/1/2025", "2025-02-30", "99999-01-01", "today", "soon"],
)
def test_unparseable_dates_are_refused_naming_the_parameter(value: str) -> None:
    with pytest.raises(LeadscoreError, match="^" + re.escape(f"`as_of` {value!r} is not a date")):
        to_cutoff(value, "`as_of`")
    with pytest.raises(LeadscoreError, match=r"^`cutoffs`"):
        parse_cutoffs(f"2025-01-01,{value}" if value.strip() else ",")
    with pytest.raises(LeadscoreError, match=r"^`cutoffs`"):
        parse_cutoffs(f"monthly:2025-01-01:{value}")


def test_cutoffs_before_the_data_are_refused_with_its_range(fixture_dir: Path) -> None:
    interim = Path(tempfile.mkdtemp())
    for cutoffs in (["1999-01-01"], "monthly:1990-01-01:2025-03-01", ["2024-10-01", CUTOFF]):
        with pytest.raises(CutoffError, match="no lead had been created yet") as caught:
            build_training_table(fixture_dir, cutoffs, 90, interim_dir=interim, now=NOW)
        assert COVERAGE in str(caught.value)
        assert "The first usable date is 2024-10-02" in str(caught.value)
    with pytest.raises(CutoffError, match=r"^as-of date 1990-01-01: no lead had been created"):
        build_scoring_table(fixture_dir, "1990-01-01", interim_dir=interim, now=NOW)


def test_as_of_far_after_the_data_is_refused_and_later_than_the_default_warned(
    fixture_dir: Path,
) -> None:
    interim = Path(tempfile.mkdtemp())
    default = build_scoring_table(fixture_dir, interim_dir=interim, now=NOW)
    assert default.warnings == []
    later = build_scoring_table(fixture_dir, "2025-07-15", interim_dir=interim, now=NOW)
    assert later.warnings == [
        f"warning: as-of date 2025-07-15 is after the data ends ({COVERAGE}, its latest "
        "timestamp): activity since then is unknown and counts as none."
    ]
    last = pd.Timestamp("2025-06-30", tz="UTC") + pd.Timedelta(days=MAX_DAYS_AFTER_DATA)
    assert build_scoring_table(fixture_dir, last, interim_dir=interim, now=NOW).warnings
    with pytest.raises(CutoffError, match=r"2199-01-01 is 63,\d+ days after the data ends") as e:
        build_scoring_table(fixture_dir, "2199-01-01", interim_dir=interim, now=NOW)
    assert COVERAGE in str(e.value)
    assert f"from 2025-07-01 (the default) to {last:%Y-%m-%d}" in str(e.value)
    with pytest.raises(CutoffError):
        build_scoring_table(fixture_dir, last + pd.Timedelta(days=1), interim_dir=interim, now=NOW)


def test_a_training_table_without_rows_is_refused(fixture_dir: Path) -> None:
    # on 2024-10-02 only L5 exists, a customer from before the data
    with pytest.raises(CutoffError, match=r"no lead can be trained on at cutoff\(s\) 2024-10-02"):
        _table(fixture_dir, cutoffs=[pd.Timestamp("2024-10-02", tz="UTC")])


def test_data_warnings_reach_the_feature_table(tmp_path: Path) -> None:
    outcomes = FIXTURE["outcomes"].replace("L3,2025-01-15", "L3,2024-12-01")  # before creation
    folder = write_tables(tmp_path / "early", {**FIXTURE, "outcomes": outcomes})
    table = build_training_table(folder, [CUTOFF], 90, interim_dir=tmp_path / "i", now=NOW)
    assert len(table.warnings) == 1
    assert table.warnings[0].startswith("warning: outcomes.csv, column 'converted_at'")


# -- the cache -----------------------------------------------------------------------------------


def test_a_second_build_from_the_same_inputs_is_read_from_the_cache(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "data", FIXTURE)
    first = build_training_table(folder, [EARLY, CUTOFF], 90, interim_dir=tmp_path / "i", now=NOW)
    steps: list[str] = []
    again = build_training_table(
        folder, [EARLY, CUTOFF], 90, interim_dir=tmp_path / "i", now=NOW, on_step=steps.append
    )
    assert (first.from_cache, again.from_cache) == (False, True)
    assert steps == ["validated and staged the data", "read the training table from the cache"]
    pd.testing.assert_frame_equal(again.frame, first.frame)  # column types included
    assert again.catalogue == first.catalogue and again.settings == first.settings
    assert (again.cutoffs, again.horizon_days) == (first.cutoffs, first.horizon_days)
    assert (again.fingerprint, again.warnings) == (first.fingerprint, first.warnings)
    assert again.seconds < first.seconds
    no_cache = build_training_table(
        folder, [EARLY, CUTOFF], 90, interim_dir=tmp_path / "i", now=NOW, cache=False
    )
    assert not no_cache.from_cache


def test_a_table_for_some_cutoffs_is_cut_from_a_cached_table_of_more(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "data", FIXTURE)
    build_training_table(folder, [EARLY, CUTOFF], 90, interim_dir=tmp_path / "i", now=NOW)
    some = build_training_table(folder, [CUTOFF], 90, interim_dir=tmp_path / "i", now=NOW)
    fresh = build_training_table(folder, [CUTOFF], 90, interim_dir=tmp_path, now=NOW, cache=False)
    assert some.from_cache and some.cutoffs == [CUTOFF]
    pd.testing.assert_frame_equal(some.frame, fresh.frame, check_exact=True)


def test_other_cutoffs_horizon_or_settings_are_not_served_from_the_cache(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "data", FIXTURE)

    def build(cutoffs=(CUTOFF,), horizon=90, settings=None):
        return build_training_table(
            folder, list(cutoffs), horizon, settings=settings, interim_dir=tmp_path, now=NOW
        )

    build()
    other_settings = tmp_path / "settings.yaml"
    other_settings.write_text("half_lives_days: [7, 30, 90]\n")
    for changed in (
        build(cutoffs=(EARLY, CUTOFF)),
        build(horizon=60),
        build(settings=other_settings),
    ):
        assert not changed.from_cache
    same = tmp_path / "the-defaults-again.yaml"
    same.write_text("windows_days: [7, 30, 90, 365]\n")
    assert build(settings=same).from_cache  # the same settings from another file: the same table


def test_an_edited_event_invalidates_the_cache_and_changes_only_later_features(
    tmp_path: Path,
) -> None:
    folder = write_tables(tmp_path / "data", FIXTURE)
    before = build_training_table(folder, [EARLY, CUTOFF], 90, interim_dir=tmp_path / "i", now=NOW)
    visit = "L1,2025-02-22T00:00:00Z,page_view,"  # after EARLY, 7 days before CUTOFF
    events = FIXTURE["events"].replace(visit + "pricing", visit + "blog")
    (folder / "events.csv").write_text(events)
    after = build_training_table(folder, [EARLY, CUTOFF], 90, interim_dir=tmp_path / "i", now=NOW)
    assert not after.from_cache and after.fingerprint != before.fingerprint

    old, new = (t.frame.set_index(["cutoff", "lead_id"]) for t in (before, after))
    changed = (old != new) & ~(old.isna() & new.isna())
    assert changed.any(axis=1)[changed.any(axis=1)].index.tolist() == [(CUTOFF, "L1")]
    l1_old, l1_new = old.loc[(CUTOFF, "L1")], new.loc[(CUTOFF, "L1")]
    assert (l1_old["n_page_pricing_7d"], l1_new["n_page_pricing_7d"]) == (2, 1)
    assert (l1_old["n_page_blog_7d"], l1_new["n_page_blog_7d"]) == (0, 1)
    # the pricing visit was an intent signal exactly one half-life (7 days) old
    assert l1_old["decayed_intent_hl7d"] - l1_new["decayed_intent_hl7d"] == pytest.approx(0.5)


def _leadscore(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leadscore", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "300", "LEADSCORE_HOME": str(cwd)},
    )


def test_the_command_line_names_the_option_of_a_bad_date(fixture_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "training.parquet"
    before_data = _leadscore(
        tmp_path, "features", "--data", fixture_dir, "--cutoffs", "1999-01-01", "--out", out
    )
    bad_as_of = _leadscore(tmp_path, "score", "--data", fixture_dir, "--as-of", "01.03.2025")
    for result, message in (
        (before_data, "error: --cutoffs '1999-01-01': cutoff(s) 1999-01-01: no lead had been"),
        (bad_as_of, "error: --as-of '01.03.2025' is not a date (use YYYY-MM-DD)."),
    ):
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert message in " ".join(result.stderr.split())
    assert not out.exists()
