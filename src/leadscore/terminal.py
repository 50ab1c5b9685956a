"""What the command line prints: rich consoles, tables and the escaping of the user's text.

Every text that comes from the user's files, arguments or errors goes through :func:`plain`,
so a header or a value can neither move the cursor nor become a link. Library messages name
Python parameters in backquotes ("Lower `min_class_rows` …"); :func:`in_cli_terms` turns them into
the options that set them (``--min-class-rows``) before they are shown.

This module imports no pandas at import time: ``leadscore --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from leadscore.errors import UNPRINTABLE
from leadscore.schema import LABEL

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.workflows import Features, RunComparison, Scoring, Training

console = Console()
err_console = Console(stderr=True)

#: Escaped when printed; line feeds and tabs of multi-line messages are kept.
_UNPRINTABLE = re.compile(f"(?![\n\t])[{UNPRINTABLE}]")
#: A parameter name in a library message, in backquotes: "Lower `min_class_rows` …".
_PARAMETER = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def plain(text: object, style: str = "") -> Text:
    """Text from the user's files, arguments or errors as the terminal should show it.

    Never read as markup ("[link=...]" stays text) and control characters are shown escaped
    (``\\x1b``), so a header or value cannot move the cursor, clear the screen or add a link.

    Examples
    --------
    >>> plain("\\x1b]8;;http://evil\\x1b\\\\Notes [b]x[/b]\\n\\tnext").plain
    '\\\\x1b]8;;http://evil\\\\x1b\\\\Notes [b]x[/b]\\n\\tnext'
    """
    escaped = _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode(), str(text))
    return Text(escaped, style=style)


def in_cli_terms(message: str, flags: Mapping[str, str]) -> str:
    """``message`` with each backquoted parameter name replaced by the option that sets it.

    Names without an option lose their backquotes only, so the text reads naturally.

    Examples
    --------
    >>> in_cli_terms("Lower `min_class_rows`.", {"min_class_rows": "--min-class-rows"})
    'Lower --min-class-rows.'
    >>> in_cli_terms("`id_col` 'Lead ID' and `threshold`", {"id_col": "--id"})
    "--id 'Lead ID' and threshold"
    """
    return _PARAMETER.sub(lambda m: flags.get(m[1], m[1]), message)


def say(text: object, style: str = "") -> None:
    """Print a line that may hold the user's text (see :func:`plain`) to standard output."""
    console.print(plain(text, style), highlight=False)


def warn(lines: Iterable[str]) -> None:
    """Print warnings from the user's data (see :func:`plain`) to standard error."""
    for line in lines:
        err_console.print(plain(line, "yellow"), highlight=False)


