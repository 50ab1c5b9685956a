"""Feature settings: windows, half-lives, domain lists, service area, ICP, title rules.

The defaults ship as ``settings.yaml`` next to this module. A user file passed with
``--settings`` overrides any top-level key it names (nested sections such as ``icp`` are merged
key by key); unknown keys and invalid values are errors that name the file and the key.

Examples
--------
>>> s = load_settings()
>>> s.windows_days
(7, 30, 90, 365)
>>> s.intent_signals["pricing_page"].detail
('pricing', 'configurator')
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadscore.contract import EVENT_TYPES, PAGE_CATEGORIES
from leadscore.errors import LeadscoreError, excerpt, name_list
from leadscore.io import read_yaml

DEFAULT_SETTINGS = Path(__file__).resolve().parents[1] / "settings.yaml"
SENIORITY_LEVELS = ("c_level", "vp", "director", "manager", "individual", "student", "unknown")
DEPARTMENTS = ("marketing", "sales", "it", "finance", "hr", "operations", "other")
#: Longest window, horizon or half-life accepted: ten years covers any sales cycle, and larger
#: values overflow date arithmetic.
MAX_DAYS = 3660


@dataclass(frozen=True)
class IntentSignal:
    """A strong buying signal: an event type, optionally only with some details."""

    event_type: str
    detail: tuple[str, ...] = ()


@dataclass(frozen=True)
class TitleRule:
    value: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class TitleRules:
    seniority: tuple[TitleRule, ...]
    department: tuple[TitleRule, ...]
    vocabulary: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    """Validated feature settings (see ``settings.yaml`` for the meaning of each key)."""

    horizon_days: int
    windows_days: tuple[int, ...]
    half_lives_days: tuple[float, ...]
    burst_days: int
    velocity_recent_days: int
    velocity_baseline_days: int
    ratio_window_days: int
    engaged_days: int
    account_event_windows_days: tuple[int, ...]
    page_categories: tuple[str, ...]
    intent_signals: dict[str, IntentSignal]
    passive_event_types: tuple[str, ...]
    freemail_domains: frozenset[str]
    education_domains: frozenset[str]
    education_patterns: tuple[str, ...]
    competitor_domains: frozenset[str]
    internal_domains: frozenset[str]
    service_area: frozenset[str]
    icp_industries: frozenset[str]
    icp_employees: tuple[float, float]
    icp_annual_revenue: tuple[float, float]
    integrable_tools: frozenset[str]
    unsupported_tools: frozenset[str]
    bands: dict[str, tuple[float, ...]]
    titles: TitleRules
    source: str = str(DEFAULT_SETTINGS)

    @property
    def lookback_days(self) -> int:
        """Longest look-back of the window features (decay and bursts stay within it)."""
        return max(self.windows_days)


def _read_yaml(path: Path) -> dict[str, Any]:
    return read_yaml(path, "settings file")


class _Checker:
    """Typed access to raw settings that fails with the file and key named."""

    def __init__(self, raw: dict[str, Any], source: str) -> None:
        self.raw = raw
        self.source = source

    def fail(self, key: str, problem: str) -> LeadscoreError:
        return LeadscoreError(f"{self.source}: setting '{key}' {problem}")

    def distinct(self, key: str, values: list, same: Callable[[Any], Any] = lambda v: v) -> None:
        """Refuse a list that gives a value twice: each value names a feature column (a window,
        a page category) or is a band edge, so a repeat is a mistake, not a wish."""
        seen: dict[Any, Any] = {}
        for value in values:
            identity = same(value)
            if identity in seen:
                first = seen[identity]
                twice = (
                    f"lists {excerpt(value)} twice"
                    if first == value
                    else f"lists {excerpt(first)} and {excerpt(value)}, which count as the same"
                )
                raise self.fail(key, f"{twice}: give each value once")
            seen[identity] = value

    def get(self, key: str) -> Any:
        value: Any = self.raw
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                raise self.fail(key, "is missing")
            value = value[part]
        return value

    def days(self, key: str, value: Any = None) -> int:
        value = self.get(key) if value is None else value
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(key, f"must be a positive whole number of days, not {excerpt(value)}")
        if value > MAX_DAYS:
            raise self.fail(key, f"must be at most {MAX_DAYS:,} days (10 years), not {value:,}")
        return value

    def day_list(self, key: str) -> tuple[int, ...]:
        values = self.get(key)
        if not isinstance(values, list) or not values:
            raise self.fail(key, "must be a non-empty list of days")
        days = [self.days(key, v) for v in values]
        self.distinct(key, days)
        return tuple(sorted(days))

    def strings(self, key: str, values: Any = None) -> tuple[str, ...]:
        values = self.get(key) if values is None else values
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.fail(key, f"must be a list of text values, not {excerpt(values)}")
        self.distinct(key, values)
        return tuple(values)

    def lower_set(self, key: str) -> frozenset[str]:
        return frozenset(v.strip().lower() for v in self.strings(key))

    def numbers(
        self, key: str, length: int | None = None, *, distinct: bool = False
    ) -> tuple[float, ...]:
        """Numbers in increasing order; ``distinct``: each once (band edges), else a range's
        lower and upper bound may be equal."""
        values = self.get(key)
        floats = [_as_float(v) for v in values] if isinstance(values, list) else [None]
        if None in floats or (length is not None and len(floats) != length):
            size = f"{length} " if length else ""
            raise self.fail(key, f"must be a list of {size}numbers, not {excerpt(values)}")
        if distinct:
            self.distinct(key, values, same=float)
        if floats != sorted(floats):
            raise self.fail(key, "must be in increasing order")
        return tuple(floats)  # type: ignore[arg-type]

    def positive_days(self, key: str) -> tuple[float, ...]:
        """Distinct positive numbers of days (half-lives), in the order given."""
        values = self.get(key)
        floats = [_as_float(v) for v in values] if isinstance(values, list) and values else [None]
        if any(f is None or not 0 < f <= MAX_DAYS for f in floats):
            raise self.fail(
                key,
                f"must be a list of positive numbers of days up to {MAX_DAYS:,}, "
                f"not {excerpt(values)}",
            )
        self.distinct(key, values, same=lambda v: f"{v:g}")  # as in the feature name decay_act_30
        return tuple(floats)  # type: ignore[arg-type]

    def event_type(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or value not in EVENT_TYPES:
            raise self.fail(
                key, f"names unknown event type {excerpt(value)} (known: {', '.join(EVENT_TYPES)})"
            )
        return value

    def patterns(self, key: str, values: Any) -> tuple[str, ...]:
        """Valid regular expressions, with groups made non-capturing (only matching matters)."""
        if not isinstance(values, list) or not values:
            raise self.fail(key, "must be a non-empty list of regular expressions")
        for pattern in values:
            if not isinstance(pattern, str):
                raise self.fail(
                    key, f"must hold regular expressions as text, not {excerpt(pattern)}"
                )
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.fail(
                    key, f"has an invalid regular expression {excerpt(pattern)} ({exc.msg})"
                ) from None
        self.distinct(key, values)
        return tuple(re.sub(r"(?<!\\)\((?!\?)", "(?:", p) for p in values)


def _as_float(value: Any) -> float | None:
    """``value`` as a float if it is a number that is not NaN, else ``None``.

    >>> _as_float(3), _as_float(True), _as_float(float("nan")), _as_float(10**400)
    (3.0, None, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the range of floats
        return None
    return None if number != number else number


#: Sections whose keys are the user's own names: a user file replaces them as a whole.
_USER_NAMED_SECTIONS = frozenset({"intent_signals"})


def _merge(defaults: dict[str, Any], user: dict[str, Any], source: str) -> dict[str, Any]:
    unknown = set(user) - set(defaults)
    if unknown:
        raise LeadscoreError(f"{source}: unknown setting(s) {name_list(unknown)}")
    merged = dict(defaults)
    for key, value in user.items():
        if key in _USER_NAMED_SECTIONS:
            merged[key] = value
        elif isinstance(defaults[key], dict) and not isinstance(value, dict):
            raise LeadscoreError(
                f"{source}: setting '{key}' must be a section of settings such as "
                f"{', '.join(list(defaults[key])[:3])}, not {excerpt(value)}"
            )
        elif isinstance(defaults[key], dict):
            inner_unknown = set(value) - set(defaults[key])
            if inner_unknown:
                names = name_list(f"{key}.{k}" for k in inner_unknown)
                raise LeadscoreError(f"{source}: unknown setting(s) {names}")
            merged[key] = {**defaults[key], **value}
        else:
            merged[key] = value
    return merged


def _title_rules(check: _Checker, path: Path) -> TitleRules:
    raw = _read_yaml(path)
    titles = _Checker(raw, str(path))

    def rules(section: str, field: str, allowed: tuple[str, ...]) -> tuple[TitleRule, ...]:
        entries = titles.get(section)
        if not isinstance(entries, list):
            raise titles.fail(section, "must be a list of rules")
        out = []
        for i, entry in enumerate(entries):
            key = f"{section}[{i}]"
            if not isinstance(entry, dict) or entry.get(field) not in allowed:
                raise titles.fail(key, f"needs '{field}' set to one of {', '.join(allowed)}")
            patterns = titles.patterns(f"{key}.patterns", entry.get("patterns"))
            out.append(TitleRule(entry[field], tuple(fold_text(p) for p in patterns)))
        return tuple(out)

    return TitleRules(
        seniority=rules("seniority", "level", SENIORITY_LEVELS),
        department=rules("department", "department", DEPARTMENTS),
        vocabulary=tuple(fold_text(w) for w in titles.strings("vocabulary")),
    )


def fold_text(text: str) -> str:
    """Lower-case and fold German umlauts, as title rules expect.

    Examples
    --------
    >>> fold_text("Geschäftsführerin")
    'geschaeftsfuehrerin'
    """
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    return text.lower().translate(table)


def load_settings(path: str | Path | None = None) -> Settings:
    """Load the default settings, overridden by the file at ``path`` if given.

    Raises
    ------
    LeadscoreError
        Naming the file and the key, for unknown keys and invalid values.
    """
    raw = _read_yaml(DEFAULT_SETTINGS)
    source = str(DEFAULT_SETTINGS)
    titles_base = DEFAULT_SETTINGS.parent
    shipped_titles = raw.get("titles")
    if path is not None:
        path = Path(path)
        user = _read_yaml(path)
        raw = _merge(raw, user, str(path))
        source = str(path)
        if "titles" in user:
            titles_base = path.parent
    check = _Checker(raw, source)

    half_lives = check.positive_days("half_lives_days")
    pages = check.strings("page_categories")
    unknown_pages = sorted(set(pages) - set(PAGE_CATEGORIES))
    if unknown_pages:
        raise check.fail(
            "page_categories",
            f"names unknown page categories {unknown_pages} (known: {', '.join(PAGE_CATEGORIES)})",
        )

    raw_signals = check.get("intent_signals")
    if not isinstance(raw_signals, dict) or not raw_signals:
        raise check.fail("intent_signals", "must map signal names to an event_type")
    signals = {}
    for name, spec in raw_signals.items():
        key = f"intent_signals.{name}"
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise check.fail(f"intent_signals.{excerpt(name)}", "needs a snake_case name")
        if not isinstance(spec, dict) or set(spec) - {"event_type", "detail"}:
            raise check.fail(key, "must give event_type (and optionally detail), nothing else")
        detail = spec.get("detail", [])
        detail = [detail] if isinstance(detail, str) else detail
        signals[name] = IntentSignal(
            check.event_type(f"{key}.event_type", spec.get("event_type")),
            check.strings(f"{key}.detail", detail),
        )
    for passive in check.strings("passive_event_types"):
        check.event_type("passive_event_types", passive)

    bands = {
        name: check.numbers(f"bands.{name}", distinct=True)
        for name in ("employees", "annual_revenue", "age", "income")
    }
    titles = check.get("titles")
    if not isinstance(titles, str) or not titles.strip():
        raise check.fail("titles", f"must be the name of a YAML file, not {excerpt(titles)}")
    titles_path = titles_base / titles
    if titles == shipped_titles and not titles_path.exists():
        # A copy of the shipped settings.yaml names the shipped title rules: keep using them.
        titles_path = DEFAULT_SETTINGS.parent / titles
    return Settings(
        horizon_days=check.days("horizon_days"),
        windows_days=check.day_list("windows_days"),
        half_lives_days=half_lives,
        burst_days=check.days("burst_days"),
        velocity_recent_days=check.days("velocity_recent_days"),
        velocity_baseline_days=check.days("velocity_baseline_days"),
        ratio_window_days=check.days("ratio_window_days"),
        engaged_days=check.days("engaged_days"),
        account_event_windows_days=check.day_list("account_event_windows_days"),
        page_categories=pages,
        intent_signals=signals,
        passive_event_types=check.strings("passive_event_types"),
        freemail_domains=check.lower_set("email_domains.freemail"),
        education_domains=check.lower_set("email_domains.education"),
        education_patterns=check.patterns(
            "email_domains.education_patterns", check.get("email_domains.education_patterns")
        ),
        competitor_domains=check.lower_set("email_domains.competitor"),
        internal_domains=check.lower_set("email_domains.internal"),
        service_area=frozenset(c.upper() for c in check.strings("service_area")),
        icp_industries=check.lower_set("icp.industries"),
        icp_employees=check.numbers("icp.employees", 2),  # type: ignore[arg-type]
        icp_annual_revenue=check.numbers("icp.annual_revenue", 2),  # type: ignore[arg-type]
        integrable_tools=check.lower_set("technologies.integrable"),
        unsupported_tools=check.lower_set("technologies.unsupported"),
        bands=bands,
        titles=_title_rules(check, titles_path),
        source=source,
    )


#: The settings-file key of each :class:`Settings` field named differently (to name them to users).
SETTING_KEYS = {
    "freemail_domains": "email_domains.freemail",
    "education_domains": "email_domains.education",
    "education_patterns": "email_domains.education_patterns",
    "competitor_domains": "email_domains.competitor",
    "internal_domains": "email_domains.internal",
    "icp_industries": "icp.industries",
    "icp_employees": "icp.employees",
    "icp_annual_revenue": "icp.annual_revenue",
    "integrable_tools": "technologies.integrable",
    "unsupported_tools": "technologies.unsupported",
}
