"""Who is in the entity table: the eligibility rules, each written once, as SQL.

The entity table has one row per (lead, cutoff) for every lead that may be trained on or scored
at the cutoff. A lead is left out by the first of these rules that applies:

1. no consent to profiling: the lead is never profiled, its events are never read;
2. created on or after the cutoff: the lead did not exist yet;
3. a customer before the data: lifecycle stage ``customer`` without a conversion date;
4. converted by the cutoff: nothing is left to predict.

The leads the first two rules leave out are not *profiled* at the cutoff: nothing about them is
computed. The others are: their activity still counts in their company's features (engaged
contacts, the company's decayed engagement). The population (the profiled rows), the entity
flag and the counts of leads left out by each rule are all generated from :data:`ENTITY_RULES`,
so they cannot disagree, and a new rule reaches all three at once.

The SQL reads two relations: ``l``, one row per lead with the columns of :data:`LEAD_COLUMNS`,
and ``c``, one row per cutoff with ``cutoff_ts`` (a timestamp, UTC) and ``cutoff_day`` (whole
days since 1970-01-01).

Examples
--------
>>> [rule.reason for rule in ENTITY_RULES if not rule.profiled]
['no consent to profiling', 'created after the as-of date']
>>> print(label_sql(90))
coalesce(l.converted_at > c.cutoff_ts AND l.converted_at <= c.cutoff_ts + INTERVAL 90 DAY, FALSE)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadscore.features.engine import Engine


@dataclass(frozen=True)
class EntityRule:
    """A reason to leave a lead out of the entity table at a cutoff.

    Attributes
    ----------
    reason : str
        The reason in words, as scoring reports count the leads left out.
    sql : str
        A condition over ``l`` (the lead) and ``c`` (the cutoff) that is true, never NULL,
        when the rule leaves the lead out.
    profiled : bool
        Whether a lead the rule leaves out is still profiled at the cutoff (its activity counts
        in its company's features).
    """

    reason: str
    sql: str
    profiled: bool


#: The rules in the order they are reported: a lead left out counts under the first that applies.
ENTITY_RULES = (
    EntityRule("no consent to profiling", "NOT l.consent", profiled=False),
    EntityRule("created after the as-of date", "l.created_at >= c.cutoff_ts", profiled=False),
    EntityRule(
        "customer before the data",
        "(coalesce(l.lifecycle_stage = 'customer', FALSE) AND l.converted_at IS NULL)",
        profiled=True,
    ),
    EntityRule(
        "already converted", "coalesce(l.converted_at <= c.cutoff_ts, FALSE)", profiled=True
    ),
)
#: What the rules read of each lead (``l``), besides ``lead_idx``, its position in the leads.
LEAD_COLUMNS = ("consent", "created_at", "lifecycle_stage", "converted_at")


def _any(rules: tuple[EntityRule, ...] | list[EntityRule]) -> str:
    return "(" + " OR ".join(rule.sql for rule in rules) + ")" if rules else "FALSE"


def label_sql(horizon_days: int) -> str:
    """The label: 1 when the lead converted in ``(cutoff, cutoff + horizon_days]``."""
    return (
        f"coalesce(l.converted_at > c.cutoff_ts "
        f"AND l.converted_at <= c.cutoff_ts + INTERVAL {int(horizon_days)} DAY, FALSE)"
    )


def population_sql(leads: str, cutoffs: str, horizon_days: int) -> str:
    """The profiled (lead, cutoff) rows, whether each is in the entity table, and its label.

    Columns: ``lead_idx``, ``account_idx``, ``cutoff_day``, ``cutoff_ts``, ``in_entity``,
    ``label`` (false for every row with ``horizon_days`` 0: scoring tables have none).
    """
    unprofiled = [rule for rule in ENTITY_RULES if not rule.profiled]
    profiled = [rule for rule in ENTITY_RULES if rule.profiled]
    return f"""
SELECT l.lead_idx, l.account_idx, c.cutoff_day, c.cutoff_ts,
       NOT {_any(profiled)} AS in_entity,
       {label_sql(horizon_days)} AS label
FROM {leads} l CROSS JOIN {cutoffs} c
WHERE NOT {_any(unprofiled)}
"""


def left_out_sql(leads: str, cutoffs: str) -> str:
    """Per rule (its position in :data:`ENTITY_RULES`), the (lead, cutoff) rows it leaves out
    first; the rows no rule leaves out are the entity table's."""
    first = " ".join(f"WHEN {rule.sql} THEN {i}" for i, rule in enumerate(ENTITY_RULES))
    return f"""
SELECT rule, COUNT(*) AS n
FROM (SELECT CASE {first} END AS rule FROM {leads} l CROSS JOIN {cutoffs} c)
WHERE rule IS NOT NULL
GROUP BY rule
"""


def left_out(engine: Engine, leads: str, cutoffs: str) -> dict[str, int]:
    """How many (lead, cutoff) rows each rule leaves out, by the first rule that applies.

    Every rule is named, in the order of :data:`ENTITY_RULES`, also when it leaves none out.
    """
    found = engine.arrow(left_out_sql(leads, cutoffs)).to_pydict()
    counts = dict(zip(found["rule"], found["n"], strict=True))
    return {rule.reason: int(counts.get(i, 0)) for i, rule in enumerate(ENTITY_RULES)}
