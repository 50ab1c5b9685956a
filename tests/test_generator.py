"""The synthetic generator: valid, deterministic, atomic, and realistic enough to learn from."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from conftest import NOW
from leadscore.cli import app
from leadscore.contract import ACCOUNT_EVENT_TYPES, EVENT_TYPES, PAGE_CATEGORIES
from leadscore.dataset import load_dataset
from leadscore.errors import LeadscoreError
from leadscore.synthetic import conversion_probability, generate
from leadscore.synthetic import generator as generator_module
from leadscore.synthetic.flat import messy_flat_table

DAY = pd.Timedelta(days=1)
ICP_INDUSTRIES = [
    "software",
    "it_services",
    "manufacturing",
    "financial_services",
    "professional_services",
]


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    paths = sorted(folder.glob("*.parquet")) + sorted(folder.glob("ground_truth/*.parquet"))
    return {p.relative_to(folder).as_posix(): pd.read_parquet(p) for p in paths}


@pytest.fixture(scope="module")
def loaded(synthetic_b2b: Path):
    data = load_dataset(synthetic_b2b, now=NOW)
    truth = pd.read_parquet(synthetic_b2b / "ground_truth" / "leads.parquet")
    leads = data.leads.merge(truth, on="lead_id").merge(data.outcomes, on="lead_id", how="left")
    return data, leads


def _eligible_at(leads: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int = 90):
    """Leads that existed and had not converted before the cutoff, with their label."""
    alive = (leads["created_at"] < cutoff) & ~(leads["converted_at"] <= cutoff)
    frame = leads.loc[alive].copy()
    frame["label"] = (frame["converted_at"] > cutoff) & (
        frame["converted_at"] <= cutoff + horizon_days * DAY
    )
    return frame


# -- contract, determinism, atomic output ------------------------------------------------------


@pytest.mark.parametrize("profile", ["b2b", "b2c"])
def test_output_satisfies_the_contract_without_warnings(tmp_path: Path, profile: str) -> None:
    generate(tmp_path, profile=profile, n_leads=800, seed=5)
    data = load_dataset(tmp_path, now=NOW)
    assert data.problems == []
    assert len(data.leads) == 800
    assert (len(data.accounts) > 0) == (profile == "b2b")
    if profile == "b2c":
        assert data.leads["age"].notna().mean() > 0.8
        assert data.leads["account_id"].isna().all()


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", n_leads=600, seed=3)
    generate(tmp_path / "b", n_leads=600, seed=3)
    generate(tmp_path / "c", n_leads=600, seed=4)
    a, b, c = (_tables(tmp_path / x) for x in "abc")
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    assert not a["events.parquet"].equals(c["events.parquet"])


def test_csv_and_parquet_hold_the_same_data(tmp_path: Path) -> None:
    generate(tmp_path / "pq", n_leads=400, seed=9)
    generate(tmp_path / "csv", n_leads=400, seed=9, file_format="csv")
    assert not list((tmp_path / "csv").glob("*.parquet"))
    from_parquet = load_dataset(tmp_path / "pq", now=NOW)
    from_csv = load_dataset(tmp_path / "csv", now=NOW)
    for name in ("leads", "accounts", "events", "account_events", "outcomes"):
        pd.testing.assert_frame_equal(from_parquet.table(name), from_csv.table(name), obj=name)


def test_a_failed_run_leaves_the_previous_output_intact(tmp_path: Path, monkeypatch) -> None:
    generate(tmp_path, n_leads=300, seed=1)
    before = _tables(tmp_path)
    calls = {"n": 0}
    real = generator_module._emit_emails

    def fail_on_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed mid-run")
        return real(*args, **kwargs)

    monkeypatch.setattr(generator_module, "CHUNK_LEADS", 200)
    monkeypatch.setattr(generator_module, "_emit_emails", fail_on_second_chunk)
    with pytest.raises(RuntimeError, match="killed"):
        generate(tmp_path, n_leads=500, seed=2)
    after = _tables(tmp_path)
    assert after.keys() == before.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging left behind"


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match="unknown profile"):
        generate(tmp_path, profile="b2x", n_leads=10)
    with pytest.raises(LeadscoreError, match="too short"):
        generate(tmp_path, n_leads=10, start="2025-01-01", end="2025-01-15")


def test_a_folder_holding_other_files_is_refused_and_left_untouched(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    mine = {"leads.csv": b"lead_id\nL1\n", "accounts.parquet": b"PAR1", "notes.txt": b"mine"}
    for name, content in mine.items():
        (export / name).write_bytes(content)
    with pytest.raises(LeadscoreError) as caught:
        generate(export, profile="b2c", n_leads=200, seed=1)
    message = str(caught.value)
    assert "holds files that are not an earlier synthetic dataset" in message
    assert "accounts.parquet, leads.csv, notes.txt" in message
    assert {p.name: p.read_bytes() for p in export.iterdir()} == mine  # nothing written
    (tmp_path / "file").write_text("mine")
    with pytest.raises(LeadscoreError, match="is a file: give a folder"):
        generate(tmp_path / "file", n_leads=200, seed=1)
    assert (tmp_path / "file").read_text() == "mine"


def test_an_earlier_synthetic_dataset_is_replaced_also_in_another_format(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / ".gitkeep").write_text("")  # hidden files do not make a folder someone's
    generate(data, n_leads=200, seed=1)
    (data / "notes.txt").write_text("mine")
    generate(data, profile="b2c", n_leads=200, seed=2, file_format="csv")
    names = sorted(p.name for p in data.iterdir() if p.is_file())
    assert names == [".gitkeep", "events.csv", "leads.csv", "notes.txt", "outcomes.csv"]
    assert (data / "notes.txt").read_text() == "mine"
    assert '"profile": "b2c"' in (data / "ground_truth" / "params.json").read_text()


def _contents(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_only_files_the_generator_wrote_are_replaced_or_removed(tmp_path: Path) -> None:
    data = tmp_path / "gen1"
    generate(data, n_leads=200, seed=1, file_format="csv")
    recorded = json.loads((data / "ground_truth" / "params.json").read_text())["files"]
    assert sorted(recorded) == sorted(
        [f"{n}.csv" for n in ("accounts", "account_events", "events", "leads", "outcomes")]
        + ["ground_truth/leads.parquet", "ground_truth/stages.parquet"]
    )
    assert (
        recorded["leads.csv"]["sha256"]
        == hashlib.sha256((data / "leads.csv").read_bytes()).hexdigest()
    )

    (data / "leads.csv").write_text("lead_id,email\nL1,real.person@example.com\n")  # a real export
    (data / "accounts.parquet").write_bytes(b"PAR1 a real export")  # beside a recorded csv
    before = _contents(data)
    for file_format in ("parquet", "csv"):  # the csv would be removed, or replaced
        with pytest.raises(LeadscoreError) as caught:
            generate(data, n_leads=200, seed=2, file_format=file_format)
        message = " ".join(str(caught.value).split())
        assert (
            "would replace or remove accounts.parquet, leads.csv, which an earlier run" in message
        )
        assert _contents(data) == before, "nothing may be written or removed"

    (data / "leads.csv").unlink()
    (data / "accounts.parquet").unlink()
    generate(data, n_leads=200, seed=3, file_format="parquet")  # own, unchanged files: replaced
    assert not list(data.glob("*.csv"))
    assert len(pd.read_parquet(data / "leads.parquet")) == 200


def test_an_earlier_dataset_without_checksums_is_not_replaced(tmp_path: Path) -> None:
    generate(tmp_path, n_leads=200, seed=1)
    params = tmp_path / "ground_truth" / "params.json"
    content = json.loads(params.read_text())
    del content["files"]  # as older versions wrote it: the tables may be anyone's now
    params.write_text(json.dumps(content))
    before = _contents(tmp_path)
    with pytest.raises(LeadscoreError, match="older versions recorded no checksums"):
        generate(tmp_path, n_leads=200, seed=2)
    assert _contents(tmp_path) == before


def test_the_cli_refuses_a_real_export_in_a_synthetic_folder(tmp_path: Path) -> None:
    data = tmp_path / "gen1"
    generate(data, n_leads=100, seed=1, file_format="csv")
    (data / "leads.csv").write_text("lead_id\nL1\n")
    result = CliRunner().invoke(
        app, ["generate", "--out", str(data), "--leads", "100", "--format", "parquet"]
    )
    assert result.exit_code == 1
    assert "leads.csv" in str(result.exception)
    assert (data / "leads.csv").read_text() == "lead_id\nL1\n"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["generate-flat", "--rows", "0"], "--rows"),
        (["generate-flat", "--rows", "-5"], "--rows"),
        (["generate-flat", "--seed", "-1"], "--seed"),
        (["generate", "--seed", "-1"], "--seed"),
    ],
)
def test_impossible_sizes_and_seeds_are_option_errors(
    tmp_path: Path, args: list[str], option: str
) -> None:
    out = tmp_path / ("crm.csv" if args[0] == "generate-flat" else "gen")
    result = CliRunner().invoke(app, [*args, "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output
    assert not out.exists()


def test_the_flat_generator_refuses_impossible_sizes_and_seeds() -> None:
    with pytest.raises(LeadscoreError, match="n_rows is 0"):
        messy_flat_table(0)
    with pytest.raises(LeadscoreError, match="seed is -1"):
        messy_flat_table(10, seed=-1)


# -- realism -----------------------------------------------------------------------------------


def test_volume_is_about_a_hundred_events_per_lead(loaded) -> None:
    data, _ = loaded
    assert 60 < len(data.events) / len(data.leads) < 140
    assert 0.85 < data.leads["consent"].mean() < 0.97


def test_openers_click_less_than_they_open(loaded) -> None:
    data, _ = loaded
    counts = data.events["event_type"].value_counts()
    assert counts["email_open"] < 0.5 * counts["email_delivered"]
    assert counts["email_click"] < 0.5 * counts["email_open"]
    emails = data.events[data.events["event_type"].isin(["email_open", "email_click"])]
    per_campaign = pd.crosstab([emails["lead_id"], emails["detail"]], emails["event_type"])
    assert (per_campaign["email_click"] <= per_campaign["email_open"]).all()


def test_students_and_competitors_convert_far_less_than_icp_decision_makers(loaded) -> None:
    data, leads = loaded
    leads = leads.merge(data.accounts, on="account_id", how="left", suffixes=("", "_account"))
    converted = leads["converted_at"].notna()
    icp_decision_makers = (
        leads["seniority"].isin(["c_level", "vp", "director"])
        & leads["industry"].isin(ICP_INDUSTRIES)
        & leads["employees"].between(50, 4999).fillna(False)
        & leads["email"].str.split("@").str[1].eq(leads["domain"]).fillna(False)
    )
    students = leads["seniority"].eq("student")
    competitors = leads["email"].str.endswith(("scoreforce.io", "leadpilot.com", "funnelwise.de"))
    rate_icp = converted[icp_decision_makers].mean()
    assert icp_decision_makers.sum() > 300
    assert rate_icp > 0.2
    assert converted[students].mean() < rate_icp / 5
    assert converted[competitors].mean() < rate_icp / 10


def test_recent_pricing_or_demo_activity_raises_conversion(loaded) -> None:
    data, leads = loaded
    cutoff = pd.Timestamp("2025-09-01", tz="UTC")
    eligible = _eligible_at(leads, cutoff)
    events = data.events
    intent = events["event_type"].eq("demo_request") | (
        events["event_type"].eq("page_view") & events["detail"].eq("pricing")
    )
    recent = events.loc[
        intent & events["occurred_at"].between(cutoff - 30 * DAY, cutoff, inclusive="left"),
        "lead_id",
    ]
    hot = eligible["lead_id"].isin(recent)
    assert hot.sum() > 200
    assert eligible.loc[hot, "label"].mean() > 3 * eligible.loc[~hot, "label"].mean()


def test_old_activity_matters_less_than_recent_activity(loaded) -> None:
    data, leads = loaded
    cutoff = pd.Timestamp("2025-12-01", tz="UTC")
    eligible = _eligible_at(leads, cutoff)
    pricing = data.events[data.events["detail"].eq("pricing")]
    age = (
        cutoff
        - pricing.loc[pricing["occurred_at"] < cutoff].groupby("lead_id")["occurred_at"].max()
    ).dt.days
    last_visit = eligible["lead_id"].map(age)
    recent = eligible.loc[last_visit <= 30, "label"].mean()
    old = eligible.loc[last_visit.between(180, 365), "label"].mean()
    assert recent > 2 * old


def test_engagement_intensifies_before_conversion(loaded) -> None:
    data, leads = loaded
    start = pd.Timestamp("2025-01-01", tz="UTC")
    converted = leads.loc[leads["converted_at"] > start, ["lead_id", "converted_at"]]
    events = data.events.merge(converted, on="lead_id")
    days_before = (events["converted_at"] - events["occurred_at"]) / DAY
    last_two_weeks = days_before.between(0, 14, inclusive="right").sum() / 14
    two_months_earlier = days_before.between(60, 90, inclusive="right").sum() / 30
    assert last_two_weeks > 2 * two_months_earlier


def test_careers_page_readers_are_job_seekers_who_rarely_buy(loaded) -> None:
    data, leads = loaded
    page_views = data.events[data.events["event_type"].eq("page_view")]
    careers = page_views.loc[page_views["detail"].eq("careers"), "lead_id"].value_counts()
    heavy = leads["lead_id"].isin(careers[careers >= 3].index)
    assert heavy.sum() > 200
    assert (leads.loc[heavy, "persona"] == "job_seeker").mean() > 0.5
    # Compared with leads equally active on the website, careers readers convert far less.
    activity = leads["lead_id"].map(page_views["lead_id"].value_counts()).fillna(0)
    band = pd.qcut(activity.rank(method="first"), 5, labels=False)
    converted = leads["converted_at"].notna()
    rate_by_band = converted[~heavy].groupby(band[~heavy]).mean()
    expected = band[heavy].map(rate_by_band).sum()
    assert converted[heavy].sum() < 0.6 * expected


def test_titles_are_messy_like_real_exports(loaded) -> None:
    _, leads = loaded
    titles = leads["job_title"].dropna()
    assert titles.nunique() > 400
    assert titles.str.contains("(m/w/d)", regex=False).any()
    assert titles.str.contains("leiter", case=False).any()
    assert titles.str.fullmatch(r"[a-zäöüß \-&]+").sum() > 100  # all lower case
    assert titles.str.contains("werkstudent", case=False).any()


def test_email_domains_cover_every_type(loaded) -> None:
    _, leads = loaded
    domains = leads["email"].dropna().str.split("@").str[1]
    assert domains.isin(["gmail.com", "gmx.de", "web.de"]).mean() > 0.05
    assert domains.str.endswith(("tum.de", ".edu", "ethz.ch")).any()
    assert domains.eq("northwind-analytics.com").any()
    assert leads["lifecycle_stage"].eq("customer").mean() > 0.02


def test_account_events_cover_every_type_and_hiring_comes_in_bursts(loaded) -> None:
    data, _ = loaded
    events = data.account_events
    assert set(events["event_type"]) == set(ACCOUNT_EVENT_TYPES)
    hiring = events[events["event_type"].eq("hiring")].sort_values(["account_id", "occurred_at"])
    gaps = hiring.groupby("account_id")["occurred_at"].diff().dropna() / DAY
    assert (gaps < 21).mean() > 0.5


def test_only_contract_vocabulary_is_emitted(loaded) -> None:
    data, _ = loaded
    assert set(data.events["event_type"]) == set(EVENT_TYPES)
    pages = data.events.loc[data.events["event_type"].eq("page_view"), "detail"]
    assert set(pages) <= set(PAGE_CATEGORIES)


# -- ground truth ------------------------------------------------------------------------------


def test_ground_truth_is_calibrated_and_better_than_chance_but_not_perfect(
    synthetic_b2b: Path, loaded
) -> None:
    _, leads = loaded
    cutoffs = [pd.Timestamp(d, tz="UTC") for d in ("2025-03-01", "2025-07-01", "2025-11-01")]
    truth = conversion_probability(synthetic_b2b, cutoffs, horizon_days=90)
    labelled = pd.concat(
        [_eligible_at(leads, c).assign(cutoff=c)[["lead_id", "cutoff", "label"]] for c in cutoffs]
    )
    merged = labelled.merge(truth, on=["lead_id", "cutoff"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), "truth covers exactly the eligible leads"
    # Calibration: predicted and realised conversion agree overall and per decile.
    expected, realised = merged["probability"].sum(), merged["label"].sum()
    assert abs(realised - expected) < 4 * np.sqrt(expected)
    decile = pd.qcut(merged["probability"].rank(method="first"), 10, labels=False)
    by_decile = merged.groupby(decile)[["probability", "label"]].sum()
    top = by_decile.iloc[-1]
    assert abs(top["label"] - top["probability"]) < 4 * np.sqrt(top["probability"])
    auc = roc_auc_score(merged["label"], merged["probability"])
    assert 0.75 < auc < 0.97


def test_ground_truth_refuses_cutoffs_outside_the_period(synthetic_b2b: Path) -> None:
    with pytest.raises(LeadscoreError, match="outside the simulated period"):
        conversion_probability(synthetic_b2b, ["2030-01-01"])


def test_account_events_move_the_true_probability(synthetic_b2b: Path, loaded) -> None:
    data, leads = loaded
    cutoff = pd.Timestamp("2025-09-01", tz="UTC")
    truth = conversion_probability(synthetic_b2b, [cutoff]).merge(
        leads[["lead_id", "account_id"]], on="lead_id"
    )
    truth = truth[truth["account_id"].notna()]
    events = data.account_events

    def ratio(kind: str, days: int) -> float:
        recent = events["event_type"].eq(kind) & events["occurred_at"].between(
            cutoff - days * DAY, cutoff, inclusive="left"
        )
        hit = truth["account_id"].isin(events.loc[recent, "account_id"])
        assert hit.sum() > 100
        return truth.loc[hit, "probability"].mean() / truth.loc[~hit, "probability"].mean()

    assert ratio("funding", 120) > 1.2
    assert ratio("layoff", 180) < 0.9
    assert 0.85 < ratio("press", 60) < 1.15  # press has no effect in the model
