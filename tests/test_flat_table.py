"""Flat tables: type inference on messy values, the target, the split, the whole train path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.flat_table import TableTyper, flat_split, load_flat_table, parse_target, to_number
from leadscore.modeling.compare import compare_flat
from leadscore.readers import read_table_file
from leadscore.synthetic.flat import messy_flat_table


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flat") / "crm_export.csv"
    messy_flat_table(3000, seed=4).to_csv(path, index=False, sep=";")
    return path


def test_numbers_booleans_and_placeholders_are_understood() -> None:
    text = pd.Series(["1,200", "1.200.000", "3,5", "-7", "12 %", None], dtype="string")
    assert to_number(text).tolist()[:5] == [1200, 1_200_000, 3.5, -7, 12]
    raw = pd.DataFrame(
        {
            "Employees": ["1,200", "Unknown", "45", "n/a"],
            "consent": ["Ja", "nein", "", "JA"],
            "stage": ["Select", "-- Select --", "Lead", "MQL"],
            "customer_id": ["C1", "C2", "C3", "C4"],
            "phone": ["+49 1", "+49 2", "+49 3", "+49 4"],
            "region": ["EU", "EU", "EU", "EU"],
        }
    )
    typer = TableTyper().fit(raw)
    assert typer.kinds_ == {"Employees": "numeric", "consent": "boolean", "stage": "category"}
    assert set(typer.dropped_) == {"customer_id", "phone", "region"}
    out = typer.transform(raw)
    assert out["Employees"].isna().tolist() == [False, True, False, True]
    assert out["consent"].tolist()[:2] == [1.0, 0.0]
    assert out["stage"].isna().sum() == 2


def test_dates_become_days_before_the_row_time_and_are_dropped_without_one() -> None:
    raw = pd.DataFrame(
        {
            "created": ["2025-03-10", "2025-03-20", "2025-04-01"],
            "first_touch": ["01.03.2025", "10.03.2025", "2025-01-01"],
        }
    )
    with_time = TableTyper(time_col="created").fit(raw)
    assert with_time.kinds_ == {"first_touch": "date"}
    assert with_time.transform(raw)["first_touch"].tolist() == [9.0, 10.0, 90.0]
    assert "first_touch" in TableTyper().fit(raw).dropped_


def test_targets_in_every_spelling_and_a_clear_error_otherwise(tmp_path: Path) -> None:
    got = parse_target(pd.Series(["Yes", "no", "TRUE", "0", "1", ""]), tmp_path, "won")
    assert got.tolist()[:5] == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert np.isnan(got.iloc[5])
    with pytest.raises(LeadscoreError, match=r"target column 'won' has 1 value.*'maybe'"):
        parse_target(pd.Series(["yes", "maybe"]), tmp_path / "x.csv", "won")


def test_loading_names_missing_columns_and_leaves_out_open_leads(export: Path) -> None:
    with pytest.raises(LeadscoreError, match=r"crm_export.csv: --target column 'Won'"):
        load_flat_table(export, "Won")
    table = load_flat_table(export, "Converted", id_col="Lead ID", time_col="Created Date")
    assert table.rows_without_target > 0
    assert len(table.labels) + table.rows_without_target == 3000
    assert set(np.unique(table.labels)) == {0, 1}
    assert table.excluded == ("converted", "lead_id")


def test_time_split_puts_the_latest_rows_in_test_and_random_split_stratifies(export) -> None:
    timed = load_flat_table(export, "Converted", time_col="Created Date")
    split = flat_split(timed)
    times = timed.times.to_numpy()
    assert times[split.train].max() <= times[split.valid].min()
    assert times[split.valid].max() <= times[split.test].min()
    untimed = load_flat_table(export, "Converted")
    split = flat_split(untimed, seed=1)
    rates = [untimed.labels[part].mean() for part in (split.train, split.valid, split.test)]
    assert max(rates) - min(rates) < 0.01
    assert len(np.intersect1d(split.train, split.test)) == 0


def test_the_leakage_audit_flags_the_planted_column_and_nothing_else(export: Path) -> None:
    table = load_flat_table(export, "Converted", id_col="Lead ID", time_col="Created Date")
    comparison = compare_flat(table)
    audit = comparison.audit
    assert audit.loc[audit["flagged"], "feature"].tolist() == ["deal_stage"]
    assert "--drop deal_stage" in audit.loc[0, "advice"]
    assert set(comparison.typer.dropped_) == {"email", "full_name"}
    clean = load_flat_table(
        export, "Converted", id_col="Lead ID", time_col="Created Date", drop=["Deal Stage"]
    )
    honest = compare_flat(clean)
    assert not honest.audit["flagged"].any()
    auc = honest.metrics["roc_auc"]
    assert 0.65 < auc["lightgbm"] < 0.95 and 0.65 < auc["learned_points"] < 0.95
    assert list(honest.models) == ["learned_points", "lightgbm"]  # no points file given


def test_train_command_on_a_flat_table(export: Path, tmp_path: Path, monkeypatch) -> None:
    import mlflow
    from typer.testing import CliRunner

    from leadscore.cli import app

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    metrics = tmp_path / "metrics.json"
    args = ["train", "--table", str(export), "--target", "Converted", "--id", "Lead ID"]
    args += ["--time-col", "Created Date", "--out-dir", str(tmp_path / "reports")]
    result = CliRunner().invoke(app, [*args, "--metrics-out", str(metrics)])
    assert result.exit_code == 0, result.output
    assert "Drop it with --drop deal_stage" in " ".join(result.output.split())
    written = json.loads(metrics.read_text())
    assert set(written["models"]) == {"learned_points", "lightgbm"}
    assert written["leakage_audit"]["flagged"] == ["deal_stage"]
    assert (tmp_path / "reports" / "leakage_audit.csv").is_file()
    run = mlflow.get_run(written["mlflow_run_id"])
    assert run.data.tags["leakage_flagged"] == "deal_stage"
    assert run.data.tags["mode"] == "flat_table"
    # The leaky model is registered but not promoted; the honest one becomes the champion.
    client = mlflow.MlflowClient()
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.get_model_version_by_alias("leadscore", "champion")
    result = CliRunner().invoke(app, [*args, "--drop", "Deal Stage", "--no-track"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, [*args, "--drop", "Deal Stage"])
    assert "now the champion" in " ".join(result.output.split())
    model = mlflow.pyfunc.load_model("models:/leadscore@champion")
    raw = read_table_file(export).frame.head(20)  # as exported: text, normalised headers
    p = model.predict(raw)["probability"]
    assert p.between(0, 1).all() and p.std() > 0
    for path in Path(run.info.artifact_uri.removeprefix("file://")).rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".json", ".yaml"):
            assert "@example-" not in path.read_text(errors="ignore"), path


def test_flat_table_flags_are_refused_with_events_data(tiny: Path) -> None:
    from typer.testing import CliRunner

    from leadscore.cli import app

    result = CliRunner().invoke(app, ["train", "--data", str(tiny), "--target", "won"])
    assert result.exit_code != 0
    assert "only apply to a flat table" in str(result.exception)
