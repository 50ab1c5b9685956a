"""Reasons in words: every feature family has English and German phrases that fill in."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.errors import LeadscoreError
from leadscore.features.behaviour import behaviour_features
from leadscore.features.catalogue import catalogue_frame
from leadscore.features.pipeline import EXPLICIT_CATALOGUE
from leadscore.features.settings import load_settings
from leadscore.flat_table import TableTyper
from leadscore.modeling.drift import DriftReference
from leadscore.modeling.reasons import (
    LANGUAGES,
    FlatReasonWriter,
    ReasonWriter,
    families_without_templates,
    format_numbers,
    load_phrases,
    load_reason_templates,
    phrases_template,
    table_columns,
)


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


# --- Flat tables: reasons in words from the user's own columns (issue 11, item 6) -----------


@pytest.fixture(scope="module")
def flat() -> tuple[TableTyper, pd.DataFrame]:
    """A typed export: a number, a yes/no, a category and a date before the row's time."""
    raw = pd.DataFrame(
        {
            "Time on Site": [f"{v:,}" for v in range(0, 2000, 2)],  # "1,063": thousands
            "Newsletter": ["Yes", "No"] * 500,
            "Lead Source": ["Reference", "Google", "Olark Chat", ""] * 250,
            "Created": ["2025-03-10"] * 1000,
            "First Touch": ["2025-03-01", "2025-03-09", "2025-03-10", "2025-03-12"] * 250,
        }
    )
    typer = TableTyper(time_col="Created", headers={"Lead Source": "Lead Source"}).fit(raw)
    return typer, typer.transform(raw)


def test_numbers_read_as_people_write_them() -> None:
    values = np.array([1063.0, 4.857, 0.025, 12.5, 93.994, 0.0, -3.0, 1234567.8, np.nan, 2e-6])
    assert format_numbers(values).tolist() == [
        "1,063", "4.86", "0.025", "12.5", "93.99", "0", "-3", "1,234,568", "", "0.000002",
    ]  # fmt: skip
    assert format_numbers(values[:5], "de").tolist() == ["1.063", "4,86", "0,025", "12,5", "93,99"]


def test_a_number_gets_its_standing_among_the_training_leads(flat) -> None:
    typer, rows = flat
    reference = DriftReference.fit(rows, ["Time_on_Site"])  # what the bundle keeps
    writer = FlatReasonWriter(typer, "en", reference=reference)
    picked = rows.iloc[[999, 10, 500]]
    assert writer.render("Time_on_Site", picked, np.ones(3)).tolist() == [
        "Time on Site: 1,998, top 10 % of leads",
        "Time on Site: 20, bottom 10 % of leads",
        "Time on Site: 1,000, top 50 % of leads",
    ]
    german = FlatReasonWriter(typer, "de", reference=reference)
    assert german.render("Time_on_Site", picked, np.ones(3))[0] == (
        "Time on Site: 1.998, obere 10 % der Leads"
    )
    # Without a reference (a feature the model does not watch) the value stands alone.
    assert FlatReasonWriter(typer).render("Time_on_Site", picked, np.ones(3))[0] == (
        "Time on Site: 1,998"
    )


def test_every_number_has_a_standing_but_only_the_top_features_are_watched_for_drift(
    flat,
) -> None:
    typer, rows = flat
    rows = rows.assign(Visits=np.arange(len(rows)) % 10)
    # compare_flat keeps the bins of every number, and watches the top features only.
    reference = DriftReference.fit(rows, ["Time_on_Site"], also=["Visits", "Time_on_Site"])
    assert list(reference.shares) == ["Time_on_Site", "Visits"]
    shifted = rows.assign(Visits=rows["Visits"] * 100)  # a drift nobody watches
    assert reference.compare(shifted)["feature"].tolist() == ["Time_on_Site"]
    writer = FlatReasonWriter(typer, "en", reference=reference)
    assert writer.standing("Visits", np.array([9.0]))[0] == "top 10 % of leads"


def test_shared_values_and_the_middle_read_as_such() -> None:
    # 55 % of the training leads had 0 visits, 30 % one, 15 % two or more.
    reference = SimpleNamespace(
        binner=SimpleNamespace(edges_={"visits": np.array([1.0, 2.0])}),
        shares={"visits": np.array([0.55, 0.30, 0.15, 0.0])},
    )
    writer = FlatReasonWriter(SimpleNamespace(kinds_={}, features_={}), reference=reference)
    rows = pd.DataFrame({"visits": [0.0, 1.0, 2.0, 7.0]})
    assert writer.standing("visits", rows["visits"].to_numpy()).tolist() == [
        "as for 55 % of leads", "top 45 % of leads",
        "top 15 % of leads", "top 15 % of leads",
    ]  # fmt: skip
    reference.shares["visits"] = np.array([0.3, 0.4, 0.3, 0.0])
    assert writer.standing("visits", np.array([1.0]))[0] == "mid-range among leads"


