"""``curnlp report``: the parser still lives in :mod:`curnlp.analytics.report` (to be moved here)."""
from __future__ import annotations


def register(subparsers):
    from ..analytics.report import register as register_in_module
    return register_in_module(subparsers)
