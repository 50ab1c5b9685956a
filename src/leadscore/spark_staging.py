"""Validate the large tables (events, account events) on Apache Spark, with the same messages.

:func:`stage_large_on_spark` does on a Spark cluster what the DuckDB staging
(:mod:`leadscore.dataset`) does in one process: read a large table, check every batch with
:func:`leadscore.validation.validate_table`, drop the rows whose key is unknown, write the valid
rows to Parquet and report every problem. Nothing is defined twice: each Spark task reads its
files with :mod:`leadscore.readers` (the same encodings, separators, header rules and batches)
and checks them with the same functions; the driver merges the problems as the DuckDB staging
does, so that :meth:`Problem.describe` gives the same text on both engines.

How the work is split, and why the messages come out the same:

- **A task per file.** A table file, or each Parquet part of a table folder
  (:func:`leadscore.readers.table_parts`), is one unit of work, read by one task in batches of
  ``batch_rows`` rows exactly as the DuckDB staging reads it. A CSV file has to be read from its
  start (its encoding may change to Windows-1252 at any line), so one large CSV file is read by
  one task; a table given as a folder of Parquet parts is read in parallel, a part per task.
- **Row numbers** in messages count from each file's first row, as they do on DuckDB: a task
  knows its file's row numbers without knowing the other files.
- **The same batches** (``batch_rows``, pass :data:`leadscore.dataset.BATCH_ROWS`): a few checks
  look at one batch at a time (a column mixing timestamps with and without a UTC offset), so
  equal batches give equal findings.
- **Merged in file order.** Every batch's problems go back to the driver, are put in the order
  of the files and batches, and are merged with :func:`leadscore.validation.merge_problems`;
  the first example values are then the first ones in file order, whichever task finished first.
- **One "now".** The reference time for "timestamps in the future" is fixed on the driver, so
  every task judges (and words) it alike.

Each task writes its batches itself (``part-<file>-<batch>.parquet`` in ``out``, through
:func:`leadscore.io.frame_to_arrow`: the same columns and types as the DuckDB staging), under a
hidden temporary name renamed into place, so a task that Spark runs again (a lost executor, a
speculative copy) writes the same file once more. The input and ``out`` must therefore be paths
every executor can read and write (local files in ``local`` mode; a shared file system such as
NFS or ``/dbfs`` on a cluster), and leadscore must be installed on the executors.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.parquet as pq

from leadscore.contract import Table
from leadscore.errors import LeadscoreError
from leadscore.io import frame_to_arrow, temp_name
from leadscore.readers import (
    RawTable,
    TablePart,
    iter_part_batches,
    table_label,
    table_parts,
)
from leadscore.validation import (
    Problem,
    example_values,
    is_known,
    merge_problems,
    orphan_problem,
    validate_table,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

#: What each task returns per batch: the file's position, the batch's, and its report as JSON.
_RESULT_SCHEMA = "part long, batch long, report string"


@dataclass(frozen=True)
class BatchReport:
    """What checking one batch found: problems, rows, and the rows whose key is unknown."""

    problems: tuple[Problem, ...]
    #: Valid rows of the batch, orphans included (the share of orphans is taken of these).
    rows: int
    #: Rows whose key is not among the known ids (dropped).
    orphans: int
    #: A few of the unknown keys, in the batch's order, as messages show them.
    orphan_examples: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "problems": [vars(p) for p in self.problems],
                "rows": self.rows,
                "orphans": self.orphans,
                "orphan_examples": self.orphan_examples,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> BatchReport:
        content = json.loads(text)
        problems = tuple(
            Problem(**{**p, "examples": tuple(p["examples"])}) for p in content["problems"]
        )
        return cls(problems, content["rows"], content["orphans"], tuple(content["orphan_examples"]))


def check_batch(
    raw: RawTable, spec: Table, now: pd.Timestamp, key: str, known: pd.Series | None
) -> tuple[pd.DataFrame, BatchReport]:
    """Validate one batch and drop its rows whose ``key`` is not among the ``known`` ids.

    The same steps as one turn of the DuckDB staging's batch loop (``dataset._validate_large``);
    here a Spark task runs them.

    Parameters
    ----------
    raw : RawTable
        The batch as :mod:`leadscore.readers` read it.
    spec : Table
        The table's contract.
    now : Timestamp
        Reference time for "timestamps in the future".
    key : str
        The column that must hold a known id (``lead_id``, ``account_id``).
    known : Series or None
        The known ids; ``None`` skips the check (the parent table has errors).

    Returns
    -------
    frame : DataFrame
        The batch's valid rows, orphans dropped.
    report : BatchReport
    """
    frame, found = validate_table(raw, spec, now)
    rows, orphans, examples = len(frame), 0, ()
    if known is not None and len(frame):
        orphan = ~is_known(frame[key], known)
        orphans = int(orphan.sum())
        examples = example_values(frame.loc[orphan, key])
        frame = frame[~orphan].reset_index(drop=True)
    return frame, BatchReport(tuple(found), rows, orphans, examples)


def merge_batch_reports(
    reports: Iterable[BatchReport],
    spec: Table,
    file: str,
    key: str,
    parent: str,
    max_orphan_share: float,
) -> list[Problem]:
    """The problems of a table's batches, in file order, merged as the DuckDB staging merges them.

    The same finding in several batches becomes one problem with the rows added up and the
    first examples kept (:func:`leadscore.validation.merge_problems`); the orphans of all
    batches become one warning, or one error above ``max_orphan_share``, naming ``file``.

    Examples
    --------
    >>> from leadscore.contract import TABLES
    >>> bogus = Problem("error", "events", "events.csv", "event_type", "unknown value", 2, ("'x'",))
    >>> first = BatchReport((bogus,), rows=700, orphans=1, orphan_examples=("'L9'",))
    >>> second = BatchReport((dataclasses.replace(bogus, rows=1, examples=("'y'",)),), 300, 0, ())
    >>> merged = merge_batch_reports(
    ...     [first, second], TABLES["events"], "events.csv", "lead_id", "leads", 0.1
    ... )
    >>> print(merged[0].describe())
    error: events.csv, column 'event_type': unknown value (3 rows); e.g. 'x', 'y'
    >>> merged[1].message, merged[1].rows, merged[1].examples
    ('rows reference a lead_id not in leads; dropped', 1, ("'L9'",))
    """
    reports = list(reports)
    problems = [p for report in reports for p in report.problems]
    # The unknown keys of every batch, combined by the rule that combines any examples.
    orphans = merge_problems(
        [
            Problem("warning", spec.name, file, key, "orphans", r.orphans, r.orphan_examples)
            for r in reports
        ]
    )
    found = orphan_problem(
        spec,
        file,
        key,
        parent,
        sum(r.orphans for r in reports),
        sum(r.rows for r in reports),
        orphans[0].examples if orphans else (),
        max_orphan_share,
    )
    return merge_problems(problems + ([found] if found else []))


def stage_large_on_spark(
    spark: SparkSession,
    path: str | Path,
    spec: Table,
    now: pd.Timestamp | None,
    key: str,
    known: pd.Series | SparkFrame | None,
    parent: str,
    max_orphan_share: float,
    out: str | Path,
    *,
    batch_rows: int,
) -> list[Problem]:
    """Validate a large table on Spark and write its valid rows as a folder of Parquet files.

    The Spark counterpart of the DuckDB staging of a large table (``dataset._validate_large``
    with its Parquet sink): the same rows are written and the same problems returned, with the
    same row numbers and example values (see the module docstring for how).

    Parameters
    ----------
    spark : SparkSession
        The session to run on (:func:`leadscore.spark.spark_session`).
    path : str or Path
        The table: a CSV or Parquet file, or a folder of Parquet parts.
    spec : Table
        The table's contract (``contract.TABLES["events"]``).
    now : Timestamp, optional
        Reference time for "timestamps in the future"; default: the current time, taken once.
    key : str
        The column that must hold a known id (``lead_id``).
    known : Series or Spark DataFrame, optional
        The known ids of ``parent``: a pandas Series, or a Spark DataFrame of one column (or
        with a column named ``key``). They are sent to every task, so they must fit in an
        executor's memory (ten million ids take a few hundred MB). ``None`` keeps every row (the
        parent table has errors, which the caller reports).
    parent : str
        The table ``key`` refers to (``leads``), as messages name it.
    max_orphan_share : float
        Largest share of rows with an unknown key that is dropped with a warning rather than
        rejected with an error.
    out : str or Path
        A new (or empty) folder; receives one ``part-<file>-<batch>.parquet`` per batch read,
        empty ones included, so the folder always has the table's columns.
    batch_rows : int
        Rows per batch: the DuckDB staging's (:data:`leadscore.dataset.BATCH_ROWS`), so that
        both engines check the same batches.

    Returns
    -------
    list of Problem
        Errors and warnings, merged across batches; raising on errors is the caller's part,
        as on DuckDB.

    Raises
    ------
    LeadscoreError
        When the table cannot be read (the message of :mod:`leadscore.readers`), ``known`` has
        no column to use, or ``out`` is not a new or empty folder. ``out`` is then removed.
    OSError
        When a task cannot write to ``out`` (as the DuckDB staging raises it).
    """
    path, out = Path(path), Path(out)
    parts = table_parts(path, spec.column_names)
    # As readers.iter_table_batches: parts without rows are skipped unless all are empty.
    parts = [p for p in parts if p.rows != 0] or parts[:1]
    # Tasks may run elsewhere than in the driver's working directory.
    parts = [dataclasses.replace(p, path=p.path.absolute()) for p in parts]
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    known_ids = _known_ids(known, key)
    created = _new_output_folder(out)
    task = functools.partial(
        _stage_parts,
        parts=parts,
        spec=spec,
        now=now,
        key=key,
        known=known_ids,
        out=str(out.absolute()),
        batch_rows=batch_rows,
    )
    try:
        with warnings.catch_warnings():
            # PySpark 4.3 warns that it does not fully support pandas 3; what runs here (Arrow
            # batches of three plain columns) works, and the parity tests check the results.
            warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")
            results = (
                spark.range(len(parts), numPartitions=len(parts))
                .mapInPandas(task, schema=_RESULT_SCHEMA)
                .toArrow()
            )
        reports = _reports_in_file_order(results.to_pylist())
    except BaseException:
        _remove_output(out, created)
        raise
    for leftover in out.glob(".*.tmp"):  # of task attempts Spark gave up on
        leftover.unlink(missing_ok=True)
    return merge_batch_reports(reports, spec, table_label(path), key, parent, max_orphan_share)


def _known_ids(known: pd.Series | SparkFrame | None, key: str) -> pd.Series | None:
    """The distinct known ids as a pandas Series, small enough to send to every task."""
    if known is None:
        return None
    if not isinstance(known, pd.Series):  # a Spark DataFrame
        columns = known.columns
        column = columns[0] if len(columns) == 1 else key
        if column not in columns:
            raise LeadscoreError(
                f"`known`: a Spark DataFrame of one column, or with a column '{key}', is "
                f"needed; it has {', '.join(columns)}."
            )
        known = known.select(column).toArrow().column(0).to_pandas(types_mapper=pd.ArrowDtype)
    return known.dropna().drop_duplicates().reset_index(drop=True)


def _new_output_folder(out: Path) -> bool:
    """Make sure ``out`` is an empty folder; whether it was created here."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LeadscoreError(
            f"{out}: the staged rows go to a new folder, and this "
            f"{'folder is not empty' if out.is_dir() else 'is a file'}: remove it or choose "
            "another `out`."
        )
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    return created


