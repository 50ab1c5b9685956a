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
- dropped, with the reason: columns given in ``drop`` or as ``id_col``, personal data (found by
  header and by content, see :mod:`leadscore.privacy`: never used, never logged), id-like
  columns (a different value on almost every row), free text, empty and constant columns.
  A column wrongly taken for personal data is kept when named in ``keep``: the
  user vouches for it; it is typed as usual and the typing table says it was kept on request.

Columns are known by their normalised header (``budget_[eur]`` for "Budget [EUR]": what
``drop`` and the leakage audit use); features get names LightGBM accepts
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
...     "employees": ["1.200", "Unknown", "45", "3.000"],
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
from leadscore.defaults import MIN_CLASS_ROWS
from leadscore.errors import LeadscoreError, column_list
from leadscore.privacy import FLAG_SHARE, personal_data_reason, safe_example, safe_examples
from leadscore.readers import RawTable, normalise_column_name, read_table_file
from leadscore.schema import NON_FEATURES
from leadscore.types_file import NUMBER_FORMATS, read_types_file
from leadscore.validation import EARLIEST_TIMESTAMP

_ID_NAME = re.compile(r"(^|_)(id|uuid|guid|key|number|no|nr)$|^id_|nummer$")
_DATE_LIKE = re.compile(r"^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}([ T]\d{1,2}:\d{2}.*)?$")
#: Share of filled values that must parse for a column to count as numbers, booleans or dates.
_PARSE_SHARE = 0.98
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
        super().__init__(f"{detail} Lower `min_class_rows` to train anyway.")


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


_MARKS = r"[\s€$%]"
#: A thousands group can only follow 1-3 digits that do not start with 0 ("0.025" is a decimal).
_GROUPED_COMMA = r"-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?"
_GROUPED_POINT = r"-?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?"
_DECIMAL_POINT = r"-?\d*\.\d+"
_DECIMAL_COMMA = r"-?\d*,\d+"
#: One mark followed by exactly three digits: a decimal or a thousands mark, the value alone
#: cannot tell ("4.857", "1.200", "1,200").
_AMBIGUOUS_POINT = r"-?[1-9]\d{0,2}\.\d{3}"
_AMBIGUOUS_COMMA = r"-?[1-9]\d{0,2},\d{3}"
#: Share of a column's values that must be plain integers below 1,000 for ambiguous "1.200"s
#: beside them to read as thousands (an integer column whose large values are grouped).
_SMALL_INTEGER_SHARE = 0.05


