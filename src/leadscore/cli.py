"""The ``leadscore`` command line.

Every sub-command reports user errors (bad input, missing files) as a short message on stderr
and exits with status 1, without a traceback.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from leadscore import config
from leadscore.defaults import LEAKAGE_THRESHOLD as DEFAULT_LEAKAGE_THRESHOLD
from leadscore.defaults import MAX_ORPHAN_SHARE as DEFAULT_MAX_ORPHAN_SHARE
from leadscore.defaults import MIN_CLASS_ROWS
from leadscore.errors import UNPRINTABLE, DataValidationError, LeadscoreError, excerpt

if TYPE_CHECKING:  # the commands import what they need when they run: help answers at once
    import pandas as pd

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


@contextlib.contextmanager
def _dates_option(option: str, value: str | None) -> Iterator[None]:
    """Name ``option`` in errors about dates the data cannot serve (before it, censored ...)."""
    from leadscore.features.pipeline import CutoffError

    try:
        yield
    except CutoffError as exc:
        if value is None:
            raise
        raise LeadscoreError(f"{option} {excerpt(value)}: {exc}") from None


#: Escaped when printed; line feeds and tabs of multi-line messages are kept.
_UNPRINTABLE = re.compile(f"(?![\n\t])[{UNPRINTABLE}]")


def _plain(text: object, style: str = "") -> Text:
    """Text from the user's files, arguments or errors as the terminal should show it.

    Never read as markup ("[link=...]" stays text) and control characters are shown escaped
    (``\\x1b``), so a header or value cannot move the cursor, clear the screen or add a link.

    Examples
    --------
    >>> _plain("\\x1b]8;;http://evil\\x1b\\\\Notes [b]x[/b]\\n\\tnext").plain
    '\\\\x1b]8;;http://evil\\\\x1b\\\\Notes [b]x[/b]\\n\\tnext'
    """
    escaped = _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode(), str(text))
    return Text(escaped, style=style)


def _warn(lines: Iterable[str]) -> None:
    """Print warnings from the user's data (see :func:`_plain`)."""
    for line in lines:
        err_console.print(_plain(line, "yellow"), highlight=False)


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
    out: Annotated[
        Path,
        typer.Option(help="Folder to write the tables to: new, empty or an earlier synthetic one."),
    ] = config.DEMO_DATA_DIR,
    profile: Annotated[str, typer.Option(help="b2b (accounts) or b2c (demographics).")] = "b2b",
    leads: Annotated[int, typer.Option(help="Number of leads (~100 events each).")] = (
        config.DEMO_LEADS
    ),
    seed: Annotated[int, typer.Option(min=0, help="Random seed: same seed, same data.")] = (
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


@app.command("generate-flat")
def generate_flat(
    out: Annotated[Path, typer.Option(help="CSV file to write.")] = (
        config.RAW_DATA_DIR / "crm_export.csv"
    ),
    rows: Annotated[int, typer.Option(min=1, help="Number of leads (rows).")] = 5000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    overwrite: Annotated[
        bool, typer.Option(help="Replace --out if it exists (it may be a real export).")
    ] = False,
    drift: Annotated[
        str, typer.Option(help="Base-rate drift over 'Created Date': none, mild or strong.")
    ] = "mild",
    german: Annotated[
        bool, typer.Option(help="German headers and values, saved as a German Excel does (;).")
    ] = False,
) -> None:
    """Write a messy flat CRM export with a target column (to try 'train --table')."""
    from leadscore.io import TABLE_SUFFIXES, atomic_path, check_distinct_outputs, write_table
    from leadscore.synthetic.flat import DRIFTS, GERMAN_HEADERS, messy_flat_table

    check_distinct_outputs({"--out": out}, suffixes=TABLE_SUFFIXES)
    if drift not in DRIFTS:
        raise LeadscoreError(f"--drift {drift!r}: give one of {', '.join(DRIFTS)}.")
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise LeadscoreError(
            f"--out {out} already exists: give a new file name, or add --overwrite to replace it."
        )
    frame = messy_flat_table(rows, seed, drift=drift, german=german)  # type: ignore[arg-type]
    if german and out.suffix.lower() == ".csv":
        # German Excel's "CSV UTF-8": a byte-order mark and ";", since "," is the decimal mark.
        with atomic_path(out) as tmp:
            frame.to_csv(tmp, index=False, sep=";", encoding="utf-8-sig")
    else:
        write_table(frame, out, spreadsheet_safe=False)  # an input, raw
    names = GERMAN_HEADERS if german else {h: h for h in GERMAN_HEADERS}
    console.print(
        f"Wrote {rows:,} rows to {out}. Try: leadscore train --table {out} --target "
        f"'{names['Converted']}' --id '{names['Lead ID']}' --time-col '{names['Created Date']}'"
    )


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
    from leadscore.dataset import load_dataset

    began = time.perf_counter()
    with err_console.status(f"Validating {data}"):
        dataset = load_dataset(data, strict=strict, max_orphan_share=max_orphan_share)
    _warn(problem.describe() for problem in dataset.warnings)
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
    from leadscore.features.pipeline import build_training_table, parse_cutoffs
    from leadscore.io import TABLE_SUFFIXES, check_distinct_outputs, write_table

    catalogue_path = out.with_name(out.stem + "_catalogue.csv")
    check_distinct_outputs(
        {"--out": out, "the feature catalogue": catalogue_path},
        inputs={"--data": data, "--settings": settings},
        suffixes=TABLE_SUFFIXES,
    )
    cutoff_dates = parse_cutoffs(cutoffs, name="--cutoffs")
    with _progress() as progress, _dates_option("--cutoffs", cutoffs):
        _, step = _steps(progress, "Building features", total=7)
        table = build_training_table(
            data, cutoff_dates, horizon_days, settings=settings, on_step=step
        )
    _warn(table.warnings)
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
    table: Annotated[
        Path | None,
        typer.Option(help="One flat export with a target column, instead of --data."),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Flat table: the outcome column (1/0, yes/no, true/false).")
    ] = None,
    id_col: Annotated[
        str | None, typer.Option("--id", help="Flat table: the lead id column (not a feature).")
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option(help="Flat table: a column not to use (repeatable).")
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            help="Flat table: a column you know holds no personal data, used even if it looks "
            "like it (repeatable)."
        ),
    ] = None,
    types: Annotated[
        Path | None,
        typer.Option(
            "--types",
            help="Flat table: CSV or YAML correcting column types (column → numeric, category, "
            "boolean, date or drop; number_format point or comma). The column_types.csv a run "
            "writes is one: edit its type column and pass it back.",
        ),
    ] = None,
    time_col: Annotated[
        str | None,
        typer.Option(help="Flat table: when each row was created; splits by time (else random)."),
    ] = None,
    leakage_threshold: Annotated[
        float,
        typer.Option(
            help="Flat table: flag columns whose held-out AUC alone reaches this (above 0.5, "
            "at most 1)."
        ),
    ] = DEFAULT_LEAKAGE_THRESHOLD,
    min_class_rows: Annotated[
        int,
        typer.Option(
            help="Flat table: fewest converted and fewest not converted rows to train on.",
            min=1,
        ),
    ] = MIN_CLASS_ROWS,
    points: Annotated[
        Path | None,
        typer.Option(
            help="Your points sheet (default: the shipped one; flat tables: none unless given)."
        ),
    ] = None,
    settings: Annotated[Path | None, typer.Option(help="Your feature settings YAML.")] = None,
    tune: Annotated[
        bool, typer.Option(help="Search LightGBM parameters on the validation period first.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the comparison files go (default: reports/; with --table, "
            "reports/MODEL-NAME/, so tables keep their own)."
        ),
    ] = None,
    metrics_out: Annotated[
        Path | None, typer.Option(help="Also write every model's metrics to this JSON file.")
    ] = None,
    track: Annotated[
        bool, typer.Option(help="Log the run to MLflow and register the model.")
    ] = True,
    promote: Annotated[
        bool, typer.Option(help="Make this model the champion even if it is not better.")
    ] = False,
    name: Annotated[
        str | None,
        typer.Option(
            help="Registered model name (default: leadscore for --data, leadscore-FILE for "
            "--table FILE.csv); each name has its own champion."
        ),
    ] = None,
) -> None:
    """Train hand-set points, learned points and LightGBM; compare them on the latest leads.

    With --table, one flat export is used instead of the folder of tables: columns are typed
    automatically and a leakage audit names columns that give the outcome away.
    """
    from leadscore.io import check_distinct_outputs

    if name is not None:
        from leadscore.modeling.tracking import check_model_name

        check_model_name(name)
    if out_dir is None:
        out_dir = config.REPORTS_DIR
        if table is not None:
            from leadscore.modeling.tracking import table_model_name

            out_dir = out_dir / (name or table_model_name(table))
    check_distinct_outputs(
        {
            **{f"--out-dir's {name}": out_dir / name for name in _TRAIN_FILES},
            "--metrics-out": metrics_out,
        },
        inputs={
            "--table": table,
            "--data": data if table is None else None,
            "--points": points,
            "--settings": settings,
            "--types": types,
        },
        folders={"--out-dir's figures folder": out_dir / "figures"},
    )
    if table is not None:
        _train_flat(
            table,
            target,
            id_col,
            drop or [],
            time_col,
            leakage_threshold,
            points,
            tune,
            min_class_rows,
            keep or [],
            types=types,
            out_dir=out_dir,
        ).finish(out_dir, metrics_out, track, promote, name)
        return
    flat_only = {
        "--target": target,
        "--id": id_col,
        "--drop": drop,
        "--keep": keep,
        "--time-col": time_col,
        "--types": types,
    }
    given = [name for name, value in flat_only.items() if value]
    if given:
        raise LeadscoreError(f"{', '.join(given)} only apply to a flat table (--table FILE).")
    from leadscore.features.pipeline import build_training_table, parse_cutoffs
    from leadscore.modeling.compare import compare_models
    from leadscore.settings import load_settings

    cutoff_dates = None if cutoffs is None else parse_cutoffs(cutoffs, name="--cutoffs")
    feature_settings = load_settings(settings)  # the model bundle carries them to scoring
    with _progress() as progress, _dates_option("--cutoffs", cutoffs):
        task, step = _steps(progress, "Building features", total=8)
        features = build_training_table(
            data, cutoff_dates, horizon_days, settings=feature_settings, on_step=step
        )
        _warn(features.warnings)
        oracle_table = None
        if (Path(data) / "ground_truth").is_dir():
            from leadscore.synthetic import conversion_probability

            oracle_table = conversion_probability(data, features.cutoffs, horizon_days)
        lightgbm = None
        if tune:
            progress.update(task, description="tuning LightGBM on the validation period")
            lightgbm = _tuned(features.frame, horizon_days)
        progress.update(task, description="training the three models")
        result = compare_models(
            features.frame,
            horizon_days,
            sheet=points,
            oracle=oracle_table,
            lightgbm=lightgbm,
            families={f.name: f.family or f.name for f in features.catalogue},
        )
        progress.update(task, advance=1)
    _Training(
        result,
        features.frame,
        fingerprint=features.fingerprint,
        horizon_days=horizon_days,
        catalogue=features.catalogue_frame(),
        settings=feature_settings,
    ).finish(out_dir, metrics_out, track, promote, name)


