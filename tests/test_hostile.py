"""The hostile-input corpus: every command fed bad, malicious or merely odd input.

Each case runs the command line in-process (as ``leadscore.cli.main`` runs it) and asserts what
a user and a privacy officer rely on:

- the exit code: 1 for bad input, 0 where the input is legitimate;
- no Python traceback, ever;
- the message names the file, the column or the option at fault;
- the previous output is intact (byte for byte) and no temporary file is left behind;
- no personal data planted in the input appears in anything printed, nor in the MLflow store.

The inputs are built here from the synthetic data.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.synthetic import generate
from leadscore.synthetic.flat import messy_flat_table

#: Personal data planted in the inputs; none of it may ever be printed or logged.
PLANTED_EMAIL = "hildegard.pfefferkorn@example-geheim.de"
PLANTED_PHONE = "+49 170 5550123"
PLANTED_NAME = "Pfefferkorn"
PLANTED_IBAN = "DE89370400440532013000"
PERSONAL = (PLANTED_EMAIL, "example-geheim", PLANTED_PHONE, "5550123", PLANTED_NAME, PLANTED_IBAN)
SENTINEL = b"previous output: must survive a failed run\n"
#: Any e-mail address (the registry alias ``leadscore@champion`` has no dot after the @).
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}")


@dataclass
class Outcome:
    code: int | str
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    @property
    def flat(self) -> str:
        """The output without whitespace: rich wraps long lines anywhere."""
        return "".join(self.text.split())


def run_cli(*argv: str | Path) -> Outcome:
    """Run ``leadscore ARGV`` in this process the way the console script does."""
    from leadscore import cli

    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["leadscore", *map(str, argv)]
    code: int | str = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # what a user would see as a traceback
        code = "traceback"
        err.write(traceback.format_exc())
    finally:
        sys.argv = saved
    return Outcome(code, out.getvalue(), err.getvalue())


@dataclass
class Case:
    """One hostile input: how to build it, the command, what must hold."""

    name: str
    build: Callable[[World, Path], list[str | Path]]
    ok: bool = False  # the input is legitimate: the command must succeed
    mentions: tuple[str, ...] = ()  # each must appear in the output (whitespace ignored)
    absent: tuple[str, ...] = ()  # must not appear in the output
    check: Callable[[World, Path, Outcome], None] | None = None
    protect: tuple[str, ...] = ()  # files (relative to the case folder) that must survive


@dataclass
class World:
    """Inputs shared by the cases (built once per module)."""

    events_csv: Path  # a small synthetic dataset as CSV, to copy and tamper with
    data: Path  # the dataset the registry's champion was trained on
    registry: Path  # a project folder whose MLflow store holds an events champion
    flat_csv: Path  # a messy flat export with planted personal data
    flat_store: Path  # an MLflow store whose champion is a flat-table model
    extras: dict[str, Path] = field(default_factory=dict)


# --- building inputs -------------------------------------------------------------------------


def _copy_events(world: World, case_dir: Path) -> Path:
    folder = case_dir / "crm"
    shutil.copytree(world.events_csv, folder)
    return folder


def _edit_csv(path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame).to_csv(path, index=False)


def _tamper(table: str, edit: Callable[[pd.DataFrame], pd.DataFrame], *options: str):
    def build(world: World, case_dir: Path) -> list[str | Path]:
        folder = _copy_events(world, case_dir)
        _edit_csv(folder / f"{table}.csv", edit)
        return ["validate", "--data", folder, *options]

    return build


def _set(column: str, value: str, rows: slice = slice(0, 3)):
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame.index[rows], column] = value
        return frame

    return edit


def _replace_file(table: str, content: bytes):
    def build(world: World, case_dir: Path) -> list[str | Path]:
        folder = _copy_events(world, case_dir)
        (folder / f"{table}.csv").write_bytes(content)
        return ["validate", "--data", folder]

    return build


def _leads_text(world: World) -> str:
    return (world.events_csv / "leads.csv").read_text(encoding="utf-8")


def _reencode(encoding: str):
    def build(world: World, case_dir: Path) -> list[str | Path]:
        folder = _copy_events(world, case_dir)
        text = _leads_text(world).replace("Head of", "Leiterin für", 3)
        (folder / "leads.csv").write_bytes(text.encode(encoding))
        return ["validate", "--data", folder]

    return build


def _extra_comma(world: World, case_dir: Path) -> list[str | Path]:
    folder = _copy_events(world, case_dir)
    lines = _leads_text(world).splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[5].rstrip("\n").split(",")
    row[header.index("email")] = PLANTED_EMAIL
    row[header.index("job_title")] = "Head of Sales, EMEA"  # unquoted separator
    lines[5] = ",".join(row) + "\n"
    (folder / "leads.csv").write_text("".join(lines), encoding="utf-8")
    return ["validate", "--data", folder]


def _yaml_file(case_dir: Path, text: str | bytes, name: str = "settings.yaml") -> Path:
    path = case_dir / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


YAML_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def _features(*extra: str | Path, out: str = "out/training.parquet"):
    def build(world: World, case_dir: Path) -> list[str | Path]:
        resolved = [_resolve(case_dir, e) for e in extra]
        return [
            "features",
            "--data",
            world.events_csv,
            "--cutoffs",
            "2025-06-01",
            "--out",
            case_dir / out,
            *resolved,
        ]

    return build


def _resolve(case_dir: Path, value: str | Path) -> str | Path:
    """``@name`` in a case's arguments is a file in the case folder."""
    return case_dir / value[1:] if isinstance(value, str) and value.startswith("@") else value


