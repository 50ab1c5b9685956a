"""leadscore compare: learned vs hand-set points of a run, rule importance, what-if grading."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import app


def _compare(home: Path, data: Path, *extra: str):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
        result = CliRunner().invoke(
            app, ["compare", "--data", str(data), "--out-dir", str(home / "cmp"), *extra]
        )
        client = mlflow.MlflowClient()
        run_id = client.get_model_version_by_alias("leadscore", "champion").run_id
        logged = [a.path for a in client.list_artifacts(run_id, "compare")]
    return result, logged


def test_compare_writes_the_sheet_what_if_and_figures_and_logs_them(registry, data) -> None:
    result, logged = _compare(registry, data)
    assert result.exit_code == 0, result.output
    out = registry / "cmp"
    sheet = pd.read_csv(out / "points_comparison.csv")
    assert {"rule", "hand_set_points", "learned_points", "difference", "leads"} <= set(sheet)
    assert (
        sheet["difference"] - (sheet["learned_points"] - sheet["hand_set_points"])
    ).abs().max() < 0.11
    # Every rule reads features the model has, so each has a SHAP importance.
    assert sheet["shap_importance"].notna().all() and (sheet["shap_importance"] >= 0).all()
    what_if = pd.read_csv(out / "what_if.csv").set_index("sheet")
    assert list(what_if.index) == ["hand_set_points", "learned_points", "lightgbm_top"]
    # The what-if of the run's held-out leads agrees with what training reported for them, and
    # LightGBM's top leads (as many as the hand-set MQLs) hold more of the conversions.
    trained = pd.read_csv(registry / "reports" / "model_comparison.csv", index_col=0)
    for sheet_name, model in [
        ("hand_set_points", "hand_set_points"),
        ("learned_points", "learned_points"),
        ("lightgbm_top", "lightgbm"),
    ]:
        assert what_if.loc[sheet_name, "precision"] == pytest.approx(
            trained.loc[model, "precision_at_threshold"]
        ), sheet_name
        assert what_if.loc[sheet_name, "recall"] == pytest.approx(
            trained.loc[model, "recall_at_threshold"]
        ), sheet_name
    assert (
        what_if.loc["lightgbm_top", "converted_mqls"]
        > what_if.loc["hand_set_points", "converted_mqls"]
    )
    for name in ("points_hand_vs_learned.png", "gains.png", "grades.png"):
        assert (out / "figures" / name).stat().st_size > 10_000
    assert "compare/points_comparison.csv" in logged and "compare/what_if.csv" in logged
    # The learned points of the run's own file are reproduced (the fit is deterministic).
    run_sheet = pd.read_csv(registry / "reports" / "points_comparison.csv")
    pd.testing.assert_series_equal(run_sheet["learned_points"], sheet["learned_points"])


def test_compare_without_a_champion_is_a_clear_error(tmp_path, data) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
        result = CliRunner().invoke(app, ["compare", "--data", str(data)])
    assert result.exit_code != 0
    assert "train first" in str(result.exception)
