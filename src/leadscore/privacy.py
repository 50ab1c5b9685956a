"""Personal data: find it in a table (by header and by content) and keep it out of messages.

CRM exports hold personal data under the GDPR. leadscore never uses it as a feature, never
logs it and never prints it. :func:`personal_data_reason` says why a column is personal data:

- by its header, in English and German and in any spelling (``E-Mail``, ``EmailAddress``,
  ``Vorname``, ``Lead Owner``, ``Created By (Delegate)``, ``Deal - Creator``, ``SDR``,
  ``Account Executive``, ``Zuständig``, ``Betreut von``, ``Verkäufer``, ``Mobiltelefon``,
  ``Kundenbetreuer``, ``Anrede``, ``Geb.-Datum``, ``Birth Place``, ``Address Line 2``, ``PLZ``,
  ``IBAN``, ``Skype``, ``SSN``, ``Steuer-ID`` ...). An English header names what its last word
  names ("Lead Owner" is a person, "Owner Region" a region); a German compound by its last part
  ("Mobiltelefon", "Außendienstmitarbeiter"), and a few words that only ever mean people's data
  ("Vorname", "Ansprechpartner", "Geburt") count anywhere in a header ("Gebiet", "Gebühr" are
  not "geb."). A place of birth counts as personal data: with a birth date it singles people out
  and it tells a lead-scoring model nothing a country column would not. Not personal data under
  such a header: small numbers under a phone, postcode or bank header (``Phone Calls``: 3 is a
  count), values without "@" under an e-mail header ("Newsletter Mail": Weekly) and values
  without letters under a name header ("Mitarbeiter": 11-50 is a size band);
- yes/no flags are never personal data, whatever their header: a column whose filled values are
  at least :data:`FLAG_SHARE` yes/no words ("Do Not Email", "Do Not Call", "Keine E-Mails").
  :mod:`leadscore.flat_table` types it as a boolean, so its other values (a stray e-mail
  address or phone number) become missing values and never reach the model;
- by its content, whatever the header, in text columns: e-mail addresses, phone numbers, IBANs
  and street addresses ("Hauptstraße 12", "12 Main Street", "c/o Vogel") filling at least
  :data:`CONTENT_SHARE` of a sample of the filled values; phone numbers written as digits in a
  text column ("+4917334551514", "01511234567"; a column of plain numbers, such as amounts or
  timestamps, never); e-mail addresses or IBANs anywhere inside :data:`INSIDE_SHARE` of the
  values ("Referral max@firma.de"); people's names in :data:`NAME_SHARE` of the values: a
  common first name from :mod:`leadscore.first_names` or an initial and a surname, in any case
  and order ("hans müller", "Dr. Karl-Heinz Schmidt", "van der Berg, Jan", "J. Smith"). A single
  word is never a name by content ("Max", "Charlotte" may be a product or a city), and neither
  are two words with a product or place word ("Max Pro", "Emma Launch", "Beverly Hills").

Dates of birth are found by header only ("Date of Birth", "Geb.-Datum", "DOB", "Birth Year"):
dates decades back are just as often a first purchase or a contract start. An age ("Age",
"Alter": 42) is not personal data by itself and stays a feature: it is an ordinary B2C feature
and says no more than an age band. A birth date or birth year is dropped: together with a
postcode a birth date singles people out, and a model learns the same from an age column, so
export one instead. A column found wrongly can be kept (``TableTyper(keep=...)``,
``train --keep``).

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
>>> personal_data_reason("Info", pd.Series(["a@b.de", "c@d.com", "e@f.org", "x"]))
'personal data: e-mail addresses in 75 % of values'
>>> personal_data_reason("Quelle", pd.Series(["Web"] * 19 + ["Tip from max@firma.de"]))
'personal data: e-mail addresses inside 5 % of values'
>>> personal_data_reason("Info", pd.Series(["anna vogel", "J. Beck", "Dr. Karl-Heinz Roth"]))
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

from leadscore.cells import FALSE_WORDS, PLACEHOLDERS, TRUE_WORDS
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
            r"^(contact|kontakt|person|agent)",  # the whole header ("Preferred Contact": Email)
            r"(primary|parent|main|marketing|billing|technical|sales|secondary)_contact",
            r"parent_contact_for_lead",
            r"person",  # "Deal - Person" (Pipedrive)
            r"owner",
            r"owning_user",
            r"creator",
            r"alias",
            r"initials",
            r"assigned_?to(_user)?",
            r"(created|modified|last_modified|last_updated|updated|changed|owned|edited|converted"
            r"|closed|referred|signed|handled|approved|entered|recorded|booked)_by",
            r"referr(er|al)_name",
            r"(agent|rep)_name",
            r"sales_agent",
            r"(erstellt|angelegt|ge(ae|ä)ndert|bearbeitet|zugewiesen|zugeordnet|erfasst|betreut)"
            r"_(von|durch)",
            r"rep(resentative)?",  # "Sales Rep", "Sales Development Rep", "Rep"
            r"sales_?person",
            r"sales_team_member",
            r"responsible(_person|_user)?",
            r"[sb]dr",  # sales / business development representative
            r"ae|csm|account_executive",
            r"decision_maker",
            r"recruiter",
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
            r"mitarbeiter(in)?",  # "Zuständiger Mitarbeiter", "Außendienstmitarbeiter"
            r"beauftragte?r?",  # "Vertriebsbeauftragter"
            r"(au(ss|ß)en|innen)dienst",
            r"besitzer(in)?",  # "Besitzer", "Datensatzbesitzer"
            r"eigent(ü|ue)mer(in)?",
            r"verk(ä|ae)ufer(in)?",
            r"ansprechperson",
            r"gesch(ä|ae)ftsf(ü|ue)hrer(in)?",
            r"entscheider(in)?",
            r"(mitarbeiter|bearbeiter|benutzer|nutzer)k(ü|ue)rzel",
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
            r"linkedin(_?profile)?(_?url)?",
            r"twitter(_?(handle|username|user))?",
            r"xing(_?profile)?(_?url)?",
            r"skype(_?(id|name))?",
            r"facebook(_?(profile|page))?(_?url)?",
            r"instagram(_?(handle|username|user))?(_?url)?",
        ),
        "heads": (),
        "anywhere": (),
    },
    "national identifier": {
        "words": (
            r"ssn",
            r"social_security(_?(number|no|nr))?",
            r"(personal_)?tax_?id",
            r"steuer_?id",
            r"passport(_?(number|no|nr))?",
            r"national_?id",
        ),
        "heads": (
            r"personalausweis(nummer)?",
            r"steueridentifikationsnummer",
            r"sozialversicherungsnummer",
            r"reisepass(nummer)?",
        ),
        "anywhere": (),
    },
    "postal address": {
        "words": (
            r"(street|postal|mailing|home|billing|shipping)?_?address",
            r"address_?line",  # "Address Line 2" (its number is a qualifier)
            r"c_o",
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
    # A birth place is personal data too (with a birth date it singles people out); it is
    # checked first so that "Birth Place" is not taken for a date.
    "place of birth": {
        "words": (r"birth_?place", r"place_?of_?birth"),
        "heads": (r"geburtsort",),
        "anywhere": (),
    },
    # "geb" only as a word of its own ("Geb.-Datum"): "Gebiet", "Gebühr", "Gebäude" are not.
    "date of birth": {
        "words": (r"jahrgang",),
        "heads": (r"geburts(datum|tag|jahr)",),
        "anywhere": (
            r"(^|_)(birth\w*|geb|dob|born)(_|$)",
            r"(^|_)geburt",
            r"(date|year)_?of_?birth",
        ),
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
    r"secondary|alt|alternative|other|main|new|old|current|delegate))+$"
)
#: Kinds whose values may be numbers: then only large ones (not counts) are personal data.
_NUMERIC_KINDS = frozenset(
    {"phone number", "postal address", "bank detail", "date of birth", "national identifier"}
)
#: Headers of identifiers: digits there are record numbers, not phone numbers stored as digits.
_ID_HEADER = re.compile(r"(^|_)(id|uuid|guid|key|number|no|nr|nummer)$|nummer$")

_EMAIL = r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[A-Za-z]{2,}"
_IBAN = r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}"
_PHONE = (
    r"(?:(?:\+|00)[1-9][\d ()/.-]{5,}\d"  # international: +49 151 2345678, 0049-30-1234567
    r"|0[1-9]\d{1,4}(?: ?[/-] ?| )?\d[\d -]{3,}\d"  # national: 0151 2345678, 030/1234567
    r"|\(\d{3}\) ?\d{3}[-. ]\d{4}|\d{3}[-. ]\d{3}[-. ]\d{4})"  # North American
)
#: A phone number stored as digits in a text column: after + or 00 or a national 0, or after a
#: country code (North America: 1 and 10 digits; Germany, Austria, Switzerland, the UK, France,
#: Italy, Spain, the Benelux, the Nordics, Poland: 11-14 digits in all). Amounts, revenue in
#: cents and timestamps are numbers, never this: a column of plain numbers is not looked at,
#: and digits ending in "000" (round amounts) never count.
_DIGIT_PHONE = (
    r"(?:\+|00)[1-9]\d{9,13}|0[1-9]\d{8,13}|1\d{10}"
    r"|(?:49|43|41|44|33|39|34|31|32|45|46|47|48)\d{9,12}"
)
#: A number as a number column holds it: no leading zero, no "+" (those are phone numbers).
_NUMBER_AS_WRITTEN = r"-?(?:[1-9]\d*|0)(?:[.,]\d+)?"
_STREET = (
    r"[^\W\d][\w .'-]*(?:stra(?:ss|ß)e|str\.|weg|gasse|platz|allee|chaussee|[ -](?:ring|damm|ufer))"
    r" ?\d+ ?[a-z]?"  # Hauptstraße 12, Am Ring 3a (not "Spring 2024")
    r"|\d+[a-z]? [\w .'-]*\b(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd"
    r"|way|court|ct|place|pl)\.?"  # 12 Main Street
    r"|c/o \w.*"  # "c/o Vogel": in care of a person
)
_FULL_CELL_KINDS = {
    "phone numbers": _PHONE,
    "street addresses": _STREET,
}
# A person's name has at least two parts, in any case ("hans müller"), perhaps after titles:
# a first name (its first part if hyphenated: "Karl-Heinz"), an optional middle name or
# initial, particles ("van der", "von", "de") and a surname; or "Surname, First name"; or an
# initial and a surname ("J. Smith"). Single words ("Max", "Berlin") are never names by content.
_LETTERS = r"[^\W\d_]"
_WORD = rf"{_LETTERS}[\w'’]*(?:-{_LETTERS}[\w'’]*)*"
_TITLES = r"(?:(?:dr|prof|herr|frau|mr|mrs|ms|miss|dipl\.?-?\w*)\.?\s+)*"
_PARTICLES = r"(?:(?:van|von|de|der|den|del|della|di|da|du|dos|zu|zum|zur|ter|ten|le|la|al|el)\s+)*"
_PERSON = re.compile(
    rf"^{_TITLES}(?:"
    rf"(?P<first>{_LETTERS}[\w'’]*)(?:-{_LETTERS}[\w'’]*)*(?:\s+{_LETTERS}\.|\s+{_WORD})?"
    rf"\s+{_PARTICLES}(?P<surname>{_WORD})"
    rf"|{_PARTICLES}(?P<surname_first>{_WORD}),\s*(?P<first_after>{_LETTERS}[\w'’]*)"
    rf"(?:-{_LETTERS}[\w'’]*)*(?:\s+{_WORD})?"
    rf"|(?P<initial>{_LETTERS})\.\s*(?:{_LETTERS}\.\s*)?{_PARTICLES}(?P<surname_after>{_WORD})"
    r")$",
    re.IGNORECASE,
)
#: Last words that make a first name and a word a product, plan, campaign, place or firm, not a
#: person ("Max Pro", "Emma Launch", "Jack Series", "Beverly Hills", "Hans Meier GmbH").
_NOT_SURNAME_WORDS = """
    pro plus max mini lite light cloud plan series line promo promotion launch basic premium
    edition suite team starter start standard business enterprise professional express ultra
    home office sale sales deal offer campaign webinar event package bundle kit version release
    box one go app online digital partner partners group service services consulting solutions
    hills city beach springs park heights falls bay island valley street county nord süd north
    south east west gmbh ag kg se inc ltd llc co
