"""Flat tables: type inference on messy values, the target, the split, the whole train path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.flat_table import (
    KEPT_ON_REQUEST,
    NumberOutOfRangeError,
    TableTyper,
    file_headers,
    flat_split,
    load_flat_table,
    parse_target,
    parse_time_column,
    read_scoring_rows,
    to_number,
)
from leadscore.modeling.compare import compare_flat
from leadscore.readers import normalise_column_name as normalise
from leadscore.readers import read_table_file
from leadscore.synthetic.flat import PLANTED_LEAKS, messy_flat_table

#: The synthetic export's planted leaks as the audit names them, and as --drop options.
LEAKS = [normalise(header) for header in PLANTED_LEAKS]
DROP_LEAKS = [arg for header in PLANTED_LEAKS for arg in ("--drop", header)]

#: The synthetic export's personal columns (normalised) and how each must be found.
PERSONAL_COLUMNS = {
    "email": "an e-mail address (header 'Email')",
    "full_name": "a person's name (header 'Full Name')",
    "vorname": "a person's name (header 'Vorname')",
    "nachname": "a person's name (header 'Nachname')",
    "emailaddress": "an e-mail address (header 'EmailAddress')",
    "telefon": "a phone number (header 'Telefon')",
    "lead_owner": "a person's name (header 'Lead Owner')",
    "lead_inhaber": "a person's name (header 'Lead-Inhaber')",
    "straße": "a postal address (header 'Straße')",
    "iban": "a bank detail (header 'IBAN')",
    "rückruf": "phone numbers in 100 % of values",
}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flat") / "crm_export.csv"
    messy_flat_table(3000, seed=4).to_csv(path, index=False, sep=";")
    return path


def test_numbers_booleans_and_placeholders_are_understood() -> None:
    english = pd.Series(["1,200", "1,200,000", "3.5", "-7", "12 %", None], dtype="string")
    assert to_number(english).tolist()[:5] == [1200, 1_200_000, 3.5, -7, 12]
    german = pd.Series(["1.200", "1.200.000", "3,5", "-7", "12 %", None], dtype="string")
    assert to_number(german).tolist()[:5] == [1200, 1_200_000, 3.5, -7, 12]
    raw = pd.DataFrame(
        {
            "Employees": ["1,200", "Unknown", "45", "n/a"],
            "consent": ["Ja", "nein", "", "JA"],
            "stage": ["Select", "-- Select --", "Lead", "MQL"],
            "customer_id": ["C1", "C2", "C3", "C4"],
            "phone": ["+49 1", "+49 2", "+49 3", "+49 4"],
            "region": ["EU", "EU", "EU", "EU"],
        }
    )
    typer = TableTyper().fit(raw)
    assert typer.kinds_ == {"Employees": "numeric", "consent": "boolean", "stage": "category"}
    assert set(typer.dropped_) == {"customer_id", "phone", "region"}
    out = typer.transform(raw)
    assert out["Employees"].isna().tolist() == [False, True, False, True]
    assert out["consent"].tolist()[:2] == [1.0, 0.0]
    assert out["stage"].isna().sum() == 2


def test_a_typer_pickled_by_an_older_version_still_transforms() -> None:
    raw = pd.DataFrame({"visits": ["1", "2", "3"], "plan": ["a", "b", "a"]})
    typer = TableTyper().fit(raw)
    state = typer.__getstate__()
    del state["features_"], state["headers"]  # what older versions pickled
    old = TableTyper.__new__(TableTyper)  # as pickle rebuilds it
    old.__setstate__(state)
    assert old.transform(raw).equals(typer.transform(raw))


def test_dates_give_days_before_the_row_time_and_calendar_features_never_the_date() -> None:
    raw = pd.DataFrame(
        {
            "created": ["2025-03-10 09:30", "2025-03-20 14:00", "2025-04-01 23:15"],
            "first_touch": ["01.03.2021", "10.03.2025", "2025-01-01"],  # over three years
            "visits": ["1", "2", "3"],
        }
    )
    with_time = TableTyper(time_col="created").fit(raw)
    assert with_time.kinds_ == {"first_touch": "date", "visits": "numeric"}
    out = with_time.transform(raw)
    assert list(out) == [
        "first_touch",  # days before the row's time
        "first_touch_weekday",
        "first_touch_month",
        "visits",
        "created_weekday",  # no month: three weeks of a year stand for a period, not a season
        "created_hour",  # the time column carries hours, the other date does not
    ]
    assert list(out) == list(with_time.get_feature_names_out())
    assert np.floor(out["first_touch"]).tolist() == [1470.0, 10.0, 90.0]  # times carry hours
    assert out["first_touch_weekday"].tolist() == ["Mon", "Mon", "Wed"]
    assert out["first_touch_month"].tolist() == ["Mar", "Mar", "Jan"]
    assert out["created_hour"].tolist() == [9.0, 14.0, 23.0]
    assert with_time.header("first_touch_weekday") == "first_touch (weekday)"
    # Without --time-col a date is no longer dropped: calendar only, no absolute date.
    untimed = TableTyper().fit(raw)
    assert untimed.kinds_["first_touch"] == "date" and not untimed.dropped_
    assert list(untimed.transform(raw)) == [
        "created_weekday", "created_hour", "first_touch_weekday", "first_touch_month", "visits",
    ]  # fmt: skip
    described = untimed.describe().set_index("column")
    assert described.loc["first_touch", "action"] == "calendar: weekday, month"
    assert described.loc["created", "action"] == "calendar: weekday, hour"


def test_calendar_features_are_free_of_leakage_and_of_the_year() -> None:
    """Each row's features come from its own dates only: not from other rows (a row scores the
    same alone or in any table), not from the year (the model must not learn the calendar)."""
    rng = np.random.default_rng(0)
    days = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 2000, 300), "D")
    raw = pd.DataFrame(
        {
            "signup": days.strftime("%Y-%m-%d"),
            "created": (days + pd.to_timedelta(rng.integers(0, 90, 300), "D")).strftime("%Y-%m-%d"),
        }
    )
    typer = TableTyper(time_col="created").fit(raw.head(100))  # fitted on a part
    whole = typer.transform(raw)
    alone = pd.concat([typer.transform(raw.iloc[[i]]) for i in (0, 150, 299)])
    pd.testing.assert_frame_equal(alone, whole.iloc[[0, 150, 299]])
    # the same day of the year on the same weekday, five years apart: the same features
    twins = pd.DataFrame({"signup": ["2019-03-04", "2024-03-04"], "created": ["2019-03-04"] * 2})
    calendar = [f for f in typer.calendar_ if typer.calendar_[f][0] == "signup"]
    same = typer.transform(twins)[calendar]
    assert same.iloc[0].tolist() == same.iloc[1].tolist() == ["Mon", "Mar"]
    values = {v for f in typer.calendar_ for v in whole[f].dropna().unique()}
    assert values <= {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Jan", "Feb", "Mar"} | {
        "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    }  # fmt: skip


def test_targets_in_every_spelling_and_a_clear_error_otherwise(tmp_path: Path) -> None:
    got = parse_target(pd.Series(["Yes", "no", "TRUE", "0", "1", ""]), tmp_path, "won")
    assert got.tolist()[:5] == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert np.isnan(got.iloc[5])
    with pytest.raises(LeadscoreError, match=r"target column 'won' has 1 value.*'maybe'"):
        parse_target(pd.Series(["yes", "maybe"]), tmp_path / "x.csv", "won")


def test_loading_names_missing_columns_and_leaves_out_open_leads(export: Path) -> None:
    with pytest.raises(LeadscoreError, match=r"crm_export.csv: `target` column 'Won'"):
        load_flat_table(export, "Won")
    table = load_flat_table(export, "Converted", id_col="Lead ID", time_col="Created Date")
    assert table.rows_without_target > 0
    assert len(table.labels) + table.rows_without_target == 3000
    assert set(np.unique(table.labels)) == {0, 1}
    assert table.excluded == ("converted", "lead_id")


def test_time_split_puts_the_latest_rows_in_test_and_random_split_stratifies(export) -> None:
    timed = load_flat_table(export, "Converted", time_col="Created Date")
    split = flat_split(timed)
    times = timed.times.to_numpy()
    assert times[split.train].max() <= times[split.valid].min()
    assert times[split.valid].max() <= times[split.test].min()
    untimed = load_flat_table(export, "Converted")
    split = flat_split(untimed, seed=1)
    rates = [untimed.labels[part].mean() for part in (split.train, split.valid, split.test)]
    assert max(rates) - min(rates) < 0.01
    assert len(np.intersect1d(split.train, split.test)) == 0


def test_the_leakage_audit_flags_the_planted_column_and_nothing_else(export: Path) -> None:
    table = load_flat_table(export, "Converted", id_col="Lead ID", time_col="Created Date")
    comparison = compare_flat(table)
    audit = comparison.audit
    assert sorted(audit.loc[audit["flagged"], "feature"]) == sorted(LEAKS)
    assert "`drop` deal_stage" in " ".join(audit["advice"])
    assert set(comparison.typer.dropped_) == set(PERSONAL_COLUMNS)
    clean = load_flat_table(
        export, "Converted", id_col="Lead ID", time_col="Created Date", drop=list(PLANTED_LEAKS)
    )
    honest = compare_flat(clean)
    assert not honest.audit["flagged"].any()
    auc = honest.metrics["roc_auc"]
    assert 0.65 < auc["lightgbm"] < 0.95 and 0.65 < auc["learned_points"] < 0.95
    assert list(honest.models) == ["learned_points", "lightgbm"]  # no points file given


def test_train_command_on_a_flat_table(export: Path, tmp_path: Path, monkeypatch) -> None:
    import mlflow
    from typer.testing import CliRunner

    from leadscore.cli import app
    from leadscore.modeling.tracking import table_model_name

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    metrics = tmp_path / "metrics.json"
    args = ["train", "--table", str(export), "--target", "Converted", "--id", "Lead ID"]
    args += ["--time-col", "Created Date", "--out-dir", str(tmp_path / "reports")]
    result = CliRunner().invoke(app, [*args, "--metrics-out", str(metrics)])
    assert result.exit_code == 0, result.output
    assert "--drop deal_stage" in " ".join(result.output.split())
    written = json.loads(metrics.read_text())
    assert set(written["models"]) == {"learned_points", "lightgbm"}
    assert sorted(written["leakage_audit"]["flagged"]) == sorted(LEAKS)
    assert (tmp_path / "reports" / "leakage_audit.csv").is_file()
    run = mlflow.get_run(written["mlflow_run_id"])
    assert sorted(run.data.tags["leakage_flagged"].split(",")) == sorted(LEAKS)
    assert run.data.tags["mode"] == "flat_table"
    # The leaky model is registered but not promoted; the honest one becomes the champion.
    client = mlflow.MlflowClient()
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.get_model_version_by_alias(table_model_name(export), "champion")
    result = CliRunner().invoke(app, [*args, *DROP_LEAKS, "--no-track"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, [*args, *DROP_LEAKS])
    assert "now the champion" in " ".join(result.output.split())
    model = mlflow.pyfunc.load_model(f"models:/{table_model_name(export)}@champion")
    raw = read_table_file(export).frame.head(20)  # as exported: text, normalised headers
    p = model.predict(raw)["probability"]
    assert p.between(0, 1).all() and p.std() > 0
    for path in Path(run.info.artifact_uri.removeprefix("file://")).rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".json", ".yaml"):
            assert "@example-" not in path.read_text(errors="ignore"), path


def test_flat_table_flags_are_refused_with_events_data(tiny: Path) -> None:
    from typer.testing import CliRunner

    from leadscore.cli import app

    result = CliRunner().invoke(app, ["train", "--data", str(tiny), "--target", "won"])
    assert result.exit_code != 0
    assert "only apply to a flat table" in str(result.exception)


def _invoke(*args: str, tracking: Path | None = None):
    """Run the CLI; a LeadscoreError is what ``main`` prints as one line and exit 1."""
    from typer.testing import CliRunner

    from leadscore.cli import app

    with pytest.MonkeyPatch.context() as patch:
        if tracking is not None:
            patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tracking / 'mlflow.db'}")
        return CliRunner().invoke(app, list(args))


def _user_error(result) -> str:
    """The message of a clean user error (exit 1, no traceback), or fail."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, LeadscoreError), repr(result.exception)
    return f"{result.exception} {result.output}"


