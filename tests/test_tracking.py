"""MLflow: one run per comparison, a probability pyfunc, the champion alias, no personal data."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
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
    done = log_comparison(
        comparison,
        table.frame,
        fingerprint=table.fingerprint,
        horizon_days=90,
        files={
            "reports/model_comparison.csv": report,
            "reports/feature_catalogue.csv": table.catalogue_frame(),  # a table, logged as CSV
        },
        promote=promote,
    )
    return done.run_id, done.version, done.promoted


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


def test_champion_exports_a_bundle_that_scores_like_the_pyfunc(built, mlflow_home: Path) -> None:
    import lightgbm as lgb
    import mlflow

    from leadscore.modeling.bundle import read_bundle
    from leadscore.modeling.explain import contributions
    from leadscore.modeling.tracking import export_champion

    table, comparison = built
    run_id, _, _ = _log(built, mlflow_home)
    folder = export_champion(mlflow_home / "models" / "champion")
    assert sorted(p.name for p in folder.iterdir()) == [
        "bundle.json",
        "lightgbm.txt",
        "manifest.json",
    ]
    test = table.frame[table.frame["cutoff"] == comparison.split.test]
    pyfunc = mlflow.pyfunc.load_model("models:/leadscore@champion")
    exported = read_bundle(folder)
    assert (exported.version, exported.run_id) == ("1", run_id)
    p = exported.model.predict_proba(test)[:, 1]
    assert np.array_equal(p, pyfunc.predict(test)["probability"].to_numpy())
    pickled = pyfunc.unwrap_python_model().model
    assert np.array_equal(contributions(exported.model, test), contributions(pickled, test))
    booster = lgb.Booster(model_file=str(folder / "lightgbm.txt"))
    assert booster.num_trees() == comparison.models["lightgbm"].best_iteration_


def test_scoring_from_the_registry_loads_the_runs_bundle_not_the_pickle(
    built, mlflow_home: Path, monkeypatch
) -> None:
    import mlflow

    from leadscore.modeling.tracking import load_model

    _, comparison = built
    run_id, _, _ = _log(built, mlflow_home)
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "bundle")}
    assert artifacts == {"bundle/bundle.json", "bundle/lightgbm.txt", "bundle/manifest.json"}

    def no_unpickling(*args, **kwargs):
        raise AssertionError("the pickled pyfunc was loaded")

    monkeypatch.setattr(mlflow.pyfunc, "load_model", no_unpickling)
    loaded = load_model("models:/leadscore@champion")
    assert (loaded.version, loaded.run_id, loaded.horizon_days) == ("1", run_id, 90)
    trained_sheet = comparison.models["hand_set_points"].sheet_
    assert loaded.sheet == replace(trained_sheet, source="points.yaml")
    assert loaded.settings is not None and loaded.settings.windows_days == (7, 30, 90, 365)
    assert load_model(f"runs:/{run_id}/model").run_id == run_id


def test_export_never_touches_files_it_does_not_own(built, mlflow_home: Path, monkeypatch) -> None:
    from leadscore.errors import LeadscoreError
    from leadscore.modeling import bundle, tracking

    _log(built, mlflow_home)
    foreign = mlflow_home / "mine"
    (foreign / "notes").mkdir(parents=True)
    (foreign / "plan.xlsx").write_bytes(b"quarterly plan")
    with pytest.raises(
        LeadscoreError, match=r"not an earlier export \(it holds notes, plan.xlsx\)"
    ):
        tracking.export_champion(foreign)
    assert (foreign / "plan.xlsx").read_bytes() == b"quarterly plan"
    assert sorted(p.name for p in foreign.iterdir()) == ["notes", "plan.xlsx"]

    out = mlflow_home / "models" / "champion"
    tracking.export_champion(out)
    (out / "README.txt").write_text("our notes on the model")
    (out / "history").mkdir()
    (out / "history" / "v0.txt").write_text("kept")
    first = {name: (out / name).read_bytes() for name in bundle.BUNDLE_FILES}

    def crash(folder, loaded):
        (Path(folder) / "lightgbm.txt").write_text("half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tracking, "write_bundle", crash)
    with pytest.raises(OSError, match="No space left"):
        tracking.export_champion(out)
    assert {name: (out / name).read_bytes() for name in bundle.BUNDLE_FILES} == first
    assert not list(out.parent.glob(".champion.export-*")), "no staging folder left behind"
    monkeypatch.undo()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{mlflow_home / 'mlflow.db'}")

    tracking.export_champion(out)  # replacing an earlier export
    assert (out / "README.txt").read_text() == "our notes on the model"
    assert (out / "history" / "v0.txt").read_text() == "kept"
    assert bundle.read_bundle(out).version == "1"


def test_export_replaces_an_export_from_before_bundles(built, mlflow_home: Path) -> None:
    from leadscore.modeling.bundle import read_bundle
    from leadscore.modeling.tracking import export_champion

    _log(built, mlflow_home)
    out = mlflow_home / "old"
    (out / "mlflow").mkdir(parents=True)
    (out / "mlflow" / "MLmodel").write_text("flavors: {}\n")
    (out / "mlflow" / "python_model.pkl").write_bytes(b"pickle")
    (out / "lightgbm.txt").write_text("old trees")
    (out / "notes.md").write_text("mine")
    export_champion(out)
    assert sorted(p.name for p in out.iterdir()) == [
        "bundle.json",
        "lightgbm.txt",
        "manifest.json",
        "notes.md",
    ]
    assert read_bundle(out).version == "1"


def test_the_logged_input_example_holds_types_not_values() -> None:
    from leadscore.modeling.tracking import _input_example

    rng = np.random.default_rng(2)
    n = 300
    table = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "visits_30d": rng.poisson(3, n).astype("int64"),
            "revenue": rng.lognormal(10, 1, n),
            "is_customer": rng.random(n) < 0.3,
            "country": rng.choice(["DE", "AT", "CH"], n),
            "label": (rng.random(n) < 0.3).astype(int),
        }
    )
    model = LightGBMModel(n_estimators=5).fit(table, table["label"])
    example = _input_example(model, table)
    assert list(example.columns) == model.features_
    assert example.dtypes.drop("country").equals(table[model.features_].dtypes.drop("country"))
    assert example.iloc[0].tolist() == [0, 0.0, False, "example"]  # no lead's values
    assert model.predict_proba(example).shape == (1, 2)


# --- One registered model per table (issue 11, item 3) ------------------------------------


def test_another_schema_under_the_same_name_is_never_promoted_automatically(
    built, mlflow_home: Path
) -> None:
    from leadscore.modeling.tracking import log_comparison

    table, comparison = built
    assert _log(built, mlflow_home)[1:] == ("1", True)
    dropped = "n_page_careers_7d"  # a feature no rule of the points sheet reads
    assert dropped in comparison.models["lightgbm"].features_
    narrower = table.frame.drop(columns=[dropped])
    # Deliberately weak: the reason given must be the schema, not the ROC AUC.
    weak = compare_models(narrower, 90, lightgbm=LightGBMModel(n_estimators=2, num_leaves=2))
    done = log_comparison(
        weak,
        narrower,
        fingerprint=table.fingerprint,
        horizon_days=90,
        files={},
    )
    assert (done.name, done.version, done.promoted) == ("leadscore", "2", False)
    assert done.why.startswith("not made the champion: the champion (version 1) reads other")
    assert "(no longer: n_page_careers_7d)" in done.why and "`promote`" in done.why


def test_model_names_for_tables_are_valid_and_refused_when_not() -> None:
    from leadscore.errors import LeadscoreError
    from leadscore.modeling.tracking import check_model_name, table_model_name

    assert table_model_name("/x/leads-export.csv") == "leadscore-leads-export"
    assert table_model_name("Bank Marketing (full).CSV") == "leadscore-bank-marketing-full"
    assert check_model_name(table_model_name("a/b:c@d.parquet")) == "leadscore-b-c-d"
    for bad in ("models:/x", "a/b", "x@champion", "", "-x", "a b"):
        with pytest.raises(LeadscoreError, match="a model name holds letters, digits"):
            check_model_name(bad)


def _flat(n: int, seed: int, columns: dict[str, str], id_col: str, target: str) -> pd.DataFrame:
    """A small flat export: an id, a target driven by the first numeric column, categories."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(0, 1, n)
    frame = pd.DataFrame({id_col: [f"{id_col[0]}{i:05d}" for i in range(n)]})
    for header, kind in columns.items():
        if kind == "signal":
            frame[header] = np.round(10 + 3 * signal, 1)
        elif kind == "number":
            frame[header] = rng.integers(0, 100, n)
        else:
            frame[header] = rng.choice(["alpha", "beta", "gamma"], n)
    p = 1 / (1 + np.exp(-2 * signal))
    frame[target] = np.where(rng.random(n) < p, "yes", "no")
    return frame


