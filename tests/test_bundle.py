"""Model bundles: exact round trips, hashes checked before parsing, nothing ever unpickled."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import NOW
from leadscore.errors import LeadscoreError
from leadscore.features.pipeline import build_training_table
from leadscore.features.settings import load_settings
from leadscore.modeling.bundle import (
    MANIFEST_FILE,
    METADATA_FILE,
    MODEL_FILE,
    LoadedModel,
    from_json,
    read_bundle,
    to_json,
    write_bundle,
)
from leadscore.modeling.compare import compare_flat, compare_models
from leadscore.modeling.explain import contributions
from leadscore.modeling.points import load_points_sheet
from leadscore.modeling.tracking import load_model


@pytest.fixture(scope="module")
def trained(data: Path):
    table = build_training_table(
        data, "monthly:2025-01-01:2025-12-01", 90, interim_dir=tempfile.mkdtemp(), now=NOW
    )
    return table.frame, compare_models(table.frame, 90)


@pytest.fixture(scope="module")
def bundle(trained, tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, comparison = trained
    loaded = LoadedModel(
        comparison.models["lightgbm"],
        None,
        "4",
        "test",
        run_id="abc123",
        reference=comparison.drift_reference,
        settings=load_settings(),
        sheet=load_points_sheet(),
        horizon_days=90,
    )
    return write_bundle(tmp_path_factory.mktemp("bundle") / "champion", loaded)


def test_a_bundle_scores_and_explains_bit_for_bit_like_the_trained_model(trained, bundle) -> None:
    frame, comparison = trained
    model = comparison.models["lightgbm"]
    loaded = read_bundle(bundle)
    assert np.array_equal(loaded.model.predict_proba(frame), model.predict_proba(frame))
    assert np.array_equal(contributions(loaded.model, frame), contributions(model, frame))
    assert loaded.reference.compare(frame).equals(comparison.drift_reference.compare(frame))
    assert (loaded.version, loaded.run_id, loaded.horizon_days) == ("4", "abc123", 90)
    # Equal but for the source path, cut to the file name: a home folder can name a person.
    assert loaded.settings == replace(load_settings(), source="settings.yaml")
    assert loaded.sheet == replace(load_points_sheet(), source="points.yaml")
    assert sorted(p.name for p in bundle.iterdir()) == sorted(
        [MANIFEST_FILE, METADATA_FILE, MODEL_FILE]
    )


def test_a_flat_table_bundle_types_columns_like_the_trained_typer(tmp_path: Path) -> None:
    from leadscore.flat_table import load_flat_table
    from leadscore.io import write_table
    from leadscore.synthetic.flat import messy_flat_table

    path = write_table(messy_flat_table(1500, 3), tmp_path / "export.csv", spreadsheet_safe=False)
    flat = load_flat_table(path, "Converted", id_col="Lead ID", time_col="Created Date")
    comparison = compare_flat(flat)
    model, reference = comparison.models["lightgbm"], comparison.drift_reference
    written = LoadedModel(model, comparison.typer, "1", "test", None, reference)
    loaded = read_bundle(write_bundle(tmp_path / "bundle", written))
    features = comparison.typer.transform(flat.frame)
    assert loaded.typer.transform(flat.frame).equals(features)
    assert loaded.typer.dropped_ == comparison.typer.dropped_
    assert np.array_equal(
        loaded.model.predict_proba(features), written.model.predict_proba(features)
    )
    assert loaded.settings is None and loaded.sheet is None
    watched = comparison.drift_reference.compare(features)
    assert loaded.reference.compare(features).equals(watched)


def test_floats_and_containers_round_trip_exactly() -> None:
    value = {
        "sum": 0.1 + 0.2,
        "tiny": 5e-324,
        "big": 1.7976931348623157e308,
        "negative_zero": -0.0,
        "edges": np.array([np.nextafter(1.0, 2.0), np.inf, np.nan]),
        "names": np.array(["a", "b"], dtype=object),
        "pair": (1, "x"),
        "set": frozenset({"b", "a"}),
        3: "int key",
    }
    restored = from_json(json.loads(json.dumps(to_json(value))))
    assert restored["sum"] == 0.1 + 0.2 and restored["tiny"] == 5e-324
    assert restored["big"] == value["big"] and str(restored["negative_zero"]) == "-0.0"
    assert np.array_equal(restored["edges"], value["edges"], equal_nan=True)
    assert restored["names"].dtype == object and restored["names"].tolist() == ["a", "b"]
    assert restored["pair"] == (1, "x") and restored["set"] == frozenset({"a", "b"})
    assert restored[3] == "int key"


def test_a_bundle_names_only_known_classes() -> None:
    with pytest.raises(LeadscoreError, match="unknown class 'Popen'"):
        from_json({"__dataclass__": "Popen", "fields": {"args": "rm -rf /"}})
    with pytest.raises(LeadscoreError, match="unexpected attribute '__class__'"):
        from_json({"__estimator__": "Binner", "params": {}, "fitted": {"__class__": 1}})
    with pytest.raises(TypeError, match="cannot store a object"):
        to_json(object())


def _copy(bundle: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    folder.mkdir()
    for path in bundle.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def test_a_changed_file_is_refused_before_it_is_parsed(bundle: Path, tmp_path: Path) -> None:
    folder = _copy(bundle, tmp_path)
    (folder / METADATA_FILE).write_text('{"model": "not even the right shape"}')
    with pytest.raises(LeadscoreError, match=r"bundle.json does not match the SHA-256"):
        read_bundle(folder)
    (folder / METADATA_FILE).write_bytes((bundle / METADATA_FILE).read_bytes())
    (folder / MODEL_FILE).unlink()
    with pytest.raises(LeadscoreError, match=r"lightgbm.txt, listed in its manifest, is missing"):
        read_bundle(folder)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("[1, 2]", "is not a leadscore model manifest"),
        ("{not json", r"not valid JSON"),
        (json.dumps({"format": "leadscore-model-bundle", "format_version": 99}), "format '99'"),
        (
            json.dumps(
                {
                    "format": "leadscore-model-bundle",
                    "format_version": 1,
                    "files": {"../../etc/passwd": "0" * 64},
                }
            ),
            "must list lightgbm.txt and bundle.json",
        ),
        (" " * 70_000, r"70,000 bytes"),
    ],
)
def test_a_foreign_manifest_is_refused(bundle, tmp_path: Path, manifest, message) -> None:
    folder = _copy(bundle, tmp_path)
    (folder / MANIFEST_FILE).write_text(manifest)
    with pytest.raises(LeadscoreError, match=message):
        read_bundle(folder)


class _Planted:
    """Unpickling this creates the marker file: what a malicious model folder would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("layout", ["pickle", "mlflow", "empty"])
