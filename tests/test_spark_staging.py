"""Validation of the large tables on Spark: the same problems, word for word, and the same rows.

Each test stages a messy table twice, with the DuckDB staging's batch loop
(``dataset._validate_large``) and with :func:`stage_large_on_spark`, in batches small enough that
every trap lands in a different batch, and compares what the user would see and what the
features would read.
"""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import NOW
from leadscore import dataset, spark_staging
from leadscore.contract import EVENT_TYPES, TABLES
from leadscore.errors import LeadscoreError
from leadscore.io import frame_to_arrow
from leadscore.readers import table_parts
from leadscore.spark_staging import stage_large_on_spark
from leadscore.validation import Problem

#: Rows per batch: the messy tables below hold five batches, each with its own traps.
BATCH = 700
ROWS = 3_000


def _messy_events() -> pd.DataFrame:
    """Events as a CRM exports them, all text, with traps spread over the batches."""
    rng = np.random.default_rng(13)
    seconds = pd.to_timedelta(rng.integers(0, 365 * 86_400, ROWS), unit="s")
    stamps = pd.Series(pd.Timestamp("2025-01-01", tz="UTC") + seconds)
    frame = pd.DataFrame(
        {
            "lead_id": [f"L{i:04d}" for i in rng.integers(1, 301, ROWS)],
            "occurred_at": stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "event_type": rng.choice(EVENT_TYPES, ROWS),
            "detail": rng.choice(["home", "pricing", "2025-w02-newsletter", ""], ROWS),
            "utm_campaign": "spring",  # not in the contract: one warning for every batch
        }
    )
    frame.loc[[10, 1500, 2990], "occurred_at"] = ["yesterday", "31/31/2025", "yesterday"]
    frame.loc[[30, 2900], "occurred_at"] = "2030-01-01T00:00:00Z"  # in the future
    frame.loc[[20, 1710, 2100], "event_type"] = ["bogus", "Seite angesehen", "bogus"]
    frame.loc[[40, 800, 2800], "lead_id"] = ["", "  ", None]  # empty: three batches, row numbers
    # Without a UTC offset: mixed with offsets in the second batch (a warning for that batch
    # only), alone in the fourth (nothing to warn about): batches must be the same on both.
    frame.loc[1400:1460, "occurred_at"] = stamps[1400:1461].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.loc[2100:2799, "occurred_at"] = stamps[2100:2800].dt.strftime("%d.%m.%Y %H:%M")
    return frame


def _known(up_to: int) -> pd.Series:
    """Lead ids L0001 ... ``up_to``: the events of later leads are orphans."""
    return pd.Series([f"L{i:04d}" for i in range(1, up_to + 1)], dtype="string[pyarrow]")


def _on_duckdb(
    path: Path, known: pd.Series | None, monkeypatch: pytest.MonkeyPatch, table: str = "events"
) -> tuple[list[Problem], list[pd.DataFrame]]:
    """The DuckDB staging's problems and the batches it writes."""
    key, parent = dataset.LARGE_TABLES[table]
    monkeypatch.setattr(dataset, "BATCH_ROWS", BATCH)
    batches: list[pd.DataFrame] = []
    problems = dataset._validate_large(
        path, TABLES[table], NOW, key, known, parent, 0.1, batches.append
    )
    return problems, batches


def _on_spark(spark, path: Path, out: Path, known, table: str = "events") -> list[Problem]:
    key, parent = dataset.LARGE_TABLES[table]
    return stage_large_on_spark(
        spark, path, TABLES[table], NOW, key, known, parent, 0.1, out, batch_rows=BATCH
    )


def _assert_same(duck: list[Problem], batches: list[pd.DataFrame], spark, out: Path) -> None:
    assert [p.describe() for p in spark] == [p.describe() for p in duck]
    assert spark == duck
    parts = sorted(out.glob("*.parquet"))
    assert [pq.read_metadata(p).num_rows for p in parts] == [len(b) for b in batches]
    staged = pq.read_table(parts)
    expected = pa.concat_tables([frame_to_arrow(b) for b in batches])
    assert staged.schema.equals(expected.schema, check_metadata=False)
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.concat(batches, ignore_index=True))
    assert not list(out.glob(".*")), "temporary files left behind"


def _texts(problems: list[Problem]) -> str:
    return "\n".join(p.describe() for p in problems)


def test_messy_events_give_the_same_problems_and_rows(spark, tmp_path, monkeypatch) -> None:
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pandas(_messy_events(), preserve_index=False), path)

    duck, batches = _on_duckdb(path, _known(290), monkeypatch)
    on_spark = _on_spark(spark, path, tmp_path / "out", _known(290))

    _assert_same(duck, batches, on_spark, tmp_path / "out")
    assert len(batches) == 5
    text = _texts(on_spark)
    # Every trap is found, the findings of several batches merged into one line each.
    assert "unparseable timestamps (3 rows); e.g. 'yesterday', '31/31/2025'" in text
    assert "timestamps in the future (after 2026-06-01 00:00 UTC) (2 rows)" in text
    assert "unknown value" in text and "'bogus', 'Seite angesehen'" in text
    assert "'lead_id': empty values (3 rows); e.g. row 41, row 801, row 2801" in text
    # The 61 naive timestamps and 3 unparseable values of batches that also hold offsets; the
    # 700 German timestamps of the fourth batch have no offset to mix with.
    assert "mix values with and without a UTC offset; those without were read as UTC (64 " in text
    assert text.count("utm_campaign") == 1
    assert "rows reference a lead_id not in leads; dropped" in text


