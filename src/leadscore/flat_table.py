"""Bring your own flat table: one export, one row per lead, a target column.

:func:`load_flat_table` reads the file (CSV in any common dialect, or Parquet), parses the
target (1/0, yes/no, true/false) and the optional time column. :class:`TableTyper` infers what
every other column is, the way a careful analyst would:

- placeholders that mean "nobody filled this in" ("Select", "Unknown", "n/a", "-", "keine
  Angabe" ...) are missing values;
- yes/no, true/false, 1/0 columns are booleans (1.0/0.0), also when a few values are something
  else (:data:`leadscore.privacy.FLAG_SHARE`): those become missing values, so a stray e-mail
  address typed into "Do Not Email" never reaches the model;
- numbers are numbers, also with thousands separators ("1,200") or a decimal comma ("3,5");
- dates become "days before the row's time" (only with a time column: an absolute date would
  let the model learn the calendar);
- everything else is a category;
- dropped, with the reason: columns given with ``--drop`` or ``--id``, personal data (found by
  header and by content, see :mod:`leadscore.privacy`: never used, never logged), id-like
  columns (a different value on almost every row), free text, empty and constant columns.
  A column wrongly taken for personal data is kept when named in ``keep`` (``--keep``): the
  user vouches for it; it is typed as usual and the typing table says it was kept on request.

Columns are known by their normalised header (``budget_[eur]`` for "Budget [EUR]": what
``--drop`` and the leakage audit use); features get names LightGBM accepts
(:func:`feature_name`: ``budget_eur``); people also see the header as written in the file
(:func:`file_headers`: in ``describe``, the learned points sheet and messages).

Tables with fewer than :data:`MIN_CLASS_ROWS` converted or not converted rows are refused, as
Dynamics 365 does (40 of each): a model learnt from fewer mostly learns noise. Also refused,
naming the file and the column, when training and when scoring: a file without rows; an id
column with blank or repeated ids, that is the target or holds personal data (ids reach the
scores file); a time column with dates before 1980 or more than a year ahead (placeholders
such as 0001-01-01); numbers that are infinite or too large for the model ("inf", "1e308":
a broken export, not a big lead). Messages about a column of personal data show no values.

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({
...     "email": ["a@x.de", "b@y.com", "c@z.org", "d@x.de"],
...     "employees": ["1,200", "Unknown", "45", "3.000"],
...     "newsletter": ["Yes", "no", "", "YES"],
...     "country": ["DE", "Select", "AT", "DE"],
... })
>>> typer = TableTyper().fit(raw)
>>> typer.kinds_
{'employees': 'numeric', 'newsletter': 'boolean', 'country': 'category'}
>>> typer.dropped_
{'email': "personal data: an e-mail address (header 'email')"}
>>> typer.transform(raw)
   employees  newsletter country
0     1200.0         1.0      DE
1        NaN         0.0    <NA>
2       45.0         NaN      AT
3     3000.0         1.0      DE
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from leadscore.cells import FALSE_WORDS, PLACEHOLDERS, TRUE_WORDS
from leadscore.errors import LeadscoreError
from leadscore.privacy import FLAG_SHARE, personal_data_reason, safe_examples
from leadscore.readers import RawTable, normalise_column_name, read_table_file
from leadscore.validation import EARLIEST_TIMESTAMP

_ID_NAME = re.compile(r"(^|_)(id|uuid|guid|key|number|no|nr)$|^id_|nummer$")
_DATE_LIKE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}([ T]\d{1,2}:\d{2}.*)?$")
#: Share of filled values that must parse for a column to count as numbers, booleans or dates.
_PARSE_SHARE = 0.98
#: Fewest converted and fewest not converted rows a flat table must have (Dynamics 365's 40).
MIN_CLASS_ROWS = 40
#: How far after the day it is read a time column may reach (a lead created next year is a typo).
LATEST_TIME_AHEAD = pd.Timedelta(days=365)
#: Largest number a model takes: LightGBM reads features as float32, larger ones become inf.
LARGEST_NUMBER = float(np.finfo(np.float32).max)
#: The typing table's reason for a column kept on request although it may look personal.
KEPT_ON_REQUEST = "kept on request: not checked for personal data"
_TRANSLITERATED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


class NumberOutOfRangeError(LeadscoreError):
    """A numeric column holds infinite numbers or numbers too large for the model.

    The message names the column, not the file: the caller adds where the table came from.
    """


class TooFewRowsError(LeadscoreError):
    """The table has fewer converted or not converted rows than the minimum asked for.

    ``detail`` says how far short; the message adds how to lower the minimum.
    """

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"{detail} Lower min_class_rows to train anyway.")


def feature_name(column: str) -> str:
    """``column`` as a feature name LightGBM accepts: ASCII letters, digits and ``_``.

    LightGBM refuses names with JSON characters (``[]{}:,"``); ordinary names stay as they are.

    Examples
    --------
    >>> [feature_name(n) for n in ("budget_[eur]", 'a:b"c', "größe", "€", "page_views")]
    ['budget_eur', 'a_b_c', 'groesse', 'column', 'page_views']
    """
    ascii_text = unicodedata.normalize("NFKD", column.translate(_TRANSLITERATED).replace("ß", "ss"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    return re.sub(r"_*[^A-Za-z0-9_]+_*", "_", ascii_text).strip("_") or "column"


def clean_text(column: pd.Series) -> pd.Series:
    """Stripped text with placeholders as missing values."""
    text = column.astype("string").str.strip()
    return text.mask(text.str.lower().isin(PLACEHOLDERS))


def to_number(text: pd.Series) -> pd.Series:
    """Numbers from text, accepting "1,200", "1.200" (German thousands) and "3,5"."""
    value = text.str.replace(r"[\s€$%]", "", regex=True)
    thousands_comma = value.str.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", na=False)
    thousands_dot = value.str.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", na=False)
    decimal_comma = value.str.fullmatch(r"-?\d+,\d+", na=False) & ~thousands_comma
    value = value.mask(thousands_comma, value.str.replace(",", "", regex=False))
    value = value.mask(
        thousands_dot, value.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    value = value.mask(decimal_comma, value.str.replace(",", ".", regex=False))
    return pd.to_numeric(value, errors="coerce")


def finite_numbers(column: pd.Series, header: str) -> pd.Series:
    """The numbers of a numeric column (text or typed) as float64; missing values stay missing.

    Raises
    ------
    NumberOutOfRangeError
        When a value is infinite ("inf", "1e400") or beyond :data:`LARGEST_NUMBER` ("1e308"):
        the model would see it as infinite. Such a value is a broken export, not a big lead.
    """
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers = column.astype("float64")
    else:
        numbers = to_number(clean_text(column))
    too_large = numbers.notna() & ~(numbers.abs() <= LARGEST_NUMBER)
    if too_large.any():
        raise NumberOutOfRangeError(
            f"column '{header}' has {int(too_large.sum()):,} number(s) that are infinite or "
            f"beyond ±{LARGEST_NUMBER:.1e}, e.g. {safe_examples(column[too_large].unique())}; "
            "correct or clear them in the export."
        )
    return numbers


def to_boolean(text: pd.Series) -> pd.Series:
    """1.0 / 0.0 from yes/no words (missing stays missing)."""
    lower = text.str.lower()
    return pd.Series(
        np.where(lower.isin(TRUE_WORDS), 1.0, np.where(lower.isin(FALSE_WORDS), 0.0, np.nan)),
        index=text.index,
    )


def to_time(column: pd.Series) -> pd.Series:
    """UTC timestamps (unparseable values: NaT); dotted dates are day first (31.12.2025)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return pd.to_datetime(column, utc=True).astype("datetime64[us, UTC]")
    text = clean_text(column)
    dotted = text.str.match(r"\d{1,2}\.\d{1,2}\.\d{2,4}", na=False)
    stamps = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    for mask, day_first in ((dotted, True), (~dotted, False)):
        if mask.any():
            parsed = pd.to_datetime(
                text[mask], errors="coerce", utc=True, format="mixed", dayfirst=day_first
            )
            stamps[mask] = parsed.astype("datetime64[us, UTC]")
    return stamps


def _share(mask: pd.Series, filled: int) -> float:
    return float(mask.sum()) / filled if filled else 0.0


class TableTyper(TransformerMixin, BaseEstimator):
    """Infer each column's type once (``fit``) and apply it to any table (``transform``).

    Parameters
    ----------
    time_col : str, optional
        The row's time (when the lead was created or snapshotted); dates become days before it.
    drop : tuple of str
        Columns never used (``--drop``, the target).
    id_col : str, optional
        The lead id column: never a feature; scoring uses it to name the leads.
    headers : dict, optional
        Each column's header as written in the file (:func:`file_headers`), for people:
        reasons, the learned points sheet and messages show it. Default: the column names.
    keep : tuple of str
        Columns the user vouches hold no personal data (a product named "Max Pro" taken for
        people's names): never dropped as personal data, typed as usual.

    Attributes
    ----------
    kinds_ : dict
        ``numeric``, ``boolean``, ``date`` or ``category`` for each kept column.
    features_ : dict
        The feature name of each kept column (:func:`feature_name`, made unique): the names of
        ``transform``'s columns.
    dropped_ : dict
        The reason each other column was dropped.
    """

    def __init__(
        self,
        time_col: str | None = None,
        drop: tuple[str, ...] = (),
        id_col: str | None = None,
        headers: dict[str, str] | None = None,
        keep: tuple[str, ...] = (),
    ) -> None:
        self.time_col = time_col
        self.drop = drop
        self.id_col = id_col
        self.headers = headers
        self.keep = keep

    def __setstate__(self, state: dict) -> None:
        # Typers pickled with older models had neither: their features were the column names.
        state.setdefault("headers", None)
        state.setdefault("keep", ())
        if "kinds_" in state:
            state.setdefault("features_", {name: name for name in state["kinds_"]})
        super().__setstate__(state)

    def header(self, name: str) -> str:
        """The column ``name``'s header as written in the file (for messages)."""
        return (self.headers or {}).get(name, name)

    def _kind(self, name: str, column: pd.Series) -> str:
        """The column's kind, or why it is dropped (a reason starts with a capital-free word)."""
        personal = None if name in self.keep else personal_data_reason(self.header(name), column)
        if personal is not None:
            return f"drop:{personal}"
        if pd.api.types.is_bool_dtype(column):
            return "boolean"
        if pd.api.types.is_datetime64_any_dtype(column):
            return "date" if self.time_col else "drop:a date without --time-col"
        numeric_dtype = pd.api.types.is_numeric_dtype(column)
        text = None if numeric_dtype else clean_text(column)
        filled = int(column.notna().sum() if numeric_dtype else text.notna().sum())
        if filled == 0:
            return "drop:empty"
        distinct = column.nunique() if numeric_dtype else text.nunique()
        if distinct == 1 and filled == len(column):
            return "drop:constant"
        unique_share = distinct / filled
        if _ID_NAME.search(name) and unique_share > 0.9:
            return "drop:id-like (a different value on almost every row)"
        if numeric_dtype:
            return "numeric"
        lower = text.dropna().str.lower()
        if _share(lower.isin(TRUE_WORDS | FALSE_WORDS), filled) >= FLAG_SHARE:
            return "boolean"  # its other values become missing values (transform)
        if _share(to_number(text).notna(), filled) >= _PARSE_SHARE:
            return "numeric"
        looks_like_dates = _share(lower.str.fullmatch(_DATE_LIKE.pattern), filled) >= _PARSE_SHARE
        if looks_like_dates and _share(to_time(text).notna(), filled) >= _PARSE_SHARE:
            return "date" if self.time_col else "drop:a date without --time-col"
        if unique_share > 0.9 and distinct > 20:
            return "drop:id-like (a different value on almost every row)"
        if distinct > 200 and unique_share > 0.3:
            return "drop:free text (too many distinct values)"
        return "category"

    def fit(self, X: pd.DataFrame, y=None) -> TableTyper:
        excluded = {*self.drop, *(c for c in (self.time_col, self.id_col) if c)}
        self.kinds_: dict[str, str] = {}
        self.features_: dict[str, str] = {}
        self.dropped_: dict[str, str] = {}
        for name in X.columns:
            if name in excluded:
                continue
            kind = self._kind(name, X[name])
            if kind.startswith("drop:"):
                self.dropped_[name] = kind.removeprefix("drop:")
                continue
            self.kinds_[name] = kind
            feature, n = feature_name(name), 1
            while feature in self.features_.values():
                n += 1
                feature = f"{feature_name(name)}_{n}"
            self.features_[name] = feature
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def required_columns(self) -> list[str]:
        """The columns ``transform`` reads: the kept ones and the time column if dates are."""
        check_is_fitted(self, "kinds_")
        needs_time = self.time_col and "date" in self.kinds_.values()
        return [*self.kinds_, *([self.time_col] if needs_time else [])]

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [n for n in self.required_columns() if n not in X.columns]
        if missing:
            raise LeadscoreError(
                f"the table lacks column(s) the model was trained on: {', '.join(missing)}"
            )
        out = {}
        for name, kind in self.kinds_.items():
            column = X[name]
            if kind == "category":
                values = clean_text(column)
            elif kind == "date":
                days = (to_time(X[self.time_col]) - to_time(column)).dt.total_seconds() / 86400
                values = days.astype("float32")
            elif kind == "boolean":
                as_text = column if pd.api.types.is_bool_dtype(column) else clean_text(column)
                values = to_boolean(as_text.astype("string")).astype("float32")
            else:
                values = finite_numbers(column, self.header(name)).astype("float32")
            out[self.features_[name]] = values
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "kinds_")
        return np.asarray(list(self.features_.values()), dtype=object)

    @property
    def columns_(self) -> dict[str, str]:
        """The column behind each feature name (to show people the names they know)."""
        return {feature: column for column, feature in self.features_.items()}

    def describe(self) -> pd.DataFrame:
        """One row per input column: ``column``, ``header``, ``feature``, ``kind``, ``reason``.

        ``column`` is the normalised name (what ``--drop`` and the points sheet take),
        ``header`` the header as written in the file, ``feature`` the column's name in the model
        (empty for dropped columns); ``kind`` is ``dropped`` when ``reason`` says why; a column
        kept on request (``keep``) says so in ``reason``.
        """
        check_is_fitted(self, "kinds_")
        kinds = {**self.kinds_, **dict.fromkeys(self.dropped_, "dropped")}
        kept = {name: KEPT_ON_REQUEST for name in self.kinds_ if name in self.keep}
        return pd.DataFrame(
            {
                "column": list(kinds),
                "header": [self.header(n) for n in kinds],
                "feature": [self.features_.get(n, "") for n in kinds],
                "kind": list(kinds.values()),
                "reason": [self.dropped_.get(n, kept.get(n, "")) for n in kinds],
            },
            columns=["column", "header", "feature", "kind", "reason"],
        )