def _tuned(table: pd.DataFrame, horizon_days: int):
    from leadscore.modeling.train import split_table, time_split, tune_lightgbm

    train, valid, _ = split_table(table, time_split(table["cutoff"].unique(), horizon_days))
    search = tune_lightgbm(train, train["label"], valid, valid["label"])
    console.print(
        f"Tuning: best of {len(search.trials)} settings on the validation period "
        f"(log loss {search.best_score:.4f}): {search.best_params or 'the defaults'}."
    )
    return search.best_model


def _train_flat(
    path: Path,
    target: str | None,
    id_col: str | None,
    drop: list[str],
    time_col: str | None,
    leakage_threshold: float,
    points: Path | None,
    tune: bool,
    min_class_rows: int = MIN_CLASS_ROWS,
    keep: list[str] | None = None,
    types: Path | None = None,
    out_dir: Path | None = None,
) -> _Training:
    from leadscore.flat_table import NumberOutOfRangeError, TooFewRowsError, load_flat_table
    from leadscore.io import file_hash, write_table
    from leadscore.modeling.compare import compare_flat
    from leadscore.modeling.leakage import check_threshold

    if target is None:
        raise LeadscoreError("--table needs --target COLUMN (the outcome: 1/0, yes/no).")
    try:  # before the file is read
        check_threshold(leakage_threshold)
    except LeadscoreError as exc:
        raise LeadscoreError(f"--leakage-threshold {leakage_threshold}: {exc}") from None
    with err_console.status(f"Reading {path}"):
        try:
            flat = load_flat_table(
                path,
                target,
                id_col=id_col,
                drop=drop,
                time_col=time_col,
                min_class_rows=min_class_rows,
                keep=keep or [],
                types=types,
            )
        except TooFewRowsError as exc:
            raise LeadscoreError(f"{exc.detail} Lower --min-class-rows to train anyway.") from None
    if flat.rows_without_target:
        console.print(f"{flat.rows_without_target:,} rows without a target value were left out.")
    with err_console.status("Training the models"):
        try:
            result = compare_flat(
                flat, sheet=points, leakage_threshold=leakage_threshold, tune=tune
            )
        except NumberOutOfRangeError as exc:
            raise LeadscoreError(f"{path}: {exc}") from None
    kinds = result.typer.describe(flat.frame)
    written = out_dir / "column_types.csv" if out_dir is not None else None
    _print_typing_table(kinds, len(flat.labels), float(flat.labels.mean()), written)
    if out_dir is not None:  # the user's corrections start from it (--types)
        write_table(kinds, out_dir / "column_types.csv")
    if flat.kept:
        kept = ", ".join(flat.kept)
        console.print(
            _plain(f"Kept on request (--keep), not checked for personal data: {kept}"),
            highlight=False,
        )
    identity = "|".join(
        [file_hash(path), flat.target, *flat.excluded, flat.time_col or ""]
        + [f"keep:{name}" for name in flat.kept]  # (unchanged identity without --keep)
        + ([f"types:{file_hash(types)}"] if types is not None else [])
    )
    return _Training(
        result,
        flat.frame,
        fingerprint=identity,
        horizon_days=None,
        catalogue=kinds.drop(columns="example"),  # MLflow gets no lead's values
        target=flat.target,
    )


