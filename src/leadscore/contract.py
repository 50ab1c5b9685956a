"""The data contract: the tables leadscore reads, their columns and vocabularies.

This module is the single source of truth for what a user's CRM / marketing-automation export
must look like. :mod:`leadscore.validation` enforces it, the synthetic generator writes it and
the README documents it (a test keeps the README in step).

Examples
--------
>>> from leadscore.contract import TABLES
>>> TABLES["leads"].primary_key
'lead_id'
>>> [c.name for c in TABLES["outcomes"].columns]
['lead_id', 'converted_at']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["id", "text", "timestamp", "bool", "integer", "number", "vocabulary"]

#: Behavioural events a lead can produce (the ``events.event_type`` vocabulary).
EVENT_TYPES: tuple[str, ...] = (
    "email_delivered",
    "email_open",
    "email_click",
    "email_bounce",
    "unsubscribe",
    "page_view",
    "form_submit",
    "content_download",
    "webinar_registered",
    "webinar_attended",
    "chat_started",
    "trial_signup",
    "demo_request",
    "social_engagement",
)

#: Page categories expected in ``events.detail`` for ``page_view`` events. Other values are
#: allowed (``detail`` is free text) but only these get their own features downstream.
PAGE_CATEGORIES: tuple[str, ...] = (
    "home",
    "blog",
    "product",
    "pricing",
    "integrations",
    "case_studies",
    "docs",
    "careers",
    "contact",
    "about",
    "configurator",
    "route_planner",
    "financing",
)

#: Things that happen to a lead's company (the ``account_events.event_type`` vocabulary).
ACCOUNT_EVENT_TYPES: tuple[str, ...] = (
    "hiring",
    "hiring_sales",
    "funding",
    "layoff",
    "tech_added",
    "tech_removed",
    "press",
)

#: Lifecycle stages, in funnel order, as a snapshot at export time.
LIFECYCLE_STAGES: tuple[str, ...] = (
    "subscriber",
    "lead",
    "mql",
    "sql",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)

#: Spellings used by common tools (HubSpot, Salesforce, Marketo) mapped onto our stages.
LIFECYCLE_STAGE_ALIASES: dict[str, str] = {
    "marketingqualifiedlead": "mql",
    "marketing_qualified_lead": "mql",
    "salesqualifiedlead": "sql",
    "sales_qualified_lead": "sql",
    "opp": "opportunity",
    "client": "customer",
    "kunde": "customer",
    "interessent": "lead",
    "abonnent": "subscriber",
    "advocate": "evangelist",
}


@dataclass(frozen=True)
class Column:
    """One column of a table in the contract.

    Parameters
    ----------
    name : str
        Column name after header normalisation (lower case, ``_`` for spaces and dashes).
    kind : str
        How values are parsed: ``id`` and ``text`` (strings), ``timestamp`` (normalised to UTC),
        ``bool``, ``integer``, ``number`` or ``vocabulary`` (one of ``vocabulary``).
    description : str
        What the column means; rendered into the README.
    required : bool
        Whether the column must be present in the file.
    nullable : bool
        Whether empty values are allowed.
    vocabulary : tuple of str, optional
        Allowed values for ``kind="vocabulary"``.
    minimum, maximum : float, optional
        Inclusive range for numeric kinds.
    personal : bool
        Whether the values are personal data that must never be printed or logged.
    category : bool
        Whether the values become categories of the models, shown in points sheets and reasons:
        they must be short labels and never personal data.
    """

    name: str
    kind: ColumnKind
    description: str
    required: bool = True
    nullable: bool = False
    vocabulary: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: Personal data: values are never printed (not even as examples in error messages).
    personal: bool = False
    #: Values are model categories (points sheet rows, reasons): short labels, never personal.
    category: bool = False


@dataclass(frozen=True)
class Table:
    """One table (one file) of the contract."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: str | None = None
    required: bool = True
    #: An empty file is an error for tables a dataset cannot do without.
    may_be_empty: bool = False
    timestamp_columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "timestamp_columns",
            tuple(c.name for c in self.columns if c.kind == "timestamp"),
        )

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


