"""Large tables staged part by part: each part validated once, orphans decided when used."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import NOW, TINY, write_tables
from leadscore import staged_parts
from leadscore.dataset import load_dataset, stage_dataset
from leadscore.errors import DataValidationError
from leadscore.io import frame_to_arrow


def _events(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """Event rows (lead, day, event type) as an export writes them."""
    return pd.DataFrame(
        {
            "lead_id": [lead for lead, _, _ in rows],
            "occurred_at": pd.to_datetime([f"{day}T10:00:00Z" for _, day, _ in rows]),
            "event_type": [kind for _, _, kind in rows],
            "detail": ["home"] * len(rows),
        }
    )


def _crm(folder: Path, parts: dict[str, pd.DataFrame], tables: dict[str, str] = TINY) -> Path:
    """The tiny CRM with its events as a folder of parts named as given."""
    write_tables(folder, {k: v for k, v in tables.items() if k != "events"})
    for name, frame in parts.items():
        path = folder / "events" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(frame_to_arrow(frame), path)
    return folder


@pytest.fixture
def validated(monkeypatch) -> list[str]:
    """The names of the parts (and small tables) validated, in order."""
    names: list[str] = []
    validate = staged_parts.validate_table

    def counting(raw, *args, **kwargs):
        names.append(raw.name)
        return validate(raw, *args, **kwargs)

    monkeypatch.setattr(staged_parts, "validate_table", counting)
    return names


JANUARY = _events(("L1", "2025-01-10", "page_view"), ("L2", "2025-01-12", "email_open"))
FEBRUARY = _events(("L1", "2025-02-03", "demo_request"))


def test_a_nightly_run_validates_only_the_new_part(tmp_path: Path, validated: list[str]) -> None:
    interim = tmp_path / "interim"
    crm = _crm(tmp_path / "crm", {"day=2025-01/p.parquet": JANUARY})
    first = stage_dataset(crm, interim_dir=interim, now=NOW)
    assert validated == ["events/day=2025-01/p.parquet", "account_events.csv"]

    _crm(crm, {"day=2025-02/p.parquet": FEBRUARY})  # the next night's export adds a part
    validated.clear()
    second = stage_dataset(crm, interim_dir=interim, now=NOW)
    assert validated == ["events/day=2025-02/p.parquet"]
    assert second.fingerprint != first.fingerprint
    assert [p.name for p in second.parts["events"]] == [
        "events/day=2025-01/p.parquet",
        "events/day=2025-02/p.parquet",
    ]
    assert second.parts["events"][0].key == first.parts["events"][0].key
    fresh = stage_dataset(crm, interim_dir=tmp_path / "fresh", now=NOW)
    pd.testing.assert_frame_equal(
        pd.read_parquet(second.paths["events"]), pd.read_parquet(fresh.paths["events"])
    )
    assert (second.data_end, second.first_event) == (fresh.data_end, fresh.first_event)
    assert second.data_end == pd.Timestamp("2025-03-01T12:00:00Z")  # the conversion
    assert second.first_event == pd.Timestamp("2025-01-10T10:00:00Z")


def test_an_edited_part_is_validated_and_staged_anew(tmp_path: Path, validated: list[str]) -> None:
    interim = tmp_path / "interim"
    crm = _crm(
        tmp_path / "crm", {"day=2025-01/p.parquet": JANUARY, "day=2025-02/p.parquet": FEBRUARY}
    )
    stage_dataset(crm, interim_dir=interim, now=NOW)
    corrected = JANUARY.assign(event_type=["page_view", "email_click"])  # same size, new content
    _crm(crm, {"day=2025-01/p.parquet": corrected})
    validated.clear()
    staged = stage_dataset(crm, interim_dir=interim, now=NOW)
    assert validated == ["events/day=2025-01/p.parquet"]
    assert pd.read_parquet(staged.paths["events"])["event_type"].tolist() == [
        "page_view",
        "email_click",
        "demo_request",
    ]


def test_orphans_are_decided_by_the_leads_of_each_run(tmp_path: Path, validated: list[str]) -> None:
    interim = tmp_path / "interim"
    january = _events(
        ("L1", "2025-01-10", "page_view"),
        ("L7", "2025-01-11", "page_view"),
        ("L4", "2025-01-11", "page_view"),
    )
    parts = {"a.parquet": january, "b.parquet": _events(*[("L1", "2025-02-01", "page_view")] * 27)}
    crm = _crm(tmp_path / "crm", parts)
    staged = stage_dataset(crm, interim_dir=interim, now=NOW)
    warning = (
        "warning: events/, column 'lead_id': rows reference a lead_id not in leads; dropped "
        "(2 rows); e.g. 'L7', 'L4'"
    )
    assert [p.describe() for p in staged.problems if p.table == "events"] == [warning]
    assert staged.problems == load_dataset(crm, now=NOW).problems

    # L4 arrives in the leads the next night: its event is no longer an orphan, unvalidated.
    leads = TINY["leads"] + "L4,,2025-01-01T00:00:00Z,,,,,true,lead\n"
    write_tables(crm, {"leads": leads})
    validated.clear()
    staged = stage_dataset(crm, interim_dir=interim, now=NOW)
    assert validated == []
    assert [p.describe() for p in staged.problems if p.table == "events"] == [
        warning.replace("(2 rows); e.g. 'L7', 'L4'", "(1 row); e.g. 'L7'")
    ]
    # Without L1 (erased from the CRM), 29 of 30 rows are orphans: the error a fresh run gives.
    write_tables(
        crm, {"leads": leads.replace("L1,A1", "L9,A1"), "outcomes": "lead_id,converted_at\n"}
    )
    with pytest.raises(DataValidationError) as cached:
        stage_dataset(crm, interim_dir=interim, now=NOW)
    with pytest.raises(DataValidationError) as fresh:
        load_dataset(crm, now=NOW)
    assert [p.describe() for p in cached.value.problems] == [
        p.describe() for p in fresh.value.problems
    ]
    assert "97% of rows reference a lead_id that is not in leads" in str(cached.value)
    assert validated == []


def test_a_cached_part_is_named_as_it_is_called_now(tmp_path: Path) -> None:
    interim = tmp_path / "interim"
    mixed = JANUARY.assign(occurred_at=["2025-01-10T10:00:00Z", "2025-01-12 10:00:00"])
    crm = _crm(tmp_path / "crm", {"old-name.parquet": mixed})
    first = stage_dataset(crm, interim_dir=interim, now=NOW)
    (crm / "events" / "old-name.parquet").rename(crm / "events" / "new-name.parquet")
    second = stage_dataset(crm, interim_dir=interim, now=NOW)
    assert second.parts["events"][0].key == first.parts["events"][0].key  # the cached entry
    assert [p.file for p in second.problems if p.table == "events"] == ["events/new-name.parquet"]


def test_a_part_with_errors_is_not_kept(tmp_path: Path, validated: list[str]) -> None:
    interim = tmp_path / "interim"
    broken = JANUARY.assign(event_type=["page_view", "bogus"])
    crm = _crm(tmp_path / "crm", {"a.parquet": broken, "b.parquet": FEBRUARY})
    for _ in range(2):
        with pytest.raises(DataValidationError, match=r"events/a\.parquet, column 'event_type'"):
            stage_dataset(crm, interim_dir=interim, now=NOW)
    # The broken part is validated every time; the good one and the account events once.
    assert validated.count("events/a.parquet") == 2
    assert validated.count("events/b.parquet") == 1
    assert sorted(staged_parts.part_entries(interim)["table"]) == ["account_events", "events"]


def test_content_hashes_are_remembered_until_the_file_changes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(staged_parts, "_RACY_SECONDS", 0)  # the file need not be 2 s old
    hashed: list[Path] = []
    update = staged_parts.update_hash
    monkeypatch.setattr(
        staged_parts,
        "update_hash",
        lambda digest, path: (hashed.append(path), update(digest, path)),
    )
    part = tmp_path / "part.parquet"
    part.write_bytes(b"night one")
    first = staged_parts.content_hashes([part], tmp_path / "interim")
    assert staged_parts.content_hashes([part], tmp_path / "interim") == first
    assert hashed == [part], "the second call reuses the hash"

    # A corrected export of the same size whose modification time is set back: the change
    # time (set by the kernel on every write) still tells.
    stat = part.stat()
    part.write_bytes(b"night two")
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = staged_parts.content_hashes([part], tmp_path / "interim")
    assert second[part] != first[part]
    assert second[part] == staged_parts.content_hashes([part])[part]  # without the memo


def test_a_file_changed_just_before_hashing_is_hashed_again(tmp_path: Path) -> None:
    part = tmp_path / "part.parquet"
    part.write_bytes(b"night one")
    staged_parts.content_hashes([part], tmp_path / "interim")
    # Rewritten at once, within the file system's timestamp resolution (milliseconds): its
    # size and times may be what they were when it was hashed.
    part.write_bytes(b"night two")
    again = staged_parts.content_hashes([part], tmp_path / "interim")
    assert again == staged_parts.content_hashes([part])


def test_parts_no_staged_copy_uses_are_pruned_and_all_can_be_cleared(
    tmp_path: Path, monkeypatch
) -> None:
    from leadscore import dataset as dataset_module

    interim = tmp_path / "interim"
    crm = _crm(tmp_path / "crm", {"a.parquet": JANUARY})
    old = stage_dataset(crm, interim_dir=interim, now=NOW)
    _crm(crm, {"a.parquet": FEBRUARY})  # corrected: part a's old content is used by no copy
    monkeypatch.setattr(dataset_module, "IN_USE_SECONDS", 0)
    new = stage_dataset(crm, interim_dir=interim, now=NOW)
    keys = set(staged_parts.part_entries(interim)["key"])
    assert new.parts["events"][0].key in keys
    assert old.parts["events"][0].key not in keys
    dataset_module.clear_staged(interim)
    assert list(interim.iterdir()) == []


def test_the_key_index_adds_tonights_part_and_is_rebuilt_when_history_changes(
    tmp_path: Path, monkeypatch
) -> None:
    summaries: list[str] = []  # the parts whose summaries were added to a kept index
    largest = staged_parts._largest_index

    def recording(table: str, wanted: set, interim_dir: Path):
        base, covered = largest(table, wanted, interim_dir)
        summaries.extend(sorted(name for name, _ in wanted - covered))
        return base, covered

    monkeypatch.setattr(staged_parts, "_largest_index", recording)
    interim = tmp_path / "interim"
    orphans = _events(("L8", "2025-01-11", "page_view"), *[("L1", "2025-01-12", "page_view")] * 19)
    parts = {"a.parquet": JANUARY, "b.parquet": orphans}
    crm = _crm(tmp_path / "crm", parts)
    stage_dataset(crm, interim_dir=interim, now=NOW)

    def night(new_parts: dict[str, pd.DataFrame], removed: str | None = None) -> list[str]:
        if removed:
            (crm / "events" / removed).unlink()
        _crm(crm, new_parts)
        summaries.clear()
        staged = stage_dataset(crm, interim_dir=interim, now=NOW)
        assert staged.problems == load_dataset(crm, now=NOW).problems
        return [name for name in summaries if name.startswith("events/")]

    many = _events(*[("L9", "2025-03-01", "page_view")] + [("L1", "2025-03-01", "page_view")] * 9)
    assert night({"c.parquet": FEBRUARY}) == ["events/c.parquet"]  # last night's index + c
    assert night({"d.parquet": many}) == ["events/d.parquet"]
    # An old part edited, then one removed: the index is built again from every part.
    assert night({"a.parquet": FEBRUARY}) == [f"events/{n}.parquet" for n in "abcd"]
    assert night({}, removed="b.parquet") == [f"events/{n}.parquet" for n in "acd"]
