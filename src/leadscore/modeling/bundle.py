"""A model bundle: everything scoring needs, in formats that load without running any code.

A bundle is a folder of three files:

- ``lightgbm.txt``: LightGBM's own text model (the trees, full precision);
- ``bundle.json``: the rest as plain JSON: the features and category vocabularies, the Platt
  calibration, the flat-table column types, the drift reference, the feature settings and points
  sheet the model was trained with, the horizon, the sales capacity and MQL threshold (a
  model trained with one), and the model's name, version and run id;
- ``manifest.json``: the SHA-256 of the two files above.

Pickle is never used: unpickling runs whatever code the file names, so a model folder someone
else wrote could take over the machine. Reading a bundle checks the manifest's hashes *before*
parsing anything, then rebuilds only the classes listed in :data:`_DATACLASSES` and
:data:`_ESTIMATORS` from their plain fields. Floats are written with ``repr`` (JSON's own
notation), so they round-trip exactly: a model read back scores bit for bit like the one written.

What the manifest proves, and what it does not: it detects a file changed, swapped or cut short
after the export, but it is no signature: whoever can write the folder can edit a file and
recompute its hash. So nothing in a bundle is trusted for being listed in its manifest. Before
LightGBM's C++ parser (which trusts its input: a forged file can crash the whole process) sees
``lightgbm.txt``, it is checked to be exactly what leadscore writes for the model described in
``bundle.json`` (header, number and size of the trees, every tree's arrays, its child indices
forming a tree, the end of the file); anything else is refused with an error. A forged
folder that passes these checks still loads, and scores as its author wants: keep model
folders where only you (or your release process) can write, and load none from strangers.

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
import re
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from itertools import pairwise
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression

from leadscore.errors import LeadscoreError, excerpt
from leadscore.features.settings import (
    SETTING_KEYS,
    IntentSignal,
    Settings,
    TitleRule,
    TitleRules,
    load_settings,
)
from leadscore.flat_table import TableTyper
from leadscore.modeling.binning import Binner
from leadscore.modeling.drift import DriftReference
from leadscore.modeling.points import PointsSheet, Rule, load_points_sheet
from leadscore.modeling.train import LightGBMModel


@dataclasses.dataclass
class LoadedModel:
    """A scoring model, where it came from and what it was trained with.

    ``settings`` and ``sheet`` are the feature settings and points sheet of the training run
    (None for a model from before bundles, or a flat-table model trained without a sheet).
    ``mql_threshold`` is the probability from which a lead is an MQL, set by the
    ``sales_capacity`` (leads a week) of the training run (None: the points sheet decides).
    """

    model: LightGBMModel
    typer: TableTyper | None
    version: str
    source: str
    run_id: str | None = None
    reference: DriftReference | None = None
    settings: Settings | None = None
    sheet: PointsSheet | None = None
    horizon_days: int | None = None
    name: str = "leadscore"
    sales_capacity: float | None = None
    mql_threshold: float | None = None


class TrainedWithOtherError(LeadscoreError):
    """Settings or a points sheet given for scoring that differ from the model's own."""


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


#: A model from before refits (trained on the training rows only) has no recency half-life.
_NOT_REFIT = "not refit"


