"""Row hashes of the training data, to tell when evaluated rows were seen in training.

:func:`train <curnlp.training.train>` stores :func:`encode_hashes` of the training texts in
the bundle manifest (``training.row_hashes``: 8-byte BLAKE2b digests of each text with
case and spacing folded, sorted, unique, base64: about 11 bytes a row);
:func:`evaluate <curnlp.training.evaluate>` measures the share of evaluated rows found
there and warns that such figures are not held-out.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Any, Iterable, Mapping

import numpy as np

__all__ = ["text_hashes", "encode_hashes", "decode_hashes", "training_overlap", "overlap_warning"]


def _key(text: str) -> str:
    return " ".join(str(text).casefold().split())


def _each(texts: Iterable[str]) -> np.ndarray:
    """The 64-bit BLAKE2b hash of each text (case and spacing folded), in order."""
    return np.asarray([int.from_bytes(hashlib.blake2b(_key(t).encode("utf-8"), digest_size=8).digest(), "little")
                       for t in texts], dtype=np.uint64)


def text_hashes(texts: Iterable[str]) -> np.ndarray:
    """Sorted unique 64-bit BLAKE2b hashes of ``texts`` (case and spacing folded)."""
    return np.unique(_each(texts))


def encode_hashes(hashes: np.ndarray) -> str:
    """``hashes`` as compact text for a JSON manifest (base64 of little-endian uint64)."""
    return base64.b64encode(np.asarray(hashes, dtype="<u8").tobytes()).decode("ascii")


def decode_hashes(text: str) -> np.ndarray:
    """The inverse of :func:`encode_hashes`."""
    return np.frombuffer(base64.b64decode(text), dtype="<u8").astype(np.uint64)


def training_overlap(manifest: Mapping[str, Any], texts: list[str], sha256: str | None = None) -> dict | None:
    """How many of ``texts`` were in the bundle's training data, or None when the manifest
    cannot tell (a bundle trained before row hashes were stored, and another data set).

    Returns ``{"rows": n, "share": n / len(texts), "how": "row hashes" | "same data"}``.
    """
    training = manifest.get("training") or {}
    stored = training.get("row_hashes")
    if stored:
        known = decode_hashes(stored)
        n = int(np.isin(_each(texts), known).sum())
        return {"rows": n, "share": n / len(texts) if texts else 0.0, "how": "row hashes"}
    if sha256 is not None and training.get("sha256") == sha256:
        return {"rows": len(texts), "share": 1.0, "how": "same data"}
    return None


def overlap_warning(overlap: Mapping[str, Any] | None) -> str | None:
    """The warning to print for an overlap, or None when there is none."""
    if not overlap or not overlap.get("rows"):
        return None
    return (f"{overlap['share']:.0%} of these rows ({overlap['rows']:,}) were in the training data: "
            "the figures are not held-out")
