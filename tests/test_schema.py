"""The columns every table leadscore builds starts with, and that no model learns from them."""

from __future__ import annotations

from pathlib import Path

from conftest import NOW
from leadscore.features.pipeline import build_scoring_table, build_training_table
from leadscore.modeling.train import LightGBMModel
from leadscore.schema import KEYS, LABEL, NON_FEATURES


def test_tables_start_with_the_schema_columns_and_models_never_learn_from_them(
    tiny: Path, tmp_path: Path
) -> None:
    training = build_training_table(
        tiny, ["2025-02-01"], 28, interim_dir=tmp_path / "training", now=NOW
    ).frame
    scoring = build_scoring_table(tiny, interim_dir=tmp_path / "scoring", now=NOW).frame
    assert tuple(training.columns[: len(NON_FEATURES)]) == NON_FEATURES
    assert tuple(scoring.columns[: len(KEYS)]) == KEYS and LABEL not in scoring.columns
    assert list(scoring.columns[len(KEYS) :]) == list(training.columns[len(NON_FEATURES) :])
    # two leads are too few to learn anything, but enough to see what the model reads
    model = LightGBMModel(n_estimators=2, validation_fraction=0.5).fit(
        training.iloc[[0, 1, 0, 1]], [0, 1, 0, 1]
    )
    assert set(model.features_) == set(training.columns) - set(NON_FEATURES)
