"""MLflow: one run per comparison, a probability pyfunc, the champion alias, no personal data."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import NOW
from leadscore.features.pipeline import build_training_table
from leadscore.modeling.compare import compare_models
from leadscore.modeling.train import LightGBMModel


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    from leadscore.synthetic import generate

    data = tmp_path_factory.mktemp("data")
    generate(data, n_leads=4000, seed=5)
    table = build_training_table(
        data, "monthly:2025-01-01:2025-12-01", 90, interim_dir=tempfile.mkdtemp(), now=NOW
    )
    return table, compare_models(table.frame, 90)


@pytest.fixture
def mlflow_home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


def _log(built, tmp: Path, comparison=None, promote=False):
    from leadscore.modeling.tracking import log_comparison

    table, default = built
    comparison = comparison or default
    report = tmp / "model_comparison.csv"
    comparison.metrics.to_csv(report)
    return log_comparison(
        comparison,
        table.frame,
        fingerprint=table.fingerprint,
        horizon_days=90,
        files={"model_comparison.csv": report},
        catalogue=table.catalogue_frame(),
        promote=promote,
    )


def test_registered_pyfunc_returns_probabilities(built, mlflow_home: Path) -> None:
    import mlflow

    table, comparison = built
    run_id, version, promoted = _log(built, mlflow_home)
    assert (version, promoted) == ("1", True)
    model = mlflow.pyfunc.load_model("models:/leadscore@champion")
    test = table.frame[table.frame["cutoff"] == comparison.split.test]
    out = model.predict(test[comparison.models["lightgbm"].features_])
    p = out["probability"].to_numpy()
    assert not np.isin(p, [0.0, 1.0]).all(), "class labels instead of probabilities"
    assert np.allclose(p, comparison.models["lightgbm"].predict_proba(test)[:, 1])
    run = mlflow.get_run(run_id)
    assert run.data.tags["inputs_hash"] == table.fingerprint
    from leadscore.modeling.tracking import data_fingerprint

    assert run.data.tags["data_fingerprint"] == data_fingerprint(table.fingerprint, table.frame, 90)
    assert data_fingerprint(table.fingerprint, table.frame, 60) != run.data.tags["data_fingerprint"]
    assert "lightgbm.roc_auc" in run.data.metrics
    assert "hand_set_points.brier" in run.data.metrics
    assert (mlflow_home / "mlruns").is_dir(), "artifacts belong next to the SQLite file"
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "reports")}
    assert {"reports/model_comparison.csv", "reports/feature_catalogue.csv"} <= artifacts


def test_champion_moves_only_when_beaten_or_promoted(built, mlflow_home: Path) -> None:
    from mlflow import MlflowClient

    table, _ = built
    _log(built, mlflow_home)
    weak = compare_models(table.frame, 90, lightgbm=LightGBMModel(n_estimators=1, num_leaves=2))
    _, version, promoted = _log(built, mlflow_home, weak)
    champion = MlflowClient().get_model_version_by_alias("leadscore", "champion")
    assert (version, promoted, str(champion.version)) == ("2", False, "1")
    _, version, promoted = _log(built, mlflow_home, weak, promote=True)
    champion = MlflowClient().get_model_version_by_alias("leadscore", "champion")
    assert (version, promoted, str(champion.version)) == ("3", True, "3")


def test_no_personal_data_reaches_mlflow(built, mlflow_home: Path) -> None:
    import mlflow

    run_id, _, _ = _log(built, mlflow_home)
    run = mlflow.get_run(run_id)
    logged = " ".join(map(str, [*run.data.params.values(), *run.data.tags.values()]))
    root = Path(mlflow.get_run(run_id).info.artifact_uri.removeprefix("file://"))
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".csv", ".txt", ""):
            logged += path.read_text(errors="ignore")
    assert "@" not in logged
    assert "L00" not in logged  # no lead ids either


def test_champion_exports_to_a_plain_folder(built, mlflow_home: Path) -> None:
    import lightgbm as lgb
    import mlflow

    from leadscore.modeling.tracking import export_champion

    table, comparison = built
    _log(built, mlflow_home)
    folder = export_champion(mlflow_home / "models" / "champion")
    test = table.frame[table.frame["cutoff"] == comparison.split.test]
    model = mlflow.pyfunc.load_model(str(folder / "mlflow"))
    expected = comparison.models["lightgbm"].predict_proba(test)[:, 1]
    assert np.allclose(model.predict(test)["probability"], expected)
    booster = lgb.Booster(model_file=str(folder / "lightgbm.txt"))
    assert booster.num_trees() == comparison.models["lightgbm"].best_iteration_
