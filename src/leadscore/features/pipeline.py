"""Training and scoring tables: one code path for both, point-in-time correct.

The entity table is the source of truth (as in Feast's point-in-time joins): one row per
(lead, cutoff) for leads that existed before the cutoff, consented to profiling, were not known
customers and had not converted by the cutoff (the rules: :mod:`leadscore.features.entity`).
Features are joined to it backwards in time only and no entity row is ever dropped. For
training, ``label`` is 1 when the lead converted in ``(cutoff, cutoff + horizon]``; cutoffs whose
horizon runs past the end of the data are refused because their labels would be censored.

Cutoffs are dates: a cutoff is the midnight (UTC) that starts the day. Events of a lead who did
not consent are never read. Cutoffs must lie within the data: one at or before the first lead's
creation (no lead existed yet) is refused, and so is an as-of date more than
:data:`MAX_DAYS_AFTER_DATA` days after the latest timestamp (every lead would look inactive).

Examples
--------
>>> import tempfile
>>> from leadscore.synthetic import generate
>>> folder = tempfile.mkdtemp()
>>> _ = generate(folder, n_leads=300, seed=1)
>>> table = build_training_table(folder, ["2025-06-01"], interim_dir=tempfile.mkdtemp())
>>> table.frame.columns[:4].tolist()
['lead_id', 'account_id', 'cutoff', 'label']
>>> bool(table.frame["label"].isin([0, 1]).all())
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from leadscore import config
from leadscore.dataset import StagedDataset, stage_dataset
from leadscore.errors import LeadscoreError, excerpt
from leadscore.features import behaviour, entity, rollup_cache
from leadscore.features.catalogue import Feature
from leadscore.features.engine import Engine, SparkEngine, make_engine
from leadscore.features.explicit import EXPLICIT_FEATURES, explicit_features
from leadscore.features.settings import Settings, load_settings
from leadscore.features.store import FeatureTable, cache_key, cache_table, cached_table
from leadscore.features.windows import running_totals
from leadscore.schema import ACCOUNT_ID, CUTOFF, LABEL, LEAD_ID

#: Leads whose running totals are computed together (bounds memory on large data).
LEADS_PER_BLOCK = 25_000
#: Scoring as of a date this many days or more after the data's latest timestamp is refused:
#: the data says nothing about that time, so every lead would look inactive since its end.
MAX_DAYS_AFTER_DATA = 90
_DAY = pd.Timedelta(days=1)
Step = Callable[[str], None]


class CutoffError(LeadscoreError):
    """A cutoff or as-of date the data cannot serve: before it, too long after it, censored."""


def parse_cutoffs(
    spec: str | Iterable[str | pd.Timestamp], name: str = "`cutoffs`"
) -> list[pd.Timestamp]:
    """Cutoff dates from ``"2025-01-01,2025-02-01"``, ``"monthly:START:END"`` or a list.

    Parameters
    ----------
    spec : str or list
        Comma-separated dates, ``monthly:START:END`` (every month from START up to END,
        however long the range) or a list of dates.
    name : str
        What to call ``spec`` in error messages: the parameter it was given as, in backquotes
        (the command line shows a backquoted name as its option, ``--cutoffs``).

    Raises
    ------
    LeadscoreError
        When a date is not a ``YYYY-MM-DD`` day, END is before START or no date is given.

    Examples
    --------
    >>> [c.strftime("%Y-%m-%d") for c in parse_cutoffs("monthly:2025-01-01:2025-03-01")]
    ['2025-01-01', '2025-02-01', '2025-03-01']
    >>> len(parse_cutoffs("monthly:1900-01-01:2025-12-01"))
    1512
    """
    if isinstance(spec, str):
        if spec.strip().startswith("monthly:"):
            parts = spec.strip().split(":")
            if len(parts) != 3:
                raise LeadscoreError(
                    f"{name} {excerpt(spec)}: use monthly:START:END, "
                    "e.g. monthly:2025-01-01:2025-12-01"
                )
            start, end = (to_cutoff(p, name) for p in parts[1:])
            if end < start:
                raise LeadscoreError(f"{name} {excerpt(spec)}: END is before START.")
            return month_steps(start, end)
        spec = [s for s in spec.split(",") if s.strip()]
    cutoffs = sorted({to_cutoff(s, name) for s in spec})
    if not cutoffs:
        raise LeadscoreError(f"{name}: no cutoff dates given.")
    return cutoffs


def month_steps(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    """``start``, one month later, two months later ... up to ``end`` (inclusive).

    >>> [f"{c:%m-%d}" for c in month_steps(pd.Timestamp("2025-01-31"), pd.Timestamp("2025-04-30"))]
    ['01-31', '02-28', '03-31', '04-30']
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    steps = (start + pd.DateOffset(months=i) for i in range(months + 1))
    return [step for step in steps if step <= end]


