"""Load a folder of CRM exports into validated tables.

A dataset is a folder with one file per table of :mod:`leadscore.contract`, named after it
(``leads.parquet`` or ``leads.csv``, ``accounts.*``, ``events.*``, ``account_events.*``,
``outcomes.*``). Both entry points validate every table with
:func:`leadscore.validation.validate_table`, run the cross-table checks and either succeed or
raise one :class:`~leadscore.errors.DataValidationError` listing every problem:

- :func:`load_dataset` returns the five tables in memory (:class:`Dataset`);
- :func:`stage_dataset` streams the large tables (events, account events) in batches into
  validated Parquet files under ``data/interim`` for DuckDB to aggregate out of core, so memory
  stays bounded whatever the number of events. Staging is cached by the inputs' content hash;
  the cache is bounded (:func:`prune_staged`) and can be cleared (:func:`clear_staged`).

Examples
--------
>>> import tempfile
>>> from leadscore.synthetic import generate
>>> folder = tempfile.mkdtemp()
>>> _ = generate(folder, profile="b2b", n_leads=300, seed=1)
>>> data = load_dataset(folder)
>>> len(data.leads)
300
>>> data.warnings
[]
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from leadscore import config
from leadscore.contract import TABLES, Table
from leadscore.errors import DataValidationError, LeadscoreError
from leadscore.io import (
    frame_to_arrow,
    os_error_message,
    remove_stale_temps,
    temp_name,
    temp_target,
    update_hash,
)
from leadscore.readers import find_table_file, iter_table_batches
from leadscore.validation import (
    DATE_ORDER_TOLERANCE,
    DEFAULT_MAX_ORPHAN_SHARE,
    Problem,
    empty_frame,
    example_values,
    is_known,
    merge_problems,
    orphan_problem,
    validate_table,
)

#: Rows per batch when streaming the large tables (events, account events).
BATCH_ROWS = 2_000_000
#: Tables small enough to hold in memory (one row per lead or account, or fewer).
SMALL_TABLES = ("leads", "accounts", "outcomes")
#: Large tables and the table their ids must exist in.
LARGE_TABLES = {"events": ("lead_id", "leads"), "account_events": ("account_id", "accounts")}
# 2: e-mail addresses are staged as their domain only.
# 3: the manifest records this version; only copies that do are the cache's (see _staged_manifest).
_STAGING_VERSION = 3
# A staged copy's folder: the source folder's name, "-" and the fingerprint's first 12 digits.
_STAGED_NAME = re.compile(r"^(?!\.).+-(?P<key>[0-9a-f]{12})$")
#: Keys of a staged copy's manifest.json; the staging version is written too.
_MANIFEST_KEYS = frozenset({"staging_version", "fingerprint", "source", "data_end", "problems"})
#: Staged copies kept in the interim folder at most (the least recently used go first).
MAX_STAGED_COPIES = 4
#: A staged copy used this recently is never removed: another run may still be reading it.
IN_USE_SECONDS = 3600


@dataclass
class Dataset:
    """The five validated tables of one dataset.

    Tables that were not provided are empty frames with the contract's columns, so downstream
    code never needs to special-case them; ``files`` tells which were read.
    """

    leads: pd.DataFrame
    accounts: pd.DataFrame
    events: pd.DataFrame
    account_events: pd.DataFrame
    outcomes: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def summary(self) -> pd.DataFrame:
        """Rows and date range of each table (one row per table in the contract)."""
        rows = []
        for name, spec in TABLES.items():
            frame = self.table(name)
            stamps = frame[spec.timestamp_columns[0]].dropna() if spec.timestamp_columns else ()
            rows.append(
                {
                    "table": name,
                    "file": self.files[name].name if name in self.files else "(not provided)",
                    "rows": len(frame),
                    "first": stamps.min() if len(stamps) else pd.NaT,
                    "last": stamps.max() if len(stamps) else pd.NaT,
                }
            )
        return pd.DataFrame(rows)

    def headline(self) -> dict[str, float]:
        """Key figures: leads, consent share, conversion rate, events per lead."""
        n_leads = len(self.leads)
        converted = self.outcomes["lead_id"].nunique()
        return {
            "leads": n_leads,
            "accounts": len(self.accounts),
            "consented_share": float(self.leads["consent"].mean()) if n_leads else 0.0,
            "conversion_rate": converted / n_leads if n_leads else 0.0,
            "events_per_lead": len(self.events) / n_leads if n_leads else 0.0,
        }


@dataclass
class StagedDataset:
    """A validated dataset as Parquet files (see :func:`stage_dataset`).

    The small tables are also held in memory; the large ones are only on disk.
    """

    folder: Path
    fingerprint: str
    leads: pd.DataFrame
    accounts: pd.DataFrame
    outcomes: pd.DataFrame
    #: Validated Parquet file of each of the five tables (empty files for absent tables).
    paths: dict[str, Path]
    #: Latest timestamp in the data (events, conversions, lead creation).
    data_end: pd.Timestamp
    problems: list[Problem] = field(default_factory=list)


def _check_leads(leads: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    no_consent = leads["consent"].isna()
    if no_consent.any():
        message = "empty consent is treated as no consent (these leads are not profiled)"
        problems.append(
            Problem("warning", "leads", file, "consent", message, int(no_consent.sum()))
        )
    leads = leads.assign(consent=leads["consent"].fillna(False).astype(bool))
    return leads, problems


def _check_outcomes(outcomes: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Keep one conversion per lead: the earliest. Rows without a date mean 'not converted'."""
    problems: list[Problem] = []
    outcomes = outcomes.dropna(subset=["converted_at"])
    repeated = outcomes["lead_id"].duplicated()
    if repeated.any():
        message = "leads converted more than once; the earliest conversion is kept"
        problems.append(
            Problem("warning", "outcomes", file, "lead_id", message, int(repeated.sum()))
        )
        outcomes = outcomes.sort_values(["lead_id", "converted_at"]).drop_duplicates("lead_id")
    return outcomes.sort_values("lead_id", kind="stable").reset_index(drop=True), problems