def _cli(home: Path, *args: str):
    from typer.testing import CliRunner

    from leadscore.cli import app

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
        return CliRunner().invoke(app, list(args))


def _said(result) -> str:
    return " ".join(result.output.split())


LEADS = {"Visits": "signal", "Lead Source": "category", "Pages": "number"}
BANK = {"Balance": "signal", "Job": "category", "Age": "number"}


@pytest.fixture(scope="module")
def two_tables(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A store with two flat-table models: leads-export.csv and bank.csv, one champion each."""
    home = tmp_path_factory.mktemp("two-tables")
    leads, bank = home / "leads-export.csv", home / "bank.csv"
    _flat(400, 1, LEADS, "Lead ID", "Converted").to_csv(leads, index=False)
    _flat(400, 2, BANK, "Client", "Subscribed").to_csv(bank, index=False)
    for path, target, id_col in ((leads, "Converted", "Lead ID"), (bank, "Subscribed", "Client")):
        result = _cli(
            home, "train", "--table", str(path), "--target", target, "--id", id_col,
            "--out-dir", str(home / f"reports-{path.stem}"),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        said = _said(result)
        name = f"leadscore-{path.stem}"
        assert f"registered {name} version 1, the first version of {name}, now the champion" in said
        assert "stays" not in said
    return home, leads, bank


def test_each_table_gets_its_own_champion_and_scores_with_it(two_tables, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    home, leads, bank = two_tables
    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    for name, table, target in (
        ("leadscore-leads-export", "leads-export.csv", "converted"),
        ("leadscore-bank", "bank.csv", "subscribed"),
    ):
        champion = client.get_model_version_by_alias(name, "champion")
        assert str(champion.version) == "1"
        assert champion.tags["mode"] == "flat_table" and champion.tags["target"] == target
        run = client.get_run(champion.run_id)
        assert run.data.params["table"] == table
        assert run.data.tags["schema_hash"] == champion.tags["schema_hash"]
    assert not client.search_model_versions("name = 'leadscore'")  # events model untouched
    for path, ids in ((leads, "L"), (bank, "C")):
        out = tmp_path / f"{path.stem}-scores.csv"
        result = _cli(home, "score", "--table", str(path), "--out", str(out))
        assert result.exit_code == 0, result.output
        assert f"models:/leadscore-{path.stem}@champion" in _said(result)
        scores = pd.read_csv(out)
        assert len(scores) == 400 and scores["lead_id"].str.startswith(ids).all()
    by_name = tmp_path / "by-name.csv"
    result = _cli(home, "score", "--table", str(bank), "--name", "leadscore-bank", "--out",
                  str(by_name))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert by_name.read_bytes() == (tmp_path / "bank-scores.csv").read_bytes()
    # Next month's export has the same columns: scored by the table's model, and said so.
    march = tmp_path / "leads-march.csv"
    march.write_bytes(leads.read_bytes())
    result = _cli(home, "score", "--table", str(march), "--out", str(tmp_path / "m.csv"))
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "scored with models:/leadscore-leads-export@champion, trained on another file" in said
    assert "there is no champion named leadscore-leads-march" in said


def test_a_table_no_model_reads_is_refused_naming_the_models(two_tables, tmp_path: Path) -> None:
    from leadscore.errors import LeadscoreError

    home, _, _ = two_tables
    third = tmp_path / "webshop.csv"
    _flat(60, 3, {"Sessions": "signal", "Visits": "number"}, "Lead ID", "Bought").to_csv(
        third, index=False
    )
    out = tmp_path / "s.csv"
    result = _cli(home, "score", "--table", str(third), "--out", str(out))
    assert result.exit_code == 1 and isinstance(result.exception, LeadscoreError)
    message = " ".join(str(result.exception).split())
    assert message.startswith(f"{third}: no registered model reads this file's columns")
    closest = "leadscore-leads-export (trained on leads-export.csv) needs 'Lead Source', 'Pages';"
    assert closest in message
    assert "leadscore-bank (trained on bank.csv) needs 'Balance', 'Job', 'Age', 'Client'" in (
        message
    )
    assert "leadscore train --table" in message and "--model" in message
    assert not out.exists()
    empty = tmp_path / "empty"
    result = _cli(empty, "score", "--table", str(third), "--out", str(out))
    assert "no model trained on a flat table" in str(result.exception)


def test_promotion_compares_only_runs_of_the_same_schema(two_tables, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    home, leads, _ = two_tables
    wider = tmp_path / "leads-export.csv"  # the same file name, one column more
    frame = pd.read_csv(leads)
    frame.assign(Region=np.where(np.arange(len(frame)) % 2, "North", "South")).to_csv(
        wider, index=False
    )
    args = ["--target", "Converted", "--id", "Lead ID", "--out-dir", str(tmp_path / "r")]
    result = _cli(home, "train", "--table", str(wider), *args)
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "registered leadscore-leads-export version 2, not made the champion" in said
    assert "the champion (version 1) reads other columns (new: region)" in said
    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    assert (
        str(client.get_model_version_by_alias("leadscore-leads-export", "champion").version) == "1"
    )
    # The original file still scores with its champion; the wider one too (extra columns).
    for path in (leads, wider):
        out = tmp_path / f"{path.parent.name}.csv"
        result = _cli(home, "score", "--table", str(path), "--out", str(out))
        assert result.exit_code == 0, result.output
        assert pd.read_csv(out)["model_version"].eq(1).all()
    # The same schema again: compared on held-out ROC AUC, whichever way it goes.
    result = _cli(home, "train", "--table", str(leads), *args)
    assert result.exit_code == 0, result.output
    said = _said(result)
    assert "version 3," in said and "held-out ROC AUC" in said and "other columns" not in said


def test_several_fitting_models_prefer_the_files_own_or_ask(two_tables, tmp_path: Path) -> None:
    home, leads, _ = two_tables
    copy = tmp_path / "leads-copy.csv"
    copy.write_bytes(leads.read_bytes())
    args = ["--target", "Converted", "--id", "Lead ID", "--out-dir", str(tmp_path / "r")]
    result = _cli(home, "train", "--table", str(copy), "--name", "q3-leads", *args)
    assert result.exit_code == 0, result.output
    assert "registered q3-leads version 1, the first version of q3-leads" in _said(result)
    out = tmp_path / "s.csv"
    result = _cli(home, "score", "--table", str(leads), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "models:/leadscore-leads-export@champion" in _said(result)
    result = _cli(home, "score", "--table", str(copy), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "models:/q3-leads@champion" in _said(result)  # trained on a file of this name
    other = tmp_path / "other.csv"
    other.write_bytes(leads.read_bytes())
    result = _cli(home, "score", "--table", str(other), "--out", str(out))
    message = " ".join(str(result.exception).split())
    assert result.exit_code == 1 and "registered models read this file's columns" in message
    assert "--model models:/leadscore-leads-export@champion" in message
    assert "--model models:/q3-leads@champion" in message
    result = _cli(home, "score", "--table", str(other), "--model", "x", "--name", "q3-leads")
    assert "give one of them" in str(result.exception)


def test_the_tracking_address_is_set_once_and_follows_the_project(
    tmp_path, monkeypatch, request
) -> None:
    import mlflow

    from leadscore import config
    from leadscore.modeling import tracking

    given: list[str] = []
    setting, before = mlflow.set_tracking_uri, mlflow.get_tracking_uri()
    request.addfinalizer(lambda: setting(before))  # the other tests' store again
    monkeypatch.setattr(mlflow, "set_tracking_uri", lambda uri: given.append(uri) or setting(uri))
    monkeypatch.setattr(tracking, "_project_store", None)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "a")
    first = tracking.connect()
    tracking.connect()
    assert given == [f"sqlite:///{tmp_path / 'a' / 'mlflow.db'}"]  # once, not per call
    assert first.tracking_uri == given[0]
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "b")  # another project folder
    tracking.connect()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")  # a team server
    tracking.connect()
    assert given[1:] == [
        f"sqlite:///{tmp_path / 'b' / 'mlflow.db'}",
        "http://tracking.example:5000",
    ]
    sources = Path(tracking.__file__).parents[1].rglob("*.py")
    setting_files = [p.name for p in sources if "set_tracking_uri(" in p.read_text("utf-8")]
    assert setting_files == ["tracking.py"]  # connect() is the one place


def test_a_tracking_store_mlflow_refuses_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    from leadscore.errors import LeadscoreError
    from leadscore.modeling import tracking

    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"file://{tmp_path / 'mlruns'}")
    with pytest.raises(LeadscoreError, match=r"tracking store file://.* cannot be used"):
        tracking.load_model("models:/leadscore@champion")
