"""A model bundle: everything scoring needs, in formats that load without running any code.

A bundle is a folder of three files:

- ``lightgbm.txt``: LightGBM's own text model (the trees, full precision);
- ``bundle.json``: the rest as plain JSON: the features and category vocabularies, the Platt
  calibration, the flat-table column types, the drift reference, the feature settings and points
  sheet the model was trained with, the horizon, and the model's name, version and run id;
- ``manifest.json``: the SHA-256 of the two files above.

Pickle is never used: unpickling runs whatever code the file names, so a model folder someone
else wrote could take over the machine. Reading a bundle checks the manifest's hashes *before*
parsing anything, then rebuilds only the classes listed in :data:`_DATACLASSES` and
:data:`_ESTIMATORS` from their plain fields. Floats are written with ``repr`` (JSON's own
notation), so they round-trip exactly: a model read back scores bit for bit like the one written.

``leadscore train`` logs a bundle with every run (artifacts ``bundle/``); ``leadscore export``
copies the champion's to ``models/champion``.

Examples
--------
>>> import numpy as np
>>> state = to_json({"edges": np.array([0.1, 2.5]), "kinds": ("a", "b")})
>>> state["kinds"]
{'__tuple__': ['a', 'b']}
>>> restored = from_json(state)
>>> restored["edges"].tolist(), restored["kinds"]
([0.1, 2.5], ('a', 'b'))
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression

from leadscore.drift import DriftReference
from leadscore.errors import LeadscoreError
from leadscore.flat_table import TableTyper
from leadscore.modeling.binning import Binner
from leadscore.modeling.points import PointsSheet, Rule
from leadscore.modeling.predict import LoadedModel
from leadscore.modeling.train import LightGBMModel
from leadscore.settings import IntentSignal, Settings, TitleRule, TitleRules

FORMAT = "leadscore-model-bundle"
FORMAT_VERSION = 1
MODEL_FILE = "lightgbm.txt"
METADATA_FILE = "bundle.json"
MANIFEST_FILE = "manifest.json"
#: The files a bundle owns (``leadscore export`` replaces these and nothing else).
BUNDLE_FILES = (MODEL_FILE, METADATA_FILE, MANIFEST_FILE)
_MAX_MANIFEST_BYTES = 64 << 10
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".cloudpickle")
#: Array element types a bundle may hold (booleans, numbers, text, Python objects), and their
#: largest size: a hand-made dtype such as "S1000000000" would otherwise exhaust memory.
_ARRAY_KINDS, _MAX_ITEM_BYTES = "biufUO", 4096
_EXPORT_ADVICE = "Make one with 'leadscore export' (it writes models/champion)."

#: Frozen records rebuilt from their fields; nothing else is ever instantiated from a bundle.
_DATACLASSES = {
    cls.__name__: cls
    for cls in (Settings, IntentSignal, TitleRule, TitleRules, PointsSheet, Rule, DriftReference)
}
#: scikit-learn estimators rebuilt from their parameters and fitted attributes.
_ESTIMATORS = {cls.__name__: cls for cls in (TableTyper, Binner, LogisticRegression)}


def to_json(value: Any) -> Any:
    """``value`` as JSON-ready data, tagging what JSON cannot tell apart (tuples, arrays ...).

    Raises
    ------
    TypeError
        For a type a bundle does not store (a programming error, not a user's).
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return to_json(value.item())
    if isinstance(value, np.ndarray):
        return {
            "__ndarray__": to_json(value.tolist()),
            "dtype": value.dtype.str,
            "shape": list(value.shape),
        }
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(v) for v in value]}
    if isinstance(value, frozenset | set):
        return {"__set__": sorted(to_json(v) for v in value)}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: to_json(v) for k, v in value.items()}
        return {"__pairs__": [[to_json(k), to_json(v)] for k, v in value.items()]}
    name = type(value).__name__
    if dataclasses.is_dataclass(value) and _DATACLASSES.get(name) is type(value):
        fields = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__dataclass__": name, "fields": fields}
    if _ESTIMATORS.get(name) is type(value):
        fitted = {k: v for k, v in vars(value).items() if k.endswith("_") and k[0] != "_"}
        return {
            "__estimator__": name,
            "params": to_json(value.get_params(deep=False)),
            "fitted": to_json(fitted),
        }
    raise TypeError(f"a model bundle cannot store a {name}")


