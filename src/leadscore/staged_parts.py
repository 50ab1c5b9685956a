"""The large tables staged part by part, each part cached by its content.

A nightly export adds a part to a table folder (``events/day=2025-06-02/part-0.parquet``) and
leaves the older parts as they were. :func:`stage_part` validates a part once and keeps what
later runs need in ``data/interim/parts/<table>-<key>/``, where the key is a hash of the part's
content (and of :data:`PART_VERSION` and the table), so the next run validates only the new part:

- ``rows.parquet``: the validated rows, in the part's order. Rows whose key (``lead_id``,
  ``account_id``) is not in the parent table are kept: the leads change every night, so which
  rows are orphans is decided when the parts are used (:func:`key_usage`), with the same
  warning or error as a fresh validation of the whole table;
- ``keys.parquet``: per key, its rows, the first row's position and the first and last
  ``occurred_at``: enough to count orphans, name the first few in file order and find the data's
  first and last timestamp without reading the rows. Added up over all parts, these summaries
  form the table's key index (``parts/index-<table>-<key>/``, :func:`key_index`), kept too:
  tonight's is last night's plus the new part;
- ``manifest.json``: the part's problems (warnings; a part with errors is never kept), its
  rows and its first and last day;
- ``derived/``: caches a higher layer computes from the rows (the daily rollup of
  :mod:`leadscore.features.rollup_cache`), removed with the entry.

A changed part has another content hash, so it is validated anew: stale state is never mixed
in. Hashing every part each night would read all history (seconds per gigabyte), so content
hashes are remembered by file (:func:`content_hashes`): a file is hashed again when its size,
modification time, change time (which only the kernel sets, on every write) or inode differ
from when it was hashed, as ``git`` does for its index.

Entries no staged copy refers to are removed once unused for
:data:`leadscore.dataset.IN_USE_SECONDS` (:func:`prune_parts`), and all by :func:`clear_parts`
(``leadscore cache --clear``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from leadscore.contract import Table
from leadscore.io import frame_to_arrow, remove_stale_temps, temp_name, temp_target, update_hash
from leadscore.readers import TablePart, iter_part_batches
from leadscore.validation import (
    Problem,
    example_values,
    merge_problems,
    validate_table,
)

#: Version of what an entry holds; entries of another version are neither used nor listed.
PART_VERSION = 1
#: The folder of the per-part cache in the interim folder.
PARTS_FOLDER = "parts"
#: Remembered content hashes at most (the least recently hashed are forgotten first).
MAX_REMEMBERED_HASHES = 100_000
#: A file changed this shortly before it was hashed is hashed again next time: a second write
#: within the file system's timestamp resolution would leave its times unchanged.
_RACY_SECONDS = 2
_ENTRY_NAME = re.compile(r"^(?P<table>[a-z_]+)-(?P<key>[0-9a-f]{32})$")
_MANIFEST_KEYS = frozenset(
    {"part_version", "table", "key", "rows", "first_day", "last_day", "problems"}
)
_US_PER_DAY = 86_400_000_000
_HASHES_FILE = "hashes.json"


@dataclass(frozen=True)
class StagedPart:
    """One validated part of a large table (see the module docstring)."""

    table: str
    #: The part as messages name it (``events/day=2025-06-02/part-0.parquet``).
    name: str
    #: The entry's key: a hash of the part's content, the table and :data:`PART_VERSION`.
    key: str
    #: The validated rows, orphans included.
    file: Path
    rows: int
    #: Whole UTC days since 1970-01-01 of the part's first and last ``occurred_at``
    #: (``None`` without rows).
    first_day: int | None
    last_day: int | None
    #: The entry in the per-part cache; ``None`` when the part was not kept (it has errors).
    entry: Path | None = None
    problems: tuple[Problem, ...] = ()
    #: The key summary of a part that was not kept (that of a kept part is its entry's
    #: ``keys.parquet``): per key, ``rows``, ``first_row``, ``first_at``, ``last_at``.
    key_summary: pa.Table | None = dataclasses.field(default=None, repr=False, compare=False)

    def derived(self, name: str) -> Path | None:
        """A folder for caches computed from the part's rows, removed with the entry; ``None``
        when the entry is gone (another run cleared the cache): compute without caching."""
        if self.entry is None or not (self.entry / "manifest.json").is_file():
            return None
        return self.entry / "derived" / name

    def describe(self) -> dict:
        """What a staged copy's manifest records of the part (see :func:`from_description`)."""
        return {
            "name": self.name,
            "key": self.key,
            "rows": self.rows,
            "first_day": self.first_day,
            "last_day": self.last_day,
        }


