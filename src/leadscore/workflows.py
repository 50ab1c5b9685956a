"""The commands of ``leadscore`` as library functions: one call per command, a result back.

Each function runs one workflow end to end — checks its outputs before any work, reads the
inputs, trains, scores or compares, writes and logs the files — and returns a dataclass of what
happened, for the caller to show (the command line prints it; a notebook displays it). Long
steps report progress through ``on_step`` (called with a description after each step, as
:func:`leadscore.features.pipeline.build_training_table` does).

Errors are :class:`~leadscore.errors.LeadscoreError` naming the file, the column and the
parameter at fault; a parameter is named in backquotes ("Lower `min_class_rows` to train
anyway."), which the command line shows as its option (``--min-class-rows``).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> out = Path(tempfile.mkdtemp()) / "crm_export.csv"
>>> written = write_flat_export(out, rows=50)
>>> written.rows, written.path.name, written.headers["Lead ID"]
(50, 'crm_export.csv', 'Lead ID')
>>> write_flat_export(out, rows=50)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
leadscore.errors.LeadscoreError: `out` ... already exists: give a new file name, or add ...
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from leadscore import config
from leadscore.artifacts import (
    FIGURES_FOLDER,
    RunFiles,
    log_points_comparison,
    points_comparison_outputs,
    run_outputs,
    write_points_comparison,
    write_run,
)
from leadscore.defaults import LEAKAGE_THRESHOLD, MIN_CLASS_ROWS
from leadscore.errors import LeadscoreError, excerpt
from leadscore.features.pipeline import CutoffError
from leadscore.features.store import FeatureTable
from leadscore.io import TABLE_SUFFIXES, atomic_path, check_distinct_outputs, drift_table
from leadscore.modeling.bundle import LoadedModel, TrainedWithOtherError
from leadscore.modeling.compare import Comparison
from leadscore.modeling.points import PointsSheet, load_points_sheet
from leadscore.modeling.points_comparison import PointsComparison
from leadscore.modeling.tracking import Registration, TrainingRun
from leadscore.modeling.train import TimeSplit
from leadscore.report import ReportData

Step = Callable[[str], None]


def _engine(engine: str, spark_master: str):
    """``engine`` by name; Spark started for ``spark_master`` (checked before any work)."""
    from leadscore.features.engine import ENGINES, make_engine

    if engine not in ENGINES:
        raise LeadscoreError(f"`engine` {engine!r}: use {' or '.join(ENGINES)}.")
    return engine if engine == "duckdb" else make_engine(engine, spark_master=spark_master)


def _quiet(_description: str) -> None:
    """An ``on_step`` that shows nothing."""


@contextlib.contextmanager
def _dates_of(parameter: str, value: object) -> Iterator[None]:
    """Name ``parameter`` in errors about dates the data cannot serve (before it, censored …)."""
    try:
        yield
    except CutoffError as exc:
        if value is None:
            raise
        raise CutoffError(f"`{parameter}` {excerpt(value)}: {exc}") from None


def _trained_with(choose, loaded: LoadedModel, parameter: str, path: str | Path | None):
    """The model's own settings or points sheet (``choose``); a differing ``path`` is named."""
    try:
        return choose(loaded, path)
    except TrainedWithOtherError as exc:
        raise TrainedWithOtherError(f"`{parameter}` {path}: {exc}") from None


def _families(table: FeatureTable) -> dict[str, str]:
    """Feature → family, from the table's catalogue (SHAP is summed per family)."""
    return {f.name: f.family or f.name for f in table.catalogue}


# -- generate-flat ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlatExport:
    """A messy flat export written by :func:`write_flat_export`."""

    path: Path
    rows: int
    #: The export's own names of its target, id and time columns (German ones with ``german``).
    headers: dict[str, str]


def write_flat_export(
    out: str | Path = config.RAW_DATA_DIR / "crm_export.csv",
    *,
    rows: int = 5000,
    seed: int = 0,
    overwrite: bool = False,
    drift: str = "mild",
    german: bool = False,
) -> FlatExport:
    """Write a messy flat CRM export with a target column (to try flat-table training).

    Parameters
    ----------
    out : path
        The file (``.csv`` or ``.parquet``); an existing one is kept unless ``overwrite``
        (it may be a real export).
    rows, seed : int
        Number of leads and the random seed.
    drift : str
        Base-rate drift over 'Created Date': ``none``, ``mild`` or ``strong``.
    german : bool
        German headers and values, saved as a German Excel does (``;``, byte-order mark).
    """
    from leadscore.synthetic.flat import DRIFTS, GERMAN_HEADERS, messy_flat_table

    out = Path(out)
    check_distinct_outputs({"`out`": out}, suffixes=TABLE_SUFFIXES)
    if drift not in DRIFTS:
        raise LeadscoreError(f"`drift` {drift!r}: give one of {', '.join(DRIFTS)}.")
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise LeadscoreError(
            f"`out` {out} already exists: give a new file name, or add `overwrite` to replace it."
        )
    from leadscore.io import write_table

    frame = messy_flat_table(rows, seed, drift=drift, german=german)  # type: ignore[arg-type]
    if german and out.suffix.lower() == ".csv":
        # German Excel's "CSV UTF-8": a byte-order mark and ";", since "," is the decimal mark.
        with atomic_path(out) as tmp:
            frame.to_csv(tmp, index=False, sep=";", encoding="utf-8-sig")
    else:
        write_table(frame, out, spreadsheet_safe=False)  # an input, raw
    names = ("Converted", "Lead ID", "Created Date")
    return FlatExport(out, rows, {h: GERMAN_HEADERS[h] if german else h for h in names})


