"""Personal data: found by header (English, German) and by content; masked in messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.privacy import mask_personal, personal_data_reason, safe_examples

NAMES = pd.Series(["Katrin Vogel", "Stefan Brandt", "Sabine Krüger"] * 20)
EMAILS = pd.Series(["k.vogel@firma.de", "s.brandt@firma.de", "Select"] * 20)


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Email", "an e-mail address"),
        ("E-Mail", "an e-mail address"),
        ("EmailAddress", "an e-mail address"),
        ("Email Address", "an e-mail address"),
        ("E-Mail-Adresse", "an e-mail address"),
        ("First Name", "a person's name"),
        ("Last_Name", "a person's name"),
        ("FullName", "a person's name"),
        ("Name", "a person's name"),
        ("Vorname", "a person's name"),
        ("Nachname", "a person's name"),
        ("Ansprechpartner", "a person's name"),
        ("Kontaktperson", "a person's name"),
        ("Lead Owner", "a person's name"),
        ("Lead-Inhaber", "a person's name"),
        ("Sales Rep", "a person's name"),
        ("Assigned To", "a person's name"),
        ("Zuständig", "a person's name"),
        ("Zustaendig", "a person's name"),
        ("Bearbeiter", "a person's name"),
        ("Telefon", "a phone number"),
        ("Mobile Phone", "a phone number"),
        ("Handy", "a phone number"),
        ("Straße", "a postal address"),
        ("Strasse", "a postal address"),
        ("Anschrift", "a postal address"),
        ("PLZ", "a postal address"),
        ("IBAN", "a bank detail"),
        ("LinkedIn URL", "an online identifier"),
        ("Geburtsdatum", "a date of birth"),
    ],
)
def test_personal_headers_in_english_and_german_are_found(header: str, kind: str) -> None:
    values = EMAILS if kind == "an e-mail address" else NAMES
    assert personal_data_reason(header, values) == f"personal data: {kind} (header '{header}')"


@pytest.mark.parametrize(
    "header",
    [
        "Campaign Name",
        "Company Name",
        "Product Name",
        "Owner Region",
        "Email Opens",
        "Mail Campaign",
        "Email Domain",
        "Street Type",
        "Address Type",
        "Firmenname",
        "Kampagnenname",
    ],
)
def test_headers_about_other_things_than_people_are_kept(header: str) -> None:
    # the last word says what a column holds: a campaign's name is a feature, not a person's
    categories = pd.Series(["Spring Sale", "Webinar Q3", "Newsletter"] * 20)
    assert personal_data_reason(header, categories) is None


@pytest.mark.parametrize("header", ["Phone (work)", "Email 2", "Telefon geschäftlich"])
def test_qualified_personal_headers_are_found(header: str) -> None:
    assert personal_data_reason(header, NAMES) is not None


@pytest.mark.parametrize(
    "header",
    ["Do Not Email", "Do Not Call", "Email Opt Out", "HasOptedOutOfEmail", "Keine E-Mails"],
)
@pytest.mark.parametrize(
    "values",
    [["Yes", "No", "no"], ["true", "false", "true"], ["1", "0", ""], [True, False, True]],
)
def test_consent_flags_are_not_personal_data_whatever_their_spelling(header, values) -> None:
    assert personal_data_reason(header, pd.Series(values * 10)) is None


def test_a_stray_value_in_a_consent_flag_does_not_make_it_personal_data() -> None:
    flags = pd.Series(["Yes", "No"] * 100 + ["anna@firma.de"])
    assert personal_data_reason("Do Not Email", flags) is None


def test_counts_under_personal_headers_are_features_but_identifiers_are_not() -> None:
    rng = np.random.default_rng(0)
    assert personal_data_reason("Phone Calls", pd.Series(rng.poisson(2, 500))) is None
    assert personal_data_reason("Email Opens", pd.Series(rng.poisson(4, 500).astype(str))) is None
    postcodes = pd.Series(rng.integers(1067, 99998, 500).astype(str))
    assert (
        personal_data_reason("PLZ", postcodes) == "personal data: a postal address (header 'PLZ')"
    )
    numbers = pd.Series(rng.integers(10**9, 10**10, 500))
    assert personal_data_reason("Mobile", numbers) is not None


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["anna.schmidt@firma.de", "MAX@EXAMPLE.COM", "j+tag@mail.co.uk"], "e-mail addresses"),
        (["+49 151 2345678", "0151 2345678", "030/1234567", "(555) 123-4567"], "phone numbers"),
        (["DE89 3704 0044 0532 0130 00", "DE89370400440532013000"], "IBANs"),
        (["Hauptstraße 12", "Bahnhofstr. 3a", "Am Ring 7", "12 Main Street"], "street addresses"),
    ],
)
def test_personal_content_is_found_under_any_header(values: list[str], kind: str) -> None:
    column = pd.Series(values * 25 + ["DE", "AT"] * 5)
    share = len(values) * 25 / len(column)
    expected = f"personal data: {kind} in {share:.0%} of values".replace("%", " %")
    assert personal_data_reason("Kontakt Info", column) == expected


@pytest.mark.parametrize(
    "values",
    [
        ["2025-03-01", "01.03.2025", "2025-03-01T10:00:00Z"],
        ["1,200", "1.200.000", "3,5", "-7", "12 %", "1000000"],
        ["Head of Marketing", "CEO", "Werkstudent"],
        ["FL000001", "0000667", "A-1234-5678", "00012345", "000123456789"],
        ["Spring 2024", "Webinar 12", "Fair 2025 Hall 3"],
        ["organic_search", "paid_search", "referral"],
    ],
)
def test_ordinary_values_are_not_personal(values: list[str]) -> None:
    assert personal_data_reason("Info", pd.Series(values * 20)) is None


def test_messages_show_masked_short_examples() -> None:
    text = "row 7: 'L7;anna@firma.de;+49 151 2345678;DE89 3704 0044 0532 0130 00;2025-01-01'"
    masked = mask_personal(text)
    assert masked == "row 7: 'L7;<e-mail>;<phone>;<IBAN>;2025-01-01'"
    shown = safe_examples(["yes", "anna@firma.de", "anna@firma.de", "y" * 200, None, "z"], n=4)
    assert shown == "'yes', '<e-mail>', '" + "y" * 29 + "…', None"


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Kundenbetreuer", "a person's name"),
        ("Betreuer Vertrieb", "a person's name"),
        ("Sachbearbeiter", "a person's name"),
        ("Verantwortlich", "a person's name"),
        ("Vertriebsverantwortlicher", "a person's name"),
        ("Created By", "a person's name"),
        ("Last Modified By", "a person's name"),
        ("Erstellt von", "a person's name"),
        ("Sales Person", "a person's name"),
        ("Salesperson", "a person's name"),
        ("Account Manager", "a person's name"),
        ("Key Account", "a person's name"),
        ("Key Account Manager", "a person's name"),
        ("Vertriebler", "a person's name"),
        ("Lead Owner Alias", "a person's name"),
        ("Rufname", "a person's name"),
        ("Ansprechpartner Name", "a person's name"),
        ("Kontakt Name", "a person's name"),
        ("Mobiltelefon", "a phone number"),
        ("Telefonnummer privat", "a phone number"),
        ("Phone No", "a phone number"),
        ("Handy-Nr.", "a phone number"),
        ("Geb.-Datum", "a date of birth"),
        ("geb_datum", "a date of birth"),
        ("Birth Year", "a date of birth"),
        ("Geburtsjahr", "a date of birth"),
        ("Anrede", "a form of address or gender"),
        ("Salutation", "a form of address or gender"),
        ("PLZ Ort", "a postal address"),
        ("Lieferadresse", "a postal address"),
        ("IP-Adr.", "an online identifier"),
        ("IP-Adresse", "an online identifier"),
        ("Kontakt E-Mail", "an e-mail address"),
        ("Mail Adresse", "an e-mail address"),
        ("E-Mail-Adresse geschäftlich", "an e-mail address"),
    ],
)
def test_german_compounds_and_crm_role_headers_are_found(header: str, kind: str) -> None:
    values = EMAILS if kind == "an e-mail address" else pd.Series(["Herr", "Frau", "x1"] * 20)
    assert personal_data_reason(header, values) == f"personal data: {kind} (header '{header}')"


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Newsletter Mail", ["Weekly", "Monthly", "Select"]),  # no "@": a frequency
        ("Mail Frequency", ["Weekly", "Monthly", "Never"]),
        ("Age", ["34", "51", "27"]),  # an age is an ordinary B2C feature (module docstring)
        ("Alter", [34, 51, 27]),
        ("Anzahl Telefonate", ["3", "0", "12"]),
        ("Telefonkampagne", ["Q1 2024", "Q2 2024", "none"]),
        ("Hotel Category", ["3 stars", "4 stars", "5 stars"]),
        ("Kampagnenname", ["Spring Sale", "Webinar Q3", "Newsletter"]),
        ("Anzahl Mitarbeiter", ["12", "250", "1,200"]),
        ("Company Founded", ["1962-03-01", "1975-01-01", "1990-06-30"]),  # decades back, a firm's
        ("Country", ["Jordan", "Germany", "Austria"]),
        ("Industry", ["Retail", "Finance", "Health Care"]),
    ],
)
def test_ordinary_columns_with_people_like_headers_or_values_are_kept(header, values) -> None:
    assert personal_data_reason(header, pd.Series(values * 20)) is None


@pytest.mark.parametrize("header", ["Do Not Email", "Do Not Call"])
def test_consent_flags_with_placeholders_are_kept_alike(header: str) -> None:
    flags = pd.Series(["Yes", "No"] * 95 + ["Select", "n/a", "-", "", "N/A"] * 2)
    assert personal_data_reason(header, flags) is None


@pytest.mark.parametrize(
    "values",
    [
        ["Stefan Wolf", "Anna Vogel", "Markus Braun", "Laura Keller"],
        ["Emma", "Hannah", "Marie", "Mia"],  # first names alone (Rufname)
        ["Dr. Jonas Beck", "Frau Petra Lang", "Vogel, Anna", "Mr. John Smith"],
    ],
)
def test_peoples_names_are_found_by_content_under_any_header(values: list[str]) -> None:
    column = pd.Series(values * 10 + ["Partner", "Web"] * 10)
    assert personal_data_reason("Info", column) == "personal data: people's names in 67 % of values"


@pytest.mark.parametrize(
    "values",
    [
        ["4917334551514", "4917047998757", "16701563630", "01511234567"],
        [4917334551514, 4917047998757, 16701563630, 491511234567],  # read as numbers
        [4917334551514.0, 4917047998757.0, 16701563630.0, np.nan],
    ],
)
def test_phone_numbers_stored_as_digits_are_found(values) -> None:
    column = pd.Series(values * 10)
    assert personal_data_reason("Kontakt", column).startswith("personal data: phone numbers in")


def test_digits_under_an_id_header_and_large_amounts_are_not_phone_numbers() -> None:
    record_numbers = pd.Series(np.arange(4_900_000_000_000, 4_900_000_000_300))
    assert personal_data_reason("Kundennummer", record_numbers) is None
    assert personal_data_reason("Record ID", record_numbers.astype(str)) is None
    revenue = pd.Series([1_250_000.0, 980_000.5, 12_000_000.0] * 20)
    assert personal_data_reason("Annual Revenue", revenue) is None


def test_dates_and_years_of_birth_are_found_by_content() -> None:
    now = pd.Timestamp("2025-06-01", tz="UTC")
    born = pd.Series(["06.03.1962", "09.07.1997", "1985-11-30", "12.12.1970"] * 10)
    assert personal_data_reason("Datum 2", born, now=now) == (
        "personal data: dates of birth (100 % of dates lie 15 to 100 years back)"
    )
    typed = pd.to_datetime(pd.Series(["1962-03-06", "1997-07-09"] * 10), utc=True)
    assert personal_data_reason("Datum 2", typed, now=now) is not None
    assert personal_data_reason("Birth (yyyy)", pd.Series([1962, 1999, 1955] * 10)) is not None
    created = pd.Series(["2024-01-03", "2023-11-30", "01.06.2025"] * 10)
    assert personal_data_reason("Datum 1", created, now=now) is None
    # an old CRM export: creation dates all 15+ years back, but within a few years
    old_export = pd.Series(pd.date_range("1998-01-01", "2006-12-31", periods=40).astype(str))
    assert personal_data_reason("Datum 1", old_export, now=now) is None


def test_emails_and_ibans_inside_a_few_category_values_make_the_column_personal() -> None:
    sources = ["Web", "Fair", "Partner", "Newsletter"] * 24  # 96 values
    quelle = pd.Series(
        [*sources, "Referral max.mustermann@firma.de", "Partner anna@x.de call 0151 2345678"]
        + ["Select"] * 10  # placeholders are not values
    )
    assert personal_data_reason("Quelle", quelle) == (
        "personal data: e-mail addresses inside 2 % of values"
    )
    paid = pd.Series([*sources, "paid from DE89 3704 0044 0532 0130 00"])
    assert personal_data_reason("Notiz", paid) == "personal data: IBANs inside 1 % of values"
    # product codes shaped like an IBAN but without valid check digits are kept
    codes = pd.Series([*sources, "Bundle AB12 3456 7890 1234 56", "FL00000100000000 promo"])
    assert personal_data_reason("Produkt", codes) is None


def test_digit_runs_of_phone_length_are_masked_in_messages() -> None:
    masked = mask_personal("rows 4917334551514 and 16701563630; lead FL000001; 2025-03-01")
    assert masked == "rows <number> and <number>; lead FL000001; 2025-03-01"
    assert mask_personal("1,200 rows; 12345 leads") == "1,200 rows; 12345 leads"