@dataclass(frozen=True)
class MarkEvidence:
    """What a column's values say about its decimal mark (counts of values).

    ``point`` and ``comma`` count values only one mark reads ("12.5", "0.025", "1,200,000" vs
    "1,5", "1.234,5"); ``ambiguous_point`` and ``ambiguous_comma`` values such as "4.857" or
    "1,200"; ``round`` the ambiguous ones ending in "00"; ``small_integers`` and
    ``large_integers`` plain integers below and from 1,000 on (written without a mark).
    """

    point: int = 0
    comma: int = 0
    ambiguous_point: int = 0
    ambiguous_comma: int = 0
    round: int = 0
    small_integers: int = 0
    large_integers: int = 0
    filled: int = 0

    @classmethod
    def of(cls, text: pd.Series) -> MarkEvidence:
        """The evidence of ``text`` (cleaned strings; missing values are skipped).

        Examples
        --------
        >>> MarkEvidence.of(pd.Series(["4.857", "0.025", "12.5", "1.200", "1,5"]))
        MarkEvidence(point=2, comma=1, ambiguous_point=2, ambiguous_comma=0, round=1, \
small_integers=0, large_integers=0, filled=5)
        """
        value = text.dropna().astype("string").str.replace(_MARKS, "", regex=True)

        def matches(pattern: str) -> pd.Series:
            return value.str.fullmatch(pattern, na=False)

        ambiguous_point, ambiguous_comma = matches(_AMBIGUOUS_POINT), matches(_AMBIGUOUS_COMMA)
        point = (matches(_DECIMAL_POINT) & ~ambiguous_point) | (
            matches(_GROUPED_COMMA) & ~ambiguous_comma
        )
        comma = (matches(_DECIMAL_COMMA) & ~ambiguous_comma) | (
            matches(_GROUPED_POINT) & ~ambiguous_point
        )
        integers = pd.to_numeric(value.where(matches(r"-?\d+")), errors="coerce").abs()
        return cls(
            point=int(point.sum()),
            comma=int(comma.sum()),
            ambiguous_point=int(ambiguous_point.sum()),
            ambiguous_comma=int(ambiguous_comma.sum()),
            round=int(((ambiguous_point | ambiguous_comma) & value.str.endswith("00")).sum()),
            small_integers=int((integers < 1000).sum()),
            large_integers=int((integers >= 1000).sum()),
            filled=len(value),
        )

    def decide(self, table_vote: str | None = None) -> tuple[str, str]:
        """The column's number format and, when the values alone cannot tell, why it was chosen.

        1. The column's own unambiguous values, majority first ("0.025", "12.5" beat one "1,5":
           that "1,5" is still read as 1.5, its only reading).
        2. Only ambiguous values ("4.857", "1.200"): the table's other columns when they all
           agree (``table_vote``: an export writes all its numbers alike).
        3. Else the values' shape: beside plain integers below 1,000 (and none above, written
           without a mark) or when most end in "00", "1.200" is a grouped integer (German CRM
           exports: 1.200 employees); otherwise a decimal ("4.857" minutes).

        Examples
        --------
        >>> print(*MarkEvidence.of(pd.Series(["1.200", "3.000", "45"])).decide(), sep="; ")
        comma; ambiguous: only values like 1.200, read as thousands (integers below 1,000 beside \
them, round values)
        >>> print(*MarkEvidence.of(pd.Series(["4.857", "2.316"])).decide("point"), sep="; ")
        point; ambiguous: only values like 4.857, read with a decimal point as the table's other \
columns are written
        """
        if self.point != self.comma:
            chosen, other = ("point", "comma") if self.point > self.comma else ("comma", "point")
            minority = min(self.point, self.comma)
            note = (
                f"mixed marks: {minority:,} value(s) only a decimal {other} reads, read so"
                if minority
                else ""
            )
            return chosen, note
        ambiguous = self.ambiguous_point + self.ambiguous_comma
        if not ambiguous:
            return "point", ""
        mark = "." if self.ambiguous_point >= self.ambiguous_comma else ","
        like = f"1{mark}200" if self.round * 2 >= ambiguous else f"4{mark}857"
        if table_vote in NUMBER_FORMATS:
            how = "a decimal point" if table_vote == "point" else "a decimal comma"
            return table_vote, (
                f"ambiguous: only values like {like}, read with {how} as the table's other "
                "columns are written"
            )
        grouped = self.large_integers == 0 and (
            self.small_integers >= _SMALL_INTEGER_SHARE * self.filled or self.round * 2 >= ambiguous
        )
        # A point that groups thousands means a decimal comma, and the other way round.
        grouping_format = "comma" if mark == "." else "point"
        if grouped:
            return grouping_format, (
                f"ambiguous: only values like {like}, read as thousands (integers below 1,000 "
                "beside them, round values)"
            )
        decimal_format = "point" if mark == "." else "comma"
        return decimal_format, f"ambiguous: only values like {like}, read as decimals"


