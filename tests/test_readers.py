"""Reading CSV exports the way real tools write them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore import readers
from leadscore.errors import LeadscoreError
from leadscore.readers import (
    find_table_file,
    iter_table_batches,
    normalise_column_name,
    read_table_file,
)

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


# --- Hostile files: clear errors that name the file and the line, never the row ---------------


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (
            b"lead_id,email,a,b,c\nL0,x@y.de,1,2,3\n\nL1,anna@x.de,1,2,3,4\n",
            "line 4 has 6 field(s), the header has 5: an unquoted comma inside a value?",
        ),
        (
            b'lead_id;email;note\nL0;x@y.de;"two\nlines"\nL1;anna@x.de\n',
            "line 4 has 2 field(s), the header has 3",
        ),
    ],
    ids=["extra-comma-after-blank-line", "missing-field-after-quoted-line-break"],
)
def test_a_row_of_the_wrong_width_names_the_line_not_the_row(
    tmp_path: Path, payload: bytes, fragment: str
) -> None:
    with pytest.raises(LeadscoreError) as caught:
        _read(tmp_path, payload)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'leads.csv'}: ")
    assert fragment in message
    assert "anna" not in message and "L1" not in message


def test_a_bad_row_far_into_a_large_file_names_its_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "_BLOCK_BYTES", 1024)  # many blocks, as a large export has
    rows = [f"L{i:04d};Firma {i};Berlin" for i in range(300)]
    rows[280] += ";anna@x.de"
    path = tmp_path / "leads.csv"
    path.write_text("lead_id;company;city\n" + "\n".join(rows) + "\n")
    with pytest.raises(LeadscoreError, match=r"line 282 has 4 field\(s\), the header has 3"):
        list(iter_table_batches(path, 50))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_exports_are_read(tmp_path: Path, encoding: str) -> None:
    frame = _read(tmp_path, "Lead ID;Job Title\r\nL1;Geschäftsführerin\r\n".encode(encoding))
    assert frame.to_dict("list") == {"lead_id": ["L1"], "job_title": ["Geschäftsführerin"]}


def test_broken_utf16_is_named_without_nul_bytes(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError) as caught:
        _read(tmp_path, "lead_id\nL1\n".encode("utf-16") + b"\x00")
    assert "is not valid UTF-16 text" in str(caught.value)
    assert "\x00" not in str(caught.value)


def test_windows_1252_after_the_first_block_is_read(tmp_path: Path, monkeypatch) -> None:
    # The first non-ASCII byte lies beyond the sniffed head and the first blocks, as in an
    # export whose first umlaut comes after 16 MB.
    monkeypatch.setattr(readers, "_BLOCK_BYTES", 1024)
    monkeypatch.setattr(readers, "_SNIFF_BYTES", 512)
    rows = [f"L{i:04d};Firma {i};Berlin" for i in range(300)]
    rows[250] = "L0250;Müller GmbH;Köln"
    path = tmp_path / "leads.csv"
    path.write_bytes(("lead_id;company;city\n" + "\n".join(rows) + "\n").encode("cp1252"))
    batches = list(iter_table_batches(path, 50))
    frame = pd.concat([b.frame for b in batches], ignore_index=True)
    assert frame["lead_id"].tolist() == [r.split(";")[0] for r in rows]  # no row twice or lost
    assert frame.loc[250, "company"] == "Müller GmbH"
    assert [b.first_row for b in batches] == [0, *np.cumsum([len(b.frame) for b in batches])[:-1]]
    assert read_table_file(path).frame.loc[250, "city"] == "Köln"


def test_a_file_mixing_utf8_and_windows_1252_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "_BLOCK_BYTES", 1024)
    monkeypatch.setattr(readers, "_SNIFF_BYTES", 512)
    head = "lead_id;name\nL0;Jörg\n" + "".join(f"L{i};x\n" for i in range(1, 200))
    path = tmp_path / "leads.csv"
    path.write_bytes(head.encode() + "L200;Jörg\n".encode("cp1252"))
    with pytest.raises(LeadscoreError, match=r"line 202 is not valid UTF-8 .* mixes encodings"):
        list(iter_table_batches(path, 50))


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"lead_id,name\nL1,a\x00b\n", "line 2 holds a NUL byte"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + bytes(range(256)), "an Excel workbook"),
        (b"lead_id,name\nL1,\x81\x8d\x8f\n", "line 2 is neither UTF-8 nor Windows-1252"),
    ],
    ids=["nul-byte", "xlsx-renamed", "neither-encoding"],
)
def test_binary_files_are_refused_without_echoing_them(
    tmp_path: Path, payload: bytes, fragment: str
) -> None:
    with pytest.raises(LeadscoreError) as caught:
        _read(tmp_path, payload)
    assert fragment in str(caught.value)
    assert not re.search(r"[\x00-\x08\x80-\x9f]", str(caught.value))


@pytest.mark.parametrize(
    ("header", "first", "second"),
    [
        ("Lead ID,lead_id", "'Lead ID' (column 1)", "'lead_id' (column 2)"),
        ("x;E-Mail;e_mail", "'E-Mail' (column 2)", "'e_mail' (column 3)"),
    ],
)
def test_headers_equal_after_normalising_are_refused(
    tmp_path: Path, header: str, first: str, second: str
) -> None:
    sep = "," if "," in header else ";"
    payload = f"{header}\n{sep.join('v' * (header.count(sep) + 1))}\n".encode()
    with pytest.raises(LeadscoreError) as caught:
        _read(tmp_path, payload)
    assert f"{first} and {second} both read as" in str(caught.value)


def test_parquet_headers_equal_after_normalising_are_refused(tmp_path: Path) -> None:
    pd.DataFrame({"Lead ID": ["L1"], "lead id": ["L2"]}).to_parquet(tmp_path / "leads.parquet")
    with pytest.raises(LeadscoreError, match=r"'Lead ID' .* and 'lead id' .* both read as"):
        read_table_file(tmp_path / "leads.parquet")


def test_a_column_without_header_is_dropped_when_empty_and_refused_with_values(
    tmp_path: Path,
) -> None:
    assert list(_read(tmp_path, b"lead_id,,note\nL1,,x\n").columns) == ["lead_id", "note"]
    with pytest.raises(LeadscoreError, match="column 2 has no header but holds values"):
        _read(tmp_path, b"lead_id,,note\nL1,7,x\n")


def test_headers_with_brackets_colons_and_quotes_are_read(tmp_path: Path) -> None:
    frame = _read(tmp_path, b'Budget [EUR],"Say ""hi""",Time: now\n1,2,3\n')
    assert list(frame.columns) == ["budget_[eur]", 'say_"hi"', "time:_now"]


