"""Load a folder of CRM exports into validated tables.

A dataset is a folder with one file per table of :mod:`leadscore.contract`, named after it
(``leads.parquet`` or ``leads.csv``, ``accounts.*``, ``events.*``, ``account_events.*``,
``outcomes.*``), or a folder of Parquet parts named after it (``events/``, also hive-partitioned:
see :func:`leadscore.readers.table_parts`). Both entry points validate every table with
:func:`leadscore.validation.validate_table`, run the cross-table checks and either succeed or
raise one :class:`~leadscore.errors.DataValidationError` listing every problem:

- :func:`load_dataset` returns the five tables in memory (:class:`Dataset`);
- :func:`stage_dataset` streams the large tables (events, account events) in batches into
  validated Parquet files under ``data/interim`` for DuckDB to aggregate out of core, so memory
  stays bounded whatever the number of events. Staging is cached by the inputs' content hash,
  and each part of a large table by its own (:mod:`leadscore.staged_parts`), so a nightly run
  that adds a part validates only that part and the small tables; the caches are bounded
  (:func:`prune_staged`) and can be cleared (:func:`clear_staged`).

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
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from leadscore import config, staged_parts
from leadscore.contract import TABLES, Table
from leadscore.errors import DataValidationError, LeadscoreError
from leadscore.io import (
    frame_to_arrow,
    os_error_message,
    remove_stale_temps,
    temp_name,
    temp_target,
)
from leadscore.readers import (
    TablePart,
    find_table_file,
    iter_table_batches,
    table_label,
    table_parts,
)
from leadscore.staged_parts import StagedPart
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
# 4: large tables are folders of validated parts (links into the per-part cache), orphans kept.
_STAGING_VERSION = 4
# A staged copy's folder: the source folder's name, "-" and the fingerprint's first 12 digits.
_STAGED_NAME = re.compile(r"^(?!\.).+-(?P<key>[0-9a-f]{12})$")
# A part of a large table in a staged copy.
_STAGED_PART_NAME = re.compile(r"^part-\d{5}\.parquet$")
#: Keys of a staged copy's manifest.json; the staging version is written too.
_MANIFEST_KEYS = frozenset(
    {"staging_version", "fingerprint", "source", "data_end", "first_event", "parts", "problems"}
)
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
                    "file": table_label(self.files[name])
                    if name in self.files
                    else "(not provided)",
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
    #: Validated Parquet file of each small table, and folder of Parquet parts of each large
    #: table (one empty file for a table that was not given). The large tables keep rows whose
    #: lead or account is unknown: join them to ``leads`` or ``accounts``.
    paths: dict[str, Path]
    #: Latest timestamp in the data (events, conversions, lead creation).
    data_end: pd.Timestamp
    problems: list[Problem] = field(default_factory=list)
    #: Earliest event of a known lead (``NaT`` without events).
    first_event: pd.Timestamp = pd.NaT
    #: The parts of each large table, in order (the files of ``paths[name]``), with their
    #: content keys and day ranges: what caches of things computed per part are keyed by.
    parts: dict[str, list[StagedPart]] = field(default_factory=dict)


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


#: Validates a large table, given its name, its file or folder and the ids of its parent
#: table (``None`` when the parent has errors: no orphan check); returns the problems.
LargeTableCheck = Callable[[str, Path, "pd.Series | None"], list[Problem]]


def _find_tables(data_dir: Path) -> tuple[dict[str, Path], list[Problem]]:
    """The file or folder of each table found, and an error for each required one missing."""
    if not data_dir.is_dir():
        raise LeadscoreError(f"{data_dir}: no such data folder.")
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for name, spec in TABLES.items():
        path = find_table_file(data_dir, name)
        if path is not None:
            files[name] = path
        elif spec.required:
            message = (
                f"required table is missing: add {name}.csv, {name}.parquet or a folder "
                f"{name}/ of Parquet files"
            )
            problems.append(Problem("error", name, f"{data_dir}/{name}.*", None, message))
    return files, problems


def _validate(
    files: dict[str, Path],
    missing: list[Problem],
    now: pd.Timestamp | None,
    max_orphan_share: float,
    strict: bool,
    check_large: LargeTableCheck,
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Validate every table of ``files``; the large ones with ``check_large``.

    Returns the small tables and the problems (``missing``: those of :func:`_find_tables`).
    """
    problems = list(missing)

    def file_of(name: str) -> str:
        return table_label(files[name]) if name in files else f"{name}.*"

    small: dict[str, pd.DataFrame] = {}
    for name in SMALL_TABLES:
        if name in files:
            small[name], found = _validate_small(files[name], TABLES[name], now)
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
        problems += check_large(name, files[name], known_ids[parent] if parents_ok else None)

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
    return small, problems