def to_cutoff(value: str | pd.Timestamp, name: str = "cutoff") -> pd.Timestamp:
    """A cutoff or as-of date: ``YYYY-MM-DD`` (ISO 8601), midnight UTC.

    Parameters
    ----------
    value : str or Timestamp
        The date; a time of day other than midnight (UTC) is refused.
    name : str
        What to call ``value`` in error messages: the parameter it was given as, in backquotes
        (the command line shows a backquoted name as its option, ``--as-of``).

    Examples
    --------
    >>> to_cutoff(" 2025-03-01 ")
    Timestamp('2025-03-01 00:00:00+0000', tz='UTC')
    >>> to_cutoff("01.03.2025", "`as_of`")
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: `as_of` '01.03.2025' is not a date (use YYYY-MM-DD).
    """
    try:
        if isinstance(value, str):  # ISO only: 01.03.2025 would be read as January 3rd
            stamp = pd.to_datetime(value.strip(), format="ISO8601", utc=True)
        else:
            stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):  # also "", "nan" and None, which pandas reads as NaT
        raise LeadscoreError(f"{name} {excerpt(value)} is not a date (use YYYY-MM-DD).")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if stamp != stamp.normalize():
        raise LeadscoreError(
            f"{name} {excerpt(value)} is not a date: cutoffs are whole days (UTC)."
        )
    return stamp


def _dates(stamps: list[pd.Timestamp], most: int = 3) -> str:
    """``2025-01-01, 2025-02-01, 2025-03-01 … (12 dates)``: a few dates and how many."""
    shown = ", ".join(f"{s:%Y-%m-%d}" for s in stamps[:most])
    return shown if len(stamps) <= most else f"{shown} … ({len(stamps):,} dates)"


def _coverage(staged: StagedDataset) -> str:
    first = staged.leads["created_at"].min()
    return (
        f"the data runs from {first:%Y-%m-%d}, when the first lead was created, to "
        f"{staged.data_end:%Y-%m-%d}, its latest timestamp"
    )


def _refuse_cutoffs_before_data(
    cutoffs: list[pd.Timestamp], staged: StagedDataset, what: str
) -> None:
    """A cutoff at or before the first lead's creation has no lead: it is a wrong date."""
    first = staged.leads["created_at"].min()
    early = [c for c in cutoffs if c <= first]
    if early:
        raise CutoffError(
            f"{what} {_dates(early)}: no lead had been created yet ({_coverage(staged)}). "
            f"The first usable date is {first.floor('D') + _DAY:%Y-%m-%d}."
        )


def _epoch_day(stamps: pd.Series) -> np.ndarray:
    return (stamps.dt.tz_convert("UTC") - pd.Timestamp("1970-01-01", tz="UTC")) // _DAY


def _key_tables(staged: StagedDataset) -> dict[str, pd.DataFrame]:
    """Integer keys for leads and accounts, and what the entity rules read of each lead.

    ``leads`` holds no personal data: ids, dates, consent and the lifecycle stage.
    """
    leads, accounts, outcomes = staged.leads, staged.accounts, staged.outcomes
    account_keys = pd.DataFrame(
        {
            "account_id": accounts["account_id"].astype(object),
            "account_idx": np.arange(len(accounts), dtype=np.int64),
        }
    )
    account_idx = leads["account_id"].map(
        pd.Series(account_keys["account_idx"].to_numpy(), index=account_keys["account_id"])
    )
    lead_keys = pd.DataFrame(
        {
            "lead_idx": np.arange(len(leads), dtype=np.int64),
            "lead_id": leads["lead_id"].astype(object),
            "account_idx": account_idx.astype("Int64"),
            "converted_at": leads["lead_id"].map(outcomes.set_index("lead_id")["converted_at"]),
            "consent": leads["consent"].to_numpy(dtype=bool),
            "created_at": leads["created_at"],
            "lifecycle_stage": leads["lifecycle_stage"],
        }
    )
    return {"leads": lead_keys, "account_keys": account_keys}


