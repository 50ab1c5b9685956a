"""Stored training tables: one Parquet file that loads back as built, and the cache of them."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import NOW
from leadscore.dataset import stage_dataset, staged_copies
from leadscore.errors import LeadscoreError
from leadscore.features import store
from leadscore.features.pipeline import build_training_table
from leadscore.features.store import (
    METADATA_KEY,
    FeatureTable,
    cache_table,
    cached_training_tables,
    catalogue_path,
    clear_cache,
    load_training_table,
    save_training_table,
)
from leadscore.io import temp_name
from leadscore.synthetic import generate

CUTOFFS = "2025-04-01,2025-08-01"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("store-data")
    generate(folder, n_leads=500, seed=3)
    return folder


@pytest.fixture(scope="module")
def settings_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Settings of the user's own, in a folder whose name should not travel with the table."""
    path = tmp_path_factory.mktemp("home-of-anna") / "my-settings.yaml"
    path.write_text("windows_days: [14, 60]\n")
    return path


@pytest.fixture(scope="module")
def built(data: Path, settings_file: Path, tmp_path_factory: pytest.TempPathFactory):
    interim = tmp_path_factory.mktemp("interim")
    return build_training_table(
        data, CUTOFFS, 60, settings=settings_file, interim_dir=interim, now=NOW, cache=False
    )


def _same_table(loaded: FeatureTable, built: FeatureTable) -> None:
    pd.testing.assert_frame_equal(loaded.frame, built.frame)  # values and column types
    assert loaded.catalogue == built.catalogue
    assert loaded.cutoffs == built.cutoffs
    assert (loaded.horizon_days, loaded.fingerprint) == (built.horizon_days, built.fingerprint)
    assert loaded.warnings == built.warnings


def test_a_saved_table_loads_back_as_built_with_its_settings(
    built: FeatureTable, tmp_path: Path
) -> None:
    path = save_training_table(built, tmp_path / "training.parquet")
    loaded = load_training_table(path)
    _same_table(loaded, built)
    # The user's settings travel with the table (a model trained on it scores with them),
    # named by the file alone: the folder may name a person.
    assert loaded.settings.windows_days == (14, 60)
    assert loaded.settings == dataclasses.replace(built.settings, source="my-settings.yaml")
    assert "home-of-anna" not in pq.read_schema(path).metadata[METADATA_KEY].decode()
    catalogue = pd.read_csv(catalogue_path(path))
    assert catalogue["name"].tolist() == built.feature_names


def test_a_csv_table_is_written_for_people_but_cannot_be_loaded(
    built: FeatureTable, tmp_path: Path
) -> None:
    path = save_training_table(built, tmp_path / "training.csv")
    assert pd.read_csv(path)["lead_id"].tolist() == built.frame["lead_id"].tolist()
    assert (tmp_path / "training_catalogue.csv").is_file()
    with pytest.raises(LeadscoreError, match=r"training\.csv: only Parquet training tables can"):
        load_training_table(path)


def test_a_scoring_table_is_not_saved_as_a_training_table(
    built: FeatureTable, tmp_path: Path
) -> None:
    scoring = dataclasses.replace(built, frame=built.frame.drop(columns="label"), horizon_days=None)
    with pytest.raises(LeadscoreError, match="a scoring table has no labels"):
        save_training_table(scoring, tmp_path / "scores.parquet")
    assert not (tmp_path / "scores.parquet").exists()


def _with_description(path: Path, target: Path, **changes: object) -> Path:
    """A copy of a saved table whose description differs by ``changes``."""
    table = pq.read_table(path)
    description = {**json.loads(table.schema.metadata[METADATA_KEY]), **changes}
    metadata = {**table.schema.metadata, METADATA_KEY: json.dumps(description).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), target)
    return target


def test_files_that_are_not_training_tables_are_refused_naming_the_file(
    built: FeatureTable, data: Path, tmp_path: Path
) -> None:
    saved = save_training_table(built, tmp_path / "training.parquet")
    (tmp_path / "notes.parquet").write_text("lead_id,label\nL1,1\n")
    other_version = _with_description(saved, tmp_path / "v2.parquet", format_version=2)
    refused = {
        tmp_path / "missing.parquet": "no such file",
        tmp_path / "notes.parquet": "not a Parquet file",
        data / "leads.parquet": "not a leadscore training table",
        other_version: "format version 2; this leadscore .* reads version 1: build the table",
        _with_description(saved, tmp_path / "h.parquet", horizon_days="90"): "horizon_days",
    }
    for path, message in refused.items():
        with pytest.raises(LeadscoreError, match=f"^{re.escape(str(path))}: .*{message}"):
            load_training_table(path)


