"""Personal data: found by header (English, German) and by content; masked in messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.privacy import mask_personal, personal_data_reason, safe_examples

NAMES = pd.Series(["Katrin Vogel", "Stefan Brandt", "Sabine Krüger"] * 20)


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
    assert personal_data_reason(header, NAMES) == f"personal data: {kind} (header '{header}')"


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