def from_description(table: str, description: dict, file: Path, interim_dir: Path) -> StagedPart:
    """The :class:`StagedPart` a staged copy's manifest describes, read from ``file``."""
    entry = parts_folder(interim_dir) / f"{table}-{description['key']}"
    return StagedPart(table=table, file=file, entry=entry, **description)


def parts_folder(interim_dir: Path) -> Path:
    """The per-part cache of ``interim_dir``."""
    return Path(interim_dir) / PARTS_FOLDER


def content_hashes(paths: Iterable[Path], interim_dir: Path | None = None) -> dict[Path, str]:
    """Content hash (BLAKE2b, 16 bytes, hex) of each file, remembered across runs.

    With ``interim_dir``, a hash is reused while the file's size, modification time, change
    time and inode are those it had when it was hashed (and it had not changed within
    :data:`_RACY_SECONDS` before); any write changes the change time, so an edited file is
    always hashed again. Without ``interim_dir``, every file is hashed.
    """
    paths = list(dict.fromkeys(Path(p) for p in paths))
    memo_file = parts_folder(interim_dir) / _HASHES_FILE if interim_dir is not None else None
    memo = _read_memo(memo_file) if memo_file is not None else {}
    hashes: dict[Path, str] = {}
    changed = False
    for path in paths:
        where = str(path.resolve())
        stat = path.stat()
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        known = memo.get(where)
        if (
            known is not None
            and known[:4] == signature
            and known[4] - stat.st_ctime_ns >= (_RACY_SECONDS * 1_000_000_000)
        ):
            hashes[path] = known[5]
            continue
        hashed_at = time.time_ns()
        digest = hashlib.blake2b(digest_size=16)
        update_hash(digest, path)
        hashes[path] = digest.hexdigest()
        memo.pop(where, None)  # re-inserted last: the most recently hashed are kept
        memo[where] = [*signature, hashed_at, hashes[path]]
        changed = True
    if changed and memo_file is not None:
        _write_memo(memo_file, memo)
    return hashes


def _read_memo(file: Path) -> dict[str, list]:
    try:
        content = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(content, dict) or content.get("part_version") != PART_VERSION:
        return {}
    files = content.get("files")
    return files if isinstance(files, dict) else {}


def _write_memo(file: Path, memo: dict[str, list]) -> None:
    """Write the memo atomically; a failure only costs hashing again next time."""
    kept = dict(list(memo.items())[-MAX_REMEMBERED_HASHES:])
    with contextlib.suppress(OSError):
        file.parent.mkdir(parents=True, exist_ok=True)
        temp = file.with_name(temp_name(file.name))
        temp.write_text(json.dumps({"part_version": PART_VERSION, "files": kept}))
        os.replace(temp, file)


