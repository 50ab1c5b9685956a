"""What a cell of a CRM export means, whatever the column: the words for "nobody filled this
in" and the words for yes and no, in English and German.

:mod:`leadscore.flat_table` types columns with them and :mod:`leadscore.privacy` leaves
placeholders out when it judges a column, so both read a cell the same way.

Examples
--------
>>> "-- select --" in PLACEHOLDERS, "ja" in TRUE_WORDS, "falsch" in FALSE_WORDS
(True, True, True)
"""

from __future__ import annotations

#: Values that mean nobody filled the cell in (compared lower-cased and stripped).
PLACEHOLDERS = frozenset(
    {
        "",
        "-",
        "--",
        "?",
        "n/a",
        "na",
        "nan",
        "none",
        "null",
        "unknown",
        "select",
        "please select",
        "-- select --",
        "--select--",
        "not specified",
        "not provided",
        "keine angabe",
        "k.a.",
        "k. a.",
        "bitte wählen",
        "unbekannt",
    }
)
#: Yes and no, in every spelling exports use (lower-cased): the one definition for the five
#: tables of the contract and for flat exports alike. German Excel writes WAHR/FALSCH, a ticked
#: checkbox column "x", numbers saved from a float column "1.0".
TRUE_WORDS = frozenset({"1", "1.0", "yes", "y", "true", "t", "ja", "j", "wahr", "x"})
FALSE_WORDS = frozenset({"0", "0.0", "no", "n", "false", "f", "nein", "falsch"})
