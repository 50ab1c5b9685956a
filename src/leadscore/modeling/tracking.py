"""MLflow tracking and registry for a model comparison.

Default tracking URI: ``sqlite:///mlflow.db`` in the project (``MLFLOW_TRACKING_URI`` overrides
it, so a team server works unchanged); :func:`connect` is the one place that gives it to MLflow.
A run logs parameters, the data fingerprint, the git commit, every metric of every model, the
run's files (named, written and read back by :mod:`leadscore.artifacts`) and the LightGBM model
as one pyfunc that returns *probabilities* (a plain LightGBM-classifier pyfunc would return 0/1
labels).

One registered model per kind of input: event data registers ``leadscore``; each flat table its
own, named after the file (``leads-export.csv`` → ``leadscore-leads-export``,
:func:`table_model_name`) or ``--name``. Each has its own ``champion`` alias, which moves to a
new version when promoted, or when it beats the champion's held-out ROC AUC on the same
*target* and the same *schema* (the model's input columns and their types, hashed into the
``schema_hash`` tag of the run and the version, :func:`model_schema`). Another schema under the
same name is never promoted automatically, and neither is a run the leakage audit flagged;
:class:`Registration` says why. Scoring a flat file without ``--model`` picks the champion whose
columns the file holds (:func:`choose_table_model`).

Nothing of a lead is logged: the input example is one made-up row of the model's input types
(0, "example", 2000-01-01), parameters and tags hold settings, dates and hashes, and the
artifacts hold aggregates (metrics, points per bin, column types), never rows.

Every run also logs a model bundle (artifacts ``bundle/``, see :mod:`leadscore.modeling.bundle`):
LightGBM's text model and JSON metadata, with the feature settings and points sheet of the run.
Scoring and ``leadscore export`` load that bundle, never the pickled pyfunc, which stays for
MLflow's own tools (serving, ``spark_udf``). Next to it, ``schema/schema.json`` holds the input
columns, their types and headers, so scoring can match a file to a model without loading it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import tempfile
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from leadscore import config
from leadscore.errors import LeadscoreError
from leadscore.features.settings import Settings, load_settings
from leadscore.flat_table import TableTyper
from leadscore.io import neutralise_formulas
from leadscore.modeling.bundle import (
    BUNDLE_FILES,
    MODEL_FILE,
    LoadedModel,
    is_bundle,
    read_bundle,
    write_bundle,
)
from leadscore.modeling.compare import MODEL_NAMES, MODEL_TITLES, Comparison
from leadscore.modeling.drift import DriftReference
from leadscore.modeling.train import LightGBMModel

#: The registered model of event data (flat tables get one each: :func:`table_model_name`).
MODEL_NAME = "leadscore"
CHAMPION = "champion"
EXPERIMENT = "leadscore"
#: Where a training run keeps its model bundle among its artifacts.
BUNDLE_ARTIFACT = "bundle"
#: Where a training run keeps its input schema (``schema.json``) among its artifacts.
SCHEMA_ARTIFACT = "schema"
SCHEMA_FILE = "schema.json"
#: Names leadscore registers and accepts: no "/", ":" (MLflow) or "@" (the alias in a URI).
_VALID_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: Suffixes stripped from a file name to name its model (the reader's and compressions).
_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".gz", ".bz2", ".xz", ".zip")


def table_model_name(path: str | Path) -> str:
    """The registered model name for a flat table: ``leadscore-`` and the file's name.

    Lower case ASCII letters, digits, ".", "_" and "-" (accents dropped, anything else a dash),
    so it is a valid MLflow name and reads the same in a ``models:/NAME@champion`` URI.

    Examples
    --------
    >>> table_model_name("exports/leads-export.csv")
    'leadscore-leads-export'
    >>> table_model_name("Kontakte März 2025.CSV")
    'leadscore-kontakte-marz-2025'
    >>> table_model_name("???.parquet")
    'leadscore-table'
    """
    stem = Path(path).name
    while Path(stem).suffix.lower() in _FILE_SUFFIXES and Path(stem).stem:
        stem = Path(stem).stem
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9._]+", "-", plain.lower()).strip("-._")[:80].rstrip("-._")
    return f"{MODEL_NAME}-{slug or 'table'}"


def check_model_name(name: str, option: str = "`name`") -> str:
    """``name`` if leadscore can register it and find it again, else a LeadscoreError.

    >>> check_model_name("leadscore-q3")
    'leadscore-q3'
    """
    if not _VALID_NAME.fullmatch(name):
        raise LeadscoreError(
            f"{option} {name!r}: a model name holds letters, digits, '.', '_' and '-' (at most "
            "100, starting with a letter or digit), e.g. leadscore-leads-export."
        )
    return name


def model_schema(model: LightGBMModel, typer: TableTyper | None = None) -> dict[str, str]:
    """The model's input: each column it reads and its type.

    Flat tables: the typed columns (``numeric``, ``boolean``, ``date``, ``category``), plus the
    time column (``time``) when dates need it and the id column (``id``); event data: the
    features (``numeric`` or ``category``).
    """
    if typer is None:
        return {
            name: "category" if name in model.categories_ else "numeric" for name in model.features_
        }
    schema = dict(typer.kinds_)
    if typer.time_col and typer.time_col in typer.required_columns():
        schema[typer.time_col] = "time"
    if typer.id_col:
        schema[typer.id_col] = "id"
    return schema


def schema_hash(schema: dict[str, str]) -> str:
    """A short hash of a schema: the same columns and types, in any order, the same hash.

    >>> schema_hash({"a": "numeric", "b": "category"}) == schema_hash({"b": "category",
    ...                                                                  "a": "numeric"})
    True
    >>> schema_hash({"a": "numeric"}) == schema_hash({"a": "category"})
    False
    """
    text = json.dumps(sorted(schema.items()), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _target(comparison: Comparison, target: str | None, horizon_days: int | None) -> str:
    """What the model predicts: the flat table's target column, or conversion within the
    horizon for event data."""
    if target is not None:
        return target
    if comparison.typer is None:
        return f"conversion within {horizon_days} days"
    return ""  # a flat table of a caller that did not say: compared only with the same


#: The project's store :func:`connect` last gave MLflow. MLflow copies the address it is given
#: into ``MLFLOW_TRACKING_URI`` (for its subprocesses): that copy is not the user's choice.
_project_store: str | None = None


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else a SQLite file in the project."""
    given = os.environ.get("MLFLOW_TRACKING_URI")
    if given and given != _project_store:
        return given
    return f"sqlite:///{config.PROJECT_ROOT / 'mlflow.db'}"


