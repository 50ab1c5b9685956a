"""Reasons in words: a feature family's contribution rendered from the lead's own values.

The phrases live in ``reasons.yaml`` (one entry per feature family of the catalogue, English
and German; its header documents the kinds). Rendering is vectorised: a family's phrase is
built for all the leads that need it at once, and each distinct value is formatted once.

Families without an entry (a new feature) get a generic "column: value".

The columns of a flat table are the user's own: :class:`FlatReasonWriter` words them from the
data itself: a number with its standing among the training leads ("Time on website: 1,063 s,
top 10 % of leads"), yes/no as words, categories as "Lead Source: Reference", a date as days
before the row's time, and an empty cell only when the model says it matters ("Budget: not
given — leads without it convert less", :func:`keep_missing_with_signal`). Labels, units and
phrases per column come from an optional phrases file (:func:`load_phrases`, English and
German; ``leadscore phrases`` writes a starting one from a table or a model).

Examples
--------
>>> import pandas as pd
>>> writer = ReasonWriter({"page_pricing": ["n_page_pricing_7d", "n_page_pricing_30d"]}, "en")
>>> rows = pd.DataFrame({"n_page_pricing_7d": [3, 0, 0], "n_page_pricing_30d": [5, 1, 0]})
>>> for reason in writer.render("page_pricing", rows):
...     print(reason)
Visited the pricing page 3 times in the last 7 days
Visited the pricing page once in the last 30 days
No pricing page visit in the last 30 days
>>> german = ReasonWriter({"page_pricing": ["n_page_pricing_7d"]}, "de")
>>> german.render("page_pricing", rows)[0]
'Preisseite 3-mal besucht in den letzten 7 Tagen'
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from leadscore.errors import LeadscoreError, excerpt, name_list
from leadscore.io import read_yaml

DEFAULT_REASONS = Path(__file__).resolve().parents[1] / "reasons.yaml"
LANGUAGES = ("en", "de")
#: The phrases of each kind and the fields each phrase may fill.
_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "counts": {"one": ("n", "days"), "many": ("n", "days"), "none": ("days",)},
    "days": {"value": ("days",), "missing": ()},
    "category": {"value": ("value",), "missing": ()},
    "flag": {"set": (), "not_set": (), "missing": ()},
    "number": {"value": ("value",), "missing": ()},
}
KINDS = {kind: tuple(phrases) for kind, phrases in _FIELDS.items()}
#: A value of each field (``value`` by kind) to try the phrases' format specs on.
_SAMPLE = {"n": 2, "days": 7, "category": "label", "number": 1.5}
_WINDOW = re.compile(r"_(\d+)d$")
_GENERIC = {"en": "{column}: {value}", "de": "{column}: {value}"}
_GENERIC_MISSING = {"en": "{column} not given", "de": "{column} nicht angegeben"}


@dataclass(frozen=True)
class ReasonTemplate:
    """The phrases of one feature family."""

    family: str
    kind: str
    phrases: Mapping[str, Mapping[str, str]]
    column: str | None = None
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    fmt: str = ""


def load_reason_templates(path: str | Path | None = None) -> dict[str, ReasonTemplate]:
    """Read and check ``reasons.yaml`` (or your copy of it).

    Raises
    ------
    LeadscoreError
        Naming the file and the family, for anything that would fail while rendering: an
        unknown kind, a missing phrase, a field the kind does not fill, a bad format.
    """
    path = Path(path) if path else DEFAULT_REASONS
    raw = read_yaml(path, "reasons file")
    templates = {}
    for family, spec in raw.items():
        where = f"{path}: family {excerpt(str(family))}"
        if not isinstance(spec, dict):
            raise LeadscoreError(f"{where} must be a mapping with kind, en and de.")
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            raise LeadscoreError(f"{where} has kind {excerpt(kind)}; use one of {list(KINDS)}.")
        column = spec.get("column")
        if kind != "counts" and (not isinstance(column, str) or not column):
            raise LeadscoreError(f"{where} ({kind}) needs a column.")
        fmt = spec.get("format", "")
        try:
            format(1.5, fmt)
        except (TypeError, ValueError):
            raise LeadscoreError(
                f"{where} has format {excerpt(fmt)}, not a number format."
            ) from None
        labels = spec.get("labels", {})
        if not isinstance(labels, dict) or not all(
            isinstance(words, dict) and all(isinstance(w, str) for w in words.values())
            for words in labels.values()
        ):
            raise LeadscoreError(f"{where}: 'labels' must map each language to value: text.")
        for lang in LANGUAGES:
            _check_phrases(spec.get(lang), kind, where, lang)
        templates[family] = ReasonTemplate(
            family=family,
            kind=kind,
            phrases={lang: spec[lang] for lang in LANGUAGES},
            column=column,
            labels=labels,
            fmt=fmt,
        )
    return templates


def _check_phrases(phrases: Any, kind: str, where: str, lang: str) -> None:
    """Every phrase of ``kind`` is text that fills only the fields the kind provides."""
    phrases = phrases if isinstance(phrases, dict) else {}
    missing = [p for p in KINDS[kind] if not isinstance(phrases.get(p), str)]
    if missing:
        raise LeadscoreError(f"{where} lacks the {lang} phrase(s) {', '.join(missing)}.")
    where = f"{where} ({lang})"
    for phrase, fields in _FIELDS[kind].items():
        text = phrases[phrase]
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:  # a lone "{" or "}"
            raise LeadscoreError(f"{where}: phrase '{phrase}' is not a template ({exc}).") from None
        if used - set(fields):
            allowed = ", ".join(f"{{{f}}}" for f in fields) or "no fields"
            unknown = name_list(f"{{{f}}}" for f in used - set(fields))
            raise LeadscoreError(
                f"{where}: phrase '{phrase}' uses {unknown}; it may use {allowed}."
            )
        try:
            text.format(**{f: _SAMPLE[kind if f == "value" else f] for f in fields})
        except (ValueError, TypeError) as exc:  # a format spec that does not fit, e.g. {days:s}
            raise LeadscoreError(f"{where}: phrase '{phrase}' does not format ({exc}).") from None


def families_without_templates(
    families: Iterable[str], templates: Mapping[str, ReasonTemplate] | None = None
) -> list[str]:
    """Feature families that would fall back to the generic phrase."""
    templates = templates if templates is not None else load_reason_templates()
    return sorted(set(families) - set(templates))


def _formatted(values: np.ndarray, spec: str) -> np.ndarray:
    """``format(value, spec)`` for every value, computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    text = np.array([format(u, spec) for u in uniques] + [""], dtype=object)
    return text[codes]


