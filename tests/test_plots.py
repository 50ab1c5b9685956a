"""Figures: PNG files written whole or not at all, one per view of the comparison."""

from __future__ import annotations

import errno
from pathlib import Path

import matplotlib.figure
import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.modeling.compare import Comparison
from leadscore.modeling.evaluate import grade_table
from leadscore.plots import (
    comparison_figures,
    figure_names,
    importance_figure,
    points_figure,
)

PNG = b"\x89PNG\r\n\x1a\n"


def _comparison(with_sheet: bool) -> Comparison:
    """Held-out scores of two models on 400 leads, as a comparison hands them to the figures."""
    rng = np.random.default_rng(0)
    labels = (rng.random(400) < 0.2).astype(int)
    lightgbm = np.clip(0.2 + 0.3 * (labels - 0.2) + rng.normal(0, 0.1, 400), 0.01, 0.99)
    hand = np.clip(0.2 + 0.1 * (labels - 0.2) + rng.normal(0, 0.1, 400), 0.01, 0.99)
    scores = pd.DataFrame({"label": labels, "p_lightgbm": lightgbm, "p_hand_set_points": hand})
    names = ["hand_set_points", "lightgbm"] if with_sheet else ["lightgbm"]
    metrics = pd.DataFrame({"roc_auc": 0.7, "pr_auc": 0.3}, index=names)
    grades = None
    if with_sheet:
        grades = grade_table(labels, rng.choice(["A1", "B2", "C3", "D4"], 400))
    return Comparison(
        models=dict.fromkeys(names),
        metrics=metrics,
        grades=grades,
        points_sheet=pd.DataFrame(),
        test_scores=scores,
    )


@pytest.mark.parametrize("with_sheet", [True, False])
def test_one_png_per_view_and_no_grade_grid_without_a_sheet(tmp_path: Path, with_sheet) -> None:
    paths = comparison_figures(_comparison(with_sheet), tmp_path)
    expected = figure_names() if with_sheet else tuple(n for n in figure_names() if n != "grades")
    assert tuple(paths) == expected
    for path in paths.values():
        assert path.parent == tmp_path and path.read_bytes()[:8] == PNG
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in expected)


def test_a_failed_drawing_leaves_the_previous_figure(tmp_path: Path, monkeypatch) -> None:
    sheet = pd.DataFrame(
        {
            "rule": ["demo_request", "student"],
            "hand_set_points": [25, -10],
            "learned_points": [31.5, -22.0],
        }
    )
    path = points_figure(sheet, tmp_path / "points.png")
    before = path.read_bytes()
    assert before[:8] == PNG

    def crash(self, target, **kwargs):
        Path(target).write_bytes(PNG + b"half a picture")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", crash)
    with pytest.raises(LeadscoreError, match=r"points\.png: cannot write: no space left"):
        importance_figure(pd.Series({"demo": 0.9}), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["points.png"]  # no temporary left behind
