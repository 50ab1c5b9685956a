"""leadscore: open, auditable predictive lead scoring.

What a data scientist uses from a notebook, importable from the top level::

    from leadscore import build_training_table, compare_training_table, log_comparison, write_run

Each name is loaded on first use (PEP 562), so ``import leadscore`` and the command line stay
fast: nothing heavy (pandas, scikit-learn, LightGBM, MLflow) is imported until a name is used.
The modules stay importable as before (``leadscore.modeling.points.PointsModel``).

Examples
--------
>>> import leadscore
>>> "compare_models" in leadscore.__all__
True
>>> leadscore.PointsModel.__module__
'leadscore.modeling.points'
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Public name → the module that defines it.
_EXPORTS: dict[str, str] = {
    # data in
    "load_dataset": "leadscore.dataset",
    "load_flat_table": "leadscore.flat_table",
    "generate": "leadscore.synthetic",
    "messy_flat_table": "leadscore.synthetic.flat",
    "conversion_probability": "leadscore.synthetic",
    # training and scoring tables
    "build_training_table": "leadscore.features.pipeline",
    "build_scoring_table": "leadscore.features.pipeline",
    "save_training_table": "leadscore.features.store",
    "load_training_table": "leadscore.features.store",
    "load_settings": "leadscore.features.settings",
    # the estimators
    "PointsModel": "leadscore.modeling.points",
    "load_points_sheet": "leadscore.modeling.points",
    "with_points": "leadscore.modeling.points",
    "LearnedPointsModel": "leadscore.modeling.scorecard",
    "BinningScorecard": "leadscore.modeling.scorecard",
    "LightGBMModel": "leadscore.modeling.train",
    # comparison, audit, a run's files, tracking
    "compare_training_table": "leadscore.workflows",
    "compare_models": "leadscore.modeling.compare",
    "compare_flat": "leadscore.modeling.compare",
    "compare_points": "leadscore.modeling.points_comparison",
    "audit_flat_table": "leadscore.modeling.leakage",
    "write_run": "leadscore.artifacts",
    "read_run": "leadscore.artifacts",
    "log_comparison": "leadscore.modeling.tracking",
    "training_run": "leadscore.modeling.tracking",
    "set_champion": "leadscore.modeling.tracking",
    "load_model": "leadscore.modeling.tracking",
    # scoring
    "score_leads": "leadscore.modeling.predict",
    "account_summary": "leadscore.modeling.predict",
    # the commands as functions (what `leadscore train`, `score`, `compare`, `report` run)
    "train": "leadscore.workflows",
    "score": "leadscore.workflows",
    "compare_run": "leadscore.workflows",
    "make_report": "leadscore.workflows",
    # the report
    "gather": "leadscore.report",
    "write_report": "leadscore.report",
    # errors
    "LeadscoreError": "leadscore.errors",
    "DataValidationError": "leadscore.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'leadscore' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