@dataclass
class FlatTable:
    """A flat export ready for training: raw columns, 0/1 labels and optional times."""

    frame: pd.DataFrame
    labels: np.ndarray
    path: Path
    target: str
    ids: pd.Series | None = None
    id_col: str | None = None
    times: pd.Series | None = None
    time_col: str | None = None
    excluded: tuple[str, ...] = ()
    rows_without_target: int = 0
    notes: list[str] = field(default_factory=list)
    #: Each column's header as written in the file (see :func:`file_headers`).
    headers: dict[str, str] = field(default_factory=dict)
    #: Columns the user vouches hold no personal data (see :class:`TableTyper`'s ``keep``).
    kept: tuple[str, ...] = ()


def file_headers(raw: RawTable) -> dict[str, str]:
    """Each normalised column name of ``raw`` and its header as written in the file.

    People recognise "Budget [EUR]", not ``budget_[eur]``; names the file's first line cannot
    be re-read for (it changed meanwhile) stay as they are.
    """
    try:
        if raw.delimiter is None:
            import pyarrow.parquet as pq

            written = pq.read_schema(raw.path).names
        else:
            codec = "utf-8-sig" if raw.encoding == "utf8" else raw.encoding
            with raw.path.open(encoding=codec, newline="") as fh:
                written = next(csv.reader(fh, delimiter=raw.delimiter), [])
    except (OSError, UnicodeError, LookupError, csv.Error, ValueError):
        written = []
    headers = {normalise_column_name(h): h.strip() for h in written}
    return {name: headers.get(name, name) for name in raw.frame.columns}


