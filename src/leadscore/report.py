"""One self-contained HTML page on how good the scores are and what the learned weights suggest.

Built from a training run in MLflow (by default the champion's) and the latest scores file:
the model comparison, ROC / gains / calibration charts, the grade grid A1-D4, the points sheet
hand-set versus learned, the global SHAP summary, the top 20 leads with their reasons (lead ids
only), drift indicators between the training period and the scoring date, and the run id.
Images are embedded, so the file can be mailed or opened offline. No personal data: the page
holds lead ids, never e-mails or names; ids are read as text (``0000667`` stays as it is). The
copy logged to MLflow (:func:`log_report`) leaves out the top leads, so no lead id is logged.
"""

from __future__ import annotations

import base64
import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd
import pyarrow as pa

from leadscore.artifacts import (
    COMPARE_FOLDER,
    GRADE_CONVERSION,
    POINTS_COMPARISON,
    POINTS_FIGURE,
    REPORT_FOLDER,
    SHAP_FIGURE,
    SHAP_IMPORTANCE,
    read_run,
)
from leadscore.errors import LeadscoreError
from leadscore.io import DRIFT_SUFFIX, atomic_path, drift_table
from leadscore.modeling.compare import MODEL_NAMES, MODEL_TITLES
from leadscore.modeling.drift import retrain_advice
from leadscore.modeling.evaluate import METRIC_TITLES
from leadscore.modeling.tracking import log_files

CHARTS = {
    "roc": "ROC curve",
    "gains": "Cumulative gains",
    "calibration": "Calibration",
    "capacity_curve": "Conversions at each hand-over volume (sales capacity)",
}


@dataclass
class ReportData:
    """Everything the page shows, gathered from the run and the scores."""

    run_id: str
    model_version: str
    run_started: str
    params: dict[str, str]
    metrics: pd.DataFrame
    charts: dict[str, str] = field(default_factory=dict)  # title → data URI
    grades: pd.DataFrame | None = None
    points: pd.DataFrame | None = None
    points_chart: str | None = None
    importance: pd.DataFrame | None = None
    importance_chart: str | None = None
    top_leads: pd.DataFrame | None = None
    scores_file: str | None = None
    scores_as_of: str | None = None
    drift: pd.DataFrame | None = None
    drift_advice: str | None = None


def _data_uri(png: bytes | None) -> str | None:
    """An image embedded in the page (None for a figure the run does not have)."""
    if png is None:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _grade_grid(grades: pd.DataFrame) -> pd.DataFrame:
    """grade, leads, conversion_rate → A-D rows by 1-4 columns of "rate (n leads)"."""
    cells = grades.assign(
        fit=grades["grade"].str[0],
        engagement=grades["grade"].str[1:],
        text=[
            f"{r:.1%} ({n:,})"
            for r, n in zip(grades["conversion_rate"], grades["leads"], strict=True)
        ],
    )
    grid = cells.pivot_table(index="fit", columns="engagement", values="text", aggfunc="first")
    return grid.reindex(index=list("ABCD"), columns=list("1234")).fillna("–")


def newest_scores(folder: Path) -> Path | None:
    """The newest scores file (``scores*.csv`` or ``.parquet``) in ``folder``, drift tables left
    out (see :func:`leadscore.io.drift_table`); None when there is none.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "scores.csv").write_text("lead_id")
    >>> _ = (folder / "scores_drift.csv").write_text("feature,psi")  # written after it
    >>> newest_scores(folder).name
    'scores.csv'
    """
    found = sorted(
        (
            p
            for p in Path(folder).glob("scores*.*")
            if p.suffix.lower() in (".csv", ".parquet") and not p.stem.endswith(DRIFT_SUFFIX)
        ),
        key=lambda p: p.stat().st_mtime,
    )
    return found[-1] if found else None


