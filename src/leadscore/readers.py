"""Read CRM exports (CSV or Parquet) the way real exports come: messy.

CSV files may use comma, semicolon (German Excel) or tab separators, start with a UTF-8 byte
order mark, quote fields, end lines with a separator (an empty trailing column) or be encoded
in Windows-1252. Every CSV column is read as text so that :mod:`leadscore.validation` can
report exactly which values do not parse.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from leadscore.contract import FILE_SUFFIXES
from leadscore.errors import LeadscoreError

_CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024


@dataclass
class RawTable:
    """A table as read from disk, before validation."""

    frame: pd.DataFrame
    path: Path
    #: Separator of a CSV file (``None`` for Parquet).
    delimiter: str | None = None
    encoding: str | None = None
    #: Columns dropped because they had no name and no values (trailing separators).
    dropped_empty_columns: int = 0

    @property
    def is_csv(self) -> bool:
        return self.delimiter is not None


def normalise_column_name(name: str) -> str:
    """Lower-case a header and join its words with ``_``.

    Examples
    --------
    >>> normalise_column_name("  Lead ID ")
    'lead_id'
    >>> normalise_column_name("Annual-Revenue")
    'annual_revenue'
    """
    return re.sub(r"[\s\-.]+", "_", str(name).strip().lower()).strip("_")


def find_table_file(data_dir: Path, table: str) -> Path | None:
    """Return the file holding ``table`` in ``data_dir`` (``leads.parquet``, ``leads.csv`` ...).

    Raises
    ------
    LeadscoreError
        If the table is present in more than one format, which would be ambiguous.
    """
    found = [data_dir / f"{table}{suffix}" for suffix in FILE_SUFFIXES]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise LeadscoreError(
            f"{data_dir}: table '{table}' is given twice ({names}); keep only one of them."
        )
    return found[0] if found else None


def detect_delimiter(header_line: str) -> str:
    """Pick the separator that splits the header line into the most fields.

    Examples
    --------
    >>> detect_delimiter("lead_id;created_at;email")
    ';'
    >>> detect_delimiter('"a,b"\\tc\\td')
    '\\t'
    """
    best, best_fields = ",", 1
    for delimiter in _CANDIDATE_DELIMITERS:
        fields = len(next(csv.reader([header_line], delimiter=delimiter), []))
        if fields > best_fields:
            best, best_fields = delimiter, fields
    return best


def _sniff_text(path: Path) -> tuple[str, str]:
    """Return the first line of ``path`` and the encoding it decodes with."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the sniff window is still UTF-8.
            if encoding == "utf-8-sig" and exc.start >= len(head) - 3:
                text = head[: exc.start].decode(encoding)
            else:
                continue
        first_line = next(iter(io.StringIO(text)), "")
        return first_line.rstrip("\r\n"), "utf8" if encoding == "utf-8-sig" else encoding
    raise LeadscoreError(f"{path}: cannot decode the file as UTF-8 or Windows-1252 text.")


def _read_csv(path: Path) -> RawTable:
    header, encoding = _sniff_text(path)
    if not header.strip():
        raise LeadscoreError(f"{path}: the file is empty (no header line).")
    delimiter = detect_delimiter(header)
    names = next(csv.reader([header], delimiter=delimiter))
    column_types = {name: pa.string() for name in names}

    def read(enc: str) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=enc, block_size=16 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types,
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )

    try:
        try:
            table = read(encoding)
        except pa.ArrowInvalid as exc:
            if "UTF8" not in str(exc) or encoding != "utf8":
                raise
            encoding = "cp1252"
            table = read(encoding)
    except pa.ArrowInvalid as exc:
        raise LeadscoreError(f"{path}: not a readable CSV file ({exc}).") from None

    frame = table.to_pandas(types_mapper=_text_types_mapper)
    empty_unnamed = [c for c in frame.columns if not str(c).strip() and frame[c].isna().all()]
    frame = frame.drop(columns=empty_unnamed)
    return RawTable(frame, path, delimiter, encoding, dropped_empty_columns=len(empty_unnamed))


def _text_types_mapper(dtype: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return pd.StringDtype("pyarrow")
    return None


def _read_parquet(path: Path) -> RawTable:
    if path.stat().st_size == 0:
        raise LeadscoreError(f"{path}: the file is empty.")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise LeadscoreError(f"{path}: not a readable Parquet file ({exc}).") from None
    return RawTable(table.to_pandas(types_mapper=_text_types_mapper), path)


def read_table_file(path: Path) -> RawTable:
    """Read one export file with normalised column names.

    Parameters
    ----------
    path : Path
        A ``.parquet`` file, or a ``.csv``/``.tsv``/``.txt`` file with any common separator.

    Returns
    -------
    RawTable
        The frame (CSV columns as text, Parquet columns with their stored types) and how the
        file was read.
    """
    raw = _read_parquet(path) if path.suffix == ".parquet" else _read_csv(path)
    raw.frame.columns = [normalise_column_name(c) for c in raw.frame.columns]
    return raw