def _validate_small(
    path: Path, spec: Table, now: pd.Timestamp | None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate a small table in memory; the parts of a table folder one by one.

    Each part's problems name the part; an id given in two parts is an error naming the folder.
    """
    frames, problems = [], []
    for raw in iter_table_batches(path, None, spec.column_names):
        frame, found = validate_table(raw, spec, now)
        frames.append(frame)
        problems += found
    if len(frames) == 1:
        return frames[0], problems
    key = spec.primary_key
    within = [f[key].duplicated(keep=False) for f in frames] if key else []
    frame = pd.concat(frames, ignore_index=True)
    if key and not any(p.severity == "error" for p in problems):
        ids = frame[key]
        across = ids.duplicated(keep=False) & ids.notna() & ~pd.concat(within, ignore_index=True)
        if across.any():
            message = "duplicate ids: the same id is in more than one part of the folder"
            problems.append(
                Problem(
                    "error",
                    spec.name,
                    table_label(path),
                    key,
                    message,
                    int(across.sum()),
                    example_values(ids[across]),
                )
            )
    return frame, problems


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
    for raw in iter_table_batches(path, BATCH_ROWS, spec.column_names):
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
        spec, table_label(path), key, parent, n_orphans, n_rows, orphan_examples, max_orphan_share
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

    def check_large(name: str, path: Path, known: pd.Series | None) -> list[Problem]:
        key, parent = LARGE_TABLES[name]
        spec = TABLES[name]
        return _validate_large(
            path, spec, now, key, known, parent, max_orphan_share, batches[name].append
        )

    files, missing = _find_tables(Path(data_dir))
    small, problems = _validate(files, missing, now, max_orphan_share, strict, check_large)
    large = {
        name: pd.concat(frames, ignore_index=True) if frames else empty_frame(TABLES[name])
        for name, frames in batches.items()
    }
    return Dataset(**small, **large, files=files, problems=problems)


def fingerprint(data_dir: str | Path, **options: object) -> str:
    """Content hash of a dataset's table files (and of the options that change validation).

    A table folder's every part counts, by its path in the folder and its content.
    """
    inputs = _table_parts(_find_tables(Path(data_dir))[0])
    hashes = staged_parts.content_hashes(p.path for parts in inputs.values() for p in parts)
    return _fingerprint(inputs, hashes, options)


def _table_parts(files: dict[str, Path]) -> dict[str, list[TablePart]]:
    """The parts of each table found (one for a table given as a file)."""
    return {name: table_parts(path, TABLES[name].column_names) for name, path in files.items()}


def _fingerprint(
    inputs: dict[str, list[TablePart]], hashes: dict[Path, str], options: dict[str, object]
) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([_STAGING_VERSION, options], sort_keys=True, default=str).encode())
    for name in TABLES:
        for part in inputs.get(name, []):
            digest.update(json.dumps([part.name, hashes[part.path]]).encode())
    return digest.hexdigest()


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
    input files are unchanged. Validation is the same as :func:`load_dataset`'s, with the same
    problems; only the large tables are streamed in batches instead of being held in memory.

    Each part of a large table (a table's only file, or each Parquet part of a table folder) is
    validated once and cached by its content (:mod:`leadscore.staged_parts`): a nightly run on
    yesterday's parts plus a new one validates the new part and the small tables only. The
    staged large tables keep the rows whose lead or account is unknown (which rows those are
    changes with the leads): everything that reads them joins them to the staged leads or
    accounts, and the orphan warning (or error) is the one :func:`load_dataset` gives.

    Only what the features need is staged: e-mail addresses are reduced to their domain
    (``@example.com``), which is all :func:`leadscore.features.explicit.email_domain_type` reads.

    Each run stages into a temporary folder of its own and renames it into place, so runs on the
    same new data at once all succeed (the first rename wins; the others use its copy). The cache
    is bounded: after staging, older copies of the same source folder are removed, and at most
    :data:`MAX_STAGED_COPIES` copies are kept, the least recently used removed first; a copy used
    within :data:`IN_USE_SECONDS` is never removed; cached parts no copy uses go with them.
    :func:`clear_staged` removes them all.

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
    files, missing = _find_tables(data_dir)
    inputs = _table_parts(files)
    hashes = staged_parts.content_hashes(
        (p.path for parts in inputs.values() for p in parts), interim_dir
    )
    options = {"max_orphan_share": max_orphan_share, "strict": strict}
    key = _fingerprint(inputs, hashes, options)
    folder = interim_dir / f"{data_dir.resolve().name}-{key[:12]}"
    if _staged_manifest(folder) is not None:
        with contextlib.suppress(FileNotFoundError):  # else pruned meanwhile: stage anew
            return _use_staged(folder)

    large: dict[str, list[StagedPart]] = {}
    usage: dict[str, staged_parts.KeyUsage] = {}

    def check_large(name: str, path: Path, known: pd.Series | None) -> list[Problem]:
        key_column, parent = LARGE_TABLES[name]
        spec = TABLES[name]
        parts = inputs[name]
        large[name] = [
            staged_parts.stage_part(
                part, spec, key_column, hashes[part.path], now, interim_dir, BATCH_ROWS
            )
            for part in [p for p in parts if p.rows != 0] or parts[:1]
        ]
        problems = [problem for part in large[name] for problem in part.problems]
        if known is not None:
            usage[name] = found = staged_parts.key_usage(large[name], known, interim_dir)
            orphans = orphan_problem(
                spec,
                table_label(path),
                key_column,
                parent,
                found.orphans,
                found.rows,
                found.examples,
                max_orphan_share,
            )
            problems += [orphans] if orphans else []
        return merge_problems(problems)

    staging = None
    try:
        small, problems = _validate(files, missing, now, max_orphan_share, strict, check_large)
        interim_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(interim_dir, folder.name)
        staging = interim_dir / temp_name(folder.name)
        staging.mkdir()
        small["leads"] = small["leads"].assign(email=email_domains(small["leads"]["email"]))
        for name, frame in small.items():
            pq.write_table(frame_to_arrow(frame), staging / f"{name}.parquet")
        for name in LARGE_TABLES:
            _link_parts(large.get(name, []), staging / name, TABLES[name])
        stamps = [
            *(u.last_at for u in usage.values()),
            small["outcomes"]["converted_at"].max(),
            small["leads"]["created_at"].max(),
        ]
        data_end = max(s for s in stamps if pd.notna(s))
        first_event = usage["events"].first_at if "events" in usage else pd.NaT
        manifest_data = {
            "staging_version": _STAGING_VERSION,
            "fingerprint": key,
            "source": str(data_dir.resolve()),
            "data_end": data_end.isoformat(),
            "first_event": None if pd.isna(first_event) else first_event.isoformat(),
            "parts": {name: [part.describe() for part in parts] for name, parts in large.items()},
            "problems": [vars(p) for p in problems],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest_data, indent=2))
        _move_into_place(staging, folder)
    except OSError as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if exc.filename is not None and interim_dir.resolve() not in Path(exc.filename).parents:
            raise  # not a failure to write the staged copy
        raise LeadscoreError(_staging_error(exc, interim_dir)) from None
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    staged = _use_staged(folder)
    prune_staged(interim_dir, keep=folder)
    return staged


def _link_parts(parts: list[StagedPart], folder: Path, spec: Table) -> None:
    """The staged copy's folder of a large table: a link to each part's validated rows.

    Hard links cost nothing and keep a part readable by the copy even when the per-part cache
    drops it; where the file system has none, the file is copied.
    """
    folder.mkdir()
    if not parts:
        pq.write_table(frame_to_arrow(empty_frame(spec)), folder / "part-00000.parquet")
    for number, part in enumerate(parts):
        target = folder / f"part-{number:05d}.parquet"
        try:
            os.link(part.file, target)
        except OSError:
            shutil.copyfile(part.file, target)


def email_domains(emails: pd.Series) -> pd.Series:
    """Reduce e-mail addresses to ``@domain`` (lower case); anything else becomes missing.

    Examples
    --------
    >>> email_domains(pd.Series([" Anna.M@Brandt.DE", "no address", None])).tolist()
    ['@brandt.de', <NA>, <NA>]
    """
    text = pd.StringDtype("pyarrow")  # Arrow's string kernels: no Python call per address
    addresses = pc.utf8_lower(pc.utf8_trim_whitespace(pa.array(emails.astype(text).array)))
    domains = pc.struct_field(pc.extract_regex(addresses, r"(?P<domain>@[^@\s]+)$"), [0])
    return pd.Series(domains, index=emails.index, dtype=text, name=emails.name)


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
            size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
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
    :data:`IN_USE_SECONDS` always stay. Cached parts (:mod:`leadscore.staged_parts`) that no
    remaining copy uses go too, once unused for :data:`IN_USE_SECONDS`.
    """
    interim_dir = Path(interim_dir) if interim_dir is not None else config.INTERIM_DATA_DIR
    copies = staged_copies(interim_dir)
    in_use = copies["last_used"] >= pd.Timestamp.now(tz="UTC") - pd.Timedelta(
        seconds=IN_USE_SECONDS
    )
    newest_of_source = ~copies["source"].duplicated()  # sorted by last use, newest first
    beyond_cap = pd.Series(range(len(copies)), index=copies.index) >= MAX_STAGED_COPIES
    spare = (~newest_of_source | beyond_cap) & ~in_use
    if keep is not None:
        spare &= copies["folder"].map(Path.resolve) != Path(keep).resolve()
    removed = [folder for folder in copies.loc[spare, "folder"] if _remove_staged(folder)]
    used = {
        part["key"]
        for folder in copies.loc[~spare, "folder"]
        for parts in (_staged_manifest(folder) or {"parts": {}})["parts"].values()
        for part in parts
    }
    staged_parts.prune_parts(interim_dir, used, IN_USE_SECONDS)
    return removed


def clear_staged(interim_dir: str | Path | None = None) -> list[Path]:
    """Remove every staged copy, the staging leftovers of killed runs and the per-part cache
    (with what was computed from the parts); returns the staged copies and leftovers removed.

    Temporary folders of runs still staging are left alone, and so is anything in the folder
    that :func:`stage_dataset` did not write.
    """
    interim_dir = Path(interim_dir) if interim_dir is not None else config.INTERIM_DATA_DIR
    removed = [f for f in staged_copies(interim_dir)["folder"] if _remove_staged(f)]
    staged_parts.clear_parts(interim_dir)
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
    holding nothing but ``manifest.json``, Parquet files named after the small contract tables
    and folders named after the large ones that hold nothing but ``part-NNNNN.parquet`` files;
    its manifest has exactly the keys :func:`stage_dataset` writes, this staging version, and a
    fingerprint that the folder name starts with. The cache lists, reuses and removes only
    such folders, so a folder of the user's that merely holds a ``manifest.json`` is never
    touched.
    """
    match = _STAGED_NAME.match(folder.name)
    if match is None or folder.is_symlink() or not folder.is_dir():
        return None
    files = {"manifest.json", *(f"{name}.parquet" for name in SMALL_TABLES)}
    try:
        for entry in folder.iterdir():
            if entry.is_symlink():
                return None
            if entry.name in LARGE_TABLES and entry.is_dir():
                parts = list(entry.iterdir())
                if any(
                    not _STAGED_PART_NAME.match(p.name) or p.is_symlink() or not p.is_file()
                    for p in parts
                ):
                    return None
            elif entry.name not in files or not entry.is_file():
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
        or not isinstance(content["first_event"], str | None)
        or not isinstance(content["parts"], dict)
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
    paths = {name: folder / f"{name}.parquet" for name in SMALL_TABLES}
    paths |= {name: folder / name for name in LARGE_TABLES}
    small = {name: pd.read_parquet(paths[name]) for name in SMALL_TABLES}
    problems = [Problem(**{**p, "examples": tuple(p["examples"])}) for p in manifest["problems"]]
    parts = {
        name: [
            staged_parts.from_description(
                name, part, paths[name] / f"part-{number:05d}.parquet", folder.parent
            )
            for number, part in enumerate(described)
        ]
        for name, described in manifest["parts"].items()
    }
    first_event = manifest["first_event"]
    return StagedDataset(
        folder=folder,
        fingerprint=manifest["fingerprint"],
        paths=paths,
        data_end=pd.Timestamp(manifest["data_end"]),
        problems=problems,
        first_event=pd.NaT if first_event is None else pd.Timestamp(first_event),
        parts=parts,
        **small,
    )
