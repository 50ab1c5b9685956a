"""Where the feature SQL runs: DuckDB in this process (the default) or Apache Spark.

Every feature is defined once, as SQL in DuckDB's dialect (:mod:`leadscore.features.behaviour`,
:mod:`leadscore.features.entity`) plus Python functions over pandas/NumPy blocks (running
totals, explicit features). An engine only knows how to run those two kinds of definition:

- :meth:`Engine.materialise` / :meth:`Engine.arrow` run a ``SELECT``. DuckDB runs it as
  written; Spark runs it transpiled by SQLGlot (:func:`to_spark_sql`), with three dialect rules
  for what SQLGlot leaves DuckDB-only: ``epoch_us`` becomes ``unix_micros``, ``fsum`` (DuckDB's
  order-independent sum) becomes ``sum`` and decimal literals become doubles (Spark would do
  decimal arithmetic, DuckDB divides in doubles).
- :meth:`Engine.map_lead_blocks` calls a Python function on blocks of leads: DuckDB on one
  scan of the rows sorted by block of ``lead_idx`` (a block at a time in memory), Spark through
  ``cogroup().applyInPandas`` on its executors. The function is the same.

Examples
--------
>>> import pandas as pd
>>> with DuckDBEngine() as engine:
...     engine.register("t", pd.DataFrame({"x": [1, 2, 3]}))
...     engine.arrow("SELECT fsum(x / 2.0) AS half FROM t").to_pylist()
[{'half': 3.0}]
>>> print(to_spark_sql("SELECT fsum(x / 2.0) AS half FROM t"))
SELECT SUM(x / CAST(2.0 AS DOUBLE)) AS half FROM t
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from leadscore.errors import LeadscoreError
from leadscore.io import frame_to_arrow
from leadscore.staged_parts import connect_duckdb

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

#: The engines :func:`make_engine` knows by name.
ENGINES = ("duckdb", "spark")
#: A block function: the arrays of one block of each input (column name → array) → a table.
BlockFunction = Callable[[Mapping[str, np.ndarray], Mapping[str, np.ndarray]], pa.Table]


def to_spark_sql(sql: str) -> str:
    """DuckDB SQL as Spark SQL: SQLGlot's transpiler plus leadscore's dialect rules.

    SQLGlot passes functions it does not know through unchanged (Spark's analyser would only
    reject them when the query runs), so the rules here cover every DuckDB-only function the
    feature SQL uses; the parity tests run every statement on Spark.

    >>> print(to_spark_sql("SELECT CAST(floor(epoch_us(t) / 86400000000) AS INTEGER) FROM e"))
    SELECT CAST(FLOOR(UNIX_MICROS(t) / 86400000000) AS INT) FROM e
    """
    import sqlglot
    from sqlglot import exp

    def doubles(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and node.is_number:
            text = node.this.lower()
            if "." in text or "e" in text:
                return exp.cast(node.copy(), exp.DataType.build("DOUBLE"))
        return node

    def functions(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name == "fsum":
                return exp.Sum(this=node.expressions[0])
            if name == "epoch_us":
                return exp.Anonymous(this="unix_micros", expressions=node.expressions)
        return node

    # two passes: a replaced node's children are not visited again
    tree = sqlglot.parse_one(sql, read="duckdb").transform(doubles).transform(functions)
    return tree.sql(dialect="spark")


class Engine:
    """Runs the feature definitions; subclasses say how. Use as a context manager."""

    name = ""

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        """Make an in-memory table queryable as ``name``."""
        raise NotImplementedError

    def register_parquet(self, name: str, path: Path | list[Path]) -> None:
        """Make a Parquet file, a folder of Parquet files or a list of Parquet files queryable
        as ``name``."""
        raise NotImplementedError

    def materialise(self, name: str, sql: str) -> None:
        """Compute ``sql`` (a SELECT) once and keep it as table ``name``."""
        raise NotImplementedError

    def view(self, name: str, sql: str) -> None:
        """Name ``sql`` (a SELECT) ``name`` without computing it: each reader runs it anew.

        Cheaper than :meth:`materialise` for a large result read once or twice in a row."""
        raise NotImplementedError

    def drop(self, name: str) -> None:
        """Free table or view ``name`` (made by :meth:`materialise`, :meth:`view` or
        :meth:`register`)."""
        raise NotImplementedError

    def arrow(self, sql: str) -> pa.Table:
        """The result of ``sql`` (a SELECT) as an Arrow table, in the query's order."""
        raise NotImplementedError

    def map_lead_blocks(
        self,
        name: str,
        inputs: tuple[str, str],
        function: BlockFunction,
        schema: pa.Schema,
        n_leads: int,
        block_size: int,
        sort_by: tuple[str, ...] = (),
    ) -> None:
        """Table ``name``: ``function`` applied to the rows of both ``inputs`` (SELECTs with a
        ``lead_idx`` column) a block of leads at a time; the results are concatenated.

        The first input is the large one (it is streamed on DuckDB); the second is read whole.
        ``function`` must treat every lead independently of the others and accept its rows in
        any order: blocks differ by engine (ranges of ``block_size`` leads on DuckDB, hash
        groups on Spark). Engines that sort the first input anyway (DuckDB) sort each block's
        rows by ``sort_by`` too, which spares ``function`` its own sort.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release what the engine holds (never a Spark session it was given)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBEngine(Engine):
    """DuckDB in this process: the default, fastest on one machine.

    Parameters
    ----------
    temp_dir : Path, optional
        Where DuckDB spills what does not fit in ``memory_limit`` (default: in memory only).
    memory_limit : str, optional
        DuckDB's memory limit; default ``LEADSCORE_DUCKDB_MEMORY`` or 2 GB.
    """

    name = "duckdb"

    def __init__(self, temp_dir: Path | None = None, memory_limit: str | None = None) -> None:
        self.temp_dir = temp_dir
        self.memory_limit = memory_limit
        self.con = connect_duckdb()  # spills to the system's temporary folder by default
        limit = memory_limit or os.environ.get("LEADSCORE_DUCKDB_MEMORY", "2GB")
        self.con.execute(f"SET memory_limit = '{limit}'")
        self.con.execute("SET preserve_insertion_order = false")
        if temp_dir is not None:
            self.con.execute(f"SET temp_directory = '{temp_dir}'")
        self._views: set[str] = set()

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        self.con.register(name, frame)

    def register_parquet(self, name: str, path: Path | list[Path]) -> None:
        paths = path if isinstance(path, list) else [path]
        sources = [str(p / "**" / "*.parquet") if Path(p).is_dir() else str(p) for p in paths]
        quoted = ", ".join("'" + source.replace("'", "''") + "'" for source in sources)
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet([{quoted}])"
        )

    def materialise(self, name: str, sql: str) -> None:
        self.drop(name)
        self.con.execute(f"CREATE TEMP TABLE {name} AS {sql}")

    def view(self, name: str, sql: str) -> None:
        self.drop(name)
        self.con.execute(f"CREATE TEMP VIEW {name} AS {sql}")
        self._views.add(name)

    def drop(self, name: str) -> None:
        kind = "VIEW" if name in self._views else "TABLE"
        self._views.discard(name)
        self.con.execute(f"DROP {kind} IF EXISTS {name}")

    def arrow(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def map_lead_blocks(
        self, name, inputs, function, schema, n_leads, block_size, sort_by=()
    ) -> None:
        rows_sql, small_sql = inputs
        small = self.con.sql(f"SELECT * FROM ({small_sql}) ORDER BY lead_idx").to_arrow_table()
        small_block = small["lead_idx"].to_numpy() // block_size
        # One sorted scan (DuckDB sorts on all cores) instead of a filtered scan per block.
        order = ", ".join([f"lead_idx // {block_size}", *sort_by])
        stream = self.con.sql(f"SELECT * FROM ({rows_sql}) ORDER BY {order}")
        reader = stream.to_arrow_reader(_STREAM_ROWS)
        nothing = reader.schema.empty_table()
        blocks = _blocks(reader, block_size)
        found = next(blocks, None)
        parts = []
        for block in np.unique(small_block):
            while found is not None and found[0] < block:  # leads outside ``small``
                found = next(blocks, None)
            rows = found[1] if found is not None and found[0] == block else nothing
            first, last = np.searchsorted(small_block, [block, block + 1])
            parts.append(function(_arrays(rows), _arrays(small.slice(first, last - first))))
        self.register(name, pa.concat_tables(parts) if parts else schema.empty_table())

    def close(self) -> None:
        self.con.close()


#: Rows per batch read from a DuckDB stream.
_STREAM_ROWS = 1_000_000


def _blocks(reader: pa.RecordBatchReader, block_size: int):
    """``(block, rows)`` of a stream of rows sorted by ``lead_idx // block_size``."""
    pending: list[pa.RecordBatch] = []
    current = None
    for batch in reader:
        block = batch.column("lead_idx").to_numpy() // block_size
        starts = [0, *(np.flatnonzero(np.diff(block)) + 1)]
        for start, end in zip(starts, [*starts[1:], len(block)], strict=True):
            if current is not None and block[start] != current:
                yield current, pa.Table.from_batches(pending, reader.schema)
                pending = []
            current = int(block[start])
            pending.append(batch.slice(start, end - start))
    if current is not None:
        yield current, pa.Table.from_batches(pending, reader.schema)