#: Tracking stores this process has used (see :func:`connect`).
_usable_stores: set[str] = set()


def connect():
    """Point MLflow at :func:`tracking_uri` and return a client of that store.

    The one place that sets MLflow's (process-wide) tracking address. It is set only when
    MLflow's differs: ``MLFLOW_TRACKING_URI`` or the project folder may change within one
    process (between tests, or notebook cells), and so may MLflow's address (a notebook's own
    ``mlflow.set_tracking_uri``).

    Returns
    -------
    mlflow.MlflowClient
        A client of the store at :func:`tracking_uri`.
    """
    global _project_store
    import mlflow

    uri = tracking_uri()
    if mlflow.get_tracking_uri() != uri:
        mlflow.set_tracking_uri(uri)
    if uri == f"sqlite:///{config.PROJECT_ROOT / 'mlflow.db'}":
        _project_store = uri
    try:
        sqlite = uri.startswith("sqlite:///")
        if sqlite:  # MLflow would retry an unusable file for two minutes
            _check_sqlite_file(Path(uri.removeprefix("sqlite:///")))
        client = mlflow.MlflowClient(uri)
        if sqlite and uri not in _usable_stores:  # a server is asked when used, not here
            client.search_experiments(max_results=1)  # once per file and process: milliseconds
            _usable_stores.add(uri)
    except Exception as exc:  # MLflow's, SQLAlchemy's or the OS's: the store cannot be used
        raise LeadscoreError(
            f"the tracking store {uri} cannot be used ({type(exc).__name__}: {_first_line(exc)}) "
            "Point MLFLOW_TRACKING_URI at a store that works, or leave out tracking."
        ) from None
    return client


def _check_sqlite_file(path: Path) -> None:
    """Raise OSError when an SQLite tracking file can be neither opened nor created."""
    if path.exists() and not path.is_file():
        raise OSError(f"{path} is a folder, not a database file.")
    folder = next((p for p in path.parents if p.exists()), Path("."))
    if not path.exists() and not os.access(folder, os.W_OK):
        raise OSError(f"{folder} does not take new files.")