def progress() -> Progress:
    """A progress display on standard error that stays after it ends."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


class Steps:
    """A progress display that appears with the first step, so errors of a command's checks
    come alone; call it with each step's description (``on_step``), ``stages`` reports the
    progress of a long stage (``on_progress``)."""

    def __init__(self, description: str, total: int | None = None) -> None:
        self.description, self.total = description, total
        self.bar: Progress | None = None
        self.tasks: dict[str, object] = {}

    def _start(self) -> Progress:
        if self.bar is None:
            self.bar = progress()
            self.bar.start()
        return self.bar

    def __call__(self, name: str) -> None:
        bar = self._start()
        if "steps" not in self.tasks:
            self.tasks["steps"] = bar.add_task(self.description, total=self.total)
        bar.update(self.tasks["steps"], advance=1, description=name)

    def stages(self, stage: str, done: int, total: int) -> None:
        bar = self._start()
        if "stage" not in self.tasks:
            self.tasks["stage"] = bar.add_task(stage, total=total)
        bar.update(self.tasks["stage"], description=stage, completed=done, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextlib.contextmanager
def steps(description: str, total: int | None = None) -> Iterator[Steps]:
    """A :class:`Steps` display, stopped (and left on screen) when the block ends."""
    shown = Steps(description, total)
    try:
        yield shown
    finally:
        shown.stop()


def day(value: object) -> str:
    """A timestamp as ``YYYY-MM-DD``; empty for a missing one."""
    import pandas as pd

    return "" if pd.isna(value) else f"{value:%Y-%m-%d}"


def cell(value: object) -> str | Text:
    """A table cell: floats with three decimals (NaN empty), integers with separators."""
    if isinstance(value, float):
        return "" if value != value else f"{value:,.3f}"  # NaN is the one float unequal to itself
    return f"{value:,}" if isinstance(value, int) else plain(value)


def print_frame(title: str, frame: pd.DataFrame) -> None:
    """A data frame as a table: text left, numbers right, ``_`` in headers read as blanks."""
    import pandas as pd

    table = Table(title=title)
    for column in frame.columns:
        numbers = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column).replace("_", " "), justify="right" if numbers else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(cell(v) for v in row))
    console.print(table)


def print_rows(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Iterable[str]],
    justify: str | None = None,
) -> None:
    """A table of ready-made text cells.

    ``justify`` has one letter per column, ``l`` (left) or ``r`` (right); by default the first
    column is left-aligned and the others, numbers, right.
    """
    table = Table(title=title)
    justify = justify or "l" + "r" * (len(columns) - 1)
    for column, side in zip(columns, justify, strict=True):
        table.add_column(column, justify="left" if side == "l" else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def print_typing_table(
    kinds: pd.DataFrame, rows: int, converted: float, written: Path | None, flags: Mapping
) -> None:
    """The typing table, compact: what each column holds and what the model gets from it.

    ``written`` is the ``column_types.csv`` the user may correct and pass back (``--types``).
    """
    used = int((~kinds["type"].isin(["drop", "target", "id"])).sum())
    dropped = int((kinds["type"] == "drop").sum())
    correct = f" (correct with --types {written})" if written is not None else ""
    say(
        f"{rows:,} rows, {converted:.1%} converted; {used} columns used, {dropped} dropped"
        + correct
        + ":"
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
        action = in_cli_terms(row.action, flags)
        ambiguous = "ambiguous" in action or "--keep" in action
        table.add_row(
            plain(row.header),
            plain(row.type),
            f"{row.missing_share:.0%}",
            f"{row.distinct_values:,}",
            plain(row.example),
            plain(action, "yellow" if ambiguous else ""),
        )
    console.print(table)


def print_metrics(metrics: pd.DataFrame) -> None:
    """The held-out comparison: one column per model, one row per metric."""
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


def print_capacity(comparison) -> None:
    """The models at equal hand-over volume (a training run with a sales capacity)."""
    from leadscore.modeling.compare import MODEL_TITLES

    what_if = comparison.capacity
    table = Table(
        title=f"At a sales capacity of {what_if.sales_capacity:g} leads a week "
        f"(test period: {what_if.weeks:.1f} weeks)"
    )
    for column in ("model", "threshold", "MQLs / week", "conversions / week", "precision"):
        table.add_column(column, justify="left" if column == "model" else "right")
    table.add_column("recall", justify="right")
    for _, row in what_if.table.iterrows():
        table.add_row(
            MODEL_TITLES.get(row["model"], row["model"]),
            f"{row['threshold']:.4g}",
            f"{row['mqls_per_week']:.1f}",
            f"{row['conversions_per_week']:.2f}",
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
        )
    console.print(table)


def print_audit(audit: pd.DataFrame, flags: Mapping[str, str]) -> None:
    """The leakage audit in a few lines: the flagged columns' advice, or the strongest column."""
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
        say(
            f"Leakage audit: no column gives the outcome away (strongest alone: "
            f"{strongest['header']}, ROC AUC {strongest['roc_auc']:.3f}{looked})."
        )
        return
    console.print(
        f"[bold yellow]Leakage audit: {len(flagged)} suspicious column(s), each with its "
        "evidence[/bold yellow]"
    )
    for advice in flagged["advice"]:
        say(f"  {in_cli_terms(advice, flags)}", "yellow")