def _check_conversion_dates(
    outcomes: pd.DataFrame, leads: pd.DataFrame, file: str
) -> list[Problem]:
    """Conversions dated before the lead was created (a contact re-created after the deal?)."""
    created_at = outcomes["lead_id"].map(leads.set_index("lead_id")["created_at"])
    early = outcomes["converted_at"] < created_at - DATE_ORDER_TOLERANCE
    early = early.fillna(False).to_numpy(dtype=bool)
    if not early.any():
        return []
    message = (
        f"converted_at is more than {DATE_ORDER_TOLERANCE.days} day before the lead's created_at "
        "in leads: these leads count as converted before they existed, so they are never scored "
        "nor used for training"
    )
    return [
        Problem(
            "warning",
            "outcomes",
            file,
            "converted_at",
            message,
            int(early.sum()),
            example_values(outcomes.loc[early, "lead_id"]),
        )
    ]


def _check_lead_accounts(leads: pd.DataFrame, accounts: pd.DataFrame, file: str) -> list[Problem]:
    lead_accounts = leads["account_id"]
    unknown = lead_accounts.notna().to_numpy() & ~is_known(lead_accounts, accounts["account_id"])
    if not unknown.any():
        return []
    message = (
        "leads reference an account_id not in accounts; they are kept, without company attributes"
    )
    return [
        Problem(
            "warning",
            "leads",
            file,
            "account_id",
            message,
            int(unknown.sum()),
            example_values(lead_accounts[unknown]),
        )
    ]


Sink = Callable[[str, pd.DataFrame], None]


