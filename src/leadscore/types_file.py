"""Read a types file (``load_flat_table``'s ``types``, the command line's ``--types``): the
user's corrections to the inferred column types.

Two formats, one meaning (column → type, optionally its number format):

- CSV with a ``column`` (or ``header``) and a ``type`` column and optionally
  ``number_format``; other columns are ignored. The typing table ``leadscore train --table``
  writes (``column_types.csv``) is such a file: change a ``type`` and pass it back.
- YAML: a mapping ``column: type`` or ``column: {type: numeric, number_format: comma}``.

Types are ``numeric``, ``category``, ``boolean``, ``date`` and ``drop``; number formats
``point`` (12.5, 1,200) and ``comma`` (12,5, 1.200), given for numeric columns only (ignored
for other types). Rows whose type is ``target`` or ``id`` (as the typing table writes them) are
skipped: options set those roles. Columns are named by their header as written in the file or
its normalised name (``budget_[eur]``). Anything else is a :class:`~leadscore.errors.LeadscoreError`
naming the file, the line and the value.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> (folder / "types.yaml").write_text("Region Code: category\\nBudget (EUR): {type: numeric, "
...                                    "number_format: comma}\\n")
74
>>> read_types_file(folder / "types.yaml", ["region_code", "budget_(eur)", "won"])
TypeOverrides(types={'region_code': 'category', 'budget_(eur)': 'numeric'}, \
number_formats={'budget_(eur)': 'comma'})
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from leadscore.errors import LeadscoreError, column_list
from leadscore.privacy import safe_example
from leadscore.readers import normalise_column_name

#: How a column writes its numbers: ``point`` (12.5, thousands 1,200) or ``comma`` (12,5, 1.200).
NUMBER_FORMATS = ("point", "comma")
#: The types a typing table and a types file name (``drop``: never used).
TYPES = ("numeric", "category", "boolean", "date", "drop")
#: The typing table's type of the columns whose role a parameter sets (ignored in a types file).
ROLES = ("target", "id")

#: Characters a spreadsheet-safe CSV puts a ``'`` before (see :func:`leadscore.io.write_table`).
_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class TypeOverrides:
    """The corrections of a types file, by normalised column name."""

    types: dict[str, str] = field(default_factory=dict)
    number_formats: dict[str, str] = field(default_factory=dict)


def read_types_file(path: str | Path, columns: Iterable[str]) -> TypeOverrides:
    """The overrides in ``path`` for a table with ``columns`` (normalised names).

    Messages call the file ``types``, as :func:`leadscore.flat_table.load_flat_table` does.

    Raises
    ------
    LeadscoreError
        Naming the file and line: a file that cannot be read, a column not in the table, a
        type or number format that does not exist, a column given twice.
    """
    path = Path(path)
    if not path.is_file():
        raise LeadscoreError(f"{path}: no such file (`types`).")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError) as exc:
        raise LeadscoreError(f"{path}: cannot read the `types` file ({exc}).") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        entries = _yaml_entries(path, text)
    else:
        entries = _csv_entries(path, text)
    if not entries:  # an empty file is a mistake (a wrong path, an unsaved edit), not "no change"
        raise LeadscoreError(
            f"{path}: the `types` file types no column; give 'column,type' rows (edit the "
            "column_types.csv training writes) or leave out `types`."
        )
    known = list(columns)
    types: dict[str, str] = {}
    formats: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, given, kind, number_format in entries:
        where = f"{path}, line {line}"
        kind = kind.strip().lower()
        number_format = number_format.strip().lower()
        if kind in ROLES:
            continue
        name = _column(given, known)
        if name is None:
            raise LeadscoreError(
                f"{where}: column {safe_example(given)} is not in the table; its columns are "
                f"{column_list(known)}."
            )
        if kind not in TYPES:
            raise LeadscoreError(
                f"{where}: type {safe_example(kind)} of column '{given}' is none of "
                f"{', '.join(TYPES)}."
            )
        if number_format and number_format not in NUMBER_FORMATS:
            raise LeadscoreError(
                f"{where}: number format {safe_example(number_format)} of column '{given}' is "
                f"none of {', '.join(NUMBER_FORMATS)} (or empty: decided from the values)."
            )
        if name in lines:
            raise LeadscoreError(
                f"{where}: column '{given}' is given twice (first on line {lines[name]})."
            )
        lines[name] = line
        types[name] = kind
        if number_format and kind == "numeric":
            formats[name] = number_format
    return TypeOverrides(types=types, number_formats=formats)


def _column(given: str, known: list[str]) -> str | None:
    given = given.strip()
    if given[:1] == "'" and given[1:2] in _FORMULA_START:  # as a spreadsheet-safe CSV wrote it
        given = given[1:]
    name = normalise_column_name(given)
    return name if name in known else None


def _csv_entries(path: Path, text: str) -> list[tuple[int, str, str, str]]:
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    fields = [(f or "").strip().lower() for f in reader.fieldnames or []]
    name_field = "column" if "column" in fields else "header" if "header" in fields else None
    if name_field is None or "type" not in fields:
        raise LeadscoreError(
            f"{path}, line 1: a `types` CSV needs the columns 'column' (or 'header') and "
            f"'type'; it has {', '.join(safe_example(f) for f in fields[:10]) or 'none'}."
        )
    reader.fieldnames = fields
    return [
        (reader.line_num, row[name_field] or "", row["type"] or "", row.get("number_format") or "")
        for row in reader
        if any((value or "").strip() for value in row.values() if isinstance(value, str))
    ]


def _yaml_entries(path: Path, text: str) -> list[tuple[int, str, str, str]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise LeadscoreError(
            f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})."
        ) from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise LeadscoreError(
            f"{path}, line {root.start_mark.line + 1}: a `types` YAML file maps each column to "
            "its type (column: type)."
        )
    entries = []
    for key, value in root.value:
        line = key.start_mark.line + 1
        if not isinstance(key, yaml.ScalarNode):
            raise LeadscoreError(f"{path}, line {line}: a column name must be plain text.")
        if isinstance(value, yaml.ScalarNode):
            entries.append((line, key.value, value.value, ""))
            continue
        if not isinstance(value, yaml.MappingNode):
            raise LeadscoreError(
                f"{path}, line {line}: column '{key.value}' needs a type or "
                "{type: …, number_format: …}."
            )
        fields = {k.value: v.value for k, v in value.value if isinstance(v, yaml.ScalarNode)}
        unknown = set(fields) - {"type", "number_format"}
        if unknown or "type" not in fields:
            raise LeadscoreError(
                f"{path}, line {line}: column '{key.value}' takes 'type' and optionally "
                f"'number_format'; found {', '.join(sorted(map(safe_example, fields))) or 'none'}."
            )
        entries.append((line, key.value, fields["type"], fields.get("number_format", "")))
    return entries