def data_fingerprint(inputs_hash: str, table: pd.DataFrame, horizon_days: int | None) -> str:
    """Hash of what the training data depends on: the input files, the cutoffs, the horizon."""
    cutoffs = ""
    if "cutoff" in table.columns:
        cutoffs = ",".join(f"{c:%Y-%m-%d}" for c in sorted(table["cutoff"].unique()))
    return hashlib.blake2b(
        f"{inputs_hash}|{cutoffs}|{horizon_days}".encode(), digest_size=16
    ).hexdigest()


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=config.PROJECT_ROOT,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _pyfunc_class():
    import mlflow.pyfunc

    class LeadScorePyfunc(mlflow.pyfunc.PythonModel):
        """Scoring table (or raw flat-table rows) in, calibrated probability out."""

        def __init__(
            self,
            model: LightGBMModel,
            typer: TableTyper | None = None,
            reference: DriftReference | None = None,
        ) -> None:
            self.model = model
            self.typer = typer
            self.reference = reference  # training distribution of the top features

        def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
            features = model_input if self.typer is None else self.typer.transform(model_input)
            return pd.DataFrame({"probability": self.model.predict_proba(features)[:, 1]})

    return LeadScorePyfunc


#: Stand-ins for the values of text columns in the logged input example, by column kind.
_STAND_IN_TEXT = {"numeric": "0", "boolean": "no", "date": "2000-01-01", "category": "example"}
_STAND_IN_DAY = pd.Timestamp("2000-01-01")