def _score(*extra: str | Path, out: str = "out/scores.csv", data: str | None = None):
    def build(world: World, case_dir: Path) -> list[str | Path]:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{world.registry / 'mlflow.db'}"
        return [
            "score",
            "--data",
            world.extras[data] if data else world.data,
            "--out",
            case_dir / out,
            "--explain",
            "none",
            *[_resolve(case_dir, e) for e in extra],
        ]

    return build


def _flat_train(*extra: str | Path, table: Callable[[World, Path], Path] | None = None):
    def build(world: World, case_dir: Path) -> list[str | Path]:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{case_dir / 'mlflow.db'}"
        path = table(world, case_dir) if table else world.flat_csv
        return [
            "train",
            "--table",
            path,
            "--out-dir",
            case_dir / "reports",
            *[_resolve(case_dir, e) for e in extra],
        ]

    return build


def _flat_score(*extra: str | Path, table: Callable[[World, Path], Path] | None = None):
    def build(world: World, case_dir: Path) -> list[str | Path]:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{world.flat_store / 'mlflow.db'}"
        path = table(world, case_dir) if table else world.flat_csv
        return [
            "score",
            "--table",
            path,
            "--out",
            case_dir / "out" / "scores.csv",
            *[_resolve(case_dir, e) for e in extra],
        ]

    return build


def _flat_variant(edit: Callable[[pd.DataFrame], pd.DataFrame], name: str = "export.csv"):
    def table(world: World, case_dir: Path) -> Path:
        frame = pd.read_csv(world.flat_csv, dtype=str, keep_default_na=False)
        path = case_dir / name
        edit(frame).to_csv(path, index=False)
        return path

    return table


def _protected_out(case_dir: Path, *names: str) -> None:
    for name in names:
        path = case_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(SENTINEL)


# --- checks of successful cases --------------------------------------------------------------


def _no_formula_cells(world: World, case_dir: Path, outcome: Outcome) -> None:
    import csv

    for path in (case_dir / "out").glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert cell[:1] not in ("=", "+", "@", "\t", "\r"), (path.name, cell)
                    if cell.startswith("-"):
                        float(cell)  # only numbers may start with a minus


def _ids_stay_text(world: World, case_dir: Path, outcome: Outcome) -> None:
    scores = pd.read_parquet(case_dir / "out" / "scores.parquet")
    assert scores["lead_id"].astype(str).str.startswith("=").all(), "Parquet keeps the raw id"