def _examples(header: str, column: pd.Series, shown: pd.Series) -> str:
    """ ", e.g. 'x', 'y'" for a message about ``shown`` (values of ``column``): masked and short,
    or no values at all when the column is personal data (names cannot be masked)."""
    reason = personal_data_reason(header, column)
    if reason is not None:
        return f" (not shown: the column holds {reason})"
    return f", e.g. {safe_examples(shown.unique())}"


def parse_target(column: pd.Series, path: Path, name: str) -> pd.Series:
    """0/1 (as float, missing as NaN) from 1/0, yes/no or true/false values.

    Raises
    ------
    LeadscoreError
        Naming the file, the column and the values that are none of those.
    """
    text = clean_text(column.astype("string"))
    lower = text.str.lower()
    bad = text.notna() & ~lower.isin(TRUE_WORDS | FALSE_WORDS)
    if bad.any():
        raise LeadscoreError(
            f"{path}: target column '{name}' has {int(bad.sum()):,} value(s) that are not "
            f"1/0, yes/no or true/false{_examples(name, column, text[bad])}."
        )
    return to_boolean(text)


def parse_time_column(
    frame: pd.DataFrame, name: str, path: Path, header: str | None = None
) -> pd.Series:
    """The time column ``name`` as UTC timestamps (``header``: its name in messages).

    Raises
    ------
    LeadscoreError
        Naming the file, the column and (masked) values that are not dates, or dates before
        1980 (:data:`leadscore.validation.EARLIEST_TIMESTAMP`, as for event data) or more than
        :data:`LATEST_TIME_AHEAD` after today: placeholders such as 0001-01-01 or typos.
    """
    header = header or name
    column = frame[name]
    times = to_time(column)
    latest = pd.Timestamp.now(tz="UTC").floor("D") + LATEST_TIME_AHEAD
    problems = (
        (times.isna(), "that are not dates"),
        (times < EARLIEST_TIMESTAMP, f"before {EARLIEST_TIMESTAMP:%Y-%m-%d}"),
        (times > latest, f"after {latest:%Y-%m-%d} (a year from today)"),
    )
    for bad, what in problems:
        if bad.any():
            raise LeadscoreError(
                f"{path}: time column '{header}' has {int(bad.sum()):,} value(s) {what}"
                f"{_examples(header, column, column[bad].astype('string'))}; "
                "correct them in the export."
            )
    return times