def _arrays(table: pa.Table) -> dict[str, np.ndarray]:
    return {name: table.column(name).to_numpy() for name in table.column_names}


class SparkEngine(Engine):
    """Apache Spark: local (``master``, e.g. ``local[*]``) or the cluster of ``session``.

    Parameters
    ----------
    master : str
        Spark master URL for a session leadscore starts (ignored when ``session`` is given).
    session : SparkSession, optional
        The session of a ``spark-submit`` job or a Databricks notebook; never stopped here.
    """

    name = "spark"

    def __init__(self, master: str = "local[*]", session: SparkSession | None = None) -> None:
        from leadscore.spark import spark_session

        self.master = master
        self.session = session
        self.spark = spark_session(master, session)
        self._kept: dict[str, SparkFrame] = {}

    def _keep(self, name: str, frame: SparkFrame, cache: bool) -> None:
        self.drop(name)
        if cache:
            frame = frame.persist()
        frame.createOrReplaceTempView(name)
        self._kept[name] = frame

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        table = frame if isinstance(frame, pa.Table) else frame_to_arrow(frame)
        self._keep(name, self.spark.createDataFrame(table), cache=True)

    def register_parquet(self, name: str, path: Path | list[Path]) -> None:
        paths = path if isinstance(path, list) else [path]
        # file:// URIs: on YARN a bare path would be looked up on the cluster's HDFS
        uris = [Path(p).resolve().as_uri() for p in paths]
        self._keep(name, self.spark.read.parquet(*uris), cache=False)

    def materialise(self, name: str, sql: str) -> None:
        self._keep(name, self.sql(sql), cache=True)

    def sql(self, sql: str) -> SparkFrame:
        """``sql`` (DuckDB dialect) as a Spark DataFrame."""
        return self.spark.sql(to_spark_sql(sql))

    def view(self, name: str, sql: str) -> None:
        self._keep(name, self.sql(sql), cache=False)

    def drop(self, name: str) -> None:
        frame = self._kept.pop(name, None)
        if frame is not None:
            frame.unpersist()
            self.spark.catalog.dropTempView(name)

    def arrow(self, sql: str) -> pa.Table:
        return self.sql(sql).toArrow()

    def map_lead_blocks(
        self, name, inputs, function, schema, n_leads, block_size, sort_by=()
    ) -> None:
        from pyspark.sql import functions

        groups = max(self.spark.sparkContext.defaultParallelism, math.ceil(n_leads / block_size))
        left, right = (
            self.sql(sql).withColumn(
                # the same key type on both sides, or cogroup pairs no group (int vs bigint)
                "_block",
                functions.pmod(functions.col("lead_idx").cast("long"), functions.lit(groups)),
            )
            for sql in inputs
        )

        def apply(left_rows: pd.DataFrame, right_rows: pd.DataFrame) -> pd.DataFrame:
            arrays = [
                {c: rows[c].to_numpy() for c in rows.columns if c != "_block"}
                for rows in (left_rows, right_rows)
            ]
            return function(*arrays).to_pandas()

        frame = (
            left.groupBy("_block")
            .cogroup(right.groupBy("_block"))
            .applyInPandas(apply, schema=_spark_schema(schema))
        )
        self._keep(name, frame, cache=True)

    def close(self) -> None:
        for name in list(self._kept):
            self.drop(name)


def _spark_schema(schema: pa.Schema) -> Any:
    """The Spark schema of an Arrow schema (for ``applyInPandas``)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def make_engine(
    engine: str | Engine = "duckdb",
    *,
    temp_dir: Path | None = None,
    spark_master: str = "local[*]",
) -> Engine:
    """The engine called ``engine`` (``duckdb`` or ``spark``), or ``engine`` itself.

    Raises
    ------
    LeadscoreError
        For an unknown engine name; :class:`leadscore.spark.SparkUnavailableError` when Spark
        is asked for and cannot start.
    """
    if isinstance(engine, Engine):
        return engine
    if engine == "duckdb":
        return DuckDBEngine(temp_dir)
    if engine == "spark":
        return SparkEngine(spark_master)
    raise LeadscoreError(f"`engine` {engine!r}: use {' or '.join(ENGINES)}.")
