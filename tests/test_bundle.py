"""Model bundles: exact round trips, hashes checked before parsing, nothing ever unpickled."""

from __future__ import annotations

import json
import pickle
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import NOW
from leadscore.errors import LeadscoreError
from leadscore.explain import contributions
from leadscore.features.pipeline import build_training_table
from leadscore.modeling.bundle import (
    MANIFEST_FILE,
    METADATA_FILE,
    MODEL_FILE,
    from_json,
    read_bundle,
    to_json,
    write_bundle,
)
from leadscore.modeling.compare import compare_flat, compare_models
from leadscore.modeling.points import load_points_sheet
from leadscore.modeling.predict import LoadedModel, load_model
from leadscore.settings import load_settings


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


def _forge(bundle: Path, tmp_path: Path, metadata: bytes) -> Path:
    """A bundle whose bundle.json was replaced and whose manifest was recomputed to match."""
    import hashlib

    folder = _copy(bundle, tmp_path)
    (folder / METADATA_FILE).write_bytes(metadata)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["files"][METADATA_FILE] = hashlib.sha256(metadata).hexdigest()
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
        read_bundle(_forge(bundle, tmp_path, forge(metadata)))