def fill(template: str, n_rows: int, **fields: tuple[np.ndarray, str]) -> np.ndarray:
    """Fill ``template`` for ``n_rows`` rows; each field is ``(values, format spec)``.

    >>> fields = {"n": (np.array([3, 1]), "d"), "share": (np.array([0.5, 0.25]), ".0%")}
    >>> fill("{n} visits, {share} of them on pricing", 2, **fields).tolist()
    ['3 visits, 50% of them on pricing', '1 visits, 25% of them on pricing']
    """
    out = np.full(n_rows, "", dtype=object)
    for literal, name, spec, _ in string.Formatter().parse(template):
        if literal:
            out = out + literal
        if name is not None:
            values, default_spec = fields[name]
            out = out + _formatted(values, spec or default_spec)
    return out


def _choose(n_rows: int, options: list[tuple[np.ndarray, str, dict]]) -> np.ndarray:
    """Per row, the first option whose mask holds, filled with its fields."""
    out = np.full(n_rows, "", dtype=object)
    free = np.ones(n_rows, dtype=bool)
    for mask, template, fields in options:
        use = mask & free
        if use.any():
            out[use] = fill(
                template, int(use.sum()), **{k: (v[use], s) for k, (v, s) in fields.items()}
            )
            free &= ~use
    return out