def _stand_in(column: pd.Series, kind: str) -> pd.Series:
    """One value of ``column``'s type that belongs to no lead (0, False, 2000-01-01 ...)."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return pd.Series([False], dtype=dtype)
    if pd.api.types.is_numeric_dtype(dtype):
        return pd.Series([0], dtype=dtype)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return pd.Series([_STAND_IN_DAY.tz_localize(getattr(dtype, "tz", None))], dtype=dtype)
    text_dtype = dtype if pd.api.types.is_string_dtype(dtype) else object
    return pd.Series([_STAND_IN_TEXT[kind]], dtype=text_dtype)


def _input_example(
    model: LightGBMModel, table: pd.DataFrame, typer: TableTyper | None = None
) -> pd.DataFrame:
    """One made-up row with the model input's columns and types, holding no lead's values.

    MLflow stores the example with the model; real rows would put e-mails, names or a
    company's figures into the registry. Event mode: the features; flat mode: the raw columns
    the model reads (text stays text, so the signature accepts the export as it comes).
    """
    if typer is not None:
        kinds = dict(typer.kinds_)
        if typer.time_col and typer.time_col in table.columns:
            kinds[typer.time_col] = "date"
    else:
        kinds = {
            name: "category" if name in model.categories_ else "numeric" for name in model.features_
        }
    return pd.DataFrame({name: _stand_in(table[name], kind) for name, kind in kinds.items()})


@dataclass(frozen=True)
class Registration:
    """A logged run, the model version it registered, and whether it became the champion.

    ``why`` says so in words, for the user: the first version, a better held-out ROC AUC, or
    what kept the champion (a leakage flag, another target or schema, a better champion).
    """

    run_id: str
    name: str
    version: str
    promoted: bool
    why: str


def log_comparison(
    comparison: Comparison,
    table: pd.DataFrame,
    *,
    fingerprint: str,
    horizon_days: int | None,
    files: Mapping[str, Path | pd.DataFrame],
    promote: bool = False,
    settings: Settings | None = None,
    name: str | None = None,
    target: str | None = None,
) -> Registration:
    """Log the comparison as one MLflow run, register the LightGBM model, maybe promote it.

    Parameters
    ----------
    comparison, table
        The fitted comparison and the table it was trained on.
    fingerprint : str
        Hash of the inputs (files and options) the table was built from.
    horizon_days : int or None
        Event data: the label window; flat tables: None.
    files : mapping
        The run's files by their path among the run's artifacts (``folder/name``), each a
        file or a table to log as CSV (:func:`log_files`): what
        :func:`leadscore.artifacts.write_run` wrote, its ``artifacts``.
    promote : bool
        Make the version the champion whatever it scores.
    settings : Settings, optional
        The feature settings the table was built with (default: the shipped ones); the run's
        model bundle carries them, and the hand-set points sheet, for scoring.
    name : str, optional
        The registered model (default: ``leadscore`` for event data, else
        :func:`table_model_name` of the table's file).
    target : str, optional
        What the model predicts (a flat table's target column); versions with another target
        are never compared. Default for event data: conversion within ``horizon_days``.
    """
    import mlflow
    from mlflow.models import infer_signature

    events = comparison.typer is None
    if name is None:
        name = MODEL_NAME if events else table_model_name(comparison.split_params["table"])
    name = check_model_name(name)
    model: LightGBMModel = comparison.models["lightgbm"]
    schema = model_schema(model, comparison.typer)
    target = _target(comparison, target, horizon_days)
    mode = "events" if events else "flat_table"
    client = connect()
    _ensure_experiment()
    hand = comparison.models.get("hand_set_points")
    with mlflow.start_run() as run:
        mlflow.log_params(
            {
                **{f"lightgbm.{k}": v for k, v in model.get_params().items()},
                "lightgbm.best_iteration": model.best_iteration_,
                **comparison.split_params,
                "rows": len(table),
                "features": len(model.features_),
                "points_sheet": hand.sheet_.source if hand is not None else "none",
                **({"horizon_days": horizon_days} if horizon_days is not None else {}),
                **_capacity_params(comparison),
            }
        )
        version_tags = {"mode": mode, "target": target, "schema_hash": schema_hash(schema)}
        mlflow.set_tags(
            {
                "data_fingerprint": data_fingerprint(fingerprint, table, horizon_days),
                "inputs_hash": fingerprint,
                "git_commit": _git_commit(),
                "registered_model": name,
                **version_tags,
            }
        )
        if comparison.audit is not None:
            flagged = comparison.audit.loc[comparison.audit["flagged"], "feature"].tolist()
            mlflow.set_tag("leakage_flagged", ",".join(flagged) or "none")

        metrics = {
            f"{label}.{metric}": float(value)
            for label, row in comparison.metrics.iterrows()
            for metric, value in row.items()
            if pd.notna(value)
        }
        if comparison.capacity is not None:  # the models at equal hand-over volume
            metrics |= {
                f"capacity.{row['model']}.{key}": float(row[key])
                for _, row in comparison.capacity.table.iterrows()
                for key in ("mqls_per_week", "conversions_per_week", "precision", "recall")
                if pd.notna(row[key])
            }
        mlflow.log_metrics(metrics)
        log_files(files, run.info.run_id)
        with tempfile.TemporaryDirectory() as tmp:
            schema_path = Path(tmp) / SCHEMA_FILE
            headers = {c: comparison.typer.header(c) for c in schema} if not events else {}
            document = {"mode": mode, "target": target, "columns": schema, "headers": headers}
            schema_path.write_text(json.dumps(document, indent=1, ensure_ascii=False))
            mlflow.log_artifact(str(schema_path), artifact_path=SCHEMA_ARTIFACT)
        example = _input_example(model, table, comparison.typer)
        pyfunc = _pyfunc_class()(model, comparison.typer, comparison.drift_reference)
        signature = infer_signature(example, pyfunc.predict(None, example))
        with warnings.catch_warnings():
            # MLflow 3.17 saves the input example with a pandas 3.1-deprecated idiom.
            warnings.filterwarnings("ignore", message="Operation with range is deprecated")
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=pyfunc,
                signature=signature,
                input_example=example,
                code_paths=[str(Path(__file__).resolve().parents[1])],
                pip_requirements=_requirements(),
                registered_model_name=name,
            )
        version = str(info.registered_model_version)
        _log_bundle(comparison, version, run.info.run_id, horizon_days, settings, name)
    for key, value in version_tags.items():
        client.set_model_version_tag(name, version, key, value)
    promoted, why = _promotion(
        client,
        name,
        version,
        roc_auc=metrics["lightgbm.roc_auc"],
        tags=version_tags,
        schema=schema,
        flagged=_flagged(comparison),
        promote=promote,
    )
    if promoted:
        client.set_registered_model_alias(name, CHAMPION, version)
    return Registration(run.info.run_id, name, version, promoted, why)


def _capacity_params(comparison: Comparison) -> dict[str, str]:
    """The sales capacity and the registered models' MQL thresholds, as MLflow parameters."""
    if comparison.capacity is None:
        return {}
    return {
        "sales_capacity": f"{comparison.capacity.sales_capacity:g}",
        "capacity_weeks": repr(comparison.capacity.weeks),
        **{f"mql_threshold.{name}": repr(t) for name, t in comparison.mql_thresholds.items()},
    }


def log_files(files: Mapping[str, Path | pd.DataFrame], run_id: str) -> None:
    """Log files to the MLflow run ``run_id``, each under its path among the run's artifacts.

    Parameters
    ----------
    files : mapping
        Artifact path (``folder/name``) → a file, or a table, logged as a CSV file whose text
        cells a spreadsheet would run as formulas are neutralised (headers such as
        ``=Lead Source+0`` reach column tables).
    run_id : str
        The run, finished or not.
    """
    import shutil

    client = connect()
    with tempfile.TemporaryDirectory() as tmp:
        for i, (artifact, source) in enumerate(files.items()):
            folder, _, name = str(artifact).rpartition("/")
            path = Path(tmp) / str(i) / name  # the artifact's name, whatever the file's
            if isinstance(source, pd.DataFrame):
                path.parent.mkdir()
                neutralise_formulas(source).to_csv(path, index=False)
            elif Path(source).name == name:
                path = Path(source)
            else:
                path.parent.mkdir()
                shutil.copyfile(source, path)
            client.log_artifact(run_id, str(path), artifact_path=folder or None)


def _flagged(comparison: Comparison) -> list[str]:
    if comparison.audit is None:
        return []
    return comparison.audit.loc[comparison.audit["flagged"], "feature"].astype(str).tolist()


def _promotion(
    client,
    name: str,
    version: str,
    *,
    roc_auc: float,
    tags: dict[str, str],
    schema: dict[str, str],
    flagged: list[str],
    promote: bool,
) -> tuple[bool, str]:
    """Whether the new version becomes the champion, and why (one clause, for the user).

    Only versions of the same model, target and schema are compared: their held-out sets and
    inputs agree, so their ROC AUCs measure the same thing.
    """
    from mlflow.exceptions import MlflowException

    if promote:
        return True, "now the champion (`promote`)"
    if flagged:
        # A model fed a column that gives the outcome away looks best and scores new leads worst.
        return False, (
            f"not made the champion: the leakage audit flagged {', '.join(flagged)} (drop "
            "them with `drop`, or `promote` to use this version anyway)"
        )
    try:
        champion = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        if version == "1":
            return True, f"the first version of {name}, now the champion"
        return True, f"{name} had no champion yet: now the champion"
    theirs = client.get_run(champion.run_id).data
    held = f"the champion (version {champion.version})"
    if theirs.tags.get("mode", "events") != tags["mode"]:
        kind = "event data" if tags["mode"] == "flat_table" else "a flat table"
        return False, (
            f"not made the champion: {held} was trained on {kind}; `promote` to replace it, "
            "or train under another `name`"
        )
    if theirs.tags.get("target") != tags["target"]:
        return False, (
            f"not made the champion: {held} predicts "
            f"{theirs.tags.get('target') or 'an unrecorded target'!r}, this version "
            f"{tags['target']!r}; `promote` to replace it, or train under another `name`"
        )
    if theirs.tags.get("schema_hash") != tags["schema_hash"]:
        return False, (
            f"not made the champion: {held} reads other columns "
            f"({_schema_difference(client, champion.run_id, schema)}), so their ROC AUCs are "
            "not comparable; `promote` to replace it, or train under another `name`"
        )
    best = theirs.metrics.get("lightgbm.roc_auc", float("-inf"))
    if roc_auc > best:
        return True, f"now the champion: held-out ROC AUC {roc_auc:.3f} beats {held}'s {best:.3f}"
    return False, f"{held} stays: its held-out ROC AUC {best:.3f} is at least this {roc_auc:.3f}"


def _schema_difference(client, run_id: str, schema: dict[str, str]) -> str:
    """What differs between a run's schema and ``schema``: columns added, missing, retyped."""
    theirs = _run_schema(client, run_id)
    if theirs is None:
        return "its columns were not recorded"
    old = theirs["columns"]
    parts = []
    for label, names in (
        ("new", [c for c in schema if c not in old]),
        ("no longer", [c for c in old if c not in schema]),
        ("retyped", [c for c in schema if c in old and old[c] != schema[c]]),
    ):
        if names:
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            parts.append(f"{label}: {shown}")
    return "; ".join(parts) or "the same columns"


def _run_schema(client, run_id: str) -> dict | None:
    """The run's ``schema.json`` (mode, target, columns, headers), or None before schemas."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        if not client.list_artifacts(run_id, SCHEMA_ARTIFACT):
            return None
        with tempfile.TemporaryDirectory() as tmp:
            path = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=f"{SCHEMA_ARTIFACT}/{SCHEMA_FILE}", dst_path=tmp
            )
            return json.loads(Path(path).read_text(encoding="utf-8"))
    except (MlflowException, OSError, ValueError):
        return None


def _log_bundle(
    comparison: Comparison,
    version: str,
    run_id: str,
    horizon_days: int | None,
    settings: Settings | None,
    name: str = MODEL_NAME,
) -> None:
    import mlflow

    hand = comparison.models.get("hand_set_points")
    events = comparison.typer is None
    loaded = LoadedModel(
        model=comparison.models["lightgbm"],
        typer=comparison.typer,
        version=version,
        source=f"runs:/{run_id}/{BUNDLE_ARTIFACT}",
        run_id=run_id,
        reference=comparison.drift_reference,
        settings=(settings or load_settings()) if events else None,
        sheet=hand.sheet_ if hand is not None else None,
        horizon_days=horizon_days,
        name=name,
        sales_capacity=comparison.capacity.sales_capacity if comparison.capacity else None,
        mql_threshold=comparison.mql_thresholds.get("lightgbm"),
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_bundle(Path(tmp) / BUNDLE_ARTIFACT, loaded)
        mlflow.log_artifacts(str(folder), artifact_path=BUNDLE_ARTIFACT)


@contextlib.contextmanager
def run_bundle(run_id: str) -> Iterator[Path | None]:
    """A temporary copy of the run's model bundle, or None for a run from before bundles."""
    import mlflow

    if not any(a.path == BUNDLE_ARTIFACT for a in connect().list_artifacts(run_id)):
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=BUNDLE_ARTIFACT, dst_path=tmp
            )
        )


