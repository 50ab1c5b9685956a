"""The leakage audit: real leaks caught with their evidence, leak-free tables never flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.flat_table import load_flat_table
from leadscore.modeling.leakage import audit_flat_table, leakage_audit, post_contact_word
from leadscore.synthetic.flat import GERMAN_HEADERS, messy_flat_table, planted_leaks

#: The leaks :func:`crm_table` plants, each drawn from the outcome (never a cause of it).
LEAKS = {"Lead Quality", "Last Call Duration", "Opportunity Amount", "Lost Reason", "Field 17"}


def crm_table(
    n: int, seed: int, *, leaks: bool = True, strong_honest: bool = False
) -> tuple[pd.DataFrame, np.ndarray]:
    """A lead table whose conversion has honest causes, with honest traps and optional leaks.

    Honest traps: sparse columns whose missingness is random ("Fax") or follows an honest
    cause ("Annual Revenue" for big companies, "Webinar Topic" for attendees, "Demo Slot"
    for demo requests), suggestive names without signal ("Preferred Call Time", "Account
    Status"), an id-like column. ``strong_honest`` makes the pricing page a cause with ROC AUC
    ~0.78 alone. Leaks: a sales rating (~0.8), a call duration known after the outcome (~0.8,
    blank for 40 % of unconverted leads), sparse columns filled by outcome, one with a bland
    name ("Field 17").
    """
    rng = np.random.default_rng(seed)
    employees = np.round(rng.lognormal(4.5, 1.4, n))
    levels = {"Intern": -1.2, "Specialist": 0.0, "Manager": 0.5, "Director": 0.9, "C-Level": 1.0}
    level = rng.choice(list(levels), n, p=[0.15, 0.35, 0.25, 0.15, 0.1])
    views, pricing = rng.poisson(5, n), rng.poisson(0.7, n)
    demo, webinar = rng.random(n) < 0.1, rng.random(n) < 0.2
    status = rng.choice(["prospect", "customer", "partner"], n, p=[0.7, 0.2, 0.1])
    logit = (
        -3.6
        + pd.Series(levels)[level].to_numpy()
        + 0.25 * np.log1p(employees)
        + 0.05 * views
        + 1.4 * demo
        + (2.2 if strong_honest else 0.5) * pricing
        + 0.9 * webinar
        + 0.5 * (status == "customer")
    )
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    big = rng.random(n) < 1 / (1 + np.exp(4.5 - np.log1p(employees)))
    X = pd.DataFrame(
        {
            "Lead Number": rng.permutation(n),
            "Employees": employees,
            "Job Level": level,
            "Page Views": views,
            "Demo Requested": demo,
            "Demo Slot": np.where(demo, rng.choice(["am", "pm"], n), None),
            "Pricing Visits": pricing,
            "Account Status": status,
            "Country": rng.choice(["DE", "AT", "CH", "FR"], n),
            "Annual Revenue": np.where(big, employees * rng.lognormal(11, 0.5, n), np.nan),
            "Webinar Topic": np.where(webinar, rng.choice(["AI", "Pricing", "Setup"], n), None),
            "Fax": np.where(rng.random(n) < 0.2, rng.integers(1000, 9999, n), np.nan),
            "Preferred Call Time": rng.choice(["morning", "noon", "evening"], n),
        }
    )
    if leaks:
        ratings = ["Worst", "Low", "Not Sure", "Might be", "High"]
        rating = pd.cut(1.7 * y + rng.normal(0, 1, n), [-np.inf, -0.8, 0, 0.8, 1.6, np.inf])
        X["Lead Quality"] = np.where(rng.random(n) < 0.3, None, np.take(ratings, rating.codes))
        duration = np.where(y, rng.lognormal(5.9, 0.8, n), rng.lognormal(5.4, 0.8, n))
        X["Last Call Duration"] = np.where(~y & (rng.random(n) < 0.4), np.nan, duration)
        won = (y & (rng.random(n) < 0.6)) | (~y & (rng.random(n) < 0.02))
        X["Opportunity Amount"] = np.where(won, rng.lognormal(9, 1, n), np.nan)
        lost = (~y & (rng.random(n) < 0.5)) | (y & (rng.random(n) < 0.01))
        X["Lost Reason"] = np.where(lost, rng.choice(["price", "timing", "competitor"], n), None)
        signed = (y & (rng.random(n) < 0.4)) | (~y & (rng.random(n) < 0.01))
        X["Field 17"] = np.where(signed, rng.normal(0, 1, n), np.nan)
    return X, y.astype(int)


def audit_of(X: pd.DataFrame, y: np.ndarray, **kwargs) -> pd.DataFrame:
    """Learned on the first 60 % of the rows, judged on the next 20 % (as compare_flat)."""
    train, valid = int(0.6 * len(y)), int(0.8 * len(y))
    return leakage_audit(X[:train], y[:train], X[train:valid], y[train:valid], **kwargs)


def flagged(audit: pd.DataFrame) -> set[str]:
    return set(audit.loc[audit["flagged"], "feature"])


def row(audit: pd.DataFrame, feature: str) -> pd.Series:
    return audit.set_index("feature").loc[feature]


@pytest.mark.parametrize("seed", [0, 1])
def test_real_leaks_are_flagged_each_with_its_evidence(seed: int) -> None:
    audit = audit_of(*crm_table(6000, seed))
    assert flagged(audit) == LEAKS
    # None of them is near-perfect: the old rule (ROC AUC >= 0.9) missed every one.
    assert audit.loc[audit["flagged"], "roc_auc"].between(0.65, 0.9).all()
    quality = row(audit, "Lead Quality")
    assert quality["evidence"] == "post-contact name; beyond the others"
    assert quality["name_word"] == "quality" and quality["lift"] > 0.04
    amount = row(audit, "Opportunity Amount")
    assert "missingness" in amount["evidence"]
    assert amount["filled_converted"] > 0.5 > 0.05 > amount["filled_not_converted"]
    assert amount["filled_odds_ratio"] > 20
    assert row(audit, "Lost Reason")["filled_odds_ratio"] < 0.1  # filled for lost leads
    # A bland name is no excuse: missingness and the gain over the other columns agree.
    field = row(audit, "Field 17")
    assert field["evidence"] == "missingness; beyond the others" and field["name_word"] == ""
    advice = row(audit, "Last Call Duration")["advice"]
    assert advice.startswith("'Last Call Duration': alone it ranks the held-out conversions")
    assert "filled for 100% of converted leads" in advice and "its name ('call')" in advice
    drop = "Drop it with `drop` 'Last Call Duration' unless its value is known when new leads"
    assert advice.endswith(f"{drop} are scored.")
    assert (audit.loc[~audit["flagged"], "advice"] == "").all()


@pytest.mark.parametrize("strong_honest", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_leak_free_tables_are_never_flagged(seed: int, strong_honest: bool) -> None:
    audit = audit_of(*crm_table(6000, seed, leaks=False, strong_honest=strong_honest))
    assert flagged(audit) == set()
    assert (audit["advice"] == "").all()
    if strong_honest:
        # The honest cause beats every other column put together: that alone is no proof.
        pricing = row(audit, "Pricing Visits")
        assert pricing["roc_auc"] > 0.75 and pricing["evidence"] == "beyond the others"


def test_a_name_alone_never_flags_and_names_are_read_as_written() -> None:
    audit = audit_of(*crm_table(6000, 0, leaks=False))
    assert row(audit, "Preferred Call Time")["name_word"] == "call"
    assert row(audit, "Account Status")["name_word"] == "status"
    assert not audit["evidence"].str.contains("post-contact name").any()
    X, y = crm_table(6000, 0)
    renamed = X.rename(columns={"Lead Quality": "q1", "Field 17": "f17"})
    headers = {"q1": "Lead-Qualität", "f17": "Field 17"}
    audit = audit_of(renamed, y, headers=headers)
    assert row(audit, "q1")[["header", "name_word"]].tolist() == ["Lead-Qualität", "qualität"]
    assert "q1" in flagged(audit)
    assert "Drop it with `drop` q1 unless" in row(audit, "q1")["advice"]


def test_missingness_explained_by_an_honest_column_is_not_flagged() -> None:
    # Demo slots exist only for demo requests, and a demo request converts 20 times as often:
    # "is filled" depends strongly on the outcome, yet the table's own demo column says it all.
    rng = np.random.default_rng(5)
    n = 6000
    demo = rng.random(n) < 0.15
    visits = rng.poisson(3, n)
    y = (rng.random(n) < 1 / (1 + np.exp(3.5 - 3.0 * demo - 0.2 * visits))).astype(int)
    X = pd.DataFrame(
        {
            "demo": demo,
            "visits": visits,
            "demo slot": np.where(demo, rng.choice(["am", "pm"], n), None),
        }
    )
    audit = audit_of(X, y)
    slot = row(audit, "demo slot")
    assert slot["evidence"] == "missingness" and slot["filled_odds_ratio"] > 8
    assert abs(slot["lift"]) < 0.01
    assert flagged(audit) == set()


def test_two_leaks_do_not_hide_each_other() -> None:
    X, y = crm_table(6000, 1, leaks=False)
    rng = np.random.default_rng(1)
    signed = (y == 1) & (rng.random(len(y)) < 0.5) | (y == 0) & (rng.random(len(y)) < 0.01)
    X["Field 17"] = np.where(signed, rng.normal(size=len(y)), np.nan)
    X["Field 18"] = np.where(signed, rng.normal(size=len(y)), np.nan)  # the same rows
    audit = audit_of(X, y)
    assert flagged(audit) == {"Field 17", "Field 18"}
    # Each is measured against the honest columns, not against its twin.
    assert row(audit, "Field 17")["lift"] > 0.05 and row(audit, "Field 18")["lift"] > 0.05


def test_the_threshold_keeps_its_meaning_and_is_checked() -> None:
    X, y = crm_table(3000, 2, leaks=False)
    X["deal_stage"] = np.where(y == 1, "Closed Won", "Select")
    audit = audit_of(X, y)
    assert audit.columns[:4].tolist() == ["feature", "roc_auc", "flagged", "advice"]
    assert audit.loc[0, "feature"] == "deal_stage"
    assert audit.loc[0, "evidence"].startswith("near-perfect")
    assert "Drop it with `drop` deal_stage unless" in audit.loc[0, "advice"]
    strict = audit_of(X.drop(columns="deal_stage"), y, threshold=0.6)
    assert set(strict.loc[strict["roc_auc"] >= 0.6, "feature"]) == flagged(strict) != set()
    with pytest.raises(LeadscoreError, match=r"^`threshold` nan: give a ROC AUC above 0\.5"):
        audit_of(X, y, threshold=float("nan"))


def test_held_out_rows_of_one_class_flag_nothing() -> None:
    X, y = crm_table(1000, 0)
    audit = leakage_audit(X[:600], y[:600], X[600:700], np.zeros(100, dtype=int))
    assert flagged(audit) == set() and audit["roc_auc"].isna().all()


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("Lead Quality", "quality"),
        ("lead_quality", "quality"),
        ("LastCallDuration", "call"),
        ("Deal Stage", "deal"),
        ("Reason Lost", "reason"),
        ("Tags", "tags"),
        ("Next Step", "next step"),
        ("Closed Won", "closed"),
        ("Meeting booked", "meeting"),
        ("Verkaufsphase", "phase"),
        ("Verlustgrund", "grund"),
        ("Dauer letzter Anruf (s)", "dauer"),
        ("Bewertung", "bewertung"),
        ("Abschlussdatum", "abschluss"),
        ("Terminvereinbarung", "termin"),
        ("Verkaufschance Betrag", "verkaufschance"),
        ("Page Views", ""),
        ("Percentage", ""),
        ("Recall Rate", ""),
        ("Stagecoach", ""),
        ("Grundpreis", ""),
        ("Advantage", ""),
    ],
)
def test_post_contact_names(name: str, word: str) -> None:
    assert post_contact_word(name) == word


@pytest.mark.parametrize(("seed", "german"), [(0, False), (3, True)])
def test_the_synthetic_export_flags_exactly_its_planted_leaks(
    tmp_path: Path, seed: int, german: bool
) -> None:
    path = tmp_path / "export.csv"
    messy_flat_table(5000, seed, german=german).to_csv(path, index=False, sep=";")
    header = GERMAN_HEADERS if german else {h: h for h in GERMAN_HEADERS}
    table = load_flat_table(
        path, header["Converted"], id_col=header["Lead ID"], time_col=header["Created Date"]
    )
    audit = audit_flat_table(table)
    assert set(audit.loc[audit["flagged"], "header"]) == set(planted_leaks(german))
    honest = audit.set_index("header").loc[[header["Account Status"], header["Demo Requested"]]]
    assert not honest["flagged"].any()