def _flat_personal_dropped(world: World, case_dir: Path, outcome: Outcome) -> None:
    shown = " ".join(outcome.text.split())  # the typing table: header, type, … action
    for header in ("Telefon", "Vorname", "Lead Owner", "EmailAddress", "IBAN"):
        assert re.search(rf"{header} +drop ", shown), f"{header} not shown as dropped"
    store = b"".join(p.read_bytes() for p in case_dir.rglob("*") if p.is_file())
    for marker in PERSONAL:
        assert marker.encode() not in store, f"{marker} reached the MLflow store or reports"


# --- the corpus ------------------------------------------------------------------------------


CASES: list[Case] = [
    # validate: broken and odd exports
    Case(
        "missing data folder",
        lambda w, d: ["validate", "--data", d / "nowhere"],
        mentions=("nowhere",),
    ),
    Case("empty leads file", _replace_file("leads", b""), mentions=("leads.csv",)),
    Case(
        "header-only leads file",
        _replace_file("leads", b"lead_id,created_at,email\n"),
        mentions=("leads.csv",),
    ),
    Case(
        "binary leads file", _replace_file("leads", bytes(range(256)) * 40), mentions=("leads.csv",)
    ),
    Case(
        "NUL bytes in leads",
        _replace_file("leads", b"lead_id,created_at\nL1\x00\x00,2025\n"),
        mentions=("leads.csv",),
        absent=("\x00",),
    ),
    Case(
        "whitespace-only created_at",
        _tamper("leads", _set("created_at", "   ")),
        mentions=("leads.csv", "created_at"),
    ),
    Case(
        "tab-only lead_id",
        _tamper("leads", _set("lead_id", "\t")),
        mentions=("leads.csv", "lead_id"),
    ),
    Case(
        "created_at in 1970",
        _tamper("leads", _set("created_at", "1970-01-01T00:00:00Z")),
        mentions=("leads.csv", "created_at", "1970"),
    ),
    Case(
        "created_at in year 1",
        _tamper("leads", _set("created_at", "0001-01-01T00:00:00Z")),
        mentions=("leads.csv", "created_at"),
    ),
    Case(
        "conversion before creation",
        _tamper("outcomes", _set("converted_at", "2020-01-01T00:00:00Z")),
        ok=True,  # a warning: such leads are never scored nor trained on
        mentions=("warning", "outcomes.csv", "converted_at"),
    ),
    Case(
        "conversion before creation, strict",
        _tamper("outcomes", _set("converted_at", "2020-01-01T00:00:00Z"), "--strict"),
        mentions=("outcomes.csv", "converted_at"),
    ),
    Case(
        "employees 1e20",
        _tamper("accounts", _set("employees", "1e20")),
        mentions=("accounts.csv", "employees"),
    ),
    Case(
        "revenue inf",
        _tamper("accounts", _set("annual_revenue", "inf")),
        mentions=("accounts.csv", "annual_revenue"),
    ),
    Case(
        "revenue 1e308",
        _tamper("accounts", _set("annual_revenue", "1e308")),
        mentions=("accounts.csv", "annual_revenue"),
    ),
    Case(
        "revenue -5",
        _tamper("accounts", _set("annual_revenue", "-5")),
        mentions=("accounts.csv", "annual_revenue"),
    ),
    Case(
        "e-mail in the consent column",
        _tamper("leads", _set("consent", PLANTED_EMAIL)),
        mentions=("leads.csv", "consent"),
    ),
    Case(
        "e-mail in an event type",
        _tamper("events", _set("event_type", PLANTED_EMAIL)),
        mentions=("events.csv", "event_type"),
    ),
    Case(
        "phone number as a lead source",
        _tamper("leads", _set("lead_source", PLANTED_PHONE)),
        mentions=("leads.csv", "lead_source"),
    ),
    Case("unquoted comma in a row with an e-mail", _extra_comma, mentions=("leads.csv", "line")),
    Case("UTF-16 leads file", _reencode("utf-16"), ok=True),
    Case("Windows-1252 leads file", _reencode("cp1252"), ok=True),
    Case(
        "duplicate lead ids",
        _tamper("leads", _set("lead_id", "DUP")),
        mentions=("leads.csv", "lead_id"),
    ),
    Case(
        "headers equal after normalising",
        _tamper("leads", lambda f: f.assign(**{"Lead ID": f["lead_id"]})),
        mentions=("leads.csv", "Lead ID", "lead_id"),
    ),
    Case(
        "table given twice", lambda w, d: ["validate", "--data", _twice(w, d)], mentions=("leads",)
    ),
    Case(
        "leads file is a folder",
        lambda w, d: ["validate", "--data", _folder_as_file(w, d)],
        mentions=("leads",),
    ),
    Case(
        "very long value in a vocabulary column",
        _tamper("leads", _set("lead_source", "x" * 5000)),
        mentions=("leads.csv", "lead_source"),
        absent=("x" * 200,),
    ),
    # features: options and outputs
    Case(
        "monthly cutoffs over centuries",
        lambda w, d: [
            "features",
            "--data",
            w.events_csv,
            "--cutoffs",
            "monthly:1900-01-01:2200-01-01",
            "--out",
            d / "out" / "t.parquet",
        ],
        mentions=("--cutoffs",),
        protect=("out/t.parquet",),
    ),
    Case(
        "unparseable cutoffs",
        lambda w, d: [
            "features",
            "--data",
            w.events_csv,
            "--cutoffs",
            "someday",
            "--out",
            d / "out" / "t.parquet",
        ],
        mentions=("someday",),
        protect=("out/t.parquet",),
    ),
    Case(
        "cutoff before all data",
        lambda w, d: [
            "features",
            "--data",
            w.events_csv,
            "--cutoffs",
            "1999-01-01",
            "--out",
            d / "out" / "t.parquet",
        ],
        mentions=("1999-01-01",),
        protect=("out/t.parquet",),
    ),
    Case("features --out is a folder", _features(out="out"), mentions=("out",)),
    Case(
        "features --out parent is a file", _features(out="blocker/t.parquet"), mentions=("blocker",)
    ),
    Case("features --out unknown suffix", _features(out="out/t.xlsx"), mentions=("t.xlsx",)),
    Case(
        "features --out in a read-only folder",
        _features(out="locked/t.parquet"),
        mentions=("locked",),
        protect=("locked/t.parquet",),
    ),
    Case(
        "settings: binary file",
        _features("--settings", "@settings.yaml"),
        mentions=("settings.yaml",),
    ),
    Case(
        "settings: YAML alias bomb",
        _features("--settings", "@settings.yaml"),
        mentions=("settings.yaml",),
    ),
    Case(
        "settings: huge file",
        _features("--settings", "@settings.yaml"),
        mentions=("settings.yaml",),
    ),
    Case(
        "settings: unknown key with a long value",
        _features("--settings", "@settings.yaml"),
        mentions=("settings.yaml",),
        absent=("y" * 200,),
    ),
    Case(
        "settings: missing file",
        _features("--settings", "@nothing.yaml"),
        mentions=("nothing.yaml",),
    ),
    Case(
        "settings: a list at the top",
        _features("--settings", "@settings.yaml"),
        mentions=("settings.yaml",),
    ),
    # score (event data)
    Case(
        "score --as-of before all data",
        _score("--as-of", "1990-01-01"),
        mentions=("1990-01-01",),
        protect=("out/scores.csv",),
    ),
    Case(
        "score --as-of unparseable",
        _score("--as-of", "yesterday-ish"),
        mentions=("--as-of",),
        protect=("out/scores.csv",),
    ),
    Case(
        "score --as-of far in the future",
        _score("--as-of", "2199-01-01"),
        mentions=("2199",),
        protect=("out/scores.csv",),
    ),
    Case(
        "score --accounts-out collides with the drift table",
        _score("--accounts-out", "@out/scores_drift.csv"),
        mentions=("scores_drift.csv",),
        protect=("out/scores_drift.csv",),
    ),
    Case(
        "score --accounts-out equals --out",
        _score("--accounts-out", "@out/scores.csv"),
        mentions=("--accounts-out",),
        protect=("out/scores.csv",),
    ),
    Case("score --out is a folder", _score(out="out"), mentions=("out",)),
    Case("score --out parent is a file", _score(out="blocker/scores.csv"), mentions=("blocker",)),
    Case(
        "score --out read-only folder",
        _score(out="locked/scores.csv"),
        mentions=("locked",),
        protect=("locked/scores.csv",),
    ),
    Case("score --explain nonsense", _score("--explain", "most"), mentions=("--explain",)),
    Case("score --lang xx", _score("--lang", "xx"), mentions=("--lang",)),
    Case("score --model missing folder", _score("--model", "@nowhere"), mentions=("nowhere",)),
    Case(
        "score --model folder with a malicious pickle",
        _score("--model", "@evil"),
        mentions=("evil",),
    ),
    Case(
        "score --model unknown registry name",
        _score("--model", "models:/nobody@champion"),
        mentions=("nobody",),
    ),
    Case(
        "score --points nested list in a rule",
        _score("--points", "@points.yaml"),
        mentions=("points.yaml",),
    ),
    Case("score --points YAML bomb", _score("--points", "@points.yaml"), mentions=("points.yaml",)),
    Case(
        "score --settings unlike the model's",
        _score("--settings", "@settings.yaml"),
        mentions=("burst_days",),
        protect=("out/scores.csv",),
    ),
    Case("score with a folder named 'models:' here", _score(), ok=True),
    Case(
        "score formula-like ids and titles",
        _score("--accounts-out", "@out/accounts.csv", out="out/scores.csv", data="formula"),
        ok=True,
        check=_no_formula_cells,
    ),
    Case(
        "score to Parquet keeps raw ids",
        _score(out="out/scores.parquet", data="formula"),
        ok=True,
        check=_ids_stay_text,
    ),
    Case(
        "compare --settings unlike the run's",
        lambda w, d: _compare(w, d, "--settings", d / "settings.yaml"),
        mentions=("--settings", "burst_days"),
    ),
    # export
    Case(
        "export into a folder of user files",
        lambda w, d: _export(w, d),
        mentions=("keep.txt",),
        protect=("models/keep.txt",),
    ),
    # report
    Case(
        "report --scores missing",
        lambda w, d: _report(w, d, "--scores", d / "nope.csv"),
        mentions=("nope.csv",),
    ),
    Case(
        "report --out parent is a file",
        lambda w, d: _report(w, d, "--out", d / "blocker" / "r.html"),
        mentions=("blocker",),
    ),
    # train on a flat table
    Case("flat: --target Email", _flat_train("--target", "Email")),
    Case(
        "flat: --time-col Email",
        _flat_train("--target", "Converted", "--time-col", "Email"),
        mentions=("--time-col",),
    ),
    Case("flat: --target not a column", _flat_train("--target", "Outcome"), mentions=("Outcome",)),
    Case(
        "flat: target neither yes nor no", _flat_train("--target", "Country"), mentions=("Country",)
    ),
    Case("flat: no target option", _flat_train(), mentions=("--target",)),
    Case(
        "flat: every column id-like",
        _flat_train(
            "--target",
            "Converted",
            table=_flat_variant(
                lambda f: f[["Lead ID", "Converted"]].assign(Ref=f["Lead ID"] + "x")
            ),
        ),
    ),
    Case(
        "flat: ten rows",
        _flat_train("--target", "Converted", table=_flat_variant(lambda f: f.head(10))),
        mentions=("40",),
    ),
    Case(
        "flat: headers equal after normalising",
        _flat_train(
            "--target",
            "Converted",
            table=_flat_variant(lambda f: f.assign(**{"lead id": f["Lead ID"]})),
        ),
        mentions=("Lead ID", "lead id"),
    ),
    Case(
        "flat: unparseable --time-col",
        _flat_train("--target", "Converted", "--time-col", "Country"),
        mentions=("Country",),
    ),
    Case(
        "flat: German personal-data columns and odd headers",
        _flat_train("--target", "Converted", "--id", "Lead ID", "--time-col", "Created Date"),
        ok=True,
        check=_flat_personal_dropped,
    ),
    # score a flat table
    Case(
        "flat score: file without the id column",
        _flat_score(table=_flat_variant(lambda f: f.drop(columns=["Lead ID"]))),
        mentions=("Lead ID",),
    ),
    Case(
        "flat score: unparseable time column",
        _flat_score(table=_flat_variant(lambda f: f.assign(**{"Created Date": "soon"}))),
        mentions=("Created Date",),
    ),
    Case("flat score: bad --as-of", _flat_score("--as-of", "31/02/2025x"), mentions=("--as-of",)),
    Case(
        "flat score: missing file",
        _flat_score(table=lambda w, d: d / "absent.csv"),
        mentions=("absent.csv",),
    ),
    Case(
        "flat score: formula header, ids and values",
        _flat_score(
            table=_flat_variant(
                lambda f: f.assign(**{"Lead ID": "=" + f["Lead ID"], "Job Title": "=1+2"})
            )
        ),
        ok=True,
        check=_no_formula_cells,
    ),
    # train on event data
    Case(
        "train --data with --target",
        lambda w, d: [
            "train",
            "--data",
            w.events_csv,
            "--target",
            "x",
            "--no-track",
            "--out-dir",
            d / "r",
        ],
        mentions=("--target",),
    ),
    Case(
        "train cutoffs censored",
        lambda w, d: [
            "train",
            "--data",
            w.events_csv,
            "--cutoffs",
            "2026-03-01,2026-03-15,2026-03-20",
            "--no-track",
            "--out-dir",
            d / "r",
        ],
        mentions=("censored",),
    ),
    # generate
    Case(
        "generate --leads 0",
        lambda w, d: ["generate", "--out", d / "g", "--leads", "0"],
        mentions=("--leads",),
    ),
    Case(
        "generate --format xlsx",
        lambda w, d: ["generate", "--out", d / "g", "--leads", "50", "--format", "xlsx"],
        mentions=("xlsx",),
    ),
]


