"""Batch scoring on Apache Spark: the scores of :func:`~leadscore.modeling.predict.score_leads`,
computed where the leads are.

Every column a lead's own features decide (probability, points and grades, reasons) is computed
per partition by the very functions the pandas path calls (:mod:`leadscore.modeling.predict`,
through ``mapInPandas``); the model travels to each executor once, as a broadcast. What needs
the whole population, the rank and the 1-99 score and priority that follow from it, is counted
by Spark, never on the driver:

- probabilities are rounded to 6 digits, so there are at most 1,000,001 distinct values; a
  lead's rank is the number of leads of higher probability (a running sum over the histogram
  of probabilities, a small table) plus its place among the leads of equal probability, in
  lead-id order (a window per probability over two columns); its score counts the leads below
  it, its priority the leads above it, exactly as :func:`~leadscore.modeling.predict.rank_leads`
  and :func:`~leadscore.modeling.predict.priority_of_probability` do;
- reasons go to the best ``explain`` leads by that global rank, so they are computed after it.

The features are the only wide data, and crossing from Spark to Python is what costs: one pass
over them computes each lead's probability, points and, when every lead is explained, reasons;
its narrow output is kept on the executors (``localCheckpoint``) because the ranking reads it
twice. With ``explain`` N, a second pass reads the features of the N best leads only (the
features are then kept too, so a long lazy plan behind them is computed once).
:func:`write_scores` writes the scores as a Parquet folder partitioned by priority, or as one
spreadsheet-safe CSV file when they are few enough.

Event-data models only: a flat-table model's typing of raw columns runs on one machine (use
the ``duckdb`` engine).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError
from leadscore.features.behaviour import windows_of
from leadscore.io import check_output_path, remove_stale_temps, temp_name, write_table
from leadscore.modeling.bundle import LoadedModel
from leadscore.modeling.explain import FamilyGroups, family_groups
from leadscore.modeling.points import PointsSheet, load_points_sheet
from leadscore.modeling.predict import (
    POINTS_COLUMNS,
    REASON_SLOTS,
    check_features,
    percentile_score,
    points_columns,
    predict_probability,
    priority_of_rank,
    reason_columns,
    scores_frame,
)
from leadscore.modeling.reasons import ReasonWriter
from leadscore.modeling.train import LightGBMModel
from leadscore.schema import ACCOUNT_ID, LEAD_ID

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

#: Most leads :func:`write_scores` writes to a CSV file: a spreadsheet opens at most 1,048,576
#: rows (Excel, LibreOffice), the header included. Larger outputs are meant for programs:
#: Parquet.
MAX_CSV_ROWS = 1_048_575
#: The column the Parquet folder is partitioned by. Whoever works the scores reads a band (a
#: sales team's queue is ``priority=very high``, 5 % of the leads) without touching the rest;
#: four values, so the folders never multiply.
PARTITION_COLUMN = "priority"
_POINTS_TYPES = {
    "points": "DOUBLE",
    "fit_grade": "STRING",
    "engagement_grade": "STRING",
    "grade": "STRING",
    "is_mql": "BOOLEAN",
}
_REASON_COLUMNS = [c for slot in REASON_SLOTS for c in (slot, f"{slot}_contribution")]
_KEYS_DDL = f"{LEAD_ID} STRING, {ACCOUNT_ID} STRING"
_POINTS_DDL = ", ".join(f"{c} {_POINTS_TYPES[c]}" for c in POINTS_COLUMNS)
_REASONS_DDL = ", ".join(f"{s} STRING, {s}_contribution DOUBLE" for s in REASON_SLOTS)
#: Spark's type of each column of the scores, in the order of
#: :func:`~leadscore.modeling.predict.scores_frame`.
SCORES_SCHEMA = (
    f"{_KEYS_DDL}, as_of STRING, model_version STRING, probability DOUBLE, score BIGINT, "
    f"{_POINTS_DDL}, rank BIGINT, priority STRING, {_REASONS_DDL}"
)
# What each lead's features decide (the one pass over them), and the reasons of the best.
_ROW_SCHEMA = f"{_KEYS_DDL}, probability DOUBLE, {_POINTS_DDL}, {_REASONS_DDL}"
_BEST_SCHEMA = f"{LEAD_ID} STRING, {_REASONS_DDL}"
# Columns the ranking adds to each lead's row.
_RANK, _ABOVE, _BELOW, _N = "_rank", "_above", "_below", "_n"


@dataclass(frozen=True)
class _Scorer:
    """What an executor needs to score its partitions; sent to each executor once."""

    model: LightGBMModel
    sheet: PointsSheet
    groups: FamilyGroups
    writer: ReasonWriter
    as_of: pd.Timestamp
    version: str
    explain: int | None
    #: The model's capacity threshold: ``is_mql`` by probability (None: by the sheet).
    mql_threshold: float | None = None

    def rows(self, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """What each lead's own features decide (:data:`_ROW_SCHEMA`): probability, points
        and, when every lead is explained, reasons (else empty slots)."""
        for batch in batches:
            if batch.empty:
                continue
            explained = np.full(len(batch), self.explain is None)
            probability = predict_probability(self.model, batch)
            yield pd.concat(
                [
                    batch[[LEAD_ID, ACCOUNT_ID]].reset_index(drop=True),
                    pd.DataFrame({"probability": probability}),
                    points_columns(
                        batch, self.sheet, probability=probability, mql_threshold=self.mql_threshold
                    ),
                    self._reasons(batch, explained),
                ],
                axis=1,
            )

    def best(self, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """The reasons of leads chosen by rank (:data:`_BEST_SCHEMA`)."""
        for batch in batches:
            if batch.empty:
                continue
            reasons = self._reasons(batch, np.ones(len(batch), dtype=bool))
            yield pd.concat([batch[[LEAD_ID]].reset_index(drop=True), reasons], axis=1)

    def scores(self, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        """The scores of ranked leads (:data:`SCORES_SCHEMA`): score and priority from the
        counts of the whole population, the rest as :meth:`rows` left it."""
        for batch in batches:
            if batch.empty:
                continue
            n = int(batch[_N].iloc[0])
            yield scores_frame(
                lead_ids=batch[LEAD_ID].to_numpy(),
                account_ids=batch[ACCOUNT_ID].to_numpy(),
                as_of=self.as_of,
                version=self.version,
                probability=batch["probability"].to_numpy(),
                score=percentile_score(batch[_BELOW].to_numpy(), n),
                points=batch[list(POINTS_COLUMNS)],
                rank=batch[_RANK].to_numpy(dtype=np.int64),
                priority=priority_of_rank(batch[_ABOVE].to_numpy() + 1, n),
                reasons=batch[_REASON_COLUMNS],
            )

    def _reasons(self, batch: pd.DataFrame, explained: np.ndarray) -> pd.DataFrame:
        return reason_columns(
            self.model, batch, explained, self.groups, writer_for=lambda _columns: self.writer
        )


def score_on_spark(
    features: SparkFrame,
    loaded: LoadedModel,
    *,
    as_of: pd.Timestamp,
    families: dict[str, str] | None = None,
    sheet: str | Path | PointsSheet | None = None,
    explain: int | None = None,
    lang: str = "en",
) -> SparkFrame:
    """Score a scoring table held by Spark: the columns and values of ``score_leads``.

    The model runs when this is called (a Spark job); ranks, scores, priorities and the
    reasons of the best ``explain`` leads are computed when the returned frame is written
    (:func:`write_scores`) or collected. Its rows are in no particular order:
    ``orderBy("rank")`` lists the best first.

    Parameters
    ----------
    features : pyspark.sql.DataFrame
        The scoring table (``lead_id``, ``account_id`` and the model's features, one row per
        lead), as the Spark engine builds it.
    loaded : LoadedModel
        A model trained on event data.
    as_of : Timestamp
    families : dict, optional
        Feature → family (from the feature catalogue), to group reasons.
    sheet : points sheet, optional
        Default: the shipped one, for the features' windows. A file is read here, once.
    explain : int, optional
        Leads to explain, best first: ``None`` every lead, 0 none.
    lang : {"en", "de"}

    Raises
    ------
    LeadscoreError
        For a flat-table model, a table without ``lead_id`` or ``account_id`` or with other
        features than the model's, and an unknown ``lang``.
    """
    from pyspark.sql import functions

    model = loaded.model
    if loaded.typer is not None:
        raise LeadscoreError(
            f"{loaded.source} was trained on a flat table: the spark engine scores event data "
            "only; score flat tables with the duckdb engine (`engine`)."
        )
    absent = [c for c in (LEAD_ID, ACCOUNT_ID) if c not in features.columns]
    if absent:
        raise LeadscoreError(f"the scoring table has no column {', '.join(absent)}.")
    check_features(model, features)
    if not isinstance(sheet, PointsSheet):  # as PointsModel reads a path, but once, here
        sheet = load_points_sheet(sheet, windows_of(features.columns) or None)
    groups = family_groups(model.features_, families or {})
    scorer = _Scorer(
        model,
        sheet,
        groups,
        ReasonWriter(groups.columns, lang),  # also refuses an unknown `lang`, before any work
        as_of,
        loaded.version,
        explain,
        loaded.mql_threshold,
    )
    shipped = _ship(features.sparkSession, scorer)
    keyed = features.select(
        functions.col(LEAD_ID).cast("string"),
        functions.col(ACCOUNT_ID).cast("string"),
        *model.features_,
    )
    some_explained = explain is not None and explain > 0
    if some_explained:  # read twice: every lead, then the best; computed once
        keyed = keyed.localCheckpoint(eager=True)
    with _pandas_3_accepted():
        rows = keyed.mapInPandas(lambda b: shipped().rows(b), _ROW_SCHEMA)
        rows = rows.localCheckpoint(eager=True)  # the ranking reads them twice
        ranks = _ranks(rows)
        if some_explained:
            chosen = ranks.filter(functions.col(_RANK) <= explain).select(LEAD_ID)
            best = keyed.join(chosen, LEAD_ID).mapInPandas(
                lambda b: shipped().best(b), _BEST_SCHEMA
            )
            rows = _with_reasons_of(rows, best)
        return rows.join(ranks, LEAD_ID).mapInPandas(lambda b: shipped().scores(b), SCORES_SCHEMA)


def _with_reasons_of(rows: SparkFrame, best: SparkFrame) -> SparkFrame:
    """``rows`` with the reasons of the leads in ``best``; the others keep their empty slots."""
    from pyspark.sql import functions

    explained = best.select(
        LEAD_ID, *(functions.col(c).alias(f"_best_{c}") for c in _REASON_COLUMNS)
    )
    return rows.join(explained, LEAD_ID, "left").select(
        *(
            functions.coalesce(f"_best_{c}", c).alias(c) if c in _REASON_COLUMNS else c
            for c in rows.columns
        )
    )


@contextlib.contextmanager
def _pandas_3_accepted() -> Iterator[None]:
    """Silence PySpark 4's warning that it does not fully support pandas 3: what crosses here
    (plain numbers and text, through Arrow) converts exactly, as the parity tests check."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")
        yield


