"""The commands as library calls: checks before any work, defaults chosen, results returned."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from leadscore import config, workflows
from leadscore.errors import LeadscoreError


def test_a_german_flat_export_is_what_german_excel_saves(tmp_path: Path) -> None:
    written = workflows.write_flat_export(tmp_path / "export.csv", rows=30, german=True)
    raw = written.path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark of Excel's "CSV UTF-8"
    header = raw[3:].decode("utf-8").splitlines()[0].split(";")
    assert written.headers["Converted"] in header and written.headers["Lead ID"] in header
    assert written.headers["Converted"] != "Converted"  # the German names, for the hint
    with pytest.raises(LeadscoreError, match="`drift` 'wild': give one of none, mild, strong"):
        workflows.write_flat_export(tmp_path / "other.csv", drift="wild")


def test_training_refuses_flat_table_options_for_event_data_before_any_work(
    tmp_path: Path,
) -> None:
    with pytest.raises(LeadscoreError) as refused:
        workflows.train(tmp_path / "no-data-yet", target="Converted", id_col="Lead ID")
    assert str(refused.value) == ("`target`, `id_col` only apply to a flat table (`table` FILE).")
    out_dir = tmp_path / "reports"
    with pytest.raises(LeadscoreError, match=r"`metrics_out` .* inside `out_dir`'s figures"):
        workflows.train(
            tmp_path / "no-data-yet", out_dir=out_dir, metrics_out=out_dir / "figures" / "m.json"
        )
    assert not out_dir.exists()


def test_a_points_rule_on_a_window_the_settings_do_not_build_fails_before_the_table(
    tmp_path: Path,
) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("windows_days: [14, 60]\n")
    # The folder does not exist: the sheet is checked before any data is read or staged.
    with pytest.raises(LeadscoreError, match=r"email_open.*14, 60 days"):
        workflows.train(tmp_path / "no-data-yet", settings=settings, track=False)


def test_scoring_checks_its_options_before_loading_anything(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "scores.csv"
    with pytest.raises(LeadscoreError, match="`lang` 'fr': use en or de"):
        workflows.score(data, out=out, lang="fr")
    with pytest.raises(LeadscoreError, match="use them with `table`"):
        workflows.score(data, out=out, phrases=tmp_path / "phrases.yaml")
    with pytest.raises(LeadscoreError, match="`model` and `name` both name a model"):
        workflows.score(data, out=out, model="models:/x@champion", name="x")
    assert not out.exists()


def test_the_scoring_model_is_the_one_named_or_the_event_champion() -> None:
    assert workflows.scoring_model() == ("models:/leadscore@champion", [])
    assert workflows.scoring_model(name="leadscore-q3") == ("models:/leadscore-q3@champion", [])
    assert workflows.scoring_model(model="models/champion") == ("models/champion", [])
    with pytest.raises(LeadscoreError, match="`name` 'q3/x'"):
        workflows.scoring_model(name="q3/x")


def test_a_flat_models_identity_changes_with_what_it_learnt_from(tmp_path: Path) -> None:
    export, types = tmp_path / "export.csv", tmp_path / "types.csv"
    export.write_text("Lead ID,Converted\nL1,yes\n")
    types.write_text("column,type\nLead ID,drop\n")
    flat = SimpleNamespace(target="Converted", excluded=["Email"], time_col=None, kept=())
    plain = workflows.flat_identity(export, flat)
    assert plain == workflows.flat_identity(export, flat)
    kept = workflows.flat_identity(export, SimpleNamespace(**{**vars(flat), "kept": ("Notes",)}))
    typed = workflows.flat_identity(export, flat, types)
    assert len({plain, kept, typed}) == 3
    types.write_text("column,type\nLead ID,category\n")  # another correction, another model
    assert workflows.flat_identity(export, flat, types) != typed


def _scores(path: Path, modified: float) -> Path:
    frame = pd.DataFrame({"rank": [1], "lead_id": ["0042"], "as_of": ["2026-04-01"]})
    frame.to_csv(path, index=False)
    os.utime(path, (modified, modified))
    return path


def test_the_report_takes_the_newest_scores_file_but_never_a_drift_table(
    tmp_path: Path, monkeypatch
) -> None:
    from leadscore.modeling.tracking import connect

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = connect()
    run = client.create_run(client.create_experiment("runs"))
    client.log_metric(run.info.run_id, "lightgbm.roc_auc", 0.8)
    folder = tmp_path / "scores"
    folder.mkdir()
    monkeypatch.setattr(config, "SCORES_FILE", folder / "scores.csv")
    now = time.time()
    _scores(folder / "scores.csv", now - 60)
    newest = _scores(folder / "scores_march.csv", now - 30)
    (folder / "scores_march_drift.csv").write_text("feature,psi,status\n")  # written after it
    done = workflows.make_report(run.info.run_id, out=tmp_path / "page.html", track=False)
    assert done.scores == newest and done.logged is None
    assert "<td>0042</td>" in done.path.read_text(encoding="utf-8")
    with pytest.raises(LeadscoreError, match=r"`out` .* would be written over `scores`"):
        workflows.make_report(run.info.run_id, scores=newest, out=newest, track=False)


def test_compare_refuses_to_write_into_the_data_folder_before_any_work(tmp_path: Path) -> None:
    data = tmp_path / "raw"
    data.mkdir()
    with pytest.raises(LeadscoreError, match=r"`out_dir`'s points_comparison.csv .*`data`"):
        workflows.compare_run(data, out_dir=data, track=False)
    assert list(data.iterdir()) == []


def test_training_with_an_unusable_tracking_store_fails_before_any_work(
    tmp_path: Path, monkeypatch
) -> None:
    folder = tmp_path / "mlflow.db"
    folder.mkdir()  # a folder where the database file should be
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder}")
    began = time.perf_counter()
    with pytest.raises(LeadscoreError, match=r"tracking store .* cannot be used .*is a folder"):
        workflows.train(tmp_path / "no-data-yet", out_dir=tmp_path / "reports")
    assert time.perf_counter() - began < 10  # not MLflow's two minutes of retries
    assert not (tmp_path / "reports").exists()


@pytest.mark.slow
def test_spark_scores_the_registered_champion_like_duckdb(
    registry: Path, data: Path, spark, tmp_path: Path, monkeypatch
) -> None:
    """score --engine spark: features and scores on Spark equal the default engine's."""
    from typer.testing import CliRunner

    from leadscore.cli import app

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{registry / 'mlflow.db'}")
    runs = {}
    for engine, out in (("duckdb", tmp_path / "d.csv"), ("spark", tmp_path / "spark-scores")):
        result = CliRunner().invoke(
            app,
            ["score", "--data", str(data), "--out", str(out), "--engine", engine, "--lang", "de"],
        )
        assert result.exit_code == 0, result.output
        runs[engine] = out
    duck = pd.read_csv(runs["duckdb"], keep_default_na=False)
    on_spark = pd.read_parquet(runs["spark"]).sort_values("rank", ignore_index=True)
    assert len(duck) == len(on_spark) > 1000
    assert (runs["spark"] / "priority=very high").is_dir()  # partitioned by priority
    assert (tmp_path / "spark-scores_drift.csv").is_file() or any(
        p.name.endswith("_drift.csv") for p in tmp_path.iterdir()
    )
    assert duck["lead_id"].tolist() == on_spark["lead_id"].tolist()
    assert abs(duck["probability"] - on_spark["probability"]).max() <= 1e-9
    for column in ("rank", "score", "priority", "grade", "reason_1", "reason_2", "reason_3"):
        if column in duck.columns:
            assert duck[column].astype(str).tolist() == on_spark[column].astype(str).tolist(), (
                column
            )