def test_control_characters_never_reach_column_names(tmp_path: Path) -> None:
    link, clear = "\x1b]8;;http://evil\x1b\\Notes", "\x1b[2J"
    payload = f"lead_id,{link},{clear},Be\x07ll\x7f\x9b,\u202eeman,\x1b\nL1,a,b,c,d,\n".encode()
    frame = _read(tmp_path, payload)
    assert list(frame.columns) == ["lead_id", "]8;;http://evil\\notes", "[2j", "bell", "eman"]
    for name in frame.columns:
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202e]", name), name
    assert normalise_column_name("Lead\tID\x1c") == "lead_id"  # blanks still join words
    with pytest.raises(LeadscoreError, match="column 2 has no header but holds values"):
        _read(tmp_path, b"lead_id,\x1b\x07\nL1,7\n")


def test_a_header_without_a_line_break_is_an_empty_table(tmp_path: Path) -> None:
    frame = _read(tmp_path, b"lead_id;created_at")
    assert list(frame.columns) == ["lead_id", "created_at"] and frame.empty
    with pytest.raises(LeadscoreError, match="header line never ends: a quote"):
        _read(tmp_path, b'"lead_id;created_at\nL1;2025-01-01\n')


# --- Property: whatever the bytes, a frame or a clear error ------------------------------------

_CHARS = st.sampled_from(list("ab1 ,;\t|\"'\r\n\x00[]:=-äß€\ufeff\x81"))
_ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]