def _model_state(model: LightGBMModel) -> dict[str, Any]:
    return {
        "params": model.get_params(),
        "features": model.features_,
        "categories": model.categories_,
        "classes": model.classes_,
        "best_iteration": model.best_iteration_,
        "valid_log_loss": getattr(model, "valid_log_loss_", None),
        "recency_half_life": getattr(model, "recency_half_life_", _NOT_REFIT),
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
    if state.get("recency_half_life", _NOT_REFIT) != _NOT_REFIT:  # refit on every labelled row
        model.recency_half_life_ = state["recency_half_life"]
    if state["feature_names_in"] is not None:
        model.feature_names_in_ = state["feature_names_in"]
        model.n_features_in_ = len(state["feature_names_in"])
    model.calibrator_ = state["calibrator"]
    model.booster_ = lgb.Booster(model_str=trees)
    return model


def _trees(model: LightGBMModel) -> str:
    booster = getattr(model.booster_, "booster_", model.booster_)  # older models kept the wrapper
    return booster.model_to_string(num_iteration=model.best_iteration_)


class _ForeignTreesError(Exception):
    """What makes a ``lightgbm.txt`` differ from the text models leadscore writes."""


#: No bundle file is larger: 1,000 trees of 31 leaves take about 4 MB.
_MAX_FILE_BYTES = 64 << 20
#: LightGBM's own ceiling for ``num_leaves``, and a depth no leadscore tree comes near (they
#: have at most 31 leaves): LightGBM's SHAP recurses once per level and allocates depth² cells.
_MAX_LEAVES, _MAX_DEPTH = 131_072, 256
_HEADER_KEYS = (
    b"version",
    b"num_class",
    b"num_tree_per_iteration",
    b"label_index",
    b"max_feature_idx",
    b"objective",
    b"feature_names",
    b"feature_infos",
    b"tree_sizes",
)
#: Lines with one value per split of a tree.
_SPLIT_LINES = (
    b"split_feature",
    b"split_gain",
    b"threshold",
    b"decision_type",
    b"left_child",
    b"right_child",
)
_LEAF_LINES = (b"leaf_value", b"leaf_weight", b"leaf_count")
_INTERNAL_LINES = (b"internal_value", b"internal_weight", b"internal_count")
_CATEGORICAL_LINES = (b"cat_boundaries", b"cat_threshold")
_END_LINES = (b"is_linear", b"shrinkage")
_TREE_START = (b"num_leaves", b"num_cat", *_SPLIT_LINES, *_LEAF_LINES, *_INTERNAL_LINES)
#: A tree's lines in LightGBM's order; the categorical ones only when it splits a category.
_TREE_LAYOUTS = (
    (*_TREE_START, *_END_LINES),
    (*_TREE_START, *_CATEGORICAL_LINES, *_END_LINES),
)
_FLOAT_LINES = frozenset(
    {
        b"split_gain",
        b"threshold",
        b"leaf_value",
        b"leaf_weight",
        b"internal_value",
        b"internal_weight",
        b"shrinkage",
    }
)
# Numbers as LightGBM writes them, one space apart. Python alone would also read "1_000" or
# " 7", which LightGBM's parser reads differently or runs past.
_INTEGERS = re.compile(rb"(?:-?\d{1,10}(?: -?\d{1,10})*)?")
_FLOAT = rb"-?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan)"
_FLOATS = re.compile(rb"(?:%s(?: %s)*)?" % (_FLOAT, _FLOAT))
_TRAILER = re.compile(
    rb"end of trees\n\nfeature_importances:\n(?:[^\n]+=\d+\n)*"
    rb"(?:\nparameters:\n(?:\[[a-z0-9_]+: [^\n]*\]\n)*\nend of parameters\n)?"
    rb"\npandas_categorical:(?:\[\]|null)\n"
)


def _check_trees(text: bytes, state: dict[str, Any]) -> None:
    """Check that ``text`` is a LightGBM text model as leadscore writes it for ``state``.

    LightGBM's C++ parser trusts its input: a cut-short file aborts the process, a huge
    ``num_tree_per_iteration`` crashes it, a child index pointing back up a tree makes
    prediction loop forever. So all LightGBM reads is checked first, against the model's state
    in bundle.json: the header, the number of trees (at most the best iteration), each tree's
    size in bytes, lines and lengths of its arrays, the split features, that the child indices
    form a tree of bounded depth, and what follows the trees. Vectorised over all trees: a
    model of 300 trees takes milliseconds.

    Raises
    ------
    _ForeignTreesError
        Naming the first difference found.
    """
    if b"\r" in text or b"\0" in text:
        raise _ForeignTreesError("it holds carriage returns or NUL bytes")
    header_end = text.find(b"\n\nTree=0\n")
    if header_end < 0:
        raise _ForeignTreesError("no 'Tree=0' follows the header (is the file cut short?)")
    features = [str(name).replace(" ", "_") for name in state["features"]]  # as LightGBM does
    sizes = _check_header(text[:header_end], features, state)
    lines, trees_end = _tree_lines(text, header_end + 2, sizes)
    _check_tree_numbers(lines, len(features), state["params"])
    if not _TRAILER.fullmatch(text, trees_end):
        raise _ForeignTreesError(
            "what follows 'end of trees' is not LightGBM's feature importances, parameters "
            "and pandas_categorical (is the file cut short?)"
        )
    if re.search(rb"^\[linear_tree: (?!0\]$)", text[trees_end:], re.MULTILINE):
        raise _ForeignTreesError("its parameters ask for linear trees")


def _key_values(lines: list[bytes]) -> tuple[tuple[bytes, ...], list[bytes]]:
    """The keys and values of ``key=value`` lines; a line without "=" gets no key."""
    parts = [line.partition(b"=") for line in lines]
    keys = tuple(key if equals else b"" for key, equals, _ in parts)
    return keys, [value for _, _, value in parts]


def _check_header(header: bytes, features: list[str], state: dict[str, Any]) -> np.ndarray:
    """Check the lines before the first tree; return the size in bytes of each tree."""
    first, *lines = header.split(b"\n")
    keys, values = _key_values(lines)
    if first != b"tree" or keys != _HEADER_KEYS:
        expected = b", ".join(_HEADER_KEYS).decode()
        raise _ForeignTreesError(f"its header is not the lines LightGBM writes: tree, {expected}")
    found = {key.decode(): value for key, value in zip(keys, values, strict=True)}
    for key, expected in {
        "num_class": "1",
        "num_tree_per_iteration": "1",
        "label_index": "0",
        "max_feature_idx": str(len(features) - 1),
    }.items():
        if found[key] != expected.encode():
            value = excerpt(found[key].decode("ascii", "replace"), 30)
            raise _ForeignTreesError(f"{key} is {value}; the model in bundle.json has {expected}")
    if not re.fullmatch(rb"v\d{1,3}", found["version"]):
        raise _ForeignTreesError("its version is no LightGBM model version")
    if not re.fullmatch(rb"binary sigmoid:\d+(?:\.\d+)?(?:e[-+]?\d+)?", found["objective"]):
        raise _ForeignTreesError("its objective is not LightGBM's binary one")
    if found["feature_names"].decode("utf-8", "replace").split(" ") != features:
        raise _ForeignTreesError("its feature_names differ from the features in bundle.json")
    if found["feature_infos"].count(b" ") != len(features) - 1:
        raise _ForeignTreesError(f"feature_infos does not describe {len(features)} features")
    if not re.fullmatch(rb"\d{1,9}(?: \d{1,9})*", found["tree_sizes"]):
        raise _ForeignTreesError("tree_sizes is not a list of sizes in bytes")
    sizes = np.array(found["tree_sizes"].split(), dtype=np.int64)
    most = min(int(state["best_iteration"]), int(state["params"]["n_estimators"]))
    if len(sizes) > most:
        raise _ForeignTreesError(
            f"tree_sizes lists {len(sizes):,} trees; the model's best iteration in bundle.json "
            f"allows at most {most:,}"
        )
    return sizes


def _tree_lines(text: bytes, start: int, sizes: np.ndarray) -> tuple[dict[bytes, list], int]:
    """Each tree line's value in every tree (``b""`` where absent), and where the trees end.

    The trees are cut where ``tree_sizes`` says, as LightGBM cuts them; each piece must be one
    whole tree.
    """
    bounds = start + np.concatenate([[0], np.cumsum(sizes)])
    end = int(bounds[-1])
    if end > len(text) or not text.startswith(b"end of trees\n", end):
        raise _ForeignTreesError(
            "'end of trees' is not where tree_sizes says the trees end (the file is cut short, "
            "or a tree was added, removed or changed)"
        )
    found = text.count(b"Tree=", start, end)
    if found != len(sizes):
        raise _ForeignTreesError(f"it holds {found:,} trees where tree_sizes lists {len(sizes):,}")
    lines: dict[bytes, list] = {key: [] for key in _TREE_LAYOUTS[1]}
    for number, (begin, stop) in enumerate(pairwise(bounds.tolist())):
        title, block = b"Tree=%d\n" % number, text[begin:stop]
        if not (block.startswith(title) and block.endswith(b"\n\n\n")):
            raise _ForeignTreesError(f"Tree={number} is not one whole tree of {stop - begin} bytes")
        keys, values = _key_values(block[len(title) : -3].split(b"\n"))
        if keys not in _TREE_LAYOUTS:
            raise _ForeignTreesError(f"Tree={number} does not have the lines of a LightGBM tree")
        found = dict(zip(keys, values, strict=True))
        for key, column in lines.items():
            column.append(found.get(key, b""))
    return lines, end


def _numbers(lines: dict[bytes, list], key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """One line's numbers of all trees, end to end, and how many of them each tree has."""
    values = lines[key]
    joined = b" ".join(value for value in values if value)
    pattern, dtype = (_FLOATS, np.float64) if key in _FLOAT_LINES else (_INTEGERS, np.int64)
    if not pattern.fullmatch(joined):
        raise _ForeignTreesError(f"a tree's {key.decode()} is not a list of numbers")
    counts = np.array([value.count(b" ") + 1 if value else 0 for value in values])
    return np.array(joined.split(), dtype=dtype), counts


def _first(wrong: np.ndarray, tree_of: np.ndarray | None = None) -> int:
    """The tree of the first true entry of ``wrong`` (``wrong`` is per tree without ``tree_of``)."""
    index = int(np.flatnonzero(wrong)[0])
    return index if tree_of is None else int(tree_of[index])


def _check_tree_numbers(lines: dict[bytes, list], n_features: int, params: dict) -> None:
    """Check every tree's numbers: how many, their ranges, and that the children form trees."""
    numbers = {key: _numbers(lines, key) for key in lines}
    for key in (b"num_leaves", b"num_cat", b"is_linear", b"shrinkage"):
        if (numbers[key][1] != 1).any():
            raise _ForeignTreesError(f"Tree={_first(numbers[key][1] != 1)}: no {key.decode()}")
    leaves, num_cat = numbers[b"num_leaves"][0], numbers[b"num_cat"][0]
    most = min(int(params["num_leaves"]), _MAX_LEAVES)
    if ((leaves < 1) | (leaves > most)).any():
        number = _first((leaves < 1) | (leaves > most))
        raise _ForeignTreesError(
            f"Tree={number} has {leaves[number]:,} leaves; the model's num_leaves is {most:,}"
        )
    splits = leaves - 1
    if ((num_cat < 0) | (num_cat > splits) | (numbers[b"is_linear"][0] != 0)).any():
        raise _ForeignTreesError("a tree's num_cat or is_linear is out of range")
    bounds, n_bounds = numbers[b"cat_boundaries"]
    last_bound = np.zeros_like(leaves)
    last_bound[n_bounds > 0] = bounds[np.cumsum(n_bounds)[n_bounds > 0] - 1]
    lengths = dict.fromkeys(_SPLIT_LINES + _INTERNAL_LINES, splits) | {
        b"leaf_value": leaves,
        b"cat_boundaries": np.where(num_cat > 0, num_cat + 1, 0),
        b"cat_threshold": last_bound,
    }
    for key in (b"leaf_weight", b"leaf_count"):  # LightGBM writes neither for a one-leaf tree
        lengths[key] = np.where((leaves == 1) & (numbers[key][1] == 0), 0, leaves)
    for key, length in lengths.items():
        if (numbers[key][1] != length).any():
            number = _first(numbers[key][1] != length)
            raise _ForeignTreesError(f"Tree={number}: {key.decode()} has the wrong length")
    for key in _FLOAT_LINES - {b"threshold"}:
        if not np.isfinite(numbers[key][0]).all():
            raise _ForeignTreesError(f"a tree's {key.decode()} is not finite")
    if np.isnan(numbers[b"threshold"][0]).any():
        raise _ForeignTreesError("a tree's threshold is not a number")
    for key in (b"leaf_count", b"internal_count", b"cat_threshold"):
        if ((numbers[key][0] < 0) | (numbers[key][0] >= 1 << 31)).any():
            raise _ForeignTreesError(f"a tree's {key.decode()} is out of range")
    tree_of = np.repeat(np.arange(len(leaves)), splits)
    _check_splits(numbers, tree_of, n_features, num_cat)
    _check_children(numbers, tree_of, leaves, params)


def _check_splits(
    numbers: dict[bytes, tuple], tree_of: np.ndarray, n_features: int, num_cat: np.ndarray
) -> None:
    """Check each split's feature, decision type and, for a category split, its bitset."""
    feature, decision = numbers[b"split_feature"][0], numbers[b"decision_type"][0]
    wrong = (feature < 0) | (feature >= n_features)
    if wrong.any():
        raise _ForeignTreesError(
            f"Tree={_first(wrong, tree_of)} splits on feature {feature[wrong][0]}; "
            f"the model has {n_features}"
        )
    # Bit 0: category split; bit 1: missing goes left; bits 2-3: missing type 0, 1 or 2.
    wrong = (decision < 0) | (decision > 15) | (((decision >> 2) & 3) == 3)
    if wrong.any():
        raise _ForeignTreesError(f"Tree={_first(wrong, tree_of)}: unknown decision_type")
    # A category split's threshold numbers its bitset in cat_boundaries, one per such split.
    is_category = (decision & 1) == 1
    cat_trees = tree_of[is_category]
    wrong = np.bincount(cat_trees, minlength=len(num_cat)) != num_cat
    if wrong.any():
        raise _ForeignTreesError(f"Tree={_first(wrong)}: num_cat is not its category splits")
    index = numbers[b"threshold"][0][is_category]
    wrong = (index != np.floor(index)) | (index < 0) | (index >= num_cat[cat_trees])
    if wrong.any():
        raise _ForeignTreesError(
            f"Tree={_first(wrong, cat_trees)}: a category split's bitset is out of range"
        )
    bounds, n_bounds = numbers[b"cat_boundaries"]
    bound_trees = np.repeat(np.arange(len(num_cat)), n_bounds)
    starts = np.cumsum(n_bounds)[n_bounds > 0] - n_bounds[n_bounds > 0]
    falls = (np.diff(bounds) < 0) & (bound_trees[1:] == bound_trees[:-1])
    if (bounds[starts] != 0).any() or falls.any():
        raise _ForeignTreesError("a tree's cat_boundaries do not rise from 0")


def _check_children(
    numbers: dict[bytes, tuple], tree_of: np.ndarray, leaves: np.ndarray, params: dict
) -> None:
    """Check that each tree's child indices form one tree rooted at split 0, of bounded depth.

    LightGBM numbers a tree's splits in the order it makes them, so a split's parent always has
    a lower number; children are splits (>= 0) or leaves (~leaf). Requiring a higher number for
    every child split and each split and leaf to be a child once rules out loops.
    """
    splits = leaves - 1
    first_split = np.cumsum(splits) - splits
    first_leaf = np.cumsum(leaves) - leaves
    node = np.arange(len(tree_of)) - first_split[tree_of]  # each split's number in its tree
    children = np.concatenate([numbers[b"left_child"][0], numbers[b"right_child"][0]])
    owner, parent_node = np.tile(tree_of, 2), np.tile(node, 2)
    is_split = children >= 0
    wrong = np.where(
        is_split,
        (children <= parent_node) | (children >= splits[owner]),
        children < -leaves[owner],
    )
    if wrong.any():
        number = _first(wrong, owner)
        raise _ForeignTreesError(
            f"Tree={number}: child index {children[wrong][0]} is out of range or points back "
            "up the tree"
        )
    # Every split but the root and every leaf of the whole model, numbered across all trees.
    total = len(tree_of)
    ids = np.where(is_split, first_split[owner] + children, total + first_leaf[owner] + ~children)
    twice = np.bincount(ids, minlength=total + int(leaves.sum())) > 1
    if twice.any():
        raise _ForeignTreesError("a node of a tree is the child of two splits")
    # Depth by pointer jumping: ``hops`` is the distance from each split to ``ancestor``.
    ancestor = np.arange(total)
    ancestor[ids[is_split]] = np.tile(np.arange(total), 2)[is_split]
    hops = (ancestor != np.arange(total)).astype(np.int64)
    while (ancestor[ancestor] != ancestor).any():
        hops, ancestor = hops + hops[ancestor], ancestor[ancestor]
    depth = int(hops.max()) + 1 if total else 0
    max_depth = int(params["max_depth"])
    most = min(max_depth, _MAX_DEPTH) if max_depth > 0 else _MAX_DEPTH
    if depth > most:
        raise _ForeignTreesError(f"a tree is {depth} levels deep; the model allows {most}")


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
        "sales_capacity": loaded.sales_capacity,
        "mql_threshold": loaded.mql_threshold,
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
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise LeadscoreError(
                f"{path} is {path.stat().st_size:,} bytes; no file leadscore exports is over "
                f"{_MAX_FILE_BYTES:,}, so it is not loaded. {_EXPORT_ADVICE}"
            )
        data = path.read_bytes()
        if _sha256(data) != expected:
            raise LeadscoreError(
                f"{path} does not match the SHA-256 in {MANIFEST_FILE}: it changed after "
                f"the export, so it is not loaded. {_EXPORT_ADVICE}"
            )
        contents[name] = data
    return contents


def read_bundle(folder: str | Path, source: str | None = None) -> LoadedModel:
    """Load a bundle after :func:`verify_bundle`; nothing is parsed before the hashes match.

    LightGBM only sees ``lightgbm.txt`` once it has been checked to be a model exactly as
    leadscore writes it for the state in ``bundle.json`` (see the module's notes).

    Raises
    ------
    LeadscoreError
        When :func:`verify_bundle` refuses the folder, or a file is not what leadscore writes.
    """
    contents = verify_bundle(folder)
    try:
        metadata = json.loads(contents[METADATA_FILE])
        state = from_json(metadata["model"])
        _check_trees(contents[MODEL_FILE], state)
        model = _restore_model(state, contents[MODEL_FILE].decode("utf-8"))
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
            # Bundles written before capacity thresholds have neither: the sheet decides.
            sales_capacity=_number_or_none(metadata.get("sales_capacity")),
            mql_threshold=_number_or_none(metadata.get("mql_threshold")),
        )
    except _ForeignTreesError as problem:
        raise LeadscoreError(
            f"{folder}: {MODEL_FILE} is not a complete LightGBM model written by leadscore: "
            f"{problem}. It is not loaded. {_EXPORT_ADVICE}"
        ) from None
    except (KeyError, TypeError, ValueError, RecursionError, lgb.basic.LightGBMError) as exc:
        raise LeadscoreError(
            f"{folder}: the bundle's files match their manifest but cannot be read "
            f"({type(exc).__name__}); it was written by another leadscore version? "
            f"{_EXPORT_ADVICE}"
        ) from None


def _number_or_none(value: Any) -> float | None:
    """A bundle's number, or None; anything else is no bundle leadscore wrote."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a threshold is not a number")
    return float(value)


def model_settings(loaded: LoadedModel, given: str | Path | None = None) -> Settings:
    """The feature settings to score with: the model's own; ``given`` only if it agrees.

    Raises
    ------
    TrainedWithOtherError
        When ``given`` differs from the settings the model was trained with, naming the keys.
    """
    chosen = load_settings(given) if given is not None else None
    if loaded.settings is None:
        return chosen if chosen is not None else load_settings()
    if chosen is not None:
        _same_as_trained(loaded.settings, chosen, "feature settings")
    return loaded.settings


def model_sheet(loaded: LoadedModel, given: str | Path | None = None) -> PointsSheet | None:
    """The points sheet to score with: the model's own; ``given`` only if it agrees.

    A model without a sheet (from before bundles, or a flat-table model trained without one)
    uses ``given``, or for event data the shipped sheet.
    """
    # read for the windows the model's features have (flat tables: the shipped ones)
    windows = loaded.settings.windows_days if loaded.settings is not None else None
    chosen = load_points_sheet(given, windows) if given is not None else None
    if loaded.sheet is None:
        if chosen is None and loaded.typer is None:
            return load_points_sheet(None, windows)
        return chosen
    if chosen is not None:
        _same_as_trained(loaded.sheet, chosen, "points sheet")
    return loaded.sheet


def _same_as_trained(trained, given, what: str) -> None:
    """Refuse ``given`` when it differs from ``trained`` (their source files aside)."""
    differing = _differences(trained, given)
    if differing:
        raise TrainedWithOtherError(
            f"it differs from the {what} the model was trained with in {', '.join(differing)}; "
            f"leave it out to score with the model's own {what}, or retrain with it."
        )


def _differences(trained: Settings | PointsSheet, given: Settings | PointsSheet) -> list[str]:
    """Settings keys (as in the file) or points rules and keys that differ.

    >>> from leadscore.modeling.points import with_points
    >>> sheet = load_points_sheet()
    >>> _differences(sheet, with_points(sheet, {"pricing_page": 25}))
    ['rule pricing_page']
    """
    out = []
    for field in dataclasses.fields(trained):
        ours, theirs = getattr(trained, field.name), getattr(given, field.name)
        if field.name == "source" or ours == theirs:
            continue
        if field.name == "rules":
            ours, theirs = {r.name: r for r in ours}, {r.name: r for r in theirs}
            changed = [n for n in {**ours, **theirs} if ours.get(n) != theirs.get(n)]
            out += [f"rule {name}" for name in changed]
        else:
            out.append(SETTING_KEYS.get(field.name, field.name))
    return out
