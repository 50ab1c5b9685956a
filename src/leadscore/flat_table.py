"""Bring your own flat table: one export, one row per lead, a target column.

:func:`load_flat_table` reads the file (CSV in any common dialect, or Parquet), parses the
target (1/0, yes/no, true/false) and the optional time column. :class:`TableTyper` infers what
every other column is, the way a careful analyst would:

- placeholders that mean "nobody filled this in" ("Select", "Unknown", "n/a", "-", "keine
  Angabe" ...) are missing values;
- yes/no, true/false, 1/0 columns are booleans (1.0/0.0);
- numbers are numbers, also with thousands separators ("1,200") or a decimal comma ("3,5");
- dates become "days before the row's time" (only with a time column: an absolute date would
  let the model learn the calendar);
- everything else is a category;
- dropped, with the reason: columns given with ``--drop`` or ``--id``, personal data (e-mail,
  names, phone, address: never used, never logged), id-like columns (a different value on
  almost every row), free text, empty and constant columns.

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
{'email': 'personal data'}
>>> typer.transform(raw)
   employees  newsletter country
0     1200.0         1.0      DE
1        NaN         0.0    <NA>
2       45.0         NaN      AT
3     3000.0         1.0      DE
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from leadscore.errors import LeadscoreError
from leadscore.readers import normalise_column_name, read_table_file

PLACEHOLDERS = frozenset(
    {
        "",
        "-",
        "--",
        "?",
        "n/a",
        "na",
        "nan",
        "none",
        "null",
        "unknown",
        "select",
        "please select",
        "-- select --",
        "--select--",
        "not specified",
        "not provided",
        "keine angabe",
        "bitte wählen",
        "unbekannt",
    }
)
TRUE_WORDS = frozenset({"1", "1.0", "yes", "y", "true", "t", "ja", "wahr"})
FALSE_WORDS = frozenset({"0", "0.0", "no", "n", "false", "f", "nein", "falsch"})
_PERSONAL = re.compile(
    r"(^|_)(e_?mail|mail|first_?name|last_?name|full_?name|name|surname|phone|mobile|fax|"
    r"street|address|zip|postcode|postal_code|ip|ip_address|linkedin|twitter)($|_)"
)
_ID_NAME = re.compile(r"(^|_)(id|uuid|guid|key|number|no)$|^id_")
_DATE_LIKE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}([ T]\d{1,2}:\d{2}.*)?$")
#: Share of filled values that must parse for a column to count as numbers, booleans or dates.
_PARSE_SHARE = 0.98


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

    Attributes
    ----------
    kinds_ : dict
        ``numeric``, ``boolean``, ``date`` or ``category`` for each kept column.
    dropped_ : dict
        The reason each other column was dropped.
    """

    def __init__(
        self, time_col: str | None = None, drop: tuple[str, ...] = (), id_col: str | None = None
    ) -> None:
        self.time_col = time_col
        self.drop = drop
        self.id_col = id_col

    def _kind(self, name: str, column: pd.Series) -> str:
        """The column's kind, or why it is dropped (a reason starts with a capital-free word)."""
        if _PERSONAL.search(name):
            return "drop:personal data"
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
        if _share(lower.isin(TRUE_WORDS | FALSE_WORDS), filled) >= _PARSE_SHARE:
            return "boolean"
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
        self.dropped_: dict[str, str] = {}
        for name in X.columns:
            if name in excluded:
                continue
            kind = self._kind(name, X[name])
            if kind.startswith("drop:"):
                self.dropped_[name] = kind.removeprefix("drop:")
            else:
                self.kinds_[name] = kind
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "kinds_")
        missing = [n for n in self.kinds_ if n not in X.columns]
        if self.time_col and "date" in self.kinds_.values() and self.time_col not in X.columns:
            missing.append(self.time_col)
        if missing:
            raise LeadscoreError(
                f"the table lacks column(s) the model was trained on: {', '.join(missing)}"
            )
        out = {}
        for name, kind in self.kinds_.items():
            column = X[name]
            if kind == "category":
                out[name] = clean_text(column)
            elif kind == "date":
                days = (to_time(X[self.time_col]) - to_time(column)).dt.total_seconds() / 86400
                out[name] = days.astype("float32")
            elif kind == "boolean":
                as_text = column if pd.api.types.is_bool_dtype(column) else clean_text(column)
                out[name] = to_boolean(as_text.astype("string")).astype("float32")
            elif pd.api.types.is_numeric_dtype(column):
                out[name] = column.astype("float32")
            else:
                out[name] = to_number(clean_text(column)).astype("float32")
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "kinds_")
        return np.asarray(list(self.kinds_), dtype=object)

    def describe(self) -> pd.DataFrame:
        """One row per input column: ``column``, ``kind`` (or ``dropped``) and ``reason``."""
        check_is_fitted(self, "kinds_")
        rows = [{"column": n, "kind": k, "reason": ""} for n, k in self.kinds_.items()]
        rows += [{"column": n, "kind": "dropped", "reason": r} for n, r in self.dropped_.items()]
        return pd.DataFrame(rows, columns=["column", "kind", "reason"])


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
        examples = ", ".join(repr(v) for v in text[bad].unique()[:5])
        raise LeadscoreError(
            f"{path}: target column '{name}' has {int(bad.sum()):,} value(s) that are not "
            f"1/0, yes/no or true/false, e.g. {examples}."
        )
    return to_boolean(text)


def _column(frame: pd.DataFrame, path: Path, option: str, given: str) -> str:
    name = normalise_column_name(given)
    if name not in frame.columns:
        raise LeadscoreError(
            f"{path}: {option} column '{given}' is not in the file; its columns are "
            f"{', '.join(frame.columns[:30])}."
        )
    return name


def load_flat_table(
    path: str | Path,
    target: str,
    *,
    id_col: str | None = None,
    drop: tuple[str, ...] | list[str] = (),
    time_col: str | None = None,
) -> FlatTable:
    """Read a flat export and check its target, id and time columns.

    Rows without a target value (e.g. leads still open) are left out and counted; both target
    values must occur.
    """
    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: no such file.")
    frame = read_table_file(path).frame
    target_name = _column(frame, path, "--target", target)
    id_name = _column(frame, path, "--id", id_col) if id_col else None
    time_name = _column(frame, path, "--time-col", time_col) if time_col else None
    dropped = tuple(_column(frame, path, "--drop", d) for d in drop)
    labels = parse_target(frame[target_name], path, target_name)
    known = labels.notna().to_numpy()
    frame = frame[known].reset_index(drop=True)
    labels = labels[known].to_numpy(dtype=int)
    if len(np.unique(labels)) < 2:
        raise LeadscoreError(
            f"{path}: target column '{target_name}' needs both outcomes (1 and 0) to learn from; "
            f"all {len(labels):,} rows have {labels[0] if len(labels) else 'no value'}."
        )
    times = None
    if time_name:
        times = to_time(frame[time_name])
        if times.isna().any():
            bad = frame.loc[times.isna(), time_name].astype("string").unique()[:5]
            raise LeadscoreError(
                f"{path}: time column '{time_name}' has {int(times.isna().sum()):,} value(s) "
                f"that are not dates, e.g. {', '.join(repr(v) for v in bad)}."
            )
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