def _ship(spark: SparkSession, scorer: _Scorer) -> Callable[[], _Scorer]:
    """A function returning ``scorer`` where it runs: a broadcast, sent once per executor."""
    broadcast = spark.sparkContext.broadcast(scorer)
    return lambda: broadcast.value


def _ranks(scored: SparkFrame) -> SparkFrame:
    """Each lead's rank and the counts its score and priority need, from the whole population.

    Ties are in lead-id order by code point, as ``rank_leads`` sorts them (Spark's binary
    string order, whatever the session's default collation).
    """
    from pyspark.sql import Window, functions

    leads = scored.select(LEAD_ID, "probability")
    best_first = Window.orderBy(functions.desc("probability"))
    histogram = (
        leads.groupBy("probability")
        .agg(functions.count(functions.lit(1)).alias("_count"))
        .select(
            "probability",
            "_count",
            functions.coalesce(
                functions.sum("_count").over(best_first.rowsBetween(Window.unboundedPreceding, -1)),
                functions.lit(0),
            ).alias(_ABOVE),
            functions.sum("_count").over(Window.partitionBy()).alias(_N),
        )
        .withColumn(_BELOW, functions.col(_N) - functions.col(_ABOVE) - functions.col("_count"))
    )
    by_id = Window.partitionBy("probability").orderBy(
        functions.collate(functions.col(LEAD_ID), "UTF8_BINARY")
    )
    return (
        leads.withColumn("_tie", functions.row_number().over(by_id))
        .join(functions.broadcast(histogram), "probability")
        .select(
            LEAD_ID,
            (functions.col(_ABOVE) + functions.col("_tie")).alias(_RANK),
            _ABOVE,
            _BELOW,
            _N,
        )
    )


