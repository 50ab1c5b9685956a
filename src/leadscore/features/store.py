"""Training tables on disk: one Parquet file that knows what made it, and a cache of them.

A training table is worth keeping: building it aggregates every event of every lead once per
cutoff. :func:`save_training_table` writes it to one Parquet file that carries, besides the
rows, everything needed to trust and reuse it; :func:`load_training_table` reads it back as the
:class:`FeatureTable` that :func:`~leadscore.features.pipeline.build_training_table` returns.
``build_training_table`` keeps the tables it builds in a cache (``data/interim/training_tables``)
and serves a later build from the same inputs from it, so ``features``, ``train`` and
``compare`` on the same data build the table once.

The file format (version 1)
---------------------------
This format is the contract between the engines that build training tables (DuckDB here, Spark
later) and everything that trains on them. A training table file is a Parquet file with

- the columns ``lead_id`` (text), ``account_id`` (text, may be missing), ``cutoff`` (timestamp,
  UTC, midnight), ``label`` (integer 0 or 1, never missing), then one column per catalogue entry
  in the catalogue's order: numbers (any integer or floating-point type; missing = unknown or
  never) for ``numeric`` features, text for ``categorical`` ones. Nothing else.
- one entry in the file's key-value metadata, key ``leadscore.training_table``, whose value is a
  UTF-8 JSON object with exactly these keys:

  ``format``
      ``"leadscore-training-table"``.
  ``format_version``
      ``1``. A reader refuses any other version: the table is built again.
  ``leadscore_version``
      The version of the package that wrote it (information; not checked).
  ``fingerprint``
      The data fingerprint (:func:`leadscore.dataset.fingerprint`): which input files, to the
      byte, the table was built from.
  ``cutoffs``
      The cutoffs as ISO 8601 timestamps (``"2025-01-01T00:00:00+00:00"``); every row's
      ``cutoff`` is one of them.
  ``horizon_days``
      The label window after each cutoff, in days.
  ``settings``
      The feature settings (:class:`~leadscore.features.settings.Settings`), in the tagged JSON
      that model bundles use: ``{"__dataclass__": "Settings", "fields": {...}}``, tuples as
      ``{"__tuple__": [...]}``, sets as ``{"__set__": [...]}`` (sorted). The settings file is
      named without its folder. A model trained from the table scores with these settings.
  ``catalogue``
      One object per feature column, in column order, with the fields of
      :class:`~leadscore.features.catalogue.Feature`: ``name``, ``group``, ``description``,
      ``kind``, ``family``, ``sql`` (``null`` when an engine computes it otherwise).
  ``warnings``
      The data's validation warnings, as sentences.

An engine that cannot write key-value metadata writes the rows and then rewrites the footer
with PyArrow (``table.replace_schema_metadata``). CSV output (``save_training_table`` to a
``.csv`` name, for people) keeps only the rows; it cannot be loaded back.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from leadscore.synthetic import generate
>>> from leadscore.features.pipeline import build_training_table
>>> folder = Path(tempfile.mkdtemp())
>>> _ = generate(folder / "data", n_leads=300, seed=1)
>>> table = build_training_table(folder / "data", ["2025-06-01"], interim_dir=folder / "i")
>>> _ = save_training_table(table, folder / "training.parquet")
>>> again = load_training_table(folder / "training.parquet")
>>> again.frame.equals(table.frame), again.horizon_days, again.settings.windows_days
(True, 90, (7, 30, 90, 365))
>>> build_training_table(folder / "data", ["2025-06-01"], interim_dir=folder / "i").from_cache
True
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from leadscore import config
from leadscore.dataset import clear_staged
from leadscore.errors import LeadscoreError, excerpt
from leadscore.features.catalogue import Feature, catalogue_frame
from leadscore.features.settings import IntentSignal, Settings, TitleRule, TitleRules
from leadscore.io import (
    atomic_path,
    frame_to_arrow,
    remove_stale_temps,
    temp_target,
    write_table,
)
from leadscore.schema import CUTOFF, KEYS, LABEL, LEAD_ID

FORMAT = "leadscore-training-table"
FORMAT_VERSION = 1
#: The key of the table's description in the Parquet file's key-value metadata.
METADATA_KEY = b"leadscore.training_table"
_METADATA_FIELDS = (
    "format",
    "format_version",
    "leadscore_version",
    "fingerprint",
    "cutoffs",
    "horizon_days",
    "settings",
    "catalogue",
    "warnings",
)
#: The columns before the features, in this order (named in :mod:`leadscore.schema`).
ID_COLUMNS = KEYS
#: The cache's folder inside the interim folder (``data/interim``).
CACHE_FOLDER = "training_tables"
#: Training tables kept in the cache at most (the least recently used go first).
MAX_CACHED_TABLES = 4
_CACHED_NAME = re.compile(r"^(?P<key>[0-9a-f]{32})-[0-9a-f]{12}\.parquet$")
#: Libraries whose version could change a computed feature (float sums, string handling).
_LIBRARIES = ("duckdb", "numpy", "pandas", "pyarrow")
_RECORDS = {cls.__name__: cls for cls in (Settings, IntentSignal, TitleRule, TitleRules)}


@dataclass
class FeatureTable:
    """A training or scoring table with its feature catalogue and what made it.

    ``settings`` are the feature settings it was built with (a model trained on it scores
    with them); ``from_cache`` tells that ``build_training_table`` read it from the cache
    instead of building it.
    """

    frame: pd.DataFrame
    catalogue: list[Feature]
    cutoffs: list[pd.Timestamp]
    horizon_days: int | None
    fingerprint: str
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    #: Scoring tables: leads left out and why (see :func:`leadscore.features.entity.left_out`).
    skipped: dict[str, int] = field(default_factory=dict)
    #: What the user should know: the data's validation warnings, an as-of date after the data.
    warnings: list[str] = field(default_factory=list)
    settings: Settings | None = None
    from_cache: bool = False

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.catalogue]

    def catalogue_frame(self) -> pd.DataFrame:
        return catalogue_frame(self.catalogue)


# -- the file -------------------------------------------------------------------------------------


def catalogue_path(path: str | Path) -> Path:
    """Where :func:`save_training_table` puts the catalogue of a table written to ``path``.

    >>> catalogue_path("data/processed/training.parquet").name
    'training_catalogue.csv'
    """
    path = Path(path)
    return path.with_name(f"{path.stem}_catalogue.csv")


#: Rows per Parquet row group of a saved training table (what ``sample`` holds at once).
ROW_GROUP_ROWS = 100_000


def save_training_table(
    table: FeatureTable, path: str | Path, *, with_catalogue: bool = True
) -> Path:
    """Write a training table to ``path`` atomically: Parquet (loadable) or CSV (for people).

    Parameters
    ----------
    table : FeatureTable
        A training table (with labels), as ``build_training_table`` returns it.
    path : str or Path
        ``.parquet``: one self-describing file (see the module's description of the format);
        ``.csv``: the rows only, safe to open in a spreadsheet.
    with_catalogue : bool
        Also write the feature catalogue as CSV beside it (:func:`catalogue_path`).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    LeadscoreError
        For a scoring table (no labels), another suffix, or a file that cannot be written.
    """
    path = Path(path)
    if table.horizon_days is None or LABEL not in table.frame.columns:
        raise LeadscoreError(
            f"{path}: a scoring table has no labels; only training tables are saved."
        )
    if path.suffix.lower() == ".parquet":
        arrow = frame_to_arrow(table.frame)
        description = json.dumps(_describe(table)).encode()
        arrow = arrow.replace_schema_metadata({**arrow.schema.metadata, METADATA_KEY: description})
        with atomic_path(path) as tmp:  # small row groups: `sample` reads one at a time
            pq.write_table(arrow, tmp, row_group_size=ROW_GROUP_ROWS)
    else:
        write_table(table.frame, path)  # refuses suffixes other than .csv and .parquet
    if with_catalogue:
        write_table(table.catalogue_frame(), catalogue_path(path))
    return path


def load_training_table(path: str | Path, *, sample: float | None = None) -> FeatureTable:
    """Read a training table written by :func:`save_training_table` (or another engine).

    Parameters
    ----------
    path : str or Path
        A Parquet file in the training-table format (see the module's description).
    sample : float, optional
        For a table larger than memory: keep this share of the leads (0 < ``sample`` <= 1),
        each with all its cutoffs, read one row group at a time so that only the sample is
        ever held. Which leads are kept depends on their ids alone (a hash), so the same file
        and share give the same sample.

    Returns
    -------
    FeatureTable
        As it was saved: the same frame (column types included), catalogue, cutoffs, horizon,
        data fingerprint, settings and warnings.

    Raises
    ------
    LeadscoreError
        Naming the file, when it is missing, a CSV file, not Parquet, a Parquet file of
        something else, of another format version, or breaks the format.
    """
    began = time.perf_counter()
    path = Path(path)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        raise LeadscoreError(
            f"{path}: only Parquet training tables can be loaded back (a CSV file keeps neither "
            "the catalogue nor the settings); save the table with a .parquet name."
        )
    if not path.is_file():
        raise LeadscoreError(f"{path}: no such file.")
    try:
        parquet = pq.ParquetFile(path)
        metadata = parquet.schema_arrow.metadata or {}
    except (pa.ArrowException, OSError) as exc:
        raise LeadscoreError(f"{path}: not a Parquet file ({excerpt(str(exc), 80)}).") from None
    description = _read_description(path, metadata.get(METADATA_KEY))
    if sample is not None and not 0 < sample <= 1:
        raise LeadscoreError(f"`sample` {sample}: give a share of the leads, above 0 and up to 1.")
    try:
        if sample is None or sample == 1:
            frame = parquet.read().to_pandas()
        else:
            frame = _sampled(parquet, sample)
    except (pa.ArrowException, OSError) as exc:
        raise LeadscoreError(f"{path}: cannot be read ({excerpt(str(exc), 80)}).") from None
    catalogue = description["catalogue"]
    cutoffs = description["cutoffs"]
    frame = _conform(frame, catalogue, cutoffs, path)
    seconds = time.perf_counter() - began
    return FeatureTable(
        frame,
        catalogue,
        cutoffs,
        description["horizon_days"],
        description["fingerprint"],
        seconds,
        {"read the stored training table": seconds},
        warnings=description["warnings"],
        settings=description["settings"],
    )


def _sampled(parquet: pq.ParquetFile, share: float) -> pd.DataFrame:
    """The rows of a ``share`` of the leads, chosen by a hash of ``lead_id``."""
    threshold = np.uint64(min(share * 2.0**64, 2.0**64 - 1))
    kept = []
    for group in range(parquet.num_row_groups):
        rows = parquet.read_row_group(group)
        ids = rows.column(LEAD_ID).to_numpy(zero_copy_only=False).astype(object)
        chosen = pd.util.hash_array(ids, categorize=False) < threshold
        kept.append(rows.filter(pa.array(chosen)))
    return pa.concat_tables(kept).to_pandas()


def leadscore_version() -> str:
    """The installed leadscore's version ("unknown" for a source tree never installed)."""
    try:
        return package_version("leadscore")
    except PackageNotFoundError:
        return "unknown"


def _describe(table: FeatureTable) -> dict[str, Any]:
    settings = table.settings
    if settings is not None:  # a home folder in the path can name a person
        settings = dataclasses.replace(settings, source=Path(settings.source).name)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "leadscore_version": leadscore_version(),
        "fingerprint": table.fingerprint,
        "cutoffs": [pd.Timestamp(c).isoformat() for c in table.cutoffs],
        "horizon_days": table.horizon_days,
        "settings": _tagged(settings),
        "catalogue": [dataclasses.asdict(f) for f in table.catalogue],
        "warnings": list(table.warnings),
    }


def _read_description(path: Path, raw: bytes | None) -> dict[str, Any]:
    """The table's description, checked and turned into objects; errors name the file."""
    if raw is None:
        raise LeadscoreError(
            f"{path}: not a leadscore training table (its Parquet metadata has no "
            f"{METADATA_KEY.decode()} entry); build one with build_training_table and "
            "save_training_table, or 'leadscore features'."
        )

    def broken(what: str) -> LeadscoreError:
        return LeadscoreError(f"{path}: a broken training table: {what}.")

    try:
        description = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise broken(f"its {METADATA_KEY.decode()} metadata is not JSON") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise broken(f"its {METADATA_KEY.decode()} metadata does not describe a {FORMAT}")
    version = description.get("format_version")
    if version != FORMAT_VERSION:
        raise LeadscoreError(
            f"{path}: a training table of format version {excerpt(version)}; this leadscore "
            f"({leadscore_version()}) reads version {FORMAT_VERSION}: build the table again."
        )
    missing = [name for name in _METADATA_FIELDS if name not in description]
    if missing:
        raise broken(f"its description lacks {', '.join(missing)}")
    horizon = description["horizon_days"]
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon <= 0:
        raise broken(f"horizon_days is {excerpt(horizon)}, not a positive number of days")
    if not isinstance(description["fingerprint"], str):
        raise broken("the data fingerprint is not text")
    warnings = description["warnings"]
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise broken("warnings is not a list of sentences")
    try:
        cutoffs = [pd.Timestamp(c).tz_convert("UTC") for c in description["cutoffs"]]
        catalogue = [Feature(**entry) for entry in description["catalogue"]]
        settings = _untagged(description["settings"])
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise broken(f"{excerpt(str(exc), 80)}") from None
    if not cutoffs or not catalogue:
        raise broken("it lists no cutoffs or no features")
    if settings is not None and not isinstance(settings, Settings):
        raise broken("settings are not feature settings")
    return {
        **description,
        "cutoffs": cutoffs,
        "catalogue": catalogue,
        "settings": settings,
        "warnings": warnings,
    }


def _conform(
    frame: pd.DataFrame, catalogue: list[Feature], cutoffs: list[pd.Timestamp], path: Path
) -> pd.DataFrame:
    """Check the rows against the format and give them the column types the pipeline builds.

    A table this module wrote already has them (pandas' own metadata restores them); one
    another engine wrote gets text columns as pandas strings, timestamps in microseconds.
    """
    expected = [*ID_COLUMNS, LABEL, *(f.name for f in catalogue)]
    if list(frame.columns) != expected:
        absent = [c for c in expected if c not in frame.columns]
        extra = [c for c in frame.columns if c not in expected]
        problem = (
            f"lacks {', '.join(map(str, absent[:5]))}"
            if absent
            else f"has columns outside its catalogue: {', '.join(map(str, extra[:5]))}"
            if extra
            else "has its columns in another order than its catalogue"
        )
        raise LeadscoreError(f"{path}: a broken training table: it {problem}.")

    def broken(column: str, what: str) -> LeadscoreError:
        return LeadscoreError(f"{path}: a broken training table: column '{column}' {what}.")

    label = frame[LABEL]
    if not pd.api.types.is_integer_dtype(label) or not label.isin([0, 1]).all():
        raise broken(LABEL, "must hold 0 or 1 in every row")
    cutoff = frame["cutoff"]
    if not isinstance(cutoff.dtype, pd.DatetimeTZDtype):
        raise broken("cutoff", "must be a UTC timestamp")
    if not cutoff.isin(cutoffs).all():
        raise broken("cutoff", "holds dates that are not among the table's cutoffs")
    if frame["lead_id"].isna().any():
        raise broken("lead_id", "is empty in some rows")
    casts: dict[str, Any] = {LABEL: "int8", CUTOFF: "datetime64[us, UTC]"}
    for column in ("lead_id", "account_id"):
        if not pd.api.types.is_string_dtype(frame[column]):
            raise broken(column, "must hold text")
    for feature in catalogue:
        values = frame[feature.name]
        if feature.kind == "categorical":
            if not pd.api.types.is_string_dtype(values):
                raise broken(feature.name, "is a categorical feature: it must hold text")
            casts[feature.name] = pd.StringDtype("pyarrow")
        elif not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise broken(feature.name, "is a numeric feature: it must hold numbers")
    changed = {c: t for c, t in casts.items() if frame[c].dtype != t}
    return frame.astype(changed) if changed else frame


def _tagged(value: Any) -> Any:
    """``value`` as JSON-ready data, tagging tuples, sets and records as model bundles do."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_tagged(v) for v in value]}
    if isinstance(value, frozenset | set):
        return {"__set__": sorted(_tagged(v) for v in value)}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _tagged(v) for k, v in value.items()}
    name = type(value).__name__
    if _RECORDS.get(name) is type(value):
        fields = {f.name: _tagged(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__dataclass__": name, "fields": fields}
    raise TypeError(f"a training table cannot store a {name}")


def _untagged(value: Any) -> Any:
    """The inverse of :func:`_tagged`; builds only the records of the settings."""
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_untagged(v) for v in value["__tuple__"])
    if "__set__" in value:
        return frozenset(_untagged(v) for v in value["__set__"])
    if "__dataclass__" in value:
        name = value["__dataclass__"]
        if name not in _RECORDS:
            raise ValueError(f"settings name an unknown record {excerpt(name)}")
        return _RECORDS[name](**_untagged(value["fields"]))
    return {k: _untagged(v) for k, v in value.items()}


# -- the cache ------------------------------------------------------------------------------------


def cache_key(fingerprint: str, horizon_days: int, settings: Settings) -> str:
    """What identifies the training tables of some data, whatever their cutoffs.

    The data fingerprint, the horizon and the settings (not the settings file's name: the same
    settings from another file give the same table), the leadscore version, the package's
    source code and the versions of the libraries that compute the features. Tables with the
    same key differ only in their cutoffs.
    """
    identity = {
        "format_version": FORMAT_VERSION,
        "leadscore": leadscore_version(),
        "code": _code_fingerprint(),
        "libraries": {name: package_version(name) for name in _LIBRARIES},
        "fingerprint": fingerprint,
        "horizon_days": horizon_days,
        "settings": _tagged(dataclasses.replace(settings, source="")),
    }
    return hashlib.blake2b(json.dumps(identity).encode(), digest_size=16).hexdigest()


@functools.cache
def _code_fingerprint() -> str:
    """Hash of every Python file of the package.

    Every file, not only those the features import: an edit anywhere costs one rebuild, while a
    forgotten dependency would serve stale features. Reading the ~70 files takes a millisecond.
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.blake2b(digest_size=16)
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _cache_dir(interim_dir: str | Path | None) -> Path:
    interim = Path(interim_dir) if interim_dir is not None else config.INTERIM_DATA_DIR
    return interim / CACHE_FOLDER


def _cache_file(folder: Path, key: str, cutoffs: list[pd.Timestamp]) -> Path:
    """``<key>-<hash of the cutoffs>.parquet``: one file per key and set of cutoffs."""
    stamps = ",".join(pd.Timestamp(c).isoformat() for c in cutoffs)
    return folder / f"{key}-{hashlib.blake2b(stamps.encode(), digest_size=6).hexdigest()}.parquet"


def cached_table(
    key: str, cutoffs: list[pd.Timestamp], interim_dir: str | Path | None = None
) -> FeatureTable | None:
    """The table of ``key`` (see :func:`cache_key`) for ``cutoffs`` from the cache, or None.

    A cached table built for these cutoffs or more serves: each cutoff's rows depend on the
    data up to that cutoff and its label window only, never on the other cutoffs of the build
    (the pipeline's tests hold it to that), so the rows of some of its cutoffs are exactly what
    a build for those cutoffs gives. A cached file that cannot be read (cut short, of an older
    format) counts as none: the table is built again.
    """
    wanted = set(cutoffs)
    candidates = [
        (len(listed), path)
        for path, listed_key, listed in _cache_entries(_cache_dir(interim_dir))
        if listed_key == key and wanted <= set(listed)
    ]
    for _size, path in sorted(candidates):  # the fewest cutoffs: the least to read
        try:
            table = load_training_table(path)
        except (LeadscoreError, OSError):  # OSError: pruned by another run meanwhile
            continue
        with contextlib.suppress(OSError):
            os.utime(path)  # marks it as used (see prune_training_tables)
        if set(table.cutoffs) != wanted:
            rows = table.frame["cutoff"].isin(wanted).to_numpy()
            table.frame = table.frame[rows].reset_index(drop=True)
        table.cutoffs = list(cutoffs)
        return table
    return None


def cache_table(table: FeatureTable, key: str, interim_dir: str | Path | None = None) -> Path:
    """Keep ``table`` in the cache under ``key``, then bound the cache; returns its file.

    Raises
    ------
    LeadscoreError
        When the file cannot be written (no space left, permission denied ...).
    """
    path = _cache_file(_cache_dir(interim_dir), key, table.cutoffs)
    save_training_table(table, path, with_catalogue=False)
    prune_training_tables(interim_dir, keep=path)
    return path


def _cache_entries(folder: Path) -> list[tuple[Path, str, list[pd.Timestamp]]]:
    """The cache's files with their key and cutoffs, read from the files' footers.

    Only files this module wrote count: named ``<key>-<12 hex digits>.parquet``, not a link,
    described as a training table. Anything else in the folder is never touched.
    """
    try:
        paths = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return []
    entries = []
    for path in paths:
        match = _CACHED_NAME.match(path.name)
        if match is None or path.is_symlink() or not path.is_file():
            continue
        try:
            raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
            description = json.loads(raw) if raw is not None else None
            cutoffs = [pd.Timestamp(c) for c in description["cutoffs"]]
        except (pa.ArrowException, OSError, ValueError, TypeError, KeyError):
            continue  # removed meanwhile, cut short, or not ours
        if description.get("format") == FORMAT:
            entries.append((path, match["key"], cutoffs))
    return entries


def cached_training_tables(interim_dir: str | Path | None = None) -> pd.DataFrame:
    """The cached training tables: file, cutoffs, rows, megabytes and last use, newest first."""
    rows = []
    for path, _key, cutoffs in _cache_entries(_cache_dir(interim_dir)):
        try:
            stat = path.stat()
            n_rows = pq.read_metadata(path).num_rows
        except (pa.ArrowException, OSError):
            continue  # removed meanwhile
        rows.append(
            {
                "file": path,
                "cutoffs": f"{min(cutoffs):%Y-%m-%d} … {max(cutoffs):%Y-%m-%d} ({len(cutoffs)})",
                "rows": n_rows,
                "megabytes": stat.st_size / 1e6,
                "last_used": pd.Timestamp(stat.st_mtime, unit="s", tz="UTC"),
            }
        )
    columns = ["file", "cutoffs", "rows", "megabytes", "last_used"]
    return pd.DataFrame(rows, columns=columns).sort_values("last_used", ascending=False)


def prune_training_tables(
    interim_dir: str | Path | None = None, keep: Path | None = None
) -> list[Path]:
    """Keep the :data:`MAX_CACHED_TABLES` most recently used tables (and ``keep``); returns
    the files removed."""
    tables = cached_training_tables(interim_dir)
    spare = pd.Series(range(len(tables)), index=tables.index) >= MAX_CACHED_TABLES
    if keep is not None:
        spare &= tables["file"].map(Path.resolve) != Path(keep).resolve()
    return [path for path in tables.loc[spare, "file"] if _remove(path)]


def clear_training_tables(interim_dir: str | Path | None = None) -> list[Path]:
    """Remove every cached training table and the temporary files of killed runs."""
    folder = _cache_dir(interim_dir)
    removed = [path for path in cached_training_tables(interim_dir)["file"] if _remove(path)]
    if folder.is_dir():
        for leftover in folder.glob(".*.tmp"):
            target = temp_target(leftover.name)
            if target is not None and _CACHED_NAME.match(target):
                removed += remove_stale_temps(folder, target)
        with contextlib.suppress(OSError):  # only when empty: nothing of the user's goes
            folder.rmdir()
    return list(dict.fromkeys(removed))


def clear_cache(interim_dir: str | Path | None = None) -> list[Path]:
    """Remove every staged copy of the data and every cached training table; returns what went.

    What ``leadscore cache --clear`` does: both are made again when needed.
    """
    return [*clear_staged(interim_dir), *clear_training_tables(interim_dir)]


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except OSError:
        return False
    return True
