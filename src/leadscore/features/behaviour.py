"""Behavioural and account features as set-based SQL, generated from one definition list.

Time is counted in whole UTC days: a cutoff is a midnight, day ``d`` is ``[d, d + 1)`` and an
event belongs to the cutoff's history when its day is before the cutoff's day, i.e. when it
happened strictly before the cutoff. A window of ``w`` days covers the days
``[cutoff - w, cutoff)``: an event exactly ``w`` days before the cutoff is inside, one at the
cutoff is not.

How all cutoffs are computed in one pass (no rescans per cutoff):

1. ``daily``: one scan of the events rolls them up to one row per lead and active day with a
   count per event type, page category and intent signal.
2. ``totals``: running totals of the daily counts per lead, read at every window boundary of
   every cutoff; a window count is the difference of two boundaries. The portable SQL is
   :func:`running_totals_sql` (``SUM(n) OVER (PARTITION BY lead ORDER BY day)`` read at marker
   rows); the pipeline runs the equivalent NumPy code (:mod:`leadscore.features.windows`),
   because DuckDB's partitioned window aggregates cost about a second per column per ten
   million rows here. A test keeps the two equal.
3. ``recent``: decayed engagement and bursts join the daily rows with the (few) cutoffs within
   the longest window; ``reopens`` does the same for repeated opens of one campaign.
4. Account events, technologies as of the cutoff and account roll-ups join on small tables.

Every feature is a :class:`~leadscore.features.catalogue.Feature` whose ``sql`` is its
expression in the final query, so the catalogue and the computation cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadscore.contract import ACCOUNT_EVENT_TYPES, EVENT_TYPES
from leadscore.features.catalogue import Feature
from leadscore.features.settings import Settings

_US_PER_DAY = 86_400_000_000
NEGATIVE_EVENT_TYPES = ("unsubscribe", "email_bounce")
NEGATIVE_PAGES = ("careers",)
#: A lead's actions in the last ``days`` days: one such feature per window of the settings.
ACTIONS_IN_WINDOW = "n_actions_{days}d"


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _in_list(values) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def day_of(column: str) -> str:
    """Whole UTC days since 1970-01-01 of a timestamp column."""
    return f"CAST(floor(epoch_us({column}) / {_US_PER_DAY}) AS INTEGER)"


@dataclass(frozen=True)
class Counter:
    """A per-day count of the events matching ``condition`` (column ``name`` of ``daily``)."""

    name: str
    condition: str


def counters(settings: Settings) -> list[Counter]:
    """The daily counts every window feature is derived from."""
    out = [Counter(f"ev_{t}", f"event_type = {lit(t)}") for t in EVENT_TYPES]
    out += [
        Counter(f"pg_{c}", f"event_type = 'page_view' AND detail_key = {lit(c)}")
        for c in settings.page_categories
    ]
    intent_conditions = []
    for name, signal in settings.intent_signals.items():
        condition = f"event_type = {lit(signal.event_type)}"
        if signal.detail:
            condition += f" AND detail_key IN {_in_list(d.lower() for d in signal.detail)}"
        intent_conditions.append(f"({condition})")
        out.append(Counter(f"in_{name}", condition))
    out.append(Counter("intent", " OR ".join(intent_conditions)))
    out.append(Counter("act", f"event_type NOT IN {_in_list(settings.passive_event_types)}"))
    return out


def daily_sql(events: str, keys: str, last_cutoff_day: int, settings: Settings) -> str:
    """Roll events up to (lead, day) counts; only events before the last cutoff are read."""
    columns = ",\n  ".join(
        f"CAST(COUNT(*) FILTER (WHERE {c.condition}) AS INTEGER) AS {c.name}"
        for c in counters(settings)
    )
    return f"""
SELECT CAST(k.lead_idx AS INTEGER) AS lead_idx, e.day,
  {columns}
