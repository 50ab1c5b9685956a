"""Atomic file output: a killed run never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import yaml

from leadscore.errors import LeadscoreError


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` on success.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic. On
    any exception it is removed and ``target`` is left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("hi")
    >>> out.read_text()
    'hi'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh staging directory; on success move its files into ``target``.

    Files are moved one by one with ``os.replace`` only after everything was written, so a
    failure while writing leaves ``target`` untouched. Other files already in ``target`` are
    kept.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target))
    try:
        yield staging
        for item in sorted(staging.rglob("*")):
            if item.is_file():
                dest = target / item.relative_to(staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` to ``path`` (``.parquet`` or ``.csv``) atomically."""
    path = Path(path)
    if path.suffix not in (".parquet", ".csv"):
        raise LeadscoreError(f"{path}: write .parquet or .csv files.")
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
    return path


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | os.PathLike[str], what: str) -> dict:
    """Read a YAML mapping, with clear errors for a missing file, bad YAML or repeated keys."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise LeadscoreError(f"{path}: {what} not found.") from None
    except yaml.YAMLError as exc:
        raise LeadscoreError(f"{path}: not valid YAML ({exc}).") from None
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
