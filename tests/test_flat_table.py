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
from leadscore.synthetic.flat import messy_flat_table

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
    text = pd.Series(["1,200", "1.200.000", "3,5", "-7", "12 %", None], dtype="string")
    assert to_number(text).tolist()[:5] == [1200, 1_200_000, 3.5, -7, 12]
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


def test_dates_become_days_before_the_row_time_and_are_dropped_without_one() -> None:
    raw = pd.DataFrame(
        {
            "created": ["2025-03-10", "2025-03-20", "2025-04-01"],
            "first_touch": ["01.03.2025", "10.03.2025", "2025-01-01"],
        }
    )
    with_time = TableTyper(time_col="created").fit(raw)
    assert with_time.kinds_ == {"first_touch": "date"}
    assert with_time.transform(raw)["first_touch"].tolist() == [9.0, 10.0, 90.0]
    assert "first_touch" in TableTyper().fit(raw).dropped_


def test_targets_in_every_spelling_and_a_clear_error_otherwise(tmp_path: Path) -> None:
    got = parse_target(pd.Series(["Yes", "no", "TRUE", "0", "1", ""]), tmp_path, "won")
    assert got.tolist()[:5] == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert np.isnan(got.iloc[5])
    with pytest.raises(LeadscoreError, match=r"target column 'won' has 1 value.*'maybe'"):
        parse_target(pd.Series(["yes", "maybe"]), tmp_path / "x.csv", "won")


def test_loading_names_missing_columns_and_leaves_out_open_leads(export: Path) -> None:
    with pytest.raises(LeadscoreError, match=r"crm_export.csv: --target column 'Won'"):
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
    assert audit.loc[audit["flagged"], "feature"].tolist() == ["deal_stage"]
    assert "--drop deal_stage" in audit.loc[0, "advice"]
    assert set(comparison.typer.dropped_) == set(PERSONAL_COLUMNS)
    clean = load_flat_table(
        export, "Converted", id_col="Lead ID", time_col="Created Date", drop=["Deal Stage"]
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

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    metrics = tmp_path / "metrics.json"
    args = ["train", "--table", str(export), "--target", "Converted", "--id", "Lead ID"]
    args += ["--time-col", "Created Date", "--out-dir", str(tmp_path / "reports")]
    result = CliRunner().invoke(app, [*args, "--metrics-out", str(metrics)])
    assert result.exit_code == 0, result.output
    assert "Drop it with --drop deal_stage" in " ".join(result.output.split())
    written = json.loads(metrics.read_text())
    assert set(written["models"]) == {"learned_points", "lightgbm"}
    assert written["leakage_audit"]["flagged"] == ["deal_stage"]
    assert (tmp_path / "reports" / "leakage_audit.csv").is_file()
    run = mlflow.get_run(written["mlflow_run_id"])
    assert run.data.tags["leakage_flagged"] == "deal_stage"
    assert run.data.tags["mode"] == "flat_table"
    # The leaky model is registered but not promoted; the honest one becomes the champion.
    client = mlflow.MlflowClient()
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.get_model_version_by_alias("leadscore", "champion")
    result = CliRunner().invoke(app, [*args, "--drop", "Deal Stage", "--no-track"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, [*args, "--drop", "Deal Stage"])
    assert "now the champion" in " ".join(result.output.split())
    model = mlflow.pyfunc.load_model("models:/leadscore@champion")
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
    names = typer.describe().set_index("column")["feature"].to_dict()
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
    with pytest.raises(LeadscoreError, match="12 converted rows, 40 needed: 28 short"):
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
        "--time-col", "Created Date", "--drop", "Deal Stage", "--out-dir", str(home / "reports"),
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
    flag = {"target": "--target", "time_col": "--time-col", "id_col": "--id"}[option]
    assert f"{flag} column '{column}' holds personal data" in message
    shown = set(message.replace("'", " ").replace(",", " ").split())
    assert not shown & {w for v in frame[column].head(60) for w in str(v).split()}


def test_an_id_that_is_the_target_or_repeats_or_is_blank_is_refused(tmp_path: Path) -> None:
    frame = _hostile_frame()[["Lead ID", "Campaign Name", "Converted"]]
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(LeadscoreError, match="--id and --target both name column 'Converted'"):
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
    assert described.loc["product_interest", "reason"] == KEPT_ON_REQUEST
    assert described.loc["pages", "reason"] == ""
    with pytest.raises(LeadscoreError, match=r"--keep column 'Produkt' is not in the file"):
        load_flat_table(path, "Converted", min_class_rows=10, keep=["Produkt"])