def test_yes_no_categories_and_dates_are_words(flat) -> None:
    typer, rows = flat
    writer = FlatReasonWriter(typer)
    two = rows.head(2)
    assert writer.render("Newsletter", two, np.ones(2)).tolist() == [
        "Newsletter: yes",
        "Newsletter: no",
    ]
    assert writer.render("Lead_Source", two, np.ones(2))[0] == "Lead Source: Reference"
    assert writer.render("First_Touch", rows.head(4), np.ones(4)).tolist() == [
        "First Touch: 9 days before Created",
        "First Touch: 1 day before Created",
        "First Touch: the same day as Created",
        "First Touch: 2 days after Created",
    ]
    german = FlatReasonWriter(typer, "de")
    assert german.render("Newsletter", two, np.ones(2)).tolist() == [
        "Newsletter: ja",
        "Newsletter: nein",
    ]
    assert german.render("First_Touch", rows.head(1), np.ones(1))[0] == (
        "First Touch: 9 Tage vor Created"
    )


def test_a_missing_value_says_how_such_leads_convert(flat) -> None:
    typer, rows = flat
    empty = rows.iloc[[3, 7]]  # Lead Source not given
    for lang, less, more in (
        ("en", "Lead Source: not given — leads without it convert less",
         "Lead Source: not given — leads without it convert more"),
        ("de", "Lead Source: nicht angegeben — Leads ohne Angabe schließen seltener ab",
         "Lead Source: nicht angegeben — Leads ohne Angabe schließen häufiger ab"),
    ):  # fmt: skip
        reasons = FlatReasonWriter(typer, lang).render("Lead_Source", empty, np.array([-0.5, 0.4]))
        assert reasons.tolist() == [less, more]


def test_other_kinds_are_read_by_their_values() -> None:
    typer = SimpleNamespace(
        kinds_={"region_code": "code", "hour": "calendar"},
        features_={"region_code": "region_code", "hour": "hour"},
        header=lambda name: {"region_code": "Region Code"}.get(name, name),
    )
    rows = pd.DataFrame(
        {"region_code": pd.Series(["7", "12"], dtype="string"), "hour": [9.0, 14.0]}
    )
    writer = FlatReasonWriter(typer)
    assert writer.render("region_code", rows, np.ones(2)).tolist() == [
        "Region Code: 7",
        "Region Code: 12",
    ]
    assert writer.render("hour", rows, np.ones(2)).tolist() == ["Hour: 9", "Hour: 14"]
    # Calendar features of a date column: named after the column and the part, by language.
    typer.calendar_ = {
        "created_weekday": ("created", "weekday"),
        "created_hour": ("created", "hour"),
    }
    typer.features_["created"] = "created_weekday"
    typer.kinds_["created"] = "date"
    rows = rows.assign(
        created_weekday=pd.Series(["Mon", "Sat"], dtype="string"), created_hour=[9.0, 23.0]
    )
    reference = DriftReference.fit(rows, ["created_hour"])
    writer = FlatReasonWriter(typer, reference=reference)
    assert writer.render("created_weekday", rows, np.ones(2)).tolist() == [
        "Created (weekday): Mon",
        "Created (weekday): Sat",
    ]
    assert writer.render("created_hour", rows, np.ones(2))[1] == "Created (hour): 23"
    german = FlatReasonWriter(typer, "de").render("created_weekday", rows, np.ones(2))
    assert german.tolist() == ["Created (Wochentag): Mo", "Created (Wochentag): Sa"]


