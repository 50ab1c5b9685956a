"""Files in and out, safely.

- Output is atomic: a killed run never leaves a half-written file, keeps the previous file's
  permissions and cleans the temporary files of earlier killed runs (:func:`atomic_path`).
- Outputs are checked before any work starts: no output over another or over an input, none in
  a folder that takes no file (:func:`check_distinct_outputs`).
- CSV files for people are safe to open in a spreadsheet: text that would start a formula is
  neutralised (:func:`neutralise_formulas`); Parquet keeps the raw values (:func:`write_table`).
- YAML is read safely: no aliases, no huge files, clear errors (:func:`read_yaml`).
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
import re
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from leadscore.errors import LeadscoreError, excerpt

#: A temporary file or folder of a run that cannot be asked whether it is alive (another
#: machine sharing the folder, or a name without a process id) is stale after this many seconds.
STALE_AFTER_SECONDS = 24 * 3600
#: Text a spreadsheet reads as a formula (OWASP, CSV injection): ``=``, ``+``, ``-`` or ``@``
#: after any blanks (spreadsheets skip leading spaces, line breaks and invisible spaces), or a
#: tab or carriage return first.
FORMULA_START = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]*[=+\-@]|[\t\r]")
#: What :func:`write_table` writes (in any case: ``.CSV`` too): CSV for people, Parquet for
#: programs.
TABLE_SUFFIXES = (".csv", ".parquet")
# Identifies this machine in temporary names, so a run only judges process ids of its own host.
_HOST = hashlib.blake2b(socket.gethostname().encode(), digest_size=3).hexdigest()
# Errors of the file system that the user can fix, and what to tell them.
_OS_ADVICE = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for the file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "too many levels of symbolic links (a link pointing to itself?)",
}


def temp_name(target_name: str) -> str:
    """A unique hidden name next to ``target_name`` that tells which run it belongs to.

    The host and process id let a later run recognise a temporary file of a killed run (see
    :func:`remove_stale_temps`).

    Examples
    --------
    >>> name = temp_name("scores.csv")
    >>> name.startswith(".scores.csv.") and name.endswith(".tmp")
    True
    >>> _temp_owner(name)[1] == os.getpid()
    True
    """
    return f".{target_name}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp"


_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")


def temp_target(name: str) -> str | None:
    """The target name a :func:`temp_name` was made for; None for any other name.

    Examples
    --------
    >>> temp_target(temp_name("my.data-1"))
    'my.data-1'
    >>> temp_target(".notes.tmp") is None
    True
    """
    match = _TEMP_NAME.match(name)
    return match["target"] if match else None


def _temp_owner(name: str) -> tuple[str, int] | None:
    """(host, pid) encoded in a name from :func:`temp_name`; None for other names."""
    match = _TEMP_NAME.match(name)
    return (match["host"], int(match["pid"])) if match else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


def remove_stale_temps(folder: Path, target_name: str) -> list[Path]:
    """Remove temporary files or folders of ``target_name`` left in ``folder`` by killed runs.

    A temporary of this machine is stale when its process is gone; any temporary, also one of
    another machine or one without a process id in its name (older versions), when it is older
    than :data:`STALE_AFTER_SECONDS`. A temporary of a run still writing is never touched.

    Returns
    -------
    list of Path
        What was removed.
    """
    removed: list[Path] = []
    try:
        candidates = list(Path(folder).glob(f".{glob.escape(target_name)}.*.tmp"))
    except OSError:
        return removed
    now = time.time()
    for path in candidates:
        owner = _temp_owner(path.name)
        if owner is not None and temp_target(path.name) != target_name:
            continue  # a temporary of a longer name that starts like this one
        if owner is None and "." in path.name[len(target_name) + 2 : -len(".tmp")]:
            continue  # not a random suffix of older versions (tempfile.mkstemp)
        try:
            old = now - path.lstat().st_mtime > STALE_AFTER_SECONDS
            if owner is not None and owner[0] == _HOST and owner[1] != os.getpid():
                stale = old or not _process_alive(owner[1])  # old: the pid was reused
            elif owner is not None and owner[0] == _HOST:
                stale = False  # this very process
            else:
                stale = old
            if not stale:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            continue  # removed by a concurrent run, or not ours to remove
    return removed


def os_error_message(exc: OSError, path: str | os.PathLike[str]) -> str | None:
    """A sentence naming ``path`` for file-system errors a user can fix; None for others."""
    code = exc.errno
    if code is None and "No space left" in str(exc):  # pyarrow drops the errno
        code = errno.ENOSPC
    advice = _OS_ADVICE.get(code)
    return f"{path}: cannot write: {advice}." if advice else None


def _new_file_mode(target: Path) -> int:
    """The previous file's permission bits, or what the umask gives a new file."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` on success.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic. On
    any exception it is removed and ``target`` is left as it was. The new file gets the previous
    file's permissions (or the umask's for a new file), so whoever could read yesterday's output
    can read today's. Temporaries of ``target`` left by killed runs are removed first. A
    symbolic link is written through: the file it points to is replaced (its temporary lies
    next to it) and the link stays a link, as ``open(target, "w")`` would do.

    Raises
    ------
    LeadscoreError
        Naming ``target`` when it is a folder, its folder cannot be created (a part of the path
        is a file), or writing fails for a reason the user can fix (permission, read-only file
        system, no space left: the previous file is then intact).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("hi")
    >>> out.read_text()
    'hi'
    """
    shown = Path(target)  # what the user gave names the file in messages
    check_output_path(shown)
    target = _link_target(shown) if shown.is_symlink() else shown
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LeadscoreError(
            os_error_message(exc, shown) or f"{shown}: cannot create its folder ({exc})."
        ) from None
    remove_stale_temps(target.parent, target.name)
    mode = _new_file_mode(target)
    tmp = target.parent / temp_name(target.name)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.chmod(tmp, mode)
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        message = os_error_message(exc, shown)
        if message is None:
            raise
        if target.exists():
            message += " The previous file is intact."
        raise LeadscoreError(message) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _link_target(link: Path) -> Path:
    """The file a symbolic link points to: ``os.replace`` onto the link would replace the link
    itself, leaving whoever reads the file it points to with the old content."""
    try:
        return Path(os.path.realpath(link, strict=True))
    except FileNotFoundError:  # a dangling link: the file it names is created
        return Path(os.path.realpath(link))
    except OSError as exc:
        reason = _OS_ADVICE.get(exc.errno) or exc.strerror
        raise LeadscoreError(f"{link}: cannot follow the link: {reason}.") from None


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh staging directory; on success move its files into ``target``.

    Files are moved one by one with ``os.replace`` only after everything was written, so a
    failure while writing leaves ``target`` untouched. Other files already in ``target`` are
    kept. Staging folders of killed runs are removed first.
    """
    target = Path(target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(target, "staging")
        staging = target / temp_name("staging")
        staging.mkdir()
    except OSError as exc:
        raise LeadscoreError(
            os_error_message(exc, target) or f"{target}: cannot create the folder ({exc})."
        ) from None
    try:
        yield staging
        for item in sorted(staging.rglob("*")):
            if item.is_file():
                dest = target / item.relative_to(staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
    except OSError as exc:
        message = os_error_message(exc, target)
        if message is None:
            raise
        raise LeadscoreError(message) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def check_output_path(path: str | os.PathLike[str]) -> None:
    """Refuse an output file that cannot be written where it is meant to go.

    That is: an existing folder, a path below a file, a symbolic link that cannot be followed
    (a loop), a link to a file in a folder that does not exist (writing through it would create
    folders wherever the link points), or a file in a folder that takes no new file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_path(folder)
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: ... is a folder: give a file name.
    >>> (folder / "old.csv").symlink_to(folder / "gone" / "old.csv")
    >>> check_output_path(folder / "old.csv")
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: ...old.csv: the link points to a folder that does not exist ...
    """
    path = Path(path)
    _resolve(path)  # a link loop anywhere on the way
    if path.is_dir():
        raise LeadscoreError(f"{path} is a folder: give a file name.")
    written = path
    if path.is_symlink():
        written = _link_target(path)
        if not written.parent.exists():
            raise LeadscoreError(
                f"{path}: the link points to a folder that does not exist ({written.parent}): "
                "create it or give another file."
            )
    for parent in written.parents:
        if parent.is_symlink() and not parent.exists():
            raise LeadscoreError(
                f"{path}: {parent} is a link to a folder that does not exist: create it or give "
                "another file."
            )
        if parent.exists():
            if not parent.is_dir():
                raise LeadscoreError(f"{path}: {parent} is a file, not a folder.")
            _probe_writable(parent, path)
            return


def _resolve(path: Path) -> Path:
    """``path.resolve()``, or a clear error naming ``path`` when a link on the way cannot be
    followed (Python raises RuntimeError for a link loop before 3.13, OSError since)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:
        code = exc.errno if isinstance(exc, OSError) else errno.ELOOP
        reason = _OS_ADVICE.get(code) or getattr(exc, "strerror", None) or str(exc)
        raise LeadscoreError(f"{path}: cannot follow the link: {reason}.") from None


def _check_suffix(path: Path, suffixes: Collection[str], what: str | None = None) -> None:
    """Refuse a file name that does not end in one of ``suffixes`` (in any case)."""
    if path.suffix.lower() not in {suffix.lower() for suffix in suffixes}:
        named = f"{what} {path}" if what else str(path)
        raise LeadscoreError(f"{named}: give a file name ending in {' or '.join(suffixes)}.")


def _probe_writable(folder: Path, path: Path) -> None:
    """Fail now, not after minutes of work, when ``folder`` takes no new file (read-only,
    immutable, a full disk, another owner): permission bits alone do not tell, e.g. for root."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        message = os_error_message(exc, path)
        if message is None:
            raise
        raise LeadscoreError(message) from None


def drift_table(scores: str | Path) -> Path:
    """The drift table ``leadscore score`` writes beside a scores file, named after it.

    Each scores file has its own (two tables scored into one folder keep both), and a file of
    the user's named ``drift.csv`` is never touched.

    >>> drift_table("data/scores/scores.csv").as_posix()
    'data/scores/scores_drift.csv'
    """
    scores = Path(scores)
    return scores.with_name(f"{scores.stem}{DRIFT_SUFFIX}.csv")


#: What :func:`drift_table` appends to the scores file's name.
DRIFT_SUFFIX = "_drift"


def check_distinct_outputs(
    outputs: Mapping[str, str | os.PathLike[str] | None],
    inputs: Mapping[str, str | os.PathLike[str] | None] | None = None,
    folders: Mapping[str, str | os.PathLike[str] | None] | None = None,
    suffixes: Collection[str] | None = None,
) -> None:
    """Refuse outputs of one command that would overwrite each other or an input.

    Call it before any work starts. Two outputs collide when they resolve to the same file
    (symbolic links, ``./`` and ``..`` followed, hard links of existing files detected) or when
    their names differ only in case in the same folder (one file on Windows and macOS). An
    output collides with an input when it is the input file or lies inside an input folder.
    An output folder is one the command fills with files of its choosing (e.g. figures): no
    output file and no input may lie in it, and it may not lie in an input folder. Each output
    is also checked with :func:`check_output_path` and, when ``suffixes`` are given, for its
    name ending in one of them (e.g. :data:`TABLE_SUFFIXES`), so a wrong name fails before the
    work rather than after it; each output folder is checked for being a folder that takes files.

    Parameters
    ----------
    outputs : mapping
        What each output is (for the message, e.g. ``"the scores file"``, or a parameter name
        in backquotes, which the command line shows as its option) → its path; ``None``
        values are skipped.
    inputs : mapping, optional
        The same for input files and folders.
    folders : mapping, optional
        The same for output folders.
    suffixes : collection of str, optional
        The endings allowed for the output files (compared ignoring case).

    Raises
    ------
    LeadscoreError
        Naming both outputs (or the output and the input, or the folder) and what they share;
        naming the output and the allowed endings for a wrong file name.

    Examples
    --------
    >>> check_distinct_outputs({"scores": "out/scores.csv", "drift": "out/./drift.csv"})
    >>> check_distinct_outputs({"scores": "out/scores.csv", "accounts": "out/../out/scores.csv"})
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: scores and accounts are the same file (out/scores.csv and ...
    >>> check_distinct_outputs({"metrics": "out/fig/roc.png"}, folders={"figures": "out/fig"})
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: metrics (out/fig/roc.png) would be written inside figures ...
    >>> check_distinct_outputs({"`out`": "out/scores"}, suffixes=TABLE_SUFFIXES)
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: `out` out/scores: give a file name ending in .csv or .parquet.
    """
    seen: dict[tuple[str, str], tuple[str, Path, Path]] = {}
    for what, given in outputs.items():
        if given is None:
            continue
        path = Path(given)
        check_output_path(path)
        if suffixes is not None:
            _check_suffix(path, suffixes, what)
        resolved = _resolve(path)
        key = (str(resolved.parent), resolved.name.casefold())
        if key in seen or any(_same_existing(resolved, r) for _, _, r in seen.values()):
            other, other_path, _ = seen.get(key) or next(
                v for v in seen.values() if _same_existing(resolved, v[2])
            )
            raise LeadscoreError(
                f"{other} and {what} are the same file ({other_path}"
                + (f" and {path}" if str(other_path) != str(path) else "")
                + "): one would overwrite the other. Give them different names."
            )
        seen[key] = (what, path, resolved)
    for what_in, given_in in (inputs or {}).items():
        if given_in is None:
            continue
        source = _resolve(Path(given_in))
        for what, path, resolved in seen.values():
            inside = source.is_dir() and source in resolved.parents
            if resolved == source or inside or _same_existing(resolved, source):
                raise LeadscoreError(
                    f"{what} ({path}) would be written "
                    + (f"inside {what_in} ({given_in})" if inside else f"over {what_in}")
                    + ": write outputs elsewhere, inputs are never changed."
                )
    for what_folder, given_folder in (folders or {}).items():
        if given_folder is not None:
            _check_output_folder(what_folder, Path(given_folder), seen.values(), inputs or {})


def _check_output_folder(
    what: str,
    folder: Path,
    outputs: Iterable[tuple[str, Path, Path]],
    inputs: Mapping[str, str | os.PathLike[str] | None],
) -> None:
    """Refuse an output folder that is a file, takes no file, or overlaps an output or input."""
    if folder.is_dir():
        _probe_writable(folder, folder)
    elif folder.exists():
        raise LeadscoreError(f"{what} ({folder}) is a file, not a folder.")
    else:
        check_output_path(folder)
    resolved = _resolve(folder)
    for what_out, path, resolved_out in outputs:
        if _within(resolved_out, resolved):
            raise LeadscoreError(
                f"{what_out} ({path}) would be written inside {what} ({folder}), which the "
                "command fills with its own files: give it another place."
            )
    for what_in, given_in in inputs.items():
        if given_in is None:
            continue
        source = _resolve(Path(given_in))
        if _within(resolved, source) or _within(source, resolved):
            raise LeadscoreError(
                f"{what} ({folder}) and {what_in} ({given_in}) overlap: write outputs elsewhere, "
                "inputs are never changed."
            )


def _within(path: Path, folder: Path) -> bool:
    """Whether resolved ``path`` is ``folder`` or lies in it; case is ignored, as on Windows
    and macOS, where ``Figures`` and ``figures`` are one folder."""
    parts, folder_parts = path.parts, folder.parts
    return len(parts) >= len(folder_parts) and all(
        a.casefold() == b.casefold() for a, b in zip(parts, folder_parts, strict=False)
    )


def _same_existing(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to text cells and headers a spreadsheet would run as a formula.

    Text whose first character after any blanks (spaces, tabs, line breaks, other Unicode
    spaces) is ``=``, ``+``, ``-`` or ``@``, or that starts with a tab or a carriage return, is
    what Excel, LibreOffice and Google Sheets evaluate (OWASP, "CSV injection"); the leading
    quote makes them show the text instead (:data:`FORMULA_START`). Numeric, boolean and time
    columns are left as they are, so ``-0.5`` stays a number. Meant for CSV files people open;
    Parquet keeps the raw values.

    Examples
    --------
    >>> frame = pd.DataFrame({"=Industry+0": ["=1+1", "@SUM(A1)", "ok"], "x": [-0.5, 1.0, 2.0]})
    >>> safe = neutralise_formulas(frame)
    >>> list(safe.columns), safe.iloc[:, 0].tolist(), safe["x"].tolist()
    (["'=Industry+0", 'x'], ["'=1+1", "'@SUM(A1)", 'ok'], [-0.5, 1.0, 2.0])
    >>> neutralise_formulas(pd.DataFrame({"id": [" =1+1", "\\n=2+3", "a=b"]}))["id"].tolist()
    ["' =1+1", "'\\n=2+3", 'a=b']
    """
    columns = [_neutral_text(str(c)) if isinstance(c, str) else c for c in frame.columns]
    changed = {}
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        try:  # on object columns .str gives NaN for non-text cells: numbers stay numbers
            risky = values.str.match(FORMULA_START)
        except AttributeError:  # no text at all (e.g. only empty cells)
            continue
        risky = np.asarray(risky.fillna(False), dtype=bool)
        if risky.any():
            values = values.astype(object).copy()
            values[risky] = "'" + values[risky].astype(str)
            changed[position] = values
    if not changed and columns == list(frame.columns):
        return frame
    out = frame.copy()
    for position, values in changed.items():
        out.isetitem(position, values)
    out.columns = columns
    return out


def _neutral_text(text: str) -> str:
    return "'" + text if FORMULA_START.match(text) else text


def frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Convert a frame to Arrow, keeping UTC timestamps as ``timestamp[us, tz=UTC]``.

    Converting time-zone-aware columns through naive UTC values avoids a pandas deprecation
    that ``pyarrow.Table.from_pandas`` triggers on them.
    """
    aware = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    naive = frame.assign(**{c: frame[c].dt.tz_convert(None) for c in aware})
    table = pa.Table.from_pandas(naive, preserve_index=False)
    for name in aware:
        index = table.schema.get_field_index(name)
        column = table[name].cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
        table = table.set_column(index, name, column)
    return table


def write_table(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, spreadsheet_safe: bool = True
) -> Path:
    """Write ``frame`` to ``path`` (``.parquet`` or ``.csv``, in any case) atomically.

    CSV files are opened in spreadsheets, so by default their text cells and headers go
    through :func:`neutralise_formulas`; Parquet keeps the raw values. ``spreadsheet_safe=False``
    is for CSV files meant as input to other programs (e.g. a synthetic export).

    Raises
    ------
    LeadscoreError
        For another suffix, and for the write errors of :func:`atomic_path`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_table(pd.DataFrame({"lead_id": ["=HYPERLINK(1)"], "p": [-0.5]}), out)
    >>> print(out.read_text().strip())
    lead_id,p
    '=HYPERLINK(1),-0.5
    """
    path = Path(path)
    check_output_path(path)  # first: "a folder" says more than "no suffix"
    _check_suffix(path, TABLE_SUFFIXES)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            (neutralise_formulas(frame) if spreadsheet_safe else frame).to_csv(tmp, index=False)
    return path


#: Largest YAML file read: settings, points sheets and reasons are a few kilobytes.
YAML_MAX_BYTES = 1 << 20
#: Deepest nesting accepted; the shipped files need 4 levels.
_YAML_MAX_DEPTH = 32


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader for files people write by hand.

    It refuses a key given twice (YAML would keep the last silently), anchors and aliases (a
    few hundred bytes of nested aliases expand to billions of items) and absurd nesting (the
    composer recurses once per level).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None,
                None,
                "anchors and aliases (&name, *name) are not allowed; write the values out",
                event.start_mark,
            )
        if self._depth >= _YAML_MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {_YAML_MAX_DEPTH} levels deep", event.start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in getattr(node, "value", ()):
            if key_node.tag == "tag:yaml.org,2002:merge":  # "<<": the base class merges it
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:  # a list or mapping as key: the base class says so
                break
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {excerpt(key)} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(exc: yaml.YAMLError | ValueError) -> str:
    """Where and what in one line, without the snippet of the file PyYAML would quote."""
    if isinstance(exc, yaml.reader.ReaderError):
        return f"character #x{exc.character:04x} at position {exc.position:,} is not allowed"
    if isinstance(exc, ValueError):  # raised while converting a value (date, long integer)
        return f"a value cannot be read: {' '.join(str(exc).split())[:100]}"
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "unreadable"
    problem = " ".join(str(problem).split())
    problem = problem if len(problem) <= 160 else problem[:159] + "…"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return problem if mark is None else f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def read_yaml(path: str | os.PathLike[str], what: str) -> dict:
    """Read a YAML mapping written by hand: a settings file, a points sheet, reasons.

    Parameters
    ----------
    path : str or PathLike
    what : str
        What the file is, in words ("settings file"), for the messages.

    Raises
    ------
    LeadscoreError
        Naming the file, when it is missing, unreadable, larger than ``YAML_MAX_BYTES``, not
        UTF-8 text, not valid YAML (with line and column, never the file's text), repeats a key,
        uses anchors or aliases, or does not hold a mapping.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> bomb = pathlib.Path(tempfile.mkdtemp()) / "bomb.yaml"
    >>> _ = bomb.write_text("a: &a [x, x]\\nb: &b [*a, *a]\\n")
    >>> read_yaml(bomb, "settings file")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    leadscore.errors.LeadscoreError: ...bomb.yaml: not valid YAML (line 1, column 4: anchors ...
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            content = fh.read(YAML_MAX_BYTES + 1)  # at most: the path may be a device or a pipe
    except FileNotFoundError:
        raise LeadscoreError(f"{path}: {what} not found.") from None
    except IsADirectoryError:
        raise LeadscoreError(f"{path}: the {what} is a folder, not a file.") from None
    except OSError as exc:
        raise LeadscoreError(f"{path}: cannot read the {what} ({exc.strerror}).") from None
    if len(content) > YAML_MAX_BYTES:
        raise LeadscoreError(
            f"{path}: the {what} is larger than {YAML_MAX_BYTES >> 20} MiB; is it the right file?"
        )
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LeadscoreError(f"{path}: the {what} is UTF-16 text: save it as UTF-8.")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LeadscoreError(
            f"{path}: the {what} is not UTF-8 text (undecodable byte at position "
            f"{exc.start:,}); is it a binary file?"
        ) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date such as 2025-02-30
        raise LeadscoreError(f"{path}: not valid YAML ({_yaml_problem(exc)}).") from None
    if not isinstance(data, dict):
        raise LeadscoreError(f"{path}: expected a mapping of settings at the top level.")
    return data


def update_hash(digest, path: Path) -> None:
    """Feed a file's content to a ``hashlib`` digest, 8 MB at a time."""
    with Path(path).open("rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)


def file_hash(path: str | Path) -> str:
    """Content hash of one file (BLAKE2b, 16 bytes, hex)."""
    digest = hashlib.blake2b(digest_size=16)
    update_hash(digest, Path(path))
    return digest.hexdigest()
