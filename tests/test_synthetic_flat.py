"""The traps of the synthetic flat export (issue 11): each is there and behaves as documented.

The tests parse the export themselves, knowing its formats, so they hold the generator and not
the readers that must cope with it.
"""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.errors import LeadscoreError
from leadscore.privacy import personal_data_reason
from leadscore.readers import read_table_file
from leadscore.synthetic import flat
from leadscore.synthetic.flat import (
    BASE_RATE_BY_THIRD,
    GERMAN_HEADERS,
    HONEST_COLUMNS,
    PLANTED_LEAKS,
    messy_flat_table,
    planted_leaks,
)

ROWS = 6000
#: The columns the export had before the traps; other tests rely on them.
EARLIER_COLUMNS = [
    "Lead ID", "Email", "Full Name", "Created Date", "Country", "Industry", "Job Title",
    "Employees", "Newsletter", "Page Views", "Pricing Page Visits", "Demo Requested",
    "First Touch", "Deal Stage", "Vorname", "Nachname", "EmailAddress", "Telefon", "Lead Owner",
    "Lead-Inhaber", "Straße", "IBAN", "Rückruf", "Do Not Email", "Do Not Call", "Converted",
]  # fmt: skip
CODES = {"Region Code": 9, "Browser": 13, "Operating System": 8, "Traffic Type": 20}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {drift: messy_flat_table(ROWS, seed=0, drift=drift) for drift in flat.DRIFTS}


@pytest.fixture(scope="module")
def mild(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The default table's rows with an outcome, and ``y`` (1 = converted)."""
    known = tables["mild"][tables["mild"]["Converted"].notna()].reset_index(drop=True)
    return known.assign(y=known["Converted"].eq("Yes").astype(int))


def _blank(column: pd.Series) -> pd.Series:
    return column.isna() | column.astype("string").eq("")


def _single_auc(column: pd.Series, y: pd.Series, *, numeric: bool = False) -> float:
    """ROC AUC of one column alone: each value (or twentile, for numbers) scores at its own
    conversion rate, a blank is a value of its own (as the leakage audit bins columns)."""
    if numeric:
        numbers = pd.to_numeric(column, errors="coerce")
        key = pd.Series(pd.qcut(numbers, 20, labels=False, duplicates="drop")).fillna(-1)
    else:
        key = column.astype("string").fillna("")
    return roc_auc_score(y, y.groupby(key.to_numpy()).transform("mean"))


def _german_number(text: pd.Series) -> pd.Series:
    """Numbers from German text ("1.234,50"); other text is missing."""
    plain = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(plain, errors="coerce")


def _third(table: pd.DataFrame) -> np.ndarray:
    days = (pd.to_datetime(table["Created Date"]) - pd.Timestamp("2024-01-01")).dt.days
    return np.minimum(days.to_numpy() * 3 // 730, 2)


# -- the table as a whole --------------------------------------------------------------------


def test_the_same_seed_gives_a_bit_identical_table_and_earlier_columns_stay(tables) -> None:
    again = messy_flat_table(ROWS, seed=0)
    assert again.to_csv(index=False) == tables["mild"].to_csv(index=False)
    assert not messy_flat_table(ROWS, seed=1).equals(again)
    columns = again.columns.tolist()
    assert [c for c in columns if c in EARLIER_COLUMNS] == EARLIER_COLUMNS
    assert set(PLANTED_LEAKS) | set(HONEST_COLUMNS) <= set(columns)
    assert not set(PLANTED_LEAKS) & set(HONEST_COLUMNS)
    assert set(GERMAN_HEADERS) == set(columns)


def test_leaks_are_drawn_from_the_outcome_and_never_shape_it(monkeypatch, tables) -> None:
    drawn = flat._leak_columns

    def other_stream(converted: np.ndarray, rng: np.random.Generator) -> dict[str, object]:
        return drawn(converted, np.random.default_rng(12345))

    monkeypatch.setattr(flat, "_leak_columns", other_stream)
    redrawn = messy_flat_table(ROWS, seed=0)
    leaks = list(PLANTED_LEAKS)[1:]  # "Deal Stage" comes from the main stream
    pd.testing.assert_frame_equal(redrawn.drop(columns=leaks), tables["mild"].drop(columns=leaks))
    assert not redrawn["Lead Quality"].equals(tables["mild"]["Lead Quality"])


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match="drift is 'wild': give one of none, mild, strong"):
        messy_flat_table(10, drift="wild")  # type: ignore[arg-type]
    out = tmp_path / "crm.csv"
    result = CliRunner().invoke(app, ["generate-flat", "--out", str(out), "--drift", "wild"])
    assert result.exit_code == 1
    assert "--drift 'wild'" in str(result.exception)
    assert not out.exists()


# -- trap 1 and 2: number formats -----------------------------------------------------------


def test_three_decimal_columns_use_a_point_and_carry_a_small_signal(mild) -> None:
    minutes, bounce = mild["Avg Session Minutes"], mild["Bounce Rate"]
    assert minutes.str.fullmatch(r"\d{1,2}\.\d{3}").all()
    assert bounce.str.fullmatch(r"0\.\d{3}").all()
    assert minutes.astype(float).between(0.5, 30).all()
    assert bounce.astype(float).between(0, 0.2).all()
    # a reader taking the point for German thousands would see these above 1,000
    assert (minutes.astype(float) >= 1).mean() > 0.8
    assert 0.52 < _single_auc(minutes, mild["y"], numeric=True) < 0.65
    assert 0.52 < _single_auc(-bounce.astype(float), mild["y"], numeric=True) < 0.65


def test_the_budget_uses_german_marks_in_the_english_export(mild) -> None:
    budget = mild["Budget (EUR)"]
    money = budget.str.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2}")
    assert set(budget[~money]) == {"", "k.A."}
    assert 0.005 < budget.eq("k.A.").mean() < 0.02 and 0.08 < budget.eq("").mean() < 0.15
    numbers = _german_number(budget[money])
    assert (numbers < 1000).mean() > 0.05 and (numbers >= 1000).mean() > 0.5
    assert budget[money].str.contains(".", regex=False).mean() > 0.5


