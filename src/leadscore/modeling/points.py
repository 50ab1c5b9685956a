"""The hand-set points model: a points sheet (``points.yaml``) applied to a feature table.

Rules read the columns of a training or scoring table (:mod:`leadscore.features`). Attribute
rules add to the fit score, behaviour rules to the engagement score; the total decides the MQL
flag, the sub-scores the grade (fit letter A-D, engagement number 1-4, A1 best).

A rule's *units* are what it counts: 1 or 0 for attribute rules and ``ever`` rules, the number
of events (at most ``cap / points``) for count rules. Its points are ``points * units``. The
learned points model (:mod:`leadscore.modeling.scorecard`) fits weights on the same units.

Event and page rules count in the windows the feature settings build (``windows_days``: 7, 30,
90 and 365 days as shipped): a sheet is read for the windows of the feature table it scores
(:func:`load_points_sheet`), and a rule on another window is refused, naming the rule and the
windows there are. ``half_life`` rules weigh events by age using the table's windows: the events
of each band between two windows (0-7, 7-30, 30-90, 90-365 days as shipped) count
``0.5 ** (band middle / half_life)`` each, an approximation of exponential decay at the
resolution of the windows.

Examples
--------
>>> import pandas as pd
>>> sheet = load_points_sheet()
>>> sheet.rule("pricing_page").columns[:2]
('n_page_pricing_7d', 'n_page_pricing_30d')
>>> sheet.mql_threshold
60.0
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.utils.validation import check_is_fitted

from leadscore.errors import LeadscoreError, excerpt, name_list
from leadscore.features.behaviour import windows_of
from leadscore.features.settings import load_settings
from leadscore.io import read_yaml

DEFAULT_POINTS = Path(__file__).resolve().parents[1] / "points.yaml"
SECTIONS = ("fit", "engagement", "negative")
#: The windows of every sheet saved before sheets followed the settings (bundles from then).
_FIXED_WINDOWS = (7, 30, 90, 365)
_RULE_KEYS = {
    "feature",
    "is",
    "at_least",
    "event",
    "page",
    "window",
    "half_life",
    "ever",
    "points",
    "cap",
}


@dataclass(frozen=True)
class Rule:
    """One line of the points sheet."""

    name: str
    section: str
    kind: Literal["is", "at_least", "window", "half_life", "ever"]
    points: float
    columns: tuple[str, ...]
    values: tuple[Any, ...] = ()
    threshold: float = 0.0
    cap: float | None = None
    half_life: float | None = None
    #: Half-life rules: the windows (days) whose counts ``columns`` holds, shortest first.
    windows: tuple[int, ...] = _FIXED_WINDOWS

    @property
    def score(self) -> Literal["fit", "engagement"]:
        """Attribute rules count towards fit, behaviour rules towards engagement."""
        return "fit" if self.kind in ("is", "at_least") else "engagement"

    @property
    def max_units(self) -> float:
        if self.kind in ("window", "half_life") and self.cap is not None:
            return self.cap / self.points
        return 1.0 if self.kind in ("is", "at_least", "ever") else math.inf

    @property
    def unit(self) -> str:
        """What one unit of the rule is, in words (for the points sheet)."""
        if self.kind in ("window", "half_life"):
            limit = "" if math.isinf(self.max_units) else f", at most {self.max_units:g}"
            return f"per event{limit}"
        return "when it applies"

    def units(self, table: pd.DataFrame) -> np.ndarray:
        """The rule's units for every row of ``table``."""
        missing = [c for c in self.columns if c not in table.columns]
        if missing:
            raise LeadscoreError(
                f"points rule '{self.name}' needs column(s) {', '.join(missing)}, which the "
                "table does not have; is it a leadscore training or scoring table?"
            )
        first = table[self.columns[0]]
        if self.kind == "is":
            return first.isin(list(self.values)).to_numpy(dtype=float)
        if self.kind == "at_least" and not pd.api.types.is_numeric_dtype(first):
            raise LeadscoreError(
                f"points rule '{self.name}' compares column '{self.columns[0]}' with a number, "
                "but the column holds text; use 'is:' with the values that earn points"
            )
        if self.kind in ("at_least", "ever"):
            return (first >= self.threshold).fillna(False).to_numpy(dtype=float)
        counts = table[list(self.columns)].fillna(0).to_numpy(dtype=float)
        if self.kind == "window":
            units = counts[:, 0]
        else:  # half-life: band counts weighted by the age of the band's middle
            edges = (0, *self.windows)
            bands = np.diff(np.column_stack([np.zeros(len(counts)), counts]), axis=1)
            middles = [(lo + hi) / 2 for lo, hi in itertools.pairwise(edges)]
            weights = np.array([0.5 ** (m / self.half_life) for m in middles])
            units = bands @ weights
        return np.minimum(units, self.max_units)