def check_ids(ids: pd.Series, path: Path, header: str) -> None:
    """Refuse an id column with blank or repeated ids: scores would not say which lead is which.

    Placeholders ("n/a", "-", "Select") count as blank.

    Raises
    ------
    LeadscoreError
        Naming the file, the column, how many rows and (masked) repeated ids.

    Examples
    --------
    >>> try:
    ...     check_ids(pd.Series(["L1", "L2", "L2", "", "L3", "L3"]), Path("leads.csv"), "Lead ID")
    ... except LeadscoreError as error:
    ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
    leads.csv: id column 'Lead ID' has 1 blank value(s) and 4 rows sharing 2 id(s),
    e.g. 'L2', 'L3'; each lead needs an id of its own.
    """
    text = clean_text(ids)
    blank = int(text.isna().sum())
    repeated = text.notna() & text.duplicated(keep=False)
    problems = [f"{blank:,} blank value(s)"] if blank else []
    if repeated.any():
        problems.append(
            f"{int(repeated.sum()):,} rows sharing {text[repeated].nunique():,} id(s)"
            f"{_examples(header, ids, text[repeated])}"
        )
    if problems:
        raise LeadscoreError(
            f"{path}: id column '{header}' has {' and '.join(problems)}; "
            "each lead needs an id of its own."
        )


