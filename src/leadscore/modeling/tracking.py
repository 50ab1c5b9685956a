"""MLflow tracking and registry for a model comparison.

Default tracking URI: ``sqlite:///mlflow.db`` in the project (``MLFLOW_TRACKING_URI`` overrides
it, so a team server works unchanged). A run logs parameters, the data fingerprint, the git
commit, every metric of every model, the comparison files and the feature catalogue, and the
LightGBM model as one pyfunc that returns *probabilities* (a plain LightGBM-classifier pyfunc
would return 0/1 labels). The model is registered as ``leadscore``; the ``champion`` alias moves
to it when promoted or when it beats the current champion's held-out ROC AUC on the same kind
of data (never automatically when the leakage audit flagged a column).

Nothing of a lead is logged: the input example is one made-up row of the model's input types
(0, "example", 2000-01-01), parameters and tags hold settings, dates and hashes, and the
artifacts hold aggregates (metrics, points per bin, column types), never rows.

Every run also logs a model bundle (artifacts ``bundle/``, see :mod:`leadscore.modeling.bundle`):
LightGBM's text model and JSON metadata, with the feature settings and points sheet of the run.
Scoring and ``leadscore export`` load that bundle, never the pickled pyfunc, which stays for
MLflow's own tools (serving, ``spark_udf``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from leadscore import config
from leadscore.drift import DriftReference
from leadscore.errors import LeadscoreError
from leadscore.flat_table import TableTyper
from leadscore.io import neutralise_formulas
from leadscore.modeling.compare import MODEL_NAMES, MODEL_TITLES, Comparison
from leadscore.modeling.train import LightGBMModel
from leadscore.settings import Settings

MODEL_NAME = "leadscore"
CHAMPION = "champion"
EXPERIMENT = "leadscore"
#: Where a training run keeps its model bundle among its artifacts.
BUNDLE_ARTIFACT = "bundle"


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else a SQLite file in the project."""
    return os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{config.PROJECT_ROOT / 'mlflow.db'}")


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


def log_comparison(
    comparison: Comparison,
    table: pd.DataFrame,
    *,
    fingerprint: str,
    horizon_days: int | None,
    files: dict[str, Path],
    catalogue: pd.DataFrame,
    promote: bool = False,
    settings: Settings | None = None,
) -> tuple[str, str, bool]:
    """Log the comparison as one MLflow run and register the LightGBM model.

    ``settings`` are the feature settings the table was built with (default: the shipped
    ones); the run's model bundle carries them, and the hand-set points sheet, for scoring.

    Returns
    -------
    run_id, version, promoted
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.models import infer_signature

    mlflow.set_tracking_uri(tracking_uri())
    _ensure_experiment()
    model: LightGBMModel = comparison.models["lightgbm"]
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
            }
        )
        mlflow.set_tags(
            {
                "data_fingerprint": data_fingerprint(fingerprint, table, horizon_days),
                "inputs_hash": fingerprint,
                "git_commit": _git_commit(),
                "mode": "events" if comparison.typer is None else "flat_table",
            }
        )
        if comparison.audit is not None:
            flagged = comparison.audit.loc[comparison.audit["flagged"], "feature"].tolist()
            mlflow.set_tag("leakage_flagged", ",".join(flagged) or "none")

        metrics = {
            f"{name}.{metric}": float(value)
            for name, row in comparison.metrics.iterrows()
            for metric, value in row.items()
            if pd.notna(value)
        }
        mlflow.log_metrics(metrics)
        for path in files.values():
            mlflow.log_artifact(str(path), artifact_path="reports")
        with tempfile.TemporaryDirectory() as tmp:
            name = "feature_catalogue.csv" if comparison.typer is None else "column_types.csv"
            catalogue_path = Path(tmp) / name
            # Headers such as "=Lead Source+0" reach it: safe to open in a spreadsheet.
            neutralise_formulas(catalogue).to_csv(catalogue_path, index=False)
            mlflow.log_artifact(str(catalogue_path), artifact_path="reports")
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
                registered_model_name=MODEL_NAME,
            )
        version = str(info.registered_model_version)
        _log_bundle(comparison, version, run.info.run_id, horizon_days, settings)
    client = MlflowClient()
    mode = "events" if comparison.typer is None else "flat_table"
    leaky = comparison.audit is not None and bool(comparison.audit["flagged"].any())
    # A model fed a column that gives the outcome away looks best and scores new leads worst.
    promoted = promote or (not leaky and _beats_champion(client, metrics["lightgbm.roc_auc"], mode))
    if promoted:
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    return run.info.run_id, version, promoted


def _log_bundle(
    comparison: Comparison,
    version: str,
    run_id: str,
    horizon_days: int | None,
    settings: Settings | None,
) -> None:
    import mlflow

    from leadscore.modeling.bundle import write_bundle
    from leadscore.modeling.predict import LoadedModel
    from leadscore.settings import load_settings

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
        name=MODEL_NAME,
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_bundle(Path(tmp) / BUNDLE_ARTIFACT, loaded)
        mlflow.log_artifacts(str(folder), artifact_path=BUNDLE_ARTIFACT)


@contextlib.contextmanager
def run_bundle(run_id: str) -> Iterator[Path | None]:
    """A temporary copy of the run's model bundle, or None for a run from before bundles."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri())
    if not any(a.path == BUNDLE_ARTIFACT for a in MlflowClient().list_artifacts(run_id)):
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