def _remove_output(out: Path, created: bool) -> None:
    if created:
        shutil.rmtree(out, ignore_errors=True)
        return
    for file in out.iterdir():
        file.unlink(missing_ok=True)


def _reports_in_file_order(results: list[dict]) -> list[BatchReport]:
    """The tasks' reports sorted by file and batch; the first failure in that order raised.

    The DuckDB staging reads the files in this order and stops at the first failure, so the
    same failure is raised here, whichever task failed first.
    """
    reports = []
    for result in sorted(results, key=lambda r: (r["part"], r["batch"])):
        content = json.loads(result["report"])
        if "error" in content:
            raise LeadscoreError(content["error"])
        if "os_error" in content:
            raise OSError(*content["os_error"])
        reports.append(BatchReport.from_json(result["report"]))
    return reports


def _stage_parts(
    tasks: Iterator[pd.DataFrame],
    *,
    parts: list[TablePart],
    spec: Table,
    now: pd.Timestamp,
    key: str,
    known: pd.Series | None,
    out: str,
    batch_rows: int,
) -> Iterator[pd.DataFrame]:
    """A Spark task: check and write every batch of the parts it is given (by position)."""
    for task in tasks:
        for index in task["id"].tolist():
            batch = 0  # the batch being read, checked and written
            try:
                for raw in iter_part_batches(parts[index], batch_rows):
                    frame, report = check_batch(raw, spec, now, key, known)
                    _write_part(frame, Path(out) / f"part-{index:06d}-{batch:06d}.parquet")
                    yield _result(index, batch, report.to_json())
                    batch += 1
            except LeadscoreError as exc:  # unreadable: the driver raises it, as DuckDB would
                yield _result(index, batch, json.dumps({"error": str(exc)}))
            except OSError as exc:  # a full disk, say: the driver raises it to the caller
                failure = [exc.errno, exc.strerror, exc.filename] if exc.errno else [str(exc)]
                yield _result(index, batch, json.dumps({"os_error": failure}))


def _result(part: int, batch: int, report: str) -> pd.DataFrame:
    return pd.DataFrame({"part": [part], "batch": [batch], "report": [report]})


def _write_part(frame: pd.DataFrame, target: Path) -> None:
    """Write ``frame`` to ``target`` under a hidden name first, so readers never see half a file.

    A task run twice writes the same content under the same name: the last rename wins.
    """
    temporary = target.with_name(temp_name(target.name))
    try:
        pq.write_table(frame_to_arrow(frame), temporary)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
