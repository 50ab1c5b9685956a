"""Explicit (fit) features: who the lead and their company are.

These come from the lead and account tables, which describe the lead as exported; the only
attributes that change over time here are the lead's age in the CRM (computed per cutoff by the
pipeline) and the company's technologies, which are rolled back to each cutoff with the
``tech_added``/``tech_removed`` account events (see :mod:`leadscore.features.behaviour`).
``lifecycle_stage`` is never a feature: it is a snapshot taken after the fact.

Examples
--------
>>> import pandas as pd
>>> from leadscore.features.settings import load_settings
>>> emails = pd.Series(["a@gmail.com", "b@tum.de", "c@acme.de", None, "d@scoreforce.io"])
>>> email_domain_type(emails, load_settings()).tolist()
['freemail', 'education', 'corporate', 'unknown', 'competitor']
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from leadscore.dataset import email_domains
from leadscore.features.catalogue import Feature
from leadscore.features.settings import Settings
from leadscore.features.titles import normalise_titles


def email_domain_type(emails: pd.Series, settings: Settings) -> pd.Series:
    """Classify each e-mail address by its domain (decided once per distinct domain).

    Internal and competitor lists win over the others; a missing or malformed address is
    ``unknown``. The address itself is never kept.
    """
    codes, uniques = pd.factorize(email_domains(emails).str.slice(1))  # "@x.de" -> "x.de"
    uniques = pd.Index(uniques, dtype=pd.StringDtype("pyarrow"))
    education = np.asarray(uniques.isin(list(settings.education_domains)), dtype=bool)
    for pattern in settings.education_patterns:
        education |= np.asarray(uniques.str.contains(pattern, regex=True), dtype=bool)
    kinds = np.select(
        [
            uniques.isin(list(settings.internal_domains)),
            uniques.isin(list(settings.competitor_domains)),
            uniques.isin(list(settings.freemail_domains)),
            education,
        ],
        ["internal", "competitor", "freemail", "education"],
        "corporate",
    )
    out = np.where(codes >= 0, kinds[np.maximum(codes, 0)] if len(kinds) else "", "unknown")
    return pd.Series(out, index=emails.index, dtype=object)


def _format_edge(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size and value % size == 0:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def band_labels(edges: tuple[float, ...]) -> list[str]:
    """Labels of the bands cut at ``edges``.

    Examples
    --------
    >>> band_labels((10, 50, 250))
    ['<10', '10-49', '50-249', '250+']
    >>> band_labels((1e6, 1e7))
    ['<1M', '1M-10M', '10M+']
    """
    whole = all(float(e).is_integer() and e < 1e5 for e in edges)  # counts, not money
    middle = [
        f"{lo:g}-{hi - 1:g}" if whole else f"{_format_edge(lo)}-{_format_edge(hi)}"
        for lo, hi in itertools.pairwise(edges)
    ]
    fmt = (lambda v: f"{v:g}") if whole else _format_edge
    return [f"<{fmt(edges[0])}", *middle, f"{fmt(edges[-1])}+"]


def to_band(values: pd.Series, edges: tuple[float, ...]) -> pd.Series:
    """Band label of each value (missing stays missing)."""
    labels = np.array(band_labels(edges), dtype=object)
    position = np.searchsorted(np.asarray(edges, dtype=float), values.to_numpy(float), side="right")
    return pd.Series(np.where(values.isna(), None, labels[position]), index=values.index)


def _in_range(values: pd.Series, bounds: tuple[float, float]) -> pd.Series:
    inside = values.between(bounds[0], bounds[1]).astype("float64")
    return inside.where(values.notna())


#: The explicit features, in column order.
EXPLICIT_FEATURES: list[Feature] = [
    Feature("seniority", "fit", "Seniority from the job title", "categorical"),
    Feature("department", "fit", "Department from the job title", "categorical"),
    Feature(
        "email_domain_type",
        "fit",
        "E-mail domain: corporate, free-mail, education, competitor or internal",
        "categorical",
    ),
    Feature("lead_source", "fit", "Channel the lead came from", "categorical"),
    Feature("in_service_area", "fit", "Country is inside the service area (1) or not (0)"),
    Feature("industry", "fit", "Industry of the company", "categorical"),
    Feature("employees", "fit", "Employees of the company", family="company_size"),
    Feature("employees_band", "fit", "Company size band", "categorical", "company_size"),
    Feature("annual_revenue", "fit", "Annual revenue of the company", family="revenue"),
    Feature("revenue_band", "fit", "Annual revenue band", "categorical", "revenue"),
    Feature("icp_industry", "fit", "Industry is in the ideal customer profile", family="icp"),
    Feature("icp_size", "fit", "Company size is in the ideal customer profile", family="icp"),
    Feature("icp_revenue", "fit", "Revenue is in the ideal customer profile", family="icp"),
    Feature("icp_match", "fit", "Industry and size both match the ICP", family="icp"),
    Feature("age", "fit", "Age of the contact (B2C)", family="age"),
    Feature("age_band", "fit", "Age band (B2C)", "categorical", "age"),
    Feature("income", "fit", "Household income (B2C)", family="income"),
    Feature("income_band", "fit", "Income band (B2C)", "categorical", "income"),
]


def explicit_features(
    leads: pd.DataFrame, accounts: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """Static fit attributes of each lead (the columns of :data:`EXPLICIT_FEATURES`).

    Returns
    -------
    DataFrame
        One row per lead, same index as ``leads``.
    """
    titles = normalise_titles(leads["job_title"], settings.titles)
    company = leads[["account_id"]].merge(
        accounts.drop(columns=["technologies", "domain"]),
        on="account_id",
        how="left",
        suffixes=("", "_account"),
    )
    company.index = leads.index
    country = (
        leads["country"]
        .astype("string")
        .str.upper()
        .fillna(company["country"].astype("string").str.upper())
    )
    industry = company["industry"].astype("string").str.lower()
    employees = company["employees"].astype("float64")
    revenue = company["annual_revenue"].astype("float64")
    icp_industry = industry.isin(list(settings.icp_industries)).astype("float64")
    icp_industry = icp_industry.where(industry.notna())
    icp_size = _in_range(employees, settings.icp_employees)
    icp_revenue = _in_range(revenue, settings.icp_annual_revenue)
    frame = pd.DataFrame(
        {
            "seniority": titles["seniority"],
            "department": titles["department"],
            "email_domain_type": email_domain_type(leads["email"], settings),
            "lead_source": leads["lead_source"].astype("string").str.lower().astype(object),
            "in_service_area": country.isin(list(settings.service_area))
            .astype("float64")
            .where(country.notna()),
            "industry": industry.astype(object),
            "employees": employees,
            "employees_band": to_band(employees, settings.bands["employees"]),
            "annual_revenue": revenue,
            "revenue_band": to_band(revenue, settings.bands["annual_revenue"]),
            "icp_industry": icp_industry,
            "icp_size": icp_size,
            "icp_revenue": icp_revenue,
            "icp_match": (icp_industry.fillna(0) * icp_size.fillna(0)).where(
                leads["account_id"].notna()
            ),
            "age": leads["age"].astype("float64"),
            "age_band": to_band(leads["age"].astype("float64"), settings.bands["age"]),
            "income": leads["income"].astype("float64"),
            "income_band": to_band(leads["income"].astype("float64"), settings.bands["income"]),
        },
        index=leads.index,
    )
    return frame
