"""A messy flat CRM export with a target column, for ``leadscore train --table``.

One row per lead as teams export it from a CRM: an id, personal columns, "Select"/"Unknown"
placeholders, numbers with thousands separators, yes/no columns, dates, a few rows without an
outcome yet (open leads), and the traps real exports set (issue 11), each planted on purpose and
held by ``tests/test_synthetic_flat.py``:

=========================  ===========================================================  ======
column                     trap                                                         kind
=========================  ===========================================================  ======
``Avg Session Minutes``    always three decimals with a point ("4.857", 0.5-30): a      honest
                           reader taking "4.857" for German thousands gets 4857.
                           Small real effect (longer sessions convert a bit better).
``Bounce Rate``            three decimals with a point ("0.025", 0.000-0.200); small    honest
                           negative effect.
``Budget (EUR)``           German money in the English export too: "1.234,50",          honest
                           "980,00"; ~11 % blank and ~1 % "k.A."; a tiny effect.
``Region Code``            integer codes 1-9 that are categories, not quantities:       honest
``Browser``                1-13, ``Operating System`` 1-8, ``Traffic Type`` 1-20, with
``Operating System``       non-monotone effects (Traffic Type 3 and 7 convert much
``Traffic Type``           better, 13 worse), so read as numbers they lose signal.
``Lead Source``            "Other" is a real category (converts above average), eight   honest
                           rare values below 1 % each, and "Reference" (~2.5 %)
                           converts ~90 %.
``Lead Origin``            almost a function of ``Lead Source``: "Referral Program"     honest
                           only for "Reference" (97 % of them), "API" for "Olark
                           Chat": collinear, so a naive scorecard can give a 90 %
                           source negative points.
``Account Status``         a suggestive name ("status"), yet known before contact       honest
                           (prospect/customer/partner), mild effect.
``Demo Requested``         the strongest honest yes/no column.                          honest
``Created Date``           the base rate drifts over time (``drift``, below); with      honest
                           ``drift="strong"`` the newsletter's effect fades and the
                           pricing page's grows.
``Deal Stage``             filled in by sales after contact: "Closed Won"/"Contract     leak
                           Sent" only for converted leads: it alone separates them.
``Lead Quality``           a sales rating after the first call ("High in Relevance",    leak
                           "Might be", "Not Sure", "Low in Relevance", "Worst", ~40 %
                           blank); drawn from the outcome: ROC AUC 0.75-0.82.
``Last Call Duration``     seconds, known after the outcome: longer for converted       leak
                           leads, blank for most unconverted ones; ROC AUC ~0.8.
``Opportunity Amount``     sparse: filled for ~60 % of converted, ~2 % of the others.   leak
``Lost Reason``            sparse: filled for ~35 % of unconverted, ~1 % of converted.  leak
=========================  ===========================================================  ======

:data:`PLANTED_LEAKS` and :data:`HONEST_COLUMNS` hold the two kinds, so a benchmark can check
that the leakage audit flags every planted leak and nothing else. The leaks are drawn from the
outcome (from their own random stream): they never influence it, and the other columns are the
same whichever leaks are drawn.

The base rate over ``Created Date`` (two years, 2024-2025), per ``drift``; per third of the
time span it is :data:`BASE_RATE_BY_THIRD` up to sampling noise:

- ``"none"``: 10 % throughout;
- ``"mild"`` (default): rising linearly from 8 % to 14 %;
- ``"strong"``: 5 %, 11 %, 31 % in the three thirds (the issue's drifting table), and the
  newsletter's effect falls from +1.8 to -0.4 log-odds while the pricing page's rises from 0
  to +1.4, so a model fitted on the oldest rows ranks the newest ones wrongly.

Conversion follows a logistic model of seniority, company size, newsletter, page views,
pricing visits, the demo request, lead source, account status, the integer codes, session
minutes, bounce rate and budget, so a model can learn it (LightGBM ROC AUC on the honest
columns about 0.8 at 5,000 rows).

With ``german=True`` every header is German (:data:`GERMAN_HEADERS`), values are as a German
Excel shows them ("Ja"/"Nein", "WAHR"/"FALSCH", "31.12.2025", "1.234" employees, "4,857"
minutes, "0,025" bounce rate, "Bitte wählen") and :func:`planted_leaks` names the leaks by
their German headers. Written with ``;`` (``leadscore generate-flat --german``), it is the file
a German Excel saves. A German reader may take "4,857" for 4857 (an English thousands comma):
the same trap the other way round.

Personal data, as a German team's export holds it; ``train --table`` must drop every one of
these columns (see :mod:`leadscore.privacy`) and keep the two consent flags:

=================  ===================================================  ==================
column             values                                               found by
=================  ===================================================  ==================
``Email``          ``lead17@example-17.com``                            header and content
``Full Name``      ``Lead Person 17``                                   header
``Vorname``        a few dozen German first names (few distinct values)  header
``Nachname``       German surnames                                      header
``EmailAddress``   ``anna.17@firma-17.de``                              header and content
``Telefon``        ``+49 151 2345678``, ``0151 2345678``, ``030/1234567``  header and content
``Lead Owner``     one of eight salespeople (a person's name)           header
``Lead-Inhaber``   the same salespeople, German CRM spelling            header
``Straße``         ``Hauptstraße 12``                                   header and content
``IBAN``           ``DE89 3704 0044 0532 0130 00``-style                header and content
``Rückruf``        phone numbers under an innocent header               content
``Do Not Email``   yes/no consent flag: kept as a boolean               (not personal)
``Do Not Call``    yes/no consent flag: kept as a boolean               (not personal)
=================  ===================================================  ==================

They do not influence conversion, and they are drawn from their own random stream.

Examples
--------
>>> table = messy_flat_table(500, seed=1)
>>> table.columns.tolist()[:5]
['Lead ID', 'Email', 'Full Name', 'Created Date', 'Country']
>>> sorted(table["Converted"].dropna().unique())
['No', 'Yes']
>>> table["Avg Session Minutes"].str.fullmatch(r"\\d+\\.\\d{3}").all()
np.True_
>>> german = messy_flat_table(500, seed=1, german=True)
>>> german.columns.tolist()[:5]
['Lead-ID', 'E-Mail', 'Kontaktname', 'Erstellt am', 'Land']
>>> sorted(planted_leaks(german=True)) == sorted(set(planted_leaks(True)) & set(german.columns))
True
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError

#: How the base rate moves over ``Created Date`` (see the module docstring).
Drift = Literal["none", "mild", "strong"]
DRIFTS: tuple[Drift, ...] = ("none", "mild", "strong")
#: Expected base rate per third of the time span, per drift setting.
BASE_RATE_BY_THIRD: dict[str, tuple[float, float, float]] = {
    "none": (0.10, 0.10, 0.10),
    "mild": (0.09, 0.11, 0.13),
    "strong": (0.05, 0.11, 0.31),
}

#: Columns filled in after the outcome (header -> why it leaks); the audit must flag each.
PLANTED_LEAKS: dict[str, str] = {
    "Deal Stage": "set by sales after contact: 'Closed Won'/'Contract Sent' only when converted",
    "Lead Quality": "a sales rating given after talking to the lead, drawn from the outcome",
    "Last Call Duration": "known only after the outcome: long calls for converted leads, blank "
    "for most unconverted ones",
    "Opportunity Amount": "filled for ~60 % of converted leads and ~2 % of the others",
    "Lost Reason": "filled for ~35 % of unconverted leads and ~1 % of converted ones",
}
#: Columns with suggestive names or strong signal that are known before the outcome: the
#: audit must not flag them (header -> why they are honest).
HONEST_COLUMNS: dict[str, str] = {
    "Account Status": "'status' sounds post-contact, but prospect/customer/partner is known "
    "before; mild effect",
    "Demo Requested": "the lead's own request, before contact: the strongest honest yes/no",
    "Lead Source": "'Reference' converts ~90 %, but the source is known at creation",
    "Lead Origin": "almost a function of Lead Source, known at creation",
    "Traffic Type": "integer codes 3 and 7 convert much better; known at the first visit",
    "Do Not Call": "a consent flag: 'call' in the name, no effect on conversion",
}

#: Every header of the export and its German spelling (``german=True``).
GERMAN_HEADERS: dict[str, str] = {
    "Lead ID": "Lead-ID",
    "Email": "E-Mail",
    "Full Name": "Kontaktname",
    "Created Date": "Erstellt am",
    "Country": "Land",
    "Industry": "Branche",
    "Job Title": "Position",
    "Employees": "Mitarbeiter",
    "Account Status": "Kontostatus",
    "Lead Source": "Lead-Quelle",
    "Lead Origin": "Lead-Herkunft",
    "Newsletter": "Newsletter abonniert",
    "Page Views": "Seitenaufrufe",
    "Pricing Page Visits": "Besuche Preisseite",
    "Avg Session Minutes": "Ø Sitzungsdauer (Min.)",
    "Bounce Rate": "Absprungrate",
    "Budget (EUR)": "Budget (EUR)",
    "Region Code": "Regionscode",
    "Browser": "Browser-Code",
    "Operating System": "Betriebssystem",
    "Traffic Type": "Zugriffsart",
    "Demo Requested": "Demo angefragt",
    "First Touch": "Erstkontakt",
    "Deal Stage": "Verkaufsphase",
    "Lead Quality": "Lead-Qualität",
    "Last Call Duration": "Dauer letzter Anruf (s)",
    "Opportunity Amount": "Verkaufschance Betrag",
    "Lost Reason": "Verlustgrund",
    "Vorname": "Vorname",
    "Nachname": "Nachname",
    "EmailAddress": "E-Mail-Adresse",
    "Telefon": "Telefon",
    "Lead Owner": "Zuständig",
    "Lead-Inhaber": "Lead-Inhaber",
    "Straße": "Straße",
    "IBAN": "IBAN",
    "Rückruf": "Rückruf",
    "Do Not Email": "Keine E-Mails",
    "Do Not Call": "Keine Anrufe",
    "Converted": "Konvertiert",
}

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
_ACCOUNT_STATUS = {"prospect": (0.7, 0.0), "customer": (0.2, 0.5), "partner": (0.1, 0.3)}
#: Lead source: (share, effect on the log-odds).
_LEAD_SOURCES = {
    "Google": (0.300, 0.0),
    "Direct Traffic": (0.250, -0.2),
    "Organic Search": (0.130, 0.1),
    "Olark Chat": (0.120, -0.7),
    "Facebook": (0.030, -0.5),
    "Reference": (0.025, 6.0),  # converts ~90 % at the default drift
    "Welingak Website": (0.020, 1.5),
    "Referral Sites": (0.020, -0.2),
    "Other": (0.060, 0.6),  # a real category, not the rare-values bucket
    # rare values, below 1 % each
    "bing": (0.008, 0.4),
    "Click2call": (0.007, 0.8),
    "Social Media": (0.006, -0.3),
    "Live Chat": (0.006, 0.5),
    "Press_Release": (0.005, -0.5),
    "WeLearn": (0.005, 0.2),
    "blog": (0.004, -0.4),
    "youtubechannel": (0.004, 0.0),
}
# Integer codes: shares (normalised below) and non-monotone effects, code i at index i - 1.
_REGION = ([39, 9, 19, 10, 3, 7, 6, 4, 4], [0, 0.3, -0.2, 0, -0.4, 0.1, 0, 0.5, -0.1])
_BROWSER = (
    [20, 63, 1, 6, 4, 1.5, 0.4, 1, 0.1, 1.3, 0.1, 0.1, 0.5],
    [0, -0.1, 0, 0, 0.3, 0, 0, 0.6, 0, 0, -0.5, 0, 0.2],
)
_OS = ([21, 53, 21, 4, 0.3, 0.3, 0.2, 0.7], [0, 0.2, -0.5, 0.3, 0, 0, 0, -0.2])
_TRAFFIC = (
    [20, 32, 17, 9, 2, 4, 3, 3, 0.5, 4, 2, 0.3, 6, 1, 0.3, 0.2, 0.1, 0.1, 0.1, 1.6],
    [0, 0.3, 1.5, -0.1, 0, 0, 1.8, 0, 0, 0, 0, 0, -0.8, 0, 0, 0, 0, 0, 0, 0.5],
)
_ORIGINS = ("Landing Page Submission", "API", "Lead Import", "Lead Add Form", "Referral Program")
_QUALITY = ("High in Relevance", "Might be", "Not Sure", "Low in Relevance", "Worst")
_LOST_REASONS = ("No budget", "Chose a competitor", "No response", "Not interested", "Timing")

#: Values as a German export writes them, per (English) column.
_GERMAN_VALUES: dict[str, dict[str, str]] = {
    "Country": {"Select": "Bitte wählen"},
    "Industry": {
        "-- Select --": "Keine Angabe",
        "Software": "Software",
        "Manufacturing": "Fertigung",
        "Retail": "Handel",
        "Finance": "Finanzen",
        "Healthcare": "Gesundheitswesen",
        "Education": "Bildung",
    },
    "Employees": {"Unknown": "Unbekannt"},
    "Account Status": {"prospect": "Interessent", "customer": "Kunde", "partner": "Partner"},
    "Lead Source": {"Other": "Sonstige", "Reference": "Empfehlung"},
    "Lead Origin": {
        "Landing Page Submission": "Landingpage-Formular",
        "Lead Import": "Lead-Import",
        "Lead Add Form": "Lead-Formular",
        "Referral Program": "Empfehlungsprogramm",
    },
    "Newsletter": {"Yes": "Ja", "yes": "ja", "Y": "JA", "No": "Nein"},
    "Demo Requested": {"true": "WAHR", "false": "FALSCH"},
    "Deal Stage": {
        "Closed Won": "Gewonnen",
        "Contract Sent": "Vertrag versendet",
        "Select": "Bitte wählen",
        "Closed Lost": "Verloren",
    },
    "Lead Quality": {
        "High in Relevance": "Hohe Relevanz",
        "Might be": "Vielleicht",
        "Not Sure": "Unsicher",
        "Low in Relevance": "Geringe Relevanz",
        "Worst": "Schlecht",
    },
    "Lost Reason": {
        "No budget": "Kein Budget",
        "Chose a competitor": "Wettbewerber gewählt",
        "No response": "Keine Rückmeldung",
        "Not interested": "Kein Interesse",
        "Timing": "Falscher Zeitpunkt",
    },
    "Do Not Email": {"Yes": "Ja", "No": "Nein"},
    "Do Not Call": {"Yes": "Ja", "No": "Nein"},
    "Converted": {"Yes": "Ja", "No": "Nein"},
}


def planted_leaks(german: bool = False) -> dict[str, str]:
    """:data:`PLANTED_LEAKS` under the headers of the English or the German export.

    Examples
    --------
    >>> list(planted_leaks(german=True))[:2]
    ['Verkaufsphase', 'Lead-Qualität']
    """
    return {GERMAN_HEADERS[h] if german else h: why for h, why in PLANTED_LEAKS.items()}


def base_rate(drift: Drift, time_share: np.ndarray) -> np.ndarray:
    """The base rate the generator aims at, at each point of time (0 = first day, 1 = last).

    Raises
    ------
    LeadscoreError
        For an unknown ``drift``.

    Examples
    --------
    >>> base_rate("mild", np.array([0.0, 0.5, 1.0])).round(3).tolist()
    [0.08, 0.11, 0.14]
    >>> base_rate("strong", np.array([0.1, 0.5, 0.9])).tolist()
    [0.05, 0.11, 0.31]
    """
    if drift not in DRIFTS:
        raise LeadscoreError(f"drift is {drift!r}: give one of {', '.join(DRIFTS)}.")
    t = np.asarray(time_share, dtype=float)
    if drift == "none":
        return np.full(t.shape, 0.10)
    if drift == "mild":
        return 0.08 + 0.06 * t
    third = np.minimum((t * 3).astype(int), 2)
    return np.asarray(BASE_RATE_BY_THIRD["strong"])[third]


def messy_flat_table(
    n_rows: int = 5000, seed: int = 0, *, drift: Drift = "mild", german: bool = False
) -> pd.DataFrame:
    """A flat lead export with messy values, traps and planted leaks (see the module docstring).

    Parameters
    ----------
    n_rows : int
        Number of leads.
    seed : int
        Random seed: the same seed, drift and language give a bit-identical table.
    drift : {"none", "mild", "strong"}
        How the base rate (and, when "strong", two effects) move over ``Created Date``.
    german : bool
        German headers (:data:`GERMAN_HEADERS`) and values as a German Excel shows them.

    Raises
    ------
    LeadscoreError
        When ``n_rows`` is below 1, ``seed`` is negative or ``drift`` is unknown.
    """
    if n_rows < 1:
        raise LeadscoreError(f"n_rows is {n_rows}: a table needs at least 1 row.")
    if seed < 0:
        raise LeadscoreError(f"seed is {seed}: give 0 or a positive number.")
    if drift not in DRIFTS:
        raise LeadscoreError(f"drift is {drift!r}: give one of {', '.join(DRIFTS)}.")
    n = n_rows
    rng = np.random.default_rng(seed)
    days = np.sort(rng.integers(0, 730, n))
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
    time_share = days / 730
    titles = rng.choice(list(_SENIORITY), n, p=[0.1, 0.05, 0.2, 0.1, 0.25, 0.1, 0.1, 0.1])
    employees = np.round(rng.lognormal(4.5, 1.5, n)).astype(int)
    newsletter = rng.random(n) < 0.4
    page_views = rng.poisson(4 + 6 * newsletter, n)
    pricing = rng.poisson(0.6, n)
    demo = rng.random(n) < 0.12
    first_touch_days = rng.integers(0, 200, n)
    status = _draw(rng, _ACCOUNT_STATUS, n)
    source = _draw(rng, _LEAD_SOURCES, n)
    minutes = np.clip(rng.lognormal(np.log(4.0), 0.8, n), 0.5, 30.0)
    bounce = np.minimum(rng.beta(2.0, 30.0, n), 0.2)
    budget = np.clip(rng.lognormal(np.log(6000), 1.1, n), 150, 500_000)
    codes = {name: _codes(rng, shares, n) for name, (shares, _) in _CODE_COLUMNS.items()}
    if drift == "strong":  # the newsletter mattered early, the pricing page matters late
        newsletter_effect, pricing_effect = 1.8 - 2.2 * time_share, 1.4 * time_share
    else:
        newsletter_effect, pricing_effect = np.full(n, 0.4), np.full(n, 0.6)
    score = (
        pd.Series(titles).map(_SENIORITY).to_numpy()
        + 0.25 * np.log1p(employees)
        + newsletter_effect * newsletter
        + 0.05 * page_views
        + pricing_effect * pricing
        + 1.6 * demo
        - 0.004 * first_touch_days
        + pd.Series(status).map({k: v[1] for k, v in _ACCOUNT_STATUS.items()}).to_numpy()
        + pd.Series(source).map({k: v[1] for k, v in _LEAD_SOURCES.items()}).to_numpy()
        + 0.35 * np.log(minutes)
        - 6.0 * bounce
        + 0.05 * np.log(budget)
        + sum(np.asarray(_CODE_COLUMNS[name][1])[c - 1] for name, c in codes.items())
    )
    probability = _calibrated(score, time_share, base_rate(drift, time_share))
    converted = rng.random(n) < probability

    def messy(values: np.ndarray, placeholder: str, share: float) -> np.ndarray:
        out = values.astype(object)
        out[rng.random(n) < share] = placeholder
        return out

    size_text = pd.Series(employees).map("{:,}".format).to_numpy(dtype=object)
    if german:
        size_text = np.char.replace(size_text.astype(str), ",", ".").astype(object)
    yes_no = np.where(newsletter, rng.choice(["Yes", "yes", "Y"], n), "No")
    stage = np.where(
        converted,
        rng.choice(["Closed Won", "Contract Sent"], n),
        rng.choice(["Select", "", "Closed Lost"], n, p=[0.6, 0.3, 0.1]),
    )
    outcome = np.where(converted, "Yes", "No").astype(object)
    outcome[rng.random(n) < 0.03] = None  # still open
    # "k.A." (keine Angabe) stays rare: a reader takes a column with 2 % of other text for text
    unknown_budget = np.where(rng.random(n) < 0.08, "k.A.", "")
    budget_text = np.where(rng.random(n) < 0.12, unknown_budget, _german_money(budget))
    origin = _origin(rng, source)
    numbers = np.arange(1, n + 1).astype(str)
    personal = _personal_columns(n, np.random.default_rng([seed, 1]))
    leaks = _leak_columns(converted, np.random.default_rng([seed, 2]))
    table = pd.DataFrame(
        {
            "Lead ID": np.char.add("FL", np.char.zfill(numbers, 6)),
            "Email": _join("lead", numbers, "@example-", (np.arange(1, n + 1) % 97).astype(str))
            + ".com",
            "Full Name": np.char.add("Lead Person ", numbers),
            "Created Date": created.strftime("%d.%m.%Y" if german else "%Y-%m-%d"),
            "Country": messy(rng.choice(_COUNTRIES, n), "Select", 0.1),
            "Industry": messy(rng.choice(_INDUSTRIES, n), "-- Select --", 0.15),
            "Job Title": titles,
            "Employees": messy(size_text, "Unknown", 0.1),
            "Account Status": status,
            "Lead Source": messy(source, "Select", 0.02),
            "Lead Origin": origin,
            "Newsletter": messy(yes_no, "", 0.05),
            "Page Views": page_views,
            "Pricing Page Visits": pricing,
            "Avg Session Minutes": _three_decimals(minutes, german),
            "Bounce Rate": _three_decimals(bounce, german),
            "Budget (EUR)": budget_text,
            **codes,
            "Demo Requested": np.where(demo, "true", "false"),
            "First Touch": (created - pd.to_timedelta(first_touch_days, unit="D")).strftime(
                "%d.%m.%Y"
            ),
            "Deal Stage": stage,
            **leaks,
            **personal,
            "Converted": outcome,
        }
    )
    if german:
        for column, words in _GERMAN_VALUES.items():
            table[column] = table[column].replace(words)
        table = table.rename(columns=GERMAN_HEADERS)
    return table


_CODE_COLUMNS = {
    "Region Code": _REGION,
    "Browser": _BROWSER,
    "Operating System": _OS,
    "Traffic Type": _TRAFFIC,
}


def _draw(rng: np.random.Generator, table: dict[str, tuple[float, float]], n: int) -> np.ndarray:
    """``n`` keys of ``table`` drawn with the shares in its values' first place."""
    shares = np.array([share for share, _ in table.values()])
    return rng.choice(np.array(list(table), dtype=object), n, p=shares / shares.sum())