def test_a_table_another_engine_wrote_is_checked_and_given_the_pipelines_types(
    built: FeatureTable, tmp_path: Path
) -> None:
    """As Spark would write it: no pandas metadata, 64-bit labels, nanosecond timestamps."""
    saved = pq.read_table(save_training_table(built, tmp_path / "t.parquet"))
    columns = []
    for column, arrow_field in zip(saved.columns, saved.schema, strict=True):
        if arrow_field.name == "label":
            column = column.cast(pa.int64())
        elif arrow_field.name == "cutoff":
            column = column.cast(pa.timestamp("ns", tz="UTC"))
        elif pa.types.is_string(arrow_field.type) or pa.types.is_large_string(arrow_field.type):
            column = column.cast(pa.large_string())
        columns.append(column)
    description = saved.schema.metadata[METADATA_KEY]
    foreign = pa.table(columns, names=saved.column_names).replace_schema_metadata(
        {METADATA_KEY: description}
    )
    pq.write_table(foreign, tmp_path / "spark.parquet")
    _same_table(load_training_table(tmp_path / "spark.parquet"), built)

    broken = {
        "label": (foreign.set_column(3, "label", pa.array([2] * len(foreign))), "0 or 1"),
        "columns": (foreign.drop_columns(["n_actions_14d"]), "lacks n_actions_14d"),
    }
    for name, (table, message) in broken.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
        with pytest.raises(LeadscoreError, match=f"{name}.parquet: a broken training table: .*"):
            load_training_table(tmp_path / f"{name}.parquet")
        with pytest.raises(LeadscoreError, match=message):
            load_training_table(tmp_path / f"{name}.parquet")


def test_the_cache_keeps_the_most_recently_used_tables(
    built: FeatureTable, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(store, "MAX_CACHED_TABLES", 2)
    keys = [f"{n:032x}" for n in range(3)]
    for age, key in zip((30, 20), keys[:2], strict=True):
        path = cache_table(built, key, tmp_path)
        os.utime(path, (path.stat().st_mtime - age, path.stat().st_mtime - age))
    assert store.cached_table(keys[0], built.cutoffs, tmp_path) is not None  # now the newest
    cache_table(built, keys[2], tmp_path)
    listed = cached_training_tables(tmp_path)
    assert [p.name[:32] for p in listed["file"]] == [keys[2], keys[0]]  # keys[1]: least used
    assert listed["rows"].tolist() == [len(built.frame)] * 2
    assert listed["cutoffs"].tolist() == ["2025-04-01 … 2025-08-01 (2)"] * 2


def test_clear_cache_removes_cached_tables_and_staged_copies_and_nothing_else(
    built: FeatureTable, data: Path, tmp_path: Path
) -> None:
    interim = tmp_path / "interim"
    stage_dataset(data, interim_dir=interim, now=NOW)
    cached = cache_table(built, "a" * 32, interim)
    folder = cached.parent
    mine = folder / f"{'b' * 32}-{'c' * 12}.parquet"  # the cache's name, not its content
    pq.write_table(pa.table({"x": [1]}), mine)
    (folder / "notes.txt").write_text("the user's")
    dead = folder / temp_name(cached.name).replace(f"-{os.getpid()}-", "-999999999-")
    shutil.copy(cached, dead)  # left by a killed run
    assert cached_training_tables(interim)["file"].tolist() == [cached]

    removed = clear_cache(interim)
    assert cached in removed and dead in removed
    assert staged_copies(interim).empty and cached_training_tables(interim).empty
    assert sorted(p.name for p in folder.iterdir()) == sorted([mine.name, "notes.txt"])


def test_a_damaged_cache_entry_is_built_again(data: Path, tmp_path: Path) -> None:
    first = build_training_table(data, CUTOFFS, 90, interim_dir=tmp_path, now=NOW)
    [entry] = cached_training_tables(tmp_path)["file"]
    entry.write_bytes(entry.read_bytes()[:1000])  # cut short
    again = build_training_table(data, CUTOFFS, 90, interim_dir=tmp_path, now=NOW)
    assert not again.from_cache
    pd.testing.assert_frame_equal(again.frame, first.frame)
    assert load_training_table(entry).frame.equals(first.frame)  # replaced by a whole one


def test_a_cache_that_cannot_be_written_costs_a_warning_not_the_table(
    data: Path, tmp_path: Path
) -> None:
    (tmp_path / store.CACHE_FOLDER).write_text("a file where the cache's folder goes")
    table = build_training_table(data, CUTOFFS, 90, interim_dir=tmp_path, now=NOW)
    assert len(table.frame) > 0
    assert table.warnings[-1].startswith("warning: the training table was not kept in the cache")


def test_a_sample_keeps_a_share_of_the_leads_with_all_their_cutoffs(
    monthly_table, tmp_path: Path
) -> None:
    """Tables larger than memory: `sample` reads a share of the leads, the same one each time."""
    from leadscore.features.store import load_training_table, save_training_table

    path = save_training_table(monthly_table, tmp_path / "t.parquet")
    full = monthly_table.frame
    sampled = load_training_table(path, sample=0.25).frame
    again = load_training_table(path, sample=0.25).frame
    pd.testing.assert_frame_equal(sampled, again)
    leads = sampled["lead_id"].unique()
    assert 0.2 < len(leads) / full["lead_id"].nunique() < 0.3
    # every cutoff of a sampled lead is kept, with the same values as in the full table
    expected = full[full["lead_id"].isin(leads)].reset_index(drop=True)
    pd.testing.assert_frame_equal(sampled.reset_index(drop=True), expected)
    with pytest.raises(LeadscoreError, match=r"`sample` 0: give a share of the leads"):
        load_training_table(path, sample=0)
