"""The command line as an operator uses it: exit codes, messages, no tracebacks, no PII."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import TINY, write_tables
from leadscore.docs import contract_markdown

ROOT = Path(__file__).resolve().parents[1]


def _leadscore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leadscore", *args],
        capture_output=True,
        text=True,
        # The suite's throw-away project (conftest): never the checkout's data/ or mlflow.db.
        env={"COLUMNS": "200", "PATH": "", "LEADSCORE_HOME": os.environ["LEADSCORE_HOME"]},
    )


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """Help and option errors answer at once: each command imports what it needs when run."""
    heavy = ("pandas", "numpy", "sklearn", "mlflow", "lightgbm", "duckdb", "shap", "pyarrow")
    code = f"import sys, leadscore.cli; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"


def test_help_lists_the_commands() -> None:
    result = _leadscore("--help")
    assert result.returncode == 0
    for command in ("generate", "validate", "oracle", "contract"):
        assert command in result.stdout


def test_generate_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    generated = _leadscore("generate", "--out", str(out), "--leads", "300", "--seed", "1")
    assert generated.returncode == 0, generated.stderr
    assert (out / "events.parquet").is_file()
    validated = _leadscore("validate", "--data", str(out))
    assert validated.returncode == 0, validated.stderr
    assert "is valid" in validated.stdout
    assert "300 leads" in validated.stdout
    assert "@" not in validated.stdout + validated.stderr, "personal data printed"
    oracle = _leadscore("oracle", "--data", str(out), "--cutoffs", "2025-06-01")
    assert oracle.returncode == 0, oracle.stderr
    assert "2025-06-01" in oracle.stdout
    assert "oracle AUC" in oracle.stdout


def test_bad_input_exits_1_with_file_and_column_and_no_traceback(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path / "bad",
        {**TINY, "events": TINY["events"].replace("2025-01-11T08:00:00Z", "not a date")},
    )
    result = _leadscore("validate", "--data", str(folder))
    assert result.returncode == 1
    assert "events.csv, column 'occurred_at': unparseable timestamps (1 row)" in result.stderr
    assert "'not a date'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_other_user_errors_exit_1_without_traceback(tmp_path: Path) -> None:
    missing = _leadscore("validate", "--data", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert "no such data folder" in missing.stderr
    bad_profile = _leadscore("generate", "--out", str(tmp_path), "--profile", "b2x")
    assert bad_profile.returncode == 1
    assert "unknown profile" in bad_profile.stderr
    assert "Traceback" not in missing.stderr + bad_profile.stderr


def test_warnings_are_shown_with_counts(tmp_path: Path) -> None:
    leads = TINY["leads"].replace(",yes,", ",,")
    folder = write_tables(tmp_path / "warn", {**TINY, "leads": leads})
    result = _leadscore("validate", "--data", str(folder))
    assert result.returncode == 0
    assert "warning: leads.csv, column 'consent'" in result.stderr
    strict = _leadscore("validate", "--data", str(folder), "--strict")
    assert strict.returncode == 1


def test_readme_documents_the_two_commands_and_the_whole_contract() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme
    assert "make test" in readme
    assert contract_markdown() in readme, "README contract is stale: paste `leadscore contract`"


def test_ci_runs_exactly_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "\nmake test\n" in script


def test_features_writes_the_table_and_its_catalogue(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _leadscore("generate", "--out", str(data), "--leads", "300").returncode == 0
    out = tmp_path / "processed" / "training.parquet"
    env_home = {"LEADSCORE_HOME": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadscore",
            "features",
            "--data",
            str(data),
            "--cutoffs",
            "2025-05-01,2025-06-01",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", **env_home},
    )
    assert result.returncode == 0, result.stderr
    assert "2025-06-01" in result.stdout
    import pandas as pd

    table = pd.read_parquet(out)
    catalogue = pd.read_csv(out.with_name("training_catalogue.csv"))
    assert list(table.columns[4:]) == catalogue["name"].tolist()
    censored = _leadscore(
        "features", "--data", str(data), "--cutoffs", "2026-03-01", "--out", str(out)
    )
    assert censored.returncode == 1
    assert "censored" in censored.stderr
    assert "Traceback" not in censored.stderr


def test_train_compares_the_three_models(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _leadscore("generate", "--out", str(data), "--leads", "3000").returncode == 0
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadscore",
            "train",
            "--data",
            str(data),
            "--out-dir",
            str(tmp_path / "reports"),
            "--metrics-out",
            str(tmp_path / "m.json"),
        ],
        capture_output=True,
        text=True,
        env={"COLUMNS": "250", "LEADSCORE_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    for model in ("hand-set points", "learned points", "LightGBM"):
        assert model in result.stdout
    assert "oracle ROC AUC" in result.stdout
    import pandas as pd

    metrics = pd.read_csv(tmp_path / "reports" / "model_comparison.csv")
    assert metrics["model"].tolist() == ["hand_set_points", "learned_points", "lightgbm"]
    assert (tmp_path / "reports" / "points_comparison.csv").is_file()
    assert (tmp_path / "reports" / "figures" / "gains.png").is_file()
    assert "MLflow run" in result.stdout
    import json

    written = json.loads((tmp_path / "m.json").read_text())
    assert set(written["models"]) == {"points", "learned_points", "lightgbm"}
    for name in (
        "roc_auc",
        "pr_auc",
        "log_loss",
        "brier",
        "ece",
        "capture_at_10pct",
        "lift_at_10pct",
    ):
        assert name in written["models"]["lightgbm"]
    assert written["oracle"]["roc_auc"] > written["models"]["lightgbm"]["roc_auc"]
    assert written["n_train"] > written["n_test"] > 0
    assert len(written["mlflow_run_id"]) == 32
    runs = tmp_path / "mlruns"
    assert list(runs.rglob("gains.png")), "figures are logged to MLflow"
    assert "@" not in result.stdout + result.stderr


def test_terminal_escapes_in_headers_and_paths_never_reach_the_terminal(tmp_path: Path) -> None:
    from leadscore.synthetic.flat import messy_flat_table

    flat = messy_flat_table(500, seed=3)
    flat["\x1b]8;;http://evil\x1b\\Notes"] = "same"  # an OSC-8 hyperlink
    flat["\x1b[2J"] = None  # clear screen
    flat["Budget [link=http://evil]x[/link]"] = "same"  # Rich markup would make a link
    table = tmp_path / "flat.csv"
    flat.to_csv(table, index=False)
    trained = _leadscore(
        "train", "--table", str(table), "--target", "Converted", "--id", "Lead ID",
        "--no-track", "--out-dir", str(tmp_path / "reports"),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    shown = trained.stdout + trained.stderr
    assert "\x1b" not in shown
    assert "\\x1b]8;;http://evil\\x1b\\Notes " in shown  # the typing table, escaped
    assert "\\x1b[2J" in shown
    assert "Budget [link=http://evil]x[/link] " in shown  # as text, not a link
    hostile_path = tmp_path / "\x1b[2J\x07nowhere"
    failed = _leadscore("validate", "--data", str(hostile_path))
    assert failed.returncode == 1
    assert "\x1b" not in failed.stderr and "\x07" not in failed.stderr
    assert "\\x1b[2J\\x07nowhere" in failed.stderr


def test_generators_never_overwrite_a_real_export(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "leads.parquet").write_bytes(b"PAR1 mine")
    refused = _leadscore("generate", "--out", str(export), "--leads", "50", "--format", "csv")
    assert refused.returncode == 1
    assert "not an earlier synthetic dataset (leads.parquet)" in " ".join(refused.stderr.split())
    assert [p.name for p in export.iterdir()] == ["leads.parquet"]
    assert (export / "leads.parquet").read_bytes() == b"PAR1 mine"
    mine = tmp_path / "mine.csv"
    mine.write_text("my,export\n")
    kept = _leadscore("generate-flat", "--out", str(mine), "--rows", "50")
    assert kept.returncode == 1
    assert "already exists" in kept.stderr and "--overwrite" in kept.stderr
    assert mine.read_text() == "my,export\n"
    replaced = _leadscore("generate-flat", "--out", str(mine), "--rows", "50", "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert mine.read_text().startswith("Lead ID,")


def test_library_parameters_are_named_as_the_options_of_the_command() -> None:
    from leadscore.cli import flags

    train = flags("train")
    assert (train["id_col"], train["min_class_rows"], train["out_dir"]) == (
        "--id",
        "--min-class-rows",
        "--out-dir",
    )
    assert flags("generate")["file_format"] == "--format"
    assert flags("generate")["out_dir"] == "--out"  # the generator's folder is its --out
    assert (train["path"], flags("report")["path"]) == ("--table", "--scores")
    assert flags("compare")["run_id"] == "--run"


def test_errors_of_the_library_name_the_option_at_fault(tmp_path: Path) -> None:
    out = tmp_path / "t.parquet"
    result = _leadscore(
        "features", "--data", str(tmp_path / "data"), "--cutoffs", "2025-13-01", "--out", str(out)
    )
    assert result.returncode == 1
    assert "--cutoffs '2025-13-01'" in result.stderr and "`" not in result.stderr
    from typer.testing import CliRunner

    from leadscore.cli import app

    flat = CliRunner().invoke(app, ["train", "--table", str(tmp_path / "x.csv"), "--no-track"])
    assert flat.exit_code == 1
    assert str(flat.exception) == "--table needs --target COLUMN (the outcome: 1/0, yes/no)."


def test_cache_lists_and_clears_staged_copies_and_training_tables(
    tmp_path: Path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from conftest import NOW
    from leadscore import config
    from leadscore.cli import app
    from leadscore.features.pipeline import build_training_table

    interim = tmp_path / "interim"
    data = write_tables(tmp_path / "crm", TINY)
    build_training_table(data, ["2025-02-01"], 20, interim_dir=interim, now=NOW)
    monkeypatch.setattr(config, "INTERIM_DATA_DIR", interim)
    listed = CliRunner().invoke(app, ["cache"], env={"COLUMNS": "300"})
    assert listed.exit_code == 0, listed.output
    assert "Cached training tables" in listed.output and "2025-02-01" in listed.output
    cleared = CliRunner().invoke(app, ["cache", "--clear"])
    assert "Removed 1 staged copy and 1 cached training table." in cleared.output
    assert "Cached training tables" not in CliRunner().invoke(app, ["cache"]).output


def test_train_with_a_sales_capacity_stores_thresholds_that_scoring_uses(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--sales-capacity: the what-if at equal volume, and is_mql by the stored threshold."""
    from typer.testing import CliRunner

    from leadscore.cli import app
    from leadscore.modeling.tracking import load_model

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    runner = CliRunner()
    refused = runner.invoke(app, ["train", "--data", str(data), "--sales-capacity", "0"])
    assert refused.exit_code != 0 and "--sales-capacity 0: give the leads" in str(refused.exception)
    cutoffs = "monthly:2025-01-01:2025-09-01"
    trained = runner.invoke(
        app,
        [
            "train", "--data", str(data), "--cutoffs", cutoffs, "--sales-capacity", "40",
            "--out-dir", str(tmp_path / "reports"), "--metrics-out", str(tmp_path / "m.json"),
        ],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "At a sales capacity of 40 leads a week" in trained.output
    capacity = json.loads((tmp_path / "m.json").read_text())["capacity"]
    assert capacity["sales_capacity"] == 40 and capacity["weeks"] == pytest.approx(31 / 7)
    assert set(capacity["models"]) == {"points", "learned_points", "lightgbm"}
    assert (tmp_path / "reports" / "figures" / "capacity_curve.png").stat().st_size > 0
    loaded = load_model("models:/leadscore@champion")
    assert loaded.sales_capacity == 40
    assert loaded.mql_threshold == capacity["registered_thresholds"]["lightgbm"]
    scored = runner.invoke(
        app, ["score", "--data", str(data), "--out", str(tmp_path / "scores.csv")]
    )
    assert scored.exit_code == 0, scored.output
    scores = pd.read_csv(tmp_path / "scores.csv")
    by_threshold = scores["probability"] >= loaded.mql_threshold
    assert scores["is_mql"].tolist() == by_threshold.tolist()
    assert 0 < scores["is_mql"].sum() < len(scores)
    compared = runner.invoke(
        app,
        ["compare", "--data", str(data), "--out-dir", str(tmp_path / "c"), "--no-track"],
        env={"COLUMNS": "200"},
    )  # the run's own capacity and weeks: the training run's what-if, rebuilt
    assert compared.exit_code == 0, compared.output
    rebuilt = pd.read_csv(tmp_path / "c" / "capacity_what_if.csv")
    trained_what_if = pd.read_csv(tmp_path / "reports" / "capacity_what_if.csv")
    pd.testing.assert_frame_equal(rebuilt, trained_what_if)
