"""Reading CSV exports the way real tools write them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.errors import LeadscoreError
from leadscore.readers import find_table_file, normalise_column_name, read_table_file

EXPECTED = pd.DataFrame({"lead_id": ["L1", "L2"], "note": ["a;b, c", None]})


def _read(tmp_path: Path, payload: bytes, name: str = "leads.csv") -> pd.DataFrame:
    path = tmp_path / name
    path.write_bytes(payload)
    return read_table_file(path).frame


@pytest.mark.parametrize(
    "payload",
    [
        b'lead_id,note\nL1,"a;b, c"\nL2,\n',
        b'\xef\xbb\xbflead_id;note;\r\nL1;"a;b, c";\r\nL2;;\r\n',  # German Excel: BOM, ;, CRLF
        b'lead_id\tnote\nL1\t"a;b, c"\nL2\t\n',
        b'"lead_id","note"\n"L1","a;b, c"\n"L2",""\n',
    ],
    ids=["comma", "excel-semicolon-bom-trailing", "tab", "all-quoted"],
)
def test_csv_dialects_read_the_same(tmp_path: Path, payload: bytes) -> None:
    frame = _read(tmp_path, payload)
    assert list(frame.columns) == ["lead_id", "note"]
    assert frame["lead_id"].tolist() == ["L1", "L2"]
    assert frame["note"].iloc[0] == "a;b, c"
    assert pd.isna(frame["note"].iloc[1])


def test_windows_1252_export_is_decoded(tmp_path: Path) -> None:
    frame = _read(tmp_path, "lead_id;job_title\nL1;Geschäftsführerin\n".encode("cp1252"))
    assert frame["job_title"].tolist() == ["Geschäftsführerin"]


def test_values_are_read_as_text_so_ids_keep_leading_zeros(tmp_path: Path) -> None:
    frame = _read(tmp_path, b"lead_id,employees\n007,12\n")
    assert frame["lead_id"].tolist() == ["007"]


def test_headers_are_normalised() -> None:
    assert normalise_column_name(" Lead ID") == "lead_id"
    assert normalise_column_name("Occurred-At") == "occurred_at"


def test_table_given_in_two_formats_is_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("lead_id\nL1\n")
    pd.DataFrame({"lead_id": ["L1"]}).to_parquet(tmp_path / "leads.parquet")
    with pytest.raises(LeadscoreError, match=r"leads.*given twice"):
        find_table_file(tmp_path, "leads")


def test_empty_csv_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match=r"leads.csv: the file is empty"):
        _read(tmp_path, b"")


def test_corrupt_parquet_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match=r"events.parquet: not a readable Parquet file"):
        _read(tmp_path, b"not parquet at all", name="events.parquet")
