"""Reasons in words: a feature family's contribution rendered from the lead's own values.

The phrases live in ``reasons.yaml`` (one entry per feature family of the catalogue, English
and German; its header documents the kinds). Rendering is vectorised: a family's phrase is
built for all the leads that need it at once, and each distinct value is formatted once.

Families without an entry (e.g. the columns of a flat table) get a generic "column: value".

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

DEFAULT_REASONS = Path(__file__).with_name("reasons.yaml")
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
