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
        ["Dr. Jonas Beck", "Frau Petra Lang", "Vogel, Anna", "Mr. John Smith"],
        ["Dr. Hans-Jürgen Müller-Lüdenscheidt", "Karl-Heinz Schmidt", "Anna-Lena Vogel"],
        ["Mehmet Yılmaz", "Ayşe Kaya", "Piotr Nowak", "Priya Sharma", "Giuseppe Rossi"],
        ["hans müller", "jan berg", "LAURA KLEIN", "anna vogel"],
        ["J. Smith", "K. Müller", "A. Vogel", "M. Jones"],
        ["van der Berg, Jan", "de Vries, Anna", "von Weizsäcker, Richard", "Jan van der Berg"],
        ["Anna Maria Vogel", "Jean-Luc Picard", "Eva M. Roth", "Olga Ivanova"],
        ["Max Müller", "Emma Schulz", "Leo Wagner", "Mia Hoffmann"],  # product-like first names
    ],
)
def test_peoples_names_are_found_by_content_under_any_header(values: list[str]) -> None:
    column = pd.Series(values * 10 + ["Partner", "Web"] * 10)
    share = len(values) * 10 / len(column)
    expected = f"personal data: people's names in {share:.0%} of values".replace("%", " %")
    assert personal_data_reason("Info", column) == expected


def test_phone_numbers_written_as_digits_in_text_are_found() -> None:
    digits = pd.Series(["4917334551514", "+4917047998757", "16701563630", "01511234567"] * 10)
    assert personal_data_reason("Info", digits).startswith("personal data: phone numbers in")


@pytest.mark.parametrize(
    "values",
    [[4917334551514, 4917047998757, 16701563630], [4917334551514.0, 16701563630.0, np.nan]],
)
def test_phone_numbers_read_as_numbers_are_found_by_a_phone_header_only(values) -> None:
    column = pd.Series(values * 10)
    assert personal_data_reason("Mobil", column) == "personal data: a phone number (header 'Mobil')"
    assert personal_data_reason("Info", column) is None  # a numeric column is amounts, not phones


def test_digits_under_an_id_header_and_large_amounts_are_not_phone_numbers() -> None:
    record_numbers = pd.Series(np.arange(4_900_000_000_000, 4_900_000_000_300))
    assert personal_data_reason("Kundennummer", record_numbers) is None
    assert personal_data_reason("Record ID", record_numbers.astype(str)) is None
    revenue = pd.Series([1_250_000.0, 980_000.5, 12_000_000.0] * 20)
    assert personal_data_reason("Annual Revenue", revenue) is None


def test_dates_and_years_of_birth_are_found_by_their_header_only() -> None:
    born = pd.Series(["06.03.1962", "09.07.1997", "1985-11-30", "12.12.1970"] * 10)
    typed = pd.to_datetime(pd.Series(["1962-03-06", "1997-07-09"] * 10), utc=True)
    for header in ("Geb.-Datum", "Date of Birth", "DOB", "Birthdate", "Geburtstag"):
        assert personal_data_reason(header, born) == (
            f"personal data: a date of birth (header '{header}')"
        )
        assert personal_data_reason(header, typed) is not None
    assert personal_data_reason("Birth (yyyy)", pd.Series([1962, 1999, 1955] * 10)) is not None
    # dates decades back are as often a first purchase or a contract start: features
    for header in ("First Purchase", "Contract Start", "Datum 2"):
        assert personal_data_reason(header, born) is None
        assert personal_data_reason(header, typed) is None


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


ODD_HEADERS = [
    "Gebiet", "PLZ-Gebiet", "Vertriebs Gebiet", "Gebühr", "Gebäude Typ", "Birth Place",
    "Geb.-Datum", "Email", "Telefon", "Lead Owner", "IBAN", "Do Not Email", "Info", "Amount",
]  # fmt: skip
ODD_VALUES = {
    "all missing": pd.Series([None, np.nan, None] * 5, dtype=object),
    "all missing text": pd.Series([pd.NA] * 15, dtype="string"),
    "all missing numbers": pd.Series([pd.NA] * 15, dtype="Int64"),
    "all placeholders": pd.Series(["Select", "n/a", "-", "", "Unknown"] * 3),
    "no rows": pd.Series([], dtype=object),
    "integers with gaps": pd.Series([1, 2, pd.NA, 1975] * 4, dtype="Int64"),
    "floats": pd.Series([0.5, np.nan, 1e9, -3.25] * 4),
    "numbers as text": pd.Series(["12", "4.900.000", "3,5", "Select"] * 4),
    "dates": pd.Series(pd.to_datetime(["1960-01-01", None, "2024-05-01", "1999-12-31"] * 4)),
    "dates with zone": pd.Series(pd.to_datetime(["1960-01-01", "2024-05-01"] * 8, utc=True)),
    "dates as text": pd.Series(["01.02.1970", "1985-11-30", "", "n/a"] * 4),
    "booleans": pd.Series([True, False, None] * 5, dtype="boolean"),
    "regions": pd.Series(["Nord", "Süd", "West", "Ost"] * 4),
    "mixed objects": pd.Series([1, "a@b.de", 2.5, None, pd.Timestamp("2024-01-01")] * 3),
}