def _build(
    staged: StagedDataset,
    cutoffs: list[pd.Timestamp],
    settings: Settings,
    horizon_days: int | None,
    interim_dir: Path,
    on_step: Step,
    engine: str | Engine = "duckdb",
    keep_on_spark: bool = False,
) -> tuple[pd.DataFrame, list[Feature], dict[str, float], dict[str, int]]:
    """The table's frame and catalogue, each step's seconds and, for scoring tables, how many
    leads each entity rule leaves out (:func:`leadscore.features.entity.left_out`).

    With ``keep_on_spark`` (Spark only), the frame is a Spark DataFrame, computed and kept on
    the executors: nothing is collected to this machine."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now
        on_step(name)

    runner = make_engine(engine, temp_dir=interim_dir / "duckdb-tmp")
    try:
        behaviour_columns = _compute(runner, staged, cutoffs, settings, horizon_days, step)
        # scoring reports the leads it leaves out; training tables leave out many per cutoff
        left_out = entity.left_out(runner, "leads", "cutoffs") if horizon_days is None else {}
        cutoff_of_day = cutoff_frame_of(cutoffs).set_index("cutoff_day")["cutoff_ts"]
        if isinstance(runner, SparkEngine):
            rows = _assemble_on_spark(runner, staged, cutoff_of_day, settings, behaviour_columns)
            if keep_on_spark:  # computed now: the engine's tables are freed below
                frame = rows.drop(LABEL) if horizon_days is None else rows
                frame = frame.localCheckpoint(eager=True)
            else:
                frame = _collected(rows.toArrow().to_pandas())
        else:
            frame = runner.arrow(joined_sql(behaviour_columns)).to_pandas()
            step("joined features")
            idx = frame["lead_idx"].to_numpy()
            static = explicit_features(staged.leads, staged.accounts, settings)
            frame = _assemble(
                frame,
                staged.leads.iloc[idx].reset_index(drop=True),
                static.iloc[idx].reset_index(drop=True),
                cutoff_of_day,
                behaviour_columns,
            )
    finally:
        if runner is not engine:  # an engine passed in (a Spark session's) stays the caller's
            runner.close()
    features = [*EXPLICIT_CATALOGUE, *behaviour_columns]
    if horizon_days is None and not keep_on_spark:
        frame = frame.drop(columns=[LABEL])
    step("explicit features and assembly")
    return frame, features, timings, left_out


def cutoff_frame_of(cutoffs: list[pd.Timestamp]) -> pd.DataFrame:
    """The cutoffs as timestamps and as whole days since 1970-01-01."""
    frame = pd.DataFrame({"cutoff_ts": cutoffs})
    frame["cutoff_day"] = _epoch_day(frame["cutoff_ts"]).astype(np.int64)
    return frame


def _compute(
    engine: Engine,
    staged: StagedDataset,
    cutoffs: list[pd.Timestamp],
    settings: Settings,
    horizon_days: int | None,
    step: Step,
) -> list[Feature]:
    """Run the SQL and NumPy stages up to the tables :func:`joined_sql` joins; returns the
    behavioural features."""
    tables = _key_tables(staged)
    for name, frame in tables.items():
        engine.register(name, frame)
    cutoff_frame = cutoff_frame_of(cutoffs)
    engine.register("cutoffs", cutoff_frame)
    for name in ("events", "account_events", "accounts"):
        engine.register_parquet(name, staged.paths[name])
    account_events, accounts = "account_events", "accounts"
    population = entity.population_sql("leads", "cutoffs", horizon_days or 0)
    engine.materialise("population", population)
    # Only the events of leads profiled at some cutoff are read: never those without consent.
    engine.materialise(
        "keys",
        "SELECT lead_idx, lead_id FROM leads WHERE lead_idx IN (SELECT lead_idx FROM population)",
    )
    last_day = int(cutoff_frame["cutoff_day"].max())
    # The rollup of each part of the events is kept between runs: a nightly run rolls up the
    # new part only (see rollup_cache); the result equals behaviour.daily_sql over all events.
    if isinstance(engine, SparkEngine):  # the executors roll up every event (no cache)
        engine.materialise("daily", behaviour.daily_sql("events", "keys", last_day, settings))
    else:
        rollup_cache.materialise_daily(engine, staged, "keys", last_day, settings)
    step("daily rollup of events")
    _running_totals(engine, len(staged.leads), settings)
    step("running totals per window")
    engine.materialise("recent", behaviour.recent_sql("daily", "cutoffs", settings))
    # Re-opens count the burst window only: read the parts that can hold its days.
    cutoff_days = cutoff_frame["cutoff_day"].tolist()
    rollup_cache.window_events(engine, staged, "burst_events", cutoff_days, settings.burst_days)
    engine.materialise(
        "reopens", behaviour.reopens_sql("burst_events", "keys", "cutoffs", settings)
    )
    step("decay and bursts")
    engine.materialise(
        "acc_events",
        behaviour.account_events_sql(account_events, "account_keys", "cutoffs", settings),
    )
    engine.materialise(
        "tech",
        behaviour.technologies_sql(accounts, account_events, "account_keys", "cutoffs", settings),
    )
    engine.materialise("roll", behaviour.rollup_sql("population", "totals", "recent", settings))
    engine.materialise("conv", behaviour.converted_contacts_sql("leads", "cutoffs"))
    engine.drop("daily")  # the largest table: free its memory before the final join
    step("account features")

    return behaviour.behaviour_features(settings)


def joined_sql(columns: list[Feature], ordered: bool = True) -> str:
    """The entity rows with every behavioural feature, in (cutoff, lead) order."""
    # float32 holds every count exactly and halves the memory of large tables
    selected = ",\n  ".join(f"CAST({f.sql} AS FLOAT) AS {f.name}" for f in columns)
    return f"""
