"""The daily rollup kept per part between nightly runs: the same features as a fresh build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import NOW
from leadscore.dataset import load_dataset, stage_dataset
from leadscore.features import rollup_cache
from leadscore.features.engine import DuckDBEngine
from leadscore.features.pipeline import build_scoring_table, build_training_table
from leadscore.io import frame_to_arrow
from leadscore.synthetic import generate

CUTOFFS = "2025-09-01,2025-12-01"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """600 synthetic leads: the small tables and the events, to write as nightly exports."""
    folder = tmp_path_factory.mktemp("generated")
    generate(folder, n_leads=600, seed=5)
    data = load_dataset(folder, now=NOW)
    return {"folder": folder, "events": data.events, "leads": data.leads}


def _write(target: Path, export: dict, parts: dict[str, pd.DataFrame], **tables) -> Path:
    """A data folder: the generated small tables (or ``tables``) and the events as ``parts``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(export["folder"], target, ignore=shutil.ignore_patterns("events.*"))
    for name, frame in tables.items():
        (target / f"{name}.parquet").unlink()
        pq.write_table(frame_to_arrow(frame), target / f"{name}.parquet")
    for name, frame in parts.items():
        path = target / "events" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(frame_to_arrow(frame), path)
    return target


def _by_month(events: pd.DataFrame, before: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """One part per month of the events before ``before``, and one per day from then on."""
    stamps = events["occurred_at"]
    month = stamps.dt.year * 100 + stamps.dt.month
    parts = {
        f"month={m}/part-0.parquet": events[(month == m) & (stamps < before)]
        for m in sorted(month[stamps < before].unique())
    }
    for day in sorted(stamps[stamps >= before].dt.floor("D").unique()):
        parts[f"day={day:%Y-%m-%d}/part-0.parquet"] = events[stamps.dt.floor("D") == day]
    return parts


@pytest.fixture
def rolled_up(monkeypatch) -> list[str]:
    """The names of the parts rolled up (not read from the cache), in order."""
    names: list[str] = []
    roll_up = rollup_cache._roll_up_batch

    def recording(con, jobs, settings):
        names.extend(job.part.name for job in jobs)
        return roll_up(con, jobs, settings)

    monkeypatch.setattr(rollup_cache, "_roll_up_batch", recording)
    return names


def _tables(data: Path, interim: Path, as_of: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    training = build_training_table(data, CUTOFFS, 90, interim_dir=interim, now=NOW, cache=False)
    scoring = build_scoring_table(data, as_of, interim_dir=interim, now=NOW)
    return training.frame, scoring.frame


def _assert_same(got: tuple, expected: tuple) -> None:
    for a, b in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_a_new_day_is_rolled_up_alone_and_gives_a_fresh_builds_features(
    export: dict, tmp_path: Path, rolled_up: list[str]
) -> None:
    events = export["events"]
    last = events["occurred_at"].max().floor("D")
    yesterday = events[events["occurred_at"] < last]
    interim = tmp_path / "interim"
    data = _write(tmp_path / "crm", export, _by_month(yesterday, last - pd.Timedelta(days=2)))
    _tables(data, interim, f"{last:%Y-%m-%d}")
    n_parts = len(list((data / "events").rglob("*.parquet")))
    assert len(rolled_up) == n_parts

    rolled_up.clear()
    data = _write(data, export, _by_month(events, last - pd.Timedelta(days=2)))  # one more day
    tonight = _tables(data, interim, f"{last + pd.Timedelta(days=1):%Y-%m-%d}")
    assert rolled_up == [f"events/day={last:%Y-%m-%d}/part-0.parquet"]

    as_of = f"{last + pd.Timedelta(days=1):%Y-%m-%d}"
    _assert_same(tonight, _tables(data, tmp_path / "fresh", as_of))
    one_file = shutil.copytree(export["folder"], tmp_path / "one-file")  # events.parquet
    _assert_same(tonight, _tables(one_file, tmp_path / "fresh-one-file", as_of))


def test_an_edited_old_part_is_rolled_up_anew(
    export: dict, tmp_path: Path, rolled_up: list[str]
) -> None:
    events = export["events"]
    last = events["occurred_at"].max().floor("D")
    parts = _by_month(events, last)
    interim = tmp_path / "interim"
    data = _write(tmp_path / "crm", export, parts)
    _tables(data, interim, "2026-01-15")

    # A corrected export of July: a third of its events were recorded twice.
    july = next(name for name in parts if name.startswith("month=202507"))
    parts[july] = parts[july].iloc[: 2 * len(parts[july]) // 3]
    data = _write(data, export, parts)
    rolled_up.clear()
    corrected = _tables(data, interim, "2026-01-15")
    assert rolled_up == [f"events/{july}"]
    _assert_same(corrected, _tables(data, tmp_path / "fresh", "2026-01-15"))
    staged = stage_dataset(data, interim_dir=interim, now=NOW)
    assert len(pd.read_parquet(staged.paths["events"])) == sum(len(f) for f in parts.values())


def test_consent_given_withdrawn_and_new_leads_give_a_fresh_builds_features(
    export: dict, tmp_path: Path, rolled_up: list[str]
) -> None:
    events, leads = export["events"], export["leads"]
    scored = build_scoring_table(
        export["folder"], "2026-01-15", interim_dir=tmp_path / "i", now=NOW
    )
    busy = events["lead_id"].value_counts()
    candidates = busy.index[busy.index.isin(scored.frame["lead_id"])]
    late, withdrawing, arriving = candidates[:3]
    parts = _by_month(events, events["occurred_at"].max().floor("D"))
    interim = tmp_path / "interim"
    night_one = leads[leads["lead_id"] != arriving].assign(
        consent=leads["consent"] & (leads["lead_id"] != late)
    )
    data = _write(tmp_path / "crm", export, parts, leads=night_one)
    first = _tables(data, interim, "2026-01-15")
    assert late not in set(first[1]["lead_id"]) and arriving not in set(first[1]["lead_id"])

    # The next night: one lead consented, another withdrew, a third arrived in the CRM (its
    # events were orphans so far).
    night_two = leads.assign(consent=leads["consent"] & (leads["lead_id"] != withdrawing))
    data = _write(data, export, parts, leads=night_two)
    rolled_up.clear()
    second = _tables(data, interim, "2026-01-15")
    assert {late, arriving} <= set(second[1]["lead_id"])
    assert withdrawing not in set(second[1]["lead_id"])
    active = events.loc[events["lead_id"].isin([late, arriving]), "occurred_at"]
    assert len(rolled_up) == len(
        {name for name, frame in parts.items() if frame["occurred_at"].isin(active).any()}
    )
    _assert_same(second, _tables(data, tmp_path / "fresh", "2026-01-15"))


def test_parts_sharing_days_are_summed_per_lead_and_day(export: dict, tmp_path: Path) -> None:
    events = export["events"]
    # Every other event in each of two parts: most leads' days are split between them.
    parts = {"a.parquet": events.iloc[::2], "b.parquet": events.iloc[1::2]}
    data = _write(tmp_path / "split", export, parts)
    one_file = _write(tmp_path / "one", export, {"all.parquet": events})
    _assert_same(
        _tables(data, tmp_path / "i1", "2026-01-15"),
        _tables(one_file, tmp_path / "i2", "2026-01-15"),
    )


def test_the_burst_window_reads_only_the_parts_that_can_hold_its_days(
    export: dict, tmp_path: Path, monkeypatch
) -> None:
    events = export["events"]
    data = _write(tmp_path / "crm", export, _by_month(events, pd.Timestamp("2030-01-01", tz="UTC")))
    staged = stage_dataset(data, interim_dir=tmp_path / "interim", now=NOW)
    registered: dict[str, list] = {}
    with DuckDBEngine() as engine:
        monkeypatch.setattr(
            engine, "register_parquet", lambda name, paths: registered.update({name: paths})
        )
        cutoff = (pd.Timestamp("2025-09-01", tz="UTC") - pd.Timestamp(0, tz="UTC")).days
        rollup_cache.window_events(engine, staged, "burst", [cutoff], 14)
    # 2025-08-18 to 2025-08-31: August only.
    assert [p.name for p in staged.parts["events"] if p.file in registered["burst"]] == [
        "events/month=202508/part-0.parquet"
    ]


def test_each_part_keeps_two_rollup_variants_at_most(export: dict, tmp_path: Path) -> None:
    import dataclasses

    from leadscore.features.settings import load_settings

    events = export["events"]
    data = _write(
        tmp_path / "crm", export, {"a.parquet": events.iloc[::2], "b.parquet": events.iloc[1::2]}
    )
    interim = tmp_path / "interim"
    shipped = load_settings()
    passive = [(), ("email_delivered",), ("email_delivered", "email_open")]
    variants = []
    for types in passive:  # other counters: another rollup of every part
        settings = dataclasses.replace(shipped, passive_event_types=types)
        build_scoring_table(data, "2026-01-15", settings=settings, interim_dir=interim, now=NOW)
        variants.append(f"daily-{rollup_cache.variant(settings)}")
    for part in stage_dataset(data, interim_dir=interim, now=NOW).parts["events"]:
        kept = sorted(folder.name for folder in (part.entry / "derived").iterdir())
        assert kept == sorted(variants[1:]), "the least recently used variant went"