# -- trap 3: integer codes ------------------------------------------------------------------


def test_integer_codes_are_categories_with_non_monotone_effects(mild) -> None:
    for column, largest in CODES.items():
        codes = mild[column]
        assert pd.api.types.is_integer_dtype(codes)
        assert codes.min() == 1 and codes.max() == largest
    rate = mild.groupby("Traffic Type")["y"].mean()
    others = mild.loc[~mild["Traffic Type"].isin([3, 7]), "y"].mean()
    assert rate[3] > 2 * others and rate[7] > 2 * others
    y = mild["y"]
    as_category = _single_auc(mild["Traffic Type"], y)
    as_number = roc_auc_score(y, mild["Traffic Type"])
    assert as_category - max(as_number, 1 - as_number) > 0.05


# -- trap 4: German headers and values ------------------------------------------------------


def test_the_german_export_has_only_german_headers_and_the_same_data() -> None:
    english, german = messy_flat_table(800, seed=2), messy_flat_table(800, seed=2, german=True)
    assert german.columns.tolist() == [GERMAN_HEADERS[c] for c in english.columns]
    assert not {"Converted", "Created Date", "Country", "Lead Quality"} & set(german.columns)
    assert set(planted_leaks(german=True)) <= set(german.columns)
    assert list(planted_leaks(german=True).values()) == list(PLANTED_LEAKS.values())
    assert german["Lead-ID"].equals(english["Lead ID"])
    assert german["Seitenaufrufe"].equals(english["Page Views"])
    assert set(german["Konvertiert"].dropna()) == {"Ja", "Nein"}
    assert set(german["Demo angefragt"]) == {"WAHR", "FALSCH"}
    assert german["Erstellt am"].str.fullmatch(r"\d{2}\.\d{2}\.\d{4}").all()
    minutes = german["Ø Sitzungsdauer (Min.)"]
    assert minutes.str.fullmatch(r"\d{1,2},\d{3}").all()
    assert minutes.str.replace(",", ".").equals(english["Avg Session Minutes"])
    employees = german["Mitarbeiter"][english["Employees"].str.contains(",", regex=False)]
    assert len(employees) > 0 and employees.str.fullmatch(r"\d{1,3}(\.\d{3})+").all()