def from_json(value: Any) -> Any:
    """The inverse of :func:`to_json`: builds only allow-listed classes, from plain fields."""
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        dtype = np.dtype(value["dtype"])
        if dtype.kind not in _ARRAY_KINDS or dtype.itemsize > _MAX_ITEM_BYTES:
            raise LeadscoreError(f"a model bundle holds an array of unexpected type {dtype}.")
        return np.array(from_json(value["__ndarray__"]), dtype=dtype).reshape(value["shape"])
    if "__tuple__" in value:
        return tuple(from_json(v) for v in value["__tuple__"])
    if "__set__" in value:
        return frozenset(from_json(v) for v in value["__set__"])
    if "__pairs__" in value:
        return {_hashable(from_json(k)): from_json(v) for k, v in value["__pairs__"]}
    if "__dataclass__" in value:
        cls = _known(_DATACLASSES, value["__dataclass__"])
        return cls(**from_json(value["fields"]))
    if "__estimator__" in value:
        cls = _known(_ESTIMATORS, value["__estimator__"])
        estimator = cls(**from_json(value["params"]))
        for name, fitted in from_json(value["fitted"]).items():
            if not (name.endswith("_") and name[0] != "_"):
                raise LeadscoreError(f"a model bundle sets an unexpected attribute {name!r}.")
            setattr(estimator, name, fitted)
        return estimator
    return {k: from_json(v) for k, v in value.items()}


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def _known(classes: dict[str, type], name: str) -> type:
    if name not in classes:
        raise LeadscoreError(f"a model bundle names an unknown class {str(name)[:40]!r}.")
    return classes[name]


def _model_state(model: LightGBMModel) -> dict[str, Any]:
    return {
        "params": model.get_params(),
        "features": model.features_,
        "categories": model.categories_,
        "classes": model.classes_,
        "best_iteration": model.best_iteration_,
        "valid_log_loss": getattr(model, "valid_log_loss_", None),
        "feature_names_in": getattr(model, "feature_names_in_", None),
        "calibrator": model.calibrator_,
    }


def _restore_model(state: dict[str, Any], trees: str) -> LightGBMModel:
    model = LightGBMModel(**state["params"])
    model.features_ = list(state["features"])
    model.categories_ = {k: list(v) for k, v in state["categories"].items()}
    model.classes_ = state["classes"]
    model.best_iteration_ = int(state["best_iteration"])
    if state["valid_log_loss"] is not None:
        model.valid_log_loss_ = state["valid_log_loss"]
    if state["feature_names_in"] is not None:
        model.feature_names_in_ = state["feature_names_in"]
        model.n_features_in_ = len(state["feature_names_in"])
    model.calibrator_ = state["calibrator"]
    model.booster_ = lgb.Booster(model_str=trees)
    return model


def _trees(model: LightGBMModel) -> str:
    booster = getattr(model.booster_, "booster_", model.booster_)  # older models kept the wrapper
    return booster.model_to_string(num_iteration=model.best_iteration_)


def _file_name_only(record: Settings | PointsSheet | None) -> Settings | PointsSheet | None:
    """``record`` with its source path cut to the file name (a home folder can name a person)."""
    if record is None:
        return None
    return dataclasses.replace(record, source=Path(record.source).name)


