"""The first names that tell a column of people's names from other text."""

from __future__ import annotations

import pandas as pd

from leadscore.first_names import FIRST_NAMES
from leadscore.privacy import personal_data_reason

#: Names left out on purpose: they are ordinary words in CRM values (see the module).
ORDINARY_WORDS = frozenset(
    {
        *("april", "may", "june", "august", "will", "mark", "art", "bill", "hope", "grace"),
        *("joy", "rose", "summer", "jordan", "victoria", "georgia", "chad", "paris"),
        *("florence", "can", "rosa", "alba", "paz", "dolores", "mar", "angel", "santiago"),
        *("dante", "nazar"),
    }
)


def test_words_common_in_crm_values_are_not_names() -> None:
    assert sorted(ORDINARY_WORDS & FIRST_NAMES) == []


def test_names_are_lower_case_single_words_in_both_spellings() -> None:
    assert all(n == n.lower() and n.isalpha() for n in FIRST_NAMES)
    for accented, plain in [("jürgen", "juergen"), ("ayşe", "ayse"), ("josé", "jose")]:
        assert {accented, plain} <= FIRST_NAMES


def test_a_column_of_names_is_personal_and_one_of_campaigns_is_not() -> None:
    names = pd.Series(["Anna Müller", "Juergen Schmidt", "Ayşe Yilmaz", "Jose Garcia"] * 25)
    assert (
        personal_data_reason("Notes", names) == "personal data: people's names in 100 % of values"
    )
    campaigns = pd.Series(
        ["April Campaign", "Summer Sale", "Grace Period", "Victoria Park", "Paris Expo"] * 20
    )
    assert personal_data_reason("Notes", campaigns) is None