FROM (
  SELECT lead_id, {day_of("occurred_at")} AS day, event_type,
         lower(trim(detail)) AS detail_key
  FROM {events}
) e
JOIN {keys} k ON e.lead_id = k.lead_id
WHERE e.day < {last_cutoff_day}
GROUP BY k.lead_idx, e.day
"""


def boundaries(settings: Settings) -> dict[str, tuple[int, ...]]:
    """For each running total, the boundaries (days before the cutoff) the features read."""
    windows = (0, *settings.windows_days)
    wanted = {c.name: windows for c in counters(settings)}
    wanted["active_days"] = windows
    recent, base = settings.velocity_recent_days, settings.velocity_baseline_days
    wanted["act"] = tuple(sorted({*windows, recent, recent + base, settings.engaged_days}))
    for name in ("ev_email_click", "ev_email_open", "ev_email_delivered"):
        wanted[name] = tuple(sorted({*windows, settings.ratio_window_days}))
    return wanted


def last_day_columns(settings: Settings) -> list[str]:
    """Counters whose last day before the cutoff is wanted (for "days since" features)."""
    return ["act", *(f"in_{n}" for n in settings.intent_signals)]


def running_totals_sql(daily: str, population: str, settings: Settings) -> str:
    """The running totals of :func:`leadscore.features.windows.running_totals`, in plain SQL.

    This is the engine-neutral definition (window functions and ``FILTER``, which Spark SQL
    runs too); the pipeline uses the NumPy implementation, which is much faster on DuckDB, and
    the tests check that both agree. Marker rows, one per (lead, cutoff, boundary), are merged
    into the daily rows; running sums per lead in day order, markers before the events of their
    day, give at each marker the totals of everything before its day.
    """
    names = [c.name for c in counters(settings)]
    wanted = boundaries(settings)
    offsets = sorted({o for values in wanted.values() for o in values})
    zeros = ", ".join(f"0 AS {n}" for n in names)
    sums = ",\n    ".join(f"SUM({n}) OVER w AS {n}" for n in names)
    lasts = ",\n    ".join(
        f"MAX(CASE WHEN {n} > 0 THEN day END) OVER w AS last_{n}"
        for n in last_day_columns(settings)
    )
    pivots = [
        f"COALESCE(MAX({n}) FILTER (WHERE offset_days = {o}), 0) AS {n}__{o}"
        for n, values in wanted.items()
        for o in values
    ]
    pivots += [
        f"MAX(last_{n}) FILTER (WHERE offset_days = 0) AS last_{n}"
        for n in last_day_columns(settings)
    ]
    offset_rows = ", ".join(f"({o})" for o in offsets)
    pivot_list = ",\n  ".join(pivots)
    return f"""
