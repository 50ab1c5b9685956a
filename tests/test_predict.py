"""Batch scoring: reasons add up, schema and ranks, clear errors, atomic and repeatable output."""

from __future__ import annotations

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
    explainer = shap.TreeExplainer(model.booster_.booster_)
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
