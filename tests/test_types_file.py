"""Type corrections: the typing table training writes can be edited and passed back as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.errors import LeadscoreError
from leadscore.types_file import read_types_file

COLUMNS = ["=sum", "budget_(eur)", "region_code", "won", "lead_id"]


def test_an_edited_typing_table_is_read_back(tmp_path: Path) -> None:
    # As a spreadsheet saves it: BOM, semicolons, extra columns, the "'" that keeps a formula
    # from running, the rows of the target and the id, a number format given for text.
    path = tmp_path / "column_types.csv"
    path.write_text(
        "\ufeffheader;column;type;number_format;missing_share\n"
        "'=SUM;=sum;numeric;;0.1\n"
        "Budget (EUR);budget_(eur);numeric;comma;0.0\n"
        "Region Code;region_code;category;point;0.2\n"
        "Won;won;target;;0.0\n"
        "Lead ID;lead_id;id;;0.0\n",
        encoding="utf-8",
    )
    overrides = read_types_file(path, COLUMNS)
    assert overrides.types == {
        "=sum": "numeric",
        "budget_(eur)": "numeric",
        "region_code": "category",
    }
    assert overrides.number_formats == {"budget_(eur)": "comma"}  # text has no number format


def test_yaml_names_columns_by_their_header_or_normalised_name(tmp_path: Path) -> None:
    path = tmp_path / "types.yaml"
    path.write_text(
        "Budget (EUR): {type: Numeric, number_format: POINT}\nregion_code: drop\n",
        encoding="utf-8",
    )
    overrides = read_types_file(path, COLUMNS)
    assert overrides.types == {"budget_(eur)": "numeric", "region_code": "drop"}
    assert overrides.number_formats == {"budget_(eur)": "point"}


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("region_code: {type: category, format: point}\n", "line 1: column 'region_code' takes"),
        ("- region_code\n", "line 1: a .*YAML file maps each column"),
        ("region_code: [category]\n", "line 1: column 'region_code' needs a type"),
    ],
)
def test_a_yaml_file_of_another_shape_is_refused_by_line(tmp_path, content, where) -> None:
    path = tmp_path / "types.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LeadscoreError, match=rf"types.yaml, {where}"):
        read_types_file(path, COLUMNS)


def test_personal_data_typed_into_the_file_is_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "types.csv"
    path.write_text("column,type\nanna.mueller@example.com,numeric\n", encoding="utf-8")
    with pytest.raises(LeadscoreError, match="line 2: column") as caught:
        read_types_file(path, COLUMNS)
    assert "anna.mueller" not in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match=r"nope\.csv: no such file"):
        read_types_file(tmp_path / "nope.csv", COLUMNS)