def to_number(text: pd.Series, number_format: str | None = None) -> pd.Series:
    """Numbers from text written with ``number_format``'s marks (default: decided from ``text``).

    ``point``: "12.5", "1,200", "1.200" (1.2); ``comma``: "12,5", "1.200" (1200), "1,200" (1.2).
    A value only the other mark can read ("1,5" in a ``point`` column, "0.025" in a ``comma``
    one) is read that way: it has no other reading. ``legacy`` is the per-value reading of
    models trained before per-column formats (any "1.200" a thousands point).

    Examples
    --------
    >>> mixed = pd.Series(["4.857", "0.025", "12.5", "1.200", "1,5", "1,200,000"])
    >>> to_number(mixed).tolist()
    [4.857, 0.025, 12.5, 1.2, 1.5, 1200000.0]
    >>> to_number(pd.Series(["1.234,50", "1.200", "0,5", "12 %"]), "comma").tolist()
    [1234.5, 1200.0, 0.5, 12.0]
    """
    if number_format == "legacy":
        return _legacy_number(text)
    if number_format is None:
        number_format = MarkEvidence.of(text).decide()[0]
    value = text.astype("string").str.replace(_MARKS, "", regex=True)

    def matches(pattern: str) -> pd.Series:
        return value.str.fullmatch(pattern, na=False)

    point_reading = matches(_GROUPED_COMMA) | matches(_DECIMAL_POINT)
    comma_reading = matches(_GROUPED_POINT) | matches(_DECIMAL_COMMA)
    if number_format == "point":
        comma_reading &= ~point_reading
    else:
        point_reading &= ~comma_reading
    value = value.mask(point_reading, value.str.replace(",", "", regex=False))
    value = value.mask(
        comma_reading, value.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    return pd.to_numeric(value, errors="coerce")


def _legacy_number(text: pd.Series) -> pd.Series:
    value = text.str.replace(_MARKS, "", regex=True)
    thousands_comma = value.str.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", na=False)
    thousands_dot = value.str.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", na=False)
    decimal_comma = value.str.fullmatch(r"-?\d+,\d+", na=False) & ~thousands_comma
    value = value.mask(thousands_comma, value.str.replace(",", "", regex=False))
    value = value.mask(
        thousands_dot, value.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    value = value.mask(decimal_comma, value.str.replace(",", ".", regex=False))
    return pd.to_numeric(value, errors="coerce")


def finite_numbers(column: pd.Series, header: str, number_format: str | None = None) -> pd.Series:
    """The numbers of a numeric column (text or typed) as float64; missing values stay missing.

    Text is read with ``number_format`` (:func:`to_number`; default: decided from the values).

    Raises
    ------
    NumberOutOfRangeError
        When a value is infinite ("inf", "1e400") or beyond :data:`LARGEST_NUMBER` ("1e308"):
        the model would see it as infinite. Such a value is a broken export, not a big lead.
    """
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers = column.astype("float64")
    else:
        numbers = to_number(clean_text(column), number_format)
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


#: Header words naming a code: integer values under such a header are categories (EN and DE).
CODE_WORDS = frozenset(
    {
        *("code", "codes", "type", "types", "category", "class", "group", "kind", "segment"),
        *("region", "browser", "os", "system", "platform", "device", "channel", "source"),
        *("medium", "country", "language", "industry", "status", "tier", "level", "zone"),
        *("typ", "kategorie", "klasse", "gruppe", "schluessel", "kennzeichen", "kanal"),
        *("quelle", "land", "sprache", "branche", "geraet", "betriebssystem", "bundesland"),
    }
)
#: Endings of German compounds naming a code ("Kundentyp", "Zahlungsart", "Produktgruppe").
_CODE_ENDINGS = ("typ", "code", "kategorie", "klasse", "gruppe", "schluessel", "kennzeichen")
#: Header words naming a count or an amount: such columns stay numbers even with a code word.
COUNT_WORDS = frozenset(
    {
        *("count", "counts", "number", "num", "total", "sum", "amount", "visits", "views"),
        *("sessions", "pages", "clicks", "opens", "minutes", "seconds", "hours", "days"),
        *("duration", "age", "rate", "score", "revenue", "employees", "size", "value", "avg"),
        *("anzahl", "menge", "summe", "betrag", "umsatz", "dauer", "tage", "alter", "wert"),
        *("mitarbeiter", "besuche", "klicks", "groesse", "durchschnitt", "quote"),
    }
)
#: Most distinct integers a code column holds (more: a quantity, or an id-like column).
MAX_CODES = 50
#: Calendar parts a date gives; ``hour`` only when its times carry hours, ``month`` only when
#: its values span :data:`MONTHS_FROM_SPAN` (see :meth:`TableTyper._calendar_parts`).
CALENDAR_PARTS = ("weekday", "month", "hour")
#: Shortest span of a date column's values from which its month is a feature: over fewer years
#: a month stands for a period, and a model learns the trend of the training period from it.
#: On the synthetic export with a drifting base rate (two years), the month features took the
#: test ROC AUC of LightGBM from 0.784 to 0.754 (``benchmarks/bench_flat.py``, with months).
MONTHS_FROM_SPAN = pd.Timedelta(days=3 * 365)
_WEEKDAYS = np.array(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], dtype=object)
_MONTHS = np.array(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    dtype=object,
)
#: The reason for a column dropped in a types file (user-facing text: parameters backquoted).
DROPPED_ON_REQUEST = "dropped on request (`types`)"
#: The note on a number format the user set in a types file.
_FORMAT_SET = "number format set by `types`"


def names_a_code(*headers: str) -> bool:
    """Whether a header names codes (type, category, region, browser …), not a count.

    Examples
    --------
    >>> [names_a_code(h) for h in ("Region Code", "Operating System", "Traffic Type")]
    [True, True, True]
    >>> [names_a_code(h) for h in ("Page Views", "Anzahl Besuche", "Kundentyp", "Visit Type Count")]
    [False, False, True, False]
    """
    words = {
        w
        for header in headers
        for w in re.split(r"[^a-z0-9]+", feature_name(header).lower().replace("_", " "))
        if w
    }
    if words & COUNT_WORDS:
        return False
    return bool(words & CODE_WORDS) or any(
        w.endswith(_CODE_ENDINGS) or (len(w) > 6 and w.endswith("art") and not w.endswith("start"))
        for w in words
    )


def _integer_codes(numbers: pd.Series) -> bool:
    filled = numbers.dropna()
    return (
        len(filled) > 0 and bool((filled == filled.round()).all()) and filled.nunique() <= MAX_CODES
    )


class TableTyper(TransformerMixin, BaseEstimator):
    """Infer each column's type once (``fit``) and apply it to any table (``transform``).

    Parameters
    ----------
    time_col : str, optional
        The row's time (when the lead was created or snapshotted): dates become days before it;
        it gives calendar features itself.
    drop : tuple of str
        Columns never used (``load_flat_table``'s ``drop``, the target).
    id_col : str, optional
        The lead id column: never a feature; scoring uses it to name the leads.
    headers : dict, optional
        Each column's header as written in the file (:func:`file_headers`), for people:
        reasons, the learned points sheet and messages show it. Default: the column names.
    keep : tuple of str
        Columns the user vouches hold no personal data (a product named "Max Pro" taken for
        people's names): never dropped as personal data, typed as usual.
    types : dict, optional
        Column → ``numeric``, ``category``, ``boolean``, ``date`` or ``drop``: the user's
        corrections (a types file, :func:`leadscore.types_file.read_types_file`); they replace
        the inference, except that personal data stays dropped unless the column is in ``keep``.
    number_formats : dict, optional
        Column → ``point`` or ``comma``: how a numeric column writes its numbers (default:
        decided from its values, :meth:`MarkEvidence.decide`).
    target : str, optional
        The outcome column (never a feature; the typing table names it).

    Attributes
    ----------
    kinds_ : dict
        ``numeric``, ``boolean``, ``date`` or ``category`` for each kept column.
    features_ : dict
        The (first) feature name of each kept column (:func:`feature_name`, made unique).
    calendar_ : dict
        Each calendar feature → (its date column, ``weekday`` | ``month`` | ``hour``), for the
        date columns and the time column.
    number_formats_ : dict
        ``point`` or ``comma`` for each numeric column read from text: used at scoring, so a
        file holding only "1.200" reads as the training file did.
    integer_codes_ : tuple
        Category columns holding integer codes ("1" and "1.0" are the same code).
    notes_ : dict
        What the typing table adds about a column (an ambiguous number format, a correction).
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
        types: dict[str, str] | None = None,
        number_formats: dict[str, str] | None = None,
        target: str | None = None,
    ) -> None:
        self.time_col = time_col
        self.drop = drop
        self.id_col = id_col
        self.headers = headers
        self.keep = keep
        self.types = types
        self.number_formats = number_formats
        self.target = target

    def __setstate__(self, state: dict) -> None:
        # Typers pickled with older models lack these: their features were the column names,
        # dates gave no calendar features and numbers were read value by value.
        for name, default in (
            ("headers", None),
            ("keep", ()),
            ("types", None),
            ("number_formats", None),
            ("target", None),
        ):
            state.setdefault(name, default)
        if "kinds_" in state:
            state.setdefault("features_", {name: name for name in state["kinds_"]})
        super().__setstate__(state)

    def header(self, name: str) -> str:
        """The header of column ``name`` as written in the file (for messages).

        A calendar feature reads as its column's header and the part: "Created Date (weekday)".
        """
        part = getattr(self, "calendar_", {}).get(name)
        if part is not None:
            return f"{self.header(part[0])} ({part[1]})"
        return (self.headers or {}).get(name, name)

    def _number_format(self, name: str) -> str | None:
        """How column ``name``'s text is read: its fitted format (``legacy`` for typers fitted
        before formats were)."""
        if not hasattr(self, "number_formats_"):
            return "legacy"
        return self.number_formats_.get(name)

    def _infer(self, name: str, column: pd.Series, table_vote: str | None) -> str:
        """The column's kind, or why it is dropped (``drop:`` and the reason)."""
        if pd.api.types.is_bool_dtype(column):
            return "boolean"
        if pd.api.types.is_datetime64_any_dtype(column):
            return "date"
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
            return self._numeric_or_codes(name, column.astype("float64"))
        lower = text.dropna().str.lower()
        if _share(lower.isin(TRUE_WORDS | FALSE_WORDS), filled) >= FLAG_SHARE:
            return "boolean"  # its other values become missing values (transform)
        number_format, note = self._decide_format(name, text, table_vote)
        numbers = to_number(text, number_format)
        if _share(numbers.notna(), filled) >= _PARSE_SHARE:
            kind = self._numeric_or_codes(name, numbers)
            if kind == "numeric":
                self.number_formats_[name] = number_format
                if note:
                    self.notes_[name] = note
            return kind
        looks_like_dates = _share(lower.str.fullmatch(_DATE_LIKE.pattern), filled) >= _PARSE_SHARE
        if looks_like_dates and _share(to_time(text).notna(), filled) >= _PARSE_SHARE:
            return "date"
        if unique_share > 0.9 and distinct > 20:
            return "drop:id-like (a different value on almost every row)"
        if distinct > 200 and unique_share > 0.3:
            return "drop:free text (too many distinct values)"
        return "category"

    def _decide_format(self, name: str, text: pd.Series, table_vote: str | None) -> tuple[str, str]:
        given = (self.number_formats or {}).get(name)
        if given is not None:
            return given, _FORMAT_SET
        return MarkEvidence.of(text).decide(table_vote)

    def _numeric_or_codes(self, name: str, numbers: pd.Series) -> str:
        if _integer_codes(numbers) and names_a_code(name, self.header(name)):
            self.integer_codes_ += (name,)
            return "category"
        return "numeric"

    def _overridden(self, name: str, column: pd.Series, kind: str, table_vote: str | None) -> str:
        """Column ``name`` typed as the user asked (``types``)."""
        if kind == "drop":
            return f"drop:{DROPPED_ON_REQUEST}"
        self.notes_[name] = "set by `types`"
        if kind == "numeric" and not pd.api.types.is_numeric_dtype(column):
            text = clean_text(column)
            number_format, note = self._decide_format(name, text, table_vote)
            self.number_formats_[name] = number_format
            if note and note != _FORMAT_SET:
                self.notes_[name] = f"set by `types`; {note}"
        if kind == "category":
            numbers = (
                column.astype("float64")
                if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
                else to_number(clean_text(column))
            )
            if numbers.notna().any() and _integer_codes(numbers):
                self.integer_codes_ += (name,)
        return kind

    def _table_vote(self, X: pd.DataFrame, columns: list[str]) -> str | None:
        """The number format every text column that shows one on its own shows (or none)."""
        votes = {"point": 0, "comma": 0}
        for name in columns:
            column = X[name]
            if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(
                column
            ):
                continue
            evidence = MarkEvidence.of(clean_text(column))
            if evidence.point != evidence.comma:
                votes["point" if evidence.point > evidence.comma else "comma"] += 1
        # A table mixing both (decimal points in one column, commas in another) says nothing.
        if min(votes.values()) > 0 or votes["point"] == votes["comma"]:
            return None
        return max(votes, key=votes.get)

    def _calendar_parts(self, column: pd.Series) -> tuple[str, ...]:
        stamps = to_time(column).dropna()
        with_hours = bool(((stamps.dt.hour != 0) | (stamps.dt.minute != 0)).any())
        many_years = len(stamps) > 0 and stamps.max() - stamps.min() >= MONTHS_FROM_SPAN
        wanted = {"weekday", *(["month"] if many_years else []), *(["hour"] if with_hours else [])}
        return tuple(part for part in CALENDAR_PARTS if part in wanted)

    def _unique_feature(self, wanted: str) -> str:
        # The model drops the training table's own columns (lead_id, label ...) as non-features:
        # an export's column of that name becomes label_2, or the model would never see it.
        taken = {*NON_FEATURES, *self.features_.values(), *self.calendar_}
        feature, n = wanted, 1
        while feature in taken:
            n += 1
            feature = f"{wanted}_{n}"
        return feature

    def fit(self, X: pd.DataFrame, y=None) -> TableTyper:
        excluded = {*self.drop, *(c for c in (self.time_col, self.id_col, self.target) if c)}
        self.kinds_: dict[str, str] = {}
        self.features_: dict[str, str] = {}
        self.calendar_: dict[str, tuple[str, str]] = {}
        self.number_formats_: dict[str, str] = {}
        self.integer_codes_: tuple[str, ...] = ()
        self.notes_: dict[str, str] = {}
        self.dropped_: dict[str, str] = {}
        candidates = [name for name in X.columns if name not in excluded]
        table_vote = self._table_vote(X, candidates)
        wanted = self.types or {}
        for name in candidates:
            column = X[name]
            personal = (
                None if name in self.keep else personal_data_reason(self.header(name), column)
            )
            if personal is not None:
                kind = f"drop:{personal}"
                if wanted.get(name, "drop") != "drop":
                    self.notes_[name] = (
                        f"`types` asked for {wanted[name]}: add `keep` to vouch it holds no "
                        "personal data"
                    )
            elif name in wanted:
                kind = self._overridden(name, column, wanted[name], table_vote)
            else:
                kind = self._infer(name, column, table_vote)
            if kind.startswith("drop:"):
                self.dropped_[name] = kind.removeprefix("drop:")
                continue
            self.kinds_[name] = kind
            parts = self._calendar_parts(column) if kind == "date" else ()
            if kind != "date" or self.time_col:  # a date's own feature: days before the time
                self.features_[name] = self._unique_feature(feature_name(name))
            for part in parts:
                feature = self._unique_feature(f"{feature_name(name)}_{part}")
                self.calendar_[feature] = (name, part)
                self.features_.setdefault(name, feature)
        if self.time_col and self.time_col in X.columns and self.kinds_:
            for part in self._calendar_parts(X[self.time_col]):
                feature = self._unique_feature(f"{feature_name(self.time_col)}_{part}")
                self.calendar_[feature] = (self.time_col, part)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def required_columns(self) -> list[str]:
        """The columns ``transform`` reads: the kept ones and the time column if it is used."""
        check_is_fitted(self, "kinds_")
        calendar = {column for column, _ in getattr(self, "calendar_", {}).values()}
        needs_time = self.time_col and ("date" in self.kinds_.values() or self.time_col in calendar)
        return [*self.kinds_, *([self.time_col] if needs_time else [])]

    def _category(self, name: str, column: pd.Series) -> pd.Series:
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            column = column.astype("float64").astype("string")
        values = clean_text(column)
        if name not in getattr(self, "integer_codes_", ()):
            return values
        # "3", "3.0" and "3,0" are the same code: written as the integer.
        numbers = to_number(values, "point")
        whole = numbers.notna() & (numbers == numbers.round())
        return values.mask(whole, numbers.where(whole).round().astype("Int64").astype("string"))

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [n for n in self.required_columns() if n not in X.columns]
        if missing:
            raise LeadscoreError(
                f"the table lacks column(s) the model was trained on: {', '.join(missing)}"
            )
        calendar = getattr(self, "calendar_", {})
        stamps = {
            column: to_time(X[column]) for column in {column for column, _ in calendar.values()}
        }
        out = {}
        for name, kind in self.kinds_.items():
            column = X[name]
            if kind == "category":
                out[self.features_[name]] = self._category(name, column)
            elif kind == "date":
                if self.time_col and self.features_[name] not in calendar:
                    when = stamps.get(name)
                    when = to_time(column) if when is None else when
                    days = (to_time(X[self.time_col]) - when).dt.total_seconds() / 86400
                    out[self.features_[name]] = days.astype("float32")
                for feature, (source, part) in calendar.items():
                    if source == name:
                        out[feature] = _calendar_part(stamps[name], part)
            elif kind == "boolean":
                as_text = column if pd.api.types.is_bool_dtype(column) else clean_text(column)
                out[self.features_[name]] = to_boolean(as_text.astype("string")).astype("float32")
            else:
                numbers = finite_numbers(column, self.header(name), self._number_format(name))
                out[self.features_[name]] = numbers.astype("float32")
        for feature, (source, part) in calendar.items():
            if source == self.time_col:
                out[feature] = _calendar_part(stamps[source], part)
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "kinds_")
        return np.asarray(list(self.transform_columns()), dtype=object)

    def transform_columns(self) -> list[str]:
        """The names of ``transform``'s columns, in order."""
        check_is_fitted(self, "kinds_")
        calendar = getattr(self, "calendar_", {})
        names: list[str] = []
        for name, kind in self.kinds_.items():
            if kind != "date" or self.features_[name] not in calendar:
                names.append(self.features_[name])
            if kind == "date":
                names += [f for f, (source, _) in calendar.items() if source == name]
        names += [f for f, (source, _) in calendar.items() if source == self.time_col]
        return names

    @property
    def columns_(self) -> dict[str, str]:
        """The column behind each feature name (to show people the names they know).

        A calendar feature stands for itself (``created_date_weekday``): several come from one
        column, and :meth:`header` names them "Created Date (weekday)".
        """
        calendar = getattr(self, "calendar_", {})
        columns = {feature: column for column, feature in self.features_.items()}
        return {f: (f if f in calendar else columns[f]) for f in self.transform_columns()}

    def _action(self, name: str) -> str:
        kind = self.kinds_.get(name)
        note = self.notes_.get(name, "") if hasattr(self, "notes_") else ""
        calendar = getattr(self, "calendar_", {})
        parts = ", ".join(part for column, part in calendar.values() if column == name)
        if name == self.target:
            action = "target (`target`)"
        elif name == self.id_col:
            action = "id (`id_col`): names each lead, never a feature"
        elif name == self.time_col:
            action = "time column (`time_col`): splits the rows, dates count back from it"
            action += f"; calendar: {parts}" if parts else ""
        elif name in self.dropped_:
            action = f"dropped: {self.dropped_[name]}"
        elif kind is None:
            action = "dropped: `drop`"
        elif kind == "numeric":
            how = {"point": ", decimal point", "comma": ", decimal comma"}
            action = "number" + how.get(self._number_format(name) or "", "")
        elif kind == "category":
            codes = name in getattr(self, "integer_codes_", ())
            action = "category (integer codes)" if codes else "category"
        elif kind == "boolean":
            action = "yes/no"
        else:
            steps = [f"calendar: {parts}"] if parts else []
            if self.time_col and self.features_[name] not in calendar:
                steps.insert(0, f"days before {self.header(self.time_col)}")
            action = "; ".join(steps)
        if name in self.keep and name in self.kinds_:
            note = "; ".join(n for n in (note, KEPT_ON_REQUEST) if n)
        return f"{action} ({note})" if note else action

    def _type(self, name: str) -> str:
        if name == self.target:
            return "target"
        if name == self.id_col:
            return "id"
        if name == self.time_col:
            return "date"
        return self.kinds_.get(name, "drop")

    def describe(self, X: pd.DataFrame | None = None) -> pd.DataFrame:
        """The typing table: one row per input column, what it holds and what became of it.

        ``column`` is the normalised name (what ``drop``, ``types`` and the points sheet
        take), ``header`` the header as written in the file; ``type`` is ``numeric``,
        ``category``, ``boolean``, ``date``, ``drop``, ``target`` or ``id``, ``number_format``
        ``point`` or ``comma`` for numbers read from text; ``action`` says what the model gets
        ("number, decimal comma", "category (integer codes)", "calendar: weekday, month",
        "dropped: personal data: …") and notes (an ambiguous number format, a correction);
        ``feature`` the model's feature name(s). With ``X`` (the table), also ``missing_share``,
        ``distinct_values`` and an ``example`` (its most frequent value, masked by
        :func:`leadscore.privacy.safe_example`; none for personal data).

        The table is a types file as it is: change a ``type`` (or ``number_format``) and
        pass it back (``load_flat_table``'s ``types``). Its actions name parameters in
        backquotes, as library messages do; the command line shows them as its options.

        Examples
        --------
        >>> raw = pd.DataFrame({
        ...     "minutes": ["4.857", "0.025", "12.5"],
        ...     "browser": ["1", "2", "2"],
        ...     "email": ["a@x.de", "b@y.com", "c@z.org"],
        ... })
        >>> table = TableTyper().fit(raw).describe(raw)
        >>> for row in table.itertuples():
        ...     print(row.column, row.type, row.example or "-", row.action, sep=" | ")
        minutes | numeric | '4.857' | number, decimal point
        browser | category | '2' | category (integer codes)
        email | drop | - | dropped: personal data: an e-mail address (header 'email')
        """
        check_is_fitted(self, "kinds_")
        names = list(getattr(self, "feature_names_in_", [*self.kinds_, *self.dropped_]))
        calendar = getattr(self, "calendar_", {})
        formats = getattr(self, "number_formats_", {})
        table = pd.DataFrame(
            {
                "column": names,
                "header": [self.header(n) for n in names],
                "type": [self._type(n) for n in names],
                "number_format": [
                    formats.get(n, "") if self.kinds_.get(n) == "numeric" else "" for n in names
                ],
                "action": [self._action(n) for n in names],
                "feature": [
                    ", ".join(
                        dict.fromkeys(
                            [
                                *([self.features_[n]] if n in self.features_ else []),
                                *(f for f, (c, _) in calendar.items() if c == n),
                            ]
                        )
                    )
                    for n in names
                ],
            }
        )
        if X is None:
            return table
        stats = [self._profile(n, X[n]) if n in X.columns else (np.nan, 0, "") for n in names]
        missing_share, distinct, example = zip(*stats, strict=True) if stats else ((), (), ())
        table.insert(4, "missing_share", list(missing_share))
        table.insert(5, "distinct_values", list(distinct))
        table.insert(6, "example", list(example))
        return table

    def _profile(self, name: str, column: pd.Series) -> tuple[float, int, str]:
        text = clean_text(column.astype("string"))
        filled = text.dropna()
        missing = round(1 - len(filled) / len(text), 3) if len(text) else 0.0
        personal = name not in self.keep and (
            self.dropped_.get(name, "").startswith("personal data")
            or personal_data_reason(self.header(name), column) is not None
        )
        example = (
            ""
            if personal or filled.empty
            else safe_example(filled.value_counts(sort=False).idxmax())
        )
        return missing, int(filled.nunique()), example


