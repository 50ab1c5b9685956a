"""MQL thresholds set by sales capacity, and the models compared at equal hand-over volume.

Sales can work ``N`` leads a week (``sales_capacity``). Each model's threshold is set so that
the leads at or above it number ``N`` per week on a labelled period, and the models are
compared at that volume: MQLs per week, conversions handed over per week, precision, recall.

How weeks are counted: the leads of a training table are snapshots at cutoff dates, and each
cutoff stands for the time until the next scoring run, the table's *cadence*: the median
number of days between its consecutive distinct cutoffs (31 for monthly cutoffs over a year,
7 for weekly ones). A period of ``k`` cutoffs covers ``k × cadence / 7`` weeks (one monthly
test cutoff: 31 / 7 = 4.43 weeks). A flat table with a time column has no cutoffs: its
period covers ``(last day − first day + 1) / 7`` weeks of the leads' dates
(:func:`span_weeks`). The volume per week is the leads at or above the threshold divided by
the period's weeks.

How a threshold is chosen: the target volume is ``N × weeks`` leads; among the scores of the
period, the threshold is the score whose hand-over volume (leads scoring at or above it) is
closest to the target, the smaller volume on a tie. Points sheets give many leads the same
points, so their volume may differ from the target by the leads that share the threshold;
the table shows the volume each threshold gives.

Examples
--------
>>> scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
>>> capacity_threshold(scores, weeks=2.0, sales_capacity=1.5)  # 3 leads in 2 weeks
0.7
>>> cadence_days(pd.to_datetime(["2025-01-01", "2025-01-08", "2025-01-15"]))
7.0
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError

#: Days in a week.
WEEK_DAYS = 7


@dataclass(frozen=True)
class CapacityWhatIf:
    """The models at equal hand-over volume (:func:`equal_volume`).

    ``table`` has one row per model: ``sales_capacity`` and ``weeks`` (the question it
    answers), ``threshold``, ``mqls`` (leads at or above it over the period),
    ``mqls_per_week``, ``conversions_per_week``, ``precision``, ``recall``; ``curve`` the
    conversions captured per week against the leads handed over per week, per model
    (``model``, ``leads_per_week``, ``conversions_per_week``).
    """

    sales_capacity: float
    weeks: float
    table: pd.DataFrame
    curve: pd.DataFrame = field(repr=False)
    warnings: list[str] = field(default_factory=list)

    @property
    def thresholds(self) -> dict[str, float]:
        """Each model's threshold, by model."""
        return dict(zip(self.table["model"], self.table["threshold"].astype(float), strict=True))


def check_sales_capacity(value: object) -> float:
    """``value`` as leads per week, or an error naming ``sales_capacity``.

    Raises
    ------
    LeadscoreError
        When ``value`` is not a finite number above 0.

    >>> check_sales_capacity(25)
    25.0
    >>> check_sales_capacity("many")
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: `sales_capacity` 'many': give the leads sales can work per week, a finite number above 0.
    """  # noqa: E501
    number = None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
    if number is None or not np.isfinite(number) or number <= 0:
        shown = repr(value) if not isinstance(value, float) else f"{value:g}"
        raise LeadscoreError(
            f"`sales_capacity` {shown[:40]}: give the leads sales can work per week, "
            "a finite number above 0."
        )
    return number


def cadence_days(cutoffs: pd.Series | pd.DatetimeIndex | np.ndarray) -> float:
    """Median days between consecutive distinct ``cutoffs``: the time one cutoff stands for.

    Raises
    ------
    LeadscoreError
        With fewer than two distinct cutoffs (no cadence to count weeks by).
    """
    days = np.unique(pd.to_datetime(np.asarray(cutoffs)).to_numpy(dtype="datetime64[D]"))
    if len(days) < 2:
        raise LeadscoreError(
            "`sales_capacity` needs leads at two cutoffs or more to count weeks; "
            f"the table has {len(days)}."
        )
    return float(np.median(np.diff(days).astype(int)))


def period_weeks(cutoffs: pd.Series | np.ndarray, cadence: float) -> float:
    """Weeks covered by the leads' ``cutoffs``: distinct cutoffs × ``cadence`` days / 7."""
    n_cutoffs = len(np.unique(pd.to_datetime(np.asarray(cutoffs)).to_numpy(dtype="datetime64[D]")))
    return n_cutoffs * cadence / WEEK_DAYS