SELECT p.lead_idx, p.cutoff_day, p.label,
  {selected}
FROM population p
LEFT JOIN totals t ON t.lead_idx = p.lead_idx AND t.cutoff_day = p.cutoff_day
LEFT JOIN recent r ON r.lead_idx = p.lead_idx AND r.cutoff_day = p.cutoff_day
LEFT JOIN reopens ro ON ro.lead_idx = p.lead_idx AND ro.cutoff_day = p.cutoff_day
LEFT JOIN acc_events ae ON ae.account_idx = p.account_idx AND ae.cutoff_day = p.cutoff_day
LEFT JOIN tech ON tech.account_idx = p.account_idx AND tech.cutoff_day = p.cutoff_day
LEFT JOIN roll ON roll.account_idx = p.account_idx AND roll.cutoff_day = p.cutoff_day
LEFT JOIN conv ON conv.account_idx = p.account_idx AND conv.cutoff_day = p.cutoff_day
WHERE p.in_entity
""" + ("ORDER BY p.cutoff_day, p.lead_idx" if ordered else "")


def _running_totals(engine: Engine, n_leads: int, settings: Settings) -> None:
    """Table ``totals``: the running totals of the population, a block of leads at a time to
    bound memory (:func:`leadscore.features.windows.running_totals` on each block)."""
    offsets, last_of = behaviour.boundaries(settings), behaviour.last_day_columns(settings)

    def block(daily: Mapping[str, np.ndarray], population: Mapping[str, np.ndarray]) -> pa.Table:
        return running_totals(daily, population, offsets, last_of)

    counts = {c.name: np.zeros(0, dtype=np.int32) for c in behaviour.counters(settings)}
    nothing = {"lead_idx": np.zeros(0, np.int64), "day": np.zeros(0, np.int32), **counts}
    schema = block(nothing, {"lead_idx": np.zeros(0, np.int64), "cutoff_day": np.zeros(0)}).schema
    engine.map_lead_blocks(
        "totals",
        ("SELECT * FROM daily", "SELECT lead_idx, cutoff_day FROM population"),
        block,
        schema,
        n_leads,
        LEADS_PER_BLOCK,
        sort_by=("lead_idx", "day"),
    )


#: Explicit features plus the lead's age in the CRM, which depends on the cutoff.
EXPLICIT_CATALOGUE = [
    *EXPLICIT_FEATURES,
    Feature("days_since_created", "fit", "Days since the lead entered the CRM", family="lead_age"),
]


#: What the explicit features and the assembly read of each lead.
LEAD_INPUTS = (
    "lead_id", "account_id", "created_at", "job_title", "email", "country", "lead_source", "age",
    "income",
)  # fmt: skip


def _assemble(
    frame: pd.DataFrame,
    leads: pd.DataFrame,
    explicit: pd.DataFrame,
    cutoff_of_day: pd.Series,
    behaviour_columns: list[Feature],
) -> pd.DataFrame:
    """The table's rows: ids, label, explicit and behavioural features.

    ``frame`` has ``lead_idx``, ``cutoff_day``, ``label`` and the behavioural features;
    ``leads`` (:data:`LEAD_INPUTS`) and ``explicit`` are aligned with it, row for row. Rows are
    independent of each other, so Spark assembles each partition with this same function.
    """
    cutoff = cutoff_of_day.loc[frame["cutoff_day"].to_numpy()].reset_index(drop=True)
    ids = pd.DataFrame(
        {
            LEAD_ID: leads["lead_id"].to_numpy(),
            ACCOUNT_ID: leads["account_id"].to_numpy(),
            CUTOFF: cutoff,
            LABEL: frame["label"].astype(np.int8).to_numpy(),
        }
    )
    explicit = explicit.reset_index(drop=True)
    for feature in EXPLICIT_FEATURES:
        if feature.kind == "categorical":
            explicit[feature.name] = explicit[feature.name].astype(pd.StringDtype("pyarrow"))
    created = leads["created_at"].reset_index(drop=True)
    explicit["days_since_created"] = (cutoff - created).dt.total_seconds() / 86_400
    numeric = frame[[f.name for f in behaviour_columns]].reset_index(drop=True)
    return pd.concat([ids, explicit, numeric], axis=1)


def _assemble_on_spark(
    engine: SparkEngine,
    staged: StagedDataset,
    cutoff_of_day: pd.Series,
    settings: Settings,
    behaviour_columns: list[Feature],
):
    """The assembled table as a Spark DataFrame, each partition assembled by :func:`_assemble`
    on the executors (nothing is collected to the driver), in (cutoff, lead) order."""
    leads = staged.leads[list(LEAD_INPUTS)].assign(lead_idx=np.arange(len(staged.leads)))
    engine.register("lead_rows", leads)
    accounts = staged.accounts
    behaviour_names = ["lead_idx", "cutoff_day", "label", *(f.name for f in behaviour_columns)]
    joined = engine.sql(
        f"SELECT b.*, {', '.join(f'l.{c}' for c in LEAD_INPUTS)} "
        f"FROM ({joined_sql(behaviour_columns, ordered=False)}) b "
        "JOIN lead_rows l ON l.lead_idx = b.lead_idx ORDER BY b.cutoff_day, b.lead_idx"
    )

    def assemble(chunk: pd.DataFrame) -> pd.DataFrame:
        lead_rows = chunk[list(LEAD_INPUTS)].reset_index(drop=True)
        if lead_rows["created_at"].dt.tz is None:  # Spark hands timestamps over without zone
            lead_rows["created_at"] = lead_rows["created_at"].dt.tz_localize("UTC")
        explicit = explicit_features(lead_rows, accounts, settings)
        out = _assemble(
            chunk[behaviour_names].reset_index(drop=True),
            lead_rows,
            explicit,
            cutoff_of_day,
            behaviour_columns,
        )
        return out.astype({c: object for c in out.columns if out[c].dtype == "string"})

    def partitions(chunks):
        for chunk in chunks:
            yield assemble(chunk)

    from pyspark.sql.pandas.types import from_arrow_schema

    return joined.mapInPandas(partitions, schema=from_arrow_schema(table_schema(behaviour_columns)))


def table_schema(behaviour_columns: list[Feature]) -> pa.Schema:
    """The Arrow types of a training table's columns (a scoring table's, without ``label``)."""
    fields = [
        (LEAD_ID, pa.string()),
        (ACCOUNT_ID, pa.string()),
        (CUTOFF, pa.timestamp("us", tz="UTC")),
        (LABEL, pa.int8()),
    ]
    fields += [
        (f.name, pa.string() if f.kind == "categorical" else pa.float64())
        for f in EXPLICIT_CATALOGUE
    ]
    fields += [(f.name, pa.float32()) for f in behaviour_columns]
    return pa.schema(fields)


def _collected(frame: pd.DataFrame) -> pd.DataFrame:
    """A table collected from Spark with the dtypes of the DuckDB path's table."""
    kinds = {f.name: f.kind for f in EXPLICIT_FEATURES}
    for column in frame.columns:
        if kinds.get(column) == "categorical":
            frame[column] = frame[column].astype(pd.StringDtype("pyarrow"))
        elif column in (LEAD_ID, ACCOUNT_ID):  # inferred from the values, as _assemble does
            frame[column] = pd.DataFrame({column: frame[column].to_numpy(dtype=object)})[column]
    return frame


