"""Enforce the data contract: parse every column and report every problem at once.

Each problem names the file, the column, how many rows are affected and a few example values
(never for personal columns such as ``email``; e-mail addresses, phone numbers and IBANs in
other columns are masked). Errors stop the load; warnings describe recoverable issues whose rows
were dropped or whose values were repaired, with counts.

Blank means empty everywhere: a value of only white space (spaces, tabs, no-break spaces) is
missing, in CSV and Parquet alike. Numbers must be finite and within the contract's range,
timestamps between :data:`EARLIEST_TIMESTAMP` and a day after "now".

Examples
--------
>>> import pandas as pd
>>> from pathlib import Path
>>> from leadscore.contract import TABLES
>>> from leadscore.readers import RawTable
>>> raw = RawTable(pd.DataFrame({"lead_id": ["1", "2"], "converted_at": ["2025-01-02", "soon"]}),
...                Path("outcomes.csv"), delimiter=",")
>>> frame, problems = validate_table(raw, TABLES["outcomes"])
>>> print(problems[0].describe())
error: outcomes.csv, column 'converted_at': unparseable timestamps (1 row); e.g. 'soon'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from leadscore.cells import FALSE_WORDS, TRUE_WORDS
from leadscore.contract import LIFECYCLE_STAGE_ALIASES, Column, Table
from leadscore.defaults import MAX_ORPHAN_SHARE
from leadscore.privacy import mask_personal, safe_example
from leadscore.readers import RawTable

Severity = Literal["error", "warning"]

#: Timestamps up to this far ahead of "now" are accepted (clock skew between systems).
FUTURE_TOLERANCE = pd.Timedelta(days=1)
#: A conversion up to this long before the lead's creation is clock skew between the CRM and the
#: system that records deals, not a wrong date (within a day it changes no table: cutoffs are days).
DATE_ORDER_TOLERANCE = pd.Timedelta(days=1)
#: Earlier timestamps are errors: no CRM holds leads or events from before it, and such dates are
#: nearly always a missing value exported as 0 (1970-01-01) or a default such as 0001-01-01.
EARLIEST_TIMESTAMP = pd.Timestamp("1980-01-01", tz="UTC")
#: Longest value of a column whose values become model categories (a lead source, an industry).
CATEGORY_MAX_LENGTH = 100
#: Share of orphan rows above which a file is rejected (see :mod:`leadscore.defaults`).
DEFAULT_MAX_ORPHAN_SHARE = MAX_ORPHAN_SHARE
_MAX_EXAMPLES = 5
_TEXT = pd.StringDtype("pyarrow")
#: Characters that make a value blank: Unicode white space (tabs, no-break spaces ...) and the
#: invisible zero-width space, word joiner and byte-order mark that spreadsheets leave behind.
_BLANK_CHARS = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200b\u2060\ufeff"
#: Whole numbers beyond this are not exact in float64 (numbers are parsed as float64 first).
_LARGEST_WHOLE_NUMBER = 2.0**53
_GERMAN_NUMBER = r"^-?\d{1,3}(?:\.\d{3})+(?:,\d+)?$|^-?\d+,\d+$"
_HAS_UTC_OFFSET = r"(?:Z|[+-]\d\d(?::?\d\d)?)$"
_GERMAN_TIMESTAMP_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")


@dataclass(frozen=True)
class Problem:
    """One finding about one table (and usually one column)."""

    severity: Severity
    table: str
    file: str
    column: str | None
    message: str
    rows: int = 0
    examples: tuple[str, ...] = ()

    def describe(self) -> str:
        """Render the problem as one line a user can act on."""
        where = self.file + (f", column '{self.column}'" if self.column else "")
        count = f" ({self.rows:,} row{'s' if self.rows != 1 else ''})" if self.rows else ""
        examples = f"; e.g. {', '.join(self.examples)}" if self.examples else ""
        return f"{self.severity}: {where}: {self.message}{count}{examples}"


def example_values(values: pd.Series, column: Column | None = None) -> tuple[str, ...]:
    """A few distinct values for a message, with personal data masked and long values cut.

    Values of a personal column are never shown; elsewhere e-mail addresses, phone numbers and
    IBANs (an e-mail typed into the consent column, say) are replaced by placeholders.

    Examples
    --------
    >>> example_values(pd.Series(["maybe", "anna@example.com", "maybe", 1e20]))
    ("'maybe'", "'<e-mail>'", '1e+20')
    """
    if column is not None and column.personal:
        return ("<personal data, not shown>",)
    return tuple(safe_example(v) for v in pd.unique(values.astype("object"))[:_MAX_EXAMPLES])


def _row_numbers(mask: pd.Series, first_row: int = 0) -> tuple[str, ...]:
    """1-based data row numbers (row 1 is the first row after the header)."""
    positions = np.flatnonzero(mask.to_numpy())[:_MAX_EXAMPLES]
    return tuple(f"row {first_row + p + 1}" for p in positions)


class _Collector:
    """Collect problems for one table read from one file."""

    def __init__(self, table: Table, file: str, german_excel: bool = False) -> None:
        self.table = table
        self.file = file
        #: Semicolon-separated CSV: numbers such as 1.200 mean 1200 (German Excel).
        self.german_excel = german_excel
        self.problems: list[Problem] = []

    def add(
        self,
        severity: Severity,
        column: str | None,
        message: str,
        rows: int = 0,
        examples: tuple[str, ...] = (),
    ) -> None:
        self.problems.append(
            Problem(severity, self.table.name, self.file, column, message, rows, examples)
        )

    def error(self, column: str | None, message: str, rows: int = 0, examples=()) -> None:
        self.add("error", column, message, rows, examples)

    def warning(self, column: str | None, message: str, rows: int = 0, examples=()) -> None:
        self.add("warning", column, message, rows, examples)


def _normalise_text(values: pd.Series) -> pd.Series:
    """Text with surrounding blanks removed; blank values (``""``, ``"   "``, tabs) are missing.

    >>> _normalise_text(pd.Series([" L1 ", "   ", "\\t", None])).tolist()
    ['L1', <NA>, <NA>, <NA>]
    """
    if (
        pd.api.types.is_float_dtype(values)
        and values.dropna().mod(1).eq(0).all()
        and not values.abs().gt(_LARGEST_WHOLE_NUMBER).any()
    ):
        values = values.astype("Int64")  # 1.0 ids from NaN-able integer columns read as 1
    text = values.astype(_TEXT).str.strip(_BLANK_CHARS)
    return text.mask(text == "")


def _is_blank(values: pd.Series) -> pd.Series:
    """Missing or blank (white space only), the same for CSV text and typed Parquet columns."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values.isna()
    return _normalise_text(values).isna()  # text, also dictionary-encoded (categorical)


