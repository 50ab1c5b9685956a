"""Shared fixtures: a tiny hand-written dataset and a synthetic one large enough for statistics."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

# Default paths (staged copies in data/interim, reports, mlflow.db) of the code under test go to
# a throw-away project, never into the checkout: set before leadscore (config) is imported.
if not os.environ.get("LEADSCORE_HOME"):
    os.environ["LEADSCORE_HOME"] = tempfile.mkdtemp(prefix="leadscore-tests-")
    atexit.register(shutil.rmtree, os.environ["LEADSCORE_HOME"], ignore_errors=True)

from leadscore.synthetic import generate

#: "now" for validation in tests, so that future-timestamp checks do not depend on the clock.
NOW = pd.Timestamp("2026-06-01", tz="UTC")

TINY = {
    "leads": (
        "lead_id,account_id,created_at,email,job_title,country,lead_source,consent,"
        "lifecycle_stage\n"
        "L1,A1,2025-01-05T10:00:00Z,anna.mueller@brandt-software.de,Head of Marketing,DE,"
        "organic_search,true,lead\n"
        "L2,A1,2025-01-06T11:30:00Z,max@brandt-software.de,Werkstudent,DE,referral,yes,mql\n"
        "L3,,2025-02-01T09:00:00Z,jane@gmail.com,ceo,US,paid_search,false,subscriber\n"
    ),
    "accounts": (
        "account_id,domain,industry,employees,annual_revenue,country,technologies\n"
        "A1,brandt-software.de,software,120,25000000,DE,hubspot;wordpress\n"
    ),
    "events": (
        "lead_id,occurred_at,event_type,detail\n"
        "L1,2025-01-10T10:00:00Z,email_open,2025-w02-newsletter\n"
        "L1,2025-01-10T10:05:00Z,email_click,2025-w02-newsletter\n"
        "L1,2025-01-11T08:00:00Z,page_view,pricing\n"
        "L2,2025-01-12T08:00:00Z,page_view,careers\n"
        "L3,2025-02-02T08:00:00Z,demo_request,demo\n"
    ),
    "account_events": (
        "account_id,occurred_at,event_type,detail\nA1,2025-01-01T00:00:00Z,hiring_sales,\n"
    ),
    "outcomes": "lead_id,converted_at\nL1,2025-03-01T12:00:00Z\n",
}


def write_tables(folder: Path, tables: dict[str, str], suffix: str = ".csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}{suffix}").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A valid five-table dataset in CSV, small enough to read every row."""
    return write_tables(tmp_path / "tiny", TINY)


@pytest.fixture(scope="session")
def synthetic_b2b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 synthetic B2B leads (about 1.8 M events): enough for realism statistics."""
    folder = tmp_path_factory.mktemp("synthetic-b2b")
    generate(folder, profile="b2b", n_leads=20_000, seed=11)
    return folder


@pytest.fixture(scope="session")
def monthly_table(synthetic_b2b: Path, tmp_path_factory: pytest.TempPathFactory):
    """The training table of ``synthetic_b2b`` over 12 monthly cutoffs of 2025 (90-day labels)."""
    from leadscore.features.pipeline import build_training_table

    return build_training_table(
        synthetic_b2b,
        "monthly:2025-01-01:2025-12-01",
        90,
        interim_dir=tmp_path_factory.mktemp("interim"),
        now=NOW,
    )


@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 synthetic B2B leads: enough to train, score and compare quickly."""
    folder = tmp_path_factory.mktemp("data")
    generate(folder, n_leads=4000, seed=8)
    return folder


@pytest.fixture(scope="session")
def registry(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder whose MLflow store holds a champion trained on ``data``."""
    from typer.testing import CliRunner

    from leadscore.cli import app

    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
        result = CliRunner().invoke(
            app, ["train", "--data", str(data), "--out-dir", str(home / "reports")]
        )
    assert result.exit_code == 0, result.output
    return home


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (2 cores, UTC) for the Spark engine's tests.

    Skipped only on a machine without Java outside CI; in CI (``CI`` set) a missing Java fails,
    because .ci/run installs it.
    """
    from leadscore.spark import java_available, spark_session

    if not java_available() and not os.environ.get("CI"):
        pytest.skip("no Java runtime: the Spark engine's tests need one (CI installs it)")
    session = spark_session("local[2]")
    yield session
    session.stop()