def write_scores(frame: SparkFrame, out: str | Path) -> str:
    """Write the scores of :func:`score_on_spark` to ``out``; returns where they are.

    - a folder (a path without suffix, or ending in ``.parquet``; also a URI such as
      ``s3a://bucket/scores``): Parquet partitioned by :data:`PARTITION_COLUMN`
      (``priority=very high/part-….parquet`` …), each file in rank order;
    - a name ending in ``.csv``: one CSV file on this machine, best lead first, text cells made
      safe for spreadsheets as :func:`leadscore.io.write_table` does, for up to
      :data:`MAX_CSV_ROWS` leads.

    Nothing is overwritten half-way: the scores are written next to ``out`` under a temporary
    name and moved into place when complete. A folder of earlier scores is replaced; any other
    existing folder or file is refused.

    Raises
    ------
    LeadscoreError
        For an output that cannot be written there, or a CSV file of more than
        :data:`MAX_CSV_ROWS` leads.
    """
    kind = scores_output_kind(out)
    if kind == "csv":
        return str(_write_csv(frame, Path(out)))
    return _write_parquet(frame, str(out))


def scores_output_kind(out: str | Path, n_leads: int | None = None) -> str:
    """``"csv"`` or ``"parquet"``: what :func:`write_scores` writes to ``out``.

    Call it before scoring (with the number of leads when known) to fail early.

    Raises
    ------
    LeadscoreError
        For another suffix, a CSV file that is not on this machine or would hold more than
        :data:`MAX_CSV_ROWS` leads, and an output that cannot be written there.

    Examples
    --------
    >>> scores_output_kind("s3a://crm/scores"), scores_output_kind("dbfs:/scores.parquet")
    ('parquet', 'parquet')
    """
    text = str(out)
    suffix = Path(text).suffix.lower()
    remote = _is_uri(text)
    if suffix == ".csv":
        if remote:
            raise LeadscoreError(
                f"`out` {text}: a CSV file is written on this machine; give a local file, or "
                "a folder for Parquet."
            )
        _check_csv_rows(text, n_leads)
        check_output_path(Path(text))
        return "csv"
    if suffix not in ("", ".parquet") and not (not remote and Path(text).is_dir()):
        raise LeadscoreError(
            f"`out` {text}: give a folder (Parquet, partitioned by priority), a name ending in "
            f".parquet, or one ending in .csv (up to {MAX_CSV_ROWS:,} leads)."
        )
    if not remote:
        _check_local_folder(Path(text))
    return "parquet"


