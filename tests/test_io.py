"""File output: spreadsheet-safe CSVs, atomic writes that keep modes, clean up after killed runs,
explain file-system errors and refuse outputs that would overwrite each other or an input."""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.errors import LeadscoreError
from leadscore.io import (
    YAML_MAX_BYTES,
    atomic_path,
    check_distinct_outputs,
    neutralise_formulas,
    read_yaml,
    remove_stale_temps,
    temp_name,
    write_table,
)
from leadscore.modeling.predict import account_summary

#: Cells a spreadsheet would run as formulas (a lone carriage return comes with a line feed).
HOSTILE = ['=HYPERLINK("http://x")', "+49 170", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tx"]
HOSTILE += ["\r\nx"]


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_scores_and_accounts_csv_neutralise_formulas_and_keep_numbers(tmp_path: Path) -> None:
    n = len(HOSTILE) + 1
    scores = pd.DataFrame(
        {
            "lead_id": [*HOSTILE, "0000667"],
            "account_id": ["=A1", "@acc", "+acc", "-acc", "A5", "A5", None],
            "job_title": pd.Categorical(["=Chief", "Head of IT", "-", "@home", "ok", "ok", "ok"]),
            "probability": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3],
            "delta": [-0.5, -1.0, 0.0, 1.0, 2.0, -3.0, float("nan")],
            "priority": ["high"] * n,
            "=Industry+0": ["=Industry+0 is software"] * n,
        }
    )
    write_table(scores, tmp_path / "scores.csv")
    write_table(account_summary(scores), tmp_path / "accounts.csv")
    write_table(scores, tmp_path / "scores.parquet")

    text = pd.read_csv(tmp_path / "scores.csv", dtype=str, keep_default_na=False)
    assert text["lead_id"].tolist() == ["'" + v for v in HOSTILE] + ["0000667"]
    assert text["account_id"].tolist()[:5] == ["'=A1", "'@acc", "'+acc", "'-acc", "A5"]
    assert text["job_title"].tolist()[:4] == ["'=Chief", "Head of IT", "'-", "'@home"]
    assert "'=Industry+0" in text.columns
    assert set(text["'=Industry+0"]) == {"'=Industry+0 is software"}
    numbers = pd.read_csv(tmp_path / "scores.csv")
    assert numbers["delta"].tolist()[:6] == [-0.5, -1.0, 0.0, 1.0, 2.0, -3.0]  # still numbers
    accounts = pd.read_csv(tmp_path / "accounts.csv", dtype=str)
    for column in ("account_id", "best_lead_id"):
        assert not accounts[column].str.match(r"[=+\-@\t\r]").any(), accounts
    assert not any(str(c).startswith(("=", "+", "-", "@")) for c in accounts.columns)
    raw = pd.read_parquet(tmp_path / "scores.parquet")
    assert raw["lead_id"].tolist() == scores["lead_id"].tolist()  # Parquet keeps raw values
    assert "=Industry+0" in raw.columns


def test_neutralising_leaves_safe_frames_alone() -> None:
    frame = pd.DataFrame({"lead_id": ["L1", None], "p": [-0.5, 0.5], "n": [-1, 2]})
    assert neutralise_formulas(frame) is frame
    assert neutralise_formulas(pd.DataFrame({"x": [None, None]}, dtype=object))["x"].isna().all()


def test_formulas_behind_blanks_are_neutralised_and_numbers_stay_numbers(tmp_path: Path) -> None:
    hidden = [" =1+1198", "\n=2+3167", "\r\n+1", "\u00a0@SUM(A1)", "\u3000-2+3", "\t =x"]
    safe = ["a = b", "L 1", "x-1", " ", ""]
    frame = pd.DataFrame({"lead_id": hidden + safe, "p": [-0.5] * 11, " =h": ["x"] * 11})
    write_table(frame, tmp_path / "scores.csv")
    text = pd.read_csv(tmp_path / "scores.csv", dtype=str, keep_default_na=False)
    assert text["lead_id"].tolist() == ["'" + v for v in hidden] + safe
    assert list(text.columns) == ["lead_id", "p", "' =h"]
    assert pd.read_csv(tmp_path / "scores.csv")["p"].tolist() == [-0.5] * 11


def test_a_rewritten_file_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    old = os.umask(0o022)
    try:
        write_table(pd.DataFrame({"a": [1]}), out)
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        out.chmod(0o640)  # shared with the sales group
        write_table(pd.DataFrame({"a": [2]}), out)
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
    finally:
        os.umask(old)


