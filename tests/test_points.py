"""The hand-set points model: rule arithmetic, grades, calibration, estimator conventions."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from conftest import NOW
from leadscore.errors import LeadscoreError
from leadscore.features.pipeline import build_training_table
from leadscore.modeling.points import PointsModel, load_points_sheet, with_points

SHEET = """
fit:
  boss: {feature: seniority, is: [c_level, vp], points: 20}
  big: {feature: employees, at_least: 250, points: 10}
engagement:
  pricing: {page: pricing, window: 30, points: 10, cap: 30}
  opens: {event: email_open, half_life: 7, points: 4}
negative:
  careers: {page: careers, window: 90, points: -5, cap: -10}
  unsub: {event: unsubscribe, ever: true, points: -20}
fit_letters: {A: 30, B: 20, C: 10}
engagement_numbers: {1: 30, 2: 15, 3: 5}
mql_threshold: 40
"""
LEADS = pd.DataFrame(
    {
        "seniority": ["vp", "manager", "c_level"],
        "employees": [300.0, np.nan, 10.0],
        "n_page_pricing_30d": [5.0, 1.0, 0.0],
        "n_email_open_7d": [1.0, 0.0, 0.0],
        "n_email_open_30d": [3.0, 0.0, 0.0],
        "n_email_open_90d": [3.0, 0.0, 0.0],
        "n_email_open_365d": [4.0, 0.0, 0.0],
        "n_page_careers_90d": [0.0, 3.0, 1.0],
        "n_unsubscribe_ever": [0.0, 1.0, 0.0],
    }
)


@pytest.fixture
def sheet(tmp_path: Path):
    path = tmp_path / "points.yaml"
    path.write_text(SHEET)
    return load_points_sheet(path)


def test_rule_points_are_exact(sheet) -> None:
    points = PointsModel(sheet).transform(LEADS)
    assert points["boss"].tolist() == [20, 0, 20]
    assert points["big"].tolist() == [10, 0, 0]  # missing head count: no points
    assert points["pricing"].tolist() == [30, 10, 0]  # 5 visits capped at 30 points
    assert points["careers"].tolist() == [0, -10, -5]  # negative cap
    assert points["unsub"].tolist() == [0, -20, 0]
    # half-life 7: one open in the 0-7 band (middle 3.5 days), two in 7-30 (18.5), one in 90-365
    expected = 4 * (0.5 ** (3.5 / 7) + 2 * 0.5 ** (18.5 / 7) + 0.5 ** (227.5 / 7))
    assert points["opens"].iloc[0] == pytest.approx(expected)
    assert list(points.columns) == list(PointsModel(sheet).get_feature_names_out())


def test_grades_and_mql(sheet) -> None:
    scores = PointsModel(sheet).score_frame(LEADS)
    assert scores["fit_points"].tolist() == [30, 0, 20]
    assert scores["fit_grade"].tolist() == ["A", "D", "B"]
    assert scores["engagement_points"].iloc[0] == pytest.approx(30 + 4 * 1.9375, rel=0.1)
    assert scores["engagement_grade"].tolist() == ["1", "4", "4"]
    assert scores["grade"].tolist() == ["A1", "D4", "B4"]
    assert scores["is_mql"].tolist() == [True, False, False]
    assert PointsModel(sheet).predict(LEADS).tolist() == [1, 0, 0]


def test_estimator_conventions(sheet) -> None:
    model = PointsModel(sheet)
    assert clone(model).get_params() == {"sheet": sheet}
    labels = np.array([1, 0, 0])
    assert model.fit(LEADS, labels) is model
    proba = model.predict_proba(LEADS)
    assert proba.shape == (3, 2)
    assert np.allclose(proba.sum(axis=1), 1)
    order = np.argsort(model.points(LEADS))
    assert (np.diff(proba[order, 1]) >= 0).all(), "calibration must follow the points"
    assert list(model.feature_names_in_) == list(LEADS.columns)


def test_missing_column_is_a_clear_error(sheet) -> None:
    with pytest.raises(
        LeadscoreError, match=r"rule 'pricing' needs column\(s\) n_page_pricing_30d"
    ):
        PointsModel(sheet).transform(LEADS.drop(columns=["n_page_pricing_30d"]))


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ("points: 20}", "points: 0}"),
        ("cap: 30}", "cap: -30}"),
        ("window: 30, points: 10", "window: 14, points: 10"),
        ("ever: true", "ever: false"),
        ("mql_threshold: 40", "mql_threshold: many"),
        ("fit_letters: {A: 30, B: 20, C: 10}", "fit_letters: {A: 10, B: 20}"),
        ("  big:", "  boss:"),
        ("negative:", "negatives:"),
    ],
    ids=["zero-points", "cap-sign", "odd-window", "no-window", "threshold", "bands", "dup", "key"],
)
def test_bad_sheets_name_the_file_and_the_rule(tmp_path: Path, change, fragment) -> None:
    path = tmp_path / "points.yaml"
    path.write_text(SHEET.replace(change, fragment, 1))
    with pytest.raises(LeadscoreError) as caught:
        load_points_sheet(path)
    assert "points.yaml" in str(caught.value)


def test_default_sheet_grades_order_real_conversion(synthetic_b2b: Path) -> None:
    table = build_training_table(
        synthetic_b2b, ["2025-03-01", "2025-06-01"], 90, interim_dir=tempfile.mkdtemp(), now=NOW
    ).frame
    scores = PointsModel().fit(table, table["label"]).score_frame(table)
    rate = table["label"].groupby(scores["grade"]).mean()
    assert rate["A1"] > 3 * table["label"].mean() > 3 * rate["D4"]
    mql = scores["is_mql"]
    assert 0.02 < mql.mean() < 0.5
    assert table.loc[mql, "label"].mean() > 2 * table.loc[~mql, "label"].mean()


def test_a_sheet_counts_in_the_windows_the_feature_settings_build(tiny: Path, tmp_path: Path):
    settings = tmp_path / "settings.yaml"
    settings.write_text("windows_days: [14, 60]\n")
    table = build_training_table(
        tiny, ["2025-02-01"], 28, settings=settings, interim_dir=tmp_path / "interim", now=NOW
    ).frame.set_index("lead_id")
    sheet = tmp_path / "points.yaml"
    sheet.write_text(
        "engagement:\n"
        "  pricing_now: {page: pricing, window: 14, points: 10}\n"
        "  pricing_decayed: {page: pricing, half_life: 14, points: 8}\n"
        "  opens: {event: email_open, window: 60, points: 2}\n"
        "fit_letters: {A: 30}\nengagement_numbers: {1: 5}\nmql_threshold: 40\n"
    )
    points = PointsModel(sheet).fit(table, table["label"]).transform(table)
    # L1 viewed the pricing page and opened an e-mail 21 and 22 days before the cutoff: in the
    # 14-60 day band (middle 37 days), not in the last 14 days.
    assert points.loc["L1"].to_dict() == pytest.approx(
        {"pricing_now": 0, "pricing_decayed": 8 * 0.5 ** (37 / 14), "opens": 2}
    )
    assert points.loc["L2"].sum() == 0
    with pytest.raises(LeadscoreError) as caught:  # the shipped sheet counts in 30 days
        PointsModel().fit(table, table["label"])
    assert "points rule 'email_open': 'window' must be one of the windows" in str(caught.value)
    assert "(14, 60 days: the feature setting windows_days), not 30" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "edit", "message"),
    [
        (
            "is: [c_level, vp]",
            "is: [[c_level], vp]",
            "rule 'boss': 'is' takes text or numbers, but",
        ),
        ("is: [c_level, vp]", "is: {c_level: 1}", "but {'c_level': 1} is a mapping"),
        ("is: [c_level, vp]", "is: [c_level, null]", "but a value is empty (null)"),
        ("is: [c_level, vp]", "is: [2025-01-01]", "datetime.date(2025, 1, 1) is a date: put it in"),
        ("is: [c_level, vp]", "is: []", "rule 'boss': 'is' needs at least one value"),
        ("is: [c_level, vp]", "is: [.nan]", "but nan is not a finite number"),
        ("at_least: 250", "at_least: many", "rule 'big': 'at_least' must be a number, not 'many'"),
        ("at_least: 250", "at_least: [250]", "'at_least' must be a number, not [250]"),
        (
            "points: 20}",
            "points: '20'}",
            "rule 'boss' needs a non-zero number of 'points', not '20'",
        ),
        (
            "points: 20}",
            "points: 1.0e+400}",
            "rule 'boss' needs a non-zero number of 'points', not inf",
        ),
        ("cap: 30}", "cap: '30'}", "rule 'pricing': 'cap' must be a number with the sign"),
        ("window: 30,", "window: 30.0,", "rule 'pricing': 'window' must be one of"),
        ("ever: true", "ever: 'yes'", "rule 'unsub': 'ever' can only be true, not 'yes'"),
        ("event: unsubscribe", "event: [unsubscribe]", "'event' must be a snake_case name"),
        ("feature: seniority", "feature: [seniority]", "'feature' must be a column name"),
        ("window: 30,", "window: 30, half_life: 7,", "needs one of 'window', 'half_life'"),
        ("{feature: employees,", "{feature: employees, is: 3,", "needs 'is' or 'at_least' (one"),
        ("{A: 30, B: 20, C: 10}", "{A: 30, B: lots}", "grade 'B' has 'lots'"),
        ("mql_threshold: 40", "mql_threshold: .nan", "'mql_threshold' must be a number"),
    ],
    ids=[
        "nested-list-is",
        "mapping-is",
        "null-is",
        "date-is",
        "empty-is",
        "nan-is",
        "text-at-least",
        "list-at-least",
        "text-points",
        "infinite-points",
        "text-cap",
        "float-window",
        "text-ever",
        "list-event",
        "list-feature",
        "two-kinds",
        "is-and-at-least",
        "text-band",
        "nan-threshold",
    ],
)
def test_hostile_sheets_name_the_file_the_rule_and_the_problem(
    tmp_path: Path, change: str, edit: str, message: str
) -> None:
    path = tmp_path / "points.yaml"
    assert change in SHEET
    path.write_text(SHEET.replace(change, edit, 1))
    with pytest.raises(LeadscoreError) as caught:
        load_points_sheet(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_section_that_is_not_a_mapping_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "points.yaml"
    path.write_text("fit: [boss, big]\nfit_letters: {A: 1}\nengagement_numbers: {1: 1}\n")
    with pytest.raises(LeadscoreError, match="'fit' must map rule names to rules, not"):
        load_points_sheet(path)


def test_a_number_rule_on_a_text_column_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "points.yaml"
    path.write_text(SHEET.replace("feature: employees", "feature: seniority"))
    with pytest.raises(LeadscoreError, match="rule 'big' compares column 'seniority' with a"):
        PointsModel(load_points_sheet(path)).transform(LEADS)


def test_what_if_points_must_be_numbers(sheet) -> None:
    assert with_points(sheet, {"boss": 0}).rule("boss").points == 0  # switching a rule off
    with pytest.raises(LeadscoreError, match=r"points for rule\(s\) big, boss must be numbers"):
        with_points(sheet, {"boss": "lots", "big": float("nan")})