def _normalise_token(values: pd.Series) -> pd.Series:
    """Lower-case snake_case tokens, normalising each distinct value once."""
    codes, uniques = pd.factorize(_normalise_text(values))
    tokens = pd.Index(uniques).str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    out = pd.Series(tokens.take(codes), index=values.index, dtype=_TEXT)
    return out.mask(codes == -1)


def _parse_timestamp(values: pd.Series, col: Column, report: _Collector) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.as_unit("us")
    if pd.api.types.is_datetime64_dtype(values):
        return values.dt.tz_localize("UTC").dt.as_unit("us")
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        report.error(col.name, f"expected timestamps, found {values.dtype} values")
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    text = _normalise_text(values)
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    failed = parsed.isna() & text.notna()
    for fmt in _GERMAN_TIMESTAMP_FORMATS:
        if not failed.any():
            break
        retry = pd.to_datetime(text[failed], format=fmt, errors="coerce", utc=True)
        parsed = parsed.where(~failed, retry)
        failed = parsed.isna() & text.notna()
    if failed.any():
        report.error(
            col.name, "unparseable timestamps", int(failed.sum()), example_values(text[failed])
        )
    has_offset = text.str.contains(_HAS_UTC_OFFSET, regex=True)
    n_naive = int((text.notna() & ~has_offset.fillna(False)).sum())
    if n_naive and bool(has_offset.any()):
        report.warning(
            col.name,
            "timestamps mix values with and without a UTC offset; those without were read as UTC",
            n_naive,
        )
    return parsed.dt.as_unit("us")


