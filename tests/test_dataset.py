"""Batched validation and staging: same results as in memory, bounded, cached, atomic."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import NOW, TINY, write_tables
from leadscore import dataset as dataset_module
from leadscore.dataset import load_dataset, stage_dataset
from leadscore.errors import DataValidationError
from leadscore.synthetic import generate


@pytest.fixture(scope="module")
def small_synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    generate(folder, n_leads=400, seed=21, file_format="csv")
    return folder


def test_batches_give_the_same_tables_as_one_read(small_synthetic: Path, monkeypatch) -> None:
    whole = load_dataset(small_synthetic, now=NOW)
    monkeypatch.setattr(dataset_module, "BATCH_ROWS", 1_000)
    batched = load_dataset(small_synthetic, now=NOW)
    for name in ("leads", "events", "account_events", "outcomes"):
        pd.testing.assert_frame_equal(whole.table(name), batched.table(name), obj=name)


def test_problems_from_batches_are_merged_with_true_row_numbers(
    tmp_path: Path, monkeypatch
) -> None:
    good = "L1,2025-01-10T10:00:00Z,page_view,home\n"
    events = "lead_id,occurred_at,event_type,detail\n" + good * 5 + "L1,,page_view,home\n"
    events += good * 5 + "L1,,bogus,home\n"
    folder = write_tables(tmp_path / "d", {**TINY, "events": events})
    monkeypatch.setattr(dataset_module, "BATCH_ROWS", 4)
    with pytest.raises(DataValidationError) as caught:
        load_dataset(folder, now=NOW)
    empty = [p for p in caught.value.problems if p.message == "empty values"]
    assert len(empty) == 1
    assert empty[0].rows == 2
    assert empty[0].examples == ("row 6", "row 12")


def test_staging_matches_memory_and_is_cached(small_synthetic: Path, tmp_path: Path) -> None:
    staged = stage_dataset(small_synthetic, interim_dir=tmp_path, now=NOW)
    memory = load_dataset(small_synthetic, now=NOW)
    pd.testing.assert_frame_equal(staged.leads, memory.leads)
    pd.testing.assert_frame_equal(pd.read_parquet(staged.paths["events"]), memory.events)
    assert staged.data_end == memory.events["occurred_at"].max()
    manifest = staged.folder / "manifest.json"
    written = manifest.stat().st_mtime_ns
    again = stage_dataset(small_synthetic, interim_dir=tmp_path, now=NOW)
    assert again.folder == staged.folder
    assert manifest.stat().st_mtime_ns == written, "cached staging was rebuilt"


def test_changed_input_is_staged_anew(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "d", TINY)
    first = stage_dataset(folder, interim_dir=tmp_path / "interim", now=NOW)
    (folder / "events.csv").write_text(TINY["events"] + "L2,2025-01-13T08:00:00Z,page_view,home\n")
    second = stage_dataset(folder, interim_dir=tmp_path / "interim", now=NOW)
    assert second.fingerprint != first.fingerprint
    assert len(pd.read_parquet(second.paths["events"])) == 6


def test_failed_staging_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "d", {**TINY, "events": TINY["events"].replace("demo_request", "bogus")}
    )
    with pytest.raises(DataValidationError):
        stage_dataset(folder, interim_dir=tmp_path / "interim", now=NOW)
    assert list((tmp_path / "interim").iterdir()) == []