def _twice(world: World, case_dir: Path) -> Path:
    folder = _copy_events(world, case_dir)
    pd.read_csv(folder / "leads.csv", dtype=str).to_parquet(folder / "leads.parquet")
    return folder


def _folder_as_file(world: World, case_dir: Path) -> Path:
    folder = _copy_events(world, case_dir)
    (folder / "leads.csv").unlink()
    (folder / "leads.csv").mkdir()
    return folder


def _export(world: World, case_dir: Path) -> list[str | Path]:
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{world.registry / 'mlflow.db'}"
    return ["export", "--out", case_dir / "models"]


def _compare(world: World, case_dir: Path, *extra: str | Path) -> list[str | Path]:
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{world.registry / 'mlflow.db'}"
    return ["compare", "--data", world.data, "--no-track", "--out-dir", case_dir / "r", *extra]


def _report(world: World, case_dir: Path, *extra: str | Path) -> list[str | Path]:
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{world.registry / 'mlflow.db'}"
    return ["report", "--no-track", "--out", case_dir / "report.html", *extra]


#: Extra preparation a case needs in its folder before it runs.
PREPARE: dict[str, Callable[[Path], None]] = {
    "settings: binary file": lambda d: _yaml_file(d, b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 50),
    "settings: YAML alias bomb": lambda d: _yaml_file(d, YAML_BOMB),
    "settings: huge file": lambda d: _yaml_file(d, "# padding\n" * 300_000),
    "settings: unknown key with a long value": lambda d: _yaml_file(d, f"colour: {'y' * 5000}\n"),
    "settings: a list at the top": lambda d: _yaml_file(d, "- 1\n- 2\n"),
    "score --points nested list in a rule": lambda d: _yaml_file(
        d, _nested_points(), "points.yaml"
    ),
    "score --points YAML bomb": lambda d: _yaml_file(d, YAML_BOMB, "points.yaml"),
    "score --settings unlike the model's": lambda d: _yaml_file(d, "burst_days: 10\n"),
    "compare --settings unlike the run's": lambda d: _yaml_file(d, "burst_days: 10\n"),
    "features --out is a folder": lambda d: (d / "out").mkdir(),
    "features --out parent is a file": lambda d: (d / "blocker").write_text("a file"),
    "score --out is a folder": lambda d: (d / "out").mkdir(),
    "score --out parent is a file": lambda d: (d / "blocker").write_text("a file"),
    "report --out parent is a file": lambda d: (d / "blocker").write_text("a file"),
    "score --model folder with a malicious pickle": lambda d: _evil_model(d / "evil"),
    "export into a folder of user files": lambda d: None,
}


