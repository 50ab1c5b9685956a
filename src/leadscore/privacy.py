"""Personal data: find it in a table (by header and by content) and keep it out of messages.

CRM exports hold personal data under the GDPR. leadscore never uses it as a feature, never
logs it and never prints it. :func:`personal_data_reason` says why a column is personal data:

- by its header, in English and German and in any spelling (``E-Mail``, ``EmailAddress``,
  ``Vorname``, ``Lead Owner``, ``Created By``, ``Zuständig``, ``Mobiltelefon``,
  ``Kundenbetreuer``, ``Ansprechpartner Name``, ``Anrede``, ``Geb.-Datum``, ``PLZ``, ``IBAN``
  ...). An English header names what its last word names ("Lead Owner" is a person, "Owner
  Region" a region); a German compound by its last part ("Mobiltelefon", "Kundenbetreuer"), and
  a few words that only ever mean people ("Vorname", "Ansprechpartner", "Betreuer") count
  anywhere in a header. Not personal data under such a header: yes/no values (consent flags such
  as "Do Not Email", "Do Not Call" or "Keine E-Mails" are all kept alike, whatever placeholders
  they hold), small numbers under a phone, postcode or bank header (``Phone Calls``: 3 is a
  count) and values without "@" under an e-mail header ("Newsletter Mail": Weekly);
- by its content, whatever the header: e-mail addresses, phone numbers, IBANs and street
  addresses ("Hauptstraße 12", "12 Main Street") filling at least :data:`CONTENT_SHARE` of a
  sample of the filled values; phone numbers stored as plain digits ("4917334551514");
  e-mail addresses or IBANs anywhere inside :data:`INSIDE_SHARE` of the values ("Referral
  max@firma.de"); people's names (mostly one to three capitalised words, the first a common
  first name from :mod:`leadscore.first_names` in :data:`NAME_SHARE` of the values); dates of
  birth (dates mostly 15 to 100 years back, or years 1930-2008 under a birth header).

An age ("Age", "Alter": 42) is not personal data by itself and stays a feature: it is an ordinary
B2C feature and says no more than an age band. A birth date or birth year is dropped: together
with a postcode a birth date singles people out, and a model learns the same from an age
column, so export one instead.

:func:`mask_personal` replaces e-mail addresses, IBANs, phone numbers and long digit runs inside
any text, and :func:`safe_examples` turns values into short, masked examples for error messages.
Names cannot be masked in free text: messages about a column found to be personal data show no
values at all.

Examples
--------
>>> import pandas as pd
>>> personal_data_reason("Vorname", pd.Series(["Anna", "Jonas"]))
"personal data: a person's name (header 'Vorname')"
>>> personal_data_reason("do_not_email", pd.Series(["Yes", "No", "no", "Select"])) is None
True
>>> personal_data_reason("contact", pd.Series(["a@b.de", "c@d.com", "e@f.org", "x"]))
'personal data: e-mail addresses in 75 % of values'
>>> personal_data_reason("Quelle", pd.Series(["Web"] * 19 + ["Tip from max@firma.de"]))
'personal data: e-mail addresses inside 5 % of values'
>>> personal_data_reason("Kontakt", pd.Series(["Anna Vogel", "Jonas Beck", "Dr. Eva Roth"]))
"personal data: people's names in 100 % of values"
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

from leadscore.first_names import FIRST_NAMES
from leadscore.readers import normalise_column_name

#: Share of the sampled filled values that must look personal for a column to be dropped.
CONTENT_SHARE = 0.1
#: Share of the values with an e-mail address or IBAN inside (among other text) that suffices:
#: one such value in a hundred would reach the model's categories, reasons and MLflow.
INSIDE_SHARE = 0.01
#: Share of the values starting with a common first name from which a column holds names.
NAME_SHARE = 0.3
#: Filled values looked at per column: enough for a stable share, cheap on any table.
SAMPLE_SIZE = 2000
#: Longest example value shown in a message (longer ones are cut with "…").
EXAMPLE_WIDTH = 30

# Header words (after normalise_column_name: lower case, words joined by "_"), by what they
# name; checked in this order ("IP-Adresse" is an online identifier, not a postal address).
# "words": the header's last word or words name it (English: "Lead Owner", not "Owner Region");
# "heads": the last part of a German compound names it ("Mobiltelefon", "Kundenbetreuer");
# "anywhere": words that only ever mean people's data ("Betreuer Vertrieb", "Vorname Kontakt").
_PERSON_WORDS = (
    r"first|last|full|given|family|middle|sur|nick|display|contact|kontakt|lead|person|personen|"
    r"customer|client|kunden?|user|benutzer|owner|rep|ansprechpartner(in)?|betreuer(in)?|"
    r"mitarbeiter(in)?|berater(in)?"
)
_NAME_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "e-mail address": {
        "words": (r"e_?mail", r"mail", r"e_?mail_?addresse?s?", r"(e_?)?mail_?adresse"),
        "heads": (r"mailadresse",),
        "anywhere": (),
    },
    "person's name": {
        "words": (
            r"^namen?",  # the whole header: "Campaign Name" is a campaign's (_PERSON_WORDS)
            rf"({_PERSON_WORDS})_?name",
            r"contact_?person",
            r"owner",
            r"alias",
            r"assigned_?to",
            r"(created|modified|last_modified|updated|changed|owned|edited|converted|closed)_by",
            r"(erstellt|angelegt|ge(ae|ä)ndert|bearbeitet|zugewiesen|zugeordnet)_von",
            r"sales_?rep(resentative)?",
            r"sales_?person",
            r"manager(in)?",
            r"key_?account",
            r"zust(ä|ae|a)ndig(er|e)?",
        ),
        "heads": (
            r"(vor|nach|familien|ruf|spitz|geburts|kunden|kontakt|personen|benutzer)name",
            r"ansprechpartner(in)?",
            r"kontaktperson",
            r"betreuer(in)?",
            r"bearbeiter(in)?",
            r"verantwortliche?r?",
            r"inhaber(in)?",
            r"berater(in)?",
            r"vertriebler(in)?",
            r"vertriebsmitarbeiter(in)?",
            r"zust(ä|ae|a)ndige?r?",
        ),
        "anywhere": (r"vorname", r"nachname", r"ansprechpartner", r"betreuer", r"sachbearbeiter"),
    },
    "phone number": {
        "words": (
            r"(tele?)?phone(_?(number|no|nr|num))?",
            r"tel(_?(no|nr))?",
            r"(mobile|cell)(_?phone)?(_?(number|no|nr))?",
            r"(telefon|handy|mobil|fax|ruf)(_?(nummer|no|nr))?",
            r"festnetz",
        ),
        "heads": (r"telefon", r"(telefon|tel|handy|mobil|mobilfunk|fax|ruf|festnetz)nummer"),
        "anywhere": (r"telefonnummer", r"handynummer", r"mobilnummer"),
    },
    "online identifier": {
        "words": (
            r"ip(_?(address|adresse|adr))?",
            r"linkedin(_?url|_?profile)?",
            r"twitter(_?handle)?",
            r"xing",
        ),
        "heads": (),
        "anywhere": (),
    },
    "postal address": {
        "words": (
            r"(street|postal|mailing|home|billing|shipping)?_?address",
            r"street",
            r"house_?number",
            r"zip(_?code)?",
            r"plz",
            r"plz_?ort",
            r"ort_?plz",
            r"post_?code",
            r"postal_?code",
            r"postleitzahl",
        ),
        "heads": (r"stra(ss|ß)e", r"adresse", r"anschrift", r"hausnummer"),
        "anywhere": (),
    },
    "bank detail": {
        "words": (r"iban", r"bic", r"swift", r"bank_?account"),
        "heads": (r"kontonummer", r"bankverbindung"),
        "anywhere": (),
    },
    "date of birth": {
        "words": (
            r"birthday",
            r"birth_?(date|year)",
            r"(date|year)_?of_?birth",
            r"dob",
            r"geb_?(datum|dat|jahr)",
            r"jahrgang",
        ),
        "heads": (r"geburts(datum|tag|jahr)",),
        "anywhere": (r"geburtsdatum",),
    },
    "form of address or gender": {
        "words": (r"salutation", r"gender", r"sex", r"geschlecht"),
        "heads": (r"anrede",),
        "anywhere": (),
    },
}
_NAME_PATTERNS = {
    kind: re.compile(
        "|".join(
            [
                rf"(?:^|_)(?:{'|'.join(words['words'])})$",
                *([rf"(?:{'|'.join(words['heads'])})$"] if words["heads"] else []),
                *([rf"(?:{'|'.join(words['anywhere'])})"] if words["anywhere"] else []),
            ]
        )
    )
    for kind, words in _NAME_KINDS.items()
}
#: Trailing words that qualify a header without changing what it names ("Phone (work)").
_QUALIFIERS = re.compile(
    r"(_(\d+|work|home|private|privat|business|gesch(ae|ä)ftlich|dienstlich|primary|"
    r"secondary|alt|alternative|other|main|new|old|current))+$"
)
#: Kinds whose values may be numbers: then only large ones (not counts) are personal data.
_NUMERIC_KINDS = frozenset({"phone number", "postal address", "bank detail", "date of birth"})
#: Headers of identifiers: digits there are record numbers, not phone numbers stored as digits.
_ID_HEADER = re.compile(r"(^|_)(id|uuid|guid|key|number|no|nr|nummer)$|nummer$")
#: Headers of dates that lie decades back for a reason: a company's founding, "customer since".
_NOT_BIRTH = re.compile(r"found|gr(ü|ue)nd|establish|incorporat|since|seit")
_BIRTH_HEADER = re.compile(r"(^|_)(birth|geb|geburt)")

_EMAIL = r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[A-Za-z]{2,}"
_IBAN = r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}"
_PHONE = (
    r"(?:(?:\+|00)[1-9][\d ()/.-]{5,}\d"  # international: +49 151 2345678, 0049-30-1234567
    r"|0[1-9]\d{1,4}(?: ?[/-] ?| )?\d[\d -]{3,}\d"  # national: 0151 2345678, 030/1234567
    r"|\(\d{3}\) ?\d{3}[-. ]\d{4}|\d{3}[-. ]\d{3}[-. ]\d{4})"  # North American
)
#: A phone number stored as digits: a country code (Germany, Austria, Switzerland, the UK,
#: France, Italy, Spain, the Benelux, the Nordics, Poland, North America) or a national 0, then
#: 10-15 digits in all. Record numbers ("000123456789") start with zeros.
_DIGIT_PHONE = r"(?:49|43|41|44|33|39|34|31|32|45|46|47|48|1|0[1-9])\d{8,13}"
_STREET = (
    r"[^\W\d][\w .'-]*(?:stra(?:ss|ß)e|str\.|weg|gasse|platz|allee|chaussee|[ -](?:ring|damm|ufer))"
    r" ?\d+ ?[a-z]?"  # Hauptstraße 12, Am Ring 3a (not "Spring 2024")
    r"|\d+[a-z]? [\w .'-]*\b(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd"
    r"|way|court|ct|place|pl)\.?"  # 12 Main Street
)
_FULL_CELL_KINDS = {
    "phone numbers": _PHONE,
    "street addresses": _STREET,
}
#: A person's name: one to three capitalised words, perhaps after a title ("Dr. Anna Vogel"),
#: or "Vogel, Anna"; the group is the first name.
_NAME_SHAPE = r"[A-ZÄÖÜ][\w'.-]*(?: [A-ZÄÖÜ][\w'.-]*){0,2}|[A-ZÄÖÜ][\w'-]*, [A-ZÄÖÜ][\w'-]*"
_FIRST_NAME = re.compile(
    r"^(?:(?:dr|prof|herr|frau|mr|mrs|ms)\.?\s+)*(?:[^\s,]+,\s*)?([^\s,]+)", re.IGNORECASE
)
_MASKS = (
    (re.compile(_EMAIL), "<e-mail>"),
    (re.compile(rf"\b{_IBAN}\b"), "<IBAN>"),
    (re.compile(rf"(?<![\w.]){_PHONE}(?![\w.])"), "<phone>"),
    (re.compile(r"(?<![\w.])\d{10,15}(?![\w.])"), "<number>"),  # phone numbers as digits
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
#: Share of dates 15 to 100 years back from which a date column holds dates of birth.
_BIRTH_SHARE = 0.8
#: Years between the 10th and 90th percentile of birth dates (adults' ages span decades; the
#: creation dates of an old CRM export, all 15+ years back too, span a few years).
_BIRTH_SPREAD_YEARS = 20


def _sample(values: pd.Series) -> pd.Series:
    """Up to :data:`SAMPLE_SIZE` filled values as stripped text (evenly spread over the rows).

    Placeholders ("Select", "n/a", "-" ...) are not filled values; whole numbers are written
    without a decimal part (a phone number read as a float is still its digits).
    """
    from leadscore.flat_table import PLACEHOLDERS  # flat_table imports this module

    filled = values.dropna()
    if len(filled) > SAMPLE_SIZE:  # sample before converting: a column may have millions
        filled = filled.iloc[np.linspace(0, len(filled) - 1, SAMPLE_SIZE).astype(int)]
    text = filled.astype("string").str.strip()
    if pd.api.types.is_float_dtype(values):
        text = text.str.replace(r"\.0$", "", regex=True)
    return text[~text.str.lower().isin(PLACEHOLDERS)]


def personal_kind_of_header(name: str) -> str | None:
    """What personal data a header names (``"e-mail address"``, ``"person's name"`` ...), if any.

    Examples
    --------
    >>> [personal_kind_of_header(h) for h in ("Lead-Inhaber", "Phone (work)", "Mobiltelefon")]
    ["person's name", 'phone number', 'phone number']
    >>> [personal_kind_of_header(h) for h in ("Campaign Name", "Owner Region", "Email Opens")]
    [None, None, None]
    """
    words = re.sub(r"[\W_]+", "_", normalise_column_name(name)).strip("_")
    normalised = _QUALIFIERS.sub("", words) or words
    for kind, pattern in _NAME_PATTERNS.items():
        if pattern.search(normalised):
            return kind
    return None


def personal_data_reason(
    name: str, values: pd.Series, now: pd.Timestamp | None = None
) -> str | None:
    """Why the column ``name`` holding ``values`` is personal data, or ``None`` if it is not.

    Parameters
    ----------
    name : str
        The column's header (any spelling).
    values : Series
        Its values (text or typed); a sample of the filled ones is looked at.
    now : Timestamp, optional
        The day dates of birth are counted back from (default: today).

    Returns
    -------
    str or None
        E.g. ``"personal data: e-mail addresses in 97 % of values"`` or
        ``"personal data: a person's name (header 'Lead Owner')"``.
    """
    sample = _sample(values)
    if _is_yes_no(values, sample):
        return None  # a flag becomes 1/0: no value of it reaches the model, whatever the header
    by_header = personal_kind_of_header(name)
    if by_header is not None and _header_applies(by_header, sample):
        article = "an" if by_header[0] in "aeio" else "a"
        return f"personal data: {article} {by_header} (header '{name}')"
    if sample.empty:
        return None
    normalised = normalise_column_name(name)
    reason = _by_text(sample) if not pd.api.types.is_numeric_dtype(values) else None
    if reason is None and not _ID_HEADER.search(normalised):
        share = float(sample.str.fullmatch(_DIGIT_PHONE).mean())
        reason = _share_reason("phone numbers", share, CONTENT_SHARE)
    if reason is None and not _NOT_BIRTH.search(normalised):
        reason = _birth_dates(name, values, sample, now)
    return reason


def _share_reason(kind: str, share: float, minimum: float, where: str = "in") -> str | None:
    if share < minimum:
        return None
    return f"personal data: {kind} {where} {share:.0%} of values".replace("%", " %")


def _is_yes_no(values: pd.Series, sample: pd.Series) -> bool:
    """A flag: booleans, or yes/no words in nearly all filled values (a stray e-mail typed
    into "Do Not Email" does not count: it becomes a missing value, never a feature)."""
    if pd.api.types.is_bool_dtype(values):
        return True
    return not sample.empty and sample.str.lower().isin(_BOOLEAN_WORDS).mean() >= _YES_NO_SHARE


def _header_applies(kind: str, sample: pd.Series) -> bool:
    """A personal header counts unless its values are small counts, or no e-mail address is
    among the values under an e-mail header ("Newsletter Mail": Weekly, Monthly)."""
    if sample.empty:
        return True  # nothing known: the header is all there is to judge by
    if kind == "e-mail address":
        return bool(sample.str.contains("@", regex=False).any())
    numbers = pd.to_numeric(
        sample.where(sample.str.fullmatch(_PLAIN_NUMBER)).str.replace(",", ".", regex=False),
        errors="coerce",
    )
    if numbers.notna().mean() >= 0.98:
        return kind in _NUMERIC_KINDS and float(numbers.abs().median()) >= _SMALL_NUMBER
    return True


def _by_text(sample: pd.Series) -> str | None:
    """Personal data in text values: whole values, inside other text, people's names."""
    for kind, pattern in _FULL_CELL_KINDS.items():
        share = float(sample.str.fullmatch(pattern, case=False).mean())
        if reason := _share_reason(kind, share, CONTENT_SHARE):
            return reason
    inside = (
        ("e-mail addresses", sample.str.contains(_EMAIL), sample.str.fullmatch(_EMAIL)),
        ("IBANs", _contains_iban(sample), sample.str.fullmatch(_IBAN)),
    )
    for kind, found, whole in inside:
        if reason := _share_reason(kind, float((found & whole).mean()), CONTENT_SHARE):
            return reason
        if reason := _share_reason(kind, float(found.mean()), INSIDE_SHARE, "inside"):
            return reason
    name_shaped = sample.str.fullmatch(_NAME_SHAPE)
    if name_shaped.mean() >= 0.5:
        first = sample.str.extract(_FIRST_NAME, expand=False).str.lower()
        share = float((name_shaped & first.isin(FIRST_NAMES)).mean())
        return _share_reason("people's names", share, NAME_SHARE)
    return None