def print_training(done: Training, flags: Mapping[str, str]) -> None:
    """What ``leadscore train`` did: the typing (flat tables), the comparison, the files, the
    registration; library text in the command's ``flags``."""
    warn(in_cli_terms(w, flags) for w in done.warnings)
    typing = done.typing
    if typing is not None:
        if typing.rows_without_target:
            console.print(
                f"{typing.rows_without_target:,} rows without a target value were left out."
            )
        print_typing_table(
            typing.kinds, typing.rows, typing.converted, done.files.column_types, flags
        )
        if typing.kept:
            kept = ", ".join(typing.kept)
            say(f"Kept on request (--keep), not checked for personal data: {kept}")
    result = done.comparison
    say(result.description)  # names the file and its columns
    for line in result.fitted_rows.values():
        say(f"  {line}")
    print_metrics(result.metrics)
    if result.capacity is not None:
        print_capacity(result)
    warn(in_cli_terms(w, flags) for w in result.warnings)
    if result.audit is not None:
        print_audit(result.audit, flags)
    files = done.files
    console.print(
        f"Wrote {', '.join(str(path) for path in files.tables.values())} and "
        f"{len(files.figures)} figures in {files.folder / 'figures'}."
    )
    if done.registration is not None:
        run = done.registration
        say(
            f"MLflow run {run.run_id} ({done.tracking_uri}): registered {run.name} version "
            f"{run.version}, {in_cli_terms(run.why, flags)}."
        )
    if done.metrics_out is not None:
        console.print(f"Metrics in {done.metrics_out}.")


def print_scoring(done: Scoring, flags: Mapping[str, str]) -> None:
    """What ``leadscore score`` did: leads scored and skipped, priorities, drift, files."""
    warn(in_cli_terms(w, flags) for w in done.warnings)
    if done.skipped is not None:
        skipped = ", ".join(f"{n:,} {why}" for why, n in done.skipped.items() if n)
        console.print(
            f"As of {done.as_of:%Y-%m-%d}: {done.n_scored:,} leads to score; skipped "
            f"{sum(done.skipped.values()):,} ({skipped or 'none'})."
        )
    console.print(
        f"Scored {done.n_scored:,} leads with {done.model} (version {done.version}) in "
        f"{done.seconds:.1f} s: "
        + ", ".join(f"{n:,} {band}" for band, n in done.bands.items())
        + f". Wrote {done.out}."
    )
    if done.drift is not None:
        say(f"Drift since training ({done.drift}): {in_cli_terms(done.drift_advice, flags)}")
    if done.accounts is not None:
        console.print(f"{done.n_accounts:,} accounts in {done.accounts}.")


def print_run_comparison(done: RunComparison, flags: Mapping[str, str] | None = None) -> None:
    """What ``leadscore compare`` found: ranking, the rules that moved most, the what-if;
    library text in the command's ``flags``."""
    warn(in_cli_terms(w, flags or {}) for w in done.warnings)
    result, run_id = done.result, done.run.run_id
    console.print(
        f"Run {run_id}: test cutoff {done.split.test:%Y-%m-%d}, "
        f"{len(result.test_scores):,} held-out leads."
    )
    print_frame(
        "Ranking on the held-out leads (from the training run)",
        done.run.ranking.rename(
            columns={"capture_at_10pct": "top 10% capture", "lift_at_10pct": "top 10% lift"}
        ),
    )
    moved = done.largest_differences()
    print_frame(
        "Rules whose learned points differ most from the hand-set ones",
        moved[["rule", "hand_set_points", "learned_points", "leads", "conversion_rate"]].rename(
            columns={"hand_set_points": "hand-set", "conversion_rate": "rate"}
        ),
    )
    print_frame("What if: MQLs at the same threshold on the held-out leads", result.what_if)
    if result.capacity is not None:
        print_capacity(result)
    console.print(f"Wrote {', '.join(str(p) for p in done.files.values())}.")
    if done.logged is not None:
        console.print(f"Logged to MLflow run {run_id} (artifacts/{done.logged}).")


