"""The ``leadscore`` command line: each command parses its options, calls one library function
(mostly of :mod:`leadscore.workflows`, whose parameters the options are, by name) and prints
what it returns (:mod:`leadscore.terminal`).

Every sub-command reports user errors (bad input, missing files) as a short message on stderr
and exits with status 1, without a traceback. Library messages name Python parameters in
backquotes ("`id_col` 'Lead ID' …"); the command line shows each as its option ("--id …").
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from leadscore import config
from leadscore.defaults import LEAKAGE_THRESHOLD, MAX_ORPHAN_SHARE, MIN_CLASS_ROWS
from leadscore.errors import DataValidationError, LeadscoreError
from leadscore.terminal import console, err_console, in_cli_terms, say, steps, warn

app = typer.Typer(
    name="leadscore",
    help="Open, auditable predictive lead scoring.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Library parameter names that differ from the option that sets them ("": every command).
ALIASES: dict[str, dict[str, str]] = {
    "": {"data_dir": "--data", "run_id": "--run"},
    "generate": {"n_leads": "--leads", "out_dir": "--out"},
    "train": {"path": "--table", "threshold": "--leakage-threshold"},
    "score": {"path": "--table"},
    "report": {"path": "--scores"},
}


@functools.cache
def flags(command: str = "") -> dict[str, str]:
    """Parameter name → option: every option of the app, ``command``'s own first.

    >>> flags("train")["id_col"], flags("generate")["file_format"], flags("generate")["out_dir"]
    ('--id', '--format', '--out')
    """
    commands = getattr(typer.main.get_command(app), "commands", {})
    found: dict[str, str] = {}
    for name in sorted(commands, key=lambda name: name != command):  # its own options first
        for param in commands[name].params:
            if param.param_type_name == "option" and param.name:
                found.setdefault(param.name, param.opts[0])
    return {**found, **ALIASES[""], **ALIASES.get(command, {})}


def command(name: str | None = None) -> Callable:
    """``app.command``, whose errors name the command's options instead of parameters."""

    def register(function: Callable) -> Callable:
        called = name or function.__name__.replace("_", "-")  # as typer names it

        @functools.wraps(function)
        def run(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except LeadscoreError as exc:
                exc.args = (in_cli_terms(str(exc), flags(called)), *exc.args[1:])
                raise

        return app.command(name)(run)

    return register


def option(help: str, *names: str, **settings) -> typer.models.OptionInfo:
    """``typer.Option`` with its help first (the declarations stay on one line more often)."""
    return typer.Option(*names, help=help, **settings)


Data = Annotated[Path, option("Folder with the exported tables.")]
Settings = Annotated[Path | None, option("Your feature settings YAML.")]
Engine = Annotated[
    str, option("Where features (and scores) are computed: duckdb (this process) or spark.")
]
SparkMaster = Annotated[
    str, option("Spark master for --engine spark: local[*], spark://HOST:7077, yarn ...")
]
Track = Annotated[bool, option("Log the files to the MLflow run.")]
Run = Annotated[str | None, option("MLflow run id (default: the champion's training run).")]


@command()
def generate(
    out: Annotated[
        Path, option("Folder to write the tables to: new, empty or an earlier synthetic one.")
    ] = config.DEMO_DATA_DIR,
    profile: Annotated[str, option("b2b (accounts) or b2c (demographics).")] = "b2b",
    leads: Annotated[int, option("Number of leads (~100 events each).")] = config.DEMO_LEADS,
    seed: Annotated[int, option("Random seed: same seed, same data.", min=0)] = config.DEMO_SEED,
    file_format: Annotated[str, option("parquet or csv.", "--format")] = "parquet",
    start: Annotated[str, option("First simulated day (UTC).")] = "2024-10-01",
    end: Annotated[str, option("Day after the last simulated day (UTC).")] = "2026-04-01",
    activity: Annotated[
        float, option("Scale web and action volume (benchmarks); 1 = realistic.")
    ] = 1.0,
) -> None:
    """Write a synthetic CRM export (leads, accounts, events, outcomes) with ground truth."""
    from leadscore.synthetic import generate as run_generator
    from leadscore.terminal import print_generated, progress

    with progress() as bar:
        task = bar.add_task(f"Generating {profile} leads", total=leads)
        result = run_generator(
            out, profile=profile, n_leads=leads, seed=seed, start=start, end=end,
            file_format=file_format, activity=activity,
            on_progress=lambda done, _total: bar.update(task, completed=done),
        )  # fmt: skip
    print_generated(result)


@command("generate-flat")
def generate_flat(
    out: Annotated[Path, option("CSV file to write.")] = config.RAW_DATA_DIR / "crm_export.csv",
    rows: Annotated[int, option("Number of leads (rows).", min=1)] = 5000,
    seed: Annotated[int, option("Random seed.", min=0)] = 0,
    overwrite: Annotated[
        bool, option("Replace --out if it exists (it may be a real export).")
    ] = False,
    drift: Annotated[
        str, option("Base-rate drift over 'Created Date': none, mild or strong.")
    ] = "mild",
    german: Annotated[
        bool, option("German headers and values, saved as a German Excel does (;).")
    ] = False,
) -> None:
    """Write a messy flat CRM export with a target column (to try 'train --table')."""
    options = dict(locals())  # the options are the library function's parameters
    from leadscore.workflows import write_flat_export

    done = write_flat_export(**options)
    names = done.headers
    console.print(
        f"Wrote {done.rows:,} rows to {done.path}. Try: leadscore train --table {done.path} "
        f"--target '{names['Converted']}' --id '{names['Lead ID']}' --time-col "
        f"'{names['Created Date']}'"
    )


@command()
def validate(
    data: Data = config.DEMO_DATA_DIR,
    strict: Annotated[bool, option("Treat warnings as errors.")] = False,
    max_orphan_share: Annotated[
        float, option("Largest share of orphan rows dropped with a warning.")
    ] = MAX_ORPHAN_SHARE,
) -> None:
    """Check a folder of exports against the data contract and summarise it."""
    from leadscore.dataset import load_dataset
    from leadscore.terminal import print_validation

    began = time.perf_counter()
    with err_console.status(f"Validating {data}"):
        dataset = load_dataset(data, strict=strict, max_orphan_share=max_orphan_share)
    print_validation(data, dataset, time.perf_counter() - began)


@command()
def features(
    data: Data = config.DEMO_DATA_DIR,
    cutoffs: Annotated[
        str, option("Dates 2025-01-01,2025-02-01 or monthly:2025-01-01:2025-12-01.")
    ] = "monthly:2025-01-01:2025-12-01",
    horizon_days: Annotated[
        int | None, option("Label window after each cutoff (default 90).")
    ] = None,
    out: Annotated[Path, option("Training table to write (.parquet or .csv).")] = (
        config.PROCESSED_DATA_DIR / "training.parquet"
    ),
    settings: Annotated[
        Path | None, option("Your settings YAML (defaults: the shipped file).")
    ] = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = "local[*]",
) -> None:
    """Build a point-in-time training table: one row per (lead, cutoff), label and features."""
    options = dict(locals())  # the options are the library function's parameters
    from leadscore.terminal import print_features
    from leadscore.workflows import build_features

    with steps("Building features") as step:
        built = build_features(**options, on_step=step)
    print_features(built, flags("features"))


FLAT = "Flat table: "


@command()
def train(
    data: Data = config.DEMO_DATA_DIR,
    cutoffs: Annotated[
        str | None,
        option(
            "Cutoffs spanning train, validation and test (default: monthly over the data, one "
            "horizon left for labels)."
        ),
    ] = None,
    horizon_days: Annotated[int, option("Label window after each cutoff.")] = 90,
    table: Annotated[
        Path | None, option("One flat export with a target column, instead of --data.")
    ] = None,
    target: Annotated[
        str | None, option(FLAT + "the outcome column (1/0, yes/no, true/false).")
    ] = None,
    id_col: Annotated[
        str | None, option(FLAT + "the lead id column (not a feature).", "--id")
    ] = None,
    drop: Annotated[list[str] | None, option(FLAT + "a column not to use (repeatable).")] = None,
    keep: Annotated[
        list[str] | None,
        option(
            FLAT + "a column you know holds no personal data, used even if it looks like it "
            "(repeatable)."
        ),
    ] = None,
    types: Annotated[
        Path | None,
        option(
            FLAT + "CSV or YAML correcting column types (column → numeric, category, boolean, "
            "date or drop; number_format point or comma). The column_types.csv a run writes is "
            "one: edit its type column and pass it back.",
            "--types",
        ),
    ] = None,
    time_col: Annotated[
        str | None, option(FLAT + "when each row was created; splits by time (else random).")
    ] = None,
    leakage_threshold: Annotated[
        float,
        option(FLAT + "flag columns whose held-out AUC alone reaches this (above 0.5, at most 1)."),
    ] = LEAKAGE_THRESHOLD,
    min_class_rows: Annotated[
        int, option(FLAT + "fewest converted and fewest not converted rows to train on.", min=1)
    ] = MIN_CLASS_ROWS,
    points: Annotated[
        Path | None,
        option("Your points sheet (default: the shipped one; flat tables: none unless given)."),
    ] = None,
    settings: Settings = None,
    tune: Annotated[bool, option("Search LightGBM parameters on the validation period first.")] = (
        False
    ),
    out_dir: Annotated[
        Path | None,
        option(
            "Where the comparison files go (default: reports/; with --table, "
            "reports/MODEL-NAME/, so tables keep their own)."
        ),
    ] = None,
    metrics_out: Annotated[
        Path | None, option("Also write every model's metrics to this JSON file.")
    ] = None,
    track: Annotated[bool, option("Log the run to MLflow and register the model.")] = True,
    promote: Annotated[
        bool, option("Make this model the champion even if it is not better.")
    ] = False,
    name: Annotated[
        str | None,
        option(
            "Registered model name (default: leadscore for --data, leadscore-FILE for --table "
            "FILE.csv); each name has its own champion."
        ),
    ] = None,
    training_table: Annotated[
        Path | None,
        option("Train on this table from 'leadscore features' (any engine) instead of --data."),
    ] = None,
    sample: Annotated[
        float | None,
        option("With --training-table: keep this share of its leads (a table beyond memory)."),
    ] = None,
    sales_capacity: Annotated[
        float | None,
        option(
            "Leads sales can work per week: sets each model's MQL threshold to hand over that "
            "many, compares the models at that volume, and scoring marks is_mql by it."
        ),
    ] = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = "local[*]",
) -> None:
    """Train hand-set points, learned points and LightGBM; compare them on the latest leads.

    With --table, one flat export is used instead of the folder of tables: columns are typed
    automatically and a leakage audit names columns that give the outcome away.
    """
    options = dict(locals())  # the options are the library function's parameters
    from leadscore.terminal import print_training
    from leadscore.workflows import train as train_models

    with steps("Training") as step:
        done = train_models(**options, on_step=step)
    print_training(done, flags("train"))


@command()
def score(
    data: Data = config.DEMO_DATA_DIR,
    table: Annotated[Path | None, option("A flat export to score with a flat-table model.")] = (
        None
    ),
    as_of: Annotated[
        str | None, option("Score as of this date (default: the day after the latest event).")
    ] = None,
    model: Annotated[
        str | None,
        option(
            "models:/NAME@ALIAS, models:/NAME/VERSION or a model folder (default: "
            "models:/leadscore@champion for --data; for --table, the champion whose columns the "
            "file has)."
        ),
    ] = None,
    name: Annotated[str | None, option("Score with this registered model's champion.")] = None,
    out: Annotated[
        str,
        option(
            "Scores file (.csv or .parquet); with --engine spark also a Parquet folder or a URI "
            "(s3a://bucket/scores)."
        ),
    ] = str(config.SCORES_FILE),
    accounts_out: Annotated[
        Path | None, option("Also write one row per account (.csv or .parquet).")
    ] = None,
    explain: Annotated[str, option("Reasons for all leads, none, or the best top:N.")] = "all",
    lang: Annotated[str, option("Language of the reasons: en or de.")] = "en",
    points: Annotated[Path | None, option("Your points sheet.")] = None,
    settings: Settings = None,
    phrases: Annotated[
        Path | None, option("How reasons name a flat table's columns (YAML: 'leadscore phrases').")
    ] = None,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = "local[*]",
) -> None:
    """Score every lead that may be scored: probability, points, grade, priority and reasons."""
    options = dict(locals())  # the options are the library function's parameters
    from leadscore.terminal import print_scoring
    from leadscore.workflows import score as score_leads

    with steps("Scoring") as shown:
        done = score_leads(**options, on_step=shown, on_progress=shown.stages)
    print_scoring(done, flags("score"))


@command("phrases")
def phrases_file(
    out: Annotated[Path, option("Phrases file to write (.yaml).")] = Path("phrases.yaml"),
    table: Annotated[
        Path | None, option("A flat export: its columns as training types them.")
    ] = None,
    model: Annotated[
        str | None, option("A flat-table model (models:/NAME@ALIAS or a folder): its columns.")
    ] = None,
    overwrite: Annotated[bool, option("Replace --out if it exists.")] = False,
) -> None:
    """Write a starting phrases file for a flat table's reasons (labels: the headers)."""
    options = dict(locals())  # the options are the library function's parameters
    from leadscore.workflows import write_phrases

    done = write_phrases(**options)
    console.print(
        f"Wrote {done.columns:,} column(s) to {done.path}. Edit the labels and units, then: "
        f"leadscore score --table FILE --phrases {done.path}"
    )


@command()
def compare(
    data: Annotated[Path, option("Folder with the exported tables of the run.")] = (
        config.DEMO_DATA_DIR
    ),
    run: Run = None,
    points: Annotated[
        Path | None, option("A hand-set points sheet to compare (default: the run's own).")
    ] = None,
    settings: Settings = None,
    out_dir: Annotated[Path, option("Where the files go.")] = config.REPORTS_DIR,
    track: Track = True,
    sales_capacity: Annotated[
        float | None,
        option(
            "Leads sales can work per week: compare the models at that hand-over volume "
            "(default: the run's own --sales-capacity, if any)."
        ),
    ] = None,
) -> None:
    """Learned versus hand-set point weights for a training run, with what-if grading."""
    options = dict(locals())  # the options are the library function's parameters
    from leadscore.terminal import print_run_comparison
    from leadscore.workflows import compare_run

    with steps("Rebuilding the run's training table") as step:
        done = compare_run(**options, on_step=step)
    print_run_comparison(done, flags("compare"))


@command()
def report(
    run: Run = None,
    scores: Annotated[
        Path | None, option("Scores file (default: the newest in data/scores).")
    ] = None,
    out: Annotated[Path, option("HTML file to write.")] = (
        config.REPORTS_DIR / "leadscore_report.html"
    ),
    track: Annotated[bool, option("Log the page to the MLflow run.")] = True,
) -> None:
    """One self-contained HTML page: model quality, grades, points, reasons, drift."""
    options = dict(locals())  # the options are the library function's parameters
    from leadscore.workflows import make_report

    with err_console.status("Gathering the run and the scores"):
        done = make_report(**options)
    scored = (
        f", scores {done.scores}" if done.scores else ", no scores file yet: run 'leadscore score'"
    )
    console.print(f"Wrote {done.path} (run {done.data.run_id}{scored}).")
    if done.logged is not None:
        console.print(
            f"Logged {done.logged} to the run, without the top leads (no lead ids in MLflow)."
        )


@command()
def export(
    out: Annotated[Path, option("Folder to copy the champion model to.")] = (
        config.MODELS_DIR / "champion"
    ),
    name: Annotated[str, option("The registered model whose champion to export.")] = "leadscore",
) -> None:
    """Write the champion's model bundle (LightGBM text model, JSON, SHA-256 manifest) to a folder.

    The folder must be new, empty or an earlier export; only the bundle's files are replaced.
    """
    from leadscore.modeling.tracking import export_champion

    with err_console.status("Exporting the champion"):
        folder = export_champion(out, name)
    console.print(
        f"Champion exported to {folder} (lightgbm.txt, bundle.json and manifest.json; "
        f"score with --model {folder})."
    )


@command()
def oracle(
    data: Annotated[Path, option("A folder written by 'leadscore generate'.")] = (
        config.DEMO_DATA_DIR
    ),
    cutoffs: Annotated[str, option("Comma-separated cutoff dates.")] = (
        "2025-04-01,2025-07-01,2025-10-01"
    ),
    horizon_days: Annotated[int, option("Label window after each cutoff.")] = 90,
) -> None:
    """Best achievable ranking quality on synthetic data (AUC of the true probabilities)."""
    from leadscore.synthetic import oracle_report
    from leadscore.terminal import print_oracle

    found = oracle_report(data, [c.strip() for c in cutoffs.split(",")], horizon_days)
    print_oracle(found, f"Ground truth of {data}, {horizon_days}-day horizon")


@command()
def cache(
    clear: Annotated[
        bool, option("Remove the staged copies, per-part caches and cached training tables.")
    ] = False,
) -> None:
    """List the staged copies of your data and the cached training tables; --clear them.

    Both live in data/interim: validated Parquet copies of each data folder, and the training
    tables train and compare reuse.
    """
    from leadscore.dataset import MAX_STAGED_COPIES, clear_staged, staged_copies
    from leadscore.features.store import (
        MAX_CACHED_TABLES,
        cached_training_tables,
        clear_training_tables,
    )
    from leadscore.staged_parts import with_part_cache
    from leadscore.terminal import print_staged

    folder = config.INTERIM_DATA_DIR
    if clear:
        staged, tables = len(clear_staged(folder)), len(clear_training_tables(folder))
        also = f" and {tables} cached training table{'s' * (tables != 1)}" if tables else ""
        console.print(f"Removed {staged} staged cop{'y' if staged == 1 else 'ies'}{also}.")
        return
    print_staged(
        with_part_cache(staged_copies(folder), folder),
        f"Staged copies in {folder} (at most {MAX_STAGED_COPIES}, one per data folder)",
        cached_training_tables(folder),
        f"Cached training tables (at most {MAX_CACHED_TABLES}, the most recently used)",
    )


@command()
def init(folder: Annotated[Path, typer.Argument(help="The project folder.")] = Path(".")) -> None:
    """Make a folder a leadscore project: commands run in it (or below) keep their files there."""
    import os

    from leadscore.config import MARKER_FILE, find_project_root, write_marker

    if folder.exists() and not folder.is_dir():
        raise LeadscoreError(f"{folder} is a file; init marks a folder as a project.")
    existed = (folder / MARKER_FILE).exists()
    marker = write_marker(folder)
    root = find_project_root(folder, environ={})
    say(
        f"{marker} {'was already there' if existed else 'written'}: data/, reports/, "
        f"models/ and mlflow.db of commands run in {root} or below go to {root}."
    )
    home = os.environ.get("LEADSCORE_HOME")
    if home:
        warn([f"LEADSCORE_HOME={home} is set: it overrides the marker until you unset it."])


@command()
def contract() -> None:
    """Print the data contract (tables, columns, vocabularies) as Markdown."""
    from leadscore.docs import contract_markdown

    console.print(contract_markdown(), markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point of the console script: user errors become one clear message."""
    import os

    from rich.text import Text

    from leadscore.terminal import plain

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bar per file
    try:
        app()
    except DataValidationError as exc:
        err_console.print(f"[bold red]{len(exc.problems)} problem(s) in the input data:[/bold red]")
        for problem in exc.problems:
            err_console.print(plain(problem.describe(), "red"), highlight=False)
        sys.exit(1)
    except LeadscoreError as exc:
        message = in_cli_terms(str(exc), flags())  # (a command's own errors are in its terms)
        err_console.print(
            Text.assemble(("error:", "bold red"), " ", plain(message)), highlight=False
        )
        sys.exit(1)