def test_german_personal_columns_are_found_and_consent_flags_are_not() -> None:
    german = messy_flat_table(300, seed=5, german=True)
    personal = ["Vorname", "Nachname", "Telefon", "Lead-Inhaber", "Straße", "IBAN", "Rückruf"]
    personal += ["E-Mail", "Kontaktname", "E-Mail-Adresse", "Zuständig"]
    found = {c for c in german.columns if personal_data_reason(c, german[c]) is not None}
    assert found == set(personal)


def test_generate_flat_german_writes_a_file_as_german_excel_does(tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    result = CliRunner().invoke(
        app, ["generate-flat", "--out", str(out), "--rows", "200", "--german", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "--target 'Konvertiert'" in " ".join(result.output.split())
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfLead-ID;E-Mail;")
    table = read_table_file(out)
    assert table.delimiter == ";" and table.frame.shape == (200, len(GERMAN_HEADERS))
    expected = messy_flat_table(200, seed=3, german=True)
    assert table.frame["absprungrate"].tolist() == expected["Absprungrate"].tolist()
    english = tmp_path / "english.csv"
    result = CliRunner().invoke(app, ["generate-flat", "--out", str(english), "--rows", "50"])
    assert result.exit_code == 0, result.output
    assert english.read_text().startswith("Lead ID,Email,")


# -- traps 5-7: planted leaks ---------------------------------------------------------------


def test_lead_quality_is_a_moderate_leak_across_seeds() -> None:
    for seed in range(3):
        table = messy_flat_table(5000, seed=seed)
        known = table["Converted"].notna()
        y = table.loc[known, "Converted"].eq("Yes").astype(int)
        quality = table.loc[known, "Lead Quality"]
        assert 0.75 <= _single_auc(quality, y) <= 0.82
        assert 0.35 < quality.eq("").mean() < 0.45
    assert set(quality) == {"", *flat._QUALITY}


def test_the_last_call_duration_is_known_after_the_outcome(mild) -> None:
    seconds, y = mild["Last Call Duration"], mild["y"]
    assert 0.75 <= _single_auc(seconds, y, numeric=True) <= 0.85
    blank = seconds.isna()
    assert blank[y == 0].mean() > 0.35 and blank[y == 1].mean() < 0.1
    assert seconds[y == 1].median() > 1.5 * seconds[y == 0].median()


def test_sparse_sales_columns_are_filled_almost_only_on_one_side(mild) -> None:
    y = mild["y"]
    amount = ~_blank(mild["Opportunity Amount"])
    assert 0.5 < amount[y == 1].mean() < 0.7 and amount[y == 0].mean() < 0.04
    reason = ~_blank(mild["Lost Reason"])
    assert 0.3 < reason[y == 0].mean() < 0.4 and reason[y == 1].mean() < 0.03
    assert set(mild.loc[reason, "Lost Reason"]) == set(flat._LOST_REASONS)
    stage = mild["Deal Stage"]
    assert set(stage[y == 1]) == {"Closed Won", "Contract Sent"}
    assert not stage[y == 0].isin(["Closed Won", "Contract Sent"]).any()


# -- trap 8 and the learnable core ----------------------------------------------------------


def test_suggestive_honest_columns_carry_signal_known_before_the_outcome(mild) -> None:
    rate = mild.groupby("Account Status")["y"].mean()
    assert set(rate.index) == {"prospect", "customer", "partner"}
    assert rate["customer"] > rate["prospect"] * 1.2
    demo = mild.groupby("Demo Requested")["y"].mean()
    assert demo["true"] > 2 * demo["false"]
    assert _single_auc(mild["Account Status"], mild["y"]) < 0.6  # mild, as documented


def test_conversion_is_learnable_from_the_honest_columns(mild) -> None:
    honest = mild.drop(columns=[*PLANTED_LEAKS, "Converted", "y"])
    X = pd.DataFrame(
        {
            "employees": pd.to_numeric(honest["Employees"].str.replace(",", ""), errors="coerce"),
            "page_views": honest["Page Views"],
            "pricing": honest["Pricing Page Visits"],
            "minutes": honest["Avg Session Minutes"].astype(float),
            "bounce": honest["Bounce Rate"].astype(float),
            "budget": _german_number(honest["Budget (EUR)"]),
            "demo": honest["Demo Requested"].eq("true").astype(int),
            "newsletter": honest["Newsletter"].str.lower().isin(["yes", "y"]).astype(int),
            "first_touch": (
                pd.to_datetime(honest["Created Date"])
                - pd.to_datetime(honest["First Touch"], format="%d.%m.%Y")
            ).dt.days,
        }
    )
    for column in ["Job Title", "Account Status", "Lead Source", "Lead Origin", *CODES]:
        X[column.replace(" ", "_")] = honest[column].astype(str).astype("category")
    y = mild["y"].to_numpy()
    train, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=0)
    model = lgb.LGBMClassifier(
        n_estimators=100,
        learning_rate=0.1,
        num_leaves=15,
        min_child_samples=30,
        n_jobs=1,
        verbose=-1,
    ).fit(X.iloc[train], y[train])
    auc = roc_auc_score(y[test], model.predict_proba(X.iloc[test])[:, 1])
    assert 0.75 < auc < 0.87


# -- trap 9: drift ----------------------------------------------------------------------------


@pytest.mark.parametrize("drift", flat.DRIFTS)
def test_the_base_rate_per_third_follows_the_drift_setting(tables, drift: str) -> None:
    table = tables[drift]
    known = table["Converted"].notna().to_numpy()
    y = table["Converted"].eq("Yes").to_numpy()[known]
    rates = np.bincount(_third(table)[known], weights=y) / np.bincount(_third(table)[known])
    np.testing.assert_allclose(rates, BASE_RATE_BY_THIRD[drift], atol=0.02)
    if drift == "none":
        assert rates.max() - rates.min() < 0.03
    else:
        assert rates[0] < rates[1] < rates[2]


def test_strong_drift_moves_effects_so_the_oldest_rows_mislead(tables) -> None:
    table = tables["strong"]
    known = table["Converted"].notna().to_numpy()
    frame = pd.DataFrame(
        {
            "third": _third(table),
            "newsletter": table["Newsletter"].str.lower().isin(["yes", "y"]),
            "pricing": table["Pricing Page Visits"] > 0,
            "y": table["Converted"].eq("Yes"),
        }
    )[known]

    def lift(column: str, third: int) -> float:
        part = frame[frame["third"] == third]
        return part.loc[part[column], "y"].mean() / part.loc[~part[column], "y"].mean()

    assert lift("newsletter", 0) > 1.5 and lift("newsletter", 2) < 1.3
    assert lift("pricing", 2) > lift("pricing", 0) + 0.5


# -- trap 10: collinear and rare categories -------------------------------------------------


def test_lead_source_has_rare_values_a_real_other_and_a_collinear_origin(mild) -> None:
    source, origin, y = mild["Lead Source"], mild["Lead Origin"], mild["y"]
    share = source.value_counts(normalize=True)
    assert 0.04 < share["Other"] < 0.08
    assert (share < 0.01).sum() >= 6
    rate = mild.groupby("Lead Source")["y"].mean()
    assert rate["Reference"] > 0.85
    assert rate["Other"] > y.mean()
    referral = origin.eq("Referral Program")
    assert referral[source == "Reference"].mean() > 0.95
    assert source[referral].isin(["Reference", "Select"]).all()
    assert origin[source == "Olark Chat"].eq("API").all()