#: The tables every training run writes to --out-dir (figures go to its figures/ folder).
_TRAIN_FILES = (
    "model_comparison.csv",
    "points_comparison.csv",
    "grade_conversion.csv",
    "leakage_audit.csv",
    "shap_importance.csv",
    "column_types.csv",
)


def _print_typing_table(
    kinds: pd.DataFrame, rows: int, converted: float, written: Path | None
) -> None:
    """The typing table, compact: what each column holds and what the model gets from it."""
    used = int((~kinds["type"].isin(["drop", "target", "id"])).sum())
    dropped = int((kinds["type"] == "drop").sum())
    correct = f" (correct with --types {written})" if written is not None else ""
    console.print(
        _plain(
            f"{rows:,} rows, {converted:.1%} converted; {used} columns used, {dropped} "
            f"dropped{correct}:"
        ),
        highlight=False,
    )
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for title, justify in (
        ("column", "left"),
        ("type", "left"),
        ("missing", "right"),
        ("distinct", "right"),
        ("example", "left"),
        ("action", "left"),
    ):
        table.add_column(title, justify=justify, overflow="fold")
    for row in kinds.itertuples(index=False):
        ambiguous = "ambiguous" in row.action or "--keep" in row.action
        table.add_row(
            _plain(row.header),
            _plain(row.type),
            f"{row.missing_share:.0%}",
            f"{row.distinct_values:,}",
            _plain(row.example),
            _plain(row.action, "yellow" if ambiguous else ""),
        )
    console.print(table)


