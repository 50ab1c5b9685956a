"""Reasons in words: every feature family has English and German phrases that fill in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.features.behaviour import behaviour_features
from leadscore.features.catalogue import catalogue_frame
from leadscore.features.pipeline import EXPLICIT_CATALOGUE
from leadscore.reasons import (
    LANGUAGES,
    ReasonWriter,
    families_without_templates,
    load_reason_templates,
)
from leadscore.settings import load_settings


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    return catalogue_frame([*EXPLICIT_CATALOGUE, *behaviour_features(load_settings())])


def test_every_feature_family_has_a_template_in_every_language(catalogue) -> None:
    assert families_without_templates(catalogue["family"]) == []
    templates = load_reason_templates()
    for template in templates.values():
        assert set(template.phrases) == set(LANGUAGES)


def test_every_template_renders_readable_text_for_typical_and_missing_values(catalogue) -> None:
    columns = catalogue.groupby("family")["name"].apply(list).to_dict()
    rows = pd.DataFrame(
        {
            name: (
                pd.Series(["director", None], dtype="string")
                if kind == "categorical"
                else pd.Series([3.0, np.nan])
            )
            for name, kind in catalogue[["name", "kind"]].itertuples(index=False)
        }
    )
    for lang in LANGUAGES:
        writer = ReasonWriter(columns, lang)
        for family in columns:
            text = writer.render(family, rows)
            assert all(isinstance(t, str) and len(t) > 5 for t in text), (lang, family, text)
            assert not any("{" in t or "}" in t for t in text), (lang, family, text)


def test_values_are_the_leads_own(catalogue) -> None:
    columns = catalogue.groupby("family")["name"].apply(list).to_dict()
    rows = pd.DataFrame(
        {
            "seniority": pd.Series(["director", "student"], dtype="string"),
            "email_domain_type": pd.Series(["freemail", "corporate"], dtype="string"),
            "days_since_last_action": [94.0, np.nan],
            "account_hiring_sales_90d": [2.0, 0.0],
            "account_hiring_sales_365d": [2.0, 0.0],
        }
    )
    en = ReasonWriter(columns, "en")
    assert en.render("seniority", rows).tolist() == ["Director-level role", "Student role"]
    assert en.render("email_domain_type", rows)[0] == "Uses a free-mail address"
    assert en.render("recency", rows).tolist() == [
        "No activity for 94 days",
        "Has never been active",
    ]
    assert en.render("account_hiring_sales", rows)[0] == (
        "Company is hiring sales staff: 2 posts in the last 90 days"
    )
    de = ReasonWriter(columns, "de")
    assert de.render("recency", rows)[0] == "Seit 94 Tagen keine Aktivität"


def test_unknown_family_gets_a_generic_phrase_and_bad_language_is_refused() -> None:
    writer = ReasonWriter({"employees": ["employees"]}, "en", templates={})
    rows = pd.DataFrame({"employees": [1200.0, np.nan]})
    assert writer.render("employees", rows).tolist() == ["employees: 1200", "employees not given"]
    with pytest.raises(LeadscoreError, match="language 'fr'"):
        ReasonWriter({}, "fr")


def test_a_template_without_a_phrase_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "reasons.yaml"
    path.write_text("recency: {kind: days, column: x, en: {value: 'a {days}'}, de: {value: 'b'}}")
    with pytest.raises(LeadscoreError, match=r"family 'recency' lacks the en phrase\(s\) missing"):
        load_reason_templates(path)


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("[days, x]", "family 'recency' must be a mapping with kind, en and de"),
        ("{kind: [days], column: x}", "family 'recency' has kind ['days']"),
        (
            "{kind: days, column: x, en: {value: '{n} days', missing: m}, de: {value: v, "
            "missing: m}}",
            "family 'recency' (en): phrase 'value' uses {n}; it may use {days}",
        ),
        (
            "{kind: days, column: x, en: {value: '{days.real}', missing: m}, de: {value: v, "
            "missing: m}}",
            "phrase 'value' uses {days.real}",
        ),
        (
            "{kind: days, column: x, en: {value: 'a {', missing: m}, de: {value: v, missing: m}}",
            "family 'recency' (en): phrase 'value' is not a template",
        ),
        (
            "{kind: days, column: x, en: {value: '{days:s}', missing: m}, de: {value: v, "
            "missing: m}}",
            "phrase 'value' does not format",
        ),
        (
            "{kind: number, column: x, format: xyz, en: {value: v, missing: m}, de: {value: v, "
            "missing: m}}",
            "family 'recency' has format 'xyz', not a number format",
        ),
        (
            "{kind: category, column: x, labels: {en: {a: [b]}}, en: {value: v, missing: m}, "
            "de: {value: v, missing: m}}",
            "'labels' must map each language to value: text",
        ),
        ("{kind: days, column: [x], en: {}, de: {}}", "family 'recency' (days) needs a column"),
    ],
    ids=[
        "list-entry",
        "list-kind",
        "unknown-field",
        "attribute-field",
        "lone-brace",
        "bad-spec",
        "bad-format",
        "list-label",
        "list-column",
    ],
)
def test_reason_files_that_would_fail_while_rendering_are_refused(
    tmp_path, entry: str, fragment: str
) -> None:
    path = tmp_path / "reasons.yaml"
    path.write_text(f"recency: {entry}\n")
    with pytest.raises(LeadscoreError) as caught:
        load_reason_templates(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert fragment in str(caught.value)