_KILLED_WRITER = """
import os, signal, sys
from leadscore.io import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    tmp.write_text("lead_id,probab")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_run_killed_mid_write_leaves_a_temp_file_the_next_write_removes(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    out.write_text("previous\n")
    killed = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(out)], check=False)
    assert killed.returncode == -signal.SIGKILL
    assert out.read_text() == "previous\n"
    [left] = _hidden(tmp_path)
    assert left.startswith(".scores.csv.") and left.endswith(".tmp")
    live = tmp_path / temp_name("scores.csv").replace(f"-{os.getpid()}-", f"-{os.getppid()}-")
    live.write_text("a concurrent run still writing")
    other = tmp_path / temp_name("scores.csv.bak.csv").replace(f"-{os.getpid()}-", "-999999999-")
    other.write_text("another target's leftover")
    write_table(pd.DataFrame({"a": [1]}), out)
    assert _hidden(tmp_path) == sorted([live.name, other.name])  # only the dead one went


def test_nameless_leftovers_of_older_versions_go_after_a_day(tmp_path: Path) -> None:
    fresh, old = tmp_path / ".scores.csv.abcd1234.tmp", tmp_path / ".scores.csv.efgh5678.tmp"
    fresh.write_text("")
    old.write_text("")
    os.utime(old, (0, 0))
    assert remove_stale_temps(tmp_path, "scores.csv") == [old]
    assert fresh.exists()
    odd = tmp_path / "scores [v2].csv"
    write_table(pd.DataFrame({"a": [1]}), odd)  # glob characters in the name
    dead = tmp_path / temp_name(odd.name).replace(f"-{os.getpid()}-", "-999999999-")
    dead.write_text("")
    assert remove_stale_temps(tmp_path, odd.name) == [dead]


def _raising(code: int):
    def write(self, path, *args, **kwargs):
        Path(path).write_text("lead_id,probab")  # half a file, then the error
        raise OSError(code, os.strerror(code))

    return write


def test_a_full_disk_is_a_clear_error_and_the_previous_file_is_intact(
    tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "scores.csv"
    write_table(pd.DataFrame({"lead_id": ["L1"]}), out)
    before = out.read_bytes()
    monkeypatch.setattr(pd.DataFrame, "to_csv", _raising(errno.ENOSPC))
    with pytest.raises(LeadscoreError) as caught:
        write_table(pd.DataFrame({"lead_id": ["L2"]}), out)
    assert str(caught.value) == (
        f"{out}: cannot write: no space left on the device. The previous file is intact."
    )
    assert out.read_bytes() == before
    assert _hidden(tmp_path) == []


def test_pyarrow_errors_without_errno_are_recognised(tmp_path: Path, monkeypatch) -> None:
    def fail(self, path, *args, **kwargs):
        raise OSError("[Errno 28] Error writing bytes to file. Detail: No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    with pytest.raises(LeadscoreError, match="no space left"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
    assert _hidden(tmp_path) == []


def test_a_read_only_folder_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "scores.csv"

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(LeadscoreError, match=r"scores\.csv: cannot write: permission denied\."):
        write_table(pd.DataFrame({"a": [1]}), out)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(LeadscoreError, match="permission denied"):
            write_table(pd.DataFrame({"a": [1]}), folder / "scores.csv")
    finally:
        folder.chmod(0o700)


def test_an_output_that_is_a_folder_or_below_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match=r"is a folder: give a file name"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path)
    (tmp_path / "plain.txt").write_text("mine")
    with pytest.raises(LeadscoreError, match=r"plain\.txt is a file, not a folder"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "plain.txt" / "deeper" / "s.csv")
    with pytest.raises(LeadscoreError, match=r"is a folder"), atomic_path(tmp_path):
        pass
    assert (tmp_path / "plain.txt").read_text() == "mine"


def test_colliding_outputs_are_refused_however_spelled(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "out")
    (tmp_path / "out" / "scores.csv").write_text("x")
    os.link(tmp_path / "out" / "scores.csv", tmp_path / "hard.csv")
    same = [
        ("out/scores.csv", "./out/scores.csv"),
        ("out/scores.csv", "link/scores.csv"),
        ("out/scores.csv", str(tmp_path / "out" / ".." / "out" / "scores.csv")),
        ("out/scores.csv", "out/Scores.CSV"),
        ("out/scores.csv", "hard.csv"),
    ]
    for first, second in same:
        with pytest.raises(LeadscoreError, match="--out and --accounts-out are the same file"):
            check_distinct_outputs({"--out": first, "--accounts-out": second, "x": None})
    check_distinct_outputs({"--out": "out/scores.csv", "--accounts-out": "out/accounts.csv"})


def test_outputs_over_or_inside_an_input_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "leads.csv").write_text("lead_id\n")
    with pytest.raises(LeadscoreError, match=r"--out \(.*\) would be written inside --data"):
        check_distinct_outputs({"--out": data / "scores.csv"}, inputs={"--data": data})
    flat = tmp_path / "crm.csv"
    flat.write_text("x")
    with pytest.raises(LeadscoreError, match="would be written over --table"):
        check_distinct_outputs({"--metrics-out": flat}, inputs={"--table": flat})
    check_distinct_outputs({"--out": tmp_path / "scores.csv"}, inputs={"--data": data, "x": None})


def test_outputs_inside_an_output_folder_are_refused(tmp_path: Path) -> None:
    figures = tmp_path / "od" / "figures"
    with pytest.raises(
        LeadscoreError, match=r"--metrics-out \(.*roc.png\) would be written inside"
    ):
        check_distinct_outputs(
            {"--metrics-out": figures / "roc.png"}, folders={"the figures": figures}
        )
    with pytest.raises(LeadscoreError, match="would be written inside the figures"):
        check_distinct_outputs({"--out": tmp_path / "OD/Figures"}, folders={"the figures": figures})
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(LeadscoreError, match=r"the figures .* and --data .* overlap"):
        check_distinct_outputs({}, inputs={"--data": data}, folders={"the figures": data / "f"})
    (tmp_path / "file").write_text("mine")
    with pytest.raises(LeadscoreError, match="is a file, not a folder"):
        check_distinct_outputs({}, folders={"the figures": tmp_path / "file"})
    check_distinct_outputs(
        {"--metrics-out": tmp_path / "od" / "metrics.json"},
        inputs={"--data": data},
        folders={"the figures": figures},
    )
    assert not (tmp_path / "od").exists()


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--accounts-out", "{d}/scores.csv"], "--out and --accounts-out are the same file"),
        (["--accounts-out", "{d}/./scores_drift.csv"], "the drift table written next to --out and"),
        (["--out", "{d}"], "is a folder: give a file name"),
        (["--out", "{d}/scores.csv/x.csv"], "scores.csv is a file, not a folder"),
        (["--out", "{data}/scores.csv"], "would be written inside --data"),
    ],
)
def test_score_refuses_colliding_outputs_before_reading_anything(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()  # empty: reading it would fail with another message
    scores = tmp_path / "scores.csv"
    scores.write_bytes(b"lead_id,probability\nL1,0.5\n")
    (tmp_path / "scores_drift.csv").write_bytes(b"feature,psi\n")
    args = [a.format(d=tmp_path, data=data) for a in extra]
    if "--out" not in args:
        args += ["--out", str(scores)]
    result = _invoke("score", "--data", str(data), "--model", str(tmp_path / "nowhere"), *args)
    assert result.exit_code == 1
    assert message in " ".join(str(result.exception).split()), result.exception
    assert scores.read_bytes() == b"lead_id,probability\nL1,0.5\n"
    assert (tmp_path / "scores_drift.csv").read_bytes() == b"feature,psi\n"
    assert _hidden(tmp_path) == []


def test_features_and_train_refuse_outputs_over_their_inputs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "leads.csv").write_text("mine\n")
    features = _invoke("features", "--data", str(data), "--out", str(data / "leads.csv"))
    assert "would be written inside --data" in str(features.exception)
    flat = tmp_path / "crm.csv"
    flat.write_text("mine\n")
    trained = _invoke("train", "--table", str(flat), "--target", "x", "--metrics-out", str(flat))
    assert "--metrics-out" in str(trained.exception) and "over --table" in str(trained.exception)
    (tmp_path / "reports").write_text("a file")
    trained = _invoke("train", "--data", str(data), "--out-dir", str(tmp_path / "reports"))
    assert "reports is a file, not a folder" in str(trained.exception)
    assert (data / "leads.csv").read_text() == flat.read_text() == "mine\n"


def test_train_refuses_an_output_inside_its_figures_folder_before_any_work(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()  # empty: reading it would fail with another message
    roc = tmp_path / "od" / "figures" / "roc.png"
    roc.parent.mkdir(parents=True)
    roc.write_bytes(b"PNG")
    trained = _invoke(
        "train", "--data", str(data), "--no-track", "--out-dir", str(tmp_path / "od"),
        "--metrics-out", str(roc),
    )  # fmt: skip
    assert trained.exit_code == 1
    assert "--metrics-out" in str(trained.exception)
    assert "inside --out-dir's figures folder" in str(trained.exception)
    assert roc.read_bytes() == b"PNG"


def test_a_symlinked_output_is_written_through(tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "scores.csv"
    shared.parent.mkdir()
    shared.write_text("old\n")
    shared.chmod(0o640)
    link = tmp_path / "perm" / "scores.csv"
    link.parent.mkdir()
    link.symlink_to(shared)
    write_table(pd.DataFrame({"lead_id": ["L1"]}), link)
    assert link.is_symlink() and link.resolve() == shared
    assert shared.read_text() == "lead_id\nL1\n"
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640
    assert _hidden(shared.parent) == [] and _hidden(link.parent) == []
    dangling = tmp_path / "perm" / "new.csv"
    dangling.symlink_to(tmp_path / "shared" / "new.csv")
    write_table(pd.DataFrame({"lead_id": ["L2"]}), dangling)
    assert (
        dangling.is_symlink() and (tmp_path / "shared" / "new.csv").read_text() == "lead_id\nL2\n"
    )
    loop = tmp_path / "perm" / "loop.csv"
    loop.symlink_to(loop)
    with pytest.raises(LeadscoreError, match=r"loop\.csv: cannot follow the link: too many"):
        write_table(pd.DataFrame({"lead_id": ["L3"]}), loop)


def test_symlink_loops_are_clear_errors_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "loop1.csv").symlink_to(tmp_path / "loop2.csv")
    (tmp_path / "loop2.csv").symlink_to(tmp_path / "loop1.csv")
    (tmp_path / "loopdir").symlink_to(tmp_path / "loopdir")
    data = tmp_path / "data"
    data.mkdir()  # empty: reading it would fail with another message
    scored = _invoke("score", "--data", str(data), "--out", str(tmp_path / "loop1.csv"))
    assert scored.exit_code == 1 and isinstance(scored.exception, LeadscoreError)
    assert f"{tmp_path / 'loop1.csv'}: cannot follow the link: too many levels" in str(
        scored.exception
    )
    loopdir, loop2 = tmp_path / "loopdir", tmp_path / "loop2.csv"
    with pytest.raises(LeadscoreError, match=r"loopdir.*: cannot follow the link"):
        check_distinct_outputs({"--out": loopdir / "s.csv"})
    with pytest.raises(LeadscoreError, match=r"loop2\.csv: cannot follow the link"):
        check_distinct_outputs({"--out": tmp_path / "s.csv"}, inputs={"--table": loop2})
    with pytest.raises(LeadscoreError, match=r"loopdir.*: cannot follow the link"):
        check_distinct_outputs({}, folders={"the figures": loopdir / "figures"})
    with (
        pytest.raises(LeadscoreError, match=r"loop2\.csv: cannot follow the link"),
        atomic_path(loop2),
    ):
        pass
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["data", "loop1.csv", "loop2.csv", "loopdir"]


def test_a_dangling_link_into_a_missing_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "deep"
    link = tmp_path / "scores.csv"
    link.symlink_to(missing / "scores.csv")
    data = tmp_path / "data"
    data.mkdir()  # empty: reading it would fail with another message
    scored = _invoke("score", "--data", str(data), "--out", str(link))
    assert scored.exit_code == 1
    assert "the link points to a folder that does not exist" in str(scored.exception)
    with pytest.raises(LeadscoreError, match=r"scores\.csv: the link points to a folder that"):
        write_table(pd.DataFrame({"lead_id": ["L1"]}), link)
    (tmp_path / "dirlink").symlink_to(missing)
    with pytest.raises(LeadscoreError, match=r"dirlink is a link to a folder that does not exist"):
        write_table(pd.DataFrame({"lead_id": ["L1"]}), tmp_path / "dirlink" / "s.csv")
    assert not (tmp_path / "nowhere").exists()
    assert link.is_symlink() and (tmp_path / "dirlink").is_symlink()


@pytest.mark.parametrize(
    ("command", "option", "name"),
    [
        ("score", "--out", "scores"),
        ("score", "--out", "scores.txt"),
        ("score", "--accounts-out", "accounts.json"),
        ("features", "--out", "training.xlsx"),
        ("generate-flat", "--out", "crm.tsv"),
    ],
)
def test_output_file_names_are_checked_before_any_work(
    tmp_path: Path, command: str, option: str, name: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()  # empty: reading it would fail with another message
    args = [command, option, str(tmp_path / name)]
    if command != "generate-flat":
        args += ["--data", str(data)]
    result = _invoke(*args, *(["--model", str(tmp_path / "nowhere")] if command == "score" else []))
    assert result.exit_code == 1
    message = " ".join(str(result.exception).split())
    assert f"{option} {tmp_path / name}: give a file name ending in .csv or .parquet." in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_upper_case_suffixes_are_written_like_lower_case_ones(tmp_path: Path) -> None:
    frame = pd.DataFrame({"lead_id": ["=1+1", "L2"], "p": [0.5, -0.5]})
    write_table(frame, tmp_path / "scores.CSV")
    assert (tmp_path / "scores.CSV").read_text() == "lead_id,p\n'=1+1,0.5\nL2,-0.5\n"
    write_table(frame, tmp_path / "scores.Parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "scores.Parquet"), frame)
    check_distinct_outputs({"--out": tmp_path / "scores.PARQUET"}, suffixes=(".csv", ".parquet"))


def test_the_cli_prints_output_errors_without_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "out.csv"
    folder.mkdir()
    script = textwrap.dedent(
        """
        import sys
        from leadscore.cli import main
        sys.argv = ["leadscore", "generate-flat", "--rows", "50", "--out", sys.argv[1]]
        main()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(folder)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{folder} is a folder: give a file name." in " ".join(result.stderr.split())