def gather(run_id: str | None = None, scores: Path | None = None) -> ReportData:
    """Read the run (default: the champion's, :func:`leadscore.artifacts.read_run`) and the
    scores file (optional).

    The drift table next to the scores file (:func:`leadscore.io.drift_table`) is shown when
    present.

    Raises
    ------
    LeadscoreError
        When ``scores`` (or its drift table) is missing or not what ``leadscore score`` writes.
    """
    frame = read_scores(scores) if scores is not None else None  # fails before any download
    run = read_run(run_id)
    metrics = pd.DataFrame(
        {
            MODEL_TITLES[name]: {
                title: run.metrics.get(f"{name}.{key}") for key, title in METRIC_TITLES.items()
            }
            for name in MODEL_NAMES
            if f"{name}.roc_auc" in run.metrics
        }
    ).dropna(how="all")
    data = ReportData(
        run_id=run.run_id,
        model_version=run.version,
        run_started=run.started.strftime("%Y-%m-%d %H:%M UTC"),
        params={k: v for k, v in run.params.items() if not k.startswith("lightgbm.")},
        metrics=metrics,
    )
    for name, title in CHARTS.items():
        chart = _data_uri(run.figure(name))
        if chart is not None:
            data.charts[title] = chart
    grades = run.table(GRADE_CONVERSION)
    if grades is not None:
        data.grades = _grade_grid(grades)
    # The points comparison of 'leadscore compare' when there is one, else training's sheet.
    points = run.table(POINTS_COMPARISON, COMPARE_FOLDER)
    data.points = points if points is not None else run.table(POINTS_COMPARISON)
    data.points_chart = _data_uri(run.figure(POINTS_FIGURE, COMPARE_FOLDER))
    importance = run.table(SHAP_IMPORTANCE)
    data.importance = importance.head(15) if importance is not None else None
    data.importance_chart = _data_uri(run.figure(SHAP_FIGURE))
    if frame is not None:
        _add_scores(data, frame, Path(scores))
    return data


#: Columns that are identifiers: text, never numbers (``0000667`` stays ``0000667``).
ID_COLUMNS = {"lead_id": str, "account_id": str}


def read_scores(path: str | Path) -> pd.DataFrame:
    """Read a scores file written by ``leadscore score``, ids as text.

    Raises
    ------
    LeadscoreError
        Naming the file when it is missing, unreadable or lacks the ``rank``, ``lead_id`` or
        ``as_of`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: no such scores file.")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            frame = frame.astype({c: t for c, t in ID_COLUMNS.items() if c in frame.columns})
        else:
            frame = pd.read_csv(path, dtype=ID_COLUMNS)
    except (ValueError, OSError, pa.ArrowException) as exc:  # parser and decoding errors too
        raise LeadscoreError(
            f"{path}: cannot be read as a scores file ({type(exc).__name__})."
        ) from None
    missing = sorted({"rank", "lead_id", "as_of"} - set(frame.columns))
    if missing:
        raise LeadscoreError(
            f"{path}: not a scores file of 'leadscore score' (no column {', '.join(missing)})."
        )
    return frame


def _add_scores(data: ReportData, frame: pd.DataFrame, path: Path) -> None:
    shown = ["rank", "lead_id", "probability", "score", "grade", "priority"]
    shown += [c for c in ("reason_1", "reason_2", "reason_3", "against_1") if c in frame.columns]
    data.top_leads = frame.sort_values("rank").head(20)[[c for c in shown if c in frame.columns]]
    data.scores_file = path.name
    data.scores_as_of = str(frame["as_of"].iloc[0]) if len(frame) else None
    drift_path = drift_table(path)
    if drift_path.is_file():
        try:
            data.drift = pd.read_csv(drift_path)
            data.drift_advice = retrain_advice(data.drift)
        except (ValueError, KeyError, OSError) as exc:
            raise LeadscoreError(
                f"{drift_path}: not the drift table of 'leadscore score' ({type(exc).__name__})."
            ) from None


_TEMPLATE = jinja2.Environment(
    loader=jinja2.PackageLoader("leadscore", "templates"), autoescape=True
).get_template("report.html.j2")


def render(data: ReportData) -> str:
    """The page as HTML text."""

    def table(frame: pd.DataFrame | None, index: bool = False, digits: int = 3) -> str:
        if frame is None:
            return ""
        return frame.to_html(
            index=index,
            border=0,
            classes="grid",
            na_rep="",
            float_format=lambda v: f"{v:,.{digits}f}",
            escape=True,
        )

    return _TEMPLATE.render(data=data, table=table)


def write_report(data: ReportData, out: str | Path) -> Path:
    """Write the page atomically."""
    out = Path(out)
    with atomic_path(out) as tmp:
        tmp.write_text(render(data), encoding="utf-8")
    return out


def log_report(data: ReportData, name: str = "leadscore_report.html") -> str:
    """Log the page to its MLflow run without the top-leads section; returns the artifact path.

    Lead ids are never logged to MLflow, so the logged copy leaves out the one section that
    names leads; everything else (quality, grades, points, SHAP, drift) is the same page.
    """
    without_ids = dataclasses.replace(data, top_leads=None)
    with tempfile.TemporaryDirectory() as tmp:
        page = write_report(without_ids, Path(tmp) / name)
        log_files({f"{REPORT_FOLDER}/{name}": page}, data.run_id)
    return f"{REPORT_FOLDER}/{name}"