def _leadscore_version() -> str:
    try:
        return package_version("leadscore")
    except PackageNotFoundError:  # run from a source checkout that was never installed
        return "unknown"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_bundle(folder: str | Path, loaded: LoadedModel) -> Path:
    """Write ``loaded`` as a bundle into ``folder`` (created if needed); the manifest last.

    Only the three bundle files are written; anything else in ``folder`` is left alone. Files
    are written in place: write into a new folder and move it (as ``leadscore export`` does)
    when a reader might look at the folder meanwhile.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "leadscore_version": _leadscore_version(),
        "lightgbm_version": lgb.__version__,
        "model_name": loaded.name,
        "model_version": loaded.version,
        "run_id": loaded.run_id,
        "horizon_days": loaded.horizon_days,
        "mode": "events" if loaded.typer is None else "flat_table",
        "model": to_json(_model_state(loaded.model)),
        "typer": to_json(loaded.typer),
        "drift_reference": to_json(loaded.reference),
        "settings": to_json(_file_name_only(loaded.settings)),
        "points_sheet": to_json(_file_name_only(loaded.sheet)),
    }
    contents = {
        MODEL_FILE: _trees(loaded.model).encode("utf-8"),
        METADATA_FILE: json.dumps(metadata, indent=1, ensure_ascii=False).encode("utf-8"),
    }
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "files": {name: _sha256(data) for name, data in contents.items()},
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return folder


def is_bundle(folder: str | Path) -> bool:
    """Whether ``folder`` holds a leadscore bundle manifest (its hashes not yet checked)."""
    try:
        return _manifest(Path(folder)) is not None
    except LeadscoreError:
        return False


def _manifest(folder: Path) -> dict[str, str] | None:
    """The manifest's file hashes; None without a manifest; an error for a foreign one."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        return None
    problem = f"{path} is not a leadscore model manifest"
    if path.stat().st_size > _MAX_MANIFEST_BYTES:
        raise LeadscoreError(f"{problem} (it is {path.stat().st_size:,} bytes). {_EXPORT_ADVICE}")
    try:
        manifest = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        raise LeadscoreError(f"{problem} (not valid JSON). {_EXPORT_ADVICE}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LeadscoreError(f"{problem}. {_EXPORT_ADVICE}")
    files = manifest.get("files")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise LeadscoreError(
            f"{path}: bundle format {str(manifest.get('format_version'))[:20]!r}; this leadscore "
            f"reads format {FORMAT_VERSION}. Export the model again with this version."
        )
    if not isinstance(files, dict) or set(files) != {MODEL_FILE, METADATA_FILE}:
        raise LeadscoreError(f"{problem} (it must list {MODEL_FILE} and {METADATA_FILE}).")
    return files


def _not_a_bundle(folder: Path) -> LeadscoreError:
    """Why ``folder`` is no bundle, naming what it holds instead."""
    if folder.is_file():
        return LeadscoreError(f"{folder} is a file; a model is a folder. {_EXPORT_ADVICE}")
    if not folder.is_dir():
        return LeadscoreError(f"{folder}: no such model folder. {_EXPORT_ADVICE}")
    found = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    pickles = [name for name in found if name.endswith(_PICKLE_SUFFIXES)]
    what = f"no {MANIFEST_FILE}"
    if any(name.endswith("MLmodel") for name in found):
        what += "; it is an MLflow model folder, whose python model is a pickle"
    if pickles:
        what += f"; it holds pickle file(s) {', '.join(pickles[:3])}"
    if pickles or "MLmodel" in what:
        what += " (leadscore never unpickles a model: that would run code from the file)"
    elif not found:
        what += "; the folder is empty"
    return LeadscoreError(
        f"{folder} is not a model exported by leadscore ({what}). {_EXPORT_ADVICE}"
    )


def verify_bundle(folder: str | Path) -> dict[str, bytes]:
    """The bundle's files, after checking each against the manifest's SHA-256.

    Raises
    ------
    LeadscoreError
        Without a manifest (naming pickle or MLflow files found instead), or when a file is
        missing or changed since it was written.
    """
    folder = Path(folder)
    files = _manifest(folder) if folder.is_dir() else None
    if files is None:
        raise _not_a_bundle(folder)
    contents = {}
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            raise LeadscoreError(f"{folder}: {name}, listed in its manifest, is missing.")
        data = path.read_bytes()
        if _sha256(data) != expected:
            raise LeadscoreError(
                f"{path} does not match the SHA-256 in {MANIFEST_FILE}: it changed after "
                f"the export, so it is not loaded. {_EXPORT_ADVICE}"
            )
        contents[name] = data
    return contents


def read_bundle(folder: str | Path, source: str | None = None) -> LoadedModel:
    """Load a bundle after :func:`verify_bundle`; nothing is parsed before the hashes match."""
    contents = verify_bundle(folder)
    try:
        metadata = json.loads(contents[METADATA_FILE])
        trees = contents[MODEL_FILE].decode("utf-8")
        model = _restore_model(from_json(metadata["model"]), trees)
        return LoadedModel(
            model=model,
            typer=from_json(metadata["typer"]),
            version=str(metadata["model_version"]),
            source=source or str(folder),
            run_id=metadata["run_id"],
            reference=from_json(metadata["drift_reference"]),
            settings=from_json(metadata["settings"]),
            sheet=from_json(metadata["points_sheet"]),
            horizon_days=metadata["horizon_days"],
            name=metadata["model_name"],
        )
    except (KeyError, TypeError, ValueError, RecursionError, lgb.basic.LightGBMError) as exc:
        raise LeadscoreError(
            f"{folder}: the bundle's files match their manifest but cannot be read "
            f"({type(exc).__name__}); it was written by another leadscore version? "
            f"{_EXPORT_ADVICE}"
        ) from None