# -- features ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    """A training table written by :func:`build_features`."""

    table: FeatureTable
    path: Path
    catalogue: Path

    def per_cutoff(self) -> pd.DataFrame:
        """Leads, positives and conversion rate per cutoff."""
        from leadscore.schema import CUTOFF, LABEL

        return (
            self.table.frame.groupby(CUTOFF, sort=True)[LABEL]
            .agg(leads="size", positives="sum", rate="mean")
            .reset_index()
        )


def build_features(
    data: str | Path = config.DEMO_DATA_DIR,
    *,
    cutoffs: str = "monthly:2025-01-01:2025-12-01",
    horizon_days: int | None = None,
    out: str | Path = config.PROCESSED_DATA_DIR / "training.parquet",
    settings: str | Path | None = None,
    engine: str = "duckdb",
    spark_master: str = "local[*]",
    on_step: Step | None = None,
) -> Features:
    """Build the point-in-time training table of ``data`` and write it, with its catalogue.

    Parameters
    ----------
    data : path
        Folder with the exported tables.
    cutoffs : str
        ``2025-01-01,2025-02-01`` or ``monthly:START:END``.
    horizon_days : int, optional
        Label window after each cutoff (default: the settings', 90).
    out : path
        ``.parquet`` (loadable again, see :mod:`leadscore.features.store`) or ``.csv``; the
        catalogue goes beside it (``…_catalogue.csv``).
    settings : path, optional
        Feature settings YAML (default: the shipped one).
    engine : {"duckdb", "spark"}
        Where the features are computed; ``spark_master`` is the Spark master URL for it.
    """
    from leadscore.features.pipeline import build_training_table, parse_cutoffs
    from leadscore.features.store import catalogue_path, save_training_table

    out = Path(out)
    catalogue = catalogue_path(out)
    check_distinct_outputs(
        {"`out`": out, "the feature catalogue": catalogue},
        inputs={"`data`": data, "`settings`": settings},
        suffixes=TABLE_SUFFIXES,
    )
    cutoff_dates = parse_cutoffs(cutoffs, name="`cutoffs`")
    step = on_step or _quiet
    runner = _engine(engine, spark_master)
    step("checked the options")
    with _dates_of("cutoffs", cutoffs):
        table = build_training_table(
            data, cutoff_dates, horizon_days, settings=settings, on_step=step, engine=runner
        )
    save_training_table(table, out)
    return Features(table, out, catalogue)


# -- train ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlatTyping:
    """How a flat table was read and typed, for the user to check (and correct)."""

    kinds: pd.DataFrame  # TableTyper.describe(): header, type, missing_share, …, action
    rows: int
    converted: float
    rows_without_target: int
    kept: tuple[str, ...]


@dataclass
class Training:
    """What :func:`train` did: the comparison, its files, the registration, the warnings."""

    comparison: Comparison
    files: RunFiles
    registration: Registration | None = None
    tracking_uri: str | None = None
    metrics_out: Path | None = None
    #: The data's validation warnings (event data).
    warnings: list[str] = field(default_factory=list)
    typing: FlatTyping | None = None


def compare_training_table(
    features: FeatureTable,
    *,
    points: str | Path | PointsSheet | None = None,
    tune: bool = False,
    oracle: pd.DataFrame | None = None,
    sales_capacity: float | None = None,
) -> Comparison:
    """The three models on a training table, as ``leadscore train`` compares them.

    :func:`leadscore.modeling.compare.compare_models` with the table's horizon and SHAP summed
    per feature family of its catalogue.
    """
    from leadscore.modeling.compare import compare_models

    return compare_models(
        features.frame,
        features.horizon_days,
        sheet=points,
        oracle=oracle,
        tune=tune,
        families=_families(features),
        sales_capacity=sales_capacity,
    )


