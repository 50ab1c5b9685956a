"""Scoring on Spark: the scores of the pandas path, ranked over the whole population, written
safely as Parquet or CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import NOW
from leadscore.errors import LeadscoreError
from leadscore.features.pipeline import build_scoring_table, build_training_table
from leadscore.flat_table import TableTyper
from leadscore.io import write_table
from leadscore.modeling import spark_scoring
from leadscore.modeling.bundle import LoadedModel
from leadscore.modeling.predict import score_leads
from leadscore.modeling.spark_scoring import score_on_spark, scores_output_kind, write_scores
from leadscore.modeling.train import LightGBMModel
from leadscore.synthetic import generate

# PySpark 4 warns on every pandas transfer that it does not fully support pandas 3.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

AS_OF = "2026-01-15"
TOP = 25


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory):
    """2,000 synthetic leads, a quickly trained model, the scoring table and its families."""
    data = generate(tmp_path_factory.mktemp("spark-scoring"), n_leads=2000, seed=5).out_dir
    interim = tempfile.mkdtemp()
    table = build_training_table(
        data, "monthly:2025-07-01:2025-12-01", 90, interim_dir=interim, now=NOW
    ).frame
    model = LightGBMModel(n_estimators=60, learning_rate=0.1).fit(
        table.drop(columns="label"), table["label"]
    )
    scoring = build_scoring_table(data, AS_OF, interim_dir=interim, now=NOW)
    catalogue = scoring.catalogue_frame()
    families = dict(zip(catalogue["name"], catalogue["family"], strict=True))
    loaded = LoadedModel(model, None, "3", "test")
    return loaded, scoring.frame, families, scoring.cutoffs[0]


@pytest.fixture(scope="module")
def features(case, spark, tmp_path_factory: pytest.TempPathFactory):
    """The scoring table as Spark reads it from Parquet, spread over 4 partitions."""
    path = tmp_path_factory.mktemp("features") / "scoring.parquet"
    case[1].to_parquet(path, index=False)
    return spark.read.parquet(str(path)).repartition(4)


@pytest.fixture
def uncoalesced(spark):
    """Keep Spark's 8 shuffle partitions: adaptive execution would merge this small data into
    one, and a per-partition mistake in the ranking could not show."""
    key = "spark.sql.adaptive.coalescePartitions.enabled"
    before = spark.conf.get(key)
    spark.conf.set(key, "false")
    yield
    spark.conf.set(key, before)


@pytest.mark.parametrize("explain", [None, TOP], ids=["explain-all", f"explain-top-{TOP}"])
def test_spark_scores_equal_the_pandas_scores(case, features, explain, uncoalesced) -> None:
    loaded, frame, families, as_of = case
    expected = score_leads(frame, loaded, as_of=as_of, families=families, explain=explain)
    ties = expected["probability"].duplicated(keep=False)
    assert ties.sum() > 20, "leads of equal probability, ranked by lead id"
    from pyspark.sql.functions import spark_partition_id

    scored = score_on_spark(features, loaded, as_of=as_of, families=families, explain=explain)
    with_partition = scored.withColumn("_part", spark_partition_id())
    got = with_partition.toArrow().to_pandas().sort_values("rank", ignore_index=True)
    assert len(set(got.pop("_part"))) > 1, "scored on several partitions"
    assert got.columns.tolist() == expected.columns.tolist()
    np.testing.assert_allclose(got["probability"], expected["probability"], rtol=0, atol=1e-9)
    assert got["lead_id"].tolist() == expected["lead_id"].tolist()  # the same rank for each lead
    assert got["rank"].tolist() == list(range(1, len(expected) + 1))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=True)
    explained = (got["reason_1"] != "").sum()
    assert explained == (len(got) if explain is None else TOP)


def test_written_parquet_and_csv_read_back_equal(case, features, tmp_path: Path) -> None:
    loaded, frame, families, as_of = case
    expected = score_leads(frame, loaded, as_of=as_of, families=families, explain=TOP, lang="de")
    scored = score_on_spark(
        features, loaded, as_of=as_of, families=families, explain=TOP, lang="de"
    )
    folder = tmp_path / "scores"
    folder.mkdir()
    (folder / "priority=low").mkdir()  # an earlier run's band folder: replaced, not mixed
    (folder / "priority=low" / "part-old.parquet").write_bytes(b"stale")
    assert write_scores(scored, folder) == str(folder)
    bands = sorted(p.name for p in folder.iterdir() if p.is_dir())
    assert bands == [f"priority={b}" for b in ("high", "low", "medium", "very high")]
    assert not (folder / "priority=low" / "part-old.parquet").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["scores"], "no temporary folder is left"
    parts = sorted(folder.rglob("*.parquet"))
    for part in parts:  # each file lists its leads best first
        assert pd.read_parquet(part)["rank"].is_monotonic_increasing
    back = pd.read_parquet(folder).astype({"priority": str})
    back = back.sort_values("rank", ignore_index=True)[expected.columns]
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, check_exact=True)

    out = tmp_path / "scores.csv"
    assert write_scores(scored, out) == str(out)
    write_table(expected, tmp_path / "expected.csv")
    assert out.read_bytes() == (tmp_path / "expected.csv").read_bytes()


def test_outputs_that_cannot_be_written_are_refused_before_any_work(
    case, features, tmp_path: Path, monkeypatch
) -> None:
    loaded, _, families, as_of = case
    kept = tmp_path / "notes"
    kept.mkdir()
    (kept / "todo.txt").write_text("call Anna", encoding="utf-8")
    with pytest.raises(LeadscoreError, match=r"is a folder of other files \(todo.txt\)"):
        scores_output_kind(kept)
    assert (kept / "todo.txt").read_text(encoding="utf-8") == "call Anna"
    (tmp_path / "scores").write_text("a file", encoding="utf-8")
    with pytest.raises(LeadscoreError, match="is a file: Spark writes a folder"):
        scores_output_kind(tmp_path / "scores")
    with pytest.raises(LeadscoreError, match=r"ending in \.parquet, or one ending in \.csv"):
        scores_output_kind(tmp_path / "scores.xlsx")
    with pytest.raises(LeadscoreError, match="a CSV file is written on this machine"):
        scores_output_kind("s3a://crm/scores.csv")
    with pytest.raises(LeadscoreError, match="2,000,000 leads do not fit in a CSV file"):
        scores_output_kind(tmp_path / "all.csv", n_leads=2_000_000)
    assert scores_output_kind(tmp_path / "all.csv", n_leads=1_000) == "csv"

    monkeypatch.setattr(spark_scoring, "MAX_CSV_ROWS", 100)  # more leads than a CSV may hold
    scored = score_on_spark(features, loaded, as_of=as_of, families=families, explain=0)
    with pytest.raises(LeadscoreError, match=r"is a folder of other files \(todo.txt\)"):
        write_scores(scored, kept.as_uri())  # as cluster storage is checked: through Hadoop
    assert sorted(p.name for p in kept.iterdir()) == ["todo.txt"]
    with pytest.raises(LeadscoreError, match=r"more than 100 leads do not fit .* Parquet"):
        write_scores(scored, tmp_path / "big.csv")
    assert not (tmp_path / "big.csv").exists()


def test_a_flat_table_model_is_sent_to_the_duckdb_engine(case, features) -> None:
    loaded, *_ = case
    flat = LoadedModel(loaded.model, TableTyper(id_col="lead_id"), "1", "models:/leadscore-crm/1")
    with pytest.raises(LeadscoreError, match="score flat tables with the duckdb engine"):
        score_on_spark(features, flat, as_of=pd.Timestamp(AS_OF))


def test_features_unlike_the_models_are_named(case, features) -> None:
    loaded, _, _, as_of = case
    with pytest.raises(LeadscoreError, match="missing 1: n_page_pricing_7d"):
        score_on_spark(features.drop("n_page_pricing_7d"), loaded, as_of=as_of)