def test_a_folder_that_is_no_export_is_refused_and_nothing_unpickled(
    tmp_path: Path, layout: str
) -> None:
    marker = tmp_path / "pwned"
    folder = tmp_path / "model"
    folder.mkdir()
    payload = pickle.dumps(_Planted(marker))
    if layout == "pickle":
        (folder / "python_model.pkl").write_bytes(payload)
        expected = r"python_model.pkl \(leadscore never unpickles"
    elif layout == "mlflow":  # the layout 'leadscore export' wrote before bundles
        (folder / "mlflow").mkdir()
        (folder / "mlflow" / "MLmodel").write_text("flavors:\n  python_function: {}\n")
        (folder / "mlflow" / "python_model.pkl").write_bytes(payload)
        expected = "it is an MLflow model folder"
    else:
        expected = "the folder is empty"
    for uri in (folder, folder / "mlflow"):
        with pytest.raises(LeadscoreError, match="leadscore export") as error:
            load_model(str(uri))
    with pytest.raises(LeadscoreError, match=expected):
        load_model(str(folder))
    assert "no manifest.json" in str(error.value) or "no such model folder" in str(error.value)
    assert not marker.exists()


def _forge(bundle: Path, tmp_path: Path, name: str, data: bytes) -> Path:
    """A bundle whose file ``name`` was replaced and whose manifest was recomputed to match."""
    folder = _copy(bundle, tmp_path)
    (folder / name).write_bytes(data)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    return folder


def _replaced(key: str, value) -> object:
    return lambda metadata: json.dumps(metadata | {key: value}).encode()


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (_replaced("typer", {"__dataclass__": "system", "fields": {}}), "unknown class"),
        (
            _replaced("typer", {"__ndarray__": ["x"], "dtype": "S999999999", "shape": [1]}),
            "array of unexpected type",
        ),
        (lambda _: b'{"typer": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "cannot be read"),
        (lambda m: json.dumps({k: v for k, v in m.items() if k != "model"}).encode(), "cannot"),
    ],
    ids=["unknown class", "huge dtype", "deep nesting", "missing key"],
)
def test_a_forged_bundle_with_matching_hashes_gives_a_clear_error(
    bundle: Path, tmp_path: Path, forge, message
) -> None:
    metadata = json.loads((bundle / METADATA_FILE).read_text())
    with pytest.raises(LeadscoreError, match=message):
        read_bundle(_forge(bundle, tmp_path, METADATA_FILE, forge(metadata)))