def _parse_bool(values: pd.Series, col: Column, report: _Collector) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    if pd.api.types.is_numeric_dtype(values):
        values = values.astype("Int64")
    text = _normalise_text(values).str.lower()
    is_true = text.isin(TRUE_WORDS)
    is_false = text.isin(FALSE_WORDS)
    bad = text.notna() & ~is_true & ~is_false
    if bad.any():
        report.error(
            col.name,
            "not a yes/no value (use true/false, yes/no, 1/0)",
            int(bad.sum()),
            example_values(text[bad], col),
        )
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[is_true] = True
    out[is_false] = False
    return out


def _parse_number(values: pd.Series, col: Column, report: _Collector) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        report.error(col.name, "expected numbers, found true/false values")
        return pd.Series(np.nan, index=values.index)
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
    else:
        text = _normalise_text(values)
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        german = text.str.fullmatch(_GERMAN_NUMBER).fillna(False)
        plain_integer = text.str.fullmatch(r"-?\d+").fillna(False)
        if report.german_excel and (german | plain_integer | text.isna()).all():
            convert = german
        else:  # elsewhere German notation is only a fallback for values that fail plain parsing
            convert = german & numbers.isna()
        if convert.any():
            converted = text[convert].str.replace(".", "", regex=False).str.replace(",", ".")
            numbers[convert] = pd.to_numeric(converted, errors="coerce")
        failed = numbers.isna() & text.notna()
        if failed.any():  # "NaN" included: a missing value is an empty cell
            report.error(
                col.name, "not a number", int(failed.sum()), example_values(text[failed], col)
            )
    infinite = pd.Series(np.isinf(numbers.to_numpy()), index=numbers.index)
    if infinite.any():
        report.error(
            col.name,
            "not a finite number (infinity, or too large to represent)",
            int(infinite.sum()),
            example_values(values[infinite], col),
        )
    numbers = numbers.mask(infinite)
    if col.kind == "integer":
        fractional = numbers.notna() & (numbers % 1 != 0)
        if fractional.any():
            report.error(
                col.name,
                "not a whole number",
                int(fractional.sum()),
                example_values(values[fractional], col),
            )
            numbers = numbers.mask(fractional)
    minimum, maximum = col.minimum, col.maximum
    if col.kind == "integer" and maximum is None:
        maximum = _LARGEST_WHOLE_NUMBER  # larger whole numbers cannot be held exactly
    out_of_range = numbers.lt(minimum if minimum is not None else -np.inf) | numbers.gt(
        maximum if maximum is not None else np.inf
    )
    if out_of_range.any():
        report.error(
            col.name,
            f"out of range: must be {_bounds(minimum, maximum)}",
            int(out_of_range.sum()),
            example_values(values[out_of_range], col),
        )
        numbers = numbers.mask(out_of_range)
    return numbers.astype("Int64") if col.kind == "integer" else numbers


def _bounds(minimum: float | None, maximum: float | None) -> str:
    """The allowed range in words, e.g. ``between 0 and 10,000,000``."""
    if minimum is not None and maximum is not None:
        return f"between {minimum:,.15g} and {maximum:,.15g}"
    return f"at least {minimum:,.15g}" if minimum is not None else f"at most {maximum:,.15g}"


def _parse_vocabulary(values: pd.Series, col: Column, report: _Collector) -> pd.Series:
    tokens = _normalise_token(values)
    if col.name == "lifecycle_stage":
        tokens = tokens.replace(LIFECYCLE_STAGE_ALIASES)
    unknown = tokens.notna() & ~tokens.isin(col.vocabulary or ())
    if unknown.any():
        report.error(
            col.name,
            f"unknown value (allowed: {', '.join(col.vocabulary or ())})",
            int(unknown.sum()),
            example_values(values[unknown], col),
        )
    return tokens