"""
_NOT_SURNAMES = frozenset(_NOT_SURNAME_WORDS.split())
_MASKS = (
    (re.compile(_EMAIL), "<e-mail>"),
    (re.compile(rf"\b{_IBAN}\b"), "<IBAN>"),
    (re.compile(rf"(?<![\w.]){_PHONE}(?![\w.])"), "<phone>"),
    (re.compile(r"(?<![\w.])\d{10,15}(?![\w.])"), "<number>"),  # phone numbers as digits
)
_PLAIN_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
#: Share of the filled values in yes/no words from which a column is a flag: one rule for every
#: flag, shared with :mod:`leadscore.flat_table`, which types such a column as a boolean and
#: makes its other values (a stray e-mail address in "Do Not Email") missing values.
FLAG_SHARE = 0.9
#: Numbers below this under a phone/postcode/bank header are counts, not identifiers.
_SMALL_NUMBER = 1000


def _sample(values: pd.Series) -> pd.Series:
    """Up to :data:`SAMPLE_SIZE` filled values as stripped text (evenly spread over the rows).

    Placeholders ("Select", "n/a", "-" ...) are not filled values; whole numbers are written
    without a decimal part (a phone number read as a float is still its digits). The text is
    plain Python strings (object dtype): every check on it gives True/False, never pd.NA.
    """

    filled = values.dropna()
    if len(filled) > SAMPLE_SIZE:  # sample before converting: a column may have millions
        filled = filled.iloc[np.linspace(0, len(filled) - 1, SAMPLE_SIZE).astype(int)]
    text = filled.astype(str).str.strip().astype(object)
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
    >>> [personal_kind_of_header(h) for h in ("Gebiet", "Geb.-Datum", "Birth Place", "Betreut von")]
    [None, 'date of birth', 'place of birth', "person's name"]
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
    if _is_yes_no(values, sample):
        return None  # a flag becomes 1/0: no value of it reaches the model, whatever the header
    by_header = personal_kind_of_header(name)
    if by_header is not None and _header_applies(by_header, sample):
        article = "an" if by_header[0] in "aeio" else "a"
        return f"personal data: {article} {by_header} (header '{name}')"
    if sample.empty or pd.api.types.is_numeric_dtype(values):
        return None  # numbers (amounts, revenue, timestamps) are not phone numbers by content
    reason = _by_text(sample)
    as_numbers = _share(sample.str.fullmatch(_NUMBER_AS_WRITTEN))
    if (
        reason is None
        and as_numbers < FLAG_SHARE
        and not _ID_HEADER.search(normalise_column_name(name))
    ):
        phones = sample.str.fullmatch(_DIGIT_PHONE) & ~sample.str.endswith("000")
        reason = _share_reason("phone numbers", _share(phones), CONTENT_SHARE)
    return reason


def _share(mask: pd.Series) -> float:
    """The share of True in ``mask`` (0 for an empty one, never NaN)."""
    return float(mask.fillna(False).astype(bool).mean()) if len(mask) else 0.0


def _share_reason(kind: str, share: float, minimum: float, where: str = "in") -> str | None:
    if share < minimum:
        return None
    return f"personal data: {kind} {where} {share:.0%} of values".replace("%", " %")


def _is_yes_no(values: pd.Series, sample: pd.Series) -> bool:
    """A flag: booleans, or yes/no words in at least :data:`FLAG_SHARE` of the filled values (a
    stray e-mail typed into "Do Not Email" does not count: it becomes a missing value)."""

    if pd.api.types.is_bool_dtype(values):
        return True
    return not sample.empty and _share(sample.str.lower().isin(TRUE_WORDS | FALSE_WORDS)) >= (
        FLAG_SHARE
    )


def _header_applies(kind: str, sample: pd.Series) -> bool:
    """A personal header counts unless its values are small counts, no e-mail address is among
    the values under an e-mail header ("Newsletter Mail": Weekly, Monthly), or nearly all
    values under a name header lack letters (a size band "11-50" under "Mitarbeiter")."""
    if sample.empty:
        return True  # nothing known: the header is all there is to judge by
    if kind == "e-mail address":
        return bool(sample.str.contains("@", regex=False).any())
    numbers = pd.to_numeric(
        sample.where(sample.str.fullmatch(r"[-+]?\d+(?:[.,]\d+)?"), None).str.replace(
            ",", ".", regex=False
        ),
        errors="coerce",
    )
    if _share(numbers.notna()) >= 0.98:
        return kind in _NUMERIC_KINDS and float(numbers.abs().median()) >= _SMALL_NUMBER
    if kind == "person's name":
        return _share(sample.str.contains(r"[^\W\d_]")) > 1 - FLAG_SHARE
    return True


def _by_text(sample: pd.Series) -> str | None:
    """Personal data in text values: whole values, inside other text, people's names."""
    for kind, pattern in _FULL_CELL_KINDS.items():
        share = _share(sample.str.fullmatch(pattern, case=False))
        if reason := _share_reason(kind, share, CONTENT_SHARE):
            return reason
    inside = (
        ("e-mail addresses", sample.str.contains(_EMAIL), sample.str.fullmatch(_EMAIL)),
        ("IBANs", _contains_iban(sample), sample.str.fullmatch(_IBAN)),
    )
    for kind, found, whole in inside:
        if reason := _share_reason(kind, _share(found & whole), CONTENT_SHARE):
            return reason
        if reason := _share_reason(kind, _share(found), INSIDE_SHARE, "inside"):
            return reason
    return _share_reason("people's names", _share(_is_person(sample)), NAME_SHARE)


