"""A messy flat CRM export with a target column, for ``leadscore train --table``.

One row per lead as teams export it from a CRM: an id, personal columns, "Select"/"Unknown"
placeholders, numbers with thousands separators, yes/no columns, dates, and a ``Deal Stage``
column that sales fills in after contact — a planted leak the leakage audit must flag. A few
rows have no outcome yet (open leads).

Personal data, as a German team's export holds it; ``train --table`` must drop every one of
these columns (see :mod:`leadscore.privacy`) and keep the two consent flags:

=================  ===================================================  ==================
column             values                                               found by
=================  ===================================================  ==================
``Email``          ``lead17@example-17.com``                            header and content
``Full Name``      ``Lead Person 17``                                   header
``Vorname``        a few dozen German first names (few distinct values)  header
``Nachname``       German surnames                                      header
``EmailAddress``   ``anna.schmidt17@firma-17.de``                       header and content
``Telefon``        ``+49 151 2345678``, ``0151 2345678``, ``030/1234567``  header and content
``Lead Owner``     one of eight salespeople (a person's name)           header
``Lead-Inhaber``   the same salespeople, German CRM spelling            header
``Straße``         ``Hauptstraße 12``                                   header and content
``IBAN``           ``DE89 3704 0044 0532 0130 00``-style                header and content
``Rückruf``        phone numbers under an innocent header               content
``Do Not Email``   yes/no consent flag: kept as a boolean               (not personal)
``Do Not Call``    yes/no consent flag: kept as a boolean               (not personal)
=================  ===================================================  ==================

They do not influence conversion, and they are drawn from their own random stream, so the
other columns are the same as without them for a given seed.

Conversion follows a logistic model of seniority, company size, newsletter, page views,
pricing visits and the demo request, so a model can learn it.

Examples
--------
>>> table = messy_flat_table(500, seed=1)
>>> table.columns.tolist()[:5]
['Lead ID', 'Email', 'Full Name', 'Created Date', 'Country']
>>> sorted(table["Converted"].dropna().unique())
['No', 'Yes']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError

_COUNTRIES = ("DE", "AT", "CH", "NL", "FR", "US", "UK")
_FIRST_NAMES = (
    "Anna", "Jonas", "Lea", "Lukas", "Marie", "Felix", "Sophie", "Paul", "Emma", "Leon",
    "Hannah", "Finn", "Mia", "Elias", "Lena", "Noah", "Laura", "Ben", "Julia", "Max",
)  # fmt: skip
_LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
)  # fmt: skip
_SALESPEOPLE = (
    "Katrin Vogel", "Stefan Brandt", "Sabine Krüger", "Thomas Lang",
    "Nicole Hartmann", "Michael Peters", "Julia Sommer", "Andreas Graf",
)  # fmt: skip
_STREETS = ("Hauptstraße", "Bahnhofstr.", "Gartenweg", "Lindenallee", "Marktplatz", "Am Ring")
_INDUSTRIES = ("Software", "Manufacturing", "Retail", "Finance", "Healthcare", "Education")
_SENIORITY = {  # title, effect on the log-odds
    "Head of Marketing": 0.9,
    "CMO": 1.1,
    "Marketing Manager": 0.5,
    "Sales Director": 0.8,
    "Marketing Specialist": 0.0,
    "Working Student": -1.5,
    "Intern": -1.5,
    "CEO": 0.9,
}


def messy_flat_table(n_rows: int = 5000, seed: int = 0) -> pd.DataFrame:
    """A flat lead export with messy values and a leaky column (see the module docstring).

    Raises
    ------
    LeadscoreError
        When ``n_rows`` is below 1 or ``seed`` is negative.
    """
    if n_rows < 1:
        raise LeadscoreError(f"n_rows is {n_rows}: a table needs at least 1 row.")
    if seed < 0:
        raise LeadscoreError(f"seed is {seed}: give 0 or a positive number.")
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 730, n_rows)), unit="D"
    )
    titles = rng.choice(list(_SENIORITY), n_rows, p=[0.1, 0.05, 0.2, 0.1, 0.25, 0.1, 0.1, 0.1])
    employees = np.round(rng.lognormal(4.5, 1.5, n_rows)).astype(int)
    newsletter = rng.random(n_rows) < 0.4
    page_views = rng.poisson(4 + 6 * newsletter, n_rows)
    pricing = rng.poisson(0.6, n_rows)
    demo = rng.random(n_rows) < 0.08
    first_touch_days = rng.integers(0, 200, n_rows)
    logit = (
        -4.0
        + np.vectorize(_SENIORITY.get)(titles)
        + 0.25 * np.log1p(employees)
        + 0.4 * newsletter
        + 0.05 * page_views
        + 0.6 * pricing
        + 1.6 * demo
        - 0.004 * first_touch_days
    )
    converted = rng.random(n_rows) < 1 / (1 + np.exp(-logit))

    def messy(values: np.ndarray, placeholder: str, share: float) -> np.ndarray:
        out = values.astype(object)
        out[rng.random(n_rows) < share] = placeholder
        return out

    size_text = np.array([f"{e:,}" for e in employees], dtype=object)
    yes_no = np.where(newsletter, rng.choice(["Yes", "yes", "Y"], n_rows), "No")
    stage = np.where(
        converted,
        rng.choice(["Closed Won", "Contract Sent"], n_rows),
        rng.choice(["Select", "", "Closed Lost"], n_rows, p=[0.6, 0.3, 0.1]),
    )
    outcome = np.where(converted, "Yes", "No").astype(object)
    outcome[rng.random(n_rows) < 0.03] = None  # still open
    personal = _personal_columns(n_rows, np.random.default_rng([seed, 1]))
    return pd.DataFrame(
        {
            "Lead ID": [f"FL{i:06d}" for i in range(1, n_rows + 1)],
            "Email": [f"lead{i}@example-{i % 97}.com" for i in range(1, n_rows + 1)],
            "Full Name": [f"Lead Person {i}" for i in range(1, n_rows + 1)],
            "Created Date": created.strftime("%Y-%m-%d"),
            "Country": messy(rng.choice(_COUNTRIES, n_rows), "Select", 0.1),
            "Industry": messy(rng.choice(_INDUSTRIES, n_rows), "-- Select --", 0.15),
            "Job Title": titles,
            "Employees": messy(size_text, "Unknown", 0.1),
            "Newsletter": messy(yes_no, "", 0.05),
            "Page Views": page_views,
            "Pricing Page Visits": pricing,
            "Demo Requested": np.where(demo, "true", "false"),
            "First Touch": (created - pd.to_timedelta(first_touch_days, unit="D")).strftime(
                "%d.%m.%Y"
            ),
            "Deal Stage": stage,
            **personal,
            "Converted": outcome,
        }
    )


def _personal_columns(n_rows: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Personal data and consent flags (see the module docstring); no effect on conversion."""
    number = np.arange(1, n_rows + 1)
    first = rng.choice(_FIRST_NAMES, n_rows)
    last = rng.choice(_LAST_NAMES, n_rows)
    mobile = rng.integers(1_000_000, 9_999_999, n_rows).astype(str)
    phone_style = rng.integers(0, 3, n_rows)
    phones = np.select(
        [phone_style == 0, phone_style == 1],
        [np.char.add("+49 151 ", mobile), np.char.add("0151 ", mobile)],
        np.char.add("030/", mobile),
    )
    owners = rng.choice(_SALESPEOPLE, n_rows)
    account = rng.integers(0, 10**10, n_rows)
    bban = [f"DE{10 + a % 89:02d}37040044{a:010d}" for a in account]  # 22 characters
    ibans = [" ".join(b[i : i + 4] for i in range(0, 22, 4)) for b in bban]
    yes_no = np.array(["No", "Yes"])
    return {
        "Vorname": first,
        "Nachname": last,
        "EmailAddress": np.array(
            [f"{f.lower()}.{n}@firma-{n % 53}.de" for f, n in zip(first, number, strict=True)]
        ),
        "Telefon": phones,
        "Lead Owner": owners,
        "Lead-Inhaber": owners,
        "Straße": np.array(
            [f"{s} {h}" for s, h in zip(rng.choice(_STREETS, n_rows), number % 97 + 1, strict=True)]
        ),
        "IBAN": np.array(ibans),
        "Rückruf": np.char.add("+49 30 ", rng.integers(1_000_000, 9_999_999, n_rows).astype(str)),
        "Do Not Email": yes_no[(rng.random(n_rows) < 0.2).astype(int)],
        "Do Not Call": yes_no[(rng.random(n_rows) < 0.3).astype(int)],
    }