class _Training:
    """What every training run does after fitting: show, write, log, export the metrics."""

    def __init__(self, result, frame: pd.DataFrame, **log_args) -> None:
        self.result = result
        self.frame = frame
        self.log_args = log_args

    def finish(
        self,
        out_dir: Path,
        metrics_out: Path | None,
        track: bool,
        promote: bool,
        model_name: str | None = None,
    ) -> None:
        from leadscore.io import atomic_path, write_table

        result = self.result
        console.print(_plain(result.description), highlight=False)  # names file and columns
        for line in result.fitted_rows.values():
            console.print(_plain(f"  {line}"), highlight=False)
        self._print_metrics()
        _warn(result.warnings)
        if result.audit is not None:
            self._print_audit()
        files = {
            "model_comparison.csv": result.metrics.reset_index(),
            "points_comparison.csv": result.points_sheet,
        }
        if "grade" in result.test_scores.columns:
            files["grade_conversion.csv"] = (
                result.test_scores.groupby("grade")["label"]
                .agg(leads="size", conversion_rate="mean")
                .reset_index()
            )
        if result.audit is not None:
            files["leakage_audit.csv"] = result.audit
        files["shap_importance.csv"] = result.shap_importance.rename_axis("family").reset_index(
            name="mean_abs_shap"
        )
        for name, frame in files.items():
            write_table(frame, out_dir / name)
        from leadscore.plots import comparison_figures, importance_figure

        figures = comparison_figures(result, out_dir / "figures")
        figures["shap_importance"] = importance_figure(
            result.shap_importance, out_dir / "figures" / "shap_importance.png"
        )
        console.print(
            f"Wrote {', '.join(str(out_dir / n) for n in files)} and {len(figures)} "
            f"figures in {out_dir / 'figures'}."
        )
        run_id = (
            self._track(
                files={**{n: out_dir / n for n in files}, **figures},
                promote=promote,
                name=model_name,
            )
            if track
            else None
        )
        if metrics_out is not None:
            from leadscore.modeling.compare import metrics_json

            with atomic_path(metrics_out) as tmp:
                tmp.write_text(json.dumps(metrics_json(result, run_id), indent=2))
            console.print(f"Metrics in {metrics_out}.")

    def _print_metrics(self) -> None:
        metrics = self.result.metrics
        from leadscore.modeling.compare import MODEL_TITLES
        from leadscore.modeling.evaluate import METRIC_TITLES

        summary = Table(title="Held-out comparison")
        summary.add_column("metric")
        for name in metrics.index:
            summary.add_column(MODEL_TITLES.get(name, name), justify="right")
        for metric, title in METRIC_TITLES.items():
            if metric in metrics.columns:
                summary.add_row(title, *(f"{v:.3f}" for v in metrics[metric]))
        console.print(summary)

    def _print_audit(self) -> None:
        audit = self.result.audit
        flagged = audit[audit["flagged"]]
        if flagged.empty:
            strongest = audit.iloc[0]
            # One kind of evidence is no proof (a strong honest cause beats the other columns
            # too), but people may want to look: say how many and where the numbers are.
            partial = int((audit["evidence"] != "").sum())
            looked = (
                f"; {partial} column(s) show one kind of evidence, not enough to flag (see "
                "leakage_audit.csv)"
                if partial
                else ""
            )
            console.print(
                _plain(
                    f"Leakage audit: no column gives the outcome away (strongest alone: "
                    f"{strongest['header']}, ROC AUC {strongest['roc_auc']:.3f}{looked})."
                ),
                highlight=False,
            )
            return
        console.print(
            f"[bold yellow]Leakage audit: {len(flagged)} suspicious column(s), each with its "
            "evidence[/bold yellow]"
        )
        for advice in flagged["advice"]:
            console.print(_plain(f"  {advice}", "yellow"), highlight=False)

    def _track(self, files: dict[str, Path], promote: bool, name: str | None = None) -> str:
        from leadscore.modeling.tracking import log_comparison, tracking_uri

        with err_console.status("Logging to MLflow"):
            done = log_comparison(
                self.result, self.frame, files=files, promote=promote, name=name, **self.log_args
            )
        console.print(
            _plain(
                f"MLflow run {done.run_id} ({tracking_uri()}): registered {done.name} version "
                f"{done.version}, {done.why}."
            ),
            highlight=False,
        )
        return done.run_id


