"""Paths and defaults, in one place.

The project root is the source checkout when leadscore runs from one (``make`` targets,
notebooks), otherwise the current directory; ``LEADSCORE_HOME`` overrides both.

Examples
--------
>>> from leadscore import config
>>> config.RAW_DATA_DIR.relative_to(config.PROJECT_ROOT).as_posix()
'data/raw'
"""

from __future__ import annotations

import os
from pathlib import Path


def _project_root() -> Path:
    if "LEADSCORE_HOME" in os.environ:
        return Path(os.environ["LEADSCORE_HOME"]).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "leadscore").is_dir():
        return checkout
    return Path.cwd()


PROJECT_ROOT = _project_root()
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