class ReasonWriter:
    """Render reasons for one language.

    Parameters
    ----------
    family_columns : mapping
        Each family's feature columns (from the feature catalogue).
    lang : {"en", "de"}
    templates : mapping, optional
        From :func:`load_reason_templates` (default: the shipped ``reasons.yaml``).
    """

    def __init__(
        self,
        family_columns: Mapping[str, list[str]],
        lang: str = "en",
        templates: Mapping[str, ReasonTemplate] | None = None,
    ) -> None:
        if lang not in LANGUAGES:
            raise LeadscoreError(
                f"language {lang!r} is not available; use {' or '.join(LANGUAGES)}."
            )
        self.family_columns = dict(family_columns)
        self.lang = lang
        self.templates = templates if templates is not None else load_reason_templates()

    def render(self, family: str, rows: pd.DataFrame) -> np.ndarray:
        """The family's reason for every row of ``rows`` (which holds its feature columns)."""
        n = len(rows)
        template = self.templates.get(family)
        if template is None:
            return self._generic(family, rows)
        phrases = template.phrases[self.lang]
        if template.kind == "counts":
            return self._counts(family, rows, phrases)
        values = rows[template.column]
        present = values.notna().to_numpy()
        if template.kind == "category":
            text = values.astype("string")
            labels = template.labels.get(self.lang, {})
            codes, values = pd.factorize(text)  # each distinct value labelled once
            shown = np.array([labels.get(v, v) for v in values] + [""], dtype=object)[codes]
            return _choose(
                n,
                [
                    (present, phrases["value"], {"value": (shown, "")}),
                    (~present, phrases["missing"], {}),
                ],
            )
        number = values.to_numpy(dtype=float, na_value=np.nan)
        if template.kind == "flag":
            return _choose(
                n,
                [
                    (present & (number > 0), phrases["set"], {}),
                    (present, phrases["not_set"], {}),
                    (~present, phrases["missing"], {}),
                ],
            )
        if template.kind == "days":
            days = np.where(present, np.round(number), 0).astype(np.int64)
            return _choose(
                n,
                [
                    (present, phrases["value"], {"days": (days, "d")}),
                    (~present, phrases["missing"], {}),
                ],
            )
        return _choose(  # number
            n,
            [
                (present, phrases["value"], {"value": (number, template.fmt or "g")}),
                (~present, phrases["missing"], {}),
            ],
        )

    def _counts(self, family: str, rows: pd.DataFrame, phrases: Mapping[str, str]) -> np.ndarray:
        windows = sorted(
            (int(m.group(1)), c)
            for c in self.family_columns.get(family, [])
            if (m := _WINDOW.search(c)) and c in rows.columns
        )
        if not windows:
            raise LeadscoreError(f"reason family '{family}' has no windowed count columns.")
        days = np.array([d for d, _ in windows])
        counts = np.nan_to_num(rows[[c for _, c in windows]].to_numpy(dtype=float, na_value=0.0))
        has = counts > 0
        first = has.argmax(axis=1)
        n = np.round(counts[np.arange(len(rows)), first]).astype(np.int64)
        window = days[first]
        active = has.any(axis=1)
        longest = np.full(len(rows), days[-1])
        return _choose(
            len(rows),
            [
                (active & (n == 1), phrases["one"], {"n": (n, "d"), "days": (window, "d")}),
                (active, phrases["many"], {"n": (n, "d"), "days": (window, "d")}),
                (~active, phrases["none"], {"days": (longest, "d")}),
            ],
        )

    def _generic(self, family: str, rows: pd.DataFrame) -> np.ndarray:
        """ "column: value" from the family's first column (flat tables, new features)."""
        column = self.family_columns.get(family, [family])[0]
        values = rows[column]
        present = values.notna().to_numpy()
        label = column.replace("_", " ")
        shown = values.astype("string").to_numpy(dtype=object, na_value="")
        if pd.api.types.is_float_dtype(values):
            number = values.to_numpy(dtype=float, na_value=np.nan)
            shown = _formatted(number, "g")
        column_text = np.full(len(rows), label, dtype=object)
        return _choose(
            len(rows),
            [
                (present, _GENERIC[self.lang], {"column": (column_text, ""), "value": (shown, "")}),
                (~present, _GENERIC_MISSING[self.lang], {"column": (column_text, "")}),
            ],
        )


# ---------------------------------------------------------------------------------------------
# Flat tables: reasons from the columns of the user's own export.
# ---------------------------------------------------------------------------------------------

