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
from leadscore.features.pipeline import build_scoring_table, build_training_table
from leadscore.flat_table import TableTyper
from leadscore.modeling.bundle import LoadedModel
from leadscore.modeling.compare import compare_models
from leadscore.modeling.drift import DriftReference
from leadscore.modeling.explain import contributions, family_groups, grouped_contributions
from leadscore.modeling.predict import (
    check_features,
    priority_of_probability,
    score_leads,
)
from leadscore.modeling.train import LightGBMModel

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
    """Feature → family as the scoring table's catalogue states it (what a user reads)."""
    catalogue = scoring.catalogue_frame()
    return dict(zip(catalogue["name"], catalogue["family"], strict=True))


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


# --- Flat-table models: fewer than 3 features, ties, reasons in words (issue 11, 5 and 6) ---

_SLOTS = ["reason_1", "reason_2", "reason_3", "against_1", "against_2"]


def _flat_model(raw: pd.DataFrame, y: np.ndarray) -> LoadedModel:
    """A flat-table model as training leaves it: typer, LightGBM and the drift reference."""
    typer = TableTyper(id_col="lead_id").fit(raw)
    X = typer.transform(raw)
    cut = len(raw) * 3 // 4
    model = LightGBMModel(n_estimators=80, min_child_samples=20).fit(
        X.iloc[:cut], y[:cut], X_valid=X.iloc[cut:], y_valid=y[cut:]
    )
    reference = DriftReference.fit(X.iloc[:cut], list(X.columns))
    return LoadedModel(model, typer, "1", "test", reference=reference)


def _flat_leads(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    visits = rng.poisson(3, n)
    budget = rng.integers(100, 9000, n).astype(float)
    budget[rng.random(n) < 0.4] = np.nan  # leads without a budget convert far less
    raw = pd.DataFrame(
        {
            "lead_id": [f"L{i:05d}" for i in range(n)],
            "Page Views": visits,
            "Budget": budget,
            "Newsletter": rng.choice(["yes", "no"], n),
            "Country": np.where(rng.random(n) < 0.3, "", rng.choice(["DE", "AT", "CH"], n)),
        }
    )
    logit = -1.5 + 0.35 * (visits - 3) + np.where(np.isnan(budget), -2.0, 0.5)
    return raw, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


@pytest.mark.parametrize("columns", [["Page Views"], ["Page Views", "Newsletter"]])
def test_a_flat_model_of_one_or_two_features_scores_with_reasons(columns) -> None:
    raw, y = _flat_leads(1200)
    raw = raw[["lead_id", *columns]]
    scores = score_leads(raw, _flat_model(raw, y), as_of=pd.Timestamp("2025-06-01"))
    assert len(scores) == 1200 and (scores["reason_1"] != "").mean() > 0.3
    used = pd.concat([scores[s] for s in _SLOTS])
    assert used[used != ""].str.split(":").str[0].isin(columns).all()
    for slot in _SLOTS:  # a slot no feature fills is empty, with no contribution
        empty = scores[slot] == ""
        assert scores.loc[empty, f"{slot}_contribution"].eq(0).all()
    if len(columns) < 3:
        assert (scores["reason_3"] == "").all()


def test_leads_of_equal_probability_share_a_priority_band() -> None:
    # The case: 106 leads with the same top probability were split 80 "very high" /
    # 26 "high" by id order among 1,600 leads.
    probability = np.r_[np.full(106, 0.93), np.linspace(0.8, 0.01, 1494)]
    priority = priority_of_probability(probability)
    assert (priority[:106] == "very high").all()
    assert priority[106] == "high" and priority[-1] == "low"
    rng = np.random.default_rng(3)
    demo = np.zeros(1600, dtype=bool)
    demo[rng.choice(1600, 106, replace=False)] = True
    raw = pd.DataFrame({"lead_id": [f"L{i:05d}" for i in range(1600)], "Demo": demo})
    y = (rng.random(1600) < np.where(demo, 0.7, 0.1)).astype(int)
    scores = score_leads(raw, _flat_model(raw, y), as_of=pd.Timestamp("2025-06-01"))
    assert scores.groupby("probability")["priority"].nunique().eq(1).all()
    assert (
        scores.loc[scores["lead_id"].isin(raw["lead_id"][demo]), "priority"].eq("very high").all()
    )
    assert sorted(scores["rank"]) == list(range(1, 1601))  # ranks stay unique (ties by id)


def test_flat_reasons_are_words_and_empty_cells_only_when_they_matter(tmp_path) -> None:
    raw, y = _flat_leads(3000)
    loaded = _flat_model(raw, y)
    scores = score_leads(raw, loaded, as_of=pd.Timestamp("2025-06-01"))
    reasons = pd.concat([scores[s] for s in _SLOTS])
    reasons = reasons[reasons != ""]
    assert not reasons.str.fullmatch(r"[^:]+: -?[\d.,]+").any()  # never a bare "name: value"
    assert not reasons.str.endswith(("not given", ": 0", ": 1", ": 0.0")).any()
    assert reasons.str.fullmatch(r"Newsletter: (yes|no)").any()
    assert reasons.str.fullmatch(r"Page Views: \d+, (top|bottom) \d+ % of leads").any()
    # Budget's empty cell carries the signal; Country's empty cell is noise.
    against = pd.concat([scores["against_1"], scores["against_2"]])
    assert (against == "Budget: not given — leads without it convert less").sum() > 300
    assert not reasons.str.startswith("Country: not given").any()
    phrases = tmp_path / "phrases.yaml"
    phrases.write_text(
        "Page Views:\n  de: {label: Seitenaufrufe, unit: Seiten}\n", encoding="utf-8"
    )
    german = score_leads(raw, loaded, as_of=pd.Timestamp("2025-06-01"), lang="de", phrases=phrases)
    german_reasons = pd.concat([german[s] for s in _SLOTS])
    assert german_reasons.str.fullmatch(
        r"Seitenaufrufe: \d+ Seiten, (obere|untere) \d+ % der Leads"
    ).any()
    assert german_reasons.str.fullmatch(r"Newsletter: (ja|nein)").any()
    assert (
        german_reasons == "Budget: nicht angegeben — Leads ohne Angabe schließen seltener ab"
    ).any()


# --- Model lookup with one registered model per table (issue 11, item 3) ------------------


def test_a_model_without_champion_names_its_versions(tmp_path: Path, monkeypatch) -> None:
    from mlflow import MlflowClient

    from leadscore.modeling.tracking import load_model

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    client = MlflowClient(uri)
    client.create_registered_model("leadscore-bank")
    for _ in range(2):  # e.g. both flagged by the leakage audit: never promoted
        client.create_model_version("leadscore-bank", source=(tmp_path / "m").as_uri())
    with pytest.raises(LeadscoreError) as caught:
        load_model("models:/leadscore-bank@champion")
    message = " ".join(str(caught.value).split())
    assert "leadscore-bank has versions but no 'champion'" in message
    assert "pass `model` models:/leadscore-bank/2, or retrain with `promote`." in message
    with pytest.raises(LeadscoreError, match="Train one first") as caught:
        load_model("models:/leadscore-leads@champion")
    assert "'leadscore-FILE' for a flat table" in " ".join(str(caught.value).split())
    result = CliRunner().invoke(
        app, ["score", "--name", "no/such", "--out", str(tmp_path / "s.csv")]
    )
    assert result.exit_code == 1 and "a model name holds letters" in str(result.exception)
