"""The daily rollup of the events, kept per staged part between runs; the parts a window reads.

A nightly run scores on yesterday's events plus one new day. Rolling every event up to one row
per lead and day (:func:`leadscore.features.behaviour.daily_sql`) is the costliest scan of the
pipeline, and all but one day of it is the same as last night. So the rollup is computed per
part of the staged events (:mod:`leadscore.staged_parts`) and kept next to the part, in its
entry's ``derived/daily-<variant>/`` folder, where ``variant`` is a hash of the rollup's SQL
(the settings' counters and the code), and :func:`materialise_daily` combines the parts' rollups
into the ``daily`` table: the rows of the leads asked for, days before the last cutoff, summed
per lead and day where parts share a day. A part is rolled up only when it is new to the cache.

Privacy: a part's rollup holds the leads that had consented when it was computed, never the
others. Each part also keeps the ids of its leads that were left out (no consent, or not in the
leads yet); when such a lead has consent in a later run (it consented, or arrived in the
leads), its rows in that part are rolled up then and added to the part's rollup
(:func:`_missing`). A lead who withdraws consent drops out of the population, so its rows are
never joined into ``daily``; its counts stay in the cache until the part leaves it.

The result is the same table a fresh rollup gives, row for row: every count is an integer sum
of the same events, split by parts that never share a (lead, day) row unless their days overlap,
in which case the rows are summed. The tests compare both on every change (a new part, an edited
part, a lead that consents later).

:func:`window_events` registers only the parts whose days can fall into given windows before
the cutoffs (the e-mail re-opens of the burst window), so that they too do not re-read all
history every night.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from leadscore.dataset import StagedDataset
from leadscore.features import behaviour
from leadscore.features.engine import Engine
from leadscore.features.settings import Settings
from leadscore.io import temp_name
from leadscore.staged_parts import StagedPart, connect_duckdb

#: Version of the rollup files; another version is a new variant (computed anew).
ROLLUP_VERSION = 1
#: Rollup variants (settings, code versions) kept per part, the most recently used.
MAX_VARIANTS = 2
#: Events and parts rolled up in one query when several parts are new (each part is written
#: to a file of its own as the query runs: both bound DuckDB's memory).
EVENTS_PER_QUERY = 10_000_000
PARTS_PER_QUERY = 64
#: Leftover files of a run not in any manifest are removed once this old (seconds): a run
#: still writing its files lists them in the manifest well before.
_STALE_SECONDS = 3600
#: A day after every event: the per-part rollups keep all days (filtered when combined).
_ALL_DAYS = 2**31 - 1


@dataclass
class RollupStats:
    """What :func:`materialise_daily` did: how many parts it rolled up and read from cache."""

    #: Parts of the staged events.
    parts: int = 0
    #: Parts rolled up because the cache had no rollup of them (new or changed parts).
    rolled_up: int = 0
    #: Parts whose cached rollup was completed with leads it had left out (a lead that
    #: consented, or arrived in the leads, since).
    completed: int = 0
    #: Parts whose cached rollup was used.
    cached: int = 0
    #: True when the rollup could not be cached (a part's cache entry is gone: another run
    #: cleared the cache) and was computed from all events instead.
    uncached: bool = False


def variant(settings: Settings) -> str:
    """Hash of the rollup's SQL for ``settings``: a change of counters or code is a new one."""
    sql = behaviour.daily_sql("events", "keys", _ALL_DAYS, settings)
    text = json.dumps([ROLLUP_VERSION, sql])
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def materialise_daily(
    engine: Engine,
    staged: StagedDataset,
    keys: str,
    last_day: int,
    settings: Settings,
) -> RollupStats:
    """Create table ``daily`` in ``engine``: the daily rollup of the leads in table ``keys``
    (``lead_idx``, ``lead_id``), days before ``last_day``, from the per-part cache.

    When no two parts share a day, ``daily`` is a view over the cached rollups (it is read
    twice, each time faster than storing it); otherwise it is computed once.

    Parameters
    ----------
    engine : Engine
        Where ``daily`` is made; ``keys`` and the staged ``events`` are registered in it.
    staged : StagedDataset
        The staged data; its events' parts are rolled up where the cache lacks them.
    keys : str
        Table of the leads whose rows are wanted (consented leads only).
    last_day : int
        Days from this one (whole UTC days since 1970-01-01) are left out.
    settings : Settings
        The counters of the rollup.

    Returns
    -------
    RollupStats
    """
    parts = staged.parts.get("events", [])
    name = f"daily-{variant(settings)}"
    folders = [part.derived(name) for part in parts]
    stats = RollupStats(parts=len(parts))
    if not parts or any(folder is None for folder in folders):
        return _uncached(engine, keys, last_day, settings, stats)
    consented = staged.leads.loc[staged.leads["consent"], "lead_id"]
    with connect_duckdb() as con:
        con.register("consented", pa.table({"lead_id": pa.array(consented, pa.string())}))
        manifests = [_manifest(folder) for folder in folders]
        new = [i for i, m in enumerate(manifests) if m is None]
        missing = _missing(con, [(i, folders[i], m) for i, m in enumerate(manifests) if m])
        jobs = [_Job(i, parts[i], folders[i], None) for i in new]
        jobs += [_Job(i, parts[i], folders[i], manifests[i]) for i in missing]
        _roll_up(con, jobs, settings)
    stats.rolled_up, stats.completed = len(new), len(missing)
    stats.cached = len(parts) - len(new)
    files = []
    for folder in folders:
        manifest = _manifest(folder)
        if manifest is None:  # removed meanwhile by `leadscore cache --clear`
            return _uncached(engine, keys, last_day, settings, stats)
        files += [folder / f for f in manifest["files"]]
        with contextlib.suppress(OSError):
            os.utime(folder)  # used now: see _prune_variants
    _prune_variants(parts, name)
    if not files:  # no consented lead has an event: the rollup of no events
        engine.materialise("no_events", "SELECT * FROM events WHERE false")
        engine.materialise("daily", behaviour.daily_sql("no_events", keys, last_day, settings))
        engine.drop("no_events")
        return stats
    engine.register_parquet("daily_parts", files)
    counters = [c for c in pq.read_schema(files[0]).names if c not in ("lead_id", "day")]
    overlap = _overlap(parts)
    define = engine.materialise if overlap else engine.view
    define("daily", _combine_sql(keys, last_day, counters, overlap))
    return stats