def _parse_column(values: pd.Series, col: Column, report: _Collector) -> pd.Series:
    if col.kind == "timestamp":
        return _parse_timestamp(values, col, report)
    if col.kind == "bool":
        return _parse_bool(values, col, report)
    if col.kind in ("integer", "number"):
        return _parse_number(values, col, report)
    if col.kind == "vocabulary":
        return _parse_vocabulary(values, col, report)
    return _normalise_text(values)


def _empty_column(col: Column, length: int) -> pd.Series:
    dtypes = {
        "timestamp": "datetime64[us, UTC]",
        "bool": "boolean",
        "integer": "Int64",
        "number": "float64",
    }
    return pd.Series(index=range(length), dtype=dtypes.get(col.kind, _TEXT))


def _check_timestamp_range(
    values: pd.Series, col: Column, now: pd.Timestamp, report: _Collector
) -> None:
    """Timestamps in the future or before :data:`EARLIEST_TIMESTAMP` are errors."""
    future = values > now + FUTURE_TOLERANCE
    if future.any():
        report.error(
            col.name,
            f"timestamps in the future (after {now:%Y-%m-%d %H:%M} UTC)",
            int(future.sum()),
            _timestamp_examples(values[future]),
        )
    early = values < EARLIEST_TIMESTAMP
    if early.any():
        report.error(
            col.name,
            f"timestamps before {EARLIEST_TIMESTAMP:%Y-%m-%d}: usually a missing date exported "
            "as 0 (1970-01-01) or a placeholder (0001-01-01); correct them in the export",
            int(early.sum()),
            _timestamp_examples(values[early]),
        )


def _check_category(values: pd.Series, col: Column, report: _Collector) -> None:
    """Model categories reach points sheets, reasons and MLflow: short labels, no personal data.

    Each distinct value is looked at once (a column of categories has few).
    """
    codes, uniques = pd.factorize(values)
    distinct = pd.Series(uniques, dtype=object)
    personal = distinct.map(lambda v: mask_personal(v) != v).to_numpy(dtype=bool)
    too_long = distinct.str.len().gt(CATEGORY_MAX_LENGTH).to_numpy(dtype=bool)
    for flagged, message in (
        (
            personal,
            "personal data (e-mail addresses, phone numbers or IBANs) in a column whose values "
            "become model categories; remove it from the export",
        ),
        (
            too_long & ~personal,
            f"values longer than {CATEGORY_MAX_LENGTH} characters; a {col.name} is a short "
            "label (its values become model categories)",
        ),
    ):
        rows = np.isin(codes, np.flatnonzero(flagged))
        if rows.any():
            report.error(col.name, message, int(rows.sum()), example_values(values[rows], col))


def _timestamp_examples(stamps: pd.Series) -> tuple[str, ...]:
    """Parsed timestamps hold no personal data: shown as they are (ISO; year 1 as 0001)."""
    return tuple(repr(str(s)) for s in pd.unique(stamps)[:_MAX_EXAMPLES])


def empty_frame(table: Table) -> pd.DataFrame:
    """An empty frame with the contract's columns and dtypes (for tables not provided)."""
    return pd.DataFrame({c.name: _empty_column(c, 0) for c in table.columns})