def _ensure_experiment() -> None:
    """Use the experiment; a new one on a SQLite store keeps its artifacts next to the file."""
    import mlflow

    uri = tracking_uri()
    if mlflow.get_experiment_by_name(EXPERIMENT) is None and uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///"))
        location = (database.parent / "mlruns").resolve().as_uri()
        mlflow.create_experiment(EXPERIMENT, artifact_location=location)
    mlflow.set_experiment(EXPERIMENT)


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("lightgbm", "pandas", "numpy", "scikit-learn", "mlflow")]


def export_champion(out_dir: str | Path, name: str = MODEL_NAME) -> Path:
    """Write the champion's model bundle to ``out_dir`` (LightGBM's text model, JSON, manifest).

    ``name`` is the registered model (default: the event-data model ``leadscore``).

    ``out_dir`` must be new, empty or an earlier export. Only the bundle's own files are
    replaced (an earlier export's other files and subfolders stay), and only after the new
    bundle was written and checked in a staging folder next to it: a failure before that leaves
    the earlier export as it was. Scoring loads the folder with ``--model``; any LightGBM reads
    ``out_dir / "lightgbm.txt"``.

    Raises
    ------
    LeadscoreError
        When ``out_dir`` is a file, or a folder holding files that are not an earlier export,
        or the registry has no champion of ``name`` (:func:`load_model` says what to do).
    """
    import shutil

    out_dir = Path(out_dir)
    owned = _owned_by_export(out_dir)
    loaded = load_model(f"models:/{check_model_name(name)}@{CHAMPION}")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.export-", dir=out_dir.parent))
    try:
        read_bundle(write_bundle(staging, loaded))  # what scoring will read, checked once
        out_dir.mkdir(exist_ok=True)
        for name in BUNDLE_FILES:  # the manifest last: it vouches for the files before it
            os.replace(staging / name, out_dir / name)
        for name in sorted(set(owned) - set(BUNDLE_FILES)):  # an export from before bundles
            path = out_dir / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def _owned_by_export(out_dir: Path) -> tuple[str, ...]:
    """The entries of ``out_dir`` an export may replace; refuses a folder of other files."""

    if out_dir.exists() and not out_dir.is_dir():
        raise LeadscoreError(f"{out_dir} is a file; export writes a folder.")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return ()
    if is_bundle(out_dir):
        return BUNDLE_FILES
    if (out_dir / "mlflow" / "MLmodel").is_file() and (out_dir / MODEL_FILE).is_file():
        return ("mlflow", MODEL_FILE)  # the layout of exports from before bundles
    found = sorted(p.name for p in out_dir.iterdir())
    shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    raise LeadscoreError(
        f"{out_dir} is not empty and not an earlier export (it holds {shown}); export writes "
        "into a new or empty folder or replaces an earlier export, so nothing of yours is "
        "overwritten. Choose another folder."
    )


