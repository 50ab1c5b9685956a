"""The engines: one definition of every feature, the same training table on DuckDB and Spark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import NOW
from leadscore.errors import LeadscoreError
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