def _uncached(
    engine: Engine, keys: str, last_day: int, settings: Settings, stats: RollupStats
) -> RollupStats:
    """The rollup of all staged events, without the cache (another run cleared it meanwhile)."""
    engine.materialise("daily", behaviour.daily_sql("events", keys, last_day, settings))
    stats.uncached = True
    return stats


def _combine_sql(keys: str, last_day: int, counters: list[str], overlap: bool) -> str:
    """The parts' rollups as one ``daily`` table: summed per lead and day when parts overlap."""
    if overlap:
        columns = ",\n  ".join(f"CAST(SUM(r.{c}) AS INTEGER) AS {c}" for c in counters)
        group = "\nGROUP BY k.lead_idx, r.day"
    else:
        columns = ",\n  ".join(f"r.{c}" for c in counters)
        group = ""
    return f"""
SELECT CAST(k.lead_idx AS INTEGER) AS lead_idx, r.day,
  {columns}
FROM daily_parts r
JOIN {keys} k ON r.lead_id = k.lead_id
WHERE r.day < {last_day}{group}
"""


def _overlap(parts: list[StagedPart]) -> bool:
    """Whether two parts share a day (then a lead's day may be split between them)."""
    ranges = sorted((p.first_day, p.last_day) for p in parts if p.first_day is not None)
    seen_until = None
    for first, last in ranges:
        if seen_until is not None and first <= seen_until:
            return True
        seen_until = last if seen_until is None else max(seen_until, last)
    return False


@dataclass
class _Job:
    """A part to roll up: all its consented leads (``manifest`` None), or the leads its
    rollup left out that are wanted now (``manifest`` its current state)."""

    number: int
    part: StagedPart
    folder: Path
    manifest: dict | None


def _manifest(folder: Path) -> dict | None:
    """A part's rollup state: its rollup files and the file of the leads it left out."""
    try:
        content = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(content, dict)
        or content.get("rollup_version") != ROLLUP_VERSION
        or not isinstance(content.get("files"), list)
        or not isinstance(content.get("left_out"), str)
        or not all((folder / f).is_file() for f in [*content["files"], content["left_out"]])
    ):
        return None
    return content


def _missing(con: duckdb.DuckDBPyConnection, states: list[tuple[int, Path, dict]]) -> list[int]:
    """The parts whose rollup left out a lead that has consented now (in ``consented``)."""
    if not states:
        return []
    files = pd.DataFrame(
        {
            "filename": [str(folder / m["left_out"]) for _, folder, m in states],
            "part": [number for number, _, _ in states],
        }
    )
    con.register("left_out_files", files)
    listed = ", ".join(behaviour.lit(name) for name in files["filename"])
    found = con.sql(
        f"SELECT DISTINCT f.part FROM read_parquet([{listed}], filename = true) l "
        "JOIN left_out_files f ON l.filename = f.filename "
        "WHERE l.lead_id IN (SELECT lead_id FROM consented)"
    ).fetchall()
    return sorted(row[0] for row in found)


def _roll_up(con: duckdb.DuckDBPyConnection, jobs: list[_Job], settings: Settings) -> None:
    """Roll up the parts of ``jobs``, several parts per query, and record the results."""
    batch: list[_Job] = []
    events = 0
    for job in jobs:
        batch.append(job)
        events += job.part.rows
        if events >= EVENTS_PER_QUERY or len(batch) >= PARTS_PER_QUERY:
            _roll_up_batch(con, batch, settings)
            batch, events = [], 0
    if batch:
        _roll_up_batch(con, batch, settings)


