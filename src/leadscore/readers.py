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
from collections.abc import Iterator
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
    #: Position of the frame's first row in the file (0 unless read in batches).
    first_row: int = 0


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


def _csv_options(path: Path, encoding: str | None = None) -> tuple[str, str, dict]:
    """Delimiter, encoding and pyarrow options for reading ``path`` with every column as text."""
    header, sniffed = _sniff_text(path)
    if not header.strip():
        raise LeadscoreError(f"{path}: the file is empty (no header line).")
    delimiter = detect_delimiter(header)
    names = next(csv.reader([header], delimiter=delimiter))
    encoding = encoding or sniffed
    options = {
        "read_options": pacsv.ReadOptions(encoding=encoding, block_size=16 << 20),
        "parse_options": pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    }
    return delimiter, encoding, options


def _csv_batches(path: Path, encoding: str | None = None) -> Iterator[tuple[pa.Table, str, str]]:
    """Stream a CSV file as tables of record batches, falling back to Windows-1252."""
    delimiter, encoding, options = _csv_options(path, encoding)
    rows = 0
    try:
        with pacsv.open_csv(path, **options) as reader:
            for batch in reader:
                rows += batch.num_rows
                yield pa.Table.from_batches([batch]), delimiter, encoding
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) and encoding == "utf8" and rows == 0:
            yield from _csv_batches(path, "cp1252")
            return
        if "UTF8" in str(exc):
            raise LeadscoreError(
                f"{path}: invalid UTF-8 after row {rows:,}; save the file as UTF-8."
            ) from None
        raise LeadscoreError(f"{path}: not a readable CSV file ({exc}).") from None


def _csv_raw(path: Path, table: pa.Table, delimiter: str, encoding: str, first: int) -> RawTable:
    frame = table.to_pandas(types_mapper=_text_types_mapper)
    empty_unnamed = [c for c in frame.columns if not str(c).strip() and frame[c].isna().all()]
    frame = frame.drop(columns=empty_unnamed)
    return RawTable(frame, path, delimiter, encoding, first_row=first)


def _text_types_mapper(dtype: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return pd.StringDtype("pyarrow")
    return None


def _check_parquet(path: Path) -> pq.ParquetFile:
    if path.stat().st_size == 0:
        raise LeadscoreError(f"{path}: the file is empty.")
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise LeadscoreError(f"{path}: not a readable Parquet file ({exc}).") from None


def iter_table_batches(path: Path, batch_rows: int | None = None) -> Iterator[RawTable]:
    """Read an export file in batches of about ``batch_rows`` rows (all at once if ``None``).

    Column names are normalised; CSV columns are text, Parquet columns keep their types. At
    least one (possibly empty) batch is yielded, so an empty file still shows its columns.

    Parameters
    ----------
    path : Path
        A ``.parquet`` file, or a ``.csv``/``.tsv``/``.txt`` file with any common separator.
    batch_rows : int, optional
        Rows per batch for large tables; memory then stays bounded whatever the file size.
    """
    if path.suffix == ".parquet":
        parquet = _check_parquet(path)
        if batch_rows is None or parquet.metadata.num_rows == 0:
            tables = iter([parquet.read()])
        else:
            tables = (pa.Table.from_batches([b]) for b in parquet.iter_batches(batch_rows))
        raws = (RawTable(t.to_pandas(types_mapper=_text_types_mapper), path) for t in tables)
    else:
        raws = _csv_raws(path, batch_rows)
    first = 0
    for raw in raws:
        raw.frame.columns = [normalise_column_name(c) for c in raw.frame.columns]
        raw.first_row = first
        first += len(raw.frame)
        yield raw


def _csv_raws(path: Path, batch_rows: int | None) -> Iterator[RawTable]:
    pending: list[pa.Table] = []
    delimiter = encoding = ""
    for table, delimiter, encoding in _csv_batches(path):
        pending.append(table)
        if batch_rows is not None and sum(t.num_rows for t in pending) >= batch_rows:
            yield _csv_raw(path, pa.concat_tables(pending), delimiter, encoding, 0)
            pending = []
    if pending or not delimiter:
        if not pending:  # header only: pyarrow yields no batch, so build the empty table
            delimiter, encoding, options = _csv_options(path)
            names = list(options["convert_options"].column_types)
            pending = [pa.table({n: pa.array([], pa.string()) for n in names})]
        yield _csv_raw(path, pa.concat_tables(pending), delimiter, encoding, 0)


def read_table_file(path: Path) -> RawTable:
    """Read one whole export file with normalised column names.

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
    return next(iter_table_batches(path))