def _calendar_part(stamps: pd.Series, part: str) -> pd.Series:
    """Weekday and month as names (categories), the hour as a number; no year: the model must
    not learn the calendar, only the week's and the year's rhythm."""
    if part == "hour":
        return stamps.dt.hour.astype("float32")
    names, index = (
        (_WEEKDAYS, stamps.dt.day_of_week) if part == "weekday" else (_MONTHS, stamps.dt.month - 1)
    )
    known = index.notna().to_numpy()
    values = np.full(len(stamps), None, dtype=object)
    values[known] = names[index[known].astype(int).to_numpy()]
    return pd.Series(values, index=stamps.index, dtype="string")


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
    #: The user's type corrections (a types file): column → type, column → number format.
    types: dict[str, str] = field(default_factory=dict)
    number_formats: dict[str, str] = field(default_factory=dict)

    def typer(self) -> TableTyper:
        """The (unfitted) :class:`TableTyper` of this table: its roles, headers, the columns
        kept on request and the user's corrections; training and the leakage audit type alike.
        """
        return TableTyper(
            time_col=self.time_col,
            drop=self.excluded,
            id_col=self.id_col,
            headers=self.headers,
            keep=self.kept,
            types=self.types or None,  # the user's corrections (a types file)
            number_formats=self.number_formats or None,
            target=self.target,
        )


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
    formats = getattr(typer, "number_formats_", {})
    for name in (n for n, kind in typer.kinds_.items() if kind == "numeric"):
        header, column = typer.header(name), frame[name]
        try:
            numbers = finite_numbers(column, header, formats.get(name))
        except NumberOutOfRangeError as error:
            raise LeadscoreError(f"{path}: {error}") from None
        _check_readable(column, numbers, path, header)
    if as_of is not None:
        return frame, as_of
    if typer.time_col and typer.time_col in frame.columns:
        times = parse_time_column(frame, typer.time_col, path, typer.header(typer.time_col))
        return frame, times.max().floor("D") + pd.Timedelta(days=1)
    return frame, pd.Timestamp.now(tz="UTC").floor("D")