def _check_csv_rows(out: str, n_leads: int | None) -> None:
    if n_leads is not None and n_leads > MAX_CSV_ROWS:
        _refuse_csv(out, f"{n_leads:,} leads")


def _refuse_csv(out: str, leads: str) -> None:
    raise LeadscoreError(
        f"`out` {out}: {leads} do not fit in a CSV file a spreadsheet opens (at most "
        f"{MAX_CSV_ROWS:,}): write Parquet instead (a folder, or a name ending in .parquet)."
    )


def _write_csv(frame: SparkFrame, out: Path) -> Path:
    # One row more than allowed tells "too many" without counting first (another pass).
    # Through Arrow: PySpark's own toPandas uses arguments pandas 3 deprecates.
    rows = frame.limit(MAX_CSV_ROWS + 1).toArrow().to_pandas()
    if len(rows) > MAX_CSV_ROWS:
        _refuse_csv(str(out), f"more than {MAX_CSV_ROWS:,} leads")
    return write_table(rows.sort_values("rank", ignore_index=True), out)


def _is_uri(text: str) -> bool:
    """Whether ``text`` names a file system (``s3a://``, ``hdfs://``, ``dbfs:/`` …); a
    Windows drive letter (``C:\\``) is a local path."""
    scheme, sep, _ = text.partition(":")
    return bool(sep) and len(scheme) > 1 and scheme.replace("+", "").isalnum()


