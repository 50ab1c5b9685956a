"""Batch scoring: reasons add up, schema and ranks, clear errors, atomic and repeatable output."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import NOW
from leadscore.cli import app
from leadscore.errors import LeadscoreError
from leadscore.explain import contributions, family_groups, grouped_contributions
from leadscore.features.pipeline import build_scoring_table, build_training_table
from leadscore.modeling.compare import compare_models
from leadscore.modeling.predict import LoadedModel, check_features, score_leads

AS_OF = "2026-01-15"


@pytest.fixture(scope="module")
def model(data: Path):
    table = build_training_table(
        data, "monthly:2025-01-01:2025-12-01", 90, interim_dir=tempfile.mkdtemp(), now=NOW
    )
    return compare_models(table.frame, 90).models["lightgbm"]


@pytest.fixture(scope="module")
def scoring(data: Path):
    return build_scoring_table(data, AS_OF, interim_dir=tempfile.mkdtemp(), now=NOW)


def _families(scoring) -> dict[str, str]:
    return {f.name: f.family or f.name for f in scoring.catalogue}


def test_grouped_reasons_add_up_to_the_raw_score(model, scoring) -> None:
    groups = family_groups(model.features_, _families(scoring))
    grouped, base = grouped_contributions(model, scoring.frame, groups)
    assert grouped.shape == (len(scoring.frame), len(groups.names))
    assert np.allclose(grouped.sum(axis=1) + base, model.raw_score(scoring.frame), atol=1e-6)
    assert "page_pricing" in groups.names and len(groups.columns["page_pricing"]) == 4


def test_lightgbm_contributions_equal_shap_tree_explainer(model, scoring) -> None:
    import shap

    rows = scoring.frame.head(200)
    ours = contributions(model, rows)
    explainer = shap.TreeExplainer(model.booster_)
    theirs = explainer.shap_values(model.encode(rows))
    assert np.allclose(ours[:, :-1], theirs, atol=1e-6)
    assert np.allclose(ours[:, -1], explainer.expected_value, atol=1e-6)


def test_skipped_leads_and_scored_leads_add_up(data: Path, scoring) -> None:
    leads = pd.read_parquet(data / "leads.parquet")
    assert len(scoring.frame) + sum(scoring.skipped.values()) == len(leads)
    assert scoring.skipped["no consent to profiling"] == int((~leads["consent"]).sum())
    assert scoring.skipped["already converted"] > 0


def test_scores_schema_ranks_priorities_and_reasons(model, scoring) -> None:
    loaded = LoadedModel(model, None, "7", "test")
    scores = score_leads(
        scoring.frame, loaded, as_of=scoring.cutoffs[0], families=_families(scoring)
    )
    expected = ["lead_id", "account_id", "as_of", "model_version", "probability", "score"]
    expected += ["points", "fit_grade", "engagement_grade", "grade", "is_mql", "rank", "priority"]
    for slot in ("reason_1", "reason_2", "reason_3", "against_1", "against_2"):
        expected += [slot, f"{slot}_contribution"]
    assert scores.columns.tolist() == expected
    n = len(scores)
    assert scores["rank"].tolist() == list(range(1, n + 1))
    assert scores["probability"].is_monotonic_decreasing
    assert scores["score"].between(1, 99).all() and scores["score"].is_monotonic_decreasing
    assert scores["score"].iloc[0] == 99
    shares = scores["priority"].value_counts(normalize=True)
    assert shares["very high"] == pytest.approx(0.05, abs=0.01)
    assert shares["low"] == pytest.approx(0.50, abs=0.01)
    assert set(scores["grade"].str[0]) <= set("ABCD") and scores["model_version"].eq("7").all()
    effects = scores[[f"reason_{i}_contribution" for i in (1, 2, 3)]].to_numpy()
    assert (effects >= 0).all() and (np.diff(effects, axis=1) <= 0).all()
    assert (scores[["against_1_contribution", "against_2_contribution"]] <= 0).all().all()
    assert (scores["reason_1"] != "").mean() > 0.99
    top = scores.iloc[0]
    assert top["reason_1_contribution"] > 0.3, "the best lead has a strong reason"


def test_explain_top_n_and_german(model, scoring) -> None:
    loaded = LoadedModel(model, None, "1", "test")
    families = _families(scoring)
    scores = score_leads(
        scoring.frame, loaded, as_of=scoring.cutoffs[0], families=families, explain=10, lang="de"
    )
    explained = scores["reason_1"] != ""
    assert explained.sum() == 10 and explained.iloc[:10].all()
    assert scores.loc[~explained, "reason_1_contribution"].eq(0).all()
    full = score_leads(scoring.frame, loaded, as_of=scoring.cutoffs[0], families=families)
    assert (scores["reason_1"].iloc[:10] != full["reason_1"].iloc[:10]).all()  # German words
    pd.testing.assert_series_equal(
        scores["reason_1_contribution"].iloc[:10], full["reason_1_contribution"].iloc[:10]
    )


def test_mismatched_features_are_named(model, scoring) -> None:
    table = scoring.frame.drop(columns=["n_page_pricing_7d"]).assign(shoe_size=42.0)
    with pytest.raises(
        LeadscoreError, match=r"missing 1: n_page_pricing_7d; unexpected 1: shoe_size"
    ):
        check_features(model, table)


def _score(home: Path, data: Path, out: Path, *extra: str):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
        return CliRunner().invoke(
            app, ["score", "--data", str(data), "--as-of", AS_OF, "--out", str(out), *extra]
        )


def test_score_command_is_repeatable_to_the_byte(registry: Path, data: Path, tmp_path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    result = _score(registry, data, first, "--accounts-out", str(tmp_path / "accounts.csv"))
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "skipped" in output and "no consent to profiling" in output
    assert _score(registry, data, second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    scores = pd.read_csv(first)
    accounts = pd.read_csv(tmp_path / "accounts.csv")
    assert accounts["leads"].sum() == scores["account_id"].notna().sum()
    assert accounts["max_probability"].is_monotonic_decreasing
    assert "@" not in first.read_text()  # ids only, no e-mail addresses


def test_a_failed_write_leaves_the_previous_scores_intact(
    registry: Path, data: Path, tmp_path, monkeypatch
) -> None:
    out = tmp_path / "scores.csv"
    assert _score(registry, data, out).exit_code == 0
    before = out.read_bytes()

    def crash(self, *args, **kwargs):
        Path(args[0]).write_text("lead_id,probab")  # half a file, then the crash
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr(pd.DataFrame, "to_csv", crash)
    result = _score(registry, data, out)
    assert result.exit_code != 0
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_empty_registry_and_flat_table_mismatch_are_clear_errors(data: Path, tmp_path) -> None:
    result = _score(tmp_path, data, tmp_path / "s.csv")
    assert result.exit_code != 0
    assert "Train one first" in str(result.exception)
    result = _score(tmp_path, data, tmp_path / "s.csv", "--explain", "some")
    assert "use all, none or top:N" in str(result.exception)


def _cli(home: Path, *args: str):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
        return CliRunner().invoke(app, list(args))


def test_the_bundle_scores_like_the_pickled_pyfunc_and_export_like_the_registry(
    registry: Path, data: Path, tmp_path, monkeypatch
) -> None:
    from leadscore.modeling import tracking

    assert _score(registry, data, tmp_path / "bundle.csv").exit_code == 0
    exported = tmp_path / "champion"
    result = _cli(registry, "export", "--out", str(exported))
    assert result.exit_code == 0, result.output
    result = _score(registry, data, tmp_path / "exported.csv", "--model", str(exported))
    assert result.exit_code == 0, result.output
    with monkeypatch.context() as patch:  # a run from before bundles: its pickled pyfunc
        patch.setattr(tracking, "run_bundle", lambda run_id: contextlib.nullcontext(None))
        assert _score(registry, data, tmp_path / "pyfunc.csv").exit_code == 0
    bundle = (tmp_path / "bundle.csv").read_bytes()
    assert bundle == (tmp_path / "pyfunc.csv").read_bytes()
    assert bundle == (tmp_path / "exported.csv").read_bytes()


def test_export_refuses_a_folder_of_other_files(registry: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    (out / "q3.xlsx").write_bytes(b"numbers")
    result = _cli(registry, "export", "--out", str(out))
    assert result.exit_code == 1
    assert "not an earlier export (it holds q3.xlsx)" in " ".join(str(result.exception).split())
    assert [p.name for p in out.iterdir()] == ["q3.xlsx"]


def test_a_planted_pickle_is_never_loaded(registry: Path, data: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    folder = tmp_path / "model"
    folder.mkdir()
    planted = f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
    (folder / "python_model.pkl").write_bytes(
        b"cbuiltins\nexec\n(V" + planted.replace("\n", "\\u000a").encode() + b"\ntR."
    )
    import pickle

    pickle.loads((folder / "python_model.pkl").read_bytes())  # the payload works ...
    assert marker.exists()
    marker.unlink()
    result = _score(registry, data, tmp_path / "s.csv", "--model", str(folder))
    assert result.exit_code == 1
    message = " ".join(str(result.exception).split())
    assert "not a model exported by leadscore" in message and "python_model.pkl" in message
    assert "leadscore export" in message
    assert not marker.exists()  # ... but leadscore never runs it
    assert not (tmp_path / "s.csv").exists()


def test_a_folder_named_models_colon_does_not_shadow_the_registry(
    registry: Path, data: Path, tmp_path: Path, monkeypatch
) -> None:
    shadow = tmp_path / "models:" / "leadscore@champion"
    shadow.mkdir(parents=True)
    (shadow / "MLmodel").write_text("flavors: {}\n")
    monkeypatch.chdir(tmp_path)
    result = _score(registry, data, tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "s.csv")["model_version"].eq(1).all()


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory):
    """A champion trained with the user's own settings and points sheet."""
    from leadscore.modeling.points import DEFAULT_POINTS
    from leadscore.synthetic import generate

    home = tmp_path_factory.mktemp("custom")
    data = generate(home / "data", n_leads=1500, seed=4).out_dir
    settings = home / "settings.yaml"
    settings.write_text("icp:\n  industries: [retail, education]\n  employees: [1, 20]\n")
    points = home / "points.yaml"
    sheet = DEFAULT_POINTS.read_text().replace("mql_threshold: 60", "mql_threshold: 25")
    points.write_text(sheet.replace("half_life: 14, points: 10,", "half_life: 14, points: 20,"))
    trained = _cli(
        home, "train", "--data", str(data), "--out-dir", str(home / "reports"),
        "--settings", str(settings), "--points", str(points),
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    return home, data, settings, points


def test_a_model_scores_with_the_settings_and_points_it_was_trained_with(
    custom, tmp_path: Path, monkeypatch
) -> None:
    from leadscore.modeling import tracking

    home, data, settings, points = custom
    assert _score(home, data, tmp_path / "own.csv").exit_code == 0
    given = _score(home, data, tmp_path / "given.csv", "--settings", str(settings), "--points",
                   str(points))  # fmt: skip
    assert given.exit_code == 0, given.output
    assert (tmp_path / "own.csv").read_bytes() == (tmp_path / "given.csv").read_bytes()
    with monkeypatch.context() as patch:  # what scoring did before models carried settings
        patch.setattr(tracking, "run_bundle", lambda run_id: contextlib.nullcontext(None))
        assert _score(home, data, tmp_path / "shipped.csv").exit_code == 0
    own, shipped = pd.read_csv(tmp_path / "own.csv"), pd.read_csv(tmp_path / "shipped.csv")
    assert (own["points"] != shipped["points"]).any() and own["is_mql"].sum() > shipped[
        "is_mql"
    ].sum()


def test_settings_or_points_unlike_the_models_are_refused_by_name(custom, tmp_path: Path) -> None:
    from leadscore.modeling.points import DEFAULT_POINTS

    home, data, _, _ = custom
    other = tmp_path / "other.yaml"
    other.write_text("icp:\n  industries: [retail]\n  employees: [1, 20]\nburst_days: 3\n")
    result = _score(home, data, tmp_path / "s.csv", "--settings", str(other))
    assert result.exit_code == 1
    message = " ".join(str(result.exception).split())
    assert message.startswith(f"--settings {other}: it differs from the feature settings")
    assert "burst_days, icp.industries;" in message
    result = _score(home, data, tmp_path / "s.csv", "--points", str(DEFAULT_POINTS))
    assert result.exit_code == 1
    message = " ".join(str(result.exception).split())
    assert "points sheet the model was trained with in rule pricing_page, mql_threshold" in message
    assert not (tmp_path / "s.csv").exists()