def _check_readable(column: pd.Series, numbers: pd.Series, path: Path, header: str) -> None:
    """Refuse a column of numbers to score where more values fail to read than training allowed.

    Training took the column for numbers because at least :data:`_PARSE_SHARE` of its filled
    values were; a scoring file with more text there ("lots", a shifted column) would reach the
    model as blanks, and reasons would call them "not given".
    """
    if pd.api.types.is_numeric_dtype(column):
        return
    unreadable = clean_text(column).notna() & numbers.isna()
    filled = int(clean_text(column).notna().sum())
    if filled and unreadable.sum() > (1 - _PARSE_SHARE) * filled:
        raise LeadscoreError(
            f"{path}: column '{header}' has {int(unreadable.sum()):,} value(s) that are not "
            f"numbers ({unreadable.sum() / filled:.0%} of its filled values)"
            f"{_examples(header, column, column[unreadable].astype('string'))}; the model was "
            "trained on numbers there: correct or clear them in the export."
        )


def _column(frame: pd.DataFrame, path: Path, parameter: str, given: str) -> str:
    """The normalised name of column ``given`` (passed as ``parameter``, backquoted)."""
    name = normalise_column_name(given)
    if name not in frame.columns:
        raise LeadscoreError(
            f"{path}: {parameter} column '{given}' is not in the file; its columns are "
            f"{column_list(frame.columns)}."
        )
    return name