def _validate(
    data_dir: Path,
    now: pd.Timestamp | None,
    max_orphan_share: float,
    strict: bool,
    sink: Sink,
) -> tuple[dict[str, pd.DataFrame], dict[str, Path], list[Problem]]:
    """Validate every table; large tables are passed to ``sink`` batch by batch.

    Returns the small tables, the input file of each table found, and the problems.
    """
    if not data_dir.is_dir():
        raise LeadscoreError(f"{data_dir}: no such data folder.")
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for name, spec in TABLES.items():
        path = find_table_file(data_dir, name)
        if path is not None:
            files[name] = path
        elif spec.required:
            message = f"required table is missing: add {name}.csv or {name}.parquet"
            problems.append(Problem("error", name, f"{data_dir}/{name}.*", None, message))

    def file_of(name: str) -> str:
        return files[name].name if name in files else f"{name}.*"

    small: dict[str, pd.DataFrame] = {}
    for name in SMALL_TABLES:
        if name in files:
            small[name], found = validate_table(
                next(iter_table_batches(files[name])), TABLES[name], now
            )
            problems += found
        else:
            small[name] = empty_frame(TABLES[name])
    parents_ok = not any(p.severity == "error" for p in problems)
    if parents_ok:
        small["leads"], found = _check_leads(small["leads"], file_of("leads"))
        problems += found
        if "accounts" in files:
            problems += _check_lead_accounts(small["leads"], small["accounts"], file_of("leads"))
    known_ids = {"leads": small["leads"]["lead_id"], "accounts": small["accounts"]["account_id"]}

    for name, (key, parent) in LARGE_TABLES.items():
        if name not in files:
            continue
        if parent not in files and not TABLES[parent].required:
            message = f"{name.replace('_', ' ')} were given without an {parent} table"
            problems.append(Problem("error", name, file_of(name), key, message))
            continue
        problems += _validate_large(
            files[name],
            TABLES[name],
            now,
            key,
            known_ids[parent] if parents_ok else None,
            parent,
            max_orphan_share,
            lambda frame, n=name: sink(n, frame),
        )

    if parents_ok and "outcomes" in files:
        outcomes = small["outcomes"]
        orphan = ~is_known(outcomes["lead_id"], known_ids["leads"])
        found = orphan_problem(
            TABLES["outcomes"],
            file_of("outcomes"),
            "lead_id",
            "leads",
            int(orphan.sum()),
            len(outcomes),
            example_values(outcomes.loc[orphan, "lead_id"]),
            max_orphan_share,
        )
        problems += [found] if found else []
        small["outcomes"], found = _check_outcomes(outcomes[~orphan], file_of("outcomes"))
        problems += found
        problems += _check_conversion_dates(small["outcomes"], small["leads"], file_of("outcomes"))

    if strict:
        problems = [dataclasses.replace(p, severity="error") for p in problems]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataValidationError(errors)
    return small, files, problems


def _validate_large(
    path: Path,
    spec: Table,
    now: pd.Timestamp | None,
    key: str,
    known: pd.Series | None,
    parent: str,
    max_orphan_share: float,
    write: Callable[[pd.DataFrame], None],
) -> list[Problem]:
    """Validate a large table batch by batch, dropping rows whose ``key`` is unknown."""
    problems: list[Problem] = []
    n_rows = n_orphans = 0
    orphan_examples: tuple[str, ...] = ()
    for raw in iter_table_batches(path, BATCH_ROWS):
        frame, found = validate_table(raw, spec, now)
        problems += found
        n_rows += len(frame)
        if known is not None and len(frame):
            orphan = ~is_known(frame[key], known)
            n_orphans += int(orphan.sum())
            orphan_examples = tuple(
                dict.fromkeys(orphan_examples + example_values(frame.loc[orphan, key]))
            )[:5]
            frame = frame[~orphan].reset_index(drop=True)
        write(frame)
    found = orphan_problem(
        spec, path.name, key, parent, n_orphans, n_rows, orphan_examples, max_orphan_share
    )
    return merge_problems(problems + ([found] if found else []))