def entry_key(table: str, content_hash: str) -> str:
    """The key of a part's entry: its content, its table and :data:`PART_VERSION`."""
    text = json.dumps([PART_VERSION, table, content_hash])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def stage_part(
    part: TablePart,
    spec: Table,
    key_column: str,
    content_hash: str,
    now: pd.Timestamp | None,
    interim_dir: Path,
    batch_rows: int,
) -> StagedPart:
    """Validate one part of a large table, or take it from the cache when validated before.

    The part is validated ``batch_rows`` rows at a time, so memory stays bounded whatever its
    size. A part whose validation finds errors is not kept (a later run validates it again, perhaps
    with another ``now``); its :class:`StagedPart` still counts its keys, so that the orphan
    check of the whole table reports what a fresh validation reports.

    Raises
    ------
    OSError
        When the entry cannot be written (the caller names the interim folder).
    """
    key = entry_key(spec.name, content_hash)
    folder = parts_folder(interim_dir)
    entry = folder / f"{spec.name}-{key}"
    manifest = _entry_manifest(entry)
    if manifest is not None:
        with contextlib.suppress(OSError):
            os.utime(entry)
        problems = tuple(_named(p, part.name) for p in manifest["problems"])
        return StagedPart(
            spec.name,
            part.name,
            key,
            entry / "rows.parquet",
            manifest["rows"],
            manifest["first_day"],
            manifest["last_day"],
            entry,
            problems,
        )

    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(folder, entry.name)
    staging = folder / temp_name(entry.name)
    staging.mkdir()
    try:
        writer = None
        summaries: list[pa.Table] = []
        problems: list[Problem] = []
        rows = 0
        for raw in iter_part_batches(part, batch_rows):
            frame, found = validate_table(raw, spec, now)
            problems += found
            table = frame_to_arrow(frame)
            if writer is None:
                # Dictionaries for the repetitive columns only: a key column has too many
                # values for one (pyarrow would try one, then fall back).
                repetitive = [c for c in table.column_names if c != key_column]
                writer = pq.ParquetWriter(
                    staging / "rows.parquet", table.schema, use_dictionary=repetitive
                )
            writer.write_table(table)
            summaries.append(_key_summary(table, key_column, rows))
            rows += len(frame)
        writer.close()  # there was a batch: a reader yields at least one, perhaps empty
        keys = _combine_summaries(summaries)
        first_day, last_day = _day_range(keys)
        problems = merge_problems(problems)
        if any(p.severity == "error" for p in problems):
            shutil.rmtree(staging, ignore_errors=True)
            return StagedPart(
                spec.name,
                part.name,
                key,
                entry / "rows.parquet",
                rows,
                first_day,
                last_day,
                None,
                tuple(problems),
                keys,
            )
        pq.write_table(keys, staging / "keys.parquet", use_dictionary=False)  # unique keys
        manifest = {
            "part_version": PART_VERSION,
            "table": spec.name,
            "key": key,
            "rows": rows,
            "first_day": first_day,
            "last_day": last_day,
            "problems": [vars(p) for p in problems],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))
        _move_into_place(staging, entry)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return StagedPart(
        spec.name,
        part.name,
        key,
        entry / "rows.parquet",
        rows,
        first_day,
        last_day,
        entry,
        tuple(problems),
    )


def _named(problem: dict, name: str) -> Problem:
    """A cached problem, named after the part as it is called now (a part may be renamed)."""
    return Problem(**{**problem, "file": name, "examples": tuple(problem["examples"])})


_STAMP = pa.timestamp("us", tz="UTC")
_SUMMARY_SCHEMA = pa.schema(
    [
        ("key", pa.large_string()),
        ("rows", pa.int64()),
        ("first_row", pa.int64()),
        ("first_at", _STAMP),
        ("last_at", _STAMP),
    ]
)


def _key_summary(rows: pa.Table, key_column: str, first_row: int) -> pa.Table:
    """Per key of one batch: rows, the first row's position, the first and last timestamp.

    NumPy on factorised keys: three times faster than Arrow's ``group_by`` here, which counts
    with hundreds of parts a night.
    """
    if rows.num_rows == 0:
        return _SUMMARY_SCHEMA.empty_table()
    codes, keys = pd.factorize(rows[key_column].to_pandas(), use_na_sentinel=False)
    order = np.argsort(codes, kind="stable")  # stable: each key's first row comes first
    starts = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]])
    micros = pc.cast(rows["occurred_at"], pa.int64())  # microseconds since 1970, UTC
    missing = micros.is_null().to_numpy(zero_copy_only=False)[order]
    at = micros.fill_null(0).to_numpy()[order]
    # A missing timestamp counts for neither the first nor the last one.
    above_all, below_all = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    first_at = np.minimum.reduceat(np.where(missing, above_all, at), starts)
    last_at = np.maximum.reduceat(np.where(missing, below_all, at), starts)
    columns = [
        pa.array(np.asarray(keys, dtype=object), pa.large_string(), from_pandas=True),
        pa.array(np.diff(np.r_[starts, len(order)]), pa.int64()),
        pa.array(order[starts] + first_row, pa.int64()),
        pa.array(first_at, _STAMP, mask=first_at == above_all),
        pa.array(last_at, _STAMP, mask=last_at == below_all),
    ]
    return pa.Table.from_arrays(columns, schema=_SUMMARY_SCHEMA)