def print_generated(result) -> None:
    """The tables ``leadscore generate`` wrote (a :class:`leadscore.synthetic.GenerationResult`)."""
    print_rows(
        f"Wrote {result.out_dir} in {result.seconds:.1f} s",
        ("table", "file", "rows"),
        [(name, path.name, f"{result.rows[name]:,}") for name, path in result.files.items()],
        justify="llr",
    )
    console.print(f"Hidden ground truth (never an input) is in {result.out_dir / 'ground_truth'}.")


def print_validation(data: Path, dataset, seconds: float) -> None:
    """A valid dataset's warnings, tables and headline figures (``leadscore validate``)."""
    warn(problem.describe() for problem in dataset.warnings)
    print_rows(
        f"{data} is valid ({seconds:.1f} s)",
        ("table", "file", "rows", "first", "last"),
        [
            (row.table, row.file, f"{row.rows:,}", day(row.first), day(row.last))
            for row in dataset.summary().itertuples(index=False)
        ],
        justify="llrll",
    )
    figures = dataset.headline()
    console.print(
        f"{figures['leads']:,} leads, {figures['accounts']:,} accounts; "
        f"{figures['consented_share']:.1%} consented; "
        f"{figures['conversion_rate']:.1%} ever converted; "
        f"{figures['events_per_lead']:.1f} events per lead."
    )


def print_features(built: Features, flags: Mapping[str, str]) -> None:
    """The training table ``leadscore features`` wrote: warnings, rows per cutoff, files."""
    table = built.table
    warn(in_cli_terms(w, flags) for w in table.warnings)
    print_rows(
        None,
        ("cutoff", "leads", "positives", "rate"),
        [
            (day(row.cutoff), f"{row.leads:,}", f"{row.positives:,}", f"{row.rate:.2%}")
            for row in built.per_cutoff().itertuples(index=False)
        ],
    )
    frame = table.frame
    console.print(f"Wrote {built.path} in {table.seconds:.1f} s.")
    console.print(
        f"{len(frame):,} rows, {int(frame[LABEL].sum()):,} positives, "
        f"{len(table.feature_names)} features ({table.horizon_days}-day horizon); "
        f"catalogue in {built.catalogue}."
    )


def print_oracle(found: pd.DataFrame, title: str) -> None:
    """The ground truth's best achievable ranking per cutoff (``leadscore oracle``)."""
    print_rows(
        title,
        ("cutoff", "leads", "conversions", "rate", "mean true p", "oracle AUC"),
        [
            (
                day(row.cutoff),
                f"{row.leads:,}",
                f"{row.conversions:,}",
                f"{row.conversion_rate:.2%}",
                f"{row.mean_probability:.2%}",
                f"{row.oracle_auc:.3f}",
            )
            for row in found.itertuples(index=False)
        ],
    )


def print_staged(copies: pd.DataFrame, title: str, tables: pd.DataFrame, tables_title: str) -> None:
    """The staged copies of the user's data and the cached training tables (``leadscore
    cache``)."""
    print_rows(
        title,
        ("folder", "source", "MB", "last used"),
        [
            (
                copy.folder.name,
                copy.source,
                f"{copy.megabytes:,.1f}",
                f"{copy.last_used:%Y-%m-%d %H:%M}",
            )
            for copy in copies.itertuples(index=False)
        ],
        justify="llrl",
    )
    if not tables.empty:
        shown = tables.assign(file=[Path(path).name for path in tables["file"]])
        for column in shown.select_dtypes("datetimetz").columns:
            shown[column] = shown[column].dt.strftime("%Y-%m-%d %H:%M")
        print_frame(tables_title, shown)
    console.print("Both are made again when needed; 'leadscore cache --clear' removes them all.")