# --- YAML files written by hand: settings, points sheets, reasons ------------------------------

#: A "billion laughs": 9 levels of 9 aliases, about 10^9 items once expanded.
ALIAS_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def _yaml_error(path: Path, content: bytes | str) -> str:
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    with pytest.raises(LeadscoreError) as caught:
        read_yaml(path, "settings file")
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


def test_yaml_alias_bombs_fail_at_once(tmp_path: Path) -> None:
    started = time.perf_counter()
    message = _yaml_error(tmp_path / "s.yaml", ALIAS_BOMB)
    assert time.perf_counter() - started < 1
    assert "anchors and aliases (&name, *name) are not allowed" in message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"windows_days: " + b"1" * YAML_MAX_BYTES, "larger than 1 MiB"),
        (bytes(range(256)) * 4, "not UTF-8 text (undecodable byte at position 128)"),
        (b"horizon_days: 9\x000\n", "character #x0000 at position 15 is not allowed"),
        ("horizon_days: 90\n".encode("utf-16"), "is UTF-16 text: save it as UTF-8"),
        (b"a: " + b"[" * 10_000 + b"]" * 10_000, "nested more than 32 levels deep"),
        (b"a: 1" + b"0" * 5000 + b"\n", "a value cannot be read"),
        (b"? [a, b]\n: 1\n", "line 1, column 3: found unhashable key"),
        (b"a: !!python/object/apply:os.system [ls]\n", "could not determine a constructor"),
    ],
    ids=["oversized", "binary", "nul", "utf16", "deep", "long-integer", "list-key", "python-tag"],
)
def test_hostile_yaml_is_a_clear_error(tmp_path: Path, content: bytes, fragment: str) -> None:
    message = _yaml_error(tmp_path / "s.yaml", content)
    assert fragment in message
    assert len(message) < 300 + len(str(tmp_path))
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", message)


