"""The ``leadscore`` command line.

Every sub-command reports user errors (bad input, missing files) as a short message on stderr
and exits with status 1, without a traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from leadscore import config
from leadscore.dataset import load_dataset
from leadscore.errors import DataValidationError, LeadscoreError
from leadscore.io import atomic_path, write_table
from leadscore.validation import DEFAULT_MAX_ORPHAN_SHARE

app = typer.Typer(
    name="leadscore",
    help="Open, auditable predictive lead scoring.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _steps(progress: Progress, description: str, total: int):
    """A progress task and the callback that advances it by one named step."""
    task = progress.add_task(description, total=total)

    def step(name: str) -> None:
        progress.update(task, advance=1, description=name)

    return task, step


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the tables to.")] = (
        config.DEMO_DATA_DIR
    ),
    profile: Annotated[str, typer.Option(help="b2b (accounts) or b2c (demographics).")] = "b2b",
    leads: Annotated[int, typer.Option(help="Number of leads (~100 events each).")] = (
        config.DEMO_LEADS
    ),
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = (
        config.DEMO_SEED
    ),
    file_format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    start: Annotated[str, typer.Option(help="First simulated day (UTC).")] = "2024-10-01",
    end: Annotated[str, typer.Option(help="Day after the last simulated day (UTC).")] = (
        "2026-04-01"
    ),
    activity: Annotated[
        float, typer.Option(help="Scale web and action volume (benchmarks); 1 = realistic.")
    ] = 1.0,
) -> None:
    """Write a synthetic CRM export (leads, accounts, events, outcomes) with ground truth."""
    from leadscore.synthetic import generate as run_generator

    with _progress() as progress:
        task = progress.add_task(f"Generating {profile} leads", total=leads)
        result = run_generator(
            out,
            profile=profile,  # type: ignore[arg-type]
            n_leads=leads,
            seed=seed,
            start=start,
            end=end,
            file_format=file_format,  # type: ignore[arg-type]
            activity=activity,
            on_progress=lambda done, _total: progress.update(task, completed=done),
        )
    table = Table(title=f"Wrote {result.out_dir} in {result.seconds:.1f} s")
    table.add_column("table")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, path in result.files.items():
        table.add_row(name, path.name, f"{result.rows[name]:,}")
    console.print(table)
    console.print(f"Hidden ground truth (never an input) is in {result.out_dir / 'ground_truth'}.")


@app.command()
def validate(
    data: Annotated[Path, typer.Option(help="Folder with the exported tables.")] = (
        config.DEMO_DATA_DIR
    ),
    strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
    max_orphan_share: Annotated[
        float, typer.Option(help="Largest share of orphan rows dropped with a warning.")
    ] = DEFAULT_MAX_ORPHAN_SHARE,
) -> None:
    """Check a folder of exports against the data contract and summarise it."""
    began = time.perf_counter()
    with err_console.status(f"Validating {data}"):
        dataset = load_dataset(data, strict=strict, max_orphan_share=max_orphan_share)
    for problem in dataset.warnings:
        err_console.print(f"[yellow]{problem.describe()}[/yellow]", highlight=False)
    summary = Table(title=f"{data} is valid ({time.perf_counter() - began:.1f} s)")
    for column in ("table", "file", "rows", "first", "last"):
        summary.add_column(column, justify="right" if column == "rows" else "left")
    for row in dataset.summary().itertuples(index=False):
        summary.add_row(
            row.table, row.file, f"{row.rows:,}", _fmt_time(row.first), _fmt_time(row.last)
        )
    console.print(summary)
    figures = dataset.headline()
    console.print(
        f"{figures['leads']:,} leads, {figures['accounts']:,} accounts; "
        f"{figures['consented_share']:.1%} consented; "
        f"{figures['conversion_rate']:.1%} ever converted; "
        f"{figures['events_per_lead']:.1f} events per lead."
    )


@app.command()
def features(
    data: Annotated[Path, typer.Option(help="Folder with the exported tables.")] = (
        config.DEMO_DATA_DIR
    ),
    cutoffs: Annotated[
        str,
        typer.Option(help="Dates 2025-01-01,2025-02-01 or monthly:2025-01-01:2025-12-01."),
    ] = "monthly:2025-01-01:2025-12-01",
    horizon_days: Annotated[
        int | None, typer.Option(help="Label window after each cutoff (default 90).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Training table to write (.parquet or .csv).")] = (
        config.PROCESSED_DATA_DIR / "training.parquet"
    ),
    settings: Annotated[
        Path | None, typer.Option(help="Your settings YAML (defaults: the shipped file).")
    ] = None,
) -> None:
    """Build a point-in-time training table: one row per (lead, cutoff), label and features."""
    from leadscore.features.pipeline import build_training_table

    with _progress() as progress:
        _, step = _steps(progress, "Building features", total=7)
        table = build_training_table(data, cutoffs, horizon_days, settings=settings, on_step=step)
    catalogue_path = out.with_name(out.stem + "_catalogue.csv")
    write_table(table.frame, out)
    write_table(table.catalogue_frame(), catalogue_path)
    frame = table.frame
    summary = Table()
    for column in ("cutoff", "leads", "positives", "rate"):
        summary.add_column(column, justify="left" if column == "cutoff" else "right")
    for cutoff, group in frame.groupby("cutoff", sort=True):
        summary.add_row(
            _fmt_time(cutoff),
            f"{len(group):,}",
            f"{group['label'].sum():,}",
            f"{group['label'].mean():.2%}",
        )
    console.print(summary)
    console.print(f"Wrote {out} in {table.seconds:.1f} s.")
    console.print(
        f"{len(frame):,} rows, {int(frame['label'].sum()):,} positives, "
        f"{len(table.feature_names)} features ({table.horizon_days}-day horizon); "
        f"catalogue in {catalogue_path}."
    )


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="Folder with the exported tables.")] = (
        config.DEMO_DATA_DIR
    ),
    cutoffs: Annotated[
        str | None,
        typer.Option(
            help="Cutoffs spanning train, validation and test (default: monthly over "
            "the data, one horizon left for labels)."
        ),
    ] = None,
    horizon_days: Annotated[int, typer.Option(help="Label window after each cutoff.")] = 90,
    points: Annotated[
        Path | None, typer.Option(help="Your points sheet (default: the shipped one).")
    ] = None,
    settings: Annotated[Path | None, typer.Option(help="Your feature settings YAML.")] = None,
    out_dir: Annotated[Path, typer.Option(help="Where the comparison files go.")] = (
        config.REPORTS_DIR
    ),
    metrics_out: Annotated[
        Path | None, typer.Option(help="Also write every model's metrics to this JSON file.")
    ] = None,
    track: Annotated[
        bool, typer.Option(help="Log the run to MLflow and register the model.")
    ] = True,
    promote: Annotated[
        bool, typer.Option(help="Make this model the champion even if it is not better.")
    ] = False,
) -> None:
    """Train hand-set points, learned points and LightGBM; compare them on the latest leads."""
    from leadscore.features.pipeline import build_training_table
    from leadscore.modeling.compare import compare_models

    with _progress() as progress:
        task, step = _steps(progress, "Building features", total=8)
        table = build_training_table(data, cutoffs, horizon_days, settings=settings, on_step=step)
        progress.update(task, description="training the three models")
        oracle_table = None
        if (Path(data) / "ground_truth").is_dir():
            from leadscore.synthetic import conversion_probability

            oracle_table = conversion_probability(data, table.cutoffs, horizon_days)
        result = compare_models(table.frame, horizon_days, sheet=points, oracle=oracle_table)
        progress.update(task, advance=1)
    split = result.split
    console.print(
        f"Train {split.train[0]:%Y-%m-%d}..{split.train[-1]:%Y-%m-%d}, "
        f"validation {split.valid:%Y-%m-%d}, test {split.test:%Y-%m-%d} "
        f"({len(result.test_scores):,} leads)."
    )
    shown = [
        "roc_auc",
        "pr_auc",
        "log_loss",
        "brier",
        "ece",
        "capture_at_10pct",
        "lift_at_10pct",
        "selected_share",
        "precision_at_threshold",
        "recall_at_threshold",
    ]
    if "oracle_roc_auc" in result.metrics.columns:
        shown.append("oracle_roc_auc")
    summary = Table(title="Held-out comparison (latest cutoff)")
    summary.add_column("model")
    for column in shown:
        summary.add_column(column.replace("_", " "), justify="right")
    for name, row in result.metrics.iterrows():
        summary.add_row(name, *(f"{row[c]:.3f}" for c in shown))
    console.print(summary)
    files = {
        "model_comparison.csv": result.metrics.reset_index(),
        "points_comparison.csv": result.points_sheet,
        "grade_conversion.csv": result.test_scores.groupby("grade")["label"]
        .agg(leads="size", conversion_rate="mean")
        .reset_index(),
    }
    for name, frame in files.items():
        write_table(frame, out_dir / name)
    from leadscore.plots import comparison_figures

    figures = comparison_figures(result, out_dir / "figures")
    console.print(
        f"Wrote {', '.join(str(out_dir / n) for n in files)} and {len(figures)} "
        f"figures in {out_dir / 'figures'}."
    )
    if track:
        from leadscore.modeling.tracking import log_comparison, tracking_uri

        with err_console.status("Logging to MLflow"):
            run_id, version, promoted = log_comparison(
                result,
                table.frame,
                fingerprint=table.fingerprint,
                horizon_days=horizon_days,
                files={**{n: out_dir / n for n in files}, **figures},
                catalogue=table.catalogue_frame(),
                promote=promote,
            )
        state = "now the champion" if promoted else "the champion stays"
        console.print(
            f"MLflow run {run_id} ({tracking_uri()}): registered leadscore version {version}, "
            f"{state}."
        )
    else:
        run_id = None
    if metrics_out is not None:
        from leadscore.modeling.compare import metrics_json

        with atomic_path(metrics_out) as tmp:
            tmp.write_text(json.dumps(metrics_json(result, run_id), indent=2))
        console.print(f"Metrics in {metrics_out}.")


@app.command()
def export(
    out: Annotated[Path, typer.Option(help="Folder to copy the champion model to.")] = (
        config.MODELS_DIR / "champion"
    ),
) -> None:
    """Copy the champion from the MLflow registry to a plain folder (MLflow model + LightGBM)."""
    from mlflow.exceptions import MlflowException

    from leadscore.modeling.tracking import export_champion

    try:
        with err_console.status("Exporting the champion"):
            folder = export_champion(out)
    except MlflowException:
        raise LeadscoreError(
            "no champion in the registry yet: run 'leadscore train' first."
        ) from None
    console.print(f"Champion exported to {folder} (mlflow/ and lightgbm.txt).")


@app.command()
def oracle(
    data: Annotated[Path, typer.Option(help="A folder written by 'leadscore generate'.")] = (
        config.DEMO_DATA_DIR
    ),
    cutoffs: Annotated[str, typer.Option(help="Comma-separated cutoff dates.")] = (
        "2025-04-01,2025-07-01,2025-10-01"
    ),
    horizon_days: Annotated[int, typer.Option(help="Label window after each cutoff.")] = 90,
) -> None:
    """Best achievable ranking quality on synthetic data (AUC of the true probabilities)."""
    from leadscore.synthetic import oracle_report

    report = oracle_report(data, [c.strip() for c in cutoffs.split(",")], horizon_days)
    table = Table(title=f"Ground truth of {data}, {horizon_days}-day horizon")
    for column in ("cutoff", "leads", "conversions", "rate", "mean true p", "oracle AUC"):
        table.add_column(column, justify="left" if column == "cutoff" else "right")
    for row in report.itertuples(index=False):
        table.add_row(
            _fmt_time(row.cutoff),
            f"{row.leads:,}",
            f"{row.conversions:,}",
            f"{row.conversion_rate:.2%}",
            f"{row.mean_probability:.2%}",
            f"{row.oracle_auc:.3f}",
        )
    console.print(table)


@app.command()
def contract() -> None:
    """Print the data contract (tables, columns, vocabularies) as Markdown."""
    from leadscore.docs import contract_markdown

    console.print(contract_markdown(), markup=False, highlight=False, soft_wrap=True)


def _fmt_time(value: pd.Timestamp) -> str:
    return "" if pd.isna(value) else f"{value:%Y-%m-%d}"


def main() -> None:
    """Entry point of the console script: user errors become one clear message."""
    try:
        app()
    except DataValidationError as exc:
        err_console.print(f"[bold red]{len(exc.problems)} problem(s) in the input data:[/bold red]")
        for problem in exc.problems:
            err_console.print(f"[red]{problem.describe()}[/red]", highlight=False)
        sys.exit(1)
    except LeadscoreError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(1)
