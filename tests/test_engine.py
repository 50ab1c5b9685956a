"""The engines: one definition of every feature, the same training table on DuckDB and Spark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import NOW
from leadscore.errors import LeadscoreError
from leadscore.features import engine as engine_module
from leadscore.features.engine import DuckDBEngine, make_engine, to_spark_sql
from leadscore.features.pipeline import build_training_table
from leadscore.synthetic import generate

CUTOFFS = "2025-04-01,2025-06-01,2025-08-01"


def test_duckdb_only_functions_become_spark_functions() -> None:
    sql = to_spark_sql(
        "SELECT CAST(floor(epoch_us(e.t) / 86400000000) AS INTEGER) AS day, "
        "fsum(pow(0.5, (c.d - e.d) / 7.0)) AS decay, 1e0 AS x, 3 AS n FROM e, c"
    )
    assert "UNIX_MICROS(e.t)" in sql
    assert "SUM(POWER(CAST(0.5 AS DOUBLE), (c.d - e.d) / CAST(7.0 AS DOUBLE)))" in sql
    assert "CAST(1e0 AS DOUBLE)" in sql
    assert "3 AS n" in sql  # integers stay integers: counts and day numbers


def test_decimal_literals_divide_as_doubles_on_duckdb_too() -> None:
    """The Spark rule turns decimal literals into doubles; DuckDB must already divide so."""
    with DuckDBEngine() as engine:
        row = engine.arrow(
            "SELECT 5 / 7.0 = 5 / CAST(7.0 AS DOUBLE) AS same, typeof(5 / 7.0) AS kind"
        ).to_pylist()[0]
    assert row == {"same": True, "kind": "DOUBLE"}


def test_an_unknown_engine_is_refused_by_name() -> None:
    with pytest.raises(LeadscoreError, match=r"`engine` 'polars': use duckdb or spark"):
        make_engine("polars")


def _per_lead_sums(rows: dict, small: dict) -> pa.Table:
    """A block function: for each lead of ``small``, the sum and count of its rows."""
    leads = np.asarray(small["lead_idx"])
    found = np.asarray(rows["lead_idx"])
    value = np.asarray(rows["value"])
    return pa.table(
        {
            "lead_idx": leads,
            "total": np.array([value[found == lead].sum() for lead in leads], dtype=np.int64),
            "rows": np.array([(found == lead).sum() for lead in leads], dtype=np.int64),
        }
    )


def test_duckdb_blocks_see_every_row_of_their_leads_across_stream_batches(monkeypatch) -> None:
    # Tiny batches and blocks: a block's rows arrive in several batches, a batch holds several
    # blocks, some leads have no rows and some rows belong to no lead asked for.
    monkeypatch.setattr(engine_module, "_STREAM_ROWS", 4)
    rng = np.random.default_rng(3)
    rows = pd.DataFrame({"lead_idx": rng.integers(0, 40, 300), "value": rng.integers(0, 9, 300)})
    small = pd.DataFrame({"lead_idx": np.r_[np.arange(0, 30, 2), 35, 50]})
    schema = pa.schema([("lead_idx", pa.int64()), ("total", pa.int64()), ("rows", pa.int64())])
    seen: list[np.ndarray] = []

    def function(block_rows: dict, block_small: dict) -> pa.Table:
        seen.append(np.asarray(block_rows["lead_idx"]) // 3)
        assert len(np.unique(seen[-1])) <= 1  # one block per call
        return _per_lead_sums(block_rows, block_small)

    with DuckDBEngine() as engine:
        engine.register("r", rows)
        engine.register("s", small)
        engine.map_lead_blocks(
            "out", ("SELECT * FROM r", "SELECT * FROM s"), function, schema, 60, 3
        )
        out = engine.arrow("SELECT * FROM out ORDER BY lead_idx").to_pandas()
    # every row of a block with a lead asked for is handed over once, no other row
    wanted_blocks = set(small["lead_idx"] // 3)
    assert len(np.concatenate(seen)) == rows["lead_idx"].floordiv(3).isin(wanted_blocks).sum()
    expected = rows.groupby("lead_idx")["value"].agg(["sum", "size"])
    expected = expected.reindex(small["lead_idx"], fill_value=0)
    assert out["lead_idx"].tolist() == sorted(small["lead_idx"])
    assert out["total"].tolist() == expected["sum"].tolist()
    assert out["rows"].tolist() == expected["size"].tolist()


def test_a_view_is_read_anew_and_dropped_like_a_table() -> None:
    with DuckDBEngine() as engine:
        engine.register("t", pd.DataFrame({"x": [1, 2]}))
        engine.view("v", "SELECT sum(x) AS s FROM t")
        engine.register("t", pd.DataFrame({"x": [5]}))
        assert engine.arrow("SELECT s FROM v").to_pylist() == [{"s": 5}]
        engine.drop("v")
        engine.materialise("v", "SELECT 1 AS s")  # the name is free again, for a table
        assert engine.arrow("SELECT s FROM v").to_pylist() == [{"s": 1}]
        engine.drop("v")
        engine.drop("v")  # dropping what is gone is harmless


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("engines")
    generate(folder, n_leads=1500, seed=5)
    return folder


def _assert_same_table(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    assert list(duck.columns) == list(spark.columns)
    assert len(duck) == len(spark) > 0
    for column in duck.columns:
        a, b = duck[column], spark[column]
        assert a.dtype == b.dtype, column
        if pd.api.types.is_float_dtype(a):
            values = a.to_numpy(dtype=float)
            if np.array_equal(values[~np.isnan(values)], np.round(values[~np.isnan(values)])):
                # counts (and days since) exactly
                np.testing.assert_array_equal(values, b.to_numpy(dtype=float), err_msg=column)
            else:
                np.testing.assert_allclose(
                    values, b.to_numpy(dtype=float), rtol=0, atol=1e-6, err_msg=column
                )
        else:
            pd.testing.assert_series_equal(a, b, check_names=False, obj=column)


@pytest.mark.slow
def test_spark_builds_the_same_training_table_as_duckdb(
    small_data: Path, spark, tmp_path: Path
) -> None:
    from leadscore.features.engine import SparkEngine

    duck = build_training_table(
        small_data, CUTOFFS, 90, interim_dir=tmp_path / "a", now=NOW, cache=False
    )
    on_spark = build_training_table(
        small_data,
        CUTOFFS,
        90,
        interim_dir=tmp_path / "b",
        now=NOW,
        cache=False,
        engine=SparkEngine(session=spark),
    )
    assert duck.frame["label"].sum() > 10
    _assert_same_table(duck.frame, on_spark.frame)
    # scoring tables run the same code (no label); tests/test_workflows.py compares the scores
