"""Bundles: manifest, checksums verified before unpickling, typed errors."""
import json

import pytest
from sklearn.linear_model import LogisticRegression

from curnlp import bundle
from curnlp.errors import CorruptModel, IncompatibleModel, ModelNotFound


@pytest.fixture()
def saved(tmp_path):
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], ["яма", "яма", "свет", "свет"])
    path = bundle.write_bundle(tmp_path / "b", {"classifier": model},
                               {"labels": {"topic": ["свет", "яма"]}, "training": {"rows": 4}})
    return path


def test_round_trip_and_manifest(saved):
    loaded = bundle.read_bundle(saved)
    assert list(loaded.objects["classifier"].predict([[0.2], [2.9]])) == ["яма", "свет"]
    manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["labels"] == {"topic": ["свет", "яма"]}
    assert manifest["versions"]["scikit-learn"] == bundle.versions()["scikit-learn"]
    assert manifest["files"]["classifier.joblib"]["sha256"] == bundle.file_sha256(saved / "classifier.joblib")
    assert loaded.id == manifest["bundle_id"] and len(loaded.id) == 16


def test_rewriting_a_bundle_replaces_it(saved):
    bundle.write_bundle(saved, {"other": [1, 2, 3]}, {})
    assert sorted(p.name for p in saved.iterdir()) == ["manifest.json", "other.joblib"]
    assert bundle.read_bundle(saved).objects == {"other": [1, 2, 3]}


def test_missing_directory_or_manifest(tmp_path, saved):
    with pytest.raises(ModelNotFound, match="no model bundle"):
        bundle.read_bundle(tmp_path / "nowhere")
    (saved / "manifest.json").unlink()
    with pytest.raises(ModelNotFound, match="manifest.json is missing"):
        bundle.read_bundle(saved)


def test_tampered_file_is_refused_before_unpickling(saved):
    data = (saved / "classifier.joblib").read_bytes()
    (saved / "classifier.joblib").write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(CorruptModel, match="SHA-256"):
        bundle.read_bundle(saved)


def test_truncated_and_missing_files(saved):
    data = (saved / "classifier.joblib").read_bytes()
    (saved / "classifier.joblib").write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptModel, match="truncated"):
        bundle.read_bundle(saved)
    (saved / "classifier.joblib").unlink()
    with pytest.raises(CorruptModel, match="missing classifier.joblib"):
        bundle.read_bundle(saved)


def test_garbage_manifest(saved):
    (saved / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CorruptModel, match="unreadable"):
        bundle.read_bundle(saved)


def test_unpicklable_content_with_matching_checksum_is_corrupt(saved):
    (saved / "classifier.joblib").write_bytes(b"not a pickle at all")
    manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["classifier.joblib"] = {"sha256": bundle.file_sha256(saved / "classifier.joblib"), "bytes": 19}
    (saved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CorruptModel, match="cannot be loaded"):
        bundle.read_bundle(saved)


def test_other_sklearn_or_format_is_incompatible_naming_both_versions(saved):
    manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
    manifest["versions"]["scikit-learn"] = "0.24.2"
    (saved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IncompatibleModel) as info:
        bundle.read_bundle(saved)
    assert "0.24.2" in str(info.value) and bundle.versions()["scikit-learn"] in str(info.value)
    manifest["format_version"] = 99
    (saved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IncompatibleModel, match="format 99"):
        bundle.read_bundle(saved)


def test_manifest_may_not_point_outside_the_bundle(saved):
    manifest = json.loads((saved / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["../evil.joblib"] = {"sha256": "0", "bytes": 1}
    (saved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CorruptModel, match="outside the bundle"):
        bundle.read_bundle(saved)