def test_too_many_orphans_are_the_same_error(spark, tmp_path, monkeypatch) -> None:
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pandas(_messy_events(), preserve_index=False), path)
    known = _known(150)
    as_spark = spark.range(1, 151).selectExpr("format_string('L%04d', id) AS lead_id")

    duck, batches = _on_duckdb(path, known, monkeypatch)
    on_spark = _on_spark(spark, path, tmp_path / "out", as_spark)

    _assert_same(duck, batches, on_spark, tmp_path / "out")
    orphans = [p for p in on_spark if p.column == "lead_id" and "is it the matching" in p.message]
    assert orphans and orphans[0].severity == "error"


def test_a_folder_of_parts_is_checked_part_by_part_in_parallel(
    spark, tmp_path, monkeypatch
) -> None:
    """Hive-partitioned parts, one of them empty: messages name each part and its rows."""
    frame = _messy_events()
    folder = tmp_path / "events"
    ranges = {
        "month=2025-01/part-0.parquet": (0, 1000),
        "month=2025-02/part-0.parquet": (1000, 1000),  # no rows: skipped
        "month=2025-02/part-1.parquet": (1000, 2300),
        "month=2025-03/part-0.parquet": (2300, ROWS),
    }
    for name, (start, stop) in ranges.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        part = frame.iloc[start:stop]
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), folder / name)

    duck, batches = _on_duckdb(folder, _known(290), monkeypatch)
    on_spark = _on_spark(spark, folder, tmp_path / "out", _known(290))

    _assert_same(duck, batches, on_spark, tmp_path / "out")
    text = _texts(on_spark)
    assert "events/month=2025-03/part-0.parquet, column 'lead_id': empty values" in text
    assert "e.g. row 501" in text  # row 2801 of the table is row 501 of its part
    assert "error: events/, column" not in text  # only the orphan warning names the folder


def test_a_csv_export_is_read_as_on_duckdb(spark, tmp_path, monkeypatch) -> None:
    """German Excel: semicolons, Windows-1252; one task reads the file from its start."""
    frame = _messy_events()
    frame.loc[5, "detail"] = "Preisübersicht"
    path = tmp_path / "account_events.csv"
    accounts = frame.rename(columns={"lead_id": "account_id"}).assign(event_type="funding")
    accounts.to_csv(path, sep=";", index=False, encoding="cp1252")

    duck, batches = _on_duckdb(path, None, monkeypatch, "account_events")
    on_spark = _on_spark(spark, path, tmp_path / "out", None, "account_events")

    _assert_same(duck, batches, on_spark, tmp_path / "out")
    assert "Preisübersicht" in set(batches[0]["detail"])
    assert "empty values" in _texts(on_spark)


def test_an_unreadable_file_is_the_same_error_and_leaves_nothing(
    spark, tmp_path, monkeypatch
) -> None:
    path = tmp_path / "events.csv"
    _messy_events().to_csv(path, index=False)
    with path.open("a") as file:
        file.write("L0001,2025-01-01T00:00:00Z,page_view,home,spring,surplus\n")
    with pytest.raises(LeadscoreError) as on_duckdb:
        _on_duckdb(path, None, monkeypatch)
    with pytest.raises(LeadscoreError) as on_spark:
        _on_spark(spark, path, tmp_path / "out", None)

    assert str(on_spark.value) == str(on_duckdb.value)
    assert "line 3,002 has 6 field(s)" in str(on_spark.value)
    assert not (tmp_path / "out").exists()


def test_staged_rows_never_mix_with_an_earlier_run(spark, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "part-000000-000000.parquet").write_bytes(b"yesterday's rows")
    path = tmp_path / "events.csv"
    _messy_events().to_csv(path, index=False)
    with pytest.raises(LeadscoreError, match="out: the staged rows go to a new folder"):
        _on_spark(spark, path, out, None)
    assert [f.name for f in out.iterdir()] == ["part-000000-000000.parquet"]


def test_a_full_disk_in_a_task_reaches_the_caller_as_the_os_error(tmp_path, monkeypatch) -> None:
    """A task cannot raise across Spark as itself: it reports, and the driver raises the same."""
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pandas(_messy_events(), preserve_index=False), path)
    (tmp_path / "out").mkdir()

    def full(table: pa.Table, where: Path) -> None:
        Path(where).write_bytes(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device", str(where))

    monkeypatch.setattr(spark_staging.pq, "write_table", full)
    task = spark_staging._stage_parts(
        iter([pd.DataFrame({"id": [0]})]),
        parts=table_parts(path),
        spec=TABLES["events"],
        now=NOW,
        key="lead_id",
        known=None,
        out=str(tmp_path / "out"),
        batch_rows=BATCH,
    )
    results = pd.concat(list(task)).to_dict("records")
    with pytest.raises(OSError) as caught:
        spark_staging._reports_in_file_order(results)
    assert caught.value.errno == errno.ENOSPC
    assert str(tmp_path / "out") in caught.value.filename
    assert not list((tmp_path / "out").iterdir()), "half-written part left behind"