def load_dataset(
    data_dir: str | Path,
    *,
    now: pd.Timestamp | None = None,
    max_orphan_share: float = DEFAULT_MAX_ORPHAN_SHARE,
    strict: bool = False,
) -> Dataset:
    """Read and validate every table in ``data_dir`` into memory.

    Parameters
    ----------
    data_dir : str or Path
        Folder with ``leads.*`` (required), ``events.*`` (required), ``accounts.*``,
        ``account_events.*`` and ``outcomes.*`` as CSV or Parquet.
    now : Timestamp, optional
        Reference time for the "timestamp in the future" check; default: the current time.
    max_orphan_share : float
        Largest share of rows pointing at unknown leads/accounts that is dropped with a warning
        rather than rejected.
    strict : bool
        Treat warnings as errors.

    Returns
    -------
    Dataset

    Raises
    ------
    LeadscoreError
        When the folder does not exist or a table is present twice.
    DataValidationError
        Listing every error found, when any table breaks the contract.
    """
    batches: dict[str, list[pd.DataFrame]] = {name: [] for name in LARGE_TABLES}
    small, files, problems = _validate(
        Path(data_dir), now, max_orphan_share, strict, lambda n, f: batches[n].append(f)
    )
    large = {
        name: pd.concat(frames, ignore_index=True) if frames else empty_frame(TABLES[name])
        for name, frames in batches.items()
    }
    return Dataset(**small, **large, files=files, problems=problems)


def fingerprint(data_dir: str | Path, **options: object) -> str:
    """Content hash of a dataset's table files (and of the options that change validation)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([_STAGING_VERSION, options], sort_keys=True, default=str).encode())
    for name in TABLES:
        path = find_table_file(Path(data_dir), name)
        if path is None:
            continue
        digest.update(path.name.encode())
        update_hash(digest, path)
    return digest.hexdigest()


class _ParquetSink:
    """Write validated batches of each large table to one Parquet file per table."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.latest: dict[str, pd.Timestamp] = {}

    def __call__(self, name: str, frame: pd.DataFrame) -> None:
        table = frame_to_arrow(frame)
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(self.folder / f"{name}.parquet", table.schema)
        self.writers[name].write_table(table)
        stamp = frame["occurred_at"].max() if len(frame) else pd.NaT
        if pd.notna(stamp):
            self.latest[name] = max(self.latest.get(name, stamp), stamp)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def stage_dataset(
    data_dir: str | Path,
    *,
    interim_dir: str | Path | None = None,
    now: pd.Timestamp | None = None,
    max_orphan_share: float = DEFAULT_MAX_ORPHAN_SHARE,
    strict: bool = False,
) -> StagedDataset:
    """Validate ``data_dir`` into Parquet files that DuckDB can aggregate out of core.

    The result lives in ``interim_dir/<folder name>-<fingerprint>/`` and is reused while the
    input files are unchanged. Validation is the same as :func:`load_dataset`'s; only the large
    tables are streamed in batches instead of being held in memory.

    Only what the features need is staged: e-mail addresses are reduced to their domain
    (``@example.com``), which is all :func:`leadscore.features.explicit.email_domain_type` reads.

    Each run stages into a temporary folder of its own and renames it into place, so runs on the
    same new data at once all succeed (the first rename wins; the others use its copy). The cache
    is bounded: after staging, older copies of the same source folder are removed, and at most
    :data:`MAX_STAGED_COPIES` copies are kept, the least recently used removed first; a copy used
    within :data:`IN_USE_SECONDS` is never removed. :func:`clear_staged` removes them all.

    Raises
    ------
    LeadscoreError
        When the folder does not exist or the staged copy cannot be written (naming the interim
        folder and why: no space left, permission denied ...).
    DataValidationError
        Listing every error found, when any table breaks the contract.
    """
    data_dir = Path(data_dir)
    interim_dir = Path(interim_dir) if interim_dir is not None else config.INTERIM_DATA_DIR
    key = fingerprint(data_dir, max_orphan_share=max_orphan_share, strict=strict)
    folder = interim_dir / f"{data_dir.resolve().name}-{key[:12]}"
    if _staged_manifest(folder) is not None:
        with contextlib.suppress(FileNotFoundError):  # else pruned meanwhile: stage anew
            return _use_staged(folder)

    if not data_dir.is_dir():
        raise LeadscoreError(f"{data_dir}: no such data folder.")
    try:
        interim_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(interim_dir, folder.name)
        staging = interim_dir / temp_name(folder.name)
        staging.mkdir()
    except OSError as exc:
        raise LeadscoreError(_staging_error(exc, interim_dir)) from None
    sink = _ParquetSink(staging)
    try:
        small, _files, problems = _validate(data_dir, now, max_orphan_share, strict, sink)
        sink.close()
        small["leads"] = small["leads"].assign(email=email_domains(small["leads"]["email"]))
        for name, frame in small.items():
            pq.write_table(frame_to_arrow(frame), staging / f"{name}.parquet")
        for name in LARGE_TABLES:
            if name not in sink.writers:
                pq.write_table(
                    frame_to_arrow(empty_frame(TABLES[name])),
                    staging / f"{name}.parquet",
                )
        stamps = [
            *sink.latest.values(),
            small["outcomes"]["converted_at"].max(),
            small["leads"]["created_at"].max(),
        ]
        data_end = max(s for s in stamps if pd.notna(s))
        manifest_data = {
            "staging_version": _STAGING_VERSION,
            "fingerprint": key,
            "source": str(data_dir.resolve()),
            "data_end": data_end.isoformat(),
            "problems": [vars(p) for p in problems],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest_data, indent=2))
        _move_into_place(staging, folder)
    except OSError as exc:
        sink.close()
        shutil.rmtree(staging, ignore_errors=True)
        if exc.filename is not None and interim_dir.resolve() not in Path(exc.filename).parents:
            raise  # not a failure to write the staged copy
        raise LeadscoreError(_staging_error(exc, interim_dir)) from None
    except BaseException:
        sink.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    staged = _use_staged(folder)
    prune_staged(interim_dir, keep=folder)
    return staged


