"""The data contract as Markdown: what the README and ``leadscore contract`` show users."""

from __future__ import annotations

import re

from leadscore.contract import ACCOUNT_EVENT_TYPES, EVENT_TYPES, LIFECYCLE_STAGES, TABLES
from leadscore.docs import contract_markdown


def _sections(text: str) -> dict[str, list[list[str]]]:
    """Each ``#### `table` (...)`` heading's table rows, split into cells."""
    sections: dict[str, list[list[str]]] = {}
    current = None
    for line in text.splitlines():
        if heading := re.match(r"#### `(\w+)`", line):
            current = sections.setdefault(heading.group(1), [])
        elif current is not None and line.startswith("| `"):
            current.append([cell.strip() for cell in line.strip("|").split("|")])
    return sections


def test_every_table_and_column_is_documented_as_the_contract_says() -> None:
    text = contract_markdown()
    sections = _sections(text)
    assert list(sections) == list(TABLES)
    for name, table in TABLES.items():
        rows = sections[name]
        assert [row[0] for row in rows] == [f"`{c.name}`" for c in table.columns], name
        for row, column in zip(rows, table.columns, strict=True):
            assert row[2] == ("yes" if column.required else "no"), (name, column.name)
            assert row[3] == ("yes" if column.nullable else "no"), (name, column.name)
            assert row[4] == column.description, (name, column.name)
        need = "required" if table.required else "optional"
        assert f"#### `{name}` ({need}" in text


def test_the_key_and_the_vocabularies_are_documented() -> None:
    text = contract_markdown()
    assert "#### `leads` (required; key `lead_id` (unique))" in text
    vocabularies = dict(
        line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("- `")
    )
    for label, values in [
        ("`events.event_type`", EVENT_TYPES),
        ("`account_events.event_type`", ACCOUNT_EVENT_TYPES),
        ("`leads.lifecycle_stage`", LIFECYCLE_STAGES),
    ]:
        assert vocabularies[label] == ", ".join(f"`{v}`" for v in values)
