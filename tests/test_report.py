"""The HTML report: one self-contained page with every section, rendered by a real browser."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from leadscore.cli import app

HEADINGS = (
    "How good are the scores?",
    "Ranking and calibration",
    "Grade grid A1–D4",
    "Points sheet: hand-set versus learned",
    "What drives the scores (global SHAP summary)",
    "Top 20 leads of the latest scoring",
    "Data drift since training",
)


@pytest.fixture(scope="module")
def report(registry: Path, data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{registry / 'mlflow.db'}")
        runner = CliRunner()
        scored = runner.invoke(
            app, ["score", "--data", str(data), "--out", str(folder / "scores.csv")]
        )
        assert scored.exit_code == 0, scored.output
        assert (folder / "drift.csv").is_file()
        out = folder / "leadscore_report.html"
        made = runner.invoke(
            app, ["report", "--scores", str(folder / "scores.csv"), "--out", str(out)]
        )
        assert made.exit_code == 0, made.output
    return out


def test_report_has_every_section_embedded_and_no_personal_data(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    for heading in HEADINGS:
        assert heading in html, heading
    assert html.count("data:image/png;base64,") >= 4
    assert 'src="http' not in html and "<script" not in html  # self-contained, nothing fetched
    assert "@" not in html  # lead ids only: no e-mail addresses
    assert "MLflow run" in html


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,2400",
            f"--screenshot={shot}",
            report.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.shape[1] >= 1200
    assert pixels[..., :3].std() > 0.05, "the page rendered blank"
    header = pixels[:60, :, :3].reshape(-1, 3).mean(axis=0)
    assert header[2] > header[0], "the blue page header is drawn"
    assert np.isfinite(pixels).all()