def validate_table(
    raw: RawTable, table: Table, now: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse ``raw`` against ``table`` and return the clean frame and the problems found.

    Parameters
    ----------
    raw : RawTable
        The file as read by :func:`leadscore.readers.read_table_file`.
    table : Table
        The contract of the table.
    now : Timestamp, optional
        Reference for the "timestamp in the future" check (default: the current time).

    Returns
    -------
    frame : DataFrame
        The contract's columns with parsed dtypes (text, ``datetime64[us, UTC]``, ``boolean``,
        ``Int64``, ``float64``). Optional columns missing from the file are filled with nulls.
    problems : list of Problem
        Errors and warnings, each naming the file and the column.
    """
    report = _Collector(table, raw.name, german_excel=raw.delimiter == ";")
    frame = raw.frame
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
        report.error(None, f"column(s) appear twice: {', '.join(dupes)}")
        return empty_frame(table), report.problems

    known = set(table.column_names)
    extra = [c for c in frame.columns if c not in known]
    for name in table.column_names:
        col = table.column(name)
        if col.required and name not in frame.columns:
            hint = difflib.get_close_matches(name, extra, n=1)
            suggestion = f" (found '{hint[0]}': rename it?)" if hint else ""
            report.error(name, f"required column is missing{suggestion}")
    for name in extra:
        report.warning(name, "column is not part of the contract and is ignored")
    if any(p.severity == "error" for p in report.problems):
        return empty_frame(table), report.problems

    if len(frame) == 0:
        if table.may_be_empty:
            report.warning(None, "the file has no rows")
        else:
            report.error(None, "the file has no rows")
        return empty_frame(table), report.problems

    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    clean: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in frame.columns:
            clean[col.name] = _empty_column(col, len(frame))
            continue
        given = frame[col.name].reset_index(drop=True)
        values = _parse_column(given, col, report)
        if not col.nullable:
            # Text parses to missing only when blank; other kinds also when unparseable, which
            # is reported already: only their blank values ("   ", tabs) are empty values.
            missing = values.isna()
            if col.kind not in ("id", "text", "vocabulary"):
                missing &= _is_blank(given)
            if missing.any():
                report.error(
                    col.name,
                    "empty values",
                    int(missing.sum()),
                    _row_numbers(missing, raw.first_row),
                )
        if col.kind == "timestamp":
            _check_timestamp_range(values, col, now, report)
        if col.category:
            _check_category(values, col, report)
        clean[col.name] = values
    result = pd.DataFrame(clean)

    if table.primary_key:
        keys = result[table.primary_key]
        duplicated = keys.duplicated(keep=False) & keys.notna()
        if duplicated.any():
            report.error(
                table.primary_key,
                "duplicate ids",
                int(duplicated.sum()),
                example_values(keys[duplicated]),
            )
    return result, report.problems


def merge_problems(problems: list[Problem]) -> list[Problem]:
    """Merge the same finding reported for several batches of one file: add up the rows."""
    merged: dict[tuple, Problem] = {}
    for p in problems:
        key = (p.severity, p.table, p.file, p.column, p.message)
        if key in merged:
            seen = merged[key]
            examples = tuple(dict.fromkeys(seen.examples + p.examples))[:_MAX_EXAMPLES]
            p = Problem(*key, rows=seen.rows + p.rows, examples=examples)
        merged[key] = p
    return list(merged.values())


def orphan_problem(
    table: Table,
    file: str,
    key: str,
    parent: str,
    n_orphans: int,
    n_rows: int,
    examples: tuple[str, ...],
    max_share: float = DEFAULT_MAX_ORPHAN_SHARE,
) -> Problem | None:
    """Rows whose ``key`` is not among the ``parent`` table's ids.

    A small share of orphans is a warning (the rows are dropped); more than ``max_share`` is an
    error, because it usually means the files do not belong together.
    """
    if not n_orphans:
        return None
    share = n_orphans / n_rows
    if share > max_share:
        message = (
            f"{share:.0%} of rows reference a {key} that is not in {parent} "
            f"(more than the {max_share:.0%} tolerated: is it the matching export?)"
        )
        return Problem("error", table.name, file, key, message, n_orphans, examples)
    message = f"rows reference a {key} not in {parent}; dropped"
    return Problem("warning", table.name, file, key, message, n_orphans, examples)


def is_known(values: pd.Series, known: pd.Series) -> np.ndarray:
    """Which ``values`` occur in ``known`` (e.g. event lead ids among the leads), by hashing.

    pandas' ``isin`` on Arrow-backed strings turns every known value into a Python object on
    each call, which takes minutes for a million leads and dozens of event batches; Arrow's
    ``is_in`` hashes once and runs in C.

    >>> is_known(pd.Series(["L1", "L9", None]), pd.Series(["L1", "L2"])).tolist()
    [True, False, False]
    """
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    given = pa.array(values, from_pandas=True)
    value_set = pa.array(known.dropna(), from_pandas=True)
    if value_set.type != given.type:
        value_set = value_set.cast(given.type)
    found = pc.is_in(given, value_set=value_set, skip_nulls=True)
    return found.fill_null(False).to_numpy(zero_copy_only=False)