def train(
    data: str | Path = config.DEMO_DATA_DIR,
    *,
    cutoffs: str | None = None,
    horizon_days: int = 90,
    table: str | Path | None = None,
    target: str | None = None,
    id_col: str | None = None,
    drop: Sequence[str] | None = (),
    keep: Sequence[str] | None = (),
    types: str | Path | None = None,
    time_col: str | None = None,
    leakage_threshold: float = LEAKAGE_THRESHOLD,
    min_class_rows: int = MIN_CLASS_ROWS,
    points: str | Path | None = None,
    settings: str | Path | None = None,
    tune: bool = False,
    out_dir: str | Path | None = None,
    metrics_out: str | Path | None = None,
    track: bool = True,
    promote: bool = False,
    name: str | None = None,
    training_table: str | Path | None = None,
    sample: float | None = None,
    sales_capacity: float | None = None,
    engine: str = "duckdb",
    spark_master: str = "local[*]",
    on_step: Step | None = None,
) -> Training:
    """Train hand-set points, learned points and LightGBM; compare, write, log and register.

    Event data (``data``, a folder of exports) or one flat export (``table``, with ``target``;
    ``id_col``, ``drop``, ``keep``, ``types``, ``time_col``, ``leakage_threshold`` and
    ``min_class_rows`` apply to it alone). The run's files go to ``out_dir`` (default:
    ``reports/``; for a flat table ``reports/MODEL-NAME/``, so tables keep their own) and, with
    ``track``, to an MLflow run whose model is registered (under ``name``) and made the
    champion when better (or with ``promote``). ``metrics_out`` also gets every model's
    metrics as JSON.

    Event data is turned into a training table by ``engine`` (``duckdb`` or ``spark``, on
    ``spark_master``), or read from ``training_table``, one that ``build_features`` (any engine)
    wrote; for a table larger than memory, ``sample`` keeps that share of its leads
    (:func:`leadscore.features.store.load_training_table`).

    ``sales_capacity`` (leads sales can work per week) sets each model's MQL threshold to hand
    over that many, compares the models at that volume and stores the thresholds with the
    registered model, whose scores then mark ``is_mql`` by it
    (:mod:`leadscore.modeling.capacity`).

    Raises
    ------
    LeadscoreError
        Before any work, when an output would overwrite another output or an input, or
        options of flat tables are given for event data.
    """
    from leadscore.modeling.tracking import check_model_name, connect, table_model_name

    step = on_step or _quiet
    if name is not None:
        check_model_name(name)
    if out_dir is None:
        out_dir = config.REPORTS_DIR
        if table is not None:
            out_dir = out_dir / (name or table_model_name(table))
    out_dir = Path(out_dir)
    check_distinct_outputs(
        {
            **{f"`out_dir`'s {file}": path for file, path in run_outputs(out_dir).items()},
            "`metrics_out`": metrics_out,
        },
        inputs={
            "`table`": table,
            "`data`": data if table is None else None,
            "`points`": points,
            "`settings`": settings,
            "`types`": types,
        },
        folders={"`out_dir`'s figures folder": out_dir / FIGURES_FOLDER},
    )
    flat_only = {
        "`target`": target,
        "`id_col`": id_col,
        "`drop`": drop,
        "`keep`": keep,
        "`time_col`": time_col,
        "`types`": types,
    }
    given = [option for option, value in flat_only.items() if value]
    if table is None and given:
        raise LeadscoreError(f"{', '.join(given)} only apply to a flat table (`table` FILE).")
    if table is not None and target is None:
        raise LeadscoreError("`table` needs `target` COLUMN (the outcome: 1/0, yes/no).")
    if table is not None and training_table is not None:
        raise LeadscoreError("give either `table` (a flat export) or `training_table`, not both.")
    if sample is not None and training_table is None:
        raise LeadscoreError("`sample` reads a share of a `training_table`; give one.")
    clashing = [name for name, value in (("`cutoffs`", cutoffs), ("`settings`", settings)) if value]
    if training_table is not None and clashing:
        raise LeadscoreError(
            f"{' and '.join(clashing)}: a `training_table` was built with its own; leave them out."
        )
    if sales_capacity is not None:
        from leadscore.modeling.capacity import check_sales_capacity

        sales_capacity = check_sales_capacity(sales_capacity)
    if track:
        connect()  # a tracking store that cannot be used fails now, not after the work
    if table is not None:
        fitted = _fit_flat(
            Path(table),
            target,
            id_col=id_col,
            drop=list(drop or ()),
            keep=list(keep or ()),
            types=types,
            time_col=time_col,
            leakage_threshold=leakage_threshold,
            min_class_rows=min_class_rows,
            points=points,
            tune=tune,
            step=step,
            sales_capacity=sales_capacity,
        )
    else:
        if training_table is not None:
            from leadscore.features.store import load_training_table

            features = load_training_table(training_table, sample=sample)
            step(f"read {training_table}")
        else:
            features = _engine(engine, spark_master)
        fitted = _fit_events(
            data, cutoffs, horizon_days, points, settings, tune, step, features, sales_capacity
        )
    return _finish(fitted, out_dir, metrics_out, track, promote, name, step)