@dataclass
class TrainingRun:
    """What ``leadscore compare`` needs from a training run."""

    run_id: str
    train_cutoffs: list[pd.Timestamp]
    valid_cutoff: pd.Timestamp
    test_cutoff: pd.Timestamp
    horizon_days: int
    inputs_hash: str
    ranking: pd.DataFrame
    #: The sales capacity the run was trained with, and the weeks its test cutoff covers
    #: (None for a run trained without one).
    sales_capacity: float | None = None
    capacity_weeks: float | None = None


def find_run(run_id: str | None = None, name: str = MODEL_NAME):
    """The MLflow run ``run_id``, or the champion's of model ``name``, and its registered
    version ("-" if not looked up through the registry)."""
    from mlflow.exceptions import MlflowException

    client = connect()
    version = "-"
    try:
        if run_id is None:
            champion = client.get_model_version_by_alias(name, CHAMPION)
            run_id, version = champion.run_id, str(champion.version)
        return client.get_run(run_id), version
    except MlflowException:
        what = f"run {run_id}" if run_id else f"a '{CHAMPION}' of model '{name}'"
        raise LeadscoreError(
            f"no {what} in {tracking_uri()}: train first ('leadscore train') or pass `run_id`."
        ) from None


def training_run(run_id: str | None = None, name: str = MODEL_NAME) -> TrainingRun:
    """The run's time split and held-out metrics (default: the run of ``name``'s champion)."""
    run, _ = find_run(run_id, name)
    run_id = run.info.run_id
    params, tags = run.data.params, run.data.tags
    if tags.get("mode", "events") != "events" or "test_cutoff" not in params:
        raise LeadscoreError(
            f"run {run_id} was trained on a flat table; compare needs a run on event data."
        )
    metrics = run.data.metrics
    shown = ("roc_auc", "pr_auc", "capture_at_10pct", "lift_at_10pct", "log_loss")
    ranking = pd.DataFrame(
        [
            {
                "model": MODEL_TITLES[name],
                **{m: metrics.get(f"{name}.{m}", float("nan")) for m in shown},
            }
            for name in MODEL_NAMES
        ]
    )
    return TrainingRun(
        run_id=run_id,
        train_cutoffs=[_utc_day(c) for c in params["train_cutoffs"].split(",")],
        valid_cutoff=_utc_day(params["valid_cutoff"]),
        test_cutoff=_utc_day(params["test_cutoff"]),
        horizon_days=int(params["horizon_days"]),
        inputs_hash=tags.get("inputs_hash", ""),
        ranking=ranking,
        sales_capacity=float(params["sales_capacity"]) if "sales_capacity" in params else None,
        capacity_weeks=float(params["capacity_weeks"]) if "capacity_weeks" in params else None,
    )