def _beats_champion(client, roc_auc: float, mode: str) -> bool:
    """No champion yet, or a better held-out ROC AUC on the same kind of data.

    A flat-table model and an events model are never compared automatically: their held-out
    sets differ, so only ``--promote`` replaces a champion of the other kind.
    """
    from mlflow.exceptions import MlflowException

    try:
        champion = client.get_model_version_by_alias(MODEL_NAME, CHAMPION)
    except MlflowException:
        return True  # no champion yet
    run = client.get_run(champion.run_id)
    if run.data.tags.get("mode", "events") != mode:
        return False
    return roc_auc > run.data.metrics.get("lightgbm.roc_auc", float("-inf"))


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("lightgbm", "pandas", "numpy", "scikit-learn", "mlflow")]


def export_champion(out_dir: str | Path) -> Path:
    """Write the champion's model bundle to ``out_dir`` (LightGBM's text model, JSON, manifest).

    ``out_dir`` must be new, empty or an earlier export. Only the bundle's own files are
    replaced (an earlier export's other files and subfolders stay), and only after the new
    bundle was written and checked in a staging folder next to it: a failure before that leaves
    the earlier export as it was. Scoring loads the folder with ``--model``; any LightGBM reads
    ``out_dir / "lightgbm.txt"``.

    Raises
    ------
    LeadscoreError
        When ``out_dir`` is a file, or a folder holding files that are not an earlier export.
    mlflow.exceptions.MlflowException
        When the registry has no champion.
    """
    import shutil

    from leadscore.modeling.bundle import BUNDLE_FILES, read_bundle, write_bundle
    from leadscore.modeling.predict import load_model

    out_dir = Path(out_dir)
    owned = _owned_by_export(out_dir)
    loaded = load_model(f"models:/{MODEL_NAME}@{CHAMPION}")
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
    from leadscore.modeling.bundle import BUNDLE_FILES, MODEL_FILE, is_bundle

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


def find_run(run_id: str | None = None):
    """The MLflow run ``run_id``, or the champion's, and its registered version ("-" if not
    looked up through the registry)."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking_uri())
    client = MlflowClient()
    version = "-"
    try:
        if run_id is None:
            champion = client.get_model_version_by_alias(MODEL_NAME, CHAMPION)
            run_id, version = champion.run_id, str(champion.version)
        return client.get_run(run_id), version
    except MlflowException:
        what = f"run {run_id}" if run_id else f"a '{CHAMPION}' of model '{MODEL_NAME}'"
        raise LeadscoreError(
            f"no {what} in {tracking_uri()}: train first ('leadscore train') or pass --run."
        ) from None


def training_run(run_id: str | None = None) -> TrainingRun:
    """The run's time split and held-out metrics (default: the champion's run)."""
    run, _ = find_run(run_id)
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
    )


def _utc_day(value: str) -> pd.Timestamp:
    return pd.Timestamp(value, tz="UTC")


def set_champion(version: str) -> None:
    """Point the ``champion`` alias at a registered version (what ``--promote`` does)."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri())
    MlflowClient().set_registered_model_alias(MODEL_NAME, CHAMPION, str(version))