def _codes(rng: np.random.Generator, shares: list[float], n: int) -> np.ndarray:
    """Integer codes 1..len(shares) drawn with ``shares`` (normalised)."""
    p = np.asarray(shares, dtype=float)
    return rng.choice(np.arange(1, len(p) + 1), n, p=p / p.sum())


def _calibrated(score: np.ndarray, time_share: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Conversion probabilities: the logistic of ``score`` plus an intercept per twelfth of the
    time span, found by bisection so that each twelfth's mean probability is the mean of
    ``target`` in it (the features alone would set the base rate)."""
    bins = np.minimum((time_share * 12).astype(int), 11)
    counts = np.bincount(bins, minlength=12)
    goal = np.bincount(bins, weights=target, minlength=12) / np.maximum(counts, 1)
    low, high = np.full(12, -20.0), np.full(12, 20.0)
    for _ in range(60):  # halves the interval: 40 / 2**60 is far below any visible difference
        middle = (low + high) / 2
        probability = _sigmoid(score + middle[bins])
        rate = np.bincount(bins, weights=probability, minlength=12) / np.maximum(counts, 1)
        too_high = rate > goal
        high, low = np.where(too_high, middle, high), np.where(too_high, low, middle)
    return _sigmoid(score + ((low + high) / 2)[bins])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _origin(rng: np.random.Generator, source: np.ndarray) -> np.ndarray:
    """Lead Origin, nearly a function of Lead Source (collinear on purpose)."""
    n = len(source)
    default = rng.choice(np.array(_ORIGINS[:3], dtype=object), n, p=[0.7, 0.25, 0.05])
    reference = np.where(rng.random(n) < 0.97, "Referral Program", "Lead Add Form")
    return np.select(
        [source == "Reference", source == "Welingak Website", source == "Olark Chat"],
        [reference, "Lead Add Form", "API"],
        default,
    ).astype(object)


def _leak_columns(converted: np.ndarray, rng: np.random.Generator) -> dict[str, object]:
    """The columns sales fills in after the outcome, drawn from it (see the module docstring)."""
    n = len(converted)

    def by_outcome(if_yes: np.ndarray, if_no: np.ndarray) -> np.ndarray:
        return np.where(converted, if_yes, if_no)

    quality = by_outcome(
        rng.choice(_QUALITY, n, p=[0.45, 0.30, 0.14, 0.08, 0.03]),
        rng.choice(_QUALITY, n, p=[0.05, 0.15, 0.30, 0.28, 0.22]),
    ).astype(object)
    quality[rng.random(n) < by_outcome(0.22, 0.44)] = ""
    seconds = np.round(by_outcome(rng.lognormal(np.log(300), 0.7, n), rng.lognormal(5.2, 0.9, n)))
    called = rng.random(n) < by_outcome(0.95, 0.55)
    amount = np.round(rng.lognormal(np.log(15_000), 0.8, n), -2)
    with_amount = rng.random(n) < by_outcome(0.60, 0.02)
    reason = rng.choice(np.array(_LOST_REASONS, dtype=object), n)
    reason[rng.random(n) >= by_outcome(0.01, 0.35)] = ""
    return {
        "Lead Quality": quality,
        "Last Call Duration": pd.array(np.where(called, seconds, np.nan), dtype="Int64"),
        "Opportunity Amount": pd.array(np.where(with_amount, amount, np.nan), dtype="Int64"),
        "Lost Reason": reason,
    }


def _three_decimals(values: np.ndarray, german: bool) -> np.ndarray:
    """Text with exactly three decimals: "4.857" (or "4,857" in German)."""
    text = np.char.mod("%.3f", values)
    return (np.char.replace(text, ".", ",") if german else text).astype(object)


def _german_money(values: np.ndarray) -> np.ndarray:
    """German money text: "1.234,50", "980,00" (thousands dots, a decimal comma)."""
    text = pd.Series(np.char.mod("%.2f", values)).str.replace(".", ",", regex=False)
    return text.str.replace(r"(\d)(?=(\d{3})+,)", r"\1.", regex=True).to_numpy(dtype=object)


def _join(*parts: object) -> np.ndarray:
    """Element-wise concatenation of strings and string arrays."""
    out = np.asarray(parts[0], dtype=str)
    for part in parts[1:]:
        out = np.char.add(out, np.asarray(part, dtype=str))
    return out


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
    check = np.char.zfill((10 + account % 89).astype(str), 2)
    bban = pd.Series(_join("DE", check, "37040044", np.char.zfill(account.astype(str), 10)))
    ibans = bban.str.slice(0, 4)
    for start in range(4, 22, 4):  # 22 characters in groups of four
        ibans = ibans + " " + bban.str.slice(start, start + 4)
    streets = rng.choice(_STREETS, n_rows)
    yes_no = np.array(["No", "Yes"])
    return {
        "Vorname": first,
        "Nachname": last,
        "EmailAddress": _join(np.char.lower(first), ".", number, "@firma-", number % 53, ".de"),
        "Telefon": phones,
        "Lead Owner": owners,
        "Lead-Inhaber": owners,
        "Straße": _join(streets, " ", number % 97 + 1),
        "IBAN": ibans.to_numpy(dtype=str),
        "Rückruf": np.char.add("+49 30 ", rng.integers(1_000_000, 9_999_999, n_rows).astype(str)),
        "Do Not Email": yes_no[(rng.random(n_rows) < 0.2).astype(int)],
        "Do Not Call": yes_no[(rng.random(n_rows) < 0.3).astype(int)],
    }