def _not_personal(frame: pd.DataFrame, path: Path, parameter: str, name: str, given: str) -> None:
    """Refuse personal data as the outcome, the time or the id: its values would reach
    messages, and ids reach the scores file."""
    reason = personal_data_reason(given, frame[name])
    if reason is not None:
        raise LeadscoreError(
            f"{path}: {parameter} column '{given}' holds {reason}; it cannot be used as "
            f"{parameter}."
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
    types: str | Path | None = None,
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
    types : str or Path, optional
        A types file (CSV or YAML, :mod:`leadscore.types_file`) correcting the inferred
        column types; checked against the file's columns.

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
    target_name = _column(frame, path, "`target`", target)
    id_name = _column(frame, path, "`id_col`", id_col) if id_col else None
    time_name = _column(frame, path, "`time_col`", time_col) if time_col else None
    dropped = tuple(_column(frame, path, "`drop`", d) for d in drop)
    kept = tuple(_column(frame, path, "`keep`", k) for k in keep)
    overrides = None
    if types is not None:
        overrides = read_types_file(types, frame.columns)
    if frame.empty:
        raise LeadscoreError(f"{path}: the file has no rows to learn from, only a header.")
    if id_name == target_name:
        raise LeadscoreError(
            f"{path}: `id_col` and `target` both name column '{target}'; the id names each lead, "
            "the target is its outcome."
        )
    for parameter, name, given in (
        ("`target`", target_name, target),
        ("`time_col`", time_name, time_col),
        ("`id_col`", id_name, id_col),
    ):
        if name and name not in kept:
            _not_personal(frame, path, parameter, name, given)
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
        types=dict(overrides.types) if overrides else {},
        number_formats=dict(overrides.number_formats) if overrides else {},
    )


