"""Read CRM exports (CSV or Parquet) the way real exports come: messy.

CSV files may use comma, semicolon (German Excel), tab or ``|`` separators, start with a UTF-8
byte order mark, quote fields, end lines with a separator (an empty trailing column) or be
encoded in Windows-1252 (wherever its first accented letter lies), UTF-16 or UTF-32. Every CSV
column is read as text so that :mod:`leadscore.validation` can report exactly which values do
not parse.

A table may also be a folder of Parquet files (``events/``), as Spark, Databricks or an export
job writes them, also partitioned hive-style (``events/month=2025-06/part-0.parquet``): its parts
are read in the order of their paths, a partition column is read as a column when the contract
has it (``event_type=page_view``) and ignored otherwise, and every part must have the same
columns and types (:func:`table_parts`).

Files that cannot be read fail with a :class:`~leadscore.errors.LeadscoreError` naming the file
and the line, never quoting a row: rows of CRM exports hold personal data.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from leadscore.contract import FILE_SUFFIXES
from leadscore.errors import UNPRINTABLE, LeadscoreError, excerpt

_CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024
#: pyarrow's block: rows come in batches of this many bytes (a module constant for the tests).
_BLOCK_BYTES = 16 << 20


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
    #: The file as messages name it: its name, or its path in a table folder
    #: (``events/month=2025-06/part-0.parquet``); default ``path.name``.
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            self.name = self.path.name


def normalise_column_name(name: str) -> str:
    """Lower-case a header and join its words with ``_``.

    Control characters other than blanks (ESC, BEL, DEL, C1) and invisible marks that reorder
    or hide text are dropped: a column name reaches features, files and the terminal, where
    ``ESC [2J`` would clear the screen.

    Examples
    --------
    >>> normalise_column_name("  Lead ID ")
    'lead_id'
    >>> normalise_column_name("Annual-Revenue")
    'annual_revenue'
    >>> normalise_column_name("\\x1b[2JNotes\\u202e\\x07")
    '[2jnotes'
    """
    visible = re.sub(f"(?!\\s)[{UNPRINTABLE}]", "", str(name))  # blanks become "_" below
    return re.sub(r"[\s\-.]+", "_", visible.strip().lower()).strip("_")


def find_table_file(data_dir: Path, table: str) -> Path | None:
    """Return the file or folder holding ``table`` in ``data_dir`` (``leads.parquet``,
    ``leads.csv``, a folder ``events/`` of Parquet parts ...).

    Raises
    ------
    LeadscoreError
        If the table is present more than once (in two formats, or as a folder and a file),
        which would be ambiguous.
    """
    found = [data_dir / f"{table}{suffix}" for suffix in FILE_SUFFIXES]
    found = [p for p in found if p.is_file()]
    folder = data_dir / table
    if folder.is_dir():
        found.insert(0, folder)
    if len(found) > 1:
        names = ", ".join(table_label(p) for p in found)
        raise LeadscoreError(
            f"{data_dir}: table '{table}' is given twice ({names}); keep only one of them."
        )
    return found[0] if found else None


def table_label(path: Path) -> str:
    """A table's file or folder as messages name it: ``events.csv``, or ``events/`` for a folder.

    >>> table_label(Path("data/events.csv")), table_label(Path("."))
    ('events.csv', './')
    """
    return f"{path.name or path}/" if path.is_dir() else path.name


@dataclass(frozen=True)
class TablePart:
    """One file of a table: the table's only file, or one Parquet part of a table folder."""

    path: Path
    #: The part as messages name it: the file's name, or its path from the data folder
    #: (``events/month=2025-06/part-0.parquet``). Parts are read in the order of these names.
    name: str
    #: Rows, from the Parquet footer (``None`` for a CSV file, whose rows are unknown unread).
    rows: int | None = None
    #: Contract columns given by the part's folder names (``event_type=page_view``), as text;
    #: ``None`` for Hive's missing value (``__HIVE_DEFAULT_PARTITION__``).
    partition: tuple[tuple[str, str | None], ...] = ()


#: Hive's folder name for a missing partition value.
_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def table_parts(path: Path, partition_columns: Collection[str] = ()) -> list[TablePart]:
    """The files of a table, in reading order: ``path`` itself, or the Parquet parts of a folder.

    A folder is searched recursively; files and folders whose names start with ``_`` or ``.``
    are bookkeeping of the writer (``_SUCCESS``, ``.part-0.parquet.crc``, ``_temporary/``) and
    skipped. Parts are read in the order of their paths. Hive-style folder names
    (``month=2025-06``) give a column to every part below them: one named in
    ``partition_columns`` is read as that column (as text, like a CSV cell), others are
    ignored.

    Parameters
    ----------
    path : Path
        A table file, or a folder of Parquet parts.
    partition_columns : collection of str
        The columns a partition folder may give (the table's contract columns).

    Raises
    ------
    LeadscoreError
        Naming the folder when it holds no Parquet file or a file that is not Parquet (a CSV
        file), and naming the parts when a part cannot be read, when parts differ in their
        columns or types, or when a column is both in a part and in its folder name.
    """
    if not path.is_dir():
        return [TablePart(path, path.name)]
    label = table_label(path)
    files = sorted(
        (f.relative_to(path).as_posix(), f)
        for f in path.rglob("*")
        if not any(n.startswith(("_", ".")) for n in f.relative_to(path).parts) and f.is_file()
    )
    strangers = [name for name, f in files if f.suffix.lower() != ".parquet"]
    if strangers:
        shown = ", ".join(f"{label}{n}" for n in strangers[:3])
        more = f" and {len(strangers) - 3:,} more" if len(strangers) > 3 else ""
        raise LeadscoreError(
            f"{path}: the table folder holds files that are not Parquet ({shown}{more}); a "
            f"table folder holds only .parquet parts: convert them to Parquet, or give the "
            f"table as one file ({path.name}.csv) instead of a folder."
        )
    if not files:
        raise LeadscoreError(
            f"{path}: the table folder holds no Parquet file (*.parquet); add the table's "
            "parts, or remove the empty folder."
        )
    wanted = set(partition_columns)
    parts = []
    for name, file in files:
        given: dict[str, str | None] = {}
        for folder in Path(name).parts[:-1]:
            key, equals, value = folder.partition("=")
            column = normalise_column_name(unquote(key))
            if not equals or column not in wanted:
                continue
            if column in given:
                raise LeadscoreError(
                    f"{label}{name}: the column '{column}' is given by two of its folders; "
                    "give each partition column once."
                )
            given[column] = None if value == _HIVE_NULL else unquote(value)
        parts.append(TablePart(file, f"{label}{name}", None, tuple(given.items())))
    return _with_one_schema(path, parts)


def _type_family(dtype: pa.DataType) -> str:
    """What a column holds, as far as validation cares: ``text``, ``number``, ``timestamp``...

    Integer and floating-point columns are both numbers, dictionary-encoded text is text: parts
    written by different tools differ in such details, and validation parses them alike.
    """
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    checks = (
        ("null", pa.types.is_null),
        ("text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
        ("number", lambda t: pa.types.is_integer(t) or pa.types.is_floating(t)),
        ("number", pa.types.is_decimal),
        ("yes/no", pa.types.is_boolean),
        ("timestamp", pa.types.is_timestamp),
        ("date", pa.types.is_date),
    )
    return next((family for family, check in checks if check(dtype)), str(dtype))


def _part_schema(part: TablePart) -> tuple[int, dict[str, str]]:
    """Rows and column families of a Parquet part (from its footer), partition columns added."""
    if part.path.stat().st_size == 0:
        raise LeadscoreError(f"{part.path}: the file is empty.")
    try:
        metadata = pq.read_metadata(part.path)
        schema = metadata.schema.to_arrow_schema()
    except (pa.ArrowException, OSError) as exc:
        reason = excerpt(str(exc).split(". ")[0], 120)[1:-1]
        raise LeadscoreError(f"{part.path}: not a readable Parquet file ({reason}).") from None
    columns = {normalise_column_name(f.name): _type_family(f.type) for f in schema}
    for column, _value in part.partition:
        if column in columns:
            raise LeadscoreError(
                f"{part.name}: the column '{column}' is both in the file and in its folder name; "
                "keep one of them."
            )
        columns[column] = "text"
    return metadata.num_rows, columns


def _with_one_schema(folder: Path, parts: list[TablePart]) -> list[TablePart]:
    """The parts with their rows, once every part is known to have the first one's columns."""
    counted = []
    first: dict[str, str] = {}
    for part in parts:
        rows, columns = _part_schema(part)
        if counted and (difference := _schema_difference(parts[0], first, part, columns)):
            raise LeadscoreError(
                f"{folder}: the parts of the table do not share one schema: {difference}. "
                "Every part of a table folder needs the same columns and types: is one of them "
                "from another export?"
            )
        first = first or columns
        counted.append(TablePart(part.path, part.name, rows, part.partition))
    return counted


def _schema_difference(
    a: TablePart, a_columns: dict[str, str], b: TablePart, b_columns: dict[str, str]
) -> str | None:
    """How the columns of two parts differ, in words (``None`` when they agree)."""
    for this, these, other, others in ((b, b_columns, a, a_columns), (a, a_columns, b, b_columns)):
        extra = [c for c in these if c not in others]
        if extra:
            return f"{this.name} has the column(s) {', '.join(extra)}, which {other.name} lacks"
    for column, family in a_columns.items():
        if "null" not in (family, b_columns[column]) and family != b_columns[column]:
            return (
                f"the column '{column}' holds {family} values in {a.name} but "
                f"{b_columns[column]} values in {b.name}"
            )
    return None


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


@dataclass(frozen=True)
class _CsvFormat:
    """How a CSV file is written, from its first bytes."""

    delimiter: str
    #: Encoding as pyarrow names it: "utf8" (read natively) or a Python codec (transcoded).
    encoding: str
    #: The header's fields as written.
    names: tuple[str, ...]

    @property
    def codec(self) -> str:
        """The Python codec that reads the file as pyarrow does (a UTF-8 BOM skipped)."""
        return "utf-8-sig" if self.encoding == "utf8" else self.encoding

    @property
    def label(self) -> str:
        return _encoding_label(self.encoding)


def _encoding_label(encoding: str) -> str:
    """An encoding as people know it: "UTF-8", "Windows-1252", "UTF-16"."""
    return {"utf8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}.get(
        encoding, encoding.upper()
    )


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "'|'"}


def _wide_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32 from a byte-order mark or from ASCII text interleaved with NUL bytes.

    Examples
    --------
    >>> _wide_encoding("lead_id".encode("utf-16"))
    'utf-16'
    >>> _wide_encoding("lead_id".encode("utf-16-le")), _wide_encoding(b"lead_id")
    ('utf-16-le', None)
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.8 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.8 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _sniff(path: Path, encoding: str | None = None) -> _CsvFormat:
    """Encoding, separator and header of ``path``, from its first 64 KB."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    wide = _wide_encoding(head)
    if wide is None and b"\x00" in head:
        line = head[: head.index(b"\x00")].count(b"\n") + 1
        raise LeadscoreError(
            f"{path}: line {line:,} holds a NUL byte, so this is not CSV text (an Excel "
            "workbook or another binary file?); save it as CSV UTF-8."
        )
    candidate = encoding or wide or "utf-8-sig"
    try:
        text = _decode_head(head, candidate)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        if candidate != "utf-8-sig":
            raise LeadscoreError(
                f"{path}: line {line:,} is not valid {_encoding_label(candidate)} text; save the "
                "file as CSV UTF-8."
            ) from None
        if not head[: exc.start].isascii():
            raise _mixed_encodings(path, line) from None
        try:
            candidate, text = "cp1252", _decode_head(head, "cp1252")
        except UnicodeDecodeError as exc:
            line = head[: exc.start].count(b"\n") + 1
            raise LeadscoreError(
                f"{path}: line {line:,} is neither UTF-8 nor Windows-1252 text; save the file "
                "as CSV UTF-8."
            ) from None
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    if not first_line.strip():
        raise LeadscoreError(f"{path}: the file is empty or its first line is blank (no header).")
    delimiter = detect_delimiter(first_line)
    try:  # the whole first record: a quoted header may span lines
        names = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise LeadscoreError(f"{path}: the header line cannot be read as CSV.") from None
    return _CsvFormat(delimiter, "utf8" if candidate == "utf-8-sig" else candidate, tuple(names))


def _decode_head(head: bytes, codec: str) -> str:
    # Incremental: a multi-byte character cut by the sniff window is not an error.
    return codecs.getincrementaldecoder(codec)().decode(head, final=len(head) < _SNIFF_BYTES)


def _mixed_encodings(path: Path, line: int) -> LeadscoreError:
    return LeadscoreError(
        f"{path}: line {line:,} is not valid UTF-8 although earlier lines are: the file mixes "
        "encodings; save it as CSV UTF-8."
    )


def _arrow_options(fmt: _CsvFormat, names: Iterable[str], invalid: list) -> dict:
    """pyarrow options reading every column as text; rows of a wrong width go to ``invalid``."""

    def remember(row: pacsv.InvalidRow) -> str:
        invalid.append(row)
        return "error"

    return {
        "read_options": pacsv.ReadOptions(encoding=fmt.encoding, block_size=_BLOCK_BYTES),
        "parse_options": pacsv.ParseOptions(
            delimiter=fmt.delimiter, newlines_in_values=True, invalid_row_handler=remember
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    }


def _open_csv(path: Path, fmt: _CsvFormat, invalid: list) -> pacsv.CSVStreamingReader:
    reader = pacsv.open_csv(path, **_arrow_options(fmt, fmt.names, invalid))
    if all(pa.types.is_string(field.type) for field in reader.schema):
        return reader
    # pyarrow split the header differently from the csv module: take its names.
    reader.close()
    return pacsv.open_csv(path, **_arrow_options(fmt, reader.schema.names, invalid))


def _csv_batches(
    path: Path, encoding: str | None = None, skip: int = 0
) -> Iterator[tuple[pa.Table, _CsvFormat]]:
    """Stream a CSV file as tables of record batches, falling back to Windows-1252.

    A file that is not UTF-8 is read again as Windows-1252, even when the first byte that is
    not UTF-8 comes after rows already yielded: if everything before that byte is ASCII, those
    rows read the same in both encodings and the second pass skips them.
    """
    fmt = _sniff(path, encoding)
    invalid: list[pacsv.InvalidRow] = []
    rows = 0
    try:
        with _open_csv(path, fmt, invalid) as reader:
            for batch in reader:
                rows += batch.num_rows
                if rows <= skip:
                    continue
                batch = batch.slice(max(0, skip - (rows - batch.num_rows)))
                yield pa.Table.from_batches([batch]), fmt
    except pa.ArrowInvalid as exc:
        if "Empty CSV" in str(exc) and rows == 0 and _only_a_header(path, fmt):
            return  # pyarrow needs a line break after a header without rows
        if "UTF8" not in str(exc):
            raise _parse_error(path, fmt, exc, invalid, rows) from None
        if fmt.encoding != "utf8" or encoding is not None:
            raise _decode_error(path, fmt) from None
        line, after_non_ascii = _first_undecodable_line(path, fmt.codec)
        if after_non_ascii:
            raise _mixed_encodings(path, line) from None
        yield from _csv_batches(path, "cp1252", skip=max(rows, skip))
    except UnicodeError:  # raised by the codec that transcodes Windows-1252 or UTF-16
        raise _decode_error(path, fmt) from None
    except (pa.ArrowException, OSError) as exc:
        raise _parse_error(path, fmt, exc, invalid, rows) from None


def _parse_error(
    path: Path, fmt: _CsvFormat, exc: Exception, invalid: list, rows: int
) -> LeadscoreError:
    """The parse error in terms of the file's lines, never quoting the row (personal data)."""
    if not invalid:
        if "straddl" in str(exc):  # a row larger than a block
            reason = f"a quoted value never ends, or a row is longer than {_BLOCK_BYTES >> 20} MB"
        elif "Empty CSV" in str(exc):
            reason = "the header line never ends: a quote that is not closed?"
        else:  # pyarrow's messages may quote the data after a colon: keep the kind only
            reason = excerpt(str(exc).split(":", 1)[0])[1:-1]
        return LeadscoreError(f"{path}: not a readable CSV file ({reason}).")
    row = invalid[0]
    line = _first_line_of_width_other_than(path, fmt, row.expected_columns)
    where = f"line {line:,}" if line else f"a line after data row {rows:,}"
    separator = _DELIMITER_NAMES[fmt.delimiter]
    if row.actual_columns > row.expected_columns:
        hint = f"an unquoted {separator} inside a value?"
    else:
        hint = "a missing separator, or a line break inside an unquoted value?"
    return LeadscoreError(
        f"{path}: {where} has {row.actual_columns} field(s), the header has "
        f"{row.expected_columns}: {hint}"
    )


def _only_a_header(path: Path, fmt: _CsvFormat) -> bool:
    """Whether the file is one CSV record, the header, with its quotes closed."""
    try:
        with path.open(encoding=fmt.codec, newline="") as fh:
            text = fh.read(_SNIFF_BYTES + 1)
        records = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter)
        n_records = sum(1 for record in records if record)
    except (csv.Error, UnicodeError):
        return False
    # An odd number of quotes: one never closes and swallows the rest of the file.
    return len(text) <= _SNIFF_BYTES and n_records == 1 and text.count('"') % 2 == 0


