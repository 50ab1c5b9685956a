"""The oracle: true conversion probabilities, measured on the leads the models are measured on."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import NOW
from leadscore.errors import LeadscoreError
from leadscore.features.pipeline import build_training_table
from leadscore.synthetic import conversion_probability, generate, oracle_report
from leadscore.synthetic.ground_truth import stage_on_day

CUTOFFS = ["2025-06-01", "2025-09-01"]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    generate(folder, n_leads=600, seed=5)
    return folder


def test_the_oracle_scores_the_leads_and_labels_of_the_training_table(small: Path) -> None:
    # The oracle AUC printed next to the models is only comparable if both see the same leads
    # (consented, created before the cutoff, not converted yet) with the same labels.
    report = oracle_report(small, CUTOFFS, 90).set_index("cutoff")
    table = build_training_table(small, CUTOFFS, 90, interim_dir=tempfile.mkdtemp(), now=NOW)
    counts = table.frame.groupby("cutoff")["label"].agg(["size", "sum"])
    assert report["leads"].tolist() == counts["size"].tolist()
    assert report["conversions"].tolist() == counts["sum"].tolist()
    truth = conversion_probability(small, CUTOFFS, 90)
    scored = table.frame.merge(truth, on=["lead_id", "cutoff"], how="left")
    assert scored["probability"].notna().all()  # every lead a model scores has a true value
    assert report["oracle_auc"].between(0.6, 0.99).all()


def test_a_longer_horizon_never_lowers_a_leads_probability(small: Path) -> None:
    short = conversion_probability(small, CUTOFFS, 30)
    long = conversion_probability(small, CUTOFFS, 90)
    both = short.merge(long, on=["lead_id", "cutoff"], suffixes=("_30", "_90"))
    assert len(both) == len(short) == len(long)
    assert (both["probability_30"] <= both["probability_90"] + 1e-12).all()
    assert (both["probability_90"] > both["probability_30"]).mean() > 0.99


def test_the_stage_on_a_day_is_the_one_whose_span_holds_it() -> None:
    stages = pd.DataFrame(
        {"first_day": [0, 5, 3], "end_day": [5, 9, 7], "stage": [0, 2, 1]}
    )  # lead 0: stage 0 on days 0-4, stage 2 on days 5-8; lead 1: stage 1 on days 3-6
    lead_pos = np.array([0, 0, 1])
    assert stage_on_day(stages, lead_pos, 3, 4).tolist() == [0, 1, -1]
    assert stage_on_day(stages, lead_pos, 3, 5).tolist() == [2, 1, -1]
    assert stage_on_day(stages, lead_pos, 3, 9).tolist() == [-1, -1, -1]


def test_data_without_a_ground_truth_is_refused_by_folder(tiny: Path) -> None:
    with pytest.raises(LeadscoreError, match="no ground truth here") as caught:
        conversion_probability(tiny, ["2025-03-01"])
    assert str(tiny) in str(caught.value)