def _resized(text: bytes) -> bytes:
    """``text`` with tree_sizes recomputed from its trees, as a careful forger would."""
    head, _, rest = text.partition(b"\n\nTree=")
    trees, marker, tail = (b"Tree=" + rest).partition(b"end of trees\n")
    blocks = re.split(rb"(?=Tree=\d+\n)", trees)[1:]
    sizes = b" ".join(b"%d" % len(block) for block in blocks)
    head = re.sub(rb"tree_sizes=[\d ]+", b"tree_sizes=" + sizes, head)
    return head + b"\n\n" + trees + marker + tail


def _in_first_tree(pattern: bytes, replacement: bytes):
    """An edit of the first match of ``pattern``, with tree_sizes kept consistent."""
    return lambda text: _resized(re.sub(pattern, replacement, text, count=1))


def _one_more_tree(text: bytes) -> bytes:
    """``text`` with a copy of its last tree added as the next one (tree_sizes unchanged)."""
    trees, marker, tail = text.partition(b"end of trees\n")
    last = trees[trees.rindex(b"\nTree=") + 1 :]
    number = int(re.match(rb"Tree=(\d+)", last)[1]) + 1
    return trees + re.sub(rb"^Tree=\d+", b"Tree=%d" % number, last) + marker + tail


def _sizes(edit):
    """An edit of the numbers in tree_sizes."""

    def forged(text: bytes) -> bytes:
        line = re.search(rb"tree_sizes=([\d ]+)", text)
        sizes = edit([int(size) for size in line[1].split()])
        return text.replace(line[0], b"tree_sizes=" + b" ".join(b"%d" % s for s in sizes), 1)

    return forged


