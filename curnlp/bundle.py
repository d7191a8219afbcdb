"""Model bundles: a directory of joblib files plus ``manifest.json``.

The manifest states the versions that wrote the bundle, the label sets, the training
data (SHA-256, row count), cross-validation metrics, the creation time and the SHA-256
of every file. :func:`read_bundle` verifies every checksum *before* anything is
unpickled, because unpickling runs code: load bundles only from a trusted source.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import joblib

from . import __version__
from .errors import CorruptModel, IncompatibleModel, ModelNotFound

__all__ = ["FORMAT_VERSION", "Bundle", "write_bundle", "add_objects", "read_bundle", "read_manifest", "file_sha256", "versions"]

log = logging.getLogger("curnlp")

#: Version of the bundle layout; a reader refuses any other.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: bundle files holding numpy arrays and curnlp classes only (no scikit-learn objects):
#: loading them needs no scikit-learn and does not depend on its version
SKLEARN_FREE = frozenset({"predictor.joblib"})
#: bundle files written uncompressed and loaded memory-mapped: their arrays are read from
#: the page cache on demand and shared by every process that loads the bundle (git
#: compresses them in its own storage anyway)
MEMORY_MAPPED = frozenset({"predictor.joblib"})
_PACKAGES = ("scikit-learn", "numpy", "scipy", "joblib", "natasha", "pymorphy3", "pymorphy3-dicts-ru")


@dataclass(frozen=True)
class Bundle:
    """What :func:`read_bundle` returns: the unpickled objects by name and the manifest."""

    path: Path
    objects: Mapping[str, Any]
    manifest: Mapping[str, Any]

    @property
    def id(self) -> str:
        return self.manifest["bundle_id"]


def _installed(name: str) -> str:
    from importlib import metadata  # imported when first asked: routing with the predictor never asks
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """Installed versions of curnlp and the packages a bundle depends on."""
    return {"curnlp": __version__, **{name: _installed(name) for name in _PACKAGES}}


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _bundle_id(files: Mapping[str, Mapping[str, Any]]) -> str:
    """A bundle's id: a hash of its files' checksums (the same files give the same id)."""
    return hashlib.sha256("".join(sorted(f["sha256"] for f in files.values())).encode()).hexdigest()[:16]


def write_bundle(directory: str | os.PathLike[str], objects: Mapping[str, Any],
                 manifest: Mapping[str, Any], *, compress: int = 3) -> Path:
    """Write ``objects`` (name -> picklable object) as ``name.joblib`` files and a manifest.

    ``manifest`` holds the caller's facts (labels, training data, metrics, settings);
    versions, creation time, file checksums and the bundle id are added here. Files are
    written to a staging directory first and then moved in, the manifest last.
    """
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".bundle-", dir=target.parent))
    files = {}
    for name, obj in objects.items():
        filename = f"{name}.joblib"
        joblib.dump(obj, staging / filename, compress=0 if filename in MEMORY_MAPPED else compress)
        files[filename] = {"sha256": file_sha256(staging / filename), "bytes": (staging / filename).stat().st_size}
    full = {
        "format_version": FORMAT_VERSION,
        "bundle_id": _bundle_id(files),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
        **manifest,
        "files": files,
    }
    (staging / MANIFEST).write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    # replace in place: old manifest first, manifest last, so a crash never leaves a
    # manifest that names files from two different bundles
    target.mkdir(parents=True, exist_ok=True)
    (target / MANIFEST).unlink(missing_ok=True)
    for old in target.glob("*.joblib"):
        old.unlink()
    for item in sorted(staging.iterdir(), key=lambda p: p.name == MANIFEST):
        item.replace(target / item.name)
    staging.rmdir()
    return target


def add_objects(directory: str | os.PathLike[str], objects: Mapping[str, Any], *, compress: int = 3) -> Path:
    """Add (or replace) objects in an existing bundle, leaving its other files untouched
    (e.g. the compiled predictor, :func:`curnlp.predictor.compile_bundle`). The manifest
    gets their checksums and a new ``bundle_id``; the rest of it is kept."""
    path = Path(directory)
    manifest = verify(path)
    staged = {}
    for name, obj in objects.items():
        filename = f"{name}.joblib"
        tmp = path / f".{filename}.tmp"
        joblib.dump(obj, tmp, compress=0 if filename in MEMORY_MAPPED else compress)
        staged[filename] = tmp
        manifest["files"][filename] = {"sha256": file_sha256(tmp), "bytes": tmp.stat().st_size}
    manifest["bundle_id"] = _bundle_id(manifest["files"])
    (path / MANIFEST).unlink()  # no manifest while files change: a reader sees no bundle, never a mixed one
    for filename, tmp in staged.items():
        tmp.replace(path / filename)
    tmp = path / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path / MANIFEST)
    return path


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed manifest of a bundle, with clear errors for a missing or broken one."""
    path = Path(directory)
    if not path.is_dir():
        raise ModelNotFound(f"no model bundle at {str(path)!r} (expected a directory with {MANIFEST})")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise ModelNotFound(f"{str(path)!r} is not a curnlp bundle: {MANIFEST} is missing")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptModel(f"{manifest_path} is unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise CorruptModel(f"{manifest_path} has no 'files' table")
    return manifest


def _check_compatible(manifest: Mapping[str, Any], where: Path, scikit_learn: bool = True) -> None:
    fmt = manifest.get("format_version")
    written_by = manifest.get("versions", {})
    if not isinstance(written_by, dict) or not all(isinstance(v, str) for v in written_by.values()):
        raise CorruptModel(f"{where / MANIFEST} has a malformed 'versions' table")
    if fmt != FORMAT_VERSION:
        raise IncompatibleModel(
            f"bundle {where} has format {fmt!r} (written by curnlp {written_by.get('curnlp', '?')}); "
            f"this curnlp {__version__} reads format {FORMAT_VERSION}: retrain it or install the matching curnlp")
    if not scikit_learn:
        return
    have = _installed("scikit-learn")  # one lookup, not all of versions(): it runs on every load of the estimator
    made = written_by.get("scikit-learn", "?")
    if made.split(".")[:2] != have.split(".")[:2]:
        raise IncompatibleModel(
            f"bundle {where} was written with scikit-learn {made}, this environment has scikit-learn {have}; "
            f"install scikit-learn {'.'.join(made.split('.')[:2])}.* or retrain the bundle")


def verify(directory: str | os.PathLike[str], manifest: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check presence, size and SHA-256 of every bundle file; return the manifest."""
    path = Path(directory)
    manifest = dict(manifest or read_manifest(path))
    for filename, facts in manifest["files"].items():
        file = path / filename
        if Path(filename).name != filename or filename in ("", ".", ".."):
            raise CorruptModel(f"{path / MANIFEST} names a file outside the bundle: {filename!r}")
        if not isinstance(facts, dict):
            raise CorruptModel(f"{path / MANIFEST}: the entry of {filename!r} is not a table of sha256 and bytes")
        if not file.is_file():
            raise CorruptModel(f"bundle {path} is missing {filename}")
        if file.stat().st_size != facts.get("bytes"):
            raise CorruptModel(f"{file} has {file.stat().st_size} bytes, the manifest says {facts.get('bytes')}: "
                               "truncated or replaced")
        if file_sha256(file) != facts.get("sha256"):
            raise CorruptModel(f"{file} does not match its SHA-256 in the manifest: modified or damaged")
    # the file list itself: a model file the manifest does not name means files and
    # manifest come from different bundles (or the list was edited)
    unlisted = sorted(p.name for p in path.glob("*.joblib") if p.name not in manifest["files"])
    if unlisted:
        raise CorruptModel(f"bundle {path} has files its manifest does not list: {', '.join(unlisted)}")
    return manifest


def read_bundle(directory: str | os.PathLike[str], names: Sequence[str] | None = None,
                manifest: Mapping[str, Any] | None = None) -> Bundle:
    """Verify a bundle (every file's checksum) and load its objects (only those in
    ``names``, e.g. ``("predictor",)``; default: all). ``manifest``: the bundle's manifest
    when the caller has already read it (:func:`read_manifest`).

    Raises
    ------
    ModelNotFound
        No directory or no manifest there.
    CorruptModel
        A file is missing, truncated, modified or cannot be unpickled.
    IncompatibleModel
        Written by another bundle format or another scikit-learn minor version.
    """
    path = Path(directory)
    manifest = dict(manifest) if manifest is not None else read_manifest(path)
    wanted = [f for f in manifest["files"] if names is None or Path(f).stem in names]
    _check_compatible(manifest, path, scikit_learn=any(f not in SKLEARN_FREE for f in wanted))
    verify(path, manifest)
    missing = sorted(set(names or ()) - {Path(f).stem for f in wanted})
    if missing:
        raise CorruptModel(f"bundle {path} has no {', '.join(n + '.joblib' for n in missing)} in its manifest")
    objects = {}
    for filename in wanted:
        try:
            objects[Path(filename).stem] = joblib.load(path / filename,
                                                       mmap_mode="r" if filename in MEMORY_MAPPED else None)
        except Exception as exc:  # any unpickling failure means a damaged bundle
            raise CorruptModel(f"{path / filename} cannot be loaded: {type(exc).__name__}: {exc}") from exc
    return Bundle(path, objects, manifest)