def _roll_up_batch(con: duckdb.DuckDBPyConnection, jobs: list[_Job], settings: Settings) -> None:
    """One query for the parts of ``jobs``: each lead id is prefixed with its part's number,
    so that :func:`~leadscore.features.behaviour.daily_sql` keeps the parts apart."""
    wanted = []
    for job in jobs:
        if job.manifest:
            source, column = job.folder / job.manifest["left_out"], "lead_id"
        else:
            source, column = job.part.entry / "keys.parquet", "key"
        wanted.append(
            f"SELECT {job.number} AS part, {column} AS lead_id "
            f"FROM read_parquet({behaviour.lit(str(source))})"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE wanted AS SELECT w.part, w.lead_id, "
        "w.lead_id IN (SELECT lead_id FROM consented) AS consented "
        f"FROM ({' UNION ALL '.join(wanted)}) w"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE part_keys AS "
        "SELECT CAST(row_number() OVER (ORDER BY part, lead_id) - 1 AS BIGINT) AS lead_idx, "
        "part || ':' || lead_id AS lead_id, part, lead_id AS real_id FROM wanted WHERE consented"
    )
    sources = " UNION ALL ".join(
        f"SELECT {job.number} || ':' || lead_id AS lead_id, occurred_at, event_type, detail "
        f"FROM read_parquet({behaviour.lit(str(job.part.file))})"
        for job in jobs
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW part_events AS {sources}")
    daily = behaviour.daily_sql("part_events", "part_keys", _ALL_DAYS, settings)
    with tempfile.TemporaryDirectory(dir=jobs[0].folder.parent.parent) as out:
        con.execute(
            f"COPY (SELECT k.part, k.real_id AS lead_id, d.* EXCLUDE (lead_idx) "
            f"FROM ({daily}) d JOIN part_keys k ON d.lead_idx = k.lead_idx) "
            f"TO {behaviour.lit(out)} (FORMAT parquet, PARTITION_BY (part), "
            "WRITE_PARTITION_COLUMNS false)"
        )
        left_out = con.sql(
            "SELECT part, lead_id FROM wanted WHERE NOT consented ORDER BY part, lead_id"
        ).to_arrow_table()
        parts = left_out["part"].to_numpy()
        for job in jobs:
            first, last = np.searchsorted(parts, [job.number, job.number + 1])
            ids = left_out.select(["lead_id"]).slice(first, last - first)
            _record(job, Path(out) / f"part={job.number}", ids)


def _record(job: _Job, written: Path, left_out_ids: pa.Table) -> None:
    """Move a part's new rollup file(s) next to the part, with the ids of the leads it left
    out, and update its manifest atomically."""
    job.folder.mkdir(parents=True, exist_ok=True)
    token = os.urandom(4).hex()
    files = []
    for number, file in enumerate(sorted(written.glob("*.parquet")) if written.is_dir() else []):
        name = f"rollup-{token}-{number}.parquet"
        shutil.move(file, job.folder / name)
        files.append(name)
    left_out = f"left-out-{token}.parquet"
    pq.write_table(left_out_ids, job.folder / left_out)
    previous = job.manifest["files"] if job.manifest else []
    manifest = {"rollup_version": ROLLUP_VERSION, "files": previous + files, "left_out": left_out}
    temp = job.folder / temp_name("manifest.json")
    temp.write_text(json.dumps(manifest))
    os.replace(temp, job.folder / "manifest.json")


def _prune_variants(parts: list[StagedPart], keep: str) -> None:
    """Keep :data:`MAX_VARIANTS` rollup variants per part, and no files of failed runs."""
    for part in parts:
        derived = part.derived(keep)
        if derived is None:
            continue
        with contextlib.suppress(OSError):
            variants = sorted(
                (v for v in derived.parent.iterdir() if v.is_dir()),
                key=lambda v: (v.name == keep, v.stat().st_mtime),
                reverse=True,
            )
            for old in variants[MAX_VARIANTS:]:
                shutil.rmtree(old, ignore_errors=True)
            manifest = _manifest(derived)
            listed = set(manifest["files"] + [manifest["left_out"]]) if manifest else set()
            for file in derived.iterdir():
                stale = time.time() - file.stat().st_mtime > _STALE_SECONDS
                if file.name not in listed and file.name != "manifest.json" and stale:
                    file.unlink()


def window_events(
    engine: Engine, staged: StagedDataset, name: str, cutoff_days: list[int], span_days: int
) -> None:
    """Register as ``name`` the staged events of the parts that can hold days in any window
    ``[cutoff - span_days, cutoff)`` (the rows of other parts can never count in them)."""
    parts = staged.parts.get("events", [])
    inside = [
        part.file
        for part in parts
        if part.first_day is not None
        and any(part.first_day < c and part.last_day >= c - span_days for c in cutoff_days)
    ]
    if inside:
        engine.register_parquet(name, inside)
    else:  # no part in the windows: no rows, the events' columns
        engine.materialise(name, "SELECT * FROM events WHERE false")