@dataclass(frozen=True)
class PointsSheet:
    """A validated points sheet (see ``points.yaml``)."""

    rules: tuple[Rule, ...]
    fit_letters: tuple[tuple[str, float], ...]
    engagement_numbers: tuple[tuple[str, float], ...]
    mql_threshold: float
    source: str

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rules]


def _finite(value: Any) -> float | None:
    """``value`` as a float if it is a finite number (not text, not a flag), else ``None``.

    >>> _finite(5), _finite("5"), _finite(True), _finite(float("inf")), _finite(10**400)
    (5.0, None, None, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the range of floats
        return None
    return number if math.isfinite(number) else None


def _what_is_wrong(value: Any) -> str | None:
    """Why ``value`` cannot be compared with a table cell, or ``None`` if it can."""
    if isinstance(value, str | bool) or _finite(value) is not None:
        return None
    if isinstance(value, list):
        return f"{excerpt(value)} is a list"
    if isinstance(value, dict):
        return f"{excerpt(value)} is a mapping"
    if value is None:
        return "a value is empty (null)"
    if isinstance(value, int | float):
        return f"{excerpt(value)} is not a finite number"
    return f"{excerpt(value)} is a {type(value).__name__}: put it in quotes"


def _is_values(spec: dict[str, Any], where: str) -> tuple[Any, ...]:
    values = spec["is"] if isinstance(spec["is"], list) else [spec["is"]]
    if not values:
        raise LeadscoreError(f"{where}: 'is' needs at least one value")
    for value in values:
        problem = _what_is_wrong(value)
        if problem:
            raise LeadscoreError(f"{where}: 'is' takes text or numbers, but {problem}")
    return tuple(values)


def _rule(name: str, section: str, spec: Any, source: str, windows: tuple[int, ...]) -> Rule:
    where = f"{source}: points rule {excerpt(name)}"
    if not isinstance(spec, dict):
        raise LeadscoreError(f"{where} must be a mapping such as {{event: ..., points: ...}}")
    unknown = set(spec) - _RULE_KEYS
    if unknown:
        raise LeadscoreError(f"{where} has unknown key(s) {name_list(unknown)}")
    points = _finite(spec.get("points"))
    if not points:
        raise LeadscoreError(
            f"{where} needs a non-zero number of 'points', not {excerpt(spec.get('points'))}"
        )
    cap = spec.get("cap")
    if cap is not None:
        cap = _finite(cap)
        if cap is None or cap * points <= 0:
            raise LeadscoreError(f"{where}: 'cap' must be a number with the sign of 'points'")
    if ("feature" in spec) + ("event" in spec) + ("page" in spec) != 1:
        raise LeadscoreError(f"{where} needs exactly one of 'feature', 'event' or 'page'")
    if "feature" in spec:
        feature = spec["feature"]
        if not isinstance(feature, str) or not feature.strip():
            raise LeadscoreError(
                f"{where}: 'feature' must be a column name, not {excerpt(feature)}"
            )
        if ("is" in spec) == ("at_least" in spec):
            raise LeadscoreError(f"{where} with 'feature' needs 'is' or 'at_least' (one of them)")
        if "is" in spec:
            return Rule(name, section, "is", points, (feature,), _is_values(spec, where))
        threshold = _finite(spec["at_least"])
        if threshold is None:
            raise LeadscoreError(
                f"{where}: 'at_least' must be a number, not {excerpt(spec['at_least'])}"
            )
        return Rule(name, section, "at_least", points, (feature,), threshold=threshold)
    kind_key, what = ("event", spec.get("event")) if "event" in spec else ("page", spec["page"])
    if not isinstance(what, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", what):
        raise LeadscoreError(
            f"{where}: '{kind_key}' must be a snake_case name such as "
            f"{'email_open' if kind_key == 'event' else 'pricing'}, not {excerpt(what)}"
        )
    base = f"n_{what}" if kind_key == "event" else f"n_page_{what}"
    if ("window" in spec) + ("half_life" in spec) + ("ever" in spec) != 1:
        raise LeadscoreError(f"{where} needs one of 'window', 'half_life' or 'ever: true'")
    if "ever" in spec and spec["ever"] is not True:
        raise LeadscoreError(f"{where}: 'ever' can only be true, not {excerpt(spec['ever'])}")
    if "ever" in spec:
        return Rule(name, section, "ever", points, (f"{base}_ever",), threshold=1.0)
    if "window" in spec:
        window = spec["window"]
        if isinstance(window, bool) or not isinstance(window, int) or window not in windows:
            raise LeadscoreError(
                f"{where}: 'window' must be one of the windows the features are built for "
                f"({', '.join(map(str, windows))} days: the feature setting windows_days), "
                f"not {excerpt(window)}"
            )
        return Rule(name, section, "window", points, (f"{base}_{window}d",), cap=cap)
    half_life = _finite(spec["half_life"])
    if half_life is None or half_life <= 0:
        raise LeadscoreError(f"{where}: 'half_life' must be a positive number of days")
    return Rule(
        name,
        section,
        "half_life",
        points,
        tuple(f"{base}_{w}d" for w in windows),
        cap=cap,
        half_life=half_life,
        windows=windows,
    )


def _bands(raw: Any, key: str, source: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, dict) or not raw:
        raise LeadscoreError(f"{source}: '{key}' must map grades to minimum points")
    for grade, minimum in raw.items():
        if _finite(minimum) is None:
            raise LeadscoreError(
                f"{source}: '{key}' must map grades to minimum points, but grade "
                f"{excerpt(str(grade))} has {excerpt(minimum)}"
            )
    bands = tuple((str(k), float(v)) for k, v in raw.items())
    if [v for _, v in bands] != sorted((v for _, v in bands), reverse=True):
        raise LeadscoreError(f"{source}: '{key}' must go from the best grade down")
    return bands


@functools.cache
def _shipped_windows() -> tuple[int, ...]:
    return load_settings().windows_days


def load_points_sheet(
    path: str | Path | None = None, windows_days: tuple[int, ...] | None = None
) -> PointsSheet:
    """Load and validate a points sheet (default: the shipped ``points.yaml``).

    Parameters
    ----------
    path : str or Path, optional
        The sheet; default: the shipped one.
    windows_days : tuple of int, optional
        The windows of the feature table the sheet will score (the settings' ``windows_days``);
        default: the shipped settings' (7, 30, 90, 365).

    Raises
    ------
    LeadscoreError
        Naming the file and the rule, for a rule that is not valid; a rule counting events in
        a window the features are not built for names the windows there are.
    """
    windows = tuple(windows_days) if windows_days is not None else _shipped_windows()
    path = Path(path) if path is not None else DEFAULT_POINTS
    raw = read_yaml(path, "points sheet")
    source = str(path)
    unknown = set(raw) - {*SECTIONS, "fit_letters", "engagement_numbers", "mql_threshold"}
    if unknown:
        raise LeadscoreError(f"{source}: unknown key(s) {name_list(unknown)}")
    rules = []
    for section in SECTIONS:
        specs = raw.get(section) or {}
        if not isinstance(specs, dict):
            raise LeadscoreError(
                f"{source}: '{section}' must map rule names to rules, not {excerpt(specs)}"
            )
        for name, spec in specs.items():
            rules.append(_rule(str(name), section, spec, source, windows))
    if not rules:
        raise LeadscoreError(f"{source}: the sheet has no rules")
    names = [r.name for r in rules]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise LeadscoreError(f"{source}: rule name(s) used twice: {', '.join(duplicated)}")
    threshold = _finite(raw.get("mql_threshold"))
    if threshold is None:
        raise LeadscoreError(f"{source}: 'mql_threshold' must be a number of points")
    return PointsSheet(
        rules=tuple(rules),
        fit_letters=_bands(raw.get("fit_letters"), "fit_letters", source),
        engagement_numbers=_bands(raw.get("engagement_numbers"), "engagement_numbers", source),
        mql_threshold=threshold,
        source=source,
    )


def with_points(sheet: PointsSheet, points: dict[str, float]) -> PointsSheet:
    """A copy of ``sheet`` with some rules' points changed (what-if analysis).

    >>> edited = with_points(load_points_sheet(), {"pricing_page": 25})
    >>> edited.rule("pricing_page").points, load_points_sheet().rule("pricing_page").points
    (25.0, 10.0)
    """
    unknown = set(points) - set(sheet.names)
    if unknown:
        raise LeadscoreError(f"no rule named {name_list(unknown)} in {sheet.source}.")
    not_numbers = [name for name, value in points.items() if _finite(value) is None]
    if not_numbers:
        raise LeadscoreError(f"points for rule(s) {name_list(not_numbers)} must be numbers.")
    rules = tuple(
        replace(r, points=float(points[r.name])) if r.name in points else r for r in sheet.rules
    )
    return replace(sheet, rules=rules, source=f"{sheet.source} (edited)")


def _as_sheet(
    sheet: str | Path | PointsSheet | None, table: pd.DataFrame | None = None
) -> PointsSheet:
    """``sheet``, loaded for the windows of ``table`` (a feature table) when it is a path."""
    if isinstance(sheet, PointsSheet):
        return sheet
    windows = windows_of(table.columns) if table is not None else ()
    return load_points_sheet(sheet, windows or None)  # other tables: the shipped windows


def rule_units(sheet: PointsSheet, table: pd.DataFrame) -> pd.DataFrame:
    """Units of every rule for every row (rule names as columns)."""
    return pd.DataFrame({r.name: r.units(table) for r in sheet.rules}, index=table.index)


def _grade(points: np.ndarray, bands: tuple[tuple[str, float], ...], worst: str) -> np.ndarray:
    grade = np.full(len(points), worst, dtype=object)
    for label, minimum in reversed(bands):  # best band last, so it wins
        grade[points >= minimum] = label
    return grade


class PointsModel(ClassifierMixin, TransformerMixin, BaseEstimator):
    """The hand-set points sheet as a scikit-learn classifier.

    ``fit`` learns only a monotone (isotonic) calibration from total points to probability, so
    the sheet can be compared with learned models on log loss and Brier as well as ranking.

    Parameters
    ----------
    sheet : str, Path or PointsSheet, optional
        The points sheet; default: the shipped ``points.yaml``.

    Attributes
    ----------
    sheet_ : PointsSheet
    calibrator_ : IsotonicRegression
        Total points to probability of converting.
    classes_ : ndarray of shape (2,)

    Examples
    --------
    >>> import pandas as pd
    >>> from leadscore.modeling.points import PointsModel
    >>> model = PointsModel()
    >>> model.get_params()
    {'sheet': None}
    """

    def __init__(self, sheet: str | Path | PointsSheet | None = None) -> None:
        self.sheet = sheet

    def fit(self, X: pd.DataFrame, y) -> PointsModel:
        self.sheet_ = _as_sheet(self.sheet, X)
        labels = np.asarray(y)
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.calibrator_ = IsotonicRegression(
            y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip"
        ).fit(self.points(X), labels)
        return self

    def _sheet(self, X: pd.DataFrame | None = None) -> PointsSheet:
        return self.sheet_ if hasattr(self, "sheet_") else _as_sheet(self.sheet, X)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each rule's points for each lead (one column per rule)."""
        sheet = self._sheet(X)
        units = rule_units(sheet, X)
        return units * np.array([r.points for r in sheet.rules])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self._sheet().names, dtype=object)

    def points(self, X: pd.DataFrame) -> np.ndarray:
        """Total points of each lead."""
        return self.transform(X).sum(axis=1).to_numpy()

    def score_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """Total, fit and engagement points, grades (A1 best) and the MQL flag per lead."""
        sheet = self._sheet(X)
        rule_points = self.transform(X)
        fit_rules = [r.name for r in sheet.rules if r.score == "fit"]
        fit = rule_points[fit_rules].sum(axis=1).to_numpy()
        total = rule_points.sum(axis=1).to_numpy()
        engagement = total - fit
        letter = _grade(fit, sheet.fit_letters, "D")
        number = _grade(engagement, sheet.engagement_numbers, "4")
        return pd.DataFrame(
            {
                "points": total,
                "fit_points": fit,
                "engagement_points": engagement,
                "fit_grade": letter,
                "engagement_grade": number,
                "grade": letter + number,
                "is_mql": total >= sheet.mql_threshold,
            },
            index=X.index,
        )

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "calibrator_")
        p = self.calibrator_.predict(self.points(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 for marketing-qualified leads (total points at or above the MQL threshold)."""
        return (self.points(X) >= self._sheet(X).mql_threshold).astype(int)