@dataclass
class _Fitted:
    """A fitted comparison and what logging it needs."""

    comparison: Comparison
    frame: pd.DataFrame
    fingerprint: str
    horizon_days: int | None
    catalogue: pd.DataFrame
    settings: object = None
    target: str | None = None
    warnings: list[str] = field(default_factory=list)
    typing: FlatTyping | None = None


def _fit_events(
    data, cutoffs, horizon_days, points, settings, tune, step, source, sales_capacity=None
) -> _Fitted:
    """Fit on the training table of ``data`` built by the engine ``source``, or on ``source``,
    a training table read from a file (its own cutoffs, horizon and settings)."""
    from leadscore.features.pipeline import build_training_table, parse_cutoffs
    from leadscore.features.settings import load_settings
    from leadscore.features.store import FeatureTable

    if isinstance(source, FeatureTable):
        features = source
        feature_settings = features.settings
        horizon_days = features.horizon_days
        sheet = load_points_sheet(points, feature_settings.windows_days)
    else:
        cutoff_dates = None if cutoffs is None else parse_cutoffs(cutoffs, name="`cutoffs`")
        feature_settings = load_settings(settings)  # the model bundle carries them to scoring
        # Before the table is built: a rule on a window the settings do not build fails now.
        sheet = load_points_sheet(points, feature_settings.windows_days)
        step("checked the options")
        with _dates_of("cutoffs", cutoffs):
            features = build_training_table(
                data,
                cutoff_dates,
                horizon_days,
                settings=feature_settings,
                on_step=step,
                engine=source,
            )
    oracle = None
    if (
        not isinstance(source, FeatureTable) and (Path(data) / "ground_truth").is_dir()
    ):  # synthetic data: the best achievable AUC
        from leadscore.synthetic import conversion_probability

        oracle = conversion_probability(data, features.cutoffs, horizon_days)
    comparison = compare_training_table(
        features, points=sheet, tune=tune, oracle=oracle, sales_capacity=sales_capacity
    )
    step("trained the three models")
    return _Fitted(
        comparison,
        features.frame,
        features.fingerprint,
        horizon_days,
        features.catalogue_frame(),
        settings=feature_settings,
        warnings=list(features.warnings),
    )


def _fit_flat(
    path: Path,
    target: str,
    *,
    id_col: str | None,
    drop: list[str],
    keep: list[str],
    types: str | Path | None,
    time_col: str | None,
    leakage_threshold: float,
    min_class_rows: int,
    points: str | Path | None,
    tune: bool,
    step: Step,
    sales_capacity: float | None = None,
) -> _Fitted:
    from leadscore.flat_table import NumberOutOfRangeError, load_flat_table
    from leadscore.modeling.compare import compare_flat
    from leadscore.modeling.leakage import check_threshold

    check_threshold(leakage_threshold, "`leakage_threshold`")  # before the file is read
    step("checked the options")
    flat = load_flat_table(
        path,
        target,
        id_col=id_col,
        drop=drop,
        time_col=time_col,
        min_class_rows=min_class_rows,
        keep=keep,
        types=types,
    )
    step(f"read {path}")
    try:
        comparison = compare_flat(
            flat,
            sheet=points,
            leakage_threshold=leakage_threshold,
            tune=tune,
            sales_capacity=sales_capacity,
        )
    except NumberOutOfRangeError as exc:  # it names the column; the file is said here
        raise LeadscoreError(f"{path}: {exc}") from None
    step("trained the three models")
    kinds = comparison.typer.describe(flat.frame)
    return _Fitted(
        comparison,
        flat.frame,
        flat_identity(path, flat, types),
        None,
        kinds,
        target=flat.target,
        typing=FlatTyping(
            kinds,
            rows=len(flat.labels),
            converted=float(flat.labels.mean()),
            rows_without_target=flat.rows_without_target,
            kept=tuple(flat.kept),
        ),
    )


def flat_identity(path: str | Path, flat, types: str | Path | None = None) -> str:
    """What a flat-table model was trained from, as one string (its MLflow ``inputs_hash``).

    The file's content, the target, the columns left out, the time column, the columns kept on
    request and the types file's content: the same string, the same training inputs.
    """
    from leadscore.io import file_hash

    return "|".join(
        [file_hash(path), flat.target, *flat.excluded, flat.time_col or ""]
        + [f"keep:{name}" for name in flat.kept]  # (unchanged identity without `keep`)
        + ([f"types:{file_hash(types)}"] if types is not None else [])
    )