def _utc_day(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz="UTC")


def set_champion(version: str, name: str = MODEL_NAME) -> None:
    """Point model ``name``'s ``champion`` alias at a version (what ``--promote`` does)."""
    connect().set_registered_model_alias(name, CHAMPION, str(version))


@dataclass(frozen=True)
class TableModel:
    """A flat-table model's champion: what scoring needs to match it to a file."""

    name: str
    version: str
    table: str  # the file name it was trained on
    columns: dict[str, str]  # column → header, every column scoring reads

    @property
    def uri(self) -> str:
        return f"models:/{self.name}@{CHAMPION}"

    def missing(self, columns: Iterable[str]) -> list[str]:
        """The headers of the columns it reads that ``columns`` lacks."""
        given = set(columns)
        return [header for column, header in self.columns.items() if column not in given]


def table_models() -> list[TableModel]:
    """The champions of the registered flat-table models, by name.

    Their columns come from the run's ``schema.json``; a run from before schemas is read from
    its model bundle.
    """
    client = connect()
    found, token = [], None
    while True:
        page = client.search_registered_models(max_results=100, page_token=token)
        found += [m for m in page if CHAMPION in (m.aliases or {})]
        token = page.token
        if not token:
            break
    models = []
    for registered in sorted(found, key=lambda m: m.name):
        version = str(registered.aliases[CHAMPION])
        run = client.get_run(client.get_model_version(registered.name, version).run_id)
        if run.data.tags.get("mode", "events") != "flat_table":
            continue  # event data never scores a flat table
        schema = _run_schema(client, run.info.run_id)
        if schema is not None:
            headers = schema.get("headers", {})
            columns = {c: headers.get(c, c) for c in schema["columns"]}
        else:
            typer = load_model(f"models:/{registered.name}@{CHAMPION}").typer
            needed = [*typer.required_columns(), *([typer.id_col] if typer.id_col else [])]
            columns = {c: typer.header(c) for c in needed}
        table = run.data.params.get("table", "")
        models.append(TableModel(registered.name, version, table, columns))
    return models


def choose_table_model(path: str | Path) -> str:
    """The ``models:/NAME@champion`` URI of the flat-table model to score ``path`` with.

    The champion whose columns the file holds (every column it reads; extra columns are
    fine). When several do, the one trained on a file of this name (its model name, or the
    file name recorded with the run).

    Raises
    ------
    LeadscoreError
        When no model reads the file's columns (naming, for the closest models, the columns
        the file lacks) or several do (naming the ``model`` values to choose from).
    """
    from leadscore.readers import iter_table_batches

    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: no such file.")
    columns = list(next(iter(iter_table_batches(path, batch_rows=1))).frame.columns)
    models = table_models()
    train = f"leadscore train --table {path} --target COLUMN"
    if not models:
        raise LeadscoreError(
            f"no model trained on a flat table in {tracking_uri()}: train one first ({train}) "
            "or pass `model`."
        )
    fitting = [m for m in models if not m.missing(columns)]
    if len(fitting) > 1:
        own = [m for m in fitting if m.name == table_model_name(path)]
        own = own or [m for m in fitting if m.table == path.name]
        fitting = own if len(own) == 1 else fitting
    if len(fitting) == 1:
        return fitting[0].uri
    if fitting:
        listed = "; ".join(f"`model` {m.uri} (trained on {m.table or 'a table'})" for m in fitting)
        raise LeadscoreError(
            f"{path}: {len(fitting)} registered models read this file's columns; choose one: "
            f"{listed} (or `name` NAME)."
        )
    closest = sorted(models, key=lambda m: len(m.missing(columns)))[:3]
    lacking = "; ".join(
        f"{m.name} (trained on {m.table or 'a table'}) needs {_quoted(m.missing(columns))}"
        for m in closest
    )
    raise LeadscoreError(
        f"{path}: no registered model reads this file's columns, the file lacks some of each: "
        f"{lacking}. Train a model for it ({train}), or pass `model` to name one."
    )


