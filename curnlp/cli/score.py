"""``curnlp score``: the parser still lives in :mod:`curnlp.batch` (to be moved here)."""
from __future__ import annotations


def register(subparsers):
    from ..batch import register as register_in_module
    return register_in_module(subparsers)
