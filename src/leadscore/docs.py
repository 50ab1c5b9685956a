"""Render the data contract as Markdown (the README's data-contract section is this text)."""

from __future__ import annotations

from leadscore.contract import (
    ACCOUNT_EVENT_TYPES,
    EVENT_TYPES,
    LIFECYCLE_STAGES,
    PAGE_CATEGORIES,
    TABLES,
)

_KIND_LABELS = {
    "id": "id (text)",
    "text": "text",
    "timestamp": "timestamp",
    "bool": "yes/no",
    "integer": "integer",
    "number": "number",
    "vocabulary": "one of a list",
}


def contract_markdown() -> str:
    """The contract as Markdown: one table per file, then the vocabularies.

    Examples
    --------
    >>> text = contract_markdown()
    >>> "| `lead_id` |" in text and "`demo_request`" in text
    True
    """
    parts: list[str] = []
    for table in TABLES.values():
        need = "required" if table.required else "optional"
        key = f"; key `{table.primary_key}` (unique)" if table.primary_key else ""
        parts.append(f"#### `{table.name}` ({need}{key})\n\n{table.description}\n")
        parts.append("| column | type | required | empty allowed | meaning |")
        parts.append("|---|---|---|---|---|")
        for col in table.columns:
            parts.append(
                f"| `{col.name}` | {_KIND_LABELS[col.kind]} | "
                f"{'yes' if col.required else 'no'} | {'yes' if col.nullable else 'no'} | "
                f"{col.description} |"
            )
        parts.append("")
    vocabularies = (
        ("`events.event_type`", EVENT_TYPES),
        ("`events.detail` page categories", PAGE_CATEGORIES),
        ("`account_events.event_type`", ACCOUNT_EVENT_TYPES),
        ("`leads.lifecycle_stage`", LIFECYCLE_STAGES),
    )
    parts.append("#### Vocabularies\n")
    for label, values in vocabularies:
        parts.append(f"- {label}: " + ", ".join(f"`{v}`" for v in values))
    return "\n".join(parts) + "\n"
