"""Batched validation and staging: same results as in memory, bounded, cached, atomic."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import NOW, TINY, write_tables
from leadscore import dataset as dataset_module
from leadscore import staged_parts
from leadscore.dataset import load_dataset, stage_dataset
from leadscore.errors import DataValidationError, LeadscoreError
from leadscore.io import temp_name
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
    pd.testing.assert_frame_equal(
        staged.leads.drop(columns="email"), memory.leads.drop(columns="email")
    )
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
    interim = tmp_path / "interim"
    with pytest.raises(DataValidationError):
        stage_dataset(folder, interim_dir=interim, now=NOW)
    assert dataset_module.staged_copies(interim).empty
    assert not list(interim.rglob(".*.tmp"))
    # The valid account events are kept for the next run; the events with an error are not.
    assert staged_parts.part_entries(interim)["table"].tolist() == ["account_events"]


def test_staged_leads_keep_only_the_email_domain(tmp_path: Path) -> None:
    from leadscore.features.explicit import email_domain_type
    from leadscore.features.settings import load_settings

    staged = stage_dataset(write_tables(tmp_path / "d", TINY), interim_dir=tmp_path / "i", now=NOW)
    assert staged.leads["email"].tolist() == [
        "@brandt-software.de",
        "@brandt-software.de",
        "@gmail.com",
    ]
    for file in staged.folder.rglob("*"):
        assert file.is_dir() or b"anna.mueller" not in file.read_bytes(), file.name
    memory = load_dataset(tmp_path / "d", now=NOW)
    settings = load_settings()
    assert (
        email_domain_type(staged.leads["email"], settings).tolist()
        == email_domain_type(memory.leads["email"], settings).tolist()
    )


def test_runs_staging_the_same_new_data_at_once_all_succeed(tmp_path: Path, monkeypatch) -> None:
    import threading

    folder = write_tables(tmp_path / "d", TINY)
    validate = dataset_module._validate
    both_started = threading.Barrier(2, timeout=30)

    def validate_together(*args, **kwargs):
        both_started.wait()  # neither finishes before the other has begun staging
        return validate(*args, **kwargs)

    monkeypatch.setattr(dataset_module, "_validate", validate_together)
    results: list = [None, None]

    def run(i: int) -> None:
        try:
            results[i] = stage_dataset(folder, interim_dir=tmp_path / "interim", now=NOW)
        except BaseException as exc:  # reported below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(r, dataset_module.StagedDataset) for r in results), results
    assert results[0].folder == results[1].folder
    assert dataset_module.staged_copies(tmp_path / "interim")["folder"].tolist() == [
        results[0].folder
    ]
    assert not list((tmp_path / "interim").rglob(".*.tmp"))
    pd.testing.assert_frame_equal(results[0].leads, results[1].leads)


def _age(folder: Path, hours: float) -> None:
    when = time.time() - hours * 3600
    os.utime(folder, (when, when))


def test_the_staging_cache_is_bounded_and_can_be_cleared(tmp_path: Path, monkeypatch) -> None:
    interim = tmp_path / "interim"
    interim.mkdir()
    (interim / "notes.txt").write_text("the user's, not the cache's")
    folder = write_tables(tmp_path / "crm", TINY)
    nightly = []
    for night in range(3):  # a changed export every night
        events = TINY["events"] + f"L2,2025-01-1{night + 3}T08:00:00Z,page_view,home\n"
        (folder / "events.csv").write_text(events)
        nightly.append(stage_dataset(folder, interim_dir=interim, now=NOW).folder)
        _age(nightly[-1], 25)  # the next night
    assert [p.name for p in dataset_module.staged_copies(interim)["folder"]] == [nightly[-1].name]

    monkeypatch.setattr(dataset_module, "MAX_STAGED_COPIES", 2)
    others = []
    for name in ("a", "b", "c"):
        others.append(stage_dataset(write_tables(tmp_path / name, TINY), interim_dir=interim))
    listed = dataset_module.staged_copies(interim)["folder"].tolist()
    assert len(listed) == 3, "copies used within the hour are kept even beyond the cap"
    for copy in others:
        _age(copy.folder, 2)
    stage_dataset(write_tables(tmp_path / "e", TINY), interim_dir=interim, now=NOW)
    assert len(dataset_module.staged_copies(interim)) == 2

    live = interim / temp_name("crm-0123").replace(f"-{os.getpid()}-", f"-{os.getppid()}-")
    live.mkdir()  # another run staging right now
    dead = interim / temp_name("crm-0123").replace(f"-{os.getpid()}-", "-999999999-")
    dead.mkdir()
    removed = dataset_module.clear_staged(interim)
    assert len(removed) == 3
    assert sorted(p.name for p in interim.iterdir()) == sorted(["notes.txt", live.name])


def test_only_leadscores_own_staged_copies_are_listed_and_removed(tmp_path: Path) -> None:
    interim = tmp_path / "interim"
    staged = stage_dataset(write_tables(tmp_path / "crm", TINY), interim_dir=interim, now=NOW)
    manifest = json.loads((staged.folder / "manifest.json").read_text())
    forged = {**manifest, "fingerprint": "0123456789ab" + "0" * 20}

    def folder(name: str, content: dict, **files: bytes) -> Path:
        (interim / name).mkdir()
        (interim / name / "manifest.json").write_text(json.dumps(content))
        for file, data in files.items():
            (interim / name / file).write_bytes(data)
        return interim / name

    foreign = [
        # the review's case: a work folder of the user's with a manifest of its own
        folder("mywork", {"fingerprint": "x", "source": "/d"}, **{"notes.txt": b"mine"}),
        # a copy's name and manifest, but a file stage_dataset never writes
        folder("crm-0123456789ab", forged, **{"leads.parquet": b"PAR1", "notes.txt": b"mine"}),
        # no staging version: an older leadscore's copy, or a look-alike
        folder("old-0123456789ab", {k: v for k, v in forged.items() if k != "staging_version"}),
        # a fingerprint the folder name does not start with
        folder("crm-fedcba987654", forged),
        # the right content under another name pattern
        folder("crm-copy", manifest),
    ]
    link = interim / ("other-" + staged.folder.name.rsplit("-", 1)[1])
    link.symlink_to(staged.folder)  # a link is never the cache's
    assert dataset_module.staged_copies(interim)["folder"].tolist() == [staged.folder]
    assert dataset_module.clear_staged(interim) == [staged.folder]
    for kept in foreign:
        assert (kept / "manifest.json").is_file()
    assert (interim / "mywork" / "notes.txt").read_bytes() == b"mine"
    assert not staged.folder.exists()


def test_staging_into_a_full_disk_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    import errno

    folder = write_tables(tmp_path / "d", TINY)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dataset_module.pq, "write_table", full)
    interim = tmp_path / "interim"
    with pytest.raises(LeadscoreError, match=r"interim: cannot write: no space left on the device"):
        stage_dataset(folder, interim_dir=interim, now=NOW)
    assert dataset_module.staged_copies(interim).empty
    assert staged_parts.part_entries(interim).empty
    assert not list(interim.rglob(".*.tmp"))


def test_cache_command_lists_and_clears_the_staged_copies(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from leadscore import config
    from leadscore.cli import app

    interim = tmp_path / "interim"
    staged = stage_dataset(write_tables(tmp_path / "crm", TINY), interim_dir=interim, now=NOW)
    monkeypatch.setattr(config, "INTERIM_DATA_DIR", interim)
    listed = CliRunner().invoke(app, ["cache"], env={"COLUMNS": "300"})
    assert listed.exit_code == 0, listed.output
    assert staged.folder.name in listed.output and str(tmp_path / "crm") in listed.output
    assert "2 validated parts of table folders" in listed.output  # events, account events
    cleared = CliRunner().invoke(app, ["cache", "--clear"])
    assert cleared.exit_code == 0, cleared.output
    assert "Removed 1 staged copy." in cleared.output
    assert list(interim.iterdir()) == []


# --- Tables as folders of Parquet parts -------------------------------------------------------


def _split_by_month(source: Path, target: Path, table: str = "events") -> Path:
    """``target``: ``source`` with ``table`` as a folder of one Parquet part per month."""
    import shutil

    import pyarrow.parquet as pq

    from leadscore.io import frame_to_arrow

    shutil.copytree(source, target)
    frame = load_dataset(source, now=NOW).table(table)
    for file in target.glob(f"{table}.*"):
        file.unlink()
    stamps = frame["occurred_at"].dt
    month = stamps.year.astype(str) + "-" + stamps.month.astype(str).str.zfill(2)
    for value in sorted(month.unique()):
        part = target / table / f"month={value}" / "part-00000.parquet"
        part.parent.mkdir(parents=True)
        pq.write_table(frame_to_arrow(frame[month == value]), part)
    return target


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


def test_a_folder_of_parts_gives_what_one_file_of_the_same_rows_gives(
    small_synthetic: Path, tmp_path: Path
) -> None:
    from leadscore.features.pipeline import build_training_table

    parted = _split_by_month(small_synthetic, tmp_path / "parted")
    parted = _split_by_month(parted, tmp_path / "parted-both", "account_events")
    assert len(list((parted / "events").glob("month=*/*.parquet"))) > 12

    whole, split = load_dataset(small_synthetic, now=NOW), load_dataset(parted, now=NOW)
    for name in ("events", "account_events"):
        pd.testing.assert_frame_equal(_sorted(whole.table(name)), _sorted(split.table(name)))
    assert whole.problems == split.problems
    assert split.summary()["file"].tolist()[2:4] == ["events/", "account_events/"]

    staged = stage_dataset(parted, interim_dir=tmp_path / "interim", now=NOW)
    pd.testing.assert_frame_equal(
        _sorted(pd.read_parquet(staged.paths["events"])), _sorted(whole.events)
    )
    tables = [
        build_training_table(folder, "2025-06-01,2025-09-01", 90, interim_dir=tmp_path / "i")
        for folder in (small_synthetic, parted)
    ]
    pd.testing.assert_frame_equal(tables[0].frame, tables[1].frame)


def test_problems_in_a_part_name_the_part_and_its_rows(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = write_tables(tmp_path / "d", {k: v for k, v in TINY.items() if k != "events"})
    good = {"lead_id": "L1", "occurred_at": "2025-01-10T10:00:00Z", "event_type": "page_view"}
    good["detail"] = "home"
    parts = {
        "month=2025-01/part-0.parquet": [good, good],
        "month=2025-02/part-0.parquet": [good, {**good, "occurred_at": "soon"}, good],
        "month=2025-02/part-1.parquet": [{**good, "lead_id": "L9"}] + [good] * 30,
    }
    for name, rows in parts.items():
        (folder / "events" / name).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), folder / "events" / name)
    with pytest.raises(DataValidationError) as caught:
        load_dataset(folder, now=NOW)
    described = [p.describe() for p in caught.value.problems]
    assert described == [
        "error: events/month=2025-02/part-0.parquet, column 'occurred_at': unparseable "
        "timestamps (1 row); e.g. 'soon'"
    ]
    # Fixed, the orphan row is dropped with a warning naming the folder (the whole table).
    part = folder / "events" / "month=2025-02" / "part-0.parquet"
    pq.write_table(pa.Table.from_pylist([good] * 3), part)
    warnings = [p.describe() for p in load_dataset(folder, now=NOW).warnings]
    assert warnings == [
        "warning: events/, column 'lead_id': rows reference a lead_id not in leads; dropped "
        "(1 row); e.g. 'L9'"
    ]


def test_an_id_in_two_parts_of_a_small_table_is_a_duplicate(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "d", {k: v for k, v in TINY.items() if k != "leads"})
    leads = load_dataset(write_tables(tmp_path / "tiny", TINY), now=NOW).leads
    (folder / "leads").mkdir()
    leads.iloc[:2].to_parquet(folder / "leads" / "part-0.parquet")
    leads.iloc[[1, 2]].to_parquet(folder / "leads" / "part-1.parquet")  # L2 again
    with pytest.raises(DataValidationError) as caught:
        load_dataset(folder, now=NOW)
    assert [p.describe() for p in caught.value.problems] == [
        "error: leads/, column 'lead_id': duplicate ids: the same id is in more than one part "
        "of the folder (2 rows); e.g. 'L2'"
    ]
    leads.iloc[[2]].to_parquet(folder / "leads" / "part-1.parquet")
    assert load_dataset(folder, now=NOW).leads["lead_id"].tolist() == ["L1", "L2", "L3"]


def test_the_fingerprint_covers_every_part_by_path_and_content(tmp_path: Path) -> None:
    from leadscore.dataset import fingerprint

    folder = _split_by_month(write_tables(tmp_path / "tiny", TINY), tmp_path / "parted")
    seen = {fingerprint(folder)}
    part = folder / "events" / "month=2025-01" / "part-00000.parquet"
    frame = pd.read_parquet(part)
    frame.iloc[:-1].to_parquet(part)  # an old part corrected
    seen.add(fingerprint(folder))
    part.rename(part.with_name("part-00001.parquet"))  # the same content under another name
    seen.add(fingerprint(folder))
    assert len(seen) == 3
