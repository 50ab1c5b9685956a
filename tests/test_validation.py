"""The data contract: every kind of bad input gets a clear error or an explicit warning."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import NOW, TINY, write_tables
from leadscore.dataset import load_dataset
from leadscore.errors import DataValidationError, LeadscoreError
from leadscore.validation import Problem


def _with(tmp_path: Path, **changes: str) -> Path:
    """The tiny dataset with some tables replaced (``None`` removes a table)."""
    tables = {**TINY, **changes}
    return write_tables(tmp_path / "data", {k: v for k, v in tables.items() if v is not None})


def _errors(folder: Path) -> list[Problem]:
    before = sorted(p.name for p in folder.rglob("*"))
    with pytest.raises(DataValidationError) as caught:
        load_dataset(folder, now=NOW)
    assert sorted(p.name for p in folder.rglob("*")) == before, "validation wrote files"
    return caught.value.problems


def _one(problems: list[Problem], file: str, column: str | None) -> Problem:
    found = [p for p in problems if p.file.endswith(file) and p.column == column]
    assert found, f"no problem for {file}/{column} in {[p.describe() for p in problems]}"
    text = found[0].describe()
    assert file in text
    if column:
        assert f"column '{column}'" in text
    return found[0]


def test_tiny_dataset_is_valid(tiny: Path) -> None:
    data = load_dataset(tiny, now=NOW)
    assert data.problems == []
    assert data.leads["consent"].tolist() == [True, True, False]
    assert str(data.events["occurred_at"].dtype) == "datetime64[us, UTC]"
    assert data.headline()["conversion_rate"] == pytest.approx(1 / 3)


def test_missing_column_is_named_with_a_rename_hint(tmp_path: Path) -> None:
    leads = TINY["leads"].replace("created_at", "created", 1)
    problem = _one(_errors(_with(tmp_path, leads=leads)), "leads.csv", "created_at")
    assert "required column is missing" in problem.message
    assert "found 'created'" in problem.message


def test_extra_column_is_a_warning_and_ignored(tmp_path: Path) -> None:
    events = TINY["events"].replace("detail\n", "detail,utm_campaign\n", 1)
    events = "\n".join(line + ",x" if i else line for i, line in enumerate(events.splitlines()))
    data = load_dataset(_with(tmp_path, events=events + "\n"), now=NOW)
    warning = _one(data.warnings, "events.csv", "utm_campaign")
    assert "ignored" in warning.message
    assert "utm_campaign" not in data.events.columns


@pytest.mark.parametrize(
    ("table", "old", "new", "column", "fragment", "example"),
    [
        ("accounts", ",120,", ",many,", "employees", "not a number", "'many'"),
        ("accounts", ",120,", ",-5,", "employees", "out of range", "'-5'"),
        ("accounts", ",120,", ",12.5,", "employees", "not a whole number", "'12.5'"),
        ("leads", ",true,", ",maybe,", "consent", "not a yes/no value", "'maybe'"),
        ("leads", "lead\n", "prospect\n", "lifecycle_stage", "unknown value", "'prospect'"),
    ],
    ids=["text-in-number", "negative", "fraction-in-integer", "bad-bool", "bad-stage"],
)
def test_wrong_types_are_reported_with_examples(
    tmp_path: Path, table: str, old: str, new: str, column: str, fragment: str, example: str
) -> None:
    folder = _with(tmp_path, **{table: TINY[table].replace(old, new, 1)})
    problem = _one(_errors(folder), f"{table}.csv", column)
    assert fragment in problem.message
    assert problem.rows == 1
    assert example in problem.examples


def test_unparseable_timestamps(tmp_path: Path) -> None:
    events = (
        TINY["events"]
        .replace("2025-01-11T08:00:00Z", "yesterday")
        .replace("2025-01-12T08:00:00Z", "31/31/2025")
    )
    problem = _one(_errors(_with(tmp_path, events=events)), "events.csv", "occurred_at")
    assert problem.message == "unparseable timestamps"
    assert problem.rows == 2
    assert set(problem.examples) == {"'yesterday'", "'31/31/2025'"}


def test_duplicate_ids(tmp_path: Path) -> None:
    leads = TINY["leads"].replace("L2,A1", "L1,A1")
    problem = _one(_errors(_with(tmp_path, leads=leads)), "leads.csv", "lead_id")
    assert "duplicate ids" in problem.message
    assert problem.rows == 2
    assert problem.examples == ("'L1'",)


def test_empty_required_values_point_to_rows(tmp_path: Path) -> None:
    leads = TINY["leads"].replace("L3,,", ",,")
    problem = _one(_errors(_with(tmp_path, leads=leads)), "leads.csv", "lead_id")
    assert "empty values" in problem.message
    assert problem.examples == ("row 3",)


def test_a_few_orphan_events_are_dropped_with_a_warning(tmp_path: Path) -> None:
    rows = "".join(f"L1,2025-01-{d:02d}T08:00:00Z,page_view,blog\n" for d in range(13, 31))
    events = TINY["events"] + rows + "L9,2025-01-10T08:00:00Z,page_view,home\n"
    data = load_dataset(_with(tmp_path, events=events), now=NOW)
    warning = _one(data.warnings, "events.csv", "lead_id")
    assert warning.rows == 1
    assert "dropped" in warning.message
    assert warning.examples == ("'L9'",)
    assert "L9" not in set(data.events["lead_id"])
    assert len(data.events) == 5 + 18


def test_many_orphan_events_mean_the_wrong_export(tmp_path: Path) -> None:
    events = TINY["events"] + "L8,2025-01-10T08:00:00Z,page_view,home\n" * 3
    problem = _one(_errors(_with(tmp_path, events=events)), "events.csv", "lead_id")
    assert "is it the matching export" in problem.message
    assert problem.rows == 3


def test_orphan_account_events_and_outcomes_are_dropped(tmp_path: Path) -> None:
    account_events = (
        TINY["account_events"]
        + "".join(f"A1,2025-02-{d:02d}T00:00:00Z,press,\n" for d in range(1, 20))
        + "A7,2025-01-02T00:00:00Z,funding,\n"
    )
    outcomes = TINY["outcomes"] + "".join(f"L{i},\n" for i in range(2, 4)) * 5
    outcomes += "".join(f"L1,2025-04-0{d}T00:00:00Z\n" for d in range(1, 9))
    outcomes += "L404,2025-03-01T00:00:00Z\n"
    data = load_dataset(_with(tmp_path, account_events=account_events, outcomes=outcomes), now=NOW)
    assert _one(data.warnings, "account_events.csv", "account_id").rows == 1
    assert _one(data.warnings, "outcomes.csv", "lead_id").examples == ("'L404'",)
    assert data.outcomes["lead_id"].tolist() == ["L1"]  # empty dates = not converted
    assert data.outcomes["converted_at"].iloc[0] == pd.Timestamp("2025-03-01 12:00", tz="UTC")


def test_timestamps_in_the_future(tmp_path: Path) -> None:
    events = TINY["events"].replace("2025-01-11T08:00:00Z", "2099-01-01T00:00:00Z")
    problem = _one(_errors(_with(tmp_path, events=events)), "events.csv", "occurred_at")
    assert "in the future" in problem.message
    assert problem.rows == 1


def test_unknown_event_types_list_the_vocabulary(tmp_path: Path) -> None:
    events = TINY["events"].replace("demo_request", "webinar_watched_twice")
    problem = _one(_errors(_with(tmp_path, events=events)), "events.csv", "event_type")
    assert "allowed: email_delivered" in problem.message
    assert problem.examples == ("'webinar_watched_twice'",)


def test_vocabulary_matching_ignores_case_and_blanks(tmp_path: Path) -> None:
    events = TINY["events"].replace("page_view,pricing", " Page View ,pricing")
    leads = TINY["leads"].replace(",mql\n", ",MarketingQualifiedLead\n")
    data = load_dataset(_with(tmp_path, events=events, leads=leads), now=NOW)
    assert (data.events["event_type"] == "page_view").sum() == 2
    assert data.leads["lifecycle_stage"].tolist() == ["lead", "mql", "subscriber"]


def test_zero_byte_file_is_an_error(tmp_path: Path) -> None:
    folder = _with(tmp_path, leads="")
    with pytest.raises(LeadscoreError, match=r"leads.csv: the file is empty"):
        load_dataset(folder, now=NOW)


def test_header_only_leads_is_an_error_but_outcomes_may_be_empty(tmp_path: Path) -> None:
    problem = _one(
        _errors(_with(tmp_path, leads=TINY["leads"].splitlines()[0] + "\n")), "leads.csv", None
    )
    assert problem.message == "the file has no rows"
    data = load_dataset(_with(tmp_path / "b", outcomes="lead_id,converted_at\n"), now=NOW)
    assert _one(data.warnings, "outcomes.csv", None).message == "the file has no rows"
    assert data.headline()["conversion_rate"] == 0


def test_mixed_time_zones_are_normalised_to_utc(tmp_path: Path) -> None:
    events = (
        "lead_id,occurred_at,event_type,detail\n"
        "L1,2025-03-01T10:00:00+01:00,page_view,home\n"
        "L1,2025-07-01T10:00:00+02:00,page_view,home\n"
        "L1,2025-03-01T04:00:00-05:00,page_view,home\n"
        "L1,2025-03-01T09:00:00Z,page_view,home\n"
    )
    data = load_dataset(_with(tmp_path, events=events), now=NOW)
    assert data.events["occurred_at"].tolist() == [
        pd.Timestamp("2025-03-01 09:00", tz="UTC"),
        pd.Timestamp("2025-07-01 08:00", tz="UTC"),
        pd.Timestamp("2025-03-01 09:00", tz="UTC"),
        pd.Timestamp("2025-03-01 09:00", tz="UTC"),
    ]
    assert data.warnings == []


def test_timestamps_without_offset_among_offsets_are_read_as_utc_with_a_warning(
    tmp_path: Path,
) -> None:
    events = TINY["events"].replace("2025-01-11T08:00:00Z", "2025-01-11 08:00:00")
    data = load_dataset(_with(tmp_path, events=events), now=NOW)
    assert _one(data.warnings, "events.csv", "occurred_at").rows == 1
    assert data.events["occurred_at"].iloc[2] == pd.Timestamp("2025-01-11 08:00", tz="UTC")


def test_german_excel_numbers_and_dates(tmp_path: Path) -> None:
    accounts = (
        "account_id;domain;industry;employees;annual_revenue;country;technologies\n"
        "A1;brandt-software.de;software;1.200;25.000.000,50;DE;hubspot\n"
    )
    outcomes = "lead_id;converted_at\nL1;01.03.2025 12:00\n"
    data = load_dataset(_with(tmp_path, accounts=accounts, outcomes=outcomes), now=NOW)
    assert data.accounts["employees"].iloc[0] == 1200
    assert data.accounts["annual_revenue"].iloc[0] == 25_000_000.5
    assert data.outcomes["converted_at"].iloc[0] == pd.Timestamp("2025-03-01 12:00", tz="UTC")


def test_missing_required_table(tmp_path: Path) -> None:
    problem = _one(_errors(_with(tmp_path, events=None)), "events.*", None)
    assert "required table is missing" in problem.message


def test_optional_tables_may_be_absent(tmp_path: Path) -> None:
    folder = _with(tmp_path, accounts=None, account_events=None, outcomes=None)
    data = load_dataset(folder, now=NOW)
    assert set(data.files) == {"leads", "events"}
    assert data.accounts.columns[0] == "account_id"
    assert len(data.outcomes) == 0


def test_account_events_need_accounts(tmp_path: Path) -> None:
    problem = _one(_errors(_with(tmp_path, accounts=None)), "account_events.csv", "account_id")
    assert "without an accounts table" in problem.message


def test_empty_consent_means_no_consent(tmp_path: Path) -> None:
    leads = TINY["leads"].replace(",yes,", ",,")
    data = load_dataset(_with(tmp_path, leads=leads), now=NOW)
    assert _one(data.warnings, "leads.csv", "consent").rows == 1
    assert data.leads["consent"].tolist() == [True, False, False]


def test_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    leads = TINY["leads"].replace(",yes,", ",,")
    with pytest.raises(DataValidationError):
        load_dataset(_with(tmp_path, leads=leads), now=NOW, strict=True)


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    leads = TINY["leads"].replace("L2,A1", "L1,A1")
    events = TINY["events"].replace("demo_request", "bogus")
    problems = _errors(_with(tmp_path, leads=leads, events=events))
    assert {p.file for p in problems} == {"leads.csv", "events.csv"}


def test_parquet_types_are_normalised(tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    pd.DataFrame(
        {
            "lead_id": [1, 2],
            "account_id": [None, None],
            "created_at": pd.to_datetime(["2025-01-01 10:00", "2025-01-02 10:00"]),  # naive
            "email": ["a@b.de", None],
            "job_title": ["CTO", None],
            "country": ["DE", "AT"],
            "lead_source": ["event", None],
            "consent": [True, False],
            "lifecycle_stage": ["lead", "lead"],
        }
    ).to_parquet(folder / "leads.parquet")
    pd.DataFrame(
        {
            "lead_id": [1],
            "occurred_at": pd.to_datetime(["2025-01-03 10:00"]).tz_localize("Europe/Berlin"),
            "event_type": ["page_view"],
            "detail": ["pricing"],
        }
    ).to_parquet(folder / "events.parquet")
    data = load_dataset(folder, now=NOW)
    assert data.leads["lead_id"].tolist() == ["1", "2"]
    assert data.leads["created_at"].iloc[0] == pd.Timestamp("2025-01-01 10:00", tz="UTC")
    assert data.events["occurred_at"].iloc[0] == pd.Timestamp("2025-01-03 09:00", tz="UTC")


def test_wrong_parquet_type_is_named(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "pq", {"leads": TINY["leads"]})
    pd.DataFrame(
        {"lead_id": ["L1"], "occurred_at": [20250101], "event_type": ["page_view"], "detail": [""]}
    ).to_parquet(folder / "events.parquet")
    problem = _one(_errors(folder), "events.parquet", "occurred_at")
    assert "expected timestamps, found int64" in problem.message


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match="no such data folder"):
        load_dataset(tmp_path / "nope")


# -- blank values, absurd numbers and dates, personal data in messages ---------------------------

BLANKS = ["   ", "\t", "\u00a0", " \u200b "]


@pytest.mark.parametrize("blank", BLANKS, ids=["spaces", "tab", "no-break-space", "zero-width"])
@pytest.mark.parametrize(
    ("table", "column", "old"),
    [
        ("leads", "lead_id", "L2"),
        ("leads", "created_at", "2025-01-06T11:30:00Z"),
        ("events", "lead_id", "L3"),
        ("events", "occurred_at", "2025-02-02T08:00:00Z"),
        ("events", "event_type", "demo_request"),
        ("account_events", "account_id", "A1"),
    ],
    ids=["id", "timestamp", "event-id", "event-timestamp", "vocabulary", "account-id"],
)
def test_blank_required_values_are_empty_values(
    tmp_path: Path, table: str, column: str, old: str, blank: str
) -> None:
    folder = _with(tmp_path, **{table: TINY[table].replace(old, blank, 1)})
    problem = _one(_errors(folder), f"{table}.csv", column)
    assert problem.message == "empty values"
    assert problem.rows == 1
    assert problem.examples[0].startswith("row ")


def test_a_blank_created_at_never_makes_a_lead_vanish(tmp_path: Path) -> None:
    """Every lead is either reported or loaded: a blank date is not a silent 'no date'."""
    rows = "".join(
        f"L{i},,{'   ' if i % 4 == 0 else '2025-01-05T10:00:00Z'},,,DE,event,true,lead\n"
        for i in range(10, 30)
    )
    problems = _errors(_with(tmp_path, leads=TINY["leads"] + rows))
    assert _one(problems, "leads.csv", "created_at").rows == 5


def test_blank_optional_values_are_missing_values(tmp_path: Path) -> None:
    accounts = TINY["accounts"].replace(",120,25000000,", ",  ,\t,")
    leads = TINY["leads"].replace(",yes,mql", ",\u00a0, ")
    outcomes = TINY["outcomes"] + "L2,   \n"
    data = load_dataset(_with(tmp_path, accounts=accounts, leads=leads, outcomes=outcomes), now=NOW)
    assert pd.isna(data.accounts["employees"].iloc[0])
    assert pd.isna(data.accounts["annual_revenue"].iloc[0])
    assert data.leads["consent"].tolist() == [True, False, False]  # blank consent: none
    assert _one(data.warnings, "leads.csv", "consent").rows == 1
    assert pd.isna(data.leads["lifecycle_stage"].iloc[1])
    assert data.outcomes["lead_id"].tolist() == ["L1"]  # a blank date: not converted


def test_blank_strings_in_parquet_are_empty_values(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "pq", {"events": TINY["events"]})
    leads = pd.read_csv(io.StringIO(TINY["leads"]), dtype=str)
    leads.loc[1, "lead_id"] = " \t "
    leads.loc[1, "created_at"] = "   "
    leads["lead_id"] = leads["lead_id"].astype("category")  # a dictionary-encoded column
    leads.to_parquet(folder / "leads.parquet")
    problems = _errors(folder)
    assert _one(problems, "leads.parquet", "lead_id").examples == ("row 2",)
    assert _one(problems, "leads.parquet", "created_at").examples == ("row 2",)


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("employees", "1e20", "out of range: must be between 0 and 10,000,000"),
        ("employees", "9223372036854775808", "out of range"),
        ("employees", "-1e20", "out of range"),
        ("employees", "inf", "not a finite number"),
        ("annual_revenue", "inf", "not a finite number"),
        ("annual_revenue", "-Infinity", "not a finite number"),
        ("annual_revenue", "1e400", "not a finite number"),
        ("annual_revenue", "1e308", "out of range: must be between 0 and 10,000,000,000,000"),
        ("annual_revenue", "NaN", "not a number"),
    ],
)
def test_non_finite_and_absurd_numbers_are_errors(
    tmp_path: Path, column: str, value: str, fragment: str
) -> None:
    header, row = TINY["accounts"].splitlines()
    cells = row.split(",")
    cells[header.split(",").index(column)] = value
    folder = _with(tmp_path, accounts=f"{header}\n{','.join(cells)}\n")
    problem = _one(_errors(folder), "accounts.csv", column)
    assert fragment in problem.message
    assert problem.examples == (repr(value),)


def test_non_finite_and_absurd_numbers_in_parquet_are_errors(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "pq", {k: v for k, v in TINY.items() if k != "accounts"})
    accounts = pd.concat([pd.read_csv(io.StringIO(TINY["accounts"]))] * 3, ignore_index=True)
    accounts["account_id"] = ["A1", "A2", "A3"]
    accounts["employees"] = [1e20, 10.0, float("nan")]
    accounts["annual_revenue"] = [float("inf"), 1e308, 5e6]
    accounts.to_parquet(folder / "accounts.parquet")
    problems = _errors(folder)
    assert "out of range" in _one(problems, "accounts.parquet", "employees").message
    revenue = [p for p in problems if p.column == "annual_revenue"]
    assert sorted(p.message.split(":")[0] for p in revenue) == [
        "not a finite number (infinity, or too large to represent)",
        "out of range",
    ]


@pytest.mark.parametrize(
    ("table", "old", "new", "column", "shown"),
    [
        ("leads", "2025-01-05T10:00:00Z", "1970-01-01T00:00:00Z", "created_at", "1970-01-01"),
        ("leads", "2025-01-05T10:00:00Z", "0001-01-01", "created_at", "0001-01-01"),
        ("events", "2025-01-11T08:00:00Z", "1979-12-31T23:59:59Z", "occurred_at", "1979-12-31"),
        ("outcomes", "2025-03-01T12:00:00Z", "01.01.1970 00:00", "converted_at", "1970-01-01"),
    ],
    ids=["epoch-zero", "year-1", "event-1979", "german-epoch"],
)
def test_implausibly_early_timestamps_are_errors(
    tmp_path: Path, table: str, old: str, new: str, column: str, shown: str
) -> None:
    folder = _with(tmp_path, **{table: TINY[table].replace(old, new)})
    problem = _one(_errors(folder), f"{table}.csv", column)
    assert problem.message.startswith("timestamps before 1980-01-01")
    assert "1970-01-01" in problem.message  # says what such dates usually are
    assert problem.rows == 1
    assert problem.examples[0].startswith(f"'{shown} ")


def test_conversions_before_creation_are_a_warning(tmp_path: Path) -> None:
    # L1 was created on 2025-01-05 10:00, L2 on 2025-01-06 11:30 (hours later: clock skew)
    outcomes = "lead_id,converted_at\nL1,2025-01-04T09:59:00Z\nL2,2025-01-06T08:00:00Z\n"
    data = load_dataset(_with(tmp_path, outcomes=outcomes), now=NOW)
    warning = _one(data.warnings, "outcomes.csv", "converted_at")
    assert "more than 1 day before the lead's created_at" in warning.message
    assert "never scored" in warning.message
    assert (warning.rows, warning.examples) == (1, ("'L1'",))
    with pytest.raises(DataValidationError):
        load_dataset(_with(tmp_path / "strict", outcomes=outcomes), now=NOW, strict=True)


def test_example_values_never_show_personal_data(tmp_path: Path) -> None:
    leads = (
        TINY["leads"]
        .replace(",true,", ",anna.mueller@brandt-software.de,")
        .replace("L1,", "max@brandt-software.de,")
        .replace("L2,", "max@brandt-software.de,")
    )
    problems = _errors(_with(tmp_path, leads=leads))
    text = "\n".join(p.describe() for p in problems)
    assert "@brandt-software.de" not in text
    assert _one(problems, "leads.csv", "consent").examples == ("'<e-mail>'",)
    assert _one(problems, "leads.csv", "lead_id").examples == ("'<e-mail>'",)


def test_values_that_look_like_markup_are_printed_as_they_are(tmp_path: Path) -> None:
    events = TINY["events"].replace("demo_request", "[/]").replace("email_open", "[bold]x")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadscore",
            "validate",
            "--data",
            str(_with(tmp_path, events=events)),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "e.g. '[bold]x', '[/]'" in " ".join(result.stderr.split())  # wrapped lines


@pytest.mark.parametrize(
    ("value", "fragment", "shown"),
    [
        ("+49 151 2345678", "personal data", "'<phone>'"),
        ("Messe anna.m@example.org", "personal data", "'Messe <e-mail>'"),
        ("DE89 3704 0044 0532 0130 00", "personal data", "'<IBAN>'"),
        ("x" * 5000, "values longer than 100 characters", "'" + "x" * 29 + "…'"),
    ],
    ids=["phone", "e-mail", "iban", "long"],
)
def test_model_categories_are_short_labels_without_personal_data(
    tmp_path: Path, value: str, fragment: str, shown: str
) -> None:
    folder = _with(
        tmp_path,
        leads=TINY["leads"].replace("organic_search", value),
        accounts=TINY["accounts"].replace("software", value),
    )
    problems = _errors(folder)
    for file, column in (("leads.csv", "lead_source"), ("accounts.csv", "industry")):
        problem = _one(problems, file, column)
        assert fragment in problem.message
        assert problem.examples == (shown,)
    assert value not in "\n".join(p.describe() for p in problems)