#: Smallest typical contribution (log-odds) of a column's empty cells for them to be reasons:
#: below it the model treats an empty cell like an average lead, and "not given" would explain
#: nothing. 0.1 moves a 30 % lead by about 2 percentage points.
MISSING_SIGNAL = 0.1
#: What a phrases file may say for a column in one language, and the fields each phrase fills.
PHRASE_FIELDS: dict[str, tuple[str, ...]] = {
    "value": ("label", "value"),
    "yes": ("label",),
    "no": ("label",),
    "missing": ("label",),
}
_PHRASE_KEYS = ("label", "unit", "values", *PHRASE_FIELDS)
#: Built-in phrases of flat-table reasons; a phrases file replaces them column by column.
FLAT_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "value": "{label}: {value}",
        "yes": "{label}: yes",
        "no": "{label}: no",
        "missing": "{label}: not given",
        "missing_less": " — leads without it convert less",
        "missing_more": " — leads without it convert more",
        "top": "top {p} % of leads",
        "bottom": "bottom {p} % of leads",
        "same": "as for {p} % of leads",
        "middle": "mid-range among leads",
        "before": "{n} days before {time}",
        "before_1": "1 day before {time}",
        "after": "{n} days after {time}",
        "after_1": "1 day after {time}",
        "same_day": "the same day as {time}",
        "weekday": "weekday",
        "month": "month",
        "hour": "hour",
    },
    "de": {
        "value": "{label}: {value}",
        "yes": "{label}: ja",
        "no": "{label}: nein",
        "missing": "{label}: nicht angegeben",
        "missing_less": " — Leads ohne Angabe schließen seltener ab",
        "missing_more": " — Leads ohne Angabe schließen häufiger ab",
        "top": "obere {p} % der Leads",
        "bottom": "untere {p} % der Leads",
        "same": "wie bei {p} % der Leads",
        "middle": "Mittelfeld der Leads",
        "before": "{n} Tage vor {time}",
        "before_1": "1 Tag vor {time}",
        "after": "{n} Tage nach {time}",
        "after_1": "1 Tag nach {time}",
        "same_day": "am selben Tag wie {time}",
        "weekday": "Wochentag",
        "month": "Monat",
        "hour": "Stunde",
    },
}
_PHRASES_HEADER = """\
# Phrases for the reasons of a flat-table model: leadscore score --table FILE --phrases {name}
# One entry per column, by its header as written in the export; per language (en, de):
#   label    the column's name in reasons (here: the header)
#   unit     written after its numbers, e.g. "s", "EUR", "%" (numbers only)
#   value    optional phrase for a number or category, with {{label}} and {{value}};
#            a number's standing among the training leads follows it ("top 10 % of leads")
#   yes, no  optional phrases for a yes/no column, with {{label}}
#   values   optional words for a category's values, e.g. {{1: Paid search, 2: Newsletter}}
#            (integer codes, abbreviations); other values are shown as they are
#   missing  optional phrase for an empty cell, with {{label}}; it is a reason only when the
#            model says the empty cell matters, and then says whether such leads convert
#            more or less
# Columns left out keep their header; delete what you do not want to change.
"""


#: Weekday and month names of calendar features (the typer writes them in English) by language.
_CALENDAR_NAMES: dict[str, dict[str, str]] = {
    "de": dict(
        zip(
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Mar", "May", "Oct", "Dec"],
            ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So", "Mär", "Mai", "Okt", "Dez"],
            strict=True,
        )
    )
}


@dataclass(frozen=True)
class ColumnPhrases:
    """How reasons name one column in one language (see :func:`load_phrases`)."""

    label: str
    unit: str = ""
    value: str | None = None
    yes: str | None = None
    no: str | None = None
    missing: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)


