"""Personal data: find it in a table (by header and by content) and keep it out of messages.

CRM exports hold personal data under the GDPR. leadscore never uses it as a feature, never
logs it and never prints it. :func:`personal_data_reason` says why a column is personal data:

- by its header, in English and German and in any spelling (``E-Mail``, ``EmailAddress``,
  ``Vorname``, ``Lead Owner``, ``Zuständig``, ``Telefon``, ``PLZ``, ``IBAN`` ...), unless its
  values are yes/no: consent flags such as "Do Not Email", "Do Not Call" or "Keine E-Mails" are
  not personal data and are all kept alike. A header naming phone numbers, postcodes or bank
  details whose values are small numbers (``Phone Calls``: 3) is a count, not personal data;
- by its content, whatever the header: e-mail addresses, phone numbers, IBANs and street
  addresses ("Hauptstraße 12", "12 Main Street") in at least :data:`CONTENT_SHARE` of a sample
  of the filled values.

:func:`mask_personal` replaces e-mail addresses, IBANs and phone numbers inside any text, and
:func:`safe_examples` turns values into short, masked examples for error messages.

Examples
--------
>>> import pandas as pd
>>> personal_data_reason("Vorname", pd.Series(["Anna", "Jonas"]))
"personal data: a person's name (header 'Vorname')"
>>> personal_data_reason("do_not_email", pd.Series(["Yes", "No", "no"])) is None
True
>>> personal_data_reason("contact", pd.Series(["a@b.de", "c@d.com", "e@f.org", "x"]))
'personal data: e-mail addresses in 75 % of values'
>>> mask_personal("row 3: anna@example.com, +49 151 2345678, DE89 3704 0044 0532 0130 00")
'row 3: <e-mail>, <phone>, <IBAN>'
>>> safe_examples(["max@example.de", "Yes", "a" * 50], n=3)
"'<e-mail>', 'Yes', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa…'"
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from leadscore.readers import normalise_column_name

#: Share of the sampled filled values that must look personal for a column to be dropped.
CONTENT_SHARE = 0.1
#: Filled values looked at per column: enough for a stable share, cheap on any table.
SAMPLE_SIZE = 2000
#: Longest example value shown in a message (longer ones are cut with "…").
EXAMPLE_WIDTH = 30

# Header words (after normalise_column_name: lower case, words joined by "_"), by what they
# name. German compounds are spelled out because they have no separator to split on.
_NAME_KINDS: dict[str, tuple[str, ...]] = {
    "e-mail address": (
        r"e_?mail",
        r"mail",
        r"e_?mail_?addresse?s?",
        r"e_?mail_?adresse",
        r"mailadresse",
    ),
    "person's name": (
        # "name" alone or after a person's role: "Campaign Name" is a campaign's name
        r"^name",
        r"^namen?",
        r"(first|last|full|given|family|middle|sur|nick|display|contact|lead|person|"
        r"customer|client|user|owner|rep)_?name",
        r"contact_?person",
        r"kundenname",
        r"kontaktname",
        r"personenname",
        r"vorname",
        r"nachname",
        r"familienname",
        r"ansprechpartner(in)?",
        r"kontaktperson",
        r"owner",
        r"lead_?owner",
        r"account_?owner",
        r"inhaber(in)?",
        r"lead_?inhaber",
        r"sales_?rep(resentative)?",
        r"assigned_?to",
        r"zust(ä|ae|a)ndig(er|e)?",
        r"bearbeiter(in)?",
        r"betreuer(in)?",
        r"vertriebsmitarbeiter(in)?",
    ),
    "phone number": (
        r"phone",
        r"phone_?number",
        r"tele?phone",
        r"telefon",
        r"telefonnummer",
        r"tel",
        r"mobile",
        r"mobile_?phone",
        r"mobil",
        r"mobilnummer",
        r"handy",
        r"handynummer",
        r"fax",
        r"cell",
        r"cell_?phone",
    ),
    "postal address": (
        r"street",
        r"street_?address",
        r"stra(ss|ß)e",
        r"address",
        r"adresse",
        r"anschrift",
        r"house_?number",
        r"hausnummer",
        r"zip",
        r"zip_?code",
        r"plz",
        r"postleitzahl",
        r"post_?code",
        r"postal_?code",
    ),
    "online identifier": (
        r"ip",
        r"ip_?address",
        r"ip_?adresse",
        r"linkedin(_?url|_?profile)?",
        r"twitter(_?handle)?",
        r"xing",
    ),
    "bank detail": (r"iban", r"bic", r"swift", r"bank_?account", r"kontonummer"),
    "date of birth": (
        r"birthday",
        r"birth_?date",
        r"date_?of_?birth",
        r"dob",
        r"geburtsdatum",
        r"geburtstag",
    ),
}
# A header names personal data when its last word (the head of the noun phrase) does:
# "Lead Owner" and "Phone 2" do, "Owner Region", "Email Opens" and "Street Type" do not.
_NAME_PATTERNS = {
    kind: re.compile(rf"(^|_)({'|'.join(words)})$") for kind, words in _NAME_KINDS.items()
}
#: Trailing words that qualify a header without changing what it names ("Phone (work)").
_QUALIFIERS = re.compile(
    r"(_(\d+|work|home|private|privat|business|gesch(ae|ä)ftlich|dienstlich|primary|"
    r"secondary|alt|alternative|other|main|new|old|current))+$"
)
#: Kinds whose values may be numbers: then only large ones (not counts) are personal data.
_NUMERIC_KINDS = frozenset({"phone number", "postal address", "bank detail", "date of birth"})

_EMAIL = r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[A-Za-z]{2,}"
_IBAN = r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}"
_PHONE = (
    r"(?:(?:\+|00)[1-9][\d ()/.-]{5,}\d"  # international: +49 151 2345678, 0049-30-1234567
    r"|0[1-9]\d{1,4}(?: ?[/-] ?| )?\d[\d -]{3,}\d"  # national: 0151 2345678, 030/1234567
    r"|\(\d{3}\) ?\d{3}[-. ]\d{4}|\d{3}[-. ]\d{3}[-. ]\d{4})"  # North American
)
_STREET = (
    r"[^\W\d][\w .'-]*(?:stra(?:ss|ß)e|str\.|weg|gasse|platz|allee|chaussee|[ -](?:ring|damm|ufer))"
    r" ?\d+ ?[a-z]?"  # Hauptstraße 12, Am Ring 3a (not "Spring 2024")
    r"|\d+[a-z]? [\w .'-]*\b(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd"
    r"|way|court|ct|place|pl)\.?"  # 12 Main Street
)
_CONTENT_KINDS = {
    "e-mail addresses": _EMAIL,
    "phone numbers": _PHONE,
    "IBANs": _IBAN,
    "street addresses": _STREET,
}
_MASKS = (
    (re.compile(_EMAIL), "<e-mail>"),
    (re.compile(rf"\b{_IBAN}\b"), "<IBAN>"),
    (re.compile(rf"(?<![\w.]){_PHONE}(?![\w.])"), "<phone>"),
)
_BOOLEAN_WORDS = frozenset(
    {"1", "1.0", "0", "0.0", "yes", "no", "y", "n", "true", "false", "t", "f", "ja", "nein"}
    | {"wahr", "falsch", "x", "opted out", "opted in"}
)
_PLAIN_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
#: Share of yes/no values from which a column is a flag (as :mod:`leadscore.flat_table` types it).
_YES_NO_SHARE = 0.98
#: Numbers below this under a phone/postcode/bank header are counts, not identifiers.
_SMALL_NUMBER = 1000


def _sample(values: pd.Series) -> pd.Series:
    """Up to :data:`SAMPLE_SIZE` filled values as stripped text (evenly spread over the rows)."""
    filled = values.dropna()
    if len(filled) > SAMPLE_SIZE:  # sample before converting: a column may have millions
        filled = filled.iloc[np.linspace(0, len(filled) - 1, SAMPLE_SIZE).astype(int)]
    text = filled.astype("string").str.strip()
    return text[text != ""]


def personal_kind_of_header(name: str) -> str | None:
    """What personal data a header names (``"e-mail address"``, ``"person's name"`` ...), if any.

    Examples
    --------
    >>> personal_kind_of_header("Lead-Inhaber"), personal_kind_of_header("Phone (work)")
    ("person's name", 'phone number')
    >>> [personal_kind_of_header(h) for h in ("Campaign Name", "Owner Region", "Email Opens")]
    [None, None, None]
    """
    words = re.sub(r"[\W_]+", "_", normalise_column_name(name)).strip("_")
    normalised = _QUALIFIERS.sub("", words) or words
    for kind, pattern in _NAME_PATTERNS.items():
        if pattern.search(normalised):
            return kind
    return None


def personal_data_reason(name: str, values: pd.Series) -> str | None:
    """Why the column ``name`` holding ``values`` is personal data, or ``None`` if it is not.

    Parameters
    ----------
    name : str
        The column's header (any spelling).
    values : Series
        Its values (text or typed); a sample of the filled ones is looked at.

    Returns
    -------
    str or None
        E.g. ``"personal data: e-mail addresses in 97 % of values"`` or
        ``"personal data: a person's name (header 'Lead Owner')"``.
    """
    sample = _sample(values)
    by_header = personal_kind_of_header(name)
    if by_header is not None and _header_applies(by_header, values, sample):
        article = "an" if by_header[0] in "aeio" else "a"
        return f"personal data: {article} {by_header} (header '{name}')"
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    if sample.empty:
        return None
    for kind, pattern in _CONTENT_KINDS.items():
        share = float(sample.str.fullmatch(pattern, case=False).mean())
        if share >= CONTENT_SHARE:
            return f"personal data: {kind} in {share:.0%} of values".replace("%", " %")
    return None


def _header_applies(kind: str, values: pd.Series, sample: pd.Series) -> bool:
    """A personal header counts unless the values are yes/no (consent) or small counts."""
    if pd.api.types.is_bool_dtype(values) or sample.empty:
        return not pd.api.types.is_bool_dtype(values)
    if sample.str.lower().isin(_BOOLEAN_WORDS).mean() >= _YES_NO_SHARE:
        return False  # a stray value (an e-mail typed into "Do Not Email") does not count
    numbers = pd.to_numeric(
        sample.where(sample.str.fullmatch(_PLAIN_NUMBER)).str.replace(",", ".", regex=False),
        errors="coerce",
    )
    if numbers.notna().mean() >= 0.98:
        return kind in _NUMERIC_KINDS and float(numbers.abs().median()) >= _SMALL_NUMBER
    return True


def mask_personal(text: str) -> str:
    """``text`` with e-mail addresses, IBANs and phone numbers replaced by placeholders.

    Examples
    --------
    >>> mask_personal("call 0151 2345678 or write to max.muster@firma.de")
    'call <phone> or write to <e-mail>'
    >>> mask_personal("1,200 rows from 2025-03-01; 12.5 % converted")
    '1,200 rows from 2025-03-01; 12.5 % converted'
    """
    for pattern, placeholder in _MASKS:
        text = pattern.sub(placeholder, text)
    return text


def safe_examples(values: Iterable, n: int = 5, width: int = EXAMPLE_WIDTH) -> str:
    """Up to ``n`` distinct values for a message: masked, cut to ``width`` characters, quoted.

    Examples
    --------
    >>> safe_examples(["maybe", "maybe", "+49 30 1234567", None])
    "'maybe', '<phone>', None"
    """
    shown: list[str] = []
    for value in pd.unique(pd.Series(list(values), dtype=object)):
        if len(shown) == n:
            break
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            shown.append("None")
            continue
        text = mask_personal(str(value))
        text = text if len(text) <= width else text[: width - 1] + "…"
        shown.append(repr(text))
    return ", ".join(shown)