def _combine_summaries(summaries: list[pa.Table]) -> pa.Table:
    """One key summary of a part from those of its batches, sorted by key."""
    table = pa.concat_tables(summaries) if len(summaries) > 1 else summaries[0]
    if len(summaries) > 1:
        table = (
            table.group_by("key", use_threads=False)
            .aggregate(
                [("rows", "sum"), ("first_row", "min"), ("first_at", "min"), ("last_at", "max")]
            )
            .rename_columns(
                {
                    "rows_sum": "rows",
                    "first_row_min": "first_row",
                    "first_at_min": "first_at",
                    "last_at_max": "last_at",
                }
            )
            .select(["key", "rows", "first_row", "first_at", "last_at"])
        )
    return table.sort_by("key")


def _day_range(keys: pa.Table) -> tuple[int | None, int | None]:
    first, last = pc.min(keys["first_at"]).as_py(), pc.max(keys["last_at"]).as_py()
    if first is None:
        return None, None
    return _epoch_day(first), _epoch_day(last)


def _epoch_day(stamp) -> int:
    return int(pd.Timestamp(stamp).value // 1000 // _US_PER_DAY)


@dataclass(frozen=True)
class KeyUsage:
    """How a large table's rows relate to the current parent table (see :func:`key_usage`)."""

    rows: int
    orphans: int
    #: The first few orphan keys in file order, as :func:`~leadscore.validation.example_values`
    #: shows them.
    examples: tuple[str, ...]
    #: First and last ``occurred_at`` of the rows that are not orphans (``NaT`` for none).
    first_at: pd.Timestamp
    last_at: pd.Timestamp


def key_usage(parts: list[StagedPart], known: pd.Series, interim_dir: Path) -> KeyUsage:
    """Count the rows of ``parts`` whose key is not in ``known``, from the key index only.

    The examples are the first orphan keys in the order of the parts and of their rows: those
    a fresh validation of the whole table, batch after batch, names.
    """
    if not parts:
        return KeyUsage(0, 0, (), pd.NaT, pd.NaT)
    index = key_index(parts, interim_dir)
    known_ids = pa.table({"key": pa.array(known.dropna(), from_pandas=True)})
    with connect_duckdb() as con:
        con.register("key_index", index)
        con.register("known", known_ids)
        con.execute(
            "CREATE TEMP TABLE flagged AS SELECT i.*, k.key IS NULL AS orphan FROM key_index i "
            "LEFT JOIN (SELECT DISTINCT key FROM known) k ON i.key = k.key"
        )
        totals = con.sql(
            "SELECT sum(rows), sum(rows) FILTER (WHERE orphan), "
            "min(first_at) FILTER (WHERE NOT orphan), max(last_at) FILTER (WHERE NOT orphan) "
            "FROM flagged"
        ).fetchall()[0]
        first_orphans = con.sql(
            "SELECT key FROM flagged WHERE orphan ORDER BY first_part, first_row LIMIT 50"
        ).to_arrow_table()
    examples = tuple(dict.fromkeys(example_values(first_orphans["key"].to_pandas())))[:5]
    return KeyUsage(
        int(totals[0] or 0),
        int(totals[1] or 0),
        examples,
        _timestamp(totals[2]),
        _timestamp(totals[3]),
    )


def connect_duckdb() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC with leadscore's memory limit; it spills to the system's
    temporary folder (DuckDB's default, ``.tmp`` in the current folder, would litter the
    user's project)."""
    con = duckdb.connect()
    spill = (Path(tempfile.gettempdir()) / "leadscore-duckdb").as_posix().replace("'", "''")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{os.environ.get('LEADSCORE_DUCKDB_MEMORY', '2GB')}'")
    con.execute("SET preserve_insertion_order = false")
    return con


#: Key indexes kept per table (the most recently used; one used within
#: ``_INDEX_IN_USE_SECONDS`` is never removed: another run may be reading it).
MAX_KEY_INDEXES = 2
_INDEX_IN_USE_SECONDS = 3600
_INDEX_NAME = re.compile(r"^index-(?P<table>[a-z_]+)-(?P<key>[0-9a-f]{32})$")
_INDEX_COLUMNS = "key, rows, first_part, first_row, first_at, last_at"
#: More rows than any part has: a part's ordinal times this plus a row is one sortable number.
_ROWS_PER_PART = 2**40


def key_index(parts: list[StagedPart], interim_dir: Path) -> pa.Table:
    """Per key over all ``parts``: its rows, its first row in file order (the name of its part
    and the row in it), its first and last timestamp.

    The part summaries of a nightly export hold about one row per lead and day, so adding them
    up each night would read all history again; the index is kept instead
    (``parts/index-<table>-<key>/``) and tonight's is last night's plus the new parts. When no
    kept index covers only parts that are still there (an old part was edited or removed), it
    is built from every part's summary. Sums, minima and maxima: the same index either way.
    """
    table = parts[0].table
    wanted = sorted({(p.name, p.key) for p in parts})
    key = hashlib.blake2b(json.dumps([PART_VERSION, wanted]).encode(), digest_size=16).hexdigest()
    folder = parts_folder(interim_dir) / f"index-{table}-{key}"
    if _index_parts(folder) is not None:
        with contextlib.suppress(OSError):
            os.utime(folder)
            return pq.read_table(folder / "index.parquet")
    kept = all(p.entry is not None for p in parts)
    base, covered = _largest_index(table, set(wanted), interim_dir) if kept else (None, set())
    ordinals = pd.DataFrame({"name": [p.name for p in parts], "ordinal": range(len(parts))})
    added = [p for p in parts if (p.name, p.key) not in covered]
    with connect_duckdb() as con:
        con.register("ordinals", ordinals)
        sources = []
        if base is not None:
            sources.append(f"SELECT {_INDEX_COLUMNS} FROM read_parquet({_literal(base)})")
        on_disk = [p for p in added if p.key_summary is None]
        if on_disk:
            files = pd.DataFrame(
                {
                    "filename": [str(p.entry / "keys.parquet") for p in on_disk],
                    "name": [p.name for p in on_disk],
                }
            )
            con.register("summary_files", files)
            listed = ", ".join(_literal(f) for f in files["filename"])
            sources.append(
                "SELECT s.key, s.rows, f.name AS first_part, s.first_row, s.first_at, s.last_at "
                f"FROM read_parquet([{listed}], filename = true) s "
                "JOIN summary_files f ON s.filename = f.filename"
            )
        for number, part in enumerate(p for p in added if p.key_summary is not None):
            con.register(f"summary_{number}", part.key_summary)
            sources.append(
                f"SELECT key, rows, {_literal(part.name)} AS first_part, first_row, first_at, "
                f"last_at FROM summary_{number}"
            )
        # The first row in file order: the least (part ordinal, row), as one sortable number.
        index = con.sql(
            f"SELECT s.key, CAST(sum(s.rows) AS BIGINT) AS rows, "
            f"min(o.ordinal * {_ROWS_PER_PART} + s.first_row) AS first, "
            "min(s.first_at) AS first_at, max(s.last_at) AS last_at "
            f"FROM ({' UNION ALL '.join(sources)}) s JOIN ordinals o ON s.first_part = o.name "
            "GROUP BY s.key"
        )
        index = con.sql(
            f"SELECT i.key, i.rows, o.name AS first_part, i.first % {_ROWS_PER_PART} AS first_row, "
            "i.first_at, i.last_at FROM index i "
            f"JOIN ordinals o ON o.ordinal = i.first // {_ROWS_PER_PART} ORDER BY i.key"
        ).to_arrow_table()
    if kept:
        _keep_index(folder, index, wanted, interim_dir)
    return index


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _index_parts(folder: Path) -> list[tuple[str, str]] | None:
    """The (name, key) pairs a kept key index covers; ``None`` for anything else."""
    if _INDEX_NAME.match(folder.name) is None or folder.is_symlink() or not folder.is_dir():
        return None
    try:
        content = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not (folder / "index.parquet").is_file():
            return None
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict) or content.get("part_version") != PART_VERSION:
        return None
    return [tuple(pair) for pair in content.get("parts", [])]


def _all_indexes(interim_dir: Path) -> list[Path]:
    folder = parts_folder(interim_dir)
    try:
        return [f for f in folder.glob("index-*") if _INDEX_NAME.match(f.name)]
    except OSError:
        return []


def _indexes(table: str, interim_dir: Path) -> list[Path]:
    """The kept key indexes of ``table``, the most recently used first."""
    folder = parts_folder(interim_dir)
    try:
        found = [f for f in folder.glob(f"index-{table}-*") if _index_parts(f) is not None]
        return sorted(found, key=lambda f: f.stat().st_mtime, reverse=True)
    except OSError:
        return []


def _largest_index(
    table: str, wanted: set[tuple[str, str]], interim_dir: Path
) -> tuple[Path | None, set[tuple[str, str]]]:
    """The kept index covering the most of ``wanted`` and nothing else, and what it covers."""
    best: tuple[Path | None, set[tuple[str, str]]] = (None, set())
    for folder in _indexes(table, interim_dir):
        covered = set(_index_parts(folder) or [])
        if covered <= wanted and len(covered) > len(best[1]):
            best = (folder / "index.parquet", covered)
    return best


def _keep_index(
    folder: Path, index: pa.Table, parts: list[tuple[str, str]], interim_dir: Path
) -> None:
    """Keep ``index`` for the next run (best effort: a failure only costs rebuilding it), and
    at most :data:`MAX_KEY_INDEXES` of its table (those used within the hour stay)."""
    staging = folder.parent / temp_name(folder.name)
    try:
        staging.mkdir(parents=True)
        pq.write_table(index, staging / "index.parquet")
        manifest = {"part_version": PART_VERSION, "parts": [list(pair) for pair in parts]}
        (staging / "manifest.json").write_text(json.dumps(manifest))
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return
    recent = time.time() - _INDEX_IN_USE_SECONDS
    table = _INDEX_NAME.match(folder.name)["table"]
    for old in _indexes(table, interim_dir)[MAX_KEY_INDEXES:]:
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < recent:
                _remove(old)


def _timestamp(value) -> pd.Timestamp:
    if value is None:
        return pd.NaT
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _move_into_place(staging: Path, entry: Path) -> None:
    """Rename a finished entry into place; if another run got there first, keep its."""
    if entry.is_dir() and _entry_manifest(entry) is None:
        shutil.rmtree(entry, ignore_errors=True)  # a broken entry: no run writes into it
    try:
        staging.rename(entry)
    except OSError:
        if _entry_manifest(entry) is None:
            raise
        shutil.rmtree(staging, ignore_errors=True)  # same content, same entry: use theirs


def _entry_manifest(entry: Path) -> dict | None:
    """The manifest of an entry :func:`stage_part` wrote; ``None`` for anything else.

    An entry is a real folder named ``<table>-<32 hex digits>`` holding ``manifest.json``,
    ``rows.parquet``, ``keys.parquet`` and at most a ``derived`` folder, with a manifest of
    exactly the keys :func:`stage_part` writes, of this version, naming the folder's key.
    """
    match = _ENTRY_NAME.match(entry.name)
    if match is None or entry.is_symlink() or not entry.is_dir():
        return None
    try:
        names = {e.name: e for e in entry.iterdir()}
        content = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = {"manifest.json", "rows.parquet", "keys.parquet"}
    if not files <= names.keys() or not names.keys() <= files | {"derived"}:
        return None
    if any(names[f].is_symlink() or not names[f].is_file() for f in files):
        return None
    if "derived" in names and (names["derived"].is_symlink() or not names["derived"].is_dir()):
        return None
    if (
        not isinstance(content, dict)
        or content.keys() != _MANIFEST_KEYS
        or content["part_version"] != PART_VERSION
        or content["table"] != match["table"]
        or content["key"] != match["key"]
        or not isinstance(content["problems"], list)
    ):
        return None
    return content


def part_entries(interim_dir: Path) -> pd.DataFrame:
    """The entries of the per-part cache: folder, table, key, megabytes and last use."""
    folder = parts_folder(interim_dir)
    try:
        candidates = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        candidates = []
    rows = []
    for entry in candidates:
        manifest = _entry_manifest(entry)
        if manifest is None:
            continue
        try:
            size = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
            used = entry.stat().st_mtime
        except OSError:
            continue  # removed meanwhile
        rows.append(
            {
                "folder": entry,
                "table": manifest["table"],
                "key": manifest["key"],
                "megabytes": size / 1e6,
                "last_used": pd.Timestamp(used, unit="s", tz="UTC"),
            }
        )
    columns = ["folder", "table", "key", "megabytes", "last_used"]
    return pd.DataFrame(rows, columns=columns)


def with_part_cache(copies: pd.DataFrame, interim_dir: Path) -> pd.DataFrame:
    """:func:`leadscore.dataset.staged_copies` and, when not empty, the per-part cache as one
    more row of the same columns (what ``leadscore cache`` lists)."""
    entries = part_entries(interim_dir)
    if entries.empty:
        return copies
    indexes = _all_indexes(interim_dir)
    index_bytes = sum(f.stat().st_size for i in indexes for f in i.rglob("*") if f.is_file())
    row = {
        "folder": parts_folder(interim_dir),
        "source": (
            f"{len(entries):,} validated parts of table folders, with their daily rollups "
            "(shared by the staged copies)"
        ),
        "megabytes": entries["megabytes"].sum() + index_bytes / 1e6,
        "last_used": entries["last_used"].max(),
    }
    listing = pd.DataFrame([row], columns=copies.columns)
    return listing if copies.empty else pd.concat([copies, listing], ignore_index=True)


def prune_parts(interim_dir: Path, referenced: set[str], in_use_seconds: float) -> list[Path]:
    """Remove entries whose key no staged copy refers to and that were not used for
    ``in_use_seconds``; returns the entries removed."""
    entries = part_entries(interim_dir)
    recent = pd.Timestamp.now(tz="UTC") - pd.Timedelta(seconds=in_use_seconds)
    spare = ~entries["key"].isin(referenced) & (entries["last_used"] < recent)
    return [entry for entry in entries.loc[spare, "folder"] if _remove(entry)]


def clear_parts(interim_dir: Path) -> list[Path]:
    """Remove every entry, the remembered hashes and the leftovers of killed runs."""
    removed = [entry for entry in part_entries(interim_dir)["folder"] if _remove(entry)]
    for table in {_INDEX_NAME.match(f.name)["table"] for f in _all_indexes(interim_dir)}:
        removed += [index for index in _indexes(table, interim_dir) if _remove(index)]
    folder = parts_folder(interim_dir)
    if (folder / _HASHES_FILE).is_file():
        with contextlib.suppress(OSError):
            (folder / _HASHES_FILE).unlink()
            removed.append(folder / _HASHES_FILE)
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp"):
            if (target := temp_target(leftover.name)) is not None:
                removed += remove_stale_temps(folder, target)
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty
    return removed


def _remove(entry: Path) -> bool:
    """Remove the manifest first, so the entry stops counting at once."""
    try:
        (entry / "manifest.json").unlink()
    except OSError:
        return False
    shutil.rmtree(entry, ignore_errors=True)
    return True