def read_scoring_rows(
    path: str | Path, typer: TableTyper, as_of: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Read a flat export to score with a model whose columns ``typer`` knows.

    Returns the raw rows and the date they are scored as of: ``as_of`` when given, else the
    day after the newest value of the time column, else today (UTC).

    Raises
    ------
    LeadscoreError
        When the file is missing, has no rows, lacks a column the model needs (named by its
        header as the model saw it), has blank or repeated ids, holds time values that are not
        dates (or out of range) or numbers too large for the model.
    """
    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: no such file.")
    frame = read_table_file(path).frame
    needed = [*typer.required_columns(), *([typer.id_col] if typer.id_col else [])]
    missing = [f"'{typer.header(name)}'" for name in needed if name not in frame.columns]
    if missing:
        raise LeadscoreError(
            f"{path}: the model was trained on a table with column(s) {', '.join(missing)} "
            "(features, the time or the id column); this file lacks them."
        )
    if frame.empty:
        raise LeadscoreError(f"{path}: the file has no rows to score, only a header.")
    if typer.id_col:
        check_ids(frame[typer.id_col], path, typer.header(typer.id_col))
    for name in (n for n, kind in typer.kinds_.items() if kind == "numeric"):
        try:
            finite_numbers(frame[name], typer.header(name))
        except NumberOutOfRangeError as error:
            raise LeadscoreError(f"{path}: {error}") from None
    if as_of is not None:
        return frame, as_of
    if typer.time_col and typer.time_col in frame.columns:
        times = parse_time_column(frame, typer.time_col, path, typer.header(typer.time_col))
        return frame, times.max().floor("D") + pd.Timedelta(days=1)
    return frame, pd.Timestamp.now(tz="UTC").floor("D")


def _column(frame: pd.DataFrame, path: Path, option: str, given: str) -> str:
    name = normalise_column_name(given)
    if name not in frame.columns:
        raise LeadscoreError(
            f"{path}: {option} column '{given}' is not in the file; its columns are "
            f"{', '.join(frame.columns[:30])}."
        )
    return name


def _not_personal(frame: pd.DataFrame, path: Path, option: str, name: str, given: str) -> None:
    """Refuse personal data as the outcome, the time or the id: its values would reach
    messages, and ids reach the scores file."""
    reason = personal_data_reason(given, frame[name])
    if reason is not None:
        raise LeadscoreError(
            f"{path}: {option} column '{given}' holds {reason}; it cannot be used as {option}."
        )


def check_class_rows(labels: np.ndarray, path: Path, minimum: int = MIN_CLASS_ROWS) -> None:
    """Refuse a table with fewer than ``minimum`` converted or not converted rows.

    Raises
    ------
    TooFewRowsError
        Saying how far short of the minimum each outcome is.

    Examples
    --------
    >>> try:
    ...     check_class_rows(np.array([1] * 12 + [0] * 488), Path("leads.csv"))
    ... except TooFewRowsError as error:
    ...     print(error.detail)
    leads.csv: too few rows to learn from: 12 converted rows, 40 needed: 28 short.
    """
    counts = {"converted": int(labels.sum()), "not converted": int(len(labels) - labels.sum())}
    short = [
        f"{n:,} {outcome} rows, {minimum:,} needed: {minimum - n:,} short"
        for outcome, n in counts.items()
        if n < minimum
    ]
    if short:
        raise TooFewRowsError(f"{path}: too few rows to learn from: {'; '.join(short)}.")


def load_flat_table(
    path: str | Path,
    target: str,
    *,
    id_col: str | None = None,
    drop: tuple[str, ...] | list[str] = (),
    time_col: str | None = None,
    min_class_rows: int = MIN_CLASS_ROWS,
    keep: tuple[str, ...] | list[str] = (),
) -> FlatTable:
    """Read a flat export and check its target, id and time columns.

    Rows without a target value (e.g. leads still open) are left out and counted.

    Parameters
    ----------
    path : str or Path
        A CSV or Parquet file, one row per lead.
    target : str
        The outcome column (1/0, yes/no, true/false; empty: still open).
    id_col : str, optional
        The lead id column (never a feature).
    drop : sequence of str
        Columns not to use.
    time_col : str, optional
        When each row was created: the split is by time and dates become ages.
    min_class_rows : int
        Fewest converted and fewest not converted rows accepted (default
        :data:`MIN_CLASS_ROWS`, Dynamics 365's minimum).
    keep : sequence of str
        Columns the user vouches hold no personal data: never dropped or refused as personal
        data (a false positive such as a product line named after people).

    Raises
    ------
    LeadscoreError
        Naming the file and the column: a file without rows, a column that is missing, an id
        column that is the target or has blank or repeated ids, a target, time or id column
        that holds personal data, values that do not parse or times out of range;
        :class:`TooFewRowsError` below the minimum.
    """
    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: no such file.")
    raw = read_table_file(path)
    frame = raw.frame
    target_name = _column(frame, path, "--target", target)
    id_name = _column(frame, path, "--id", id_col) if id_col else None
    time_name = _column(frame, path, "--time-col", time_col) if time_col else None
    dropped = tuple(_column(frame, path, "--drop", d) for d in drop)
    kept = tuple(_column(frame, path, "--keep", k) for k in keep)
    if frame.empty:
        raise LeadscoreError(f"{path}: the file has no rows to learn from, only a header.")
    if id_name == target_name:
        raise LeadscoreError(
            f"{path}: --id and --target both name column '{target}'; the id names each lead, "
            "the target is its outcome."
        )
    for option, name, given in (
        ("--target", target_name, target),
        ("--time-col", time_name, time_col),
        ("--id", id_name, id_col),
    ):
        if name and name not in kept:
            _not_personal(frame, path, option, name, given)
    if id_name:
        check_ids(frame[id_name], path, id_col)
    labels = parse_target(frame[target_name], path, target)
    known = labels.notna().to_numpy()
    frame = frame[known].reset_index(drop=True)
    labels = labels[known].to_numpy(dtype=int)
    check_class_rows(labels, path, min_class_rows)
    if len(np.unique(labels)) < 2:
        raise LeadscoreError(
            f"{path}: target column '{target}' needs both outcomes (1 and 0) to learn from; "
            f"all {len(labels):,} rows have {labels[0] if len(labels) else 'no value'}."
        )
    times = parse_time_column(frame, time_name, path, time_col) if time_name else None
    return FlatTable(
        frame=frame,
        labels=labels,
        path=path,
        target=target_name,
        ids=frame[id_name] if id_name else None,
        id_col=id_name,
        times=times,
        time_col=time_name,
        excluded=(target_name, *([id_name] if id_name else []), *dropped),
        rows_without_target=int((~known).sum()),
        headers=file_headers(raw),
        kept=kept,
    )


@dataclass(frozen=True)
class FlatSplit:
    """Row positions of the train, validation and test parts and how they were chosen."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    description: str


def flat_split(table: FlatTable, seed: int = 0, test_share: float = 0.2) -> FlatSplit:
    """60/20/20: by time when the table has a time column (test = latest), else stratified."""
    n = len(table.labels)
    if table.times is not None:
        order = np.argsort(table.times.to_numpy(), kind="stable")
        n_test = round(test_share * n)
        train, valid, test = np.split(order, [n - 2 * n_test, n - n_test])
        t = table.times.to_numpy()
        description = (
            f"split by {table.time_col}: train to {pd.Timestamp(t[train].max()):%Y-%m-%d}, "
            f"validation to {pd.Timestamp(t[valid].max()):%Y-%m-%d}, "
            f"test from {pd.Timestamp(t[test].min()):%Y-%m-%d} ({len(test):,} rows)"
        )
    else:
        positions = np.arange(n)
        rest, test = train_test_split(
            positions, test_size=test_share, stratify=table.labels, random_state=seed
        )
        train, valid = train_test_split(
            rest,
            test_size=test_share / (1 - test_share),
            stratify=table.labels[rest],
            random_state=seed,
        )
        train, valid, test = np.sort(train), np.sort(valid), np.sort(test)
        description = f"stratified random split 60/20/20 (no --time-col; {len(test):,} test rows)"
    for part, name in ((train, "training"), (valid, "validation"), (test, "test")):
        if len(np.unique(table.labels[part])) < 2:
            raise LeadscoreError(
                f"{table.path}: the {name} part has only one outcome; the table needs more rows "
                "or more conversions."
            )
    return FlatSplit(train=train, valid=valid, test=test, description=description)