LEADS = Table(
    name="leads",
    description="One row per contact (person) known to the CRM.",
    primary_key="lead_id",
    columns=(
        Column("lead_id", "id", "Unique id of the lead."),
        Column(
            "account_id",
            "id",
            "Company the lead works for; empty for B2C leads or when unknown.",
            nullable=True,
        ),
        Column("created_at", "timestamp", "When the lead entered the CRM."),
        Column(
            "email",
            "text",
            "E-mail address; only its domain is used (free-mail, education, competitor ...). "
            "Never printed or logged.",
            nullable=True,
            personal=True,
        ),
        Column(
            "job_title",
            "text",
            "Free-text job title, any case or language.",
            nullable=True,
            personal=True,
        ),
        Column("country", "text", "ISO 3166-1 alpha-2 country code, e.g. DE.", nullable=True),
        Column(
            "lead_source",
            "text",
            "Channel the lead came from (organic_search, referral, event, ...).",
            nullable=True,
            category=True,
        ),
        Column(
            "consent",
            "bool",
            "Consented to data collection (GDPR). Leads without consent are never profiled; "
            "an empty value counts as no consent.",
            nullable=True,
        ),
        Column(
            "lifecycle_stage",
            "vocabulary",
            "Funnel stage at export time (a snapshot, so never used as a feature).",
            vocabulary=LIFECYCLE_STAGES,
            nullable=True,
        ),
        Column(
            "age",
            "integer",
            "B2C only: age in years.",
            required=False,
            nullable=True,
            minimum=14,
            maximum=110,
        ),
        Column(
            "income",
            "number",
            "B2C only: yearly household income.",
            required=False,
            nullable=True,
            minimum=0,
            maximum=1e9,
        ),
    ),
)

ACCOUNTS = Table(
    name="accounts",
    description="One row per company (B2B). Optional: B2C datasets have none.",
    primary_key="account_id",
    required=False,
    columns=(
        Column("account_id", "id", "Unique id of the company."),
        Column("domain", "text", "Web domain of the company, e.g. example.com.", nullable=True),
        Column(
            "industry",
            "text",
            "Industry in snake_case, e.g. software.",
            nullable=True,
            category=True,
        ),
        # The maxima are far above any company (the largest employ about 2 million people and
        # earn under 10^12 EUR): larger values are export errors, not big customers.
        Column(
            "employees", "integer", "Number of employees.", nullable=True, minimum=0, maximum=1e7
        ),
        Column(
            "annual_revenue",
            "number",
            "Yearly revenue in EUR.",
            nullable=True,
            minimum=0,
            maximum=1e13,
        ),
        Column("country", "text", "ISO 3166-1 alpha-2 country code of the HQ.", nullable=True),
        Column(
            "technologies",
            "text",
            "Tools seen on the company website, separated by ';' (e.g. hubspot;wordpress).",
            nullable=True,
        ),
    ),
)

EVENTS = Table(
    name="events",
    description="Behavioural events ('digital body language'), one row per event.",
    columns=(
        Column("lead_id", "id", "Lead who acted."),
        Column("occurred_at", "timestamp", "When it happened."),
        Column("event_type", "vocabulary", "What happened.", vocabulary=EVENT_TYPES),
        Column(
            "detail",
            "text",
            "Page category for page_view (home, blog, product, pricing, careers, contact, ...), "
            "campaign for e-mails, asset, webinar or form name otherwise.",
            nullable=True,
        ),
    ),
    may_be_empty=True,
)

ACCOUNT_EVENTS = Table(
    name="account_events",
    description="Things that happened to a company: hiring, funding, layoffs, tech changes.",
    required=False,
    may_be_empty=True,
    columns=(
        Column("account_id", "id", "Company concerned."),
        Column("occurred_at", "timestamp", "When it happened (or was first seen)."),
        Column("event_type", "vocabulary", "What happened.", vocabulary=ACCOUNT_EVENT_TYPES),
        Column(
            "detail",
            "text",
            "Optional: the tool for tech_added/tech_removed, the role for hiring.",
            required=False,
            nullable=True,
        ),
    ),
)

OUTCOMES = Table(
    name="outcomes",
    description="Conversions: when a lead became an opportunity or customer.",
    required=False,
    may_be_empty=True,
    columns=(
        Column("lead_id", "id", "Lead who converted."),
        Column(
            "converted_at",
            "timestamp",
            "When the lead became an opportunity/customer; empty or absent = not converted.",
            nullable=True,
        ),
    ),
)

#: All tables, in the order they are read and reported.
TABLES: dict[str, Table] = {t.name: t for t in (LEADS, ACCOUNTS, EVENTS, ACCOUNT_EVENTS, OUTCOMES)}

#: File endings leadscore reads, in order of preference.
FILE_SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".tsv", ".txt")