def test_yaml_errors_name_the_line_without_quoting_the_file(tmp_path: Path) -> None:
    secret = "anna.schmidt@example.de " * 20
    message = _yaml_error(tmp_path / "s.yaml", f"a: 1\nb: [{secret}\nc: 2\n")
    assert "line 3" in message
    assert "anna" not in message


def test_a_long_repeated_key_is_cut_in_the_message(tmp_path: Path) -> None:
    key = "k" * 900  # YAML allows plain keys up to 1,024 characters
    message = _yaml_error(tmp_path / "s.yaml", f"{key}: 1\n{key}: 2\n")
    assert "is given twice" in message and "…" in message
    assert len(message) < 400 + len(str(tmp_path))


def test_yaml_that_is_not_a_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LeadscoreError, match="the settings file is a folder"):
        read_yaml(tmp_path, "settings file")
    with pytest.raises(LeadscoreError, match="larger than 1 MiB"):
        read_yaml("/dev/zero", "settings file")  # endless: read only up to the cap


def test_ordinary_yaml_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("a: {<<: {x: 1}, y: [1, 2.5, text]}\nb: '2025-01-01'\n")
    expected = {"a": {"x": 1, "y": [1, 2.5, "text"]}, "b": "2025-01-01"}
    assert read_yaml(path, "settings file") == expected