def test_every_personal_column_of_the_export_is_dropped_and_consent_flags_kept(export) -> None:
    table = load_flat_table(export, "Converted", id_col="Lead ID", time_col="Created Date")
    typer = TableTyper(table.time_col, table.excluded, headers=table.headers).fit(table.frame)
    assert typer.dropped_ == {n: f"personal data: {why}" for n, why in PERSONAL_COLUMNS.items()}
    assert typer.kinds_["do_not_email"] == typer.kinds_["do_not_call"] == "boolean"
    out = typer.transform(table.frame)
    assert set(out["do_not_email"].dropna()) == set(out["do_not_call"].dropna()) == {0.0, 1.0}


def test_headers_lightgbm_refuses_get_safe_names_and_people_see_the_headers(tmp_path) -> None:
    rng = np.random.default_rng(3)
    n = 600
    budget = rng.lognormal(8, 1, n).round()
    y = rng.random(n) < 1 / (1 + np.exp(-(np.log(budget) - 8)))
    frame = pd.DataFrame(
        {
            "Budget [EUR]": budget,
            "Plan: Tier": rng.choice(["a", "b", "c"], n),
            'Say "hi"': rng.poisson(2, n),
            "{Region}, EU": rng.choice(["north", "south"], n),
            "Plan Tier": rng.choice(["x", "y"], n),  # the same safe name as "Plan: Tier"
            "Won": np.where(y, "yes", "no"),
        }
    )
    path = tmp_path / "odd_headers.csv"
    frame.to_csv(path, index=False)
    comparison = compare_flat(load_flat_table(path, "Won"))
    typer = comparison.typer
    described = typer.describe()
    names = described[described["type"] != "target"].set_index("column")["feature"].to_dict()
    assert names == {
        "budget_[eur]": "budget_eur",
        "plan:_tier": "plan_tier",
        'say_"hi"': "say_hi",
        "{region},_eu": "region_eu",
        "plan_tier": "plan_tier_2",
    }
    assert list(comparison.models["lightgbm"].features_) == list(names.values())
    assert set(comparison.audit["feature"]) == set(names)  # the names --drop takes
    assert set(comparison.points_sheet["feature"]) == set(frame.columns) - {"Won"}  # as written
    assert comparison.metrics.loc["lightgbm", "roc_auc"] > 0.6


