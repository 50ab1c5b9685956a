"""The words for an empty cell and for yes and no, as every reader of exports applies them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from conftest import NOW, TINY, write_tables
from leadscore.cells import FALSE_WORDS, PLACEHOLDERS, TRUE_WORDS
from leadscore.dataset import load_dataset
from leadscore.flat_table import clean_text, to_boolean


def test_no_word_means_two_things() -> None:
    # A "no" read as "nobody filled this in" would turn every refusal into a missing value.
    assert not TRUE_WORDS & FALSE_WORDS
    assert not (TRUE_WORDS | FALSE_WORDS) & PLACEHOLDERS


def test_words_are_kept_as_cells_are_compared() -> None:
    # Cells are compared lower-cased and stripped: a word kept otherwise would never match.
    for word in PLACEHOLDERS | TRUE_WORDS | FALSE_WORDS:
        assert word == word.strip().lower(), repr(word)


def test_a_flat_export_reads_every_spelling_in_any_case() -> None:
    placeholders = pd.Series([f"  {w.upper()} " for w in sorted(PLACEHOLDERS)], dtype="string")
    assert clean_text(placeholders).isna().all()
    flags = pd.Series([w.upper() for w in (*sorted(TRUE_WORDS), *sorted(FALSE_WORDS))])
    expected = [1.0] * len(TRUE_WORDS) + [0.0] * len(FALSE_WORDS)
    assert to_boolean(flags).tolist() == expected


def test_five_table_and_flat_exports_read_yes_and_no_alike(tmp_path: Path) -> None:
    # A consent column of a five-table export and a flag of a flat export are the same words:
    # "1.0" (a float column saved as text), "x" (a ticked checkbox), "J" (German "ja").
    spellings = {"L1": ("1.0", 1.0), "L2": ("x", 1.0), "L3": ("0.0", 0.0)}
    leads = TINY["leads"]
    for lead, (word, _) in spellings.items():
        line = next(row for row in leads.splitlines() if row.startswith(f"{lead},"))
        fields = line.split(",")
        fields[7] = word
        leads = leads.replace(line, ",".join(fields))
    data = load_dataset(write_tables(tmp_path / "data", {**TINY, "leads": leads}), now=NOW)
    expected = [bool(code) for _, code in spellings.values()]
    assert data.leads["consent"].tolist() == expected
    flat = to_boolean(pd.Series([word for word, _ in spellings.values()]))
    assert flat.tolist() == [code for _, code in spellings.values()]
    assert to_boolean(pd.Series(["J", "Nein"])).tolist() == [1.0, 0.0]
