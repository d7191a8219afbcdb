"""Checkpoints of ``curnlp score``: what lets an interrupted run resume without a lost or
duplicated row.

After every chunk the output is flushed and fsynced, then the sidecar
``OUTPUT.curnlp-progress.json`` (input identity, options, rows done, output byte offset or
parts written, counts) is replaced atomically: a kill at any moment leaves either the old
or the new checkpoint, never half of one.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import CorpusError

__all__ = ["CHECKPOINT_SUFFIX", "CHECKPOINT_VERSION", "input_identity", "write_json_atomic", "load_checkpoint",
           "check_resumable"]

CHECKPOINT_SUFFIX = ".curnlp-progress.json"
CHECKPOINT_VERSION = 3


def input_identity(path: str) -> dict:
    """What tells the input file apart from another one (or from itself after an edit)."""
    p = Path(path)
    stat = p.stat()
    with open(p, "rb") as fh:
        head = hashlib.sha256(fh.read(1 << 20)).hexdigest()
    return {"path": str(p.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "head_sha256": head}


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` through a fsynced temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def load_checkpoint(path: Path) -> dict:
    """The checkpoint at ``path``; a :class:`CorpusError` saying what to do when it is unusable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CorpusError(f"cannot read the checkpoint {path}: {exc}; remove it and the output to start again") from exc
    if data.get("version") != CHECKPOINT_VERSION:
        raise CorpusError(f"{path} was written by another curnlp version; remove it and the output to start again")
    return data


def check_resumable(saved: dict, identity: dict | None, options: dict, source: str, target: str,
                    checkpoint_path: Path) -> None:
    """Refuse to resume on another input, with other options or another model, or onto an
    output that lost bytes since the checkpoint."""
    if saved.get("input") != identity:
        raise CorpusError(f"cannot resume: {source} is not the file the checkpoint was made for "
                          f"(size, modification time or first bytes differ); remove {target} and "
                          f"{checkpoint_path.name} to start again")
    changed = {k: (saved["options"].get(k), v) for k, v in options.items() if saved["options"].get(k) != v}
    if changed:
        raise CorpusError(f"cannot resume with other options or another model: {changed} "
                          "(checkpoint value, now); use the same ones or start again")
    if options.get("output_format") in ("csv", "jsonl"):
        state = saved.get("state", {})
        have = Path(target).stat().st_size if Path(target).exists() else 0
        if have < int(state.get("output_offset", 0)):
            raise CorpusError(f"cannot resume: {target} has {have} bytes, fewer than the checkpoint's "
                              f"{state.get('output_offset')}; it was changed since; start again")
