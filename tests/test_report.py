"""The HTML report: one self-contained page with every section, rendered by a real browser."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
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
        assert (folder / "scores_drift.csv").is_file()
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


def test_ids_are_text_on_the_page_and_never_logged_to_mlflow(
    report: Path, registry: Path, tmp_path: Path, monkeypatch
) -> None:
    import mlflow

    from leadscore.io import write_table
    from leadscore.modeling.tracking import find_run

    scores = pd.read_csv(report.parent / "scores.csv", dtype={"lead_id": str, "account_id": str})
    scores.loc[scores["rank"] == 1, "lead_id"] = "0000667"
    scores.loc[scores["rank"] == 2, "account_id"] = "0042"
    write_table(scores, tmp_path / "scores.csv")
    drift = (report.parent / "scores_drift.csv").read_bytes()
    (tmp_path / "scores_drift.csv").write_bytes(drift)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{registry / 'mlflow.db'}")
    out = tmp_path / "page.html"
    made = CliRunner().invoke(
        app, ["report", "--scores", str(tmp_path / "scores.csv"), "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert "without the top leads" in " ".join(made.output.split())
    page = out.read_text(encoding="utf-8")
    assert "<td>0000667</td>" in page and "<td>667</td>" not in page

    run, _ = find_run(None)
    logged = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id,
        artifact_path="report/leadscore_report.html",
        dst_path=str(tmp_path / "logged"),
    )
    logged_page = Path(logged).read_text(encoding="utf-8")
    assert "Data drift since training" in logged_page and "Grade grid A1–D4" in logged_page
    assert "Top 20 leads" not in logged_page
    top = scores.sort_values("rank").head(20)
    for lead_id in top["lead_id"]:
        assert lead_id not in logged_page, lead_id


def test_report_refuses_to_write_over_its_scores(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    scores.write_text("lead_id,rank\nL1,1\n")
    result = CliRunner().invoke(app, ["report", "--scores", str(scores), "--out", str(scores)])
    assert result.exit_code == 1
    assert "--out" in str(result.exception) and "over --scores" in str(result.exception)
    assert scores.read_text() == "lead_id,rank\nL1,1\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such scores file"),
        (b"lead_id,probability\nL1,0.5\n", "no column as_of, rank"),
        (b"\xff\xfe\x00\x00garbage", "cannot be read as a scores file"),
    ],
)
def test_a_bad_scores_file_is_a_clear_error(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    from leadscore.errors import LeadscoreError
    from leadscore.report import read_scores

    path = tmp_path / "scores.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LeadscoreError, match=message) as caught:
        read_scores(path)
    assert str(path) in str(caught.value)
