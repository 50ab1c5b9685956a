"""The files of a training run: their names, their tables, writing, logging and reading back.

One module owns them, so the command line, the notebooks and the report agree on what a run
holds. A training run writes, to a folder (``reports/`` by default) and, logged, to the
``reports/`` folder of its MLflow run:

- the tables of :data:`RUN_TABLES`: the held-out metrics per model, the points sheet hand-set
  versus learned, the conversion rate per grade A1-D4 (with a hand-set sheet), the leakage audit
  (flat tables) and the mean absolute SHAP contribution per feature family;
- the figures (``figures/*.png``, :func:`leadscore.plots.comparison_figures` and the SHAP
  summary);
- the feature catalogue (event data; logged only) or the column types (flat tables: written
  with an example value per column to correct and pass back, logged without the examples).

``leadscore compare`` adds the points comparison of a run (:func:`write_points_comparison`),
logged to the run's ``compare/`` folder. :func:`read_run` reads both folders back, which is
what :func:`leadscore.report.gather` shows.

Nothing of a lead is logged: the tables hold aggregates, and the column types lose their
example values before they reach MLflow.

Examples
--------
>>> [f"{TRAINING_FOLDER}/{name}" for name in RUN_TABLES][:2]
['reports/model_comparison.csv', 'reports/points_comparison.csv']
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from leadscore.io import write_table
from leadscore.modeling.compare import Comparison
from leadscore.modeling.points_comparison import PointsComparison
from leadscore.modeling.tracking import MODEL_NAME, find_run, log_files
from leadscore.plots import (
    capacity_figure,
    comparison_figures,
    gains_figure,
    grades_figure,
    importance_figure,
    points_figure,
)
from leadscore.schema import LABEL

#: The folder of a run's artifacts that holds the files of the training run ...
TRAINING_FOLDER = "reports"
#: ... and the one that holds the points comparison of ``leadscore compare``.
COMPARE_FOLDER = "compare"
#: ... and the one that holds the HTML report of ``leadscore report`` (without lead ids).
REPORT_FOLDER = "report"
#: The figures' folder inside the folder a run writes to.
FIGURES_FOLDER = "figures"

MODEL_COMPARISON = "model_comparison.csv"
POINTS_COMPARISON = "points_comparison.csv"
GRADE_CONVERSION = "grade_conversion.csv"
LEAKAGE_AUDIT = "leakage_audit.csv"
SHAP_IMPORTANCE = "shap_importance.csv"
#: The columns of a flat table as training typed them (the user's corrections start from it).
COLUMN_TYPES = "column_types.csv"
#: The features of event data (logged only: ``leadscore features`` writes it beside the table).
FEATURE_CATALOGUE = "feature_catalogue.csv"
WHAT_IF = "what_if.csv"
#: With a sales capacity: the models at equal hand-over volume (one row per model).
CAPACITY_WHAT_IF = "capacity_what_if.csv"

#: The tables a training run may write, in the order they are written and listed.
RUN_TABLES = (
    MODEL_COMPARISON,
    POINTS_COMPARISON,
    GRADE_CONVERSION,
    LEAKAGE_AUDIT,
    SHAP_IMPORTANCE,
    CAPACITY_WHAT_IF,
)
#: Every file a training run may write to its folder (figures aside): what must not collide.
RUN_FILES = (*RUN_TABLES, COLUMN_TYPES)
#: The figure of the SHAP summary, beside :func:`leadscore.plots.figure_names`.
SHAP_FIGURE = "shap_importance"
#: With a sales capacity: conversions captured against leads handed over, per week.
CAPACITY_FIGURE = "capacity_curve"
#: The figures of ``leadscore compare``.
POINTS_FIGURE = "points_hand_vs_learned"
GAINS_FIGURE = "gains"
GRADES_FIGURE = "grades"


def grade_conversion(comparison: Comparison) -> pd.DataFrame | None:
    """Held-out leads and conversion rate per grade of the hand-set sheet (A1 … D4).

    ``None`` without a hand-set sheet (a flat table trained without a points file).
    """
    scores = comparison.test_scores
    if "grade" not in scores.columns:
        return None
    return scores.groupby("grade")[LABEL].agg(leads="size", conversion_rate="mean").reset_index()


def run_tables(comparison: Comparison) -> dict[str, pd.DataFrame]:
    """The tables of a training run by file name (:data:`RUN_TABLES`; those that apply)."""
    tables = {
        MODEL_COMPARISON: comparison.metrics.reset_index(),
        POINTS_COMPARISON: comparison.points_sheet,
        GRADE_CONVERSION: grade_conversion(comparison),
        LEAKAGE_AUDIT: comparison.audit,
    }
    if comparison.shap_importance is not None:
        tables[SHAP_IMPORTANCE] = comparison.shap_importance.rename_axis("family").reset_index(
            name="mean_abs_shap"
        )
    if comparison.capacity is not None:
        tables[CAPACITY_WHAT_IF] = comparison.capacity.table
    return {name: frame for name, frame in tables.items() if frame is not None}


@dataclass(frozen=True)
class RunFiles:
    """What :func:`write_run` wrote, and what of it MLflow gets.

    ``tables`` and ``figures`` map file and figure names to the files written; ``column_types``
    is the flat table's typing (with examples), ``catalogue`` the table logged in place of it
    (the feature catalogue, or the column types without examples).
    """

    folder: Path
    tables: dict[str, Path]
    figures: dict[str, Path]
    column_types: Path | None = None
    catalogue: pd.DataFrame | None = field(default=None, repr=False)
    catalogue_name: str = FEATURE_CATALOGUE

    @property
    def artifacts(self) -> dict[str, Path | pd.DataFrame]:
        """Artifact path → file or table: what :func:`leadscore.modeling.tracking.
        log_comparison` logs (``files``)."""
        logged: dict[str, Path | pd.DataFrame] = {
            f"{TRAINING_FOLDER}/{path.name}": path
            for path in (*self.tables.values(), *self.figures.values())
        }
        if self.catalogue is not None:
            logged[f"{TRAINING_FOLDER}/{self.catalogue_name}"] = self.catalogue
        return logged


def run_outputs(out_dir: str | Path) -> dict[str, Path]:
    """Every file a training run may write to ``out_dir`` (figures aside), by name."""
    return {name: Path(out_dir) / name for name in RUN_FILES}


def write_run(
    comparison: Comparison,
    out_dir: str | Path,
    *,
    catalogue: pd.DataFrame | None = None,
) -> RunFiles:
    """Write a training run's tables and figures to ``out_dir`` (figures in ``figures/``).

    Parameters
    ----------
    comparison : Comparison
        The fitted comparison (:func:`leadscore.modeling.compare.compare_models` or
        ``compare_flat``).
    out_dir : str or Path
        The folder; files of the same names are replaced.
    catalogue : DataFrame, optional
        Event data: the feature catalogue (``FeatureTable.catalogue_frame()``), logged only.
        Flat tables: the column types (``comparison.typer.describe(frame)``), written as
        :data:`COLUMN_TYPES` and logged without the ``example`` column (no lead's values).

    Returns
    -------
    RunFiles
        Its ``artifacts`` are what ``log_comparison`` logs.
    """
    out_dir = Path(out_dir)
    tables = {
        name: write_table(frame, out_dir / name) for name, frame in run_tables(comparison).items()
    }
    figures = comparison_figures(comparison, out_dir / FIGURES_FOLDER)
    if comparison.shap_importance is not None:
        figures[SHAP_FIGURE] = importance_figure(
            comparison.shap_importance, out_dir / FIGURES_FOLDER / f"{SHAP_FIGURE}.png"
        )
    if comparison.capacity is not None:
        figures[CAPACITY_FIGURE] = capacity_figure(
            comparison.capacity, out_dir / FIGURES_FOLDER / f"{CAPACITY_FIGURE}.png"
        )
    if comparison.typer is None or catalogue is None:
        return RunFiles(out_dir, tables, figures, catalogue=catalogue)
    return RunFiles(
        out_dir,
        tables,
        figures,
        column_types=write_table(catalogue, out_dir / COLUMN_TYPES),
        catalogue=catalogue.drop(columns="example", errors="ignore"),  # MLflow gets no values
        catalogue_name=COLUMN_TYPES,
    )


def points_comparison_outputs(out_dir: str | Path) -> dict[str, Path]:
    """The tables ``leadscore compare`` writes to ``out_dir``, by name."""
    names = (POINTS_COMPARISON, WHAT_IF, CAPACITY_WHAT_IF)
    return {name: Path(out_dir) / name for name in names}


def write_points_comparison(result: PointsComparison, out_dir: str | Path) -> dict[str, Path]:
    """Write a run's points comparison: the sheet, the what-if table and three figures.

    Returns the files by name, tables first (``points_comparison.csv``, ``what_if.csv``,
    ``points_hand_vs_learned.png``, ``gains.png``, ``grades.png``, and with a sales capacity
    ``capacity_what_if.csv`` and ``capacity_curve.png``); the figures go to ``out_dir/figures``.
    """
    out_dir = Path(out_dir)
    figures = out_dir / FIGURES_FOLDER
    scores = result.test_scores
    probabilities = {
        n: scores[f"p_{n}"].to_numpy() for n in ("hand_set_points", "learned_points", "lightgbm")
    }
    files = {
        POINTS_COMPARISON: write_table(result.sheet, out_dir / POINTS_COMPARISON),
        WHAT_IF: write_table(result.what_if, out_dir / WHAT_IF),
        f"{POINTS_FIGURE}.png": points_figure(result.sheet, figures / f"{POINTS_FIGURE}.png"),
        f"{GAINS_FIGURE}.png": gains_figure(
            scores[LABEL].to_numpy(), probabilities, figures / f"{GAINS_FIGURE}.png"
        ),
        f"{GRADES_FIGURE}.png": grades_figure(result.grades, figures / f"{GRADES_FIGURE}.png"),
    }
    if result.capacity is not None:  # with a sales capacity: its table and curve
        files[CAPACITY_WHAT_IF] = write_table(result.capacity.table, out_dir / CAPACITY_WHAT_IF)
        files[f"{CAPACITY_FIGURE}.png"] = capacity_figure(
            result.capacity, figures / f"{CAPACITY_FIGURE}.png"
        )
    return files


def log_points_comparison(run_id: str, files: Mapping[str, Path]) -> str:
    """Log the files of :func:`write_points_comparison` to the run; returns their folder."""
    log_files({f"{COMPARE_FOLDER}/{name}": path for name, path in files.items()}, run_id)
    return COMPARE_FOLDER


@dataclass
class RunRecord:
    """A training run as :func:`read_run` found it in MLflow: its description and files.

    ``tables`` and ``figures`` (PNG bytes) are keyed by artifact path, e.g.
    ``reports/grade_conversion.csv`` or ``compare/points_hand_vs_learned.png``.
    """

    run_id: str
    version: str
    started: pd.Timestamp
    params: dict[str, str]
    metrics: dict[str, float]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    figures: dict[str, bytes] = field(default_factory=dict, repr=False)

    def table(self, name: str, folder: str = TRAINING_FOLDER) -> pd.DataFrame | None:
        """The table ``name`` of the run's ``folder``, or None if the run has none."""
        return self.tables.get(f"{folder}/{name}")

    def figure(self, name: str, folder: str = TRAINING_FOLDER) -> bytes | None:
        """The figure ``name`` (without ``.png``) of the run's ``folder`` as PNG bytes."""
        return self.figures.get(f"{folder}/{name}.png")


def read_run(run_id: str | None = None, name: str = MODEL_NAME) -> RunRecord:
    """Read a training run back from MLflow: parameters, metrics, tables and figures.

    Parameters
    ----------
    run_id : str, optional
        The run (default: the run of ``name``'s champion).
    name : str
        The registered model whose champion to read when ``run_id`` is None.

    Raises
    ------
    LeadscoreError
        When there is no such run (or no champion).
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    run, version = find_run(run_id, name)  # connects to the tracking store
    record = RunRecord(
        run_id=run.info.run_id,
        version=version,
        started=pd.Timestamp(run.info.start_time, unit="ms", tz="UTC"),
        params=dict(run.data.params),
        metrics=dict(run.data.metrics),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for folder in (TRAINING_FOLDER, COMPARE_FOLDER):
            try:
                local = Path(
                    mlflow.artifacts.download_artifacts(
                        run_id=record.run_id, artifact_path=folder, dst_path=tmp
                    )
                )
            except (MlflowException, OSError):
                continue  # compare/ exists only after 'leadscore compare'
            for path in sorted(local.iterdir()) if local.is_dir() else ():
                key = f"{folder}/{path.name}"
                if path.suffix == ".csv":
                    record.tables[key] = pd.read_csv(path)
                elif path.suffix == ".png":
                    record.figures[key] = path.read_bytes()
    return record