@app.command()
def score(
    data: Annotated[Path, typer.Option(help="Folder with the exported tables.")] = (
        config.DEMO_DATA_DIR
    ),
    table: Annotated[
        Path | None, typer.Option(help="A flat export to score with a flat-table model.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Score as of this date (default: the day after the latest event)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="models:/NAME@ALIAS, models:/NAME/VERSION or a model folder (default: "
            "models:/leadscore@champion for --data; for --table, the champion whose columns "
            "the file has)."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Score with this registered model's champion.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Scores file (.csv or .parquet).")] = (
        config.SCORES_FILE
    ),
    accounts_out: Annotated[
        Path | None, typer.Option(help="Also write one row per account (.csv or .parquet).")
    ] = None,
    explain: Annotated[
        str, typer.Option(help="Reasons for all leads, none, or the best top:N.")
    ] = "all",
    lang: Annotated[str, typer.Option(help="Language of the reasons: en or de.")] = "en",
    points: Annotated[Path | None, typer.Option(help="Your points sheet.")] = None,
    settings: Annotated[Path | None, typer.Option(help="Your feature settings YAML.")] = None,
    phrases: Annotated[
        Path | None,
        typer.Option(help="How reasons name a flat table's columns (YAML: 'leadscore phrases')."),
    ] = None,
) -> None:
    """Score every lead that may be scored: probability, points, grade, priority and reasons."""
    from leadscore.io import TABLE_SUFFIXES, check_distinct_outputs, drift_table, write_table
    from leadscore.modeling.predict import (
        account_summary,
        load_model,
        model_settings,
        model_sheet,
        parse_explain,
        score_leads,
    )
    from leadscore.reasons import LANGUAGES, load_phrases

    check_distinct_outputs(  # before anything is read: no output may overwrite another or an input
        {
            "--out": out,
            "the drift table written next to --out": drift_table(out),
            "--accounts-out": accounts_out,
        },
        inputs={
            "--data": data if table is None else None,
            "--table": table,
            "--model": None if model is None or ":/" in model else model,
            "--points": points,
            "--settings": settings,
            "--phrases": phrases,
        },
        suffixes=TABLE_SUFFIXES,
    )
    if lang not in LANGUAGES:
        raise LeadscoreError(f"--lang {lang!r}: use {' or '.join(LANGUAGES)}.")
    if phrases is not None and table is None:
        raise LeadscoreError(
            f"--phrases {phrases}: phrases name the columns of a flat table; use them with "
            "--table (event data reads its reasons from reasons.yaml)."
        )
    column_phrases = load_phrases(phrases) if phrases is not None else None  # before the model
    n_explain = parse_explain(explain)
    as_of_day = None  # checked before the model is loaded
    if as_of is not None:
        from leadscore.features.pipeline import to_cutoff

        as_of_day = to_cutoff(as_of, "--as-of")
    began = time.perf_counter()
    model = _scoring_model(model, name, table)
    with err_console.status(f"Loading {model}"):
        loaded = load_model(model)
    sheet = _trained_with(model_sheet, loaded, "--points", points)
    with _progress() as progress:
        if table is not None:
            if loaded.typer is None:
                raise LeadscoreError(
                    f"{model} was trained on event data: score it with --data, not --table."
                )
            from leadscore.flat_table import read_scoring_rows

            frame, when = read_scoring_rows(table, loaded.typer, as_of_day)
            families = None
            calendar = getattr(loaded.typer, "calendar_", {}).values()  # the time column's too
            worded = {*loaded.typer.kinds_, *(column for column, _ in calendar)}
            unused = sorted(set(column_phrases or {}) - worded)
            if unused:
                _warn([f"--phrases {phrases}: the model uses no column {', '.join(unused)}."])
        else:
            if loaded.typer is not None:
                raise LeadscoreError(
                    f"{model} was trained on a flat table: score with --table FILE."
                )
            from leadscore.features.pipeline import build_scoring_table

            feature_settings = _trained_with(model_settings, loaded, "--settings", settings)
            _, step = _steps(progress, "Building features", total=7)
            with _dates_option("--as-of", as_of):
                features = build_scoring_table(
                    data, as_of_day, settings=feature_settings, on_step=step
                )
            frame, when = features.frame, features.cutoffs[0]
            families = {f.name: f.family or f.name for f in features.catalogue}
            _warn(features.warnings)
            skipped = ", ".join(f"{n:,} {why}" for why, n in features.skipped.items() if n)
            if frame.empty:
                raise LeadscoreError(
                    f"no lead to score as of {when:%Y-%m-%d} (--as-of): all "
                    f"{sum(features.skipped.values()):,} were skipped ({skipped})."
                )
            console.print(
                f"As of {when:%Y-%m-%d}: {len(frame):,} leads to score; skipped "
                f"{sum(features.skipped.values()):,} ({skipped or 'none'})."
            )
        task = progress.add_task("explaining", total=None)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        scores = score_leads(
            frame,
            loaded,
            as_of=when,
            families=families,
            sheet=sheet,
            explain=n_explain,
            lang=lang,
            on_progress=report,
            phrases=column_phrases,
        )
        progress.update(task, description="scored", total=1, completed=1)
    # Everything is computed before the first file is written: a failure leaves no mix of
    # new scores and old side files.
    drift = None
    if loaded.reference is not None:
        watched = frame if loaded.typer is None else loaded.typer.transform(frame)
        drift = loaded.reference.compare(watched)
    accounts = account_summary(scores) if accounts_out is not None else None
    write_table(scores, out)
    bands = scores["priority"].value_counts().reindex(["very high", "high", "medium", "low"])
    console.print(
        f"Scored {len(scores):,} leads with {model} (version {loaded.version}) in "
        f"{time.perf_counter() - began:.1f} s: "
        + ", ".join(f"{int(n):,} {band}" for band, n in bands.fillna(0).items())
        + f". Wrote {out}."
    )
    if drift is not None:
        from leadscore.drift import retrain_advice

        drift_path = write_table(drift, drift_table(out))
        console.print(
            _plain(f"Drift since training ({drift_path}): {retrain_advice(drift)}"), highlight=False
        )
    if accounts is not None:
        write_table(accounts, accounts_out)
        console.print(f"{len(accounts):,} accounts in {accounts_out}.")


def _scoring_model(model: str | None, name: str | None, table: Path | None) -> str:
    """The model to score with: --model, --name's champion, or the default for the input."""
    from leadscore.modeling.tracking import (
        CHAMPION,
        MODEL_NAME,
        check_model_name,
        choose_table_model,
        table_model_name,
    )

    if model is not None and name is not None:
        raise LeadscoreError("--model and --name both name a model: give one of them.")
    if name is not None:
        return f"models:/{check_model_name(name)}@{CHAMPION}"
    if model is not None:
        return model
    if table is None:
        return f"models:/{MODEL_NAME}@{CHAMPION}"
    with err_console.status(f"Finding the model for {table}"):
        uri = choose_table_model(table)
    own = table_model_name(table)
    if uri != f"models:/{own}@{CHAMPION}":  # e.g. this month's export, or its model was flagged
        _warn(
            [
                f"{table}: scored with {uri}, trained on another file whose columns this one "
                f"holds; there is no champion named {own}. Pass --model or --name to choose."
            ]
        )
    return uri


@app.command("phrases")
def phrases_file(
    out: Annotated[Path, typer.Option(help="Phrases file to write (.yaml).")] = Path(
        "phrases.yaml"
    ),
    table: Annotated[
        Path | None, typer.Option(help="A flat export: its columns as training types them.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="A flat-table model (models:/NAME@ALIAS or a folder): its columns."),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace --out if it exists.")] = False,
) -> None:
    """Write a starting phrases file for a flat table's reasons (labels: the headers)."""
    from leadscore.io import atomic_path, check_distinct_outputs
    from leadscore.reasons import phrases_template, table_columns, typer_columns

    if (table is None) == (model is None):
        raise LeadscoreError("give either --table FILE or --model MODEL to take the columns from.")
    check_distinct_outputs(
        {"--out": out},
        inputs={"--table": table, "--model": None if model is None or ":/" in model else model},
        suffixes=(".yaml", ".yml"),
    )
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise LeadscoreError(
            f"--out {out} already exists (your phrases?): give a new file name, or add "
            "--overwrite to replace it."
        )
    if table is not None:
        columns = table_columns(table)
    else:
        from leadscore.modeling.predict import load_model

        loaded = load_model(model)
        if loaded.typer is None:
            raise LeadscoreError(
                f"{model} was trained on event data, whose reasons come from reasons.yaml."
            )
        columns = typer_columns(loaded.typer)
    with atomic_path(out) as tmp:
        tmp.write_text(phrases_template(columns, out.name), encoding="utf-8")
    console.print(
        f"Wrote {len(columns):,} column(s) to {out}. Edit the labels and units, then: "
        f"leadscore score --table FILE --phrases {out}"
    )


def _trained_with(choose, loaded, option: str, path: Path | None):
    """The model's own settings or points sheet; a differing ``path`` is named with its flag."""
    from leadscore.modeling.predict import TrainedWithOtherError

    try:
        return choose(loaded, path)
    except TrainedWithOtherError as exc:
        raise LeadscoreError(f"{option} {path}: {exc}") from None


@app.command()
def compare(
    data: Annotated[Path, typer.Option(help="Folder with the exported tables of the run.")] = (
        config.DEMO_DATA_DIR
    ),
    run: Annotated[
        str | None, typer.Option(help="MLflow run id (default: the champion's training run).")
    ] = None,
    points: Annotated[
        Path | None,
        typer.Option(help="A hand-set points sheet to compare (default: the run's own)."),
    ] = None,
    settings: Annotated[Path | None, typer.Option(help="Your feature settings YAML.")] = None,
    out_dir: Annotated[Path, typer.Option(help="Where the files go.")] = config.REPORTS_DIR,
    track: Annotated[bool, typer.Option(help="Log the files to the MLflow run.")] = True,
) -> None:
    """Learned versus hand-set point weights for a training run, with what-if grading."""
    from leadscore.features.pipeline import build_training_table
    from leadscore.io import write_table
    from leadscore.modeling.points_comparison import compare_points
    from leadscore.modeling.predict import load_model, model_settings
    from leadscore.modeling.tracking import training_run
    from leadscore.modeling.train import TimeSplit
    from leadscore.plots import gains_figure, grades_figure, points_figure

    with err_console.status("Reading the training run"):
        info = training_run(run)
        loaded = load_model(f"runs:/{info.run_id}/model")
    split = TimeSplit(train=info.train_cutoffs, valid=info.valid_cutoff, test=info.test_cutoff)
    cutoffs = [*split.train, split.valid, split.test]
    # The run's table is rebuilt with the run's own settings; another --settings is an error.
    feature_settings = _trained_with(model_settings, loaded, "--settings", settings)
    with _progress() as progress:
        _, step = _steps(progress, "Rebuilding the run's training table", total=7)
        table = build_training_table(
            data, cutoffs, info.horizon_days, settings=feature_settings, on_step=step
        )
    if table.fingerprint != info.inputs_hash:
        err_console.print(
            f"[yellow]{data} is not the data run {info.run_id} was trained on (the data "
            "fingerprint differs): the figures below describe this data.[/yellow]"
        )
    hand_set = points if points is not None else loaded.sheet  # another sheet: a what-if
    result = compare_points(table.frame, split, loaded.model, sheet=hand_set)
    console.print(
        f"Run {info.run_id}: test cutoff {split.test:%Y-%m-%d}, "
        f"{len(result.test_scores):,} held-out leads."
    )
    _print_frame(
        "Ranking on the held-out leads (from the training run)",
        info.ranking.rename(
            columns={"capture_at_10pct": "top 10% capture", "lift_at_10pct": "top 10% lift"}
        ),
    )
    moved = result.sheet.reindex(
        result.sheet["difference"].abs().sort_values(ascending=False).index
    ).head(12)
    _print_frame(
        "Rules whose learned points differ most from the hand-set ones",
        moved[["rule", "hand_set_points", "learned_points", "leads", "conversion_rate"]].rename(
            columns={"hand_set_points": "hand-set", "conversion_rate": "rate"}
        ),
    )
    _print_frame("What if: MQLs at the same threshold on the held-out leads", result.what_if)
    files = {
        "points_comparison.csv": write_table(result.sheet, out_dir / "points_comparison.csv"),
        "what_if.csv": write_table(result.what_if, out_dir / "what_if.csv"),
    }
    scores = result.test_scores
    probabilities = {
        n: scores[f"p_{n}"].to_numpy() for n in ("hand_set_points", "learned_points", "lightgbm")
    }
    figures = out_dir / "figures"
    files |= {
        "points_hand_vs_learned.png": points_figure(
            result.sheet, figures / "points_hand_vs_learned.png"
        ),
        "gains.png": gains_figure(scores["label"].to_numpy(), probabilities, figures / "gains.png"),
        "grades.png": grades_figure(result.grades, figures / "grades.png"),
    }
    console.print(f"Wrote {', '.join(str(p) for p in files.values())}.")
    if track:
        from mlflow import MlflowClient

        client = MlflowClient()
        for path in files.values():
            client.log_artifact(info.run_id, str(path), artifact_path="compare")
        console.print(f"Logged to MLflow run {info.run_id} (artifacts/compare).")


def _print_frame(title: str, frame: pd.DataFrame) -> None:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(
            str(column).replace("_", " "),
            justify="left" if frame[column].dtype == object else "right",
        )
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)


def _cell(value) -> str | Text:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.3f}"  # NaN is the one float unequal to itself
    return f"{value:,}" if isinstance(value, int) else _plain(value)