def test_columns_named_like_the_training_tables_own_are_learned_from(tmp_path: Path) -> None:
    # LightGBM leaves out a training table's lead_id, account_id, cutoff and label: an export's
    # columns of those names are features under another name, never silently unused.
    rng = np.random.default_rng(5)
    n = 600
    y = rng.random(n) < 0.5
    frame = pd.DataFrame(
        {
            "Label": np.where(y, rng.normal(1, 1, n), rng.normal(-1, 1, n)).round(2),
            "Cutoff": rng.normal(0, 1, n).round(2),
            "Account ID": rng.choice(["A", "B", "C"], n),
            "Won": np.where(y, "yes", "no"),
        }
    )
    path = tmp_path / "named_like_ours.csv"
    frame.to_csv(path, index=False)
    comparison = compare_flat(load_flat_table(path, "Won"))
    features = comparison.models["lightgbm"].features_
    assert features == ["label_2", "cutoff_2", "account_id_2"]
    assert comparison.metrics.loc["lightgbm", "roc_auc"] > 0.75  # "Label" carries the signal


def test_a_table_without_a_usable_column_names_every_reason(tmp_path: Path) -> None:
    n = 200
    frame = pd.DataFrame(
        {
            "Order No": [f"O{i}" for i in range(n)],
            "E-Mail": [f"p{i}@example.org" for i in range(n)],
            "Region": ["EU"] * n,
            "Won": ["yes", "no"] * (n // 2),
        }
    )
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(LeadscoreError) as error:
        compare_flat(load_flat_table(path, "Won"))
    message = str(error.value)
    assert "ids.csv: no usable column is left" in message
    assert "'Order No': id-like" in message and "'Region': constant" in message
    assert "'E-Mail': personal data" in message and "@example.org" not in message


def test_too_few_rows_of_an_outcome_are_refused_with_the_shortfall(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Visits": range(100), "Won": ["yes"] * 12 + ["no"] * 88})
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(LeadscoreError, match=r"28 short\. Lower `min_class_rows` to train anyway"):
        load_flat_table(path, "Won")
    assert len(load_flat_table(path, "Won", min_class_rows=10).labels) == 100
    message = _user_error(_invoke("train", "--table", str(path), "--target", "Won", "--no-track"))
    assert "12 converted rows, 40 needed: 28 short" in message
    assert "Lower --min-class-rows" in message and "min_class_rows" not in message


@pytest.mark.parametrize(
    ("option", "column"),
    [("--target", "Email"), ("--target", "Telefon"), ("--time-col", "EmailAddress")],
)
def test_personal_columns_as_target_or_time_print_no_personal_value(
    export: Path, option: str, column: str
) -> None:
    chosen = {"--target": "Converted", option: column}
    args = [a for pair in chosen.items() for a in pair]
    message = _user_error(_invoke("train", "--table", str(export), "--no-track", *args))
    assert f"{option} column '{column}' holds personal data" in message
    assert "@" not in message and "+49" not in message and "0151" not in message


def test_example_values_in_messages_are_masked_and_short(tmp_path: Path) -> None:
    # a stray e-mail in an otherwise yes/no column: shown masked
    won = pd.Series(["yes", "no"] * 100 + ["anna@example.de", "x" * 500])
    with pytest.raises(LeadscoreError) as error:
        parse_target(won, tmp_path, "won")
    assert "'<e-mail>'" in str(error.value) and "anna" not in str(error.value)
    assert len(str(error.value)) < 300
    # a column of names: names cannot be masked, so no value is shown at all
    with pytest.raises(LeadscoreError) as error:
        parse_target(pd.Series(["yes", "Stefan Wolf", "Anna Vogel", "Jonas Beck"]), tmp_path, "x")
    assert "not shown: the column holds personal data: people's names" in str(error.value)
    assert not {"Stefan", "Anna", "Jonas"} & set(str(error.value).replace("'", " ").split())
    frame = pd.DataFrame({"created": ["2025-01-01", "call +49 151 2345678"]})
    with pytest.raises(LeadscoreError, match="'call <phone>'") as error:
        parse_time_column(frame, "created", tmp_path / "x.csv")
    assert "2345678" not in str(error.value)


@pytest.fixture(scope="module")
def tracked(export: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tracking store whose champion was trained on the export plus a formula header, and
    that export."""
    home = tmp_path_factory.mktemp("tracked")
    frame = pd.read_csv(export, sep=";", dtype=str, keep_default_na=False)
    frame["=Segment+0"] = np.where(np.arange(len(frame)) % 3, "SMB", "Enterprise")
    path = tmp_path_factory.mktemp("tracked-input") / "export.csv"  # outside the store
    frame.to_csv(path, index=False)
    result = _invoke(
        "train", "--table", str(path), "--target", "Converted", "--id", "Lead ID",
        "--time-col", "Created Date", *DROP_LEAKS, "--out-dir", str(home / "reports"),
        tracking=home,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "now the champion" in " ".join(result.output.split())
    return home, path


def test_mlflow_holds_no_personal_value_of_the_training_table(tracked) -> None:
    import mlflow

    home, export = tracked
    raw = pd.read_csv(export, dtype=str)
    planted = {
        *raw["Email"].head(50),
        *raw["EmailAddress"].head(50),
        *raw["Telefon"].head(50),
        *raw["Rückruf"].head(50),
        *raw["IBAN"].head(50),
        *raw["Straße"].head(50),
        *raw["Full Name"].head(50),
        *raw["Lead Owner"].unique(),
        *(f"{f} {n}" for f, n in zip(raw["Vorname"], raw["Nachname"], strict=True)),
    }
    tokens = [t.encode() for t in planted] + [b"@firma-", b"@example-", b"3704 0044"]
    # Everything but the package's own source, which MLflow copies next to the model.
    stored = [p for p in home.rglob("*") if p.is_file() and "code" not in p.parts]
    assert any(p.name == "MLmodel" for p in stored)
    for path in stored:  # the tracking database, artifacts, the model and its input example
        content = path.read_bytes()
        leaked = [t for t in tokens if t in content]
        assert not leaked, (path, leaked[:3])
    client = mlflow.MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    run = client.search_runs([client.get_experiment_by_name("leadscore").experiment_id])[0]
    logged = " ".join([*run.data.params.values(), *run.data.tags.values()])
    assert not [t for t in planted if t in logged]
    column_types = next(p for p in stored if p.name == "column_types.csv")
    headers = pd.read_csv(column_types)["header"]
    assert "'=Segment+0" in set(headers), "a formula header is stored as text"


def test_a_phrases_file_may_word_the_time_column_and_unused_columns_are_named(
    tracked, tmp_path: Path
) -> None:
    home, export = tracked
    phrases = tmp_path / "phrases.yaml"
    phrases.write_text(
        "Created Date: {en: {label: Created}}\nPage Views: {en: {label: Views}}\n"
        "Shoe Size: {en: {label: Shoes}}\n"
    )
    args = ["score", "--table", str(export), "--out", str(tmp_path / "s.csv")]
    result = _invoke(*args, "--phrases", str(phrases), "--explain", "top:5", tracking=home)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    # The time column gives the calendar features: worded, not "unused"; a stranger is named.
    assert "the model uses no column shoe_size." in said


def test_scoring_a_flat_file_refuses_bad_input_by_name(tracked, tmp_path: Path) -> None:
    home, export = tracked
    frame = read_table_file(export).frame.head(30)
    out = tmp_path / "scores.csv"

    def score(table: pd.DataFrame, *extra: str) -> str:
        path = tmp_path / "to_score.csv"
        table.to_csv(path, index=False)
        args = ["score", "--table", str(path), "--out", str(out), *extra]
        return _user_error(_invoke(*args, tracking=home))

    message = score(frame.drop(columns="lead_id"))
    assert "to_score.csv" in message and "'Lead ID'" in message
    bad_times = frame.assign(
        created_date=["someday", "+49 151 2345678", *frame["created_date"].iloc[2:]]
    )
    message = score(bad_times)
    assert "time column 'Created Date' has 2 value(s) that are not dates" in message
    assert "'someday'" in message and "'<phone>'" in message and "2345678" not in message
    names = frame.assign(created_date=["Stefan Wolf", "Anna Vogel", "Jonas Beck"] * 10)
    message = score(names)
    assert "time column 'Created Date' has 30 value(s) that are not dates (not shown" in message
    assert "Wolf" not in message and "Vogel" not in message
    message = score(frame, "--as-of", "31.02.2025x")
    assert "--as-of '31.02.2025x' is not a date" in message
    assert not out.exists()
    ok = _invoke("score", "--table", str(export), "--out", str(out), tracking=home)
    assert ok.exit_code == 0, ok.output
    assert len(pd.read_csv(out)) > 0


def _hostile_frame(n: int = 120) -> pd.DataFrame:
    """A flat export with the personal columns of a hostile review and ordinary features."""
    rng = np.random.default_rng(8)
    people = ["Stefan Wolf", "Anna Vogel", "Markus Braun", "Laura Keller", "Jan Schulz"]
    pick = lambda values: rng.choice(values, n)  # noqa: E731
    return pd.DataFrame(
        {
            "Lead ID": [f"FL{i:06d}" for i in range(n)],
            "Created Date": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "Campaign Name": pick(["Spring Sale", "Webinar Q3", "Messe"]),
            "Owner Region": pick(["North", "South"]),
            "Email Opens": rng.poisson(3, n).astype(str),
            "Newsletter Mail": pick(["Weekly", "Monthly", "Select"]),
            "Do Not Email": pick(["Yes", "No", "No", "No"] * 5 + ["Select", "n/a", "-"]),
            "Do Not Call": pick(["Yes", "No", "No", "No"] * 5 + ["Select", "n/a", "-"]),
            "Age": rng.integers(18, 80, n).astype(str),
            "Kundennummer": rng.permutation(np.arange(4_900_000_000_000, 4_900_000_000_000 + n)),
            "Quelle": [
                "Referral max.mustermann@firma.de" if i % 20 == 0 else s
                for i, s in enumerate(pick(["Web", "Fair", "Partner"]))
            ],
            "Kundenbetreuer": pick(people),
            "Sachbearbeiter": pick(people),
            "Verantwortlich": pick(people),
            "Created By": pick(people),
            "Sales Person": pick(people),
            "Account Manager": pick(people),
            "Lead Owner Alias": pick(["swolf", "avogel", "mbraun"]),
            "Rufname": pick(["Emma", "Hannah", "Marie", "Mia"]),
            "Ansprechpartner Name": pick(["Emma", "Hannah", "Paul", "Felix"]),
            "Mobiltelefon": rng.integers(4915100000000, 4917999999999, n).astype(str),
            "Phone No": rng.integers(12025550000, 19999999999, n).astype(str),
            # phones written as digits, no header hint (a national 0: not a number column)
            "Info 1": np.char.add("0", rng.integers(1510000000, 1799999999, n).astype(str)),
            "Info 2": pick(people),
            "Geb.-Datum": (
                pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 23_000, n), "D")
            ).strftime("%d.%m.%Y"),
            "Birth Year": rng.integers(1940, 2004, n).astype(str),
            "Anrede": pick(["Herr", "Frau"]),
            "PLZ Ort": [f"{p} Berlin" for p in rng.integers(10000, 99999, n)],
            "IP-Adr.": [f"192.168.{a}.{b}" for a, b in rng.integers(0, 255, (n, 2))],
            "Kontakt E-Mail": [f"<p{i}@firma-{i}.de>" for i in range(n)],
            "Mail Adresse": [f"mailto:p{i}@firma.de" for i in range(n)],
            "Converted": pick(["Yes", "No"]),
        }
    )


def test_hostile_personal_columns_are_dropped_and_ordinary_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    _hostile_frame().to_csv(path, index=False)
    table = load_flat_table(
        path, "Converted", id_col="Lead ID", time_col="Created Date", min_class_rows=10
    )
    typer = TableTyper(table.time_col, table.excluded, headers=table.headers).fit(table.frame)
    assert typer.kinds_ == {
        "campaign_name": "category",
        "owner_region": "category",
        "email_opens": "numeric",
        "newsletter_mail": "category",
        "do_not_email": "boolean",
        "do_not_call": "boolean",
        "age": "numeric",
    }
    reasons = typer.dropped_
    assert reasons.pop("kundennummer").startswith("id-like")
    assert reasons.pop("quelle") == "personal data: e-mail addresses inside 5 % of values"
    assert reasons.pop("info_1").startswith("personal data: phone numbers in 100 %")
    assert reasons.pop("info_2") == "personal data: people's names in 100 % of values"
    assert all(why.startswith("personal data: ") for why in reasons.values()), reasons
    assert {table.headers[name] for name in reasons} == {
        *("Kundenbetreuer", "Sachbearbeiter", "Verantwortlich", "Created By", "Sales Person"),
        *("Account Manager", "Lead Owner Alias", "Rufname", "Ansprechpartner Name"),
        *("Mobiltelefon", "Phone No", "Geb.-Datum", "Birth Year", "Anrede", "PLZ Ort"),
        *("IP-Adr.", "Kontakt E-Mail", "Mail Adresse"),
    }


@pytest.mark.parametrize(
    ("option", "column"),
    [
        ("target", "Kundenbetreuer"),
        ("target", "Mobiltelefon"),
        ("target", "Info 2"),
        ("time_col", "Rufname"),
        ("time_col", "Geb.-Datum"),
        ("id_col", "Kontakt E-Mail"),
        ("id_col", "Mobiltelefon"),
    ],
)
def test_personal_target_time_or_id_columns_are_refused_without_a_value(
    tmp_path: Path, option: str, column: str
) -> None:
    frame = _hostile_frame()
    path = tmp_path / "hostile.csv"
    frame.to_csv(path, index=False)
    chosen = {"target": "Converted", option: column}
    with pytest.raises(LeadscoreError) as error:
        load_flat_table(path, min_class_rows=10, **chosen)
    message = str(error.value)
    assert f"`{option}` column '{column}' holds personal data" in message
    shown = set(message.replace("'", " ").replace(",", " ").split())
    assert not shown & {w for v in frame[column].head(60) for w in str(v).split()}


def test_an_id_that_is_the_target_or_repeats_or_is_blank_is_refused(tmp_path: Path) -> None:
    frame = _hostile_frame()[["Lead ID", "Campaign Name", "Converted"]]
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(LeadscoreError, match="`id_col` and `target` both name column 'Converted'"):
        load_flat_table(path, "Converted", id_col="converted", min_class_rows=10)
    frame.loc[:4, "Lead ID"] = "X"
    frame.loc[5:6, "Lead ID"] = ["", "n/a"]
    frame.to_csv(path, index=False)
    with pytest.raises(LeadscoreError) as error:
        load_flat_table(path, "Converted", id_col="Lead ID", min_class_rows=10)
    assert str(error.value) == (
        f"{path}: id column 'Lead ID' has 2 blank value(s) and 5 rows sharing 1 id(s), "
        "e.g. 'X'; each lead needs an id of its own."
    )


@pytest.mark.parametrize("when", ["0001-01-01", "1970-01-01", "2199-01-01"])
def test_time_columns_out_of_range_are_refused_by_name(tmp_path: Path, when: str) -> None:
    frame = _hostile_frame()[["Created Date", "Campaign Name", "Converted"]]
    frame.loc[3, "Created Date"] = when
    path = tmp_path / "times.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(LeadscoreError) as error:
        load_flat_table(path, "Converted", time_col="Created Date", min_class_rows=10)
    message = str(error.value)
    assert message.startswith(f"{path}: time column 'Created Date' has 1 value(s) ")
    assert f"'{when}'" in message and ("before 1980-01-01" in message or "after" in message)


def test_a_header_only_file_is_refused_for_training_and_scoring(tmp_path: Path) -> None:
    frame = _hostile_frame()[["Lead ID", "Campaign Name", "Email Opens", "Converted"]]
    path = tmp_path / "full.csv"
    frame.to_csv(path, index=False)
    typer = TableTyper(drop=("converted",), id_col="lead_id").fit(read_table_file(path).frame)
    empty = tmp_path / "empty.csv"
    frame.head(0).to_csv(empty, index=False)
    with pytest.raises(LeadscoreError, match=r"empty\.csv: the file has no rows to learn from"):
        load_flat_table(empty, "Converted", id_col="Lead ID")
    with pytest.raises(LeadscoreError, match=r"empty\.csv: the file has no rows to score"):
        read_scoring_rows(empty, typer)


def test_scoring_refuses_repeated_ids_and_numbers_too_large(tmp_path: Path) -> None:
    frame = _hostile_frame()[["Lead ID", "Campaign Name", "Email Opens", "Converted"]]
    path = tmp_path / "full.csv"
    frame.to_csv(path, index=False)
    raw = read_table_file(path)
    typer = TableTyper(drop=("converted",), id_col="lead_id", headers=file_headers(raw))
    typer.fit(raw.frame)
    assert len(read_scoring_rows(path, typer)[0]) == len(frame)
    repeated = frame.assign(**{"Lead ID": ["X"] * len(frame)})
    repeated.to_csv(path, index=False)
    with pytest.raises(LeadscoreError, match=r"rows sharing 1 id\(s\), e\.g\. 'X'"):
        read_scoring_rows(path, typer)
    for value in ("inf", "1e308", "-Infinity"):
        frame.loc[7, "Email Opens"] = value
        frame.to_csv(path, index=False)
        with pytest.raises(LeadscoreError) as error:
            read_scoring_rows(path, typer)
        assert str(error.value).startswith(
            f"{path}: column 'Email Opens' has 1 number(s) that are infinite or beyond ±3.4e+38"
        )
        with pytest.raises(NumberOutOfRangeError, match="'Email Opens'"):
            typer.transform(read_table_file(path).frame)


def test_scoring_refuses_text_where_the_model_was_trained_on_numbers(tmp_path: Path) -> None:
    frame = _hostile_frame()[["Lead ID", "Email Opens", "Converted"]]
    path = tmp_path / "leads.csv"
    frame.to_csv(path, index=False)
    raw = read_table_file(path)
    typer = TableTyper(drop=("converted",), id_col="lead_id", headers=file_headers(raw))
    typer.fit(raw.frame)
    assert typer.kinds_["email_opens"] == "numeric"
    # One stray word in a column of numbers is what training allowed too: a blank.
    frame["Email Opens"] = frame["Email Opens"].astype(object)
    frame.loc[3, "Email Opens"] = "lots"
    frame.to_csv(path, index=False)
    assert len(read_scoring_rows(path, typer)[0]) == len(frame)
    # A column turned to text would reach the model as blanks ("not given" reasons): refused.
    frame.loc[: len(frame) // 2, "Email Opens"] = "lots"
    frame.to_csv(path, index=False)
    with pytest.raises(LeadscoreError) as error:
        read_scoring_rows(path, typer)
    message = str(error.value)
    assert message.startswith(f"{path}: column 'Email Opens' has ")
    assert "value(s) that are not numbers" in message and "'lots'" in message


@pytest.mark.parametrize("threshold", ["nan", "7", "-5", "0.5"])
def test_the_leakage_threshold_must_be_an_auc_above_one_half(tmp_path, threshold) -> None:
    path = tmp_path / "t.csv"
    _hostile_frame()[["Campaign Name", "Converted"]].to_csv(path, index=False)
    args = ["train", "--table", str(path), "--target", "Converted", "--no-track"]
    out = ["--out-dir", str(tmp_path / "out"), "--leakage-threshold", threshold]
    message = _user_error(_invoke(*args, *out))
    assert f"--leakage-threshold {float(threshold)}: give a ROC AUC above 0.5" in message


def test_training_names_the_file_and_column_of_an_infinite_number(tmp_path: Path) -> None:
    frame = _hostile_frame()[["Campaign Name", "Email Opens", "Converted"]]
    frame.loc[5, "Email Opens"] = "1e308"
    path = tmp_path / "inf.csv"
    frame.to_csv(path, index=False)
    args = ["train", "--table", str(path), "--target", "Converted", "--no-track"]
    message = _user_error(
        _invoke(*args, "--out-dir", str(tmp_path / "o"), "--min-class-rows", "10")
    )
    assert f"{path}: column 'Email Opens' has 1 number(s) that are infinite" in message
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def _flag_frame(n: int = 250) -> pd.DataFrame:
    """Consent flags with 2.4 % stray personal values, revenue-like numbers and a product."""
    rng = np.random.default_rng(5)
    do_not_email = rng.choice(["1", "0"], n).astype(object)
    do_not_call = rng.choice(["Yes", "No"], n).astype(object)
    stray = rng.choice(n, 6, replace=False)
    do_not_email[stray] = [f"stray{i}@firma.de" for i in range(6)]
    do_not_call[stray] = [f"+49 151 999000{i}" for i in range(6)]
    converted = rng.choice(["Yes", "No"], n)
    return pd.DataFrame(
        {
            "Lead ID": [f"FL{i:06d}" for i in range(n)],
            "Do Not Email": do_not_email,
            "Do Not Call": do_not_call,
            "Annual Revenue": rng.choice([12_000_000, 4_900_000_000, 1_200_000_000], n),
            "Amount": rng.integers(1_000_000_000, 9_999_999_999, n),
            "Last Visit (ms)": rng.integers(1_700_000_000_000, 1_760_000_000_000, n),
            "Product Interest": rng.choice(["Max Anders", "Emma Vogel", "Paul Berg"], n),
            "Pages": np.where(converted == "Yes", rng.poisson(6, n), rng.poisson(3, n)),
            "Converted": converted,
        }
    )


def test_consent_flags_with_stray_personal_values_are_kept_without_them(tmp_path) -> None:
    import pickle

    path = tmp_path / "flags.csv"
    _flag_frame().to_csv(path, index=False)
    table = load_flat_table(path, "Converted", id_col="Lead ID", min_class_rows=10)
    result = compare_flat(table)
    typer = result.typer
    assert typer.kinds_["do_not_email"] == typer.kinds_["do_not_call"] == "boolean"
    out = typer.transform(table.frame)
    assert set(out["do_not_email"].dropna()) == set(out["do_not_call"].dropna()) == {0.0, 1.0}
    assert out["do_not_email"].isna().sum() == out["do_not_call"].isna().sum() == 6
    stored = pickle.dumps(result)  # the models, their category vocabularies, the typer, scores
    assert b"stray" not in stored and b"999000" not in stored


def test_amounts_and_timestamps_are_numeric_features_not_phone_numbers(tmp_path) -> None:
    typer = TableTyper(drop=("converted", "lead_id")).fit(_flag_frame().rename(columns=normalise))
    for name in ("annual_revenue", "amount", "last_visit_(ms)"):
        assert typer.kinds_[name] == "numeric", typer.dropped_.get(name)


def test_a_column_kept_on_request_is_never_dropped_as_personal_data(tmp_path: Path) -> None:
    frame = _flag_frame()
    path = tmp_path / "keep.csv"
    frame.to_csv(path, index=False)
    plain = TableTyper(drop=("converted", "lead_id")).fit(frame.rename(columns=normalise))
    assert plain.dropped_["product_interest"] == "personal data: people's names in 100 % of values"
    table = load_flat_table(
        path, "Converted", id_col="Lead ID", min_class_rows=10, keep=["Product Interest"]
    )
    assert table.kept == ("product_interest",)
    typer = TableTyper(drop=table.excluded, keep=table.kept, headers=table.headers).fit(table.frame)
    assert typer.kinds_["product_interest"] == "category"
    described = typer.describe().set_index("column")
    assert described.loc["product_interest", "action"] == f"category ({KEPT_ON_REQUEST})"
    assert described.loc["pages", "action"] == "number, decimal point"
    with pytest.raises(LeadscoreError, match=r"`keep` column 'Produkt' is not in the file"):
        load_flat_table(path, "Converted", min_class_rows=10, keep=["Produkt"])


def _marks_frame() -> pd.DataFrame:
    """Number columns as real exports write them, side by side in one table."""
    return pd.DataFrame(
        {
            "Avg Session Minutes": ["4.857", "2.5", "0.25", "12.333", "4.857", "7.125"],
            "Bounce Rate": ["0.025", "0.2", "0.125", "0.025", "0.1", "0.05"],
            "Budget (EUR)": ["1.234,50", "980,00", "12.500,00", "1.234,50", "75,5", "0,00"],
            "Employees": ["1.200", "45", "3.000", "800", "12", "1.500"],
            "Mixed": ["4.857", "0.025", "12.5", "1.200", "1,5", "3"],
            "Score": ["4.857", "2.316", "7.125", "4.857", "3.333", "9.019"],
        }
    ).rename(columns=normalise)


def test_decimal_marks_are_decided_per_column_and_scoring_reads_them_as_trained() -> None:
    raw = _marks_frame()
    typer = TableTyper().fit(raw)
    assert typer.number_formats_ == {
        "avg_session_minutes": "point",  # "2.5", "0.25" show it: "4.857" is 4.857, not 4857
        "bounce_rate": "point",  # "0.025" can only be a decimal
        "budget_(eur)": "comma",  # "1.234,50"
        "employees": "comma",  # integers below 1,000 beside round "1.200": thousands
        "mixed": "point",  # "0.025" and "12.5" outvote one "1,5"
        "score": "point",  # only ambiguous, not round, no integers: decimals
    }
    out = typer.transform(raw)
    assert out["avg_session_minutes"].tolist()[:2] == pytest.approx([4.857, 2.5])
    assert out["bounce_rate"].max() == pytest.approx(0.2)  # not 25 (= 0.025 × 1,000)
    assert out["budget_eur"].tolist()[:3] == pytest.approx([1234.5, 980.0, 12500.0])
    assert out["employees"].tolist() == [1200, 45, 3000, 800, 12, 1500]
    # The mixed column: ambiguous values follow the column's decimal point; "1,5" has only
    # one reading (a thousands group has three digits) and is read so, with a note.
    assert out["mixed"].tolist() == pytest.approx([4.857, 0.025, 12.5, 1.2, 1.5, 3.0])
    actions = typer.describe(raw).set_index("column")["action"]
    assert actions["budget_(eur)"] == "number, decimal comma"
    assert actions["mixed"].startswith("number, decimal point (mixed marks: 1 value(s)")
    assert "ambiguous: only values like 1.200, read as thousands" in actions["employees"]
    assert "ambiguous: only values like 4.857, read as decimals" in actions["score"]
    # Scoring a file holding only "1.200" reads it as the training file did, per column.
    scoring = pd.DataFrame({name: ["1.200"] for name in raw.columns})
    scored = typer.transform(scoring).iloc[0]
    assert scored["mixed"] == pytest.approx(1.2) and scored["score"] == pytest.approx(1.2)
    assert scored["employees"] == 1200 and scored["budget_eur"] == 1200


def test_an_export_written_one_way_decides_its_ambiguous_columns() -> None:
    ambiguous = ["1.200", "3.000", "2.500", "1.000"]
    german = pd.DataFrame({"rate": ["0,5", "1,25", "0,75", "2,5"], "amount": ambiguous})
    english = pd.DataFrame({"rate": ["0.5", "1.25", "0.75", "2.5"], "amount": ambiguous})
    assert TableTyper().fit(german).transform(german)["amount"].tolist()[0] == 1200
    assert TableTyper().fit(english).transform(english)["amount"].tolist()[0] == pytest.approx(1.2)
    alone = TableTyper().fit(english[["amount"]])  # round values, no other evidence: thousands
    assert alone.transform(english)["amount"].tolist()[0] == 1200
    forced = TableTyper(number_formats={"amount": "point"}).fit(english[["amount"]])
    assert forced.transform(english)["amount"].tolist()[0] == pytest.approx(1.2)


def test_integer_codes_become_categories_and_counts_stay_numbers() -> None:
    rng = np.random.default_rng(2)
    n = 200
    raw = pd.DataFrame(
        {
            "Region Code": rng.integers(1, 10, n).astype(str),
            "Browser": rng.integers(1, 14, n).astype(str),
            "Operating System": rng.integers(1, 9, n).astype(str),
            "Traffic Type": rng.integers(1, 21, n).astype(str),
            "Kundentyp": rng.integers(1, 4, n).astype(str),
            "Page Views": rng.integers(0, 30, n).astype(str),
            "Anzahl Besuche": rng.integers(0, 12, n).astype(str),
            "Visits": rng.integers(0, 9, n).astype(str),
            "Zone": rng.normal(0, 1, n).round(2).astype(str),  # a code word, but not integers
        }
    ).rename(columns=normalise)
    typer = TableTyper().fit(raw)
    codes = ["region_code", "browser", "operating_system", "traffic_type", "kundentyp"]
    assert typer.integer_codes_ == tuple(codes)
    assert {n: typer.kinds_[n] for n in codes} == dict.fromkeys(codes, "category")
    for count in ("page_views", "anzahl_besuche", "visits", "zone"):
        assert typer.kinds_[count] == "numeric", count
    # "3", "3.0" and a typed 3 are the same code at scoring
    scoring = raw.head(3).assign(browser=["3", "3.0", " 3 "])
    assert typer.transform(scoring)["browser"].tolist() == ["3", "3", "3"]
    typed = raw.head(2).assign(browser=[3.0, np.nan])
    assert typer.transform(typed)["browser"].tolist()[0] == "3"
    actions = typer.describe(raw).set_index("column")["action"]
    assert actions["traffic_type"] == "category (integer codes)"
    assert actions["page_views"] == "number, decimal point"


def test_the_typing_table_shows_every_column_and_no_personal_value() -> None:
    raw = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(6)],
            "won": ["yes", "no"] * 3,
            "email": [f"p{i}@firma.de" for i in range(6)],
            "lead_owner": ["Stefan Wolf", "Anna Vogel"] * 3,
            "notes": ["call +49 151 2345678", "x", "x", "y", "n/a", "x"],
            "budget": ["1.234,50", "980,00", "", "75,5", "12,00", "n/a"],
        }
    )
    typer = TableTyper(drop=("won", "lead_owner"), id_col="lead_id", target="won").fit(raw)
    table = typer.describe(raw)
    assert list(table.columns) == [
        "column", "header", "type", "number_format", "missing_share", "distinct_values",
        "example", "action", "feature",
    ]  # fmt: skip
    rows = table.set_index("column")
    assert rows["type"].to_dict() == {
        "lead_id": "id", "won": "target", "email": "drop", "lead_owner": "drop",
        "notes": "category", "budget": "numeric",
    }  # fmt: skip
    assert rows.loc["budget", "missing_share"] == pytest.approx(2 / 6, abs=1e-3)
    assert rows.loc["budget", "distinct_values"] == 4
    assert rows.loc["budget", "number_format"] == "comma"
    assert rows.loc["notes", "example"] == "'x'"
    # personal columns show no value, also when dropped with --drop
    assert rows.loc["email", "example"] == rows.loc["lead_owner", "example"] == ""
    text = table.to_csv()
    assert not any(t in text for t in ("@firma", "Stefan", "Vogel", "2345678"))


def test_a_types_file_corrects_the_typing_and_scoring_keeps_it(tmp_path: Path) -> None:
    from leadscore.modeling.bundle import from_json, to_json
    from leadscore.types_file import read_types_file

    raw = _marks_frame()
    inferred = TableTyper().fit(raw)
    written = tmp_path / "column_types.csv"
    edited = inferred.describe(raw)
    edited.loc[edited["column"] == "employees", ["type", "number_format"]] = ["numeric", "point"]
    edited.loc[edited["column"] == "score", "type"] = "drop"
    edited.loc[edited["column"] == "bounce_rate", "type"] = "category"
    edited.to_csv(written, index=False)  # as leadscore writes it, then edited
    overrides = read_types_file(written, raw.columns)
    assert overrides.types["score"] == "drop"
    assert overrides.number_formats == {
        "avg_session_minutes": "point", "budget_(eur)": "comma", "employees": "point",
        "mixed": "point",
    }  # fmt: skip
    typer = TableTyper(types=overrides.types, number_formats=overrides.number_formats).fit(raw)
    assert typer.dropped_ == {"score": "dropped on request (`types`)"}
    assert typer.kinds_["bounce_rate"] == "category"
    assert typer.transform(raw)["employees"].tolist()[0] == pytest.approx(1.2)
    assert "set by `types`" in typer.describe().set_index("column").loc["employees", "action"]
    # the model bundle keeps the corrections: scoring reads as training did
    restored = from_json(json.loads(json.dumps(to_json(typer))))
    pd.testing.assert_frame_equal(restored.transform(raw), typer.transform(raw))
    assert restored.types == overrides.types and restored.calendar_ == typer.calendar_
    yaml_file = tmp_path / "types.yaml"
    yaml_file.write_text("Employees: {type: numeric, number_format: point}\nScore: drop\n")
    assert read_types_file(yaml_file, raw.columns).types == {
        "employees": "numeric",
        "score": "drop",
    }


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("column,type\nemployees,numeric\nplz,category\n", ".csv", r"line 3: column 'plz' is not"),
        ("column,type\nemployees,integer\n", ".csv", r"line 2: type 'integer' of column 'emp"),
        ("column;type;number_format\nscore;numeric;dot\n", ".csv", r"line 2: number format 'dot'"),
        ("column,kind\nscore,numeric\n", ".csv", r"line 1: a `types` CSV needs the columns"),
        ("score: numeric\nEmployees: text\n", ".yaml", r"line 2: type 'text' of column 'Emp"),
        ("score: numeric\nscore: drop\n", ".yml", r"line 2: column 'score' is given twice"),
        ("score: [1, 2\n", ".yaml", r"line \d+: not valid YAML"),
    ],
)
def test_a_bad_types_file_is_refused_naming_file_line_and_value(
    tmp_path: Path, content: str, suffix: str, message: str
) -> None:
    from leadscore.types_file import read_types_file

    path = tmp_path / f"types{suffix}"
    path.write_text(content)
    with pytest.raises(LeadscoreError, match=rf"{path.name}, {message}"):
        read_types_file(path, _marks_frame().columns)


@pytest.mark.parametrize(("content", "suffix"), [("", ".yaml"), ("column,type\n", ".csv")])
def test_an_empty_types_file_is_refused(tmp_path: Path, content: str, suffix: str) -> None:
    from leadscore.types_file import read_types_file

    path = tmp_path / f"types{suffix}"
    path.write_text(content)
    with pytest.raises(LeadscoreError, match=rf"{path.name}: the `types` file types no column"):
        read_types_file(path, _marks_frame().columns)


def test_personal_data_stays_dropped_whatever_the_types_file_says() -> None:
    raw = pd.DataFrame({"owner": ["Stefan Wolf", "Anna Vogel"] * 5, "visits": list("1234512345")})
    typer = TableTyper(types={"owner": "category"}).fit(raw)
    assert typer.dropped_["owner"].startswith("personal data")
    assert "add `keep`" in typer.describe().set_index("column").loc["owner", "action"]
    kept = TableTyper(types={"owner": "category"}, keep=("owner",)).fit(raw)
    assert kept.kinds_["owner"] == "category"


def test_a_typer_from_an_older_bundle_reads_numbers_and_dates_as_it_was_trained() -> None:
    from leadscore.modeling.bundle import from_json, to_json

    raw = pd.DataFrame(
        {"created": ["2025-03-10", "2025-03-20"], "seen": ["2025-03-01", "2025-03-02"]}
    ).assign(amount=["1.200", "0.5"])
    state = to_json(TableTyper(time_col="created").fit(raw))
    for name in ("calendar_", "number_formats_", "integer_codes_", "notes_"):
        del state["fitted"][name]  # what older versions stored
    for name in ("types", "number_formats", "target"):
        del state["params"][name]
    old = from_json(state)
    out = old.transform(raw)
    assert list(out) == ["seen", "amount"]  # no calendar features: as the old model was trained
    assert out["amount"].tolist() == [1200.0, 0.5]  # the per-value reading it was trained with
    assert old.describe().set_index("column").loc["seen", "action"] == "days before created"


def test_train_prints_the_typing_table_writes_it_and_takes_it_back(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 240
    won = rng.random(n) < 0.4
    frame = pd.DataFrame(
        {
            "Lead ID": [f"L{i}" for i in range(n)],
            "Created": (pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(n), "D")).strftime(
                "%Y-%m-%d"
            ),
            "Browser": rng.integers(1, 6, n).astype(str),
            "Avg Minutes": np.where(won, rng.uniform(3, 9, n), rng.uniform(0, 5, n)).round(3),
            "Budget": [
                f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
                for v in rng.uniform(100, 5000, n)
            ],
            "Won": np.where(won, "yes", "no"),
        }
    )
    frame["Avg Minutes"] = frame["Avg Minutes"].map(lambda v: f"{v:.3f}")
    path = tmp_path / "leads.csv"
    frame.to_csv(path, index=False, sep=";")
    out = tmp_path / "out"
    args = ["train", "--table", str(path), "--target", "Won", "--id", "Lead ID", "--no-track"]
    args += ["--time-col", "Created", "--out-dir", str(out), "--min-class-rows", "20"]
    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    assert "category (integer codes)" in printed and "number, decimal comma" in printed
    assert "calendar: weekday" in printed
    types = pd.read_csv(out / "column_types.csv", keep_default_na=False)
    assert types.set_index("column")["number_format"].to_dict()["avg_minutes"] == "point"
    types.loc[types["column"] == "browser", "type"] = "drop"
    edited = tmp_path / "types.csv"
    types.to_csv(edited, index=False)
    again = _invoke(*args, "--types", str(edited))
    assert again.exit_code == 0, again.output
    rows = pd.read_csv(out / "column_types.csv", keep_default_na=False).set_index("column")
    assert rows.loc["browser", "action"] == "dropped: dropped on request (`types`)"
    bad = tmp_path / "bad.csv"
    bad.write_text("column,type\nbrowser,text\n")
    message = _user_error(_invoke(*args, "--types", str(bad)))
    assert "bad.csv, line 2: type 'text' of column 'browser'" in message


def test_each_table_keeps_its_own_report_folder(tmp_path: Path, monkeypatch) -> None:
    from leadscore import config

    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    for name in ("north.csv", "south.csv"):
        messy_flat_table(600, seed=1).to_csv(tmp_path / name, index=False)
        args = ["train", "--table", str(tmp_path / name), "--target", "Converted", "--no-track"]
        result = _invoke(*args, "--id", "Lead ID", "--min-class-rows", "20")
        assert result.exit_code == 0, result.output
        folder = tmp_path / "reports" / f"leadscore-{Path(name).stem}"
        assert (folder / "column_types.csv").is_file() and (folder / "leakage_audit.csv").is_file()
        unwrapped = "".join(result.output.split())  # the terminal wraps long paths
        assert f"correctwith--types{folder / 'column_types.csv'}" in unwrapped