def _contains_iban(sample: pd.Series) -> pd.Series:
    """Whether each value holds an IBAN whose check digits are right (ISO 13616, mod 97).

    The check keeps product codes and ids shaped like IBANs ("FL0000010000000") out.
    """
    candidates = sample.str.extract(rf"\b({_IBAN})\b", expand=False).dropna()
    valid = pd.Series(False, index=sample.index)
    for position, iban in candidates.str.replace(" ", "", regex=False).items():
        digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
        valid[position] = int(digits) % 97 == 1
    return valid


def _birth_dates(
    name: str, values: pd.Series, sample: pd.Series, now: pd.Timestamp | None
) -> str | None:
    """Dates mostly 15 to 100 years back and spread over decades, or years 1930-2008 under a
    birth header."""
    if _BIRTH_HEADER.search(normalise_column_name(name)):
        years = pd.to_numeric(sample.where(sample.str.fullmatch(r"\d{4}")), errors="coerce")
        if years.between(1930, 2008).mean() >= _BIRTH_SHARE:
            return f"personal data: years of birth (header '{name}')"
    if pd.api.types.is_datetime64_any_dtype(values):
        filled = values.dropna()
        picked = np.linspace(0, len(filled) - 1, min(len(filled), SAMPLE_SIZE)).astype(int)
        dates = pd.to_datetime(filled.iloc[picked], utc=True)
    elif sample.str.fullmatch(r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}").mean() >= _BIRTH_SHARE:
        from leadscore.flat_table import to_time  # flat_table imports this module

        dates = to_time(sample)
    else:
        return None
    if dates.empty:
        return None
    today = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    today = today.tz_localize("UTC") if today.tz is None else today
    years_back = (today - dates).dt.days / 365.25
    share = float(years_back.between(15, 100).mean())
    spread = float(years_back.quantile(0.9) - years_back.quantile(0.1))
    if share < _BIRTH_SHARE or spread < _BIRTH_SPREAD_YEARS:
        return None
    return f"personal data: dates of birth ({share:.0%} of dates lie 15 to 100 years back)".replace(
        "%", " %"
    )


def mask_personal(text: str) -> str:
    """``text`` with e-mail addresses, IBANs, phone numbers and digit runs replaced.

    Runs of 10 to 15 digits are masked too ("<number>"): phone numbers stored as digits.

    Examples
    --------
    >>> mask_personal("call 0151 2345678 or write to max.muster@firma.de")
    'call <phone> or write to <e-mail>'
    >>> mask_personal("1,200 rows from 2025-03-01; 12.5 % converted; 4917334551514")
    '1,200 rows from 2025-03-01; 12.5 % converted; <number>'
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