@dataclass(frozen=True)
class FlatSplit:
    """Row positions of the train, validation and test parts and how they were chosen."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    description: str


def flat_split(table: FlatTable, seed: int = 0, test_share: float = 0.2) -> FlatSplit:
    """60/20/20: by time when the table has a time column (test = latest), else stratified.

    A split by time never cuts through rows of the same time: they go to the later part, so
    validation ends before the test begins (rows of one day are not both history and future).

    Raises
    ------
    LeadscoreError
        When the time column has too few distinct times for three parts, or a part has only
        one outcome.
    """
    n = len(table.labels)
    if table.times is not None:
        t = table.times.to_numpy()
        order = np.argsort(t, kind="stable")
        ordered = t[order]
        n_test = round(test_share * n)
        cuts = [
            int(np.searchsorted(ordered, ordered[min(at, n - 1)], side="left"))
            for at in (n - 2 * n_test, n - n_test)
        ]
        train, valid, test = np.split(order, cuts)
        if not (len(train) and len(valid) and len(test)):
            raise LeadscoreError(
                f"{table.path}: time column '{table.headers.get(table.time_col, table.time_col)}' "
                f"has {pd.Series(t).nunique():,} distinct time(s): too few to give training, "
                "validation and test rows times of their own. Give a time column that varies, "
                "or leave out `time_col` to split at random."
            )
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
        description = f"stratified random split 60/20/20 (no time column; {len(test):,} test rows)"
    for part, name in ((train, "training"), (valid, "validation"), (test, "test")):
        if len(np.unique(table.labels[part])) < 2:
            raise LeadscoreError(
                f"{table.path}: the {name} part has only one outcome; the table needs more rows "
                "or more conversions."
            )
    return FlatSplit(train=train, valid=valid, test=test, description=description)