def _quoted(headers: list[str], shown: int = 5) -> str:
    """'A', 'B' and 3 more"""
    text = ", ".join(f"'{h}'" for h in headers[:shown])
    return text + (f" and {len(headers) - shown} more" if len(headers) > shown else "")


#: URI schemes resolved through MLflow; anything else is a folder.
_URI_SCHEMES = ("models:/", "runs:/")


def load_model(uri: str) -> LoadedModel:
    """Load ``models:/NAME@ALIAS``, ``models:/NAME/VERSION``, ``runs:/RUN/model`` or a folder.

    Nothing is unpickled. A folder must be a bundle written by ``leadscore export`` (checked
    against its manifest of SHA-256 hashes before anything is read, see
    :mod:`leadscore.modeling.bundle`). A registry or run URI loads the bundle its training run
    logged; only a run from before bundles falls back to its MLflow pyfunc (the user's own
    registry). URIs are recognised before folders, so a folder named ``models:`` in the
    working directory changes nothing.

    Raises
    ------
    LeadscoreError
        When the registry has no such model, or the folder is not an intact export.
    """

    if not uri.startswith(_URI_SCHEMES):
        return read_bundle(Path(uri), source=uri)
    import mlflow
    from mlflow.exceptions import MlflowException

    connect()
    try:
        if uri.startswith("models:/"):
            version, run_id = _registry_version(uri)
        else:
            version, run_id = "local", uri.removeprefix("runs:/").partition("/")[0]
        with run_bundle(run_id) as folder:
            if folder is not None:
                loaded = read_bundle(folder, source=uri)
                loaded.version, loaded.run_id = version, run_id
                return loaded
        pyfunc = mlflow.pyfunc.load_model(uri)  # a run from before bundles: the user's own
    except MlflowException as exc:
        raise LeadscoreError(
            f"no model at {uri} (tracking store {tracking_uri()}): {_first_line(exc)} "
            f"{_registry_advice(uri)}"
        ) from None
    except OSError as exc:  # e.g. the run's artifact folder was moved or deleted
        raise LeadscoreError(
            f"the files of {uri} cannot be read ({exc.strerror or exc}) from the tracking store "
            f"{tracking_uri()}."
        ) from None
    wrapper = pyfunc.unwrap_python_model()
    return LoadedModel(
        wrapper.model,
        getattr(wrapper, "typer", None),
        version,
        uri,
        run_id,
        getattr(wrapper, "reference", None),
    )


def _registry_advice(uri: str) -> str:
    """What to do when ``uri`` names nothing: the model's versions if it has no such alias,
    else how models get registered."""
    from mlflow.exceptions import MlflowException

    name, _, alias = uri.removeprefix("models:/").partition("@")
    if uri.startswith("models:/") and alias:
        try:
            versions = connect().search_model_versions(f"name = '{name}'", max_results=5)
        except MlflowException:
            versions = []
        if versions:
            newest = max(int(v.version) for v in versions)
            return (
                f"{name} has versions but no '{alias}' (none was promoted, e.g. the leakage "
                f"audit flagged them): pass `model` models:/{name}/{newest}, or retrain with "
                "`promote`."
            )
    return (
        "Train one first ('leadscore train' registers 'leadscore' for event data and "
        "'leadscore-FILE' for a flat table FILE.csv, or `name` NAME, each with its own "
        "'champion' alias) or pass `model`."
    )


def _registry_version(uri: str) -> tuple[str, str]:
    name, _, ref = uri.removeprefix("models:/").partition("@")
    client = connect()
    if ref:
        found = client.get_model_version_by_alias(name, ref)
    else:
        name, _, number = name.partition("/")
        found = client.get_model_version(name, number)
    return str(found.version), found.run_id


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if text.endswith(".") else text + "."
