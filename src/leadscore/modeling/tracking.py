"""MLflow tracking and registry for a model comparison.

Default tracking URI: ``sqlite:///mlflow.db`` in the project (``MLFLOW_TRACKING_URI`` overrides
it, so a team server works unchanged). A run logs parameters, the data fingerprint, the git
commit, every metric of every model, the comparison files and the feature catalogue, and the
LightGBM model as one pyfunc that returns *probabilities* (a plain LightGBM-classifier pyfunc
would return 0/1 labels). The model is registered as ``leadscore``; the ``champion`` alias moves
to it when promoted or when it beats the current champion's held-out ROC AUC.

Nothing personal is logged: the input example holds feature values only (no ids, e-mails,
names or titles).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from leadscore import config
from leadscore.modeling.compare import Comparison
from leadscore.modeling.train import LightGBMModel

MODEL_NAME = "leadscore"
CHAMPION = "champion"
EXPERIMENT = "leadscore"


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else a SQLite file in the project."""
    return os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{config.PROJECT_ROOT / 'mlflow.db'}")


def data_fingerprint(inputs_hash: str, table: pd.DataFrame, horizon_days: int) -> str:
    """Hash of what the training data depends on: the input files, the cutoffs, the horizon."""
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
        """Scoring table in, calibrated probability of converting out."""

        def __init__(self, model: LightGBMModel) -> None:
            self.model = model

        def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
            return pd.DataFrame({"probability": self.model.predict_proba(model_input)[:, 1]})

    return LeadScorePyfunc


def _input_example(model: LightGBMModel, table: pd.DataFrame) -> pd.DataFrame:
    example = table[model.features_].head(5).copy()
    for name in model.categories_:
        example[name] = example[name].astype(object)  # plain strings for the signature
    return example.reset_index(drop=True)


def log_comparison(
    comparison: Comparison,
    table: pd.DataFrame,
    *,
    fingerprint: str,
    horizon_days: int,
    files: dict[str, Path],
    catalogue: pd.DataFrame,
    promote: bool = False,
) -> tuple[str, str, bool]:
    """Log the comparison as one MLflow run and register the LightGBM model.

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
    split = comparison.split
    with mlflow.start_run() as run:
        mlflow.log_params(
            {
                **{f"lightgbm.{k}": v for k, v in model.get_params().items()},
                "lightgbm.best_iteration": model.best_iteration_,
                "horizon_days": horizon_days,
                "train_cutoffs": ",".join(f"{c:%Y-%m-%d}" for c in split.train),
                "valid_cutoff": f"{split.valid:%Y-%m-%d}",
                "test_cutoff": f"{split.test:%Y-%m-%d}",
                "rows": len(table),
                "features": len(model.features_),
                "points_sheet": comparison.models["hand_set_points"].sheet_.source,
            }
        )
        mlflow.set_tags(
            {
                "data_fingerprint": data_fingerprint(fingerprint, table, horizon_days),
                "inputs_hash": fingerprint,
                "git_commit": _git_commit(),
            }
        )
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
            catalogue_path = Path(tmp) / "feature_catalogue.csv"
            catalogue.to_csv(catalogue_path, index=False)
            mlflow.log_artifact(str(catalogue_path), artifact_path="reports")
        example = _input_example(model, table)
        pyfunc = _pyfunc_class()(model)
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
    client = MlflowClient()
    promoted = promote or _beats_champion(client, metrics["lightgbm.roc_auc"])
    if promoted:
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    return run.info.run_id, version, promoted


def _ensure_experiment() -> None:
    """Use the experiment; a new one on a SQLite store keeps its artifacts next to the file."""
    import mlflow

    uri = tracking_uri()
    if mlflow.get_experiment_by_name(EXPERIMENT) is None and uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///"))
        location = (database.parent / "mlruns").resolve().as_uri()
        mlflow.create_experiment(EXPERIMENT, artifact_location=location)
    mlflow.set_experiment(EXPERIMENT)


def _beats_champion(client, roc_auc: float) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        champion = client.get_model_version_by_alias(MODEL_NAME, CHAMPION)
    except MlflowException:
        return True  # no champion yet
    best = client.get_run(champion.run_id).data.metrics.get("lightgbm.roc_auc", float("-inf"))
    return roc_auc > best


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("lightgbm", "pandas", "numpy", "scikit-learn", "mlflow")]


def export_champion(out_dir: str | Path) -> Path:
    """Copy the champion to ``out_dir``: the MLflow model folder and LightGBM's text model.

    Scoring then works from a plain folder (``mlflow.pyfunc.load_model(out_dir / "mlflow")``)
    and the booster can be read by any LightGBM (``out_dir / "lightgbm.txt"``).
    """
    import shutil

    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    out_dir = Path(out_dir)
    staging = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{MODEL_NAME}@{CHAMPION}", dst_path=str(staging / "mlflow")
    )
    model = mlflow.pyfunc.load_model(str(staging / "mlflow")).unwrap_python_model().model
    model.booster_.booster_.save_model(str(staging / "lightgbm.txt"))
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return out_dir