def _finish(
    fitted: _Fitted,
    out_dir: Path,
    metrics_out: str | Path | None,
    track: bool,
    promote: bool,
    name: str | None,
    step: Step,
) -> Training:
    """What every training run does after fitting: write, log, export the metrics."""
    files = write_run(fitted.comparison, out_dir, catalogue=fitted.catalogue)
    step(f"wrote the files to {out_dir}")
    result = Training(fitted.comparison, files, warnings=fitted.warnings, typing=fitted.typing)
    if track:
        from leadscore.modeling.tracking import log_comparison, tracking_uri

        result.registration = log_comparison(
            fitted.comparison,
            fitted.frame,
            fingerprint=fitted.fingerprint,
            horizon_days=fitted.horizon_days,
            files=files.artifacts,
            promote=promote,
            settings=fitted.settings,
            name=name,
            target=fitted.target,
        )
        result.tracking_uri = tracking_uri()
        step("logged the run to MLflow")
    if metrics_out is not None:
        from leadscore.modeling.compare import metrics_json

        run_id = result.registration.run_id if result.registration else None
        result.metrics_out = Path(metrics_out)
        with atomic_path(result.metrics_out) as tmp:
            tmp.write_text(json.dumps(metrics_json(fitted.comparison, run_id), indent=2))
    return result


# -- score ------------------------------------------------------------------------------------


@dataclass
class Scoring:
    """What :func:`score` did: the scores, where they went and what the user should know."""

    scores: pd.DataFrame
    model: str  # the URI or folder scored with
    version: str
    as_of: pd.Timestamp
    out: Path | str  # the spark engine may write to a URI
    seconds: float
    #: Event data: the leads left out and why (consent, converted, …), by reason.
    skipped: dict[str, int] | None = None
    drift: Path | None = None
    drift_advice: str | None = None
    accounts: Path | None = None
    n_accounts: int = 0
    warnings: list[str] = field(default_factory=list)
    #: The spark engine: the leads per priority band, counted on Spark (``scores`` is then the
    #: scores' Spark DataFrame, never collected here).
    spark_bands: dict[str, int] | None = None

    @property
    def bands(self) -> dict[str, int]:
        """Leads per priority band, highest first (empty bands too)."""
        counts = self.spark_bands
        if counts is None:
            counts = self.scores["priority"].value_counts()
        return {band: int(counts.get(band, 0)) for band in ("very high", "high", "medium", "low")}

    @property
    def n_scored(self) -> int:
        """How many leads were scored."""
        return sum(self.bands.values())


