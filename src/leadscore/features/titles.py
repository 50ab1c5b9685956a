"""Normalise free-text job titles into seniority and department.

Rules live in the editable ``titles.yaml`` (see :mod:`leadscore.features.settings`). Work is
done per distinct title and per distinct word, never per lead, so a million leads with a few
thousand distinct titles take well under a second.

Examples
--------
>>> import pandas as pd
>>> from leadscore.features.settings import load_settings
>>> titles = pd.Series(["Marketingleiterin", "VP Sales", "werkstudent (m/w/d)", "Softwre Engineer"])
>>> normalise_titles(titles, load_settings().titles)
    seniority department
0    director  marketing
1          vp      sales
2     student      other
3  individual         it
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from leadscore.features.settings import TitleRules, fold_text

_GENDER_SUFFIX = r"\(?\b[mwfd]\s*/\s*[mwfd](\s*/\s*[mwfdx])?\b\)?"
_WORD = re.compile(r"[a-z]{4,}")


def _clean(titles: pd.Index) -> pd.Index:
    folded = pd.Index([fold_text(t) for t in titles])  # distinct titles only
    return (
        folded.str.replace(_GENDER_SUFFIX, " ", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )


def _vocabulary(rules: TitleRules) -> list[str]:
    words = set(rules.vocabulary)
    for rule in (*rules.seniority, *rules.department):
        for pattern in rule.patterns:
            words.update(_WORD.findall(re.sub(r"\\[a-z]", " ", pattern)))
    return sorted(words)


def _correct_typos(titles: pd.Index, rules: TitleRules) -> pd.Index:
    """Replace misspelt words by the closest rule word (one edit away in length)."""
    vocabulary = _vocabulary(rules)
    known = set(vocabulary)
    words = {w for t in titles for w in _WORD.findall(t)} - known
    fixes: dict[str, str] = {}
    for word in words:  # distinct unknown words, not rows
        close = [
            c
            for c in difflib.get_close_matches(word, vocabulary, n=3, cutoff=0.8)
            if abs(len(c) - len(word)) <= 1
        ]
        if close:
            fixes[word] = close[0]
    if not fixes:
        return titles
    pattern = re.compile(
        r"\b(" + "|".join(map(re.escape, sorted(fixes, key=len, reverse=True))) + r")\b"
    )
    return pd.Index([pattern.sub(lambda m: fixes[m.group(1)], t) for t in titles])


def _first_match(titles: pd.Index, rules, default: str) -> np.ndarray:
    result = np.full(len(titles), default, dtype=object)
    open_ = np.ones(len(titles), dtype=bool)
    for rule in rules:
        hit = open_ & np.asarray(titles.str.contains("|".join(rule.patterns), regex=True))
        result[hit] = rule.value
        open_ &= ~hit
    return result


def normalise_titles(titles: pd.Series, rules: TitleRules) -> pd.DataFrame:
    """Seniority and department of each title (``unknown`` / ``other`` when nothing matches).

    Parameters
    ----------
    titles : Series
        Free-text job titles, any case and language; missing values are allowed.
    rules : TitleRules
        From :func:`leadscore.features.settings.load_settings` (``settings.titles``).

    Returns
    -------
    DataFrame
        ``seniority`` and ``department``, aligned with ``titles``.
    """
    codes, uniques = pd.factorize(titles.astype("string").fillna(""))
    cleaned = _correct_typos(_clean(pd.Index(uniques, dtype=object)), rules)
    seniority = _first_match(cleaned, rules.seniority, "unknown")
    department = _first_match(cleaned, rules.department, "other")
    return pd.DataFrame(
        {"seniority": seniority[codes], "department": department[codes]}, index=titles.index
    )