@app.command()
def report(
    run: Annotated[
        str | None, typer.Option(help="MLflow run id (default: the champion's training run).")
    ] = None,
    scores: Annotated[
        Path | None, typer.Option(help="Scores file (default: the newest in data/scores).")
    ] = None,
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = (
        config.REPORTS_DIR / "leadscore_report.html"
    ),
    track: Annotated[bool, typer.Option(help="Log the page to the MLflow run.")] = True,
) -> None:
    """One self-contained HTML page: model quality, grades, points, reasons, drift."""
    from leadscore.io import check_distinct_outputs, drift_table
    from leadscore.report import gather, log_report, write_report

    if scores is None:
        from leadscore.report import newest_scores

        scores = newest_scores(config.SCORES_FILE.parent)
    check_distinct_outputs(
        {"--out": out},
        inputs={
            "--scores": scores,
            "the drift table next to --scores": drift_table(scores) if scores else None,
        },
    )
    with err_console.status("Gathering the run and the scores"):
        data = gather(run, scores)
        path = write_report(data, out)
    console.print(
        f"Wrote {path} (run {data.run_id}"
        + (f", scores {scores}" if scores else ", no scores file yet: run 'leadscore score'")
        + ")."
    )
    if track:
        logged = log_report(data)
        console.print(f"Logged {logged} to the run, without the top leads (no lead ids in MLflow).")