def keep_missing_with_signal(grouped: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """Contributions (leads × columns) with those of empty cells that carry no signal zeroed.

    An empty cell is a reason only when missingness itself carries signal: the median
    contribution of the column's empty cells among these leads is at least
    :data:`MISSING_SIGNAL` in size, and the lead's own contribution has its sign (so "leads
    without it convert less" holds for the column, not just for one lead's interactions).
    Zeroed contributions are never picked as reasons.

    >>> grouped = np.array([[-0.9, 0.12], [-1.1, -0.15], [0.3, 0.05], [0.2, -0.02]])
    >>> empty = np.array([[True, True], [True, True], [False, False], [True, False]])
    >>> keep_missing_with_signal(grouped, empty).tolist()  # column 2: noise around zero
    [[-0.9, 0.0], [-1.1, 0.0], [0.3, 0.05], [0.0, -0.02]]
    """
    typical = pd.DataFrame(np.where(empty, grouped, np.nan)).median().to_numpy()
    signal = np.abs(np.nan_to_num(typical)) >= MISSING_SIGNAL
    keep = signal & (np.sign(grouped) == np.sign(typical))
    return np.where(empty & ~keep, 0.0, grouped)


def default_label(header: str) -> str:
    """A column's name in reasons without a phrases file: its header, a raw name tidied.

    >>> default_label("Lead Source"), default_label("total_time_spent"), default_label("pdays")
    ('Lead Source', 'Total time spent', 'Pdays')
    """
    text = " ".join(str(header).replace("_", " ").split()) if header.islower() else header.strip()
    return text[:1].upper() + text[1:]


def load_phrases(path: str | Path) -> dict[str, dict[str, ColumnPhrases]]:
    """Read a phrases file: column (normalised header) → language → :class:`ColumnPhrases`.

    Raises
    ------
    LeadscoreError
        Naming the file and the column: an entry that is not a mapping of languages, an
        unknown language or key, a missing or empty label, a phrase that is not text or uses a
        field it may not (``value`` fills ``{label}`` and ``{value}``, the others ``{label}``),
        or two entries for the same column.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "phrases.yaml"
    >>> _ = path.write_text("Total Time Spent:\\n  en: {label: Time on website, unit: s}\\n")
    >>> words = load_phrases(path)["total_time_spent"]["en"]
    >>> words.label, words.unit, words.yes
    ('Time on website', 's', None)
    """
    from leadscore.readers import normalise_column_name

    path = Path(path)
    out: dict[str, dict[str, ColumnPhrases]] = {}
    for column, spec in read_yaml(path, "phrases file").items():
        where = f"{path}: column {excerpt(str(column))}"
        if not isinstance(spec, dict) or not spec:
            raise LeadscoreError(f"{where} must map languages ({', '.join(LANGUAGES)}) to phrases.")
        name = normalise_column_name(str(column))
        if name in out:
            raise LeadscoreError(f"{where} is given twice (headers are compared normalised).")
        out[name] = {}
        for lang, words in spec.items():
            if lang not in LANGUAGES:
                raise LeadscoreError(
                    f"{where} has language {excerpt(lang)}; use {' or '.join(LANGUAGES)}."
                )
            out[name][lang] = _column_phrases(words, f"{where} ({lang})")
    return out


def _column_phrases(words: Any, where: str) -> ColumnPhrases:
    if not isinstance(words, dict):
        raise LeadscoreError(f"{where} must be a mapping with a label, e.g. {{label: Budget}}.")
    # YAML 1.1 reads an unquoted yes/no key as a boolean.
    words = {{True: "yes", False: "no"}.get(k, k) if isinstance(k, bool) else k: v
             for k, v in words.items()}  # fmt: skip
    unknown = set(words) - set(_PHRASE_KEYS)
    if unknown:
        raise LeadscoreError(
            f"{where} has unknown key(s) {name_list(unknown)}; use {', '.join(_PHRASE_KEYS)}."
        )
    values = words.get("values", {})
    if not isinstance(values, dict) or not all(
        isinstance(k, str | int | float) and not isinstance(k, bool) and isinstance(v, str)
        for k, v in values.items()
    ):
        raise LeadscoreError(
            f"{where}: 'values' must map each value to its words, e.g. {{1: Web}}."
        )
    for key, text in words.items():
        if key not in ("unit", "values") and (not isinstance(text, str) or not text.strip()):
            raise LeadscoreError(f"{where}: '{key}' must be non-empty text.")
    if words.get("unit") is not None and not isinstance(words["unit"], str):
        raise LeadscoreError(f"{where}: 'unit' must be text, e.g. s or EUR.")
    if "label" not in words:
        raise LeadscoreError(f"{where} lacks a label.")
    for key, allowed in PHRASE_FIELDS.items():
        if key in words:
            _check_flat_phrase(words[key], allowed, f"{where}: phrase '{key}'")
    return ColumnPhrases(
        label=words["label"].strip(),
        unit=(words.get("unit") or "").strip(),
        values={_value_key(k): v for k, v in values.items()},
        **{key: words.get(key) for key in PHRASE_FIELDS},
    )


def _value_key(value: str | int | float) -> str:
    """A category value as the model sees it: text, an integer code without ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_flat_phrase(text: str, allowed: tuple[str, ...], where: str) -> None:
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        text.format(**dict.fromkeys(allowed, "x"))
    except (ValueError, IndexError, KeyError) as exc:
        if isinstance(exc, ValueError):
            raise LeadscoreError(f"{where} is not a template ({exc}).") from None
        used = {str(exc).strip("'")}
    if used - set(allowed):
        raise LeadscoreError(
            f"{where} uses {name_list(f'{{{f}}}' for f in used - set(allowed))}; "
            f"it may use {', '.join(f'{{{f}}}' for f in allowed)}."
        )


def phrases_template(columns: Iterable[tuple[str, str]], name: str = "phrases.yaml") -> str:
    """A starting phrases file for ``(header, kind)`` pairs: the headers as labels.

    Yes/no columns get their yes and no phrases, numbers an empty unit, to fill in.

    >>> print(phrases_template([("Budget (EUR)", "numeric"), ("Newsletter", "boolean")]))
    ... # doctest: +ELLIPSIS
    # Phrases for the reasons of a flat-table model: ...
    # numeric
    Budget (EUR):
      en: {label: Budget (EUR), unit: ''}
      de: {label: Budget (EUR), unit: ''}
    # boolean
    Newsletter:
      en: {label: Newsletter, 'yes': '{label}: yes', 'no': '{label}: no'}
      de: {label: Newsletter, 'yes': '{label}: ja', 'no': '{label}: nein'}
    <BLANKLINE>
    """
    import yaml

    parts = [_PHRASES_HEADER.format(name=name)]
    for header, kind in columns:
        entry = {}
        for lang in LANGUAGES:
            words: dict[str, str] = {"label": default_label(header)}
            if kind == "boolean":
                words |= {k: FLAT_WORDS[lang][k] for k in ("yes", "no")}
            elif kind == "numeric":
                words["unit"] = ""
            entry[lang] = words
        dumped = yaml.safe_dump(
            {header: entry}, allow_unicode=True, sort_keys=False, default_flow_style=None, width=200
        )
        parts.append(f"# {kind}\n{dumped}")
    return "".join(parts)


def format_numbers(values: np.ndarray, lang: str = "en") -> np.ndarray:
    """Numbers for people: thousands separators, decimals by size (each distinct value once).

    Whole numbers and numbers from 100 on without decimals, from 1 on at most two, below 1
    two significant digits; German marks in German.

    >>> format_numbers(np.array([1063.0, 4.857, 0.025, 12.5, 93.994, -3.0, 1234567.8])).tolist()
    ['1,063', '4.86', '0.025', '12.5', '93.99', '-3', '1,234,568']
    >>> format_numbers(np.array([1063.0, 4.857]), "de").tolist()
    ['1.063', '4,86']
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=float), use_na_sentinel=False)
    text = [_number(float(u), lang) for u in uniques]
    return np.array(text, dtype=object)[codes]


