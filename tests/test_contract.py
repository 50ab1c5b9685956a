"""The data contract holds together: keys, vocabularies, ranges and personal data.

Validation, the generator, the features and the README all read :mod:`leadscore.contract`;
these are the rules an edit of it must keep.
"""

from __future__ import annotations

import pytest

from leadscore.contract import (
    LIFECYCLE_STAGE_ALIASES,
    LIFECYCLE_STAGES,
    TABLES,
)

COLUMNS = [(t.name, c) for t in TABLES.values() for c in t.columns]


def test_every_table_has_an_id_to_join_on_and_keys_are_unique_ids() -> None:
    for table in TABLES.values():
        ids = [c for c in table.columns if c.kind == "id" and c.required and not c.nullable]
        assert ids, f"{table.name} has no required id column to join on"
        if table.primary_key is not None:
            key = table.column(table.primary_key)
            assert key.kind == "id" and key.required and not key.nullable, table.name
    # Every table that is not a key table points at leads or accounts.
    keys = {t.primary_key for t in TABLES.values() if t.primary_key}
    assert keys == {"lead_id", "account_id"}
    for table in TABLES.values():
        assert keys & set(table.column_names), table.name


@pytest.mark.parametrize(("table", "column"), COLUMNS, ids=[f"{t}.{c.name}" for t, c in COLUMNS])
def test_each_column_is_parseable_as_declared(table: str, column) -> None:
    assert (column.kind == "vocabulary") == (column.vocabulary is not None)
    if column.minimum is not None or column.maximum is not None:
        assert column.kind in ("integer", "number")
        assert column.minimum is not None and column.maximum is not None
        assert column.minimum < column.maximum
    # Personal data never becomes a model category (points sheet rows, reasons in words).
    assert not (column.personal and column.category)
    if not column.required:
        assert column.nullable, "an optional column may be absent, so may be empty"
    assert column.description.strip(), "the README shows every column's meaning"


def test_timestamp_columns_are_the_timestamps() -> None:
    assert TABLES["leads"].timestamp_columns == ("created_at",)
    assert TABLES["outcomes"].timestamp_columns == ("converted_at",)
    for table in TABLES.values():
        kinds = {c.name for c in table.columns if c.kind == "timestamp"}
        assert set(table.timestamp_columns) == kinds


def test_asking_for_a_column_the_table_lacks_names_both() -> None:
    with pytest.raises(KeyError, match="leads has no column 'budget'"):
        TABLES["leads"].column("budget")


def test_stage_aliases_map_tool_spellings_onto_real_stages() -> None:
    assert set(LIFECYCLE_STAGE_ALIASES.values()) <= set(LIFECYCLE_STAGES)
    assert not set(LIFECYCLE_STAGE_ALIASES) & set(LIFECYCLE_STAGES)  # an alias never shadows
    assert LIFECYCLE_STAGE_ALIASES["marketingqualifiedlead"] == "mql"  # HubSpot's spelling