def test_training_reads_a_table_built_before_and_a_sample_of_it(data: Path, tmp_path: Path) -> None:
    """train --training-table: the table 'features' wrote (by any engine) trains as --data does."""
    cutoffs = "monthly:2025-01-01:2025-09-01"
    built = workflows.build_features(data, cutoffs=cutoffs, out=tmp_path / "t.parquet")
    direct = workflows.train(
        data, cutoffs=cutoffs, out_dir=tmp_path / "a", track=False, metrics_out=tmp_path / "a.json"
    )
    from_file = workflows.train(
        training_table=built.path,
        out_dir=tmp_path / "b",
        track=False,
        metrics_out=tmp_path / "b.json",
    )
    metrics = [json.loads((tmp_path / f"{run}.json").read_text()) for run in "ab"]
    assert metrics[0].pop("oracle") is not None  # synthetic data: the ground truth's ceiling
    assert metrics[1].pop("oracle") is None  # a table from a file may come from other data
    assert metrics[0] == metrics[1]
    sampled = workflows.train(
        training_table=built.path, sample=0.5, out_dir=tmp_path / "c", track=False
    )
    assert len(sampled.comparison.test_scores) < 0.7 * len(from_file.comparison.test_scores)
    with pytest.raises(LeadscoreError, match=r"`cutoffs`: a `training_table` was built"):
        workflows.train(training_table=built.path, cutoffs=cutoffs, track=False)
    assert direct.comparison.n_train == from_file.comparison.n_train