@pytest.mark.parametrize(
    ("forge", "problem"),
    [
        (lambda t: t[:200], "no 'Tree=0' follows the header"),
        (lambda t: t[: len(t) // 2], "'end of trees' is not where tree_sizes says"),
        (lambda t: t[: t.index(b"end of trees")], "'end of trees' is not where tree_sizes says"),
        (lambda t: t[: t.index(b"parameters:")], "what follows 'end of trees'"),
        (lambda t: t[:-1], "what follows 'end of trees'"),
        (
            lambda t: t.replace(
                b"num_tree_per_iteration=1\n", b"num_tree_per_iteration=1000000000\n"
            ),
            "num_tree_per_iteration is '1000000000'; the model in bundle.json has 1",
        ),
        (lambda t: t.replace(b"num_class=1\n", b"num_class=2\n"), "num_class is '2'"),
        (
            lambda t: t.replace(b"max_feature_idx=", b"max_feature_idx=2000000000\nx="),
            "its header is not the lines LightGBM writes",
        ),
        (
            lambda t: t.replace(b"feature_names=", b"feature_names=renamed_", 1),
            "feature_names differ from the features in bundle.json",
        ),
        (_in_first_tree(rb"split_feature=\d+", b"split_feature=100000"), "on feature 100000"),
        (_in_first_tree(rb"left_child=-?\d+", b"left_child=99"), "child index 99 is out of"),
        (_in_first_tree(rb"right_child=-?\d+", b"right_child=-99"), "child index -99 is out"),
        (  # the root as its own child: LightGBM's prediction would loop forever
            lambda t: _in_first_tree(rb"left_child=-?\d+", b"left_child=0")(
                _in_first_tree(rb"right_child=-?\d+", b"right_child=0")(t)
            ),
            "child index 0 is out of range or points back up the tree",
        ),
        (_in_first_tree(rb"num_leaves=\d+", b"num_leaves=100000"), "100,000 leaves"),
        (_in_first_tree(rb"(leaf_value=[^\n]*) \S+\n", rb"\1\n"), "leaf_value has the wrong len"),
        (_in_first_tree(rb"leaf_value=\S+", b"leaf_value=nan"), "leaf_value is not finite"),
        (_in_first_tree(rb"is_linear=0", b"is_linear=1"), "num_cat or is_linear is out of range"),
        (_in_first_tree(rb"\nnum_cat=", b"\nnum_cat "), "Tree=0 does not have the lines"),
        (_one_more_tree, "'end of trees' is not where tree_sizes says"),
        (lambda t: _resized(_one_more_tree(t)), "allows at most"),
        (lambda t: t.replace(b"end of trees\n", b""), "'end of trees' is not where"),
        (_sizes(lambda s: [s[0] + 1, *s[1:]]), "'end of trees' is not where tree_sizes says"),
        (_sizes(lambda s: [s[0] + 1, s[1] - 1, *s[2:]]), "Tree=0 is not one whole tree"),
        (_sizes(lambda s: [sum(s)]), "trees where tree_sizes lists 1"),
        (lambda t: t.replace(b"\n", b"\r\n"), "carriage returns"),
    ],
    ids=[
        "cut in the header",
        "cut in half",
        "cut before the end marker",
        "cut in the trailer",
        "cut by one byte",
        "huge num_tree_per_iteration",
        "two classes",
        "huge max_feature_idx",
        "renamed feature",
        "split feature out of range",
        "child out of range",
        "leaf out of range",
        "root as its own child",
        "too many leaves",
        "leaf value missing",
        "leaf value nan",
        "linear tree",
        "line without =",
        "one more tree",
        "one more tree, sizes recomputed",
        "no end marker",
        "tree size off by one",
        "tree sizes shifted",
        "tree sizes merged",
        "windows line ends",
    ],
)
def test_a_forged_lightgbm_file_is_refused_before_lightgbm_parses_it(
    bundle: Path, tmp_path: Path, forge, problem: str
) -> None:
    # Without the check, LightGBM aborts the process on a cut file, segfaults on a huge
    # num_tree_per_iteration and loops forever on a tree whose root is its own child.
    text = (bundle / MODEL_FILE).read_bytes()
    forged = forge(text)
    assert forged != text
    folder = _forge(bundle, tmp_path, MODEL_FILE, forged)
    with pytest.raises(LeadscoreError) as error:
        read_bundle(folder)
    message = str(error.value)
    assert message.startswith(
        f"{folder}: lightgbm.txt is not a complete LightGBM model written by leadscore: "
    )
    assert problem in message


def test_the_forgers_tools_keep_a_real_model_loadable(bundle: Path, tmp_path: Path) -> None:
    # The forged cases above differ from the real file only by their edit.
    text = (bundle / MODEL_FILE).read_bytes()
    assert _resized(text) == text and _sizes(lambda s: s)(text) == text
    read_bundle(_forge(bundle, tmp_path, MODEL_FILE, _resized(text)))


def test_an_oversized_file_is_refused_before_it_is_read(bundle: Path, tmp_path: Path) -> None:
    folder = _copy(bundle, tmp_path)
    with (folder / MODEL_FILE).open("r+b") as file:
        file.truncate(65 << 20)  # sparse: nothing is written
    with pytest.raises(LeadscoreError, match=r"lightgbm.txt is 68,157,440 bytes; no file"):
        read_bundle(folder)


def test_score_with_a_forged_model_exits_1_instead_of_crashing(
    bundle: Path, data: Path, tmp_path: Path
) -> None:
    text = (bundle / MODEL_FILE).read_bytes()
    folder = _forge(bundle, tmp_path, MODEL_FILE, text[: len(text) // 2])  # aborted LightGBM
    out = tmp_path / "scores.csv"
    command = ["score", "--model", str(folder), "--data", str(data), "--out", str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "leadscore", *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "1000"},
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "lightgbm.txt is not a complete LightGBM model written by leadscore" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_a_capacity_threshold_round_trips_and_older_bundles_have_none(
    trained, bundle: Path, tmp_path: Path
) -> None:
    """A model trained with a sales capacity carries its threshold to scoring, exactly."""
    assert read_bundle(bundle).mql_threshold is None  # trained without one: the sheet decides
    with_capacity = replace(read_bundle(bundle), sales_capacity=40.0, mql_threshold=0.1234567891)
    loaded = read_bundle(write_bundle(tmp_path / "capacity", with_capacity))
    assert (loaded.sales_capacity, loaded.mql_threshold) == (40.0, 0.1234567891)
    metadata = json.loads((bundle / METADATA_FILE).read_text())
    older = {k: v for k, v in metadata.items() if k not in ("sales_capacity", "mql_threshold")}
    (tmp_path / "older").mkdir(), (tmp_path / "forged").mkdir()
    before = _forge(bundle, tmp_path / "older", METADATA_FILE, json.dumps(older).encode())
    assert read_bundle(before).mql_threshold is None
    text = _replaced("mql_threshold", "0.5")(metadata)
    forged = _forge(bundle, tmp_path / "forged", METADATA_FILE, text)
    with pytest.raises(LeadscoreError, match="cannot be read"):
        read_bundle(forged)