WITH offsets(offset_days) AS (VALUES {offset_rows}),
markers AS (
  SELECT p.lead_idx, p.cutoff_day, o.offset_days, p.cutoff_day - o.offset_days AS day
  FROM {population} p CROSS JOIN offsets o
),
stream AS (
  SELECT lead_idx, day, NULL AS cutoff_day, NULL AS offset_days, 0 AS is_marker,
         {", ".join(names)}
  FROM {daily}
  UNION ALL
  SELECT lead_idx, day, cutoff_day, offset_days, 1 AS is_marker, {zeros}
  FROM markers
),
running AS (
  SELECT lead_idx, cutoff_day, offset_days, is_marker,
    {sums},
    SUM(CASE WHEN act > 0 THEN 1 ELSE 0 END) OVER w AS active_days,
    {lasts}
  FROM stream
  WINDOW w AS (PARTITION BY lead_idx ORDER BY day, is_marker DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT lead_idx, cutoff_day,
  {pivot_list}
FROM running
WHERE is_marker = 1
GROUP BY lead_idx, cutoff_day
"""


def recent_sql(daily: str, cutoffs: str, settings: Settings) -> str:
    """Decayed engagement (ages in whole days) and the busiest day, within the look-back.

    ``fsum`` (compensated summation) keeps the sums independent of the order in which parallel
    threads add them up, so the same data gives the same features bit for bit.
    """
    decays = []
    for h in settings.half_lives_days:
        for what in ("act", "intent"):
            decays.append(
                f"fsum(d.{what} * pow(0.5, (c.cutoff_day - d.day) / {h})) AS decay_{what}_{h:g}"
            )
    return f"""
SELECT d.lead_idx, c.cutoff_day,
  {", ".join(decays)},
  MAX(d.act) FILTER (WHERE d.day >= c.cutoff_day - {settings.burst_days}) AS max_daily_act
FROM {daily} d
JOIN {cutoffs} c
  ON d.day < c.cutoff_day AND d.day >= c.cutoff_day - {settings.lookback_days}
GROUP BY d.lead_idx, c.cutoff_day
"""


def reopens_sql(events: str, keys: str, cutoffs: str, settings: Settings) -> str:
    """Most opens of a single campaign within the burst window."""
    return f"""
SELECT lead_idx, cutoff_day, MAX(opens) AS max_opens_one_campaign
FROM (
  SELECT k.lead_idx, c.cutoff_day, e.detail, COUNT(*) AS opens
  FROM (
    SELECT lead_id, detail, {day_of("occurred_at")} AS day
    FROM {events} WHERE event_type = 'email_open'
  ) e
  JOIN {keys} k ON e.lead_id = k.lead_id
  JOIN {cutoffs} c
    ON e.day < c.cutoff_day AND e.day >= c.cutoff_day - {settings.burst_days}
  GROUP BY k.lead_idx, c.cutoff_day, e.detail
)
GROUP BY lead_idx, cutoff_day
"""


def account_events_sql(account_events: str, account_keys: str, cutoffs: str, settings) -> str:
    """Account event counts in windows and days since the last one, per account and cutoff."""
    columns = []
    for t in ACCOUNT_EVENT_TYPES:
        for w in settings.account_event_windows_days:
            columns.append(
                f"COUNT(*) FILTER (WHERE a.event_type = {lit(t)} "
                f"AND a.day >= c.cutoff_day - {w}) AS account_{t}_{w}d"
            )
        columns.append(
            f"c.cutoff_day - MAX(a.day) FILTER (WHERE a.event_type = {lit(t)}) "
            f"AS days_since_account_{t}"
        )
    column_list = ",\n  ".join(columns)
    return f"""
SELECT k.account_idx, c.cutoff_day,
  {column_list}
FROM (
  SELECT account_id, event_type, {day_of("occurred_at")} AS day FROM {account_events}
) a
JOIN {account_keys} k ON a.account_id = k.account_id
JOIN {cutoffs} c ON a.day < c.cutoff_day
GROUP BY k.account_idx, c.cutoff_day
"""


def technologies_sql(
    accounts: str, account_events: str, account_keys: str, cutoffs: str, settings: Settings
) -> str:
    """Technologies as of each cutoff: the export's list, rolled back by later tech events.

    A tool whose first tech event at or after the cutoff is ``tech_added`` was not there yet;
    one whose first later event is ``tech_removed`` still was; otherwise the export decides.
    """
    return f"""
WITH snapshot AS (
  SELECT k.account_idx, trim(lower(tool.t)) AS tool
  FROM {accounts} a
  JOIN {account_keys} k ON a.account_id = k.account_id,
  unnest(string_split(coalesce(a.technologies, ''), ';')) AS tool(t)
  WHERE trim(tool.t) <> ''
),
changes AS (
  SELECT k.account_idx, trim(lower(e.detail)) AS tool, e.event_type,
         {day_of("e.occurred_at")} AS day
  FROM {account_events} e JOIN {account_keys} k ON e.account_id = k.account_id
  WHERE e.event_type IN ('tech_added', 'tech_removed') AND e.detail IS NOT NULL
),
tools AS (
  SELECT account_idx, tool, TRUE AS in_snapshot FROM snapshot
  UNION
  SELECT account_idx, tool, FALSE FROM changes
  WHERE (account_idx, tool) NOT IN (SELECT account_idx, tool FROM snapshot)
),
as_of AS (
  SELECT t.account_idx, t.tool, c.cutoff_day, t.in_snapshot,
         arg_min(ch.event_type, ch.day) AS next_change
  FROM tools t CROSS JOIN {cutoffs} c
  LEFT JOIN changes ch
    ON ch.account_idx = t.account_idx AND ch.tool = t.tool AND ch.day >= c.cutoff_day
  GROUP BY t.account_idx, t.tool, c.cutoff_day, t.in_snapshot
),
present AS (
  SELECT *, CASE next_change WHEN 'tech_added' THEN FALSE WHEN 'tech_removed' THEN TRUE
            ELSE in_snapshot END AS used
  FROM as_of
)
SELECT account_idx, cutoff_day,
  COUNT(*) FILTER (WHERE used) AS n_technologies,
  COUNT(*) FILTER (WHERE used AND tool IN {_in_list(sorted(settings.integrable_tools))})
    AS n_integrable,
  COUNT(*) FILTER (WHERE used AND tool IN {_in_list(sorted(settings.unsupported_tools))})
    AS n_unsupported
FROM present
GROUP BY account_idx, cutoff_day
"""


def windows_of(columns: Iterable[str]) -> tuple[int, ...]:
    """The windows (``windows_days`` of the settings) a feature table with ``columns`` was built
    with, shortest first; none for another table (a flat export).

    >>> windows_of(["lead_id", "n_actions_60d", "n_actions_14d", "n_page_pricing_14d"])
    (14, 60)
    """
    before, after = ACTIONS_IN_WINDOW.split("{days}")
    days = (
        column[len(before) : len(column) - len(after)]
        for column in columns
        if column.startswith(before) and column.endswith(after)
    )
    return tuple(sorted(int(d) for d in days if d.isdigit()))


def _for_accounts(expr: str) -> str:
    """Zero when the lead's company had nothing, missing when the lead has no company."""
    return f"CASE WHEN p.account_idx IS NULL THEN NULL ELSE COALESCE({expr}, 0) END"


def behaviour_features(settings: Settings) -> list[Feature]:
    """Engagement, negative and account features with their SQL over the joined tables.

    The expressions read ``t`` (running totals), ``r`` (recent), ``ro`` (reopens), ``ae``
    (account events), ``tech`` (technologies), ``roll`` (account roll-ups) and ``p``
    (population: ``cutoff_day``).
    """
    features: list[Feature] = []

    def window(n: str, w: int) -> str:
        return f"(t.{n}__0 - t.{n}__{w})"

    for w in settings.windows_days:
        features.append(
            Feature(
                ACTIONS_IN_WINDOW.format(days=w),
                "engagement",
                f"Actions of the lead in the last {w} days",
                family="actions",
                sql=window("act", w),
            )
        )
        features.append(
            Feature(
                f"active_days_{w}d",
                "engagement",
                f"Days with activity in the last {w} days",
                family="active_days",
                sql=window("active_days", w),
            )
        )
    for t in EVENT_TYPES:
        group = "negative" if t in NEGATIVE_EVENT_TYPES else "engagement"
        for w in settings.windows_days:
            features.append(
                Feature(
                    f"n_{t}_{w}d",
                    group,
                    f"{t.replace('_', ' ').capitalize()} events in the last {w} days",
                    family=t,
                    sql=window(f"ev_{t}", w),
                )
            )
    for t in NEGATIVE_EVENT_TYPES:
        features.append(
            Feature(
                f"n_{t}_ever",
                "negative",
                f"{t.replace('_', ' ').capitalize()} events ever",
                family=t,
                sql=f"t.ev_{t}__0",
            )
        )
    for c in settings.page_categories:
        group = "negative" if c in NEGATIVE_PAGES else "engagement"
        for w in settings.windows_days:
            features.append(
                Feature(
                    f"n_page_{c}_{w}d",
                    group,
                    f"Visits to {c.replace('_', ' ')} pages in the last {w} days",
                    family=f"page_{c}",
                    sql=window(f"pg_{c}", w),
                )
            )
    features.append(
        Feature(
            "days_since_last_action",
            "engagement",
            "Days since the lead's last action (missing: never active)",
            family="recency",
            sql="p.cutoff_day - t.last_act",
        )
    )
    for name in settings.intent_signals:
        features.append(
            Feature(
                f"days_since_{name}",
                "engagement",
                f"Days since the last {name.replace('_', ' ')} (missing: never)",
                family=name,
                sql=f"p.cutoff_day - t.last_in_{name}",
            )
        )
    for h in settings.half_lives_days:
        features.append(
            Feature(
                f"decayed_actions_hl{h:g}d",
                "engagement",
                f"Actions weighted by recency (half-life {h:g} days)",
                family="decayed_engagement",
                sql=f"COALESCE(r.decay_act_{h:g}, 0)",
            )
        )
        features.append(
            Feature(
                f"decayed_intent_hl{h:g}d",
                "engagement",
                f"Strong buying signals weighted by recency (half-life {h:g} days)",
                family="decayed_intent",
                sql=f"COALESCE(r.decay_intent_{h:g}, 0)",
            )
        )
    b = settings.burst_days
    features.append(
        Feature(
            f"max_daily_actions_{b}d",
            "engagement",
            f"Most actions on a single day in the last {b} days",
            family="bursts",
            sql="COALESCE(r.max_daily_act, 0)",
        )
    )
    features.append(
        Feature(
            f"max_opens_one_campaign_{b}d",
            "engagement",
            f"Most opens of one e-mail campaign in the last {b} days",
            family="bursts",
            sql="COALESCE(ro.max_opens_one_campaign, 0)",
        )
    )
    r, base = settings.velocity_recent_days, settings.velocity_baseline_days
    features.append(
        Feature(
            f"velocity_{r}d_vs_{base}d",
            "engagement",
            f"Actions in the last {r} days relative to the {base} days before (1 = steady)",
            family="velocity",
            sql=f"(t.act__0 - t.act__{r} + 1.0) / "
            f"((t.act__{r} - t.act__{r + base}) * {r} / {base}.0 + 1.0)",
        )
    )
    w = settings.ratio_window_days
    features.append(
        Feature(
            f"click_through_{w}d",
            "engagement",
            f"E-mail clicks per open in the last {w} days (missing: no opens)",
            family="email_engagement",
            sql=f"{window('ev_email_click', w)} / NULLIF({window('ev_email_open', w)}, 0)",
        )
    )
    features.append(
        Feature(
            f"open_rate_{w}d",
            "engagement",
            f"E-mail opens per delivered e-mail in the last {w} days (missing: none sent)",
            family="email_engagement",
            sql=f"{window('ev_email_open', w)} / NULLIF({window('ev_email_delivered', w)}, 0)",
        )
    )
    for t in ACCOUNT_EVENT_TYPES:
        group = "negative" if t == "layoff" else "account"
        for w in settings.account_event_windows_days:
            features.append(
                Feature(
                    f"account_{t}_{w}d",
                    group,
                    f"Company {t.replace('_', ' ')} events in the last {w} days",
                    family=f"account_{t}",
                    sql=_for_accounts(f"ae.account_{t}_{w}d"),
                )
            )
        features.append(
            Feature(
                f"days_since_account_{t}",
                group,
                f"Days since the company's last {t.replace('_', ' ')} event (missing: none)",
                family=f"account_{t}",
                sql=f"ae.days_since_account_{t}",
            )
        )
    features += [
        Feature(
            "n_technologies",
            "fit",
            "Tools seen on the company website",
            family="technographics",
            sql=_for_accounts("tech.n_technologies"),
        ),
        Feature(
            "uses_integrable_tool",
            "fit",
            "Company uses a tool we integrate with",
            family="technographics",
            sql=_for_accounts("CAST(tech.n_integrable > 0 AS DOUBLE)"),
        ),
        Feature(
            "uses_unsupported_tool",
            "negative",
            "Company uses a tool we do not support",
            family="technographics",
            sql=_for_accounts("CAST(tech.n_unsupported > 0 AS DOUBLE)"),
        ),
    ]
    e = settings.engaged_days
    features.append(
        Feature(
            f"account_engaged_contacts_{e}d",
            "account",
            f"Other contacts at the company active in the last {e} days",
            family="account_engagement",
            sql=f"roll.engaged - CAST({window('act', e)} > 0 AS INTEGER)",
        )
    )
    for h in settings.half_lives_days:
        features.append(
            Feature(
                f"account_decayed_actions_hl{h:g}d",
                "account",
                f"All the company's contacts' actions weighted by recency (half-life {h:g} days)",
                family="account_engagement",
                sql=f"roll.decay_act_{h:g}",
            )
        )
    features.append(
        Feature(
            "account_converted_contacts",
            "account",
            "Other contacts at the company who already converted",
            family="account_converted",
            sql=_for_accounts("conv.converted"),
        )
    )
    return features


def rollup_sql(population: str, totals: str, recent: str, settings: Settings) -> str:
    """Per account and cutoff: engaged contacts and total decayed engagement."""
    e = settings.engaged_days
    decays = ", ".join(
        f"fsum(COALESCE(r.decay_act_{h:g}, 0)) AS decay_act_{h:g}" for h in settings.half_lives_days
    )
    return f"""
SELECT p.account_idx, p.cutoff_day,
  COUNT(*) FILTER (WHERE t.act__0 - t.act__{e} > 0) AS engaged,
  {decays}
FROM {population} p
LEFT JOIN {totals} t ON t.lead_idx = p.lead_idx AND t.cutoff_day = p.cutoff_day
LEFT JOIN {recent} r ON r.lead_idx = p.lead_idx AND r.cutoff_day = p.cutoff_day
WHERE p.account_idx IS NOT NULL
GROUP BY p.account_idx, p.cutoff_day
"""


def converted_contacts_sql(all_leads: str, cutoffs: str) -> str:
    """Per account and cutoff: contacts (any, consented or not) converted before the cutoff."""
    return f"""
SELECT l.account_idx, c.cutoff_day, COUNT(*) AS converted
FROM {all_leads} l JOIN {cutoffs} c ON l.converted_at < c.cutoff_ts
WHERE l.account_idx IS NOT NULL
GROUP BY l.account_idx, c.cutoff_day
"""
