"""Paths and defaults, in one place.

Every default path (``data/``, ``reports/``, ``models/``, ``mlflow.db``) lives in the *project
root*, the folder of the user's leadscore project, whatever folder leadscore itself is
installed from:

1. ``LEADSCORE_HOME``, when set;
2. else the nearest folder, from the current one upward, holding a project marker: a
   ``leadscore.toml`` file (``leadscore init`` writes one) or a ``pyproject.toml`` with a
   ``[tool.leadscore]`` table;
3. else the current folder.

So ``leadscore train`` run in ``~/campaigns/q3`` writes into ``~/campaigns/q3`` (or the project
above it), never into a leadscore checkout that an editable install points at. The checkout
holds a ``leadscore.toml`` of its own: ``make`` targets and the notebooks in ``notebooks/``
find it from there.

Examples
--------
>>> from leadscore import config
>>> config.RAW_DATA_DIR.relative_to(config.PROJECT_ROOT).as_posix()
'data/raw'
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     project = Path(tmp).resolve()
...     _ = write_marker(project)
...     (project / "notebooks").mkdir()
...     find_project_root(project / "notebooks", environ={}) == project
True
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

#: The file that marks a folder as a leadscore project (``leadscore init`` writes it).
MARKER_FILE = "leadscore.toml"
#: What ``leadscore init`` writes into it: a marker, with a word on what it does.
MARKER_TEXT = """\
# This folder is a leadscore project. Commands run here or in a folder below it keep their
# default files here: data/ (inputs, staged copies, scores), reports/, models/ and the
# MLflow store mlflow.db with its artifacts in mlruns/.
# LEADSCORE_HOME=/some/folder overrides this folder; MLFLOW_TRACKING_URI the MLflow store.
"""


def is_project(folder: Path) -> bool:
    """Whether ``folder`` holds a leadscore project marker.

    A ``leadscore.toml`` file, or a ``pyproject.toml`` with a ``[tool.leadscore]`` table (an
    unreadable ``pyproject.toml`` is no marker: it belongs to some other tool's project).
    """
    if (folder / MARKER_FILE).is_file():
        return True
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(tool, dict) and isinstance(tool.get("leadscore"), dict)


def find_project_root(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The project root: ``LEADSCORE_HOME``, else the nearest marked folder, else ``start``.

    Parameters
    ----------
    start : Path, optional
        Where the search upward begins (default: the current folder).
    environ : mapping, optional
        Environment variables (default: ``os.environ``); an empty ``LEADSCORE_HOME`` is unset.
    """
    home = (os.environ if environ is None else environ).get("LEADSCORE_HOME", "")
    if home:
        return Path(home).expanduser().resolve()
    here = (Path.cwd() if start is None else Path(start)).resolve()
    return next((folder for folder in (here, *here.parents) if is_project(folder)), here)


def write_marker(folder: Path) -> Path:
    """Make ``folder`` a leadscore project: write its ``leadscore.toml`` (kept if it exists)."""
    marker = Path(folder) / MARKER_FILE
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(MARKER_TEXT, encoding="utf-8")
    return marker


PROJECT_ROOT = find_project_root()
DATA_DIR = PROJECT_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
INTERIM_DATA_DIR = DATA_DIR / "interim"
PROCESSED_DATA_DIR = DATA_DIR / "processed"
MODELS_DIR = PROJECT_ROOT / "models"
REPORTS_DIR = PROJECT_ROOT / "reports"
FIGURES_DIR = REPORTS_DIR / "figures"
SCORES_FILE = DATA_DIR / "scores" / "scores.csv"

#: Where ``make demo`` puts its synthetic B2B dataset (the default input of every command).
DEMO_DATA_DIR = RAW_DATA_DIR / "synthetic-b2b"
DEMO_LEADS = 20_000
DEMO_SEED = 42