def score(
    data: str | Path = config.DEMO_DATA_DIR,
    *,
    table: str | Path | None = None,
    as_of: str | None = None,
    model: str | None = None,
    name: str | None = None,
    out: str | Path = config.SCORES_FILE,
    accounts_out: str | Path | None = None,
    explain: str = "all",
    lang: str = "en",
    points: str | Path | None = None,
    settings: str | Path | None = None,
    phrases: str | Path | None = None,
    engine: str = "duckdb",
    spark_master: str = "local[*]",
    on_step: Step | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Scoring:
    """Score every lead that may be scored: probability, points, grade, priority and reasons.

    Event data (``data``) or one flat export (``table``, with a flat-table model). The model is
    ``model`` (``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or a folder), ``name``'s
    champion, or the default (:func:`scoring_model`). Besides ``out``, the drift of the model's
    top features since training goes to the drift table beside it
    (:func:`leadscore.io.drift_table`) and, with ``accounts_out``, one row per account.
    Everything is computed before the first file is written: a failure leaves no mix of new
    scores and old side files.

    With ``engine="spark"`` (on ``spark_master``) the features and the scores are computed on
    Spark and never collected here: ``out`` is a Parquet folder partitioned by priority, or a
    CSV file for small outputs (:func:`leadscore.modeling.spark_scoring.write_scores`); the
    drift table is computed on a sample of the leads.

    Raises
    ------
    LeadscoreError
        Before anything is read, when outputs collide or an option is invalid; then for a
        model, settings or points sheet that does not fit the input.
    """
    from leadscore.io import write_table
    from leadscore.modeling.bundle import model_settings, model_sheet
    from leadscore.modeling.predict import account_summary, parse_explain, score_leads
    from leadscore.modeling.reasons import LANGUAGES, load_phrases
    from leadscore.modeling.tracking import load_model

    step = on_step or _quiet
    target = str(out)  # the spark engine also writes to a URI (s3a://, dbfs:/ ...)
    remote = engine == "spark" and "://" in target
    out = Path(out)
    check_distinct_outputs(  # before anything is read: no output may overwrite another or an input
        {
            "`out`": None if remote else out,
            "the drift table written next to `out`": None if remote else drift_table(out),
            "`accounts_out`": accounts_out,
        },
        inputs={
            "`data`": data if table is None else None,
            "`table`": table,
            "`model`": None if model is None or ":/" in model else model,
            "`points`": points,
            "`settings`": settings,
            "`phrases`": phrases,
        },
        suffixes=TABLE_SUFFIXES if engine != "spark" else None,
    )
    if lang not in LANGUAGES:
        raise LeadscoreError(f"`lang` {lang!r}: use {' or '.join(LANGUAGES)}.")
    if engine == "spark":
        if table is not None:
            raise LeadscoreError(
                "the spark engine scores event data (`data`); score a flat `table` with the "
                "duckdb `engine`."
            )
        if accounts_out is not None:
            raise LeadscoreError(
                "`accounts_out` is written by the duckdb `engine` only; leave it out with spark."
            )
        from leadscore.modeling.spark_scoring import scores_output_kind

        scores_output_kind(target)  # a CSV beyond its size or an unwritable folder fails now
    if phrases is not None and table is None:
        raise LeadscoreError(
            f"`phrases` {phrases}: phrases name the columns of a flat table; use them with "
            "`table` (event data reads its reasons from reasons.yaml)."
        )
    column_phrases = load_phrases(phrases) if phrases is not None else None  # before the model
    n_explain = parse_explain(explain)
    as_of_day = None  # checked before the model is loaded
    if as_of is not None:
        from leadscore.features.pipeline import to_cutoff

        as_of_day = to_cutoff(as_of, "`as_of`")
    began = time.perf_counter()
    step("checked the options")
    uri, warnings = scoring_model(model, name, table)
    loaded = load_model(uri)
    step(f"loaded {uri}")
    sheet = _trained_with(model_sheet, loaded, "points", points)
    skipped = None
    if table is not None:
        if loaded.typer is None:
            raise LeadscoreError(
                f"{uri} was trained on event data: score it with `data`, not `table`."
            )
        from leadscore.flat_table import read_scoring_rows

        frame, when = read_scoring_rows(table, loaded.typer, as_of_day)
        step(f"read {table}")
        families = None
        calendar = getattr(loaded.typer, "calendar_", {}).values()  # the time column's too
        worded = {*loaded.typer.kinds_, *(column for column, _ in calendar)}
        unused = sorted(set(column_phrases or {}) - worded)
        if unused:
            warnings.append(f"`phrases` {phrases}: the model uses no column {', '.join(unused)}.")
    else:
        if loaded.typer is not None:
            raise LeadscoreError(f"{uri} was trained on a flat table: score with `table` FILE.")
        from leadscore.features.pipeline import build_scoring_table

        feature_settings = _trained_with(model_settings, loaded, "settings", settings)
        if engine != "duckdb":
            return _score_on_spark(
                data, as_of, as_of_day, loaded, uri, feature_settings, sheet, n_explain, lang,
                target, _engine(engine, spark_master), warnings, began, step,
            )  # fmt: skip
        with _dates_of("as_of", as_of):
            features = build_scoring_table(data, as_of_day, settings=feature_settings, on_step=step)
        frame, when = features.frame, features.cutoffs[0]
        families = _families(features)
        warnings += features.warnings
        skipped = dict(features.skipped)
        if frame.empty:
            reasons = ", ".join(f"{n:,} {why}" for why, n in skipped.items() if n)
            raise LeadscoreError(
                f"no lead to score as of {when:%Y-%m-%d} (`as_of`): all "
                f"{sum(skipped.values()):,} were skipped ({reasons})."
            )
    scores = score_leads(
        frame,
        loaded,
        as_of=when,
        families=families,
        sheet=sheet,
        explain=n_explain,
        lang=lang,
        on_progress=on_progress,
        phrases=column_phrases,
    )
    drift = None
    if loaded.reference is not None:
        watched = frame if loaded.typer is None else loaded.typer.transform(frame)
        drift = loaded.reference.compare(watched)
    accounts = account_summary(scores) if accounts_out is not None else None
    write_table(scores, out)
    result = Scoring(
        scores, uri, loaded.version, when, out, time.perf_counter() - began, skipped,
        warnings=warnings,
    )  # fmt: skip
    if drift is not None:
        from leadscore.modeling.drift import retrain_advice

        result.drift = write_table(drift, drift_table(out))
        result.drift_advice = retrain_advice(drift)
    if accounts is not None:
        result.accounts = write_table(accounts, accounts_out)
        result.n_accounts = len(accounts)
    return result


def _score_on_spark(
    data, as_of, as_of_day, loaded, uri, feature_settings, sheet, n_explain, lang, out, runner,
    warnings, began, step,
) -> Scoring:  # fmt: skip
    """:func:`score` on Spark: features, scores and bands stay on the executors."""
    from leadscore.features.pipeline import build_scoring_table
    from leadscore.io import write_table
    from leadscore.modeling.spark_scoring import score_on_spark, write_scores

    with _dates_of("as_of", as_of):
        features = build_scoring_table(
            data, as_of_day, settings=feature_settings, on_step=step, engine=runner,
            keep_on_spark=True,
        )  # fmt: skip
    rows, when, skipped = features.frame, features.cutoffs[0], dict(features.skipped)
    warnings += features.warnings
    n_leads = rows.count()
    if n_leads == 0:
        reasons = ", ".join(f"{n:,} {why}" for why, n in skipped.items() if n)
        raise LeadscoreError(
            f"no lead to score as of {when:%Y-%m-%d} (`as_of`): all "
            f"{sum(skipped.values()):,} were skipped ({reasons})."
        )
    scores = score_on_spark(
        rows, loaded, as_of=when, families=_families(features), sheet=sheet, explain=n_explain,
        lang=lang,
    )  # fmt: skip
    scores = scores.persist()  # counted and written: computed once
    bands = {r["priority"]: r["count"] for r in scores.groupBy("priority").count().collect()}
    step("scored on spark")
    drift = None
    if loaded.reference is not None:  # population stability needs a sample, not every lead
        share = min(1.0, DRIFT_SAMPLE_ROWS / n_leads)
        watched = rows.select(*loaded.model.features_).sample(fraction=share, seed=0)
        drift = loaded.reference.compare(watched.toArrow().to_pandas())
    written = write_scores(scores, out)
    result = Scoring(
        scores, uri, loaded.version, when, written, time.perf_counter() - began, skipped,
        warnings=warnings, spark_bands=bands,
    )  # fmt: skip
    if drift is not None and "://" not in out:  # beside scores on this machine only
        from leadscore.modeling.drift import retrain_advice

        result.drift = write_table(drift, drift_table(Path(out)))
        result.drift_advice = retrain_advice(drift)
    return result


#: The spark engine measures drift on a sample of this many leads (at most).
DRIFT_SAMPLE_ROWS = 200_000


def scoring_model(
    model: str | None = None, name: str | None = None, table: str | Path | None = None
) -> tuple[str, list[str]]:
    """The model to score with, and a warning when it is not the table's own.

    ``model`` as given, ``name``'s champion, or by default the event-data champion (no
    ``table``) or the champion whose columns ``table`` holds
    (:func:`leadscore.modeling.tracking.choose_table_model`).
    """
    from leadscore.modeling.tracking import (
        CHAMPION,
        MODEL_NAME,
        check_model_name,
        choose_table_model,
        table_model_name,
    )

    if model is not None and name is not None:
        raise LeadscoreError("`model` and `name` both name a model: give one of them.")
    if name is not None:
        return f"models:/{check_model_name(name)}@{CHAMPION}", []
    if model is not None:
        return model, []
    if table is None:
        return f"models:/{MODEL_NAME}@{CHAMPION}", []
    uri = choose_table_model(table)
    own = table_model_name(table)
    if uri == f"models:/{own}@{CHAMPION}":
        return uri, []
    # e.g. this month's export, or its own model was flagged
    return uri, [
        f"{table}: scored with {uri}, trained on another file whose columns this one holds; "
        f"there is no champion named {own}. Pass `model` or `name` to choose."
    ]


# -- compare ----------------------------------------------------------------------------------


@dataclass
class RunComparison:
    """What :func:`compare_run` found: learned versus hand-set points of a training run."""

    run: TrainingRun
    split: TimeSplit
    result: PointsComparison
    files: dict[str, Path]
    #: The run's artifact folder the files were logged to (None without ``track``).
    logged: str | None = None
    warnings: list[str] = field(default_factory=list)

    def largest_differences(self, n: int = 12) -> pd.DataFrame:
        """The ``n`` rules whose learned points differ most from the hand-set ones."""
        sheet = self.result.sheet
        return sheet.reindex(sheet["difference"].abs().sort_values(ascending=False).index).head(n)


def compare_run(
    data: str | Path = config.DEMO_DATA_DIR,
    *,
    run: str | None = None,
    points: str | Path | None = None,
    settings: str | Path | None = None,
    out_dir: str | Path = config.REPORTS_DIR,
    track: bool = True,
    sales_capacity: float | None = None,
    on_step: Step | None = None,
) -> RunComparison:
    """Learned versus hand-set point weights of a training run, with what-if grading.

    The run's training table is rebuilt from ``data`` with the run's cutoffs and feature
    settings (other ``settings`` are an error), its tested LightGBM model is rebuilt, and the
    points sheet (the run's own, or ``points`` as a what-if) is compared on the held-out leads.
    The files go to ``out_dir`` and, with ``track``, to the run's ``compare/`` folder.

    ``sales_capacity`` (default: the run's own, if it was trained with one) adds the models at
    equal hand-over volume; the test cutoff's weeks are the run's, or for a run trained without
    a capacity its cutoff cadence measured on its training cutoffs
    (:mod:`leadscore.modeling.capacity`).
    """
    from leadscore.features.pipeline import build_training_table
    from leadscore.modeling.bundle import model_settings
    from leadscore.modeling.capacity import cadence_days, check_sales_capacity, period_weeks
    from leadscore.modeling.points_comparison import compare_points
    from leadscore.modeling.tracking import load_model, training_run

    step = on_step or _quiet
    out_dir = Path(out_dir)
    if sales_capacity is not None:
        sales_capacity = check_sales_capacity(sales_capacity)
    check_distinct_outputs(  # before any work, as train and score do
        {f"`out_dir`'s {name}": path for name, path in points_comparison_outputs(out_dir).items()},
        inputs={"`data`": data, "`points`": points, "`settings`": settings},
        folders={"`out_dir`'s figures folder": out_dir / FIGURES_FOLDER},
    )
    info = training_run(run)
    loaded = load_model(f"runs:/{info.run_id}/model")
    step(f"read run {info.run_id}")
    split = TimeSplit(train=info.train_cutoffs, valid=info.valid_cutoff, test=info.test_cutoff)
    # The run's table is rebuilt with the run's own settings; other settings are an error.
    feature_settings = _trained_with(model_settings, loaded, "settings", settings)
    table = build_training_table(
        data,
        [*split.train, split.valid, split.test],
        info.horizon_days,
        settings=feature_settings,
        on_step=step,
    )
    warnings = []
    other_data = table.fingerprint != info.inputs_hash
    if other_data:  # its figures must not replace the run's own in MLflow
        warnings.append(
            f"{data} is not the data run {info.run_id} was trained on (the data fingerprint "
            "differs): the figures below describe this data, and are not logged to the run."
        )
    hand_set = points if points is not None else loaded.sheet  # another sheet: a what-if
    capacity = sales_capacity if sales_capacity is not None else info.sales_capacity
    weeks = info.capacity_weeks
    if capacity is not None and weeks is None:
        weeks = period_weeks([split.test], cadence_days(split.train))
    result = compare_points(
        table.frame, split, loaded.model, sheet=hand_set, sales_capacity=capacity, weeks=weeks
    )
    if result.capacity is not None:
        warnings += result.capacity.warnings
    files = write_points_comparison(result, out_dir)
    logged = log_points_comparison(info.run_id, files) if track and not other_data else None
    return RunComparison(info, split, result, files, logged, warnings)


# -- report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """The page :func:`make_report` wrote."""

    path: Path
    data: ReportData
    scores: Path | None
    #: The artifact path of the copy logged to the run (None without ``track``).
    logged: str | None


def make_report(
    run: str | None = None,
    *,
    scores: str | Path | None = None,
    out: str | Path = config.REPORTS_DIR / "leadscore_report.html",
    track: bool = True,
) -> Report:
    """Write the HTML report of a training run (default: the champion's) and of ``scores``.

    ``scores`` defaults to the newest scores file in ``data/scores``
    (:func:`leadscore.report.newest_scores`); without one the page has no scoring sections.
    With ``track`` a copy without the top leads (no lead ids) is logged to the run.
    """
    from leadscore.report import gather, log_report, newest_scores, write_report

    if scores is None:
        scores = newest_scores(config.SCORES_FILE.parent)
    check_distinct_outputs(
        {"`out`": out},
        inputs={
            "`scores`": scores,
            "the drift table next to `scores`": drift_table(scores) if scores else None,
        },
    )
    data = gather(run, Path(scores) if scores is not None else None)
    path = write_report(data, out)
    logged = log_report(data) if track else None
    return Report(path, data, Path(scores) if scores is not None else None, logged)


# -- phrases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhrasesFile:
    """The starting phrases file :func:`write_phrases` wrote."""

    path: Path
    columns: int


def write_phrases(
    out: str | Path = Path("phrases.yaml"),
    *,
    table: str | Path | None = None,
    model: str | None = None,
    overwrite: bool = False,
) -> PhrasesFile:
    """Write a starting phrases file for a flat table's reasons (labels: the headers).

    The columns come from ``table`` (as training types them) or from a flat-table ``model``.
    An existing ``out`` (the user's phrases?) is replaced only with ``overwrite``.
    """
    from leadscore.modeling.reasons import phrases_template, table_columns, typer_columns

    out = Path(out)
    if (table is None) == (model is None):
        raise LeadscoreError("give either `table` FILE or `model` MODEL to take the columns from.")
    check_distinct_outputs(
        {"`out`": out},
        inputs={"`table`": table, "`model`": None if model is None or ":/" in model else model},
        suffixes=(".yaml", ".yml"),
    )
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise LeadscoreError(
            f"`out` {out} already exists (your phrases?): give a new file name, or add "
            "`overwrite` to replace it."
        )
    if table is not None:
        columns = table_columns(table)
    else:
        from leadscore.modeling.tracking import load_model

        loaded = load_model(model)
        if loaded.typer is None:
            raise LeadscoreError(
                f"{model} was trained on event data, whose reasons come from reasons.yaml."
            )
        columns = typer_columns(loaded.typer)
    with atomic_path(out) as tmp:
        tmp.write_text(phrases_template(columns, out.name), encoding="utf-8")
    return PhrasesFile(out, len(columns))


__all__ = [
    "Features",
    "FlatExport",
    "FlatTyping",
    "PhrasesFile",
    "Report",
    "RunComparison",
    "Scoring",
    "Training",
    "build_features",
    "compare_run",
    "compare_training_table",
    "flat_identity",
    "make_report",
    "score",
    "scoring_model",
    "train",
    "write_flat_export",
    "write_phrases",
]