@pytest.mark.parametrize("header", ODD_HEADERS)
@pytest.mark.parametrize("shape", list(ODD_VALUES))
def test_every_check_copes_with_odd_columns(header: str, shape: str) -> None:
    values = ODD_VALUES[shape]
    reason = personal_data_reason(header, values)
    assert reason is None or reason.startswith("personal data: ")
    not_born = header.startswith(("Geb", "PLZ-Gebiet", "Vertriebs")) and header != "Geb.-Datum"
    if not_born and shape != "mixed objects":  # (that one holds an e-mail address)
        assert reason is None  # a region, a fee, a building: not "geb." (born)


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        *((h, "a person's name") for h in (
            "Owning User", "Created By (Delegate)", "Modified By (Delegate)", "Primary Contact",
            "Parent Contact for lead", "Deal - Creator", "Deal - Person",
            "Activity - Assigned to user", "Assigned To User", "Responsible",
            "Sales Development Rep", "SDR", "BDR", "Account Executive", "AE", "CSM", "Rep",
            "Agent Name", "Referred By", "Referrer Name", "Marketing Contact", "Kontakt",
            "Zuständiger Mitarbeiter", "Vertriebsbeauftragter", "Außendienst",
            "Außendienstmitarbeiter", "Innendienst", "Betreut von", "Betreut durch",
            "Erfasst von", "Besitzer", "Eigentümer", "Datensatzbesitzer", "Ansprechperson",
            "Geschäftsführer", "Entscheider", "Verkäufer", "Owner Initials",
        )),
        *((h, "an online identifier") for h in (
            "Skype", "Skype ID", "Facebook", "Instagram Handle", "LinkedIn Profile URL",
        )),
        *((h, "a national identifier") for h in ("SSN", "Steuer-ID", "Personalausweis")),
        ("Address Line 2", "a postal address"),
        ("Birth Place", "a place of birth"),
        ("Geburtsort", "a place of birth"),
    ],
)  # fmt: skip
def test_crm_role_contact_and_identity_headers_are_found(header: str, kind: str) -> None:
    # values no content check recognises: only the header tells
    values = pd.Series(["Wolf", "Berg", "live:x7", "L01X00T47", "Ort 3"] * 10)
    assert personal_data_reason(header, values) == f"personal data: {kind} (header '{header}')"


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Preferred Contact", ["Phone", "Email", "Chat"]),
        ("User Agent", ["Chrome", "Firefox", "Safari"]),
        ("Mitarbeiter", ["1-10", "11-50", "51-200"]),  # a size band, not an employee's name
        ("Channel", ["LinkedIn", "Facebook", "Xing"]),
        ("Tax Number", ["DE123456789", "DE987654321"]),  # a company's VAT number
    ],
)
def test_headers_near_the_role_words_are_kept(header: str, values: list[str]) -> None:
    assert personal_data_reason(header, pd.Series(values * 20)) is None


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("Product Interest", ["Max Pro", "Emma Cloud", "Paul Plan", "Basic", "Leo Suite"]),
        ("Campaign", ["Summer Sale", "Black Friday", "Max Promo", "Emma Launch"]),
        ("City", ["Berlin", "Austin", "Charlotte", "Madison", "Eugene", "Adelaide", "Tyler"]),
        ("City", ["Beverly Hills", "St. Louis", "Santa Clara", "Charlotte", "Florence"]),
        ("Product", ["Max", "Emma", "Paul", "Leo", "Mia", "Ben"]),
        ("Product Line", ["Jack Series", "Henry Line", "Oscar Edition", "Felix Basic"]),
        ("Plan", ["Emma", "Max", "Basic", "Pro", "Enterprise"]),
        ("Partner", ["Hans Meier GmbH", "Müller AG", "Anna Consulting Group"]),
    ],
)
def test_first_name_like_categories_without_a_persons_shape_are_kept(header, values) -> None:
    assert personal_data_reason(header, pd.Series(values * 30)) is None


def test_amounts_revenue_and_timestamps_are_not_phone_numbers() -> None:
    rng = np.random.default_rng(3)
    columns = {
        "Annual Revenue": pd.Series([12_000_000, 4_900_000_000, 1_200_000_000] * 40),
        "Revenue (USD)": pd.Series([350_000_000.0, 1_200_000_000.0, 4.9e9] * 40),
        "Amount": pd.Series(rng.integers(1_000_000_000, 9_999_999_999, 120)),
        "Revenue in Cents": pd.Series(rng.integers(10**11, 5 * 10**12, 120)),
        "Market Cap": pd.Series(["4900000000", "49000000000", "1200000000000"] * 40),
        "Umsatz": pd.Series([4.9e9, 4.1e11, 1.6e10] * 40),
        "Unix Seconds": pd.Series(rng.integers(1_600_000_000, 1_760_000_000, 120)),
        "Unix Milliseconds": pd.Series(rng.integers(1_600_000_000_000, 1_760_000_000_000, 120)),
        "Created (ms)": pd.Series(rng.integers(1_600_000_000_000, 1_760_000_000_000, 120)).astype(
            str
        ),
    }
    for header, values in columns.items():
        assert personal_data_reason(header, values) is None, header


@pytest.mark.parametrize(("header", "stray"), [("Do Not Email", "anna@firma.de"),
                                               ("Do Not Call", "+49 151 2345678"),
                                               ("Keine Anrufe", "0151 2345678")])  # fmt: skip
def test_every_yes_no_flag_follows_one_rule_whatever_stray_values_it_holds(header, stray) -> None:
    flags = pd.Series(["1", "0", "0", "Yes", "no"] * 40 + [stray] * 5)  # 2.4 % stray
    assert personal_data_reason(header, flags) is None
    mostly_personal = pd.Series(["Yes", "No"] * 40 + [stray] * 20)  # 20 %: no flag
    assert personal_data_reason(header, mostly_personal) is not None