def _check_local_folder(target: Path) -> None:
    """Refuse a folder output that is a file, or a folder of anything but earlier scores."""
    if target.is_file():
        _refuse_file(target)
    if target.is_dir():
        _refuse_foreign(target, [(p.name, p.is_dir()) for p in target.iterdir()])
    check_output_path(target.parent / temp_name(target.name))  # where they are written first


def _refuse_file(out: str | Path) -> None:
    raise LeadscoreError(
        f"`out` {out} is a file: Spark writes a folder of Parquet files; give a new name, or "
        "delete the file."
    )


def _refuse_foreign(out: str | Path, entries: list[tuple[str, bool]]) -> None:
    """Refuse a folder whose ``entries`` (name, is a folder) are not all earlier scores."""
    foreign = sorted(name for name, is_dir in entries if not _part_of_scores(name, is_dir))
    if foreign:
        raise LeadscoreError(
            f"`out` {out} is a folder of other files ({', '.join(foreign[:3])}): scores "
            "replace only a folder of earlier scores; give a new folder."
        )


def _part_of_scores(name: str, is_dir: bool) -> bool:
    """What Spark writes in a scores folder: band folders, ``_SUCCESS``, checksum files."""
    if is_dir:
        return name.startswith(f"{PARTITION_COLUMN}=")
    return name == "_SUCCESS" or (name.startswith(".") and name.endswith(".crc"))


def _write_parquet(frame: SparkFrame, out: str) -> str:
    """Write to a hidden folder next to ``out``, then swap it in, through Hadoop's file system
    API so that cluster storage (``s3a://``, ``abfss://``, ``hdfs://``) works alike."""
    spark = frame.sparkSession
    local = not _is_uri(out)
    if local:
        remove_stale_temps(Path(out).absolute().parent, Path(out).name)
    hadoop = spark._jvm.org.apache.hadoop.fs
    target = hadoop.Path(Path(out).absolute().as_uri() if local else out)
    fs = target.getFileSystem(spark._jsc.hadoopConfiguration())
    if fs.exists(target):  # checked here too: Python sees no cluster storage
        if not fs.getFileStatus(target).isDirectory():
            _refuse_file(out)
        entries = [(s.getPath().getName(), s.isDirectory()) for s in fs.listStatus(target)]
        _refuse_foreign(out, entries)
    staged = hadoop.Path(target.getParent(), temp_name(target.getName()))
    try:
        (
            frame.sortWithinPartitions(PARTITION_COLUMN, "rank")
            .write.partitionBy(PARTITION_COLUMN)
            .parquet(staged.toString())
        )
    except Exception as exc:  # the JVM's reasons vary; the user needs the place and why
        fs.delete(staged, True)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LeadscoreError(f"`out` {out}: Spark could not write the scores: {reason}") from None
    previous = hadoop.Path(target.getParent(), temp_name(target.getName()))
    replacing = fs.exists(target)
    if replacing and not _moved(fs, target, previous):
        fs.delete(staged, True)
        raise LeadscoreError(f"`out` {out}: the earlier scores there cannot be replaced.")
    if not _moved(fs, staged, target):
        if replacing:
            _moved(fs, previous, target)  # the earlier scores stay where they were
        fs.delete(staged, True)
        raise LeadscoreError(f"`out` {out}: the scores could not be moved into place.")
    if replacing:
        fs.delete(previous, True)
    return out


def _moved(fs, source, destination) -> bool:
    """Rename with Hadoop's ``FileSystem``: False when it fails, whether it says so or raises."""
    try:
        return bool(fs.rename(source, destination))
    except Exception:  # an IOException through Py4J: permissions, a vanished parent …
        return False