def _stage(data_dir, interim_dir, now, on_step) -> tuple[StagedDataset, Path]:
    interim = Path(interim_dir) if interim_dir is not None else config.INTERIM_DATA_DIR
    staged = stage_dataset(data_dir, interim_dir=interim, now=now)
    on_step("validated and staged the data")
    return staged, interim


def build_training_table(
    data_dir: str | Path,
    cutoffs: str | Iterable[str | pd.Timestamp] | None,
    horizon_days: int | None = None,
    *,
    settings: Settings | str | Path | None = None,
    interim_dir: str | Path | None = None,
    now: pd.Timestamp | None = None,
    on_step: Step | None = None,
    cache: bool = True,
    engine: str | Engine = "duckdb",
) -> FeatureTable:
    """One labelled row per eligible (lead, cutoff), with every feature as of the cutoff.

    A table built before from the same inputs (the same data to the byte, cutoffs, horizon and
    settings, and the same leadscore code) is read from the cache in ``interim_dir`` instead of
    being built again (see :mod:`leadscore.features.store`); it is identical to a new build.

    Parameters
    ----------
    data_dir : str or Path
        Folder with the exported tables (see the data contract).
    cutoffs : str or list or None
        Cutoff dates: ``"2025-01-01,2025-02-01"``, ``"monthly:2025-01-01:2025-12-01"`` or a
        list of dates; ``None`` chooses them (:func:`default_cutoffs`).
    horizon_days : int, optional
        Label window after each cutoff; default from the settings (90).
    settings : Settings or path, optional
        Feature settings; default: the shipped ``settings.yaml``.
    interim_dir : path, optional
        Where validated data is staged (default ``data/interim``).
    now : Timestamp, optional
        Reference for the "timestamp in the future" validation.
    on_step : callable, optional
        Called with a description after each step (progress display).
    cache : bool
        Reuse a table built before from the same inputs, and keep this one for later builds
        (``interim_dir/training_tables``, the most recently used few).
    engine : {"duckdb", "spark"} or Engine
        Where the features are computed (:mod:`leadscore.features.engine`): DuckDB in this
        process, or Spark (``SparkEngine(session=spark)`` for a cluster's session). Both run
        the same definitions and give the same table.

    Returns
    -------
    FeatureTable
        ``frame`` has ``lead_id``, ``account_id``, ``cutoff``, ``label`` and the features of
        ``catalogue`` in that order; ``from_cache`` tells whether it was read from the cache.
    """
    began = time.perf_counter()
    settings = settings if isinstance(settings, Settings) else load_settings(settings)
    horizon = horizon_days if horizon_days is not None else settings.horizon_days
    if horizon <= 0:
        raise LeadscoreError(f"`horizon_days` must be a positive number of days, not {horizon}.")
    step = on_step or (lambda _name: None)
    given = None if cutoffs is None else parse_cutoffs(cutoffs)  # before the costly staging
    staged, interim = _stage(data_dir, interim_dir, now, step)
    cutoff_list = default_cutoffs(staged, horizon) if given is None else given
    _refuse_cutoffs_before_data(cutoff_list, staged, "cutoff(s)")
    censored = [c for c in cutoff_list if c + horizon * _DAY > staged.data_end]
    if censored:
        last_ok = (staged.data_end - horizon * _DAY).floor("D")
        raise CutoffError(
            f"cutoff(s) {_dates(censored)}: the {horizon}-day label window runs past the end of "
            f"the data ({staged.data_end:%Y-%m-%d %H:%M} UTC), so their labels would be censored. "
            f"The last usable cutoff is {last_ok:%Y-%m-%d}."
        )
    key = cache_key(staged.fingerprint, horizon, settings) if cache else None
    stored = cached_table(key, cutoff_list, interim) if key is not None else None
    if stored is not None:
        step("read the training table from the cache")
        frame, catalogue, timings = stored.frame, stored.catalogue, stored.timings
    else:
        frame, catalogue, timings, _ = _build(
            staged, cutoff_list, settings, horizon, interim, step, engine
        )
    if frame.empty:
        raise CutoffError(
            f"no lead can be trained on at cutoff(s) {_dates(cutoff_list)}: every lead created "
            "by then had no consent to profiling, had converted or was a customer before the "
            f"data ({_coverage(staged)})."
        )
    table = FeatureTable(
        frame,
        catalogue,
        cutoff_list,
        horizon,
        staged.fingerprint,
        timings=timings,
        warnings=_data_warnings(staged),
        settings=settings,
    )
    if stored is not None:
        table.from_cache = True
    elif key is not None:
        try:
            cache_table(table, key, interim)
        except LeadscoreError as exc:  # the table is built: a full disk must not lose it
            table.warnings.append(
                f"warning: the training table was not kept in the cache ({exc}); "
                "the next run builds it again."
            )
    table.seconds = time.perf_counter() - began
    return table