def email_domains(emails: pd.Series) -> pd.Series:
    """Reduce e-mail addresses to ``@domain`` (lower case); anything else becomes missing.

    Examples
    --------
    >>> email_domains(pd.Series([" Anna.M@Brandt.DE", "no address", None])).tolist()
    ['@brandt.de', <NA>, <NA>]
    """
    text = emails.astype("string").str.strip().str.lower()
    return text.str.extract(r"(@[^@\s]+)$")[0].rename(emails.name)


def _staging_error(exc: OSError, interim_dir: Path) -> str:
    reason = os_error_message(exc, interim_dir) or f"{interim_dir}: cannot write ({exc})."
    return f"{reason} (the staged copy of the data goes there; set LEADSCORE_HOME elsewhere)"


def _move_into_place(staging: Path, folder: Path) -> None:
    """Rename a finished staging folder to ``folder``; if another run got there first, keep its."""
    if folder.is_dir() and not (folder / "manifest.json").is_file():
        shutil.rmtree(folder, ignore_errors=True)  # a broken copy: no run writes into it
    try:
        staging.rename(folder)
    except OSError:
        if _staged_manifest(folder) is None:
            raise
        shutil.rmtree(staging, ignore_errors=True)  # same inputs, same content: use theirs


def _use_staged(folder: Path) -> StagedDataset:
    """Mark a staged copy as used now (see :func:`prune_staged`), then read it."""
    with contextlib.suppress(OSError):
        os.utime(folder)
    return _read_staged(folder)


def staged_copies(interim_dir: str | Path | None = None) -> pd.DataFrame:
    """The staged copies in ``interim_dir``: folder, source, megabytes and last use.

    Only folders written by :func:`stage_dataset` of this staging version are listed (see
    :func:`_staged_manifest`); anything else in the folder is not the cache's and is never
    touched, however much it looks like a staged copy.
    """
    interim_dir = Path(interim_dir) if interim_dir is not None else config.INTERIM_DATA_DIR
    try:
        entries = sorted(interim_dir.iterdir()) if interim_dir.is_dir() else []
    except OSError:
        entries = []
    rows = []
    for folder in entries:
        content = _staged_manifest(folder)
        if content is None:
            continue
        try:
            size = sum(f.stat().st_size for f in folder.iterdir())
            used = folder.stat().st_mtime
        except OSError:
            continue  # removed meanwhile
        rows.append(
            {
                "folder": folder,
                "source": content["source"],
                "megabytes": size / 1e6,
                "last_used": pd.Timestamp(used, unit="s", tz="UTC"),
            }
        )
    columns = ["folder", "source", "megabytes", "last_used"]
    return pd.DataFrame(rows, columns=columns).sort_values("last_used", ascending=False)


