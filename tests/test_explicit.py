"""Explicit features: titles, e-mail domains, bands."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.features.explicit import band_labels, email_domain_type, to_band
from leadscore.features.settings import load_settings
from leadscore.features.titles import normalise_titles

SETTINGS = load_settings()

TITLES = [
    ("CEO", "c_level", "other"),
    ("Geschäftsführerin", "c_level", "other"),
    ("Geschaeftsfuehrer", "c_level", "other"),
    ("Co-Founder & CEO", "c_level", "other"),
    ("Chief Marketing Officer", "c_level", "marketing"),
    ("CTO", "c_level", "it"),
    ("Kaufmännischer Geschäftsführer", "c_level", "finance"),
    ("VP Sales", "vp", "sales"),
    ("Vice President, Engineering", "vp", "it"),
    ("Head of Marketing", "director", "marketing"),
    ("Marketingleiterin", "director", "marketing"),
    ("Leiter Vertrieb", "director", "sales"),
    ("IT-Leiter", "director", "it"),
    ("Bereichsleiterin Finanzen", "director", "finance"),
    ("Teamleiter Vertrieb", "manager", "sales"),
    ("Senior Marketing Manager", "manager", "marketing"),
    ("HR Manager (m/w/d)", "manager", "hr"),
    ("Account Executive", "individual", "sales"),
    ("Softwareentwickler", "individual", "it"),
    ("Vertriebsmitarbeiterin", "individual", "sales"),
    ("Buchhalterin", "individual", "finance"),
    ("Assistentin der Geschäftsführung", "individual", "other"),
    ("student", "student", "other"),
    ("Werkstudent Marketing", "student", "marketing"),
    ("Praktikantin Personal", "student", "hr"),
    ("Marketing Intern", "student", "marketing"),
    ("International Sales Manager", "manager", "sales"),  # "intern" inside a word: no
    ("MARKETING DIRECTOR", "director", "marketing"),
    ("Marketing Direcotr", "director", "marketing"),  # typo
    ("Senior Business Developent Manager", "manager", "sales"),  # typo
    ("Mitarbeiter", "unknown", "other"),
    ("", "unknown", "other"),
    (None, "unknown", "other"),
]


@pytest.mark.parametrize(("title", "seniority", "department"), TITLES)
def test_titles_in_english_and_german_with_typos(title, seniority, department) -> None:
    out = normalise_titles(pd.Series([title], dtype=object), SETTINGS.titles)
    assert (out["seniority"].iloc[0], out["department"].iloc[0]) == (seniority, department)


def test_titles_match_the_generators_hidden_truth(synthetic_b2b: Path) -> None:
    leads = pd.read_parquet(synthetic_b2b / "leads.parquet")
    truth = pd.read_parquet(synthetic_b2b / "ground_truth" / "leads.parquet")
    out = normalise_titles(leads["job_title"], SETTINGS.titles)
    named = leads["job_title"].fillna("").str.strip().str.len() > 3
    assert (out["seniority"] == truth["seniority"])[named].mean() > 0.95


def test_email_domain_types() -> None:
    emails = pd.Series(
        [
            "a@GMAIL.com",
            "b@student.kit.edu",
            "c@uni-hamburg.de",
            "d@ox.ac.uk",
            "e@acme.de",
            "f@northwind-analytics.com",
            "g@funnelwise.de",
            "not-an-email",
            None,
        ]
    )
    assert email_domain_type(emails, SETTINGS).tolist() == [
        "freemail",
        "education",
        "education",
        "education",
        "corporate",
        "internal",
        "competitor",
        "unknown",
        "unknown",
    ]


def test_bands() -> None:
    assert band_labels((10, 50, 250, 1000, 5000))[2] == "50-249"
    values = pd.Series([5, 10, 49, 50, None, 10_000], dtype="float64")
    bands = to_band(values, (10, 50))
    assert bands.isna().tolist() == [False, False, False, False, True, False]
    assert bands.dropna().tolist() == ["<10", "10-49", "10-49", "50+", "50+"]