def _first_line_of_width_other_than(path: Path, fmt: _CsvFormat, width: int) -> int | None:
    """Line on which the first record of a different number of fields starts (scans the file:
    only called on error)."""
    try:
        with path.open(encoding=fmt.codec, errors="replace", newline="") as fh:
            records = csv.reader(fh, delimiter=fmt.delimiter)
            next(records, None)  # the header
            start = records.line_num + 1
            for record in records:
                if record and len(record) != width:
                    return start
                start = records.line_num + 1
    except csv.Error:  # e.g. a field above the csv module's size limit
        return None
    return None


def _first_undecodable_line(path: Path, codec: str) -> tuple[int, bool]:
    """Line of the first byte ``codec`` cannot decode (1 if none), and whether bytes other than
    ASCII came before it (then the file mixes encodings). Scans the file: only called on error.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    line, non_ascii = 1, False  # a UTF-8 BOM counts as UTF-8: such a file is not Windows-1252
    with path.open("rb") as fh:
        while chunk := fh.read(_BLOCK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                before = chunk[: max(exc.start, 0)]
                return line + before.count(b"\n"), non_ascii or not before.isascii()
            line += chunk.count(b"\n")
            non_ascii = non_ascii or not chunk.isascii()
    return 1, non_ascii


def _decode_error(path: Path, fmt: _CsvFormat) -> LeadscoreError:
    line, _ = _first_undecodable_line(path, fmt.codec)
    return LeadscoreError(
        f"{path}: line {line:,} is not valid {fmt.label} text; save the file as CSV UTF-8."
    )


def _csv_raw(path: Path, table: pa.Table, fmt: _CsvFormat) -> RawTable:
    frame = table.to_pandas(types_mapper=_text_types_mapper)
    return RawTable(frame, path, fmt.delimiter, fmt.encoding)


def _text_types_mapper(dtype: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return pd.StringDtype("pyarrow")
    return None


def _parquet_tables(path: Path, batch_rows: int | None) -> Iterator[pa.Table]:
    if path.stat().st_size == 0:
        raise LeadscoreError(f"{path}: the file is empty.")
    try:
        parquet = pq.ParquetFile(path)
        if batch_rows is None or parquet.metadata.num_rows == 0:
            yield parquet.read()
            return
        for batch in parquet.iter_batches(batch_rows):
            yield pa.Table.from_batches([batch])
    except (pa.ArrowException, OSError) as exc:
        reason = excerpt(str(exc).split(". ")[0], 120)[1:-1]
        raise LeadscoreError(f"{path}: not a readable Parquet file ({reason}).") from None


def _check_headers(path: Path, headers: Iterable[str]) -> None:
    """Refuse two headers that read as the same column once normalised."""
    seen: dict[str, tuple[int, str]] = {}
    for position, header in enumerate(headers, start=1):
        name = normalise_column_name(header)
        if name in seen:
            other_position, other = seen[name]
            raise LeadscoreError(
                f"{path}: the headers {excerpt(other)} (column {other_position}) and "
                f"{excerpt(header)} (column {position}) both read as '{excerpt(name)[1:-1]}'; "
                "rename or remove one of them."
            )
        if name:  # columns without a name are left to _drop_empty_unnamed
            seen[name] = (position, header)


def _drop_empty_unnamed(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Drop columns without a header that hold nothing (a separator ending every line).

    A column without a header that holds values is refused: nothing could refer to it.
    """
    unnamed = [i for i, c in enumerate(frame.columns) if not normalise_column_name(c)]
    for position in unnamed:
        if frame.iloc[:, position].notna().any():
            raise LeadscoreError(
                f"{path}: column {position + 1} has no header but holds values; name it or "
                "delete it."
            )
    return frame.iloc[:, [i for i in range(frame.shape[1]) if i not in set(unnamed)]]


