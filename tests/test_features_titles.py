"""Job titles to seniority and department: the same title gives the same answer, however written."""

from __future__ import annotations

import pandas as pd

from leadscore.features.settings import load_settings
from leadscore.features.titles import normalise_titles

RULES = load_settings().titles


def test_the_gender_suffix_case_and_blanks_do_not_matter() -> None:
    variants = [
        "Head of Marketing",
        "head of marketing (m/w/d)",
        "  HEAD OF MARKETING  ",
        "Head of Marketing m/f/d",
        "Head of  Marketing (w/m/d)",
    ]
    out = normalise_titles(pd.Series(variants), RULES)
    assert out.drop_duplicates().values.tolist() == [["director", "marketing"]]


def test_missing_and_unmatched_titles_get_the_fallbacks_and_rows_stay_aligned() -> None:
    titles = pd.Series([None, "", "Astronaut", "CFO"], index=[10, 3, 7, 1], dtype=object)
    out = normalise_titles(titles, RULES)
    assert out.index.tolist() == [10, 3, 7, 1]
    assert out["seniority"].tolist() == ["unknown", "unknown", "unknown", "c_level"]
    assert out["department"].tolist() == ["other", "other", "other", "finance"]


def test_typos_are_fixed_only_when_one_letter_away() -> None:
    out = normalise_titles(pd.Series(["Markting Manager", "Mktg Manager"]), RULES)
    assert out.loc[0].tolist() == ["manager", "marketing"]  # one letter dropped
    assert out.loc[1, "department"] == "other"  # an abbreviation is not a typo