def prune_staged(interim_dir: str | Path | None = None, keep: Path | None = None) -> list[Path]:
    """Bound the staging cache; returns the staged copies removed.

    Keeps the most recently used copy of each source folder and at most
    :data:`MAX_STAGED_COPIES` copies in all; ``keep`` and any copy used within
    :data:`IN_USE_SECONDS` always stay.
    """
    copies = staged_copies(interim_dir)
    in_use = copies["last_used"] >= pd.Timestamp.now(tz="UTC") - pd.Timedelta(
        seconds=IN_USE_SECONDS
    )
    newest_of_source = ~copies["source"].duplicated()  # sorted by last use, newest first
    beyond_cap = pd.Series(range(len(copies)), index=copies.index) >= MAX_STAGED_COPIES
    spare = (~newest_of_source | beyond_cap) & ~in_use
    if keep is not None:
        spare &= copies["folder"].map(Path.resolve) != Path(keep).resolve()
    return [folder for folder in copies.loc[spare, "folder"] if _remove_staged(folder)]


def clear_staged(interim_dir: str | Path | None = None) -> list[Path]:
    """Remove every staged copy and the staging leftovers of killed runs; returns what went.

    Temporary folders of runs still staging are left alone, and so is anything in the folder
    that :func:`stage_dataset` did not write.
    """
    interim_dir = Path(interim_dir) if interim_dir is not None else config.INTERIM_DATA_DIR
    removed = [f for f in staged_copies(interim_dir)["folder"] if _remove_staged(f)]
    for folder in removed:
        removed += remove_stale_temps(interim_dir, folder.name)
    if interim_dir.is_dir():
        for leftover in interim_dir.glob(".*.tmp"):
            if (target := temp_target(leftover.name)) is not None:
                removed += remove_stale_temps(interim_dir, target)
    return list(dict.fromkeys(removed))


def _staged_manifest(folder: Path) -> dict | None:
    """The manifest of a staged copy written by :func:`stage_dataset`; None for anything else.

    A staged copy is a real folder (not a link) named ``<source folder>-<12 hex digits>``
    holding nothing but ``manifest.json`` and Parquet files named after contract tables; its
    manifest has exactly the keys :func:`stage_dataset` writes, this staging version, and a
    fingerprint that the folder name starts with. The cache lists, reuses and removes only
    such folders, so a folder of the user's that merely holds a ``manifest.json`` is never
    touched.
    """
    match = _STAGED_NAME.match(folder.name)
    if match is None or folder.is_symlink() or not folder.is_dir():
        return None
    allowed = {"manifest.json", *(f"{name}.parquet" for name in TABLES)}
    try:
        entries = list(folder.iterdir())
        if any(e.name not in allowed or e.is_symlink() or not e.is_file() for e in entries):
            return None
        content = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # removed meanwhile, or no manifest of ours
    if not isinstance(content, dict) or content.keys() != _MANIFEST_KEYS:
        return None
    fingerprint, source = content["fingerprint"], content["source"]
    if (
        content["staging_version"] != _STAGING_VERSION
        or not isinstance(fingerprint, str)
        or not re.fullmatch(r"[0-9a-f]{32}", fingerprint)
        or not fingerprint.startswith(match["key"])
        or not isinstance(source, str)
        or not isinstance(content["data_end"], str)
        or not isinstance(content["problems"], list)
    ):
        return None
    return content


def _remove_staged(folder: Path) -> bool:
    """Remove the manifest first, so the copy stops counting as staged at once."""
    try:
        (folder / "manifest.json").unlink()
    except OSError:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def _read_staged(folder: Path) -> StagedDataset:
    manifest = json.loads((folder / "manifest.json").read_text())
    paths = {name: folder / f"{name}.parquet" for name in TABLES}
    small = {name: pd.read_parquet(paths[name]) for name in SMALL_TABLES}
    problems = [Problem(**{**p, "examples": tuple(p["examples"])}) for p in manifest["problems"]]
    return StagedDataset(
        folder=folder,
        fingerprint=manifest["fingerprint"],
        paths=paths,
        data_end=pd.Timestamp(manifest["data_end"]),
        problems=problems,
        **small,
    )
