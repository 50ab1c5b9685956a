"""Load a folder of CRM exports into validated tables.

A dataset is a folder with one file per table of :mod:`leadscore.contract`, named after it
(``leads.parquet`` or ``leads.csv``, ``accounts.*``, ``events.*``, ``account_events.*``,
``outcomes.*``). :func:`load_dataset` reads and validates all of them, runs the cross-table
checks and either returns a :class:`Dataset` or raises one
:class:`~leadscore.errors.DataValidationError` listing every problem.

Examples
--------
>>> import tempfile
>>> from leadscore.synthetic import generate
>>> folder = tempfile.mkdtemp()
>>> _ = generate(folder, profile="b2b", n_leads=300, seed=1)
>>> data = load_dataset(folder)
>>> len(data.leads)
300
>>> data.warnings
[]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from leadscore.contract import TABLES
from leadscore.errors import DataValidationError, LeadscoreError
from leadscore.readers import find_table_file, read_table_file
from leadscore.validation import (
    DEFAULT_MAX_ORPHAN_SHARE,
    Problem,
    drop_orphans,
    empty_frame,
    validate_table,
)


@dataclass
class Dataset:
    """The five validated tables of one dataset.

    Tables that were not provided are empty frames with the contract's columns, so downstream
    code never needs to special-case them; ``files`` tells which were read.
    """

    leads: pd.DataFrame
    accounts: pd.DataFrame
    events: pd.DataFrame
    account_events: pd.DataFrame
    outcomes: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def summary(self) -> pd.DataFrame:
        """Rows and date range of each table (one row per table in the contract)."""
        rows = []
        for name, spec in TABLES.items():
            frame = self.table(name)
            stamps = frame[spec.timestamp_columns[0]].dropna() if spec.timestamp_columns else ()
            rows.append(
                {
                    "table": name,
                    "file": self.files[name].name if name in self.files else "(not provided)",
                    "rows": len(frame),
                    "first": stamps.min() if len(stamps) else pd.NaT,
                    "last": stamps.max() if len(stamps) else pd.NaT,
                }
            )
        return pd.DataFrame(rows)

    def headline(self) -> dict[str, float]:
        """Key figures: leads, consent share, conversion rate, events per lead."""
        n_leads = len(self.leads)
        converted = self.outcomes["lead_id"].nunique()
        return {
            "leads": n_leads,
            "accounts": len(self.accounts),
            "consented_share": float(self.leads["consent"].mean()) if n_leads else 0.0,
            "conversion_rate": converted / n_leads if n_leads else 0.0,
            "events_per_lead": len(self.events) / n_leads if n_leads else 0.0,
        }


def _check_leads(leads: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    no_consent = leads["consent"].isna()
    if no_consent.any():
        problems.append(
            Problem(
                "warning",
                "leads",
                file,
                "consent",
                "empty consent is treated as no consent (these leads are not profiled)",
                int(no_consent.sum()),
            )
        )
    leads = leads.assign(consent=leads["consent"].fillna(False).astype(bool))
    return leads, problems


def _check_outcomes(outcomes: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Keep one conversion per lead: the earliest. Rows without a date mean 'not converted'."""
    problems: list[Problem] = []
    outcomes = outcomes.dropna(subset=["converted_at"])
    repeated = outcomes["lead_id"].duplicated()
    if repeated.any():
        problems.append(
            Problem(
                "warning",
                "outcomes",
                file,
                "lead_id",
                "leads converted more than once; the earliest conversion is kept",
                int(repeated.sum()),
            )
        )
        outcomes = outcomes.sort_values(["lead_id", "converted_at"]).drop_duplicates("lead_id")
    return outcomes.sort_values("lead_id", kind="stable").reset_index(drop=True), problems


def load_dataset(
    data_dir: str | Path,
    *,
    now: pd.Timestamp | None = None,
    max_orphan_share: float = DEFAULT_MAX_ORPHAN_SHARE,
    strict: bool = False,
) -> Dataset:
    """Read and validate every table in ``data_dir``.

    Parameters
    ----------
    data_dir : str or Path
        Folder with ``leads.*`` (required), ``events.*`` (required), ``accounts.*``,
        ``account_events.*`` and ``outcomes.*`` as CSV or Parquet.
    now : Timestamp, optional
        Reference time for the "timestamp in the future" check; default: the current time.
    max_orphan_share : float
        Largest share of rows pointing at unknown leads/accounts that is dropped with a warning
        rather than rejected.
    strict : bool
        Treat warnings as errors.

    Returns
    -------
    Dataset

    Raises
    ------
    LeadscoreError
        When the folder does not exist or a table is present twice.
    DataValidationError
        Listing every error found, when any table breaks the contract.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise LeadscoreError(f"{data_dir}: no such data folder.")
    files: dict[str, Path] = {}
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, spec in TABLES.items():
        path = find_table_file(data_dir, name)
        if path is None:
            if spec.required:
                problems.append(
                    Problem(
                        "error",
                        name,
                        f"{data_dir}/{name}.*",
                        None,
                        f"required table is missing: add {name}.csv or {name}.parquet",
                    )
                )
            frames[name] = empty_frame(spec)
            continue
        files[name] = path
        frame, found = validate_table(read_table_file(path), spec, now=now)
        frames[name] = frame
        problems += found

    if not any(p.severity == "error" for p in problems):
        problems += _cross_check(frames, files, max_orphan_share)
    if strict:
        problems = [
            Problem("error", p.table, p.file, p.column, p.message, p.rows, p.examples)
            for p in problems
        ]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataValidationError(errors)
    return Dataset(**frames, files=files, problems=problems)


def _cross_check(
    frames: dict[str, pd.DataFrame], files: dict[str, Path], max_share: float
) -> list[Problem]:
    """Relations between tables; updates ``frames`` in place with the repaired tables."""
    problems: list[Problem] = []

    def file_of(name: str) -> str:
        return files[name].name if name in files else f"{name}.*"

    frames["leads"], found = _check_leads(frames["leads"], file_of("leads"))
    problems += found
    lead_ids = frames["leads"]["lead_id"]
    for name in ("events", "outcomes"):
        frames[name], found = drop_orphans(
            frames[name], "lead_id", lead_ids, TABLES[name], file_of(name), "leads", max_share
        )
        problems += found
    frames["outcomes"], found = _check_outcomes(frames["outcomes"], file_of("outcomes"))
    problems += found

    account_ids = frames["accounts"]["account_id"]
    if "account_events" in files and "accounts" not in files:
        problems.append(
            Problem(
                "error",
                "account_events",
                file_of("account_events"),
                "account_id",
                "account events were given without an accounts table",
            )
        )
    elif "account_events" in files:
        frames["account_events"], found = drop_orphans(
            frames["account_events"],
            "account_id",
            account_ids,
            TABLES["account_events"],
            file_of("account_events"),
            "accounts",
            max_share,
        )
        problems += found
    if "accounts" in files:
        lead_accounts = frames["leads"]["account_id"]
        unknown = lead_accounts.notna() & ~lead_accounts.isin(account_ids)
        if unknown.any():
            problems.append(
                Problem(
                    "warning",
                    "leads",
                    file_of("leads"),
                    "account_id",
                    "leads reference an account_id not in accounts; they are kept, "
                    "without company attributes",
                    int(unknown.sum()),
                    tuple(lead_accounts[unknown].drop_duplicates().head(5)),
                )
            )
    return problems