def _number(value: float, lang: str) -> str:
    if not np.isfinite(value):
        return ""
    size = abs(value)
    if size >= 100 or value == round(value):
        decimals = 0
    elif size >= 1:
        decimals = 2
    else:  # two significant digits
        decimals = int(-np.floor(np.log10(size))) + 1
    text = f"{value:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.translate(str.maketrans(",.", ".,")) if lang == "de" else text


class FlatReasonWriter:
    """Render reasons for the columns of a flat-table model, in words, from the data itself.

    Parameters
    ----------
    typer : TableTyper
        The model's fitted column types (``kinds_``, ``features_``, ``header``, ``time_col``).
    lang : {"en", "de"}
    phrases : mapping, optional
        From :func:`load_phrases`; columns it leaves out are named by their header.
    reference : DriftReference, optional
        The training rows' bins and shares kept with the model: a number in a watched
        feature gets its standing among the training leads ("top 10 % of leads").

    Examples
    --------
    >>> from leadscore.flat_table import TableTyper
    >>> raw = pd.DataFrame({"Budget": ["1200", "", "8000", "40"], "Newsletter": list("yyny")})
    >>> writer = FlatReasonWriter(TableTyper().fit(raw))
    >>> rows = TableTyper().fit(raw).transform(raw)
    >>> for reason in writer.render("Budget", rows, np.array([0.2, -0.4, 0.1, 0.1])):
    ...     print(reason)
    Budget: 1,200
    Budget: not given — leads without it convert less
    Budget: 8,000
    Budget: 40
    >>> writer.render("Newsletter", rows.head(3), np.zeros(3)).tolist()
    ['Newsletter: yes', 'Newsletter: yes', 'Newsletter: no']
    """

    def __init__(
        self,
        typer: Any,
        lang: str = "en",
        phrases: Mapping[str, Mapping[str, ColumnPhrases]] | None = None,
        reference: Any = None,
    ) -> None:
        if lang not in LANGUAGES:
            raise LeadscoreError(
                f"language {lang!r} is not available; use {' or '.join(LANGUAGES)}."
            )
        self.typer = typer
        self.lang = lang
        self.phrases = dict(phrases or {})
        self.reference = reference
        self.words = FLAT_WORDS[lang]
        # A feature's column and kind. A calendar feature (a date's weekday, month or hour)
        # is named after its date column and read by its values, like features the typer
        # does not list.
        self._calendar: dict[str, tuple[str, str]] = dict(getattr(typer, "calendar_", {}))
        self._column = {}
        for column, feature in getattr(typer, "features_", {}).items():
            for name in feature if isinstance(feature, list | tuple) else [feature]:
                if name not in self._calendar:
                    self._column[name] = column

    def column_phrases(self, feature: str) -> ColumnPhrases:
        """The phrases of ``feature``'s column in this language (its header by default)."""
        from leadscore.readers import normalise_column_name

        if feature in self._calendar:
            column, part = self._calendar[feature]
            label = self._label(column)
            names = _CALENDAR_NAMES.get(self.lang, {})
            return ColumnPhrases(f"{label} ({self.words.get(part, part)})", values=names)
        column = self._column.get(feature)
        if column is None:
            return ColumnPhrases(label=default_label(feature))
        found = self.phrases.get(normalise_column_name(column), {}).get(self.lang)
        return found if found is not None else ColumnPhrases(default_label(self._header(column)))

    def _label(self, column: str) -> str:
        from leadscore.readers import normalise_column_name

        found = self.phrases.get(normalise_column_name(column), {}).get(self.lang)
        return found.label if found is not None else default_label(self._header(column))

    def _header(self, column: str) -> str:
        header = getattr(self.typer, "header", None)
        return header(column) if callable(header) else column

    def kind(self, feature: str, values: pd.Series) -> str:
        """``boolean``, ``date``, ``numeric`` or ``category`` (other kinds by their values)."""
        column = self._column.get(feature)
        kind = getattr(self.typer, "kinds_", {}).get(column) if column is not None else None
        if kind in ("boolean", "date", "numeric", "category"):
            return kind
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        return "numeric" if numeric else "category"

    def render(self, feature: str, rows: pd.DataFrame, contribution: np.ndarray) -> np.ndarray:
        """The reason ``feature`` gives each row of ``rows`` (model features), whose
        contributions (log-odds) are ``contribution``: their sign says how a missing value
        weighs ("leads without it convert less")."""
        values = rows[feature]
        n = len(rows)
        words = self.column_phrases(feature)
        present = values.notna().to_numpy()
        label = (np.full(n, words.label, dtype=object), "")
        kind = self.kind(feature, values)
        missing = words.missing or self.words["missing"]
        less = np.asarray(contribution) < 0
        options: list[tuple[np.ndarray, str, dict]] = [
            (~present & less, missing + self.words["missing_less"], {"label": label}),
            (~present, missing + self.words["missing_more"], {"label": label}),
        ]
        if kind == "category":
            codes, uniques = pd.factorize(values.astype("string"))  # each value worded once
            named = [words.values.get(v, v) for v in uniques.astype(str)]
            shown = np.array([*named, ""], dtype=object)[codes]
            options.append((present, words.value or self.words["value"], _value(label, shown)))
            return _choose(n, options)
        number = values.to_numpy(dtype=float, na_value=np.nan)
        if kind == "boolean":
            options += [
                (present & (number > 0), words.yes or self.words["yes"], {"label": label}),
                (present, words.no or self.words["no"], {"label": label}),
            ]
            return _choose(n, options)
        if kind == "date":
            shown = self._days(number)
        else:
            shown = format_numbers(number, self.lang)
            if words.unit:
                shown = shown + f" {words.unit}"
            if feature not in self._calendar:  # "top 10 %" of hours of the day says nothing
                standing = self.standing(feature, number)
                shown = np.where(standing != "", shown + ", " + standing, shown)
        options.append((present, words.value or self.words["value"], _value(label, shown)))
        return _choose(n, options)

    def _days(self, days: np.ndarray) -> np.ndarray:
        """ "12 days before Created Date" from days before the row's time."""
        time = self._header(self.typer.time_col) if getattr(self.typer, "time_col", None) else "?"
        whole = np.round(np.nan_to_num(days)).astype(np.int64)
        times = (np.full(len(days), time, dtype=object), "")
        n = (np.abs(whole), "d")
        w = self.words
        return _choose(
            len(days),
            [
                (whole == 1, w["before_1"], {"time": times}),
                (whole == -1, w["after_1"], {"time": times}),
                (whole > 0, w["before"], {"n": n, "time": times}),
                (whole < 0, w["after"], {"n": n, "time": times}),
                (np.ones(len(days), dtype=bool), w["same_day"], {"time": times}),
            ],
        )

    def standing(self, feature: str, number: np.ndarray) -> np.ndarray:
        """Each number's place among the training leads, in words ("" where unknown).

        From the training shares of the bins the drift reference keeps for the model's most
        important features: "top 10 % of leads" when at most half of the training leads had
        this value or more, "bottom 20 % of leads" likewise below, "as for 60 % of leads" when
        most leads share the value, else mid-range.
        """
        out = np.full(len(number), "", dtype=object)
        reference = self.reference
        edges = getattr(getattr(reference, "binner", None), "edges_", {}).get(feature)
        if edges is None or not len(edges) or feature not in reference.shares:
            return out
        shares = np.asarray(reference.shares[feature], dtype=float)[: len(edges) + 1]
        if shares.sum() <= 0:
            return out
        shares = shares / shares.sum()  # among the leads with a value
        below = np.concatenate([[0.0], np.cumsum(shares)])
        present = ~np.isnan(number)
        code = np.searchsorted(edges, number[present], side="right")
        top, bottom, same = 1 - below[code], below[code + 1], shares[code]
        cases = [(top <= 0.5) & (top <= bottom), bottom <= 0.5, same >= 0.5]
        choice = np.select(cases, ["top", "bottom", "same"], "middle")
        pick = np.select(cases, [top, bottom, same], 0.0)
        percent = np.clip(np.round(100 * pick), 1, 100).astype(np.int64)
        text = np.empty(len(code), dtype=object)
        for name in ("top", "bottom", "same", "middle"):
            hit = choice == name
            if hit.any():
                text[hit] = fill(self.words[name], int(hit.sum()), p=(percent[hit], "d"))
        out[present] = text
        return out


def _value(label: tuple[np.ndarray, str], shown: np.ndarray) -> dict:
    return {"label": label, "value": (shown, "")}


def typer_columns(typer: Any) -> list[tuple[str, str]]:
    """``(header, kind)`` of each column a fitted :class:`~leadscore.flat_table.TableTyper`
    keeps, for :func:`phrases_template`."""
    return [(typer.header(column), kind) for column, kind in typer.kinds_.items()]


def table_columns(path: str | Path) -> list[tuple[str, str]]:
    """``(header, kind)`` of each column of a flat export that training would keep.

    Typed as ``train --table`` types it, without a target, id or time column: personal data,
    id-like, free-text, empty and constant columns are left out; dates are left out unless
    training gets a ``--time-col`` (add them by hand then).

    Raises
    ------
    LeadscoreError
        When the file is missing or cannot be read as a table.
    """
    from leadscore.flat_table import TableTyper, file_headers
    from leadscore.readers import read_table_file

    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: no such file.")
    raw = read_table_file(path)
    return typer_columns(TableTyper(headers=file_headers(raw)).fit(raw.frame))