def iter_table_batches(
    path: Path, batch_rows: int | None = None, partition_columns: Collection[str] = ()
) -> Iterator[RawTable]:
    """Read an export file or table folder in batches of about ``batch_rows`` rows.

    Column names are normalised; CSV columns are text, Parquet columns keep their types. At
    least one (possibly empty) batch is yielded, so an empty file still shows its columns.

    Parameters
    ----------
    path : Path
        A ``.parquet`` file, a ``.csv``/``.tsv``/``.txt`` file with any common separator, or a
        folder of Parquet parts (:func:`table_parts`).
    batch_rows : int, optional
        Rows per batch for large tables; memory then stays bounded whatever the file size.
        ``None`` reads a file at once, and a folder one part at a time.
    partition_columns : collection of str
        Columns a partition folder of a table folder may give (see :func:`table_parts`).

    Yields
    ------
    RawTable
        For a folder, the batches of each part in turn (parts without rows are skipped unless
        all are empty): a batch never spans two parts, and its ``name`` and ``first_row`` are
        those of its part (``events/month=2025-06/part-0.parquet``, rows counted from the part's
        first), so that messages point into the part.

    Raises
    ------
    LeadscoreError
        Naming the file (and the line for CSV) when it cannot be read, has two headers that
        normalise to the same name or a column without a header that holds values, and naming
        the folder or part for the folder errors of :func:`table_parts`. Messages never quote
        the file's rows.
    """
    parts = table_parts(path, partition_columns)
    for part in [p for p in parts if p.rows != 0] or parts[:1]:
        yield from iter_part_batches(part, batch_rows)