def _nested_points() -> str:
    import leadscore

    text = (Path(leadscore.__file__).parent / "points.yaml").read_text(encoding="utf-8")
    nested = text.replace("is: [c_level, vp, director]", "is: [[c_level, vp], director]")
    assert nested != text, "the shipped points sheet changed: update this case"
    return nested


class _Evil:
    """Unpickling this writes a marker file: proof that foreign code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


def _evil_model(folder: Path) -> None:
    import pickle

    folder.mkdir(parents=True)
    (folder / "mlflow").mkdir()
    (folder / "mlflow" / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
        "    python_model: python_model.pkl\n    python_version: 3.11.7\n"
    )
    (folder / "mlflow" / "python_model.pkl").write_bytes(
        pickle.dumps(_Evil(folder.parent / "PWNED"))
    )


def _read_only(case_dir: Path, name: str) -> None:
    """A folder nobody may write to, root included (``chattr +i`` where chmod is not enough)."""
    locked = case_dir / name
    locked.mkdir(parents=True, exist_ok=True)
    (locked / "t.parquet").write_bytes(SENTINEL)
    (locked / "scores.csv").write_bytes(SENTINEL)
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if _writable(locked):
        subprocess.run(["chattr", "+i", str(locked)], capture_output=True, check=False)
    if _writable(locked):
        _unlock(locked)
        pytest.skip("cannot make a folder read-only here")


def _writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def _unlock(folder: Path) -> None:
    subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)
    folder.chmod(stat.S_IRWXU)


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, data: Path, registry: Path) -> World:
    base = tmp_path_factory.mktemp("hostile")
    events_csv = base / "events-csv"
    generate(events_csv, n_leads=300, seed=5, file_format="csv")
    _plant_personal_data(events_csv)
    flat_csv = base / "flat.csv"
    _german_flat_export().to_csv(flat_csv, index=False)
    flat_store = base / "flat-store"
    flat_store.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{flat_store / 'mlflow.db'}")
        trained = run_cli(
            "train",
            "--table",
            flat_csv,
            "--target",
            "Converted",
            "--id",
            "Lead ID",
            "--time-col",
            "Created Date",
            "--out-dir",
            flat_store / "reports",
            "--promote",
        )
    assert trained.code == 0, trained.text
    formula = base / "formula"
    _formula_data(data, formula)
    return World(events_csv, data, registry, flat_csv, flat_store, {"formula": formula})


def _plant_personal_data(folder: Path) -> None:
    leads = pd.read_csv(folder / "leads.csv", dtype=str, keep_default_na=False)
    leads.loc[leads.index[:5], "email"] = PLANTED_EMAIL
    leads.to_csv(folder / "leads.csv", index=False)


def _german_flat_export() -> pd.DataFrame:
    """A flat export with German personal-data headers, consent flags and hostile headers."""
    frame = messy_flat_table(1500, seed=3)
    n = len(frame)
    frame.loc[frame.index[::50], "Email"] = PLANTED_EMAIL
    converted = frame["Converted"].eq("Yes").to_numpy()
    agrees = np.random.default_rng(0).random(n) < 0.7
    return frame.assign(
        **{
            "Vorname": ["Hildegard", "Jürgen", "Anna"] * (n // 3),
            "Nachname": [PLANTED_NAME, "Schmidt", "Weber"] * (n // 3),
            "Telefon": [PLANTED_PHONE, "+49 30 1234567", "0171 2233445"] * (n // 3),
            "EmailAddress": [PLANTED_EMAIL, "a@b.de", "c@d.com"] * (n // 3),
            "Lead Owner": ["Karl Vertrieb", "Petra Verkauf", "Ole Sales"] * (n // 3),
            "IBAN": [PLANTED_IBAN, "DE02120300000000202051", "AT611904300234573201"] * (n // 3),
            "Do Not Email": ["Yes", "No", "No"] * (n // 3),
            "Do Not Call": ["No", "No", "Yes"] * (n // 3),
            "Budget [EUR]": ["1.200", "15.000", "3.500"] * (n // 3),
            'Region: "Nord"': ["ja", "nein", "nein"] * (n // 3),
            # A header a spreadsheet would run, on a column informative enough for reasons.
            "=Lead Source+0": np.where(converted == agrees, "Referral", "Web"),
        }
    )


def _formula_data(source: Path, target: Path) -> None:
    """``source`` with lead and account ids and titles that a spreadsheet would execute."""
    shutil.copytree(source, target)
    for table, columns in (
        ("leads", ("lead_id", "account_id")),
        ("events", ("lead_id",)),
        ("outcomes", ("lead_id",)),
        ("accounts", ("account_id",)),
        ("account_events", ("account_id",)),
    ):
        path = target / f"{table}.parquet"
        if not path.is_file():
            continue
        frame = pd.read_parquet(path)
        for column in columns:
            filled = frame[column].notna()
            frame.loc[filled, column] = "=" + frame.loc[filled, column].astype(str)
        if table == "leads":
            frame["job_title"] = "@SUM(A1:A9) " + frame["job_title"].astype(str)
        frame.to_parquet(path, index=False)


# --- the test --------------------------------------------------------------------------------


def _prepare(case: Case, case_dir: Path, world: World) -> None:
    case_dir.mkdir(parents=True, exist_ok=True)
    if case.name in PREPARE:
        PREPARE[case.name](case_dir)
    if "read-only" in case.name:
        _read_only(case_dir, "locked")
    if case.name == "export into a folder of user files":
        (case_dir / "models").mkdir()
        _protected_out(case_dir, "models/keep.txt")
        (case_dir / "models" / "sub").mkdir()
    for name in case.protect:
        if not (case_dir / name).exists():
            _protected_out(case_dir, name)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(
    case: Case, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadscore import config

    monkeypatch.setattr(config, "INTERIM_DATA_DIR", tmp_path / "interim")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'unused.db'}")
    monkeypatch.chdir(tmp_path)
    if case.name == "score with a folder named 'models:' here":
        (tmp_path / "models:" / "leadscore@champion").mkdir(parents=True)
    case_dir = tmp_path / "case"
    _prepare(case, case_dir, world)
    try:
        outcome = run_cli(*case.build(world, case_dir))
    finally:
        for locked in case_dir.rglob("locked"):
            _unlock(locked)
    assert outcome.code != "traceback", outcome.text
    assert "Traceback" not in outcome.text, outcome.text
    assert outcome.code == (0 if case.ok else 1), outcome.text
    for needle in case.mentions:
        assert "".join(needle.split()) in outcome.flat, f"{needle!r} not named:\n{outcome.text}"
    for needle in case.absent:
        assert needle not in outcome.text, f"{needle!r} printed"
    for marker in PERSONAL:
        assert marker not in outcome.text, f"personal data {marker!r} printed:\n{outcome.text}"
    assert not EMAIL.search(outcome.text), f"an e-mail address printed:\n{outcome.text}"
    for name in case.protect:
        assert (case_dir / name).read_bytes() == SENTINEL, f"{name} was overwritten"
    leftovers = [p.name for p in case_dir.rglob("*.tmp")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
    assert not (case_dir / "PWNED").exists(), "loading the model ran foreign code"
    if case.check is not None:
        case.check(world, case_dir, outcome)


def test_the_corpus_is_large_and_mostly_hostile() -> None:
    hostile = [c for c in CASES if not c.ok]
    assert len(CASES) >= 60
    assert len(hostile) >= 50


def _store_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_flat_training_logs_no_personal_data(world: World) -> None:
    store = _store_bytes(world.flat_store)
    for marker in PERSONAL:
        assert marker.encode() not in store, f"{marker} reached MLflow or the reports"
    assert b"lead1@example" not in store


def test_event_training_logs_no_personal_data(world: World) -> None:
    leads = pd.read_parquet(world.data / "leads.parquet", columns=["email"])
    store = _store_bytes(world.registry)
    leaked = [e for e in leads["email"].dropna().head(2000) if e.encode() in store]
    assert not leaked, f"{len(leaked)} e-mail addresses reached MLflow, e.g. {leaked[0]}"