def span_weeks(times: pd.Series | np.ndarray) -> float:
    """Weeks from the first to the last day of ``times``, both days counted; rows without a
    time (an unparseable date in the export) do not stretch or shrink the period.

    Raises
    ------
    LeadscoreError
        When no row has a time.
    """
    days = pd.to_datetime(np.asarray(times)).to_numpy(dtype="datetime64[D]")
    days = days[~np.isnat(days)]
    if not len(days):
        raise LeadscoreError("`sales_capacity` needs dated rows to count weeks; none has a date.")
    return float((days.max() - days.min()).astype(int) + 1) / WEEK_DAYS


def handover_volume(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct score, highest first, and the leads scoring at or above it."""
    ordered = np.sort(np.asarray(scores, dtype=float))
    values = np.unique(ordered)[::-1]
    return values, len(ordered) - np.searchsorted(ordered, values, side="left")


def capacity_threshold(scores: np.ndarray, weeks: float, sales_capacity: float) -> float:
    """The score whose hand-over volume is closest to ``sales_capacity`` leads per week.

    Leads at or above the threshold are handed over; over ``weeks`` that is closest to
    ``sales_capacity × weeks`` leads (the smaller volume on a tie). A capacity beyond the
    leads there are gives the lowest score: every lead is handed over.
    """
    values, volume = handover_volume(scores)
    target = sales_capacity * weeks
    # argmin keeps the first: the highest threshold, the smaller volume, on a tie.
    return float(values[np.argmin(np.abs(volume - target))])


def handover_curve(labels: np.ndarray, scores: np.ndarray, weeks: float) -> pd.DataFrame:
    """Leads handed over per week against conversions among them per week, per threshold."""
    labels = np.asarray(labels, dtype=float)
    ordered = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    values, volume = handover_volume(scores)
    captured = np.concatenate([[0.0], np.cumsum(labels[ordered])])[volume]
    return pd.DataFrame(
        {
            "threshold": values,
            "leads_per_week": volume / weeks,
            "conversions_per_week": captured / weeks,
        }
    )


def equal_volume(
    labels: np.ndarray,
    scores: dict[str, np.ndarray],
    weeks: float,
    sales_capacity: float,
) -> CapacityWhatIf:
    """Every model's capacity threshold on the same leads, and what each hands over.

    Parameters
    ----------
    labels : array
        Whether each lead converted (0/1).
    scores : dict
        Model name → its score of each lead (points or probabilities: higher is better).
    weeks : float
        Weeks the leads cover (:func:`period_weeks`).
    sales_capacity : float
        Leads sales can work per week (checked by :func:`check_sales_capacity`).

    Returns
    -------
    CapacityWhatIf
        With a warning when the capacity is beyond the leads per week there are.
    """
    sales_capacity = check_sales_capacity(sales_capacity)
    labels = np.asarray(labels, dtype=bool)
    rows, curves = [], []
    for name, score in scores.items():
        score = np.asarray(score, dtype=float)
        threshold = capacity_threshold(score, weeks, sales_capacity)
        chosen = score >= threshold
        converted = int((labels & chosen).sum())
        rows.append(
            {
                "model": name,
                "sales_capacity": sales_capacity,  # the file says which capacity it answers
                "weeks": weeks,
                "threshold": threshold,
                "mqls": int(chosen.sum()),
                "mqls_per_week": chosen.sum() / weeks,
                "conversions_per_week": converted / weeks,
                "precision": converted / chosen.sum() if chosen.any() else np.nan,
                "recall": converted / labels.sum() if labels.any() else np.nan,
            }
        )
        curves.append(handover_curve(labels, score, weeks).assign(model=name))
    warnings = []
    available = len(labels) / weeks
    if sales_capacity >= available:
        warnings.append(
            f"`sales_capacity` {sales_capacity:g} leads a week is not below the "
            f"{available:,.1f} leads a week there are: the threshold hands over every lead."
        )
    elif sales_capacity * weeks < 1:
        warnings.append(
            f"`sales_capacity` {sales_capacity:g} leads a week is less than one lead in the "
            f"{weeks:.1f} weeks of the period: the threshold hands over the top-scored lead(s)."
        )
    if weeks < 1:
        warnings.append(
            f"the period covers {weeks * WEEK_DAYS:.1f} days, less than a week: figures per "
            "week rest on a few days' leads."
        )
    return CapacityWhatIf(
        sales_capacity=sales_capacity,
        weeks=weeks,
        table=pd.DataFrame(rows),
        curve=pd.concat(curves, ignore_index=True),
        warnings=warnings,
    )