def iter_part_batches(part: TablePart, batch_rows: int | None = None) -> Iterator[RawTable]:
    """Read one file of a table (see :func:`iter_table_batches`), named as ``part`` says."""
    path = part.path
    if path.suffix.lower() == ".parquet":
        raws = (
            RawTable(t.to_pandas(types_mapper=_text_types_mapper), path)
            for t in _parquet_tables(path, batch_rows)
        )
    else:
        raws = _csv_raws(path, batch_rows)
    first = 0
    for raw in raws:
        _check_headers(path, raw.frame.columns)
        frame = _drop_empty_unnamed(raw.frame, path)
        frame.columns = [normalise_column_name(c) for c in frame.columns]
        for column, value in part.partition:
            frame[column] = pd.Series(value, index=frame.index, dtype=pd.StringDtype("pyarrow"))
        raw.frame, raw.name, raw.first_row = frame, part.name, first
        first += len(raw.frame)
        yield raw


def _csv_raws(path: Path, batch_rows: int | None) -> Iterator[RawTable]:
    pending: list[pa.Table] = []
    fmt = None
    for table, fmt in _csv_batches(path):
        pending.append(table)
        if batch_rows is not None and sum(t.num_rows for t in pending) >= batch_rows:
            yield _csv_raw(path, pa.concat_tables(pending), fmt)
            pending = []
    if pending or fmt is None:
        if fmt is None:  # header only: pyarrow yields no batch, so build the empty table
            fmt = _sniff(path)
            pending = [pa.table({n: pa.array([], pa.string()) for n in fmt.names})]
        yield _csv_raw(path, pa.concat_tables(pending), fmt)


def read_table_file(path: Path, partition_columns: Collection[str] = ()) -> RawTable:
    """Read one whole export file, or every part of a table folder, with normalised column names.

    Parameters
    ----------
    path : Path
        A ``.parquet`` file, a ``.csv``/``.tsv``/``.txt`` file with any common separator, or a
        folder of Parquet parts (:func:`table_parts`), whose parts are concatenated in order.
    partition_columns : collection of str
        Columns a partition folder of a table folder may give (see :func:`table_parts`).

    Returns
    -------
    RawTable
        The frame (CSV columns as text, Parquet columns with their stored types) and how the
        file was read; a folder's is named ``events/``.
    """
    raws = list(iter_table_batches(path, None, partition_columns))
    if len(raws) == 1:
        return raws[0]
    frame = pd.concat([raw.frame for raw in raws], ignore_index=True)
    return RawTable(frame, path, name=table_label(path))