def _data_warnings(staged: StagedDataset) -> list[str]:
    return [p.describe() for p in staged.problems if p.severity == "warning"]


def default_cutoffs(staged: StagedDataset, horizon_days: int) -> list[pd.Timestamp]:
    """Monthly cutoffs spanning the data, leaving one horizon at the end for labels.

    The first is the second month start after the first event (so every cutoff has at least a
    month of history); the last is the latest month start whose label window ends in the data.
    """
    first_event = staged.first_event  # found while staging: no read of the events
    if pd.isna(first_event):
        raise LeadscoreError("no events: give `cutoffs` explicitly.")
    start = first_event.normalize().replace(day=1) + pd.DateOffset(months=2)
    end = staged.data_end - horizon_days * _DAY
    cutoffs = month_steps(start, end) if start <= end else []
    if not cutoffs:
        raise LeadscoreError(
            f"the data ({first_event:%Y-%m-%d} to {staged.data_end:%Y-%m-%d}) is too short for "
            f"a {horizon_days}-day label window after a month of history."
        )
    return cutoffs


def build_scoring_table(
    data_dir: str | Path,
    as_of: str | pd.Timestamp | None = None,
    *,
    settings: Settings | str | Path | None = None,
    interim_dir: str | Path | None = None,
    now: pd.Timestamp | None = None,
    on_step: Step | None = None,
    engine: str | Engine = "duckdb",
    keep_on_spark: bool = False,
) -> FeatureTable:
    """One row per lead that may be scored as of ``as_of``, with the training features.

    ``as_of`` defaults to the day after the latest timestamp in the data, so that every event
    counts. The features are computed by exactly the code that builds training tables.

    An as-of date at or before the first lead's creation, or :data:`MAX_DAYS_AFTER_DATA` days or
    more after the latest timestamp, is refused; a later date than the default is allowed with
    a warning in ``warnings`` (activity after the data's end is unknown and counts as none).
    ``engine`` is as for :func:`build_training_table`. With ``keep_on_spark`` (Spark
    only) the table stays on the executors: ``frame`` is a Spark DataFrame, for
    :func:`leadscore.modeling.spark_scoring.score_on_spark`.
    """
    began = time.perf_counter()
    settings = settings if isinstance(settings, Settings) else load_settings(settings)
    step = on_step or (lambda _name: None)
    given = None if as_of is None else to_cutoff(as_of, "`as_of`")
    staged, interim = _stage(data_dir, interim_dir, now, step)
    latest = staged.data_end.floor("D") + _DAY
    cutoff = latest if given is None else given
    _refuse_cutoffs_before_data([cutoff], staged, "as-of date")
    warnings = _data_warnings(staged)
    if cutoff > latest:
        last_allowed = (staged.data_end + MAX_DAYS_AFTER_DATA * _DAY).floor("D")
        if cutoff > last_allowed:
            raise CutoffError(
                f"as-of date {cutoff:%Y-%m-%d} is {(cutoff - latest) // _DAY + 1:,} days after "
                f"the data ends ({_coverage(staged)}): nothing is known about that time, so "
                f"every lead would look inactive. Use a date from {latest:%Y-%m-%d} (the "
                f"default) to {last_allowed:%Y-%m-%d}."
            )
        warnings.append(
            f"warning: as-of date {cutoff:%Y-%m-%d} is after the data ends ({_coverage(staged)}): "
            "activity since then is unknown and counts as none."
        )
    if keep_on_spark and not isinstance(engine, SparkEngine) and engine != "spark":
        raise LeadscoreError("`keep_on_spark` needs the spark `engine`.")
    frame, catalogue, timings, left_out = _build(
        staged, [cutoff], settings, None, interim, step, engine, keep_on_spark
    )
    return FeatureTable(
        frame,
        catalogue,
        [cutoff],
        None,
        staged.fingerprint,
        time.perf_counter() - began,
        timings,
        skipped=left_out,
        warnings=warnings,
        settings=settings,
    )