@app.command()
def export(
    out: Annotated[Path, typer.Option(help="Folder to copy the champion model to.")] = (
        config.MODELS_DIR / "champion"
    ),
    name: Annotated[
        str, typer.Option(help="The registered model whose champion to export.")
    ] = "leadscore",
) -> None:
    """Write the champion's model bundle (LightGBM text model, JSON, SHA-256 manifest) to a folder.

    The folder must be new, empty or an earlier export; only the bundle's files are replaced.
    """
    from mlflow.exceptions import MlflowException

    from leadscore.modeling.tracking import export_champion

    try:
        with err_console.status("Exporting the champion"):
            folder = export_champion(out, name)
    except MlflowException:
        raise LeadscoreError(
            "no champion in the registry yet: run 'leadscore train' first."
        ) from None
    console.print(
        f"Champion exported to {folder} (lightgbm.txt, bundle.json and manifest.json; "
        f"score with --model {folder})."
    )


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
def cache(
    clear: Annotated[bool, typer.Option(help="Remove every staged copy.")] = False,
) -> None:
    """List the staged copies of your data in data/interim (validated Parquet); --clear them."""
    from leadscore.dataset import MAX_STAGED_COPIES, clear_staged, staged_copies

    folder = config.INTERIM_DATA_DIR
    if clear:
        removed = clear_staged(folder)
        console.print(f"Removed {len(removed)} staged cop{'y' if len(removed) == 1 else 'ies'}.")
        return
    copies = staged_copies(folder)
    listing = Table(
        title=f"Staged copies in {folder} (at most {MAX_STAGED_COPIES}, one per data folder)"
    )
    for column in ("folder", "source", "MB", "last used"):
        listing.add_column(column, justify="right" if column == "MB" else "left")
    for row in copies.itertuples(index=False):
        listing.add_row(
            row.folder.name, row.source, f"{row.megabytes:,.1f}", f"{row.last_used:%Y-%m-%d %H:%M}"
        )
    console.print(listing)
    console.print("Staging is redone when needed; 'leadscore cache --clear' removes them all.")


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="The project folder.")] = Path("."),
) -> None:
    """Make a folder a leadscore project: commands run in it (or below) keep their files there."""
    import os

    from leadscore.config import MARKER_FILE, find_project_root, write_marker

    if folder.exists() and not folder.is_dir():
        raise LeadscoreError(f"{folder} is a file; init marks a folder as a project.")
    existed = (folder / MARKER_FILE).exists()
    marker = write_marker(folder)
    root = find_project_root(folder, environ={})
    console.print(
        _plain(
            f"{marker} {'was already there' if existed else 'written'}: data/, reports/, "
            f"models/ and mlflow.db of commands run in {root} or below go to {root}."
        ),
        highlight=False,
    )
    home = os.environ.get("LEADSCORE_HOME")
    if home:
        _warn([f"LEADSCORE_HOME={home} is set: it overrides the marker until you unset it."])


@app.command()
def contract() -> None:
    """Print the data contract (tables, columns, vocabularies) as Markdown."""
    from leadscore.docs import contract_markdown

    console.print(contract_markdown(), markup=False, highlight=False, soft_wrap=True)


def _fmt_time(value: pd.Timestamp) -> str:
    import pandas as pd

    return "" if pd.isna(value) else f"{value:%Y-%m-%d}"


def main() -> None:
    """Entry point of the console script: user errors become one clear message."""
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bar per file
    try:
        app()
    except DataValidationError as exc:
        err_console.print(f"[bold red]{len(exc.problems)} problem(s) in the input data:[/bold red]")
        for problem in exc.problems:
            err_console.print(_plain(problem.describe(), "red"), highlight=False)
        sys.exit(1)
    except LeadscoreError as exc:
        err_console.print(Text.assemble(("error:", "bold red"), " ", _plain(exc)), highlight=False)
        sys.exit(1)