def _is_person(sample: pd.Series) -> pd.Series:
    """Whether each value is a person's name: person-shaped (see ``_PERSON``), with a common
    first name from :mod:`leadscore.first_names` or an initial, and no product or place word."""
    parts = sample.str.extract(_PERSON)
    first = parts["first"].fillna(parts["first_after"]).str.lower()
    surname = parts["surname"].fillna(parts["surname_first"]).fillna(parts["surname_after"])
    known_first = first.isin(FIRST_NAMES).to_numpy(dtype=bool)
    initial = parts["initial"].notna().to_numpy(dtype=bool)
    no_product = ~surname.str.lower().isin(_NOT_SURNAMES).to_numpy(dtype=bool)
    return pd.Series((known_first | initial) & no_product, index=sample.index)


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


def safe_example(value: object, width: int = EXAMPLE_WIDTH) -> str:
    """One value for a message: personal data masked, cut to ``width`` characters, text quoted.

    Examples
    --------
    >>> safe_example("call +49 30 1234567"), safe_example(1e20), safe_example(None)
    ("'call <phone>'", '1e+20', 'None')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "None"
    if isinstance(value, float):
        return f"{value:g}"
    text = mask_personal(str(value))
    text = text if len(text) <= width else text[: width - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def safe_examples(values: Iterable, n: int = 5, width: int = EXAMPLE_WIDTH) -> str:
    """Up to ``n`` distinct values for a message, each as :func:`safe_example` shows it.

    Examples
    --------
    >>> safe_examples(["maybe", "maybe", "+49 30 1234567", None])
    "'maybe', '<phone>', None"
    """
    distinct = pd.unique(pd.Series(list(values), dtype=object))[:n]
    return ", ".join(safe_example(value, width) for value in distinct)