@st.composite
def _csv_files(draw: st.DrawFn) -> bytes:
    """CSV-like bytes: random separators, quoting, ragged rows, line ends, encodings and BOMs,
    sometimes with random bytes spliced in, sometimes random bytes only."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.binary(max_size=300))
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 5))

    def line(n: int) -> str:
        fields = draw(st.lists(st.text(_CHARS, max_size=6), min_size=n, max_size=n))
        quoted = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        return sep.join(
            '"' + f.replace('"', '""') + '"' if q else f
            for f, q in zip(fields, quoted, strict=True)
        )

    widths = draw(st.lists(st.one_of(st.just(width), st.integers(0, 7)), max_size=6))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join([line(width), *(line(n) for n in widths)]) + draw(st.sampled_from(["", eol]))
    data = text.encode(draw(st.sampled_from(_ENCODINGS)), errors="replace")
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(payload=_csv_files(), suffix=st.sampled_from([".csv", ".txt"]))
def test_any_bytes_give_a_frame_or_a_clear_error(
    tmp_path_factory: pytest.TempPathFactory, payload: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"leads{suffix}"
    path.write_bytes(payload)
    for read in (lambda: [read_table_file(path)], lambda: list(iter_table_batches(path, 2))):
        try:
            raws = read()
        except LeadscoreError as exc:
            assert str(exc).startswith(f"{path}: ")
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", str(exc))
            continue
        for raw in raws:
            assert raw.frame.columns.is_unique
            assert all(isinstance(c, str) and c for c in raw.frame.columns)


# --- A table as a folder of Parquet parts (as Spark or an export job writes it) ---------------


def _part(folder: Path, name: str, **columns: list) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {k: v if len(v) else pd.Series([], dtype="string") for k, v in columns.items()}
    )
    frame.to_parquet(path, index=False)
    return path


def test_a_partitioned_folder_is_read_part_by_part_in_path_order(tmp_path: Path) -> None:
    events = tmp_path / "events"
    # Written out of order, with the bookkeeping files Spark leaves next to its parts.
    _part(events, "month=2025-07/event_type=page_view/part-0.parquet", lead_id=["L3"])
    _part(events, "month=2025-06/event_type=email_open/part-1.parquet", lead_id=["L2"])
    _part(events, "month=2025-06/event_type=email_open/part-0.parquet", lead_id=["L1", "L9"])
    (events / "_SUCCESS").write_text("")
    (events / "month=2025-06" / "event_type=email_open" / ".part-0.parquet.crc").write_text("x")
    (events / "_temporary" / "0").mkdir(parents=True)
    (events / "_temporary" / "0" / "part-9.csv").write_text("lead_id\nL0\n")

    raws = list(iter_table_batches(events, partition_columns=["lead_id", "event_type"]))

    assert [raw.name for raw in raws] == [
        "events/month=2025-06/event_type=email_open/part-0.parquet",
        "events/month=2025-06/event_type=email_open/part-1.parquet",
        "events/month=2025-07/event_type=page_view/part-0.parquet",
    ]
    # event_type is a contract column: read from the folder name; month is not: ignored.
    assert [raw.frame.to_dict("list") for raw in raws] == [
        {"lead_id": ["L1", "L9"], "event_type": ["email_open", "email_open"]},
        {"lead_id": ["L2"], "event_type": ["email_open"]},
        {"lead_id": ["L3"], "event_type": ["page_view"]},
    ]
    assert [raw.first_row for raw in raws] == [0, 0, 0], "rows are numbered within each part"
    whole = read_table_file(events, partition_columns=["event_type"])
    assert whole.name == "events/"
    assert whole.frame["lead_id"].tolist() == ["L1", "L9", "L2", "L3"]


def test_hive_names_are_decoded_and_default_partition_is_missing(tmp_path: Path) -> None:
    events = tmp_path / "events"
    _part(events, "detail=Q3%2FPricing%20page/part-0.parquet", lead_id=["L1"])
    _part(events, "detail=__HIVE_DEFAULT_PARTITION__/part-0.parquet", lead_id=["L2"])
    frame = read_table_file(events, partition_columns=["detail"]).frame
    assert frame["detail"].tolist()[0] == "Q3/Pricing page"
    assert pd.isna(frame["detail"].tolist()[1])


def test_batches_of_a_folder_never_span_two_parts(tmp_path: Path) -> None:
    events = tmp_path / "events"
    _part(events, "a.parquet", lead_id=[f"L{i}" for i in range(5)])
    _part(events, "b.parquet", lead_id=[])
    _part(events, "c.parquet", lead_id=["M1", "M2"])
    raws = list(iter_table_batches(events, batch_rows=2))
    # a.parquet in batches of 2 (rows 0, 2, 4), the empty part skipped, then c.parquet.
    assert [(raw.name, raw.first_row, len(raw.frame)) for raw in raws] == [
        ("events/a.parquet", 0, 2),
        ("events/a.parquet", 2, 2),
        ("events/a.parquet", 4, 1),
        ("events/c.parquet", 0, 2),
    ]


def test_a_folder_of_empty_parts_still_shows_its_columns(tmp_path: Path) -> None:
    events = tmp_path / "events"
    _part(events, "a.parquet", lead_id=[])
    _part(events, "b.parquet", lead_id=[])
    raws = list(iter_table_batches(events))
    assert len(raws) == 1 and list(raws[0].frame.columns) == ["lead_id"]


def test_a_table_given_as_folder_and_file_is_ambiguous(tmp_path: Path) -> None:
    _part(tmp_path / "events", "part-0.parquet", lead_id=["L1"])
    assert find_table_file(tmp_path, "events") == tmp_path / "events"
    (tmp_path / "events.csv").write_text("lead_id\nL1\n")
    with pytest.raises(LeadscoreError, match=r"'events' is given twice \(events/, events\.csv\)"):
        find_table_file(tmp_path, "events")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda f: f.mkdir(),
            r"events: the table folder holds no Parquet file",
        ),
        (
            lambda f: (_part(f, "month=1/a.parquet", lead_id=["L1"]), (f / "b.csv").write_text("")),
            r"events: the table folder holds files that are not Parquet \(events/b\.csv\)",
        ),
        (
            lambda f: (
                _part(f, "a.parquet", lead_id=["L1"]),
                _part(f, "b.parquet", lead_id=["L2"], detail=["x"]),
            ),
            r"events: the parts of the table do not share one schema: events/b\.parquet has the "
            r"column\(s\) detail, which events/a\.parquet lacks",
        ),
        (
            lambda f: (
                _part(f, "a.parquet", lead_id=["L1"], occurred_at=["2025-01-01"]),
                _part(f, "b.parquet", lead_id=["L2"], occurred_at=pd.to_datetime(["2025-01-02"])),
            ),
            r"the column 'occurred_at' holds text values in events/a\.parquet but timestamp "
            r"values in events/b\.parquet",
        ),
        (
            lambda f: _part(f, "event_type=page_view/a.parquet", event_type=["email_open"]),
            r"events/event_type=page_view/a\.parquet: the column 'event_type' is both in the file "
            r"and in its folder name",
        ),
        (
            lambda f: (f.mkdir(), (f / "a.parquet").write_bytes(b"PAR1 broken")),
            r"events/a\.parquet: not a readable Parquet file",
        ),
    ],
    ids=["no-parquet", "csv-inside", "missing-column", "type-clash", "column-twice", "broken-part"],
)
def test_a_folder_that_is_not_one_table_is_a_clear_error(tmp_path: Path, make, message) -> None:
    events = tmp_path / "events"
    make(events)
    with pytest.raises(LeadscoreError, match=message):
        list(iter_table_batches(events, partition_columns=["event_type", "occurred_at"]))


def test_parts_differing_only_in_how_numbers_are_stored_are_one_table(tmp_path: Path) -> None:
    # One writer stores whole numbers as int64, another (with a missing value) as double; a
    # column of only missing values has no type: validation parses them all alike.
    folder = tmp_path / "accounts"
    _part(folder, "a.parquet", account_id=["A1"], employees=[12], industry=[None])
    _part(folder, "b.parquet", account_id=["A2"], employees=[None], industry=["software"])
    frame = read_table_file(folder).frame
    assert frame["account_id"].tolist() == ["A1", "A2"]