def test_a_phrases_file_names_columns_in_each_language(flat, tmp_path) -> None:
    typer, rows = flat
    path = tmp_path / "phrases.yaml"
    path.write_text(
        "Time on Site:\n"
        "  en: {label: Time on website, unit: s}\n"
        "  de: {label: Zeit auf der Website, unit: s}\n"
        "newsletter:\n"  # a normalised name works as well as the header
        "  en: {label: Newsletter, 'yes': Reads our newsletter, 'no': 'No newsletter'}\n"
        "Lead Source:\n"
        "  de: {label: Quelle, value: 'Kam über {value}', missing: '{label} unbekannt'}\n"
        "  en: {label: Lead Source, values: {Reference: a referral, 7: Code seven}}\n",
        encoding="utf-8",
    )
    phrases = load_phrases(path)
    reference = DriftReference.fit(rows, ["Time_on_Site"])
    english = FlatReasonWriter(typer, "en", phrases, reference)
    german = FlatReasonWriter(typer, "de", phrases, reference)
    picked = rows.iloc[[999, 3]]
    assert english.render("Time_on_Site", picked, np.ones(2))[0] == (
        "Time on website: 1,998 s, top 10 % of leads"
    )
    assert german.render("Time_on_Site", picked, np.ones(2))[0] == (
        "Zeit auf der Website: 1.998 s, obere 10 % der Leads"
    )
    assert english.render("Newsletter", picked, np.ones(2)).tolist() == [
        "No newsletter",
        "No newsletter",
    ]
    assert german.render("Lead_Source", rows.iloc[[0, 3]], -np.ones(2)).tolist() == [
        "Kam über Reference",
        "Quelle unbekannt — Leads ohne Angabe schließen seltener ab",
    ]
    assert english.render("Lead_Source", rows.iloc[[0, 1]], np.ones(2)).tolist() == [
        "Lead Source: a referral",
        "Lead Source: Google",
    ]
    assert phrases["lead_source"]["en"].values == {"Reference": "a referral", "7": "Code seven"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Budget: [1, 2]\n", "column 'Budget' must map languages (en, de) to phrases"),
        ("Budget:\n  fr: {label: x}\n", "column 'Budget' has language 'fr'; use en or de"),
        ("Budget:\n  en: {label: B, colour: red}\n", "(en) has unknown key(s) colour"),
        ("Budget:\n  en: {unit: EUR}\n", "column 'Budget' (en) lacks a label"),
        ("Budget:\n  en: {label: ''}\n", "'label' must be non-empty text"),
        ("Budget:\n  en: {label: B, unit: 5}\n", "'unit' must be text"),
        ("Budget:\n  en: {label: B, values: [a]}\n", "'values' must map each value"),
        ("Budget:\n  en: {label: B, values: {1: 2}}\n", "'values' must map each value"),
        ("Budget:\n  en: {label: B, yes: '{value}!'}\n", "'yes' uses {value}; it may use {label}"),
        ("Budget:\n  en: {label: B, value: '{value'}\n", "phrase 'value' is not a template"),
        ("Budget:\n  en: {label: B}\nbudget:\n  en: {label: C}\n", "'budget' is given twice"),
    ],
)  # fmt: skip
def test_a_bad_phrases_file_is_a_clear_error(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "phrases.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LeadscoreError) as error:
        load_phrases(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_a_starting_phrases_file_from_a_table_reads_back(tmp_path) -> None:
    table = tmp_path / "export.csv"
    pd.DataFrame(
        {
            "Email": [f"lead{i}@example.com" for i in range(60)],  # personal: left out
            "Total Time Spent on Website": range(60),
            "Do Not Email": ["Yes", "No"] * 30,
            "Lead Source": ["Google", "Reference", "Chat"] * 20,
        }
    ).to_csv(table, index=False)
    columns = table_columns(table)
    assert columns == [
        ("Total Time Spent on Website", "numeric"),
        ("Do Not Email", "boolean"),
        ("Lead Source", "category"),
    ]
    out = tmp_path / "phrases.yaml"
    out.write_text(phrases_template(columns), encoding="utf-8")
    phrases = load_phrases(out)
    assert phrases["do_not_email"]["de"].yes == "{label}: ja"
    assert phrases["total_time_spent_on_website"]["en"].label == "Total Time Spent on Website"
    assert {lang for entry in phrases.values() for lang in entry} == set(LANGUAGES)


def test_the_phrases_command_writes_a_file_and_refuses_to_overwrite(tmp_path) -> None:
    table = tmp_path / "export.csv"
    pd.DataFrame({"Budget": range(50), "Newsletter": ["yes", "no"] * 25}).to_csv(table, index=False)
    out = tmp_path / "phrases.yaml"
    runner = CliRunner()
    result = runner.invoke(app, ["phrases", "--table", str(table), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert set(load_phrases(out)) == {"budget", "newsletter"}
    again = runner.invoke(app, ["phrases", "--table", str(table), "--out", str(out)])
    assert again.exit_code == 1 and "already exists" in str(again.exception)
    neither = runner.invoke(app, ["phrases", "--out", str(tmp_path / "x.yaml")])
    assert "either --table FILE or --model MODEL" in str(neither.exception)
    events = runner.invoke(app, ["score", "--phrases", str(out), "--out", str(tmp_path / "s.csv")])
    assert events.exit_code == 1 and "use them with --table" in str(events.exception)
