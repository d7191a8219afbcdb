"""Batch scoring of archives (``curnlp score``) and the worker pool behind
``Router.route_many(n_jobs=N)``.

Modules: :mod:`~curnlp.batch.scoring` (the streaming loop, :func:`score_file`),
:mod:`~curnlp.batch.values` (routing one chunk's cells, :func:`score_values`, the output
columns), :mod:`~curnlp.batch.checkpoints` (resume, atomic writes),
:mod:`~curnlp.batch.summary` (what a run says at the end, exit status),
:mod:`~curnlp.batch.workers` (the process pool). Names are loaded on first use, so
``import curnlp.batch.workers`` (what the router does for ``n_jobs > 1``) does not import
pandas through the scoring modules.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from ..corpus import TEXT_COLUMNS
    from ..io import FORMATS, PARTS_SUFFIX, open_table
    from .checkpoints import CHECKPOINT_SUFFIX
    from .scoring import OptionMismatch, score_file
    from .summary import EXIT_CODES, Summary, exit_status
    from .values import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_CHARS, OUTPUT_COLUMNS, score_values
    from .workers import route_in_processes

#: public name -> module that defines it
_WHERE = {
    "score_file": ".scoring", "DEFAULT_CHUNK_SIZE": ".values", "OptionMismatch": ".scoring",
    "score_values": ".values", "OUTPUT_COLUMNS": ".values", "DEFAULT_MAX_CHARS": ".values",
    "Summary": ".summary", "EXIT_CODES": ".summary", "exit_status": ".summary",
    "CHECKPOINT_SUFFIX": ".checkpoints",
    "route_in_processes": ".workers",
    "open_table": "..io", "FORMATS": "..io", "PARTS_SUFFIX": "..io",
    "TEXT_COLUMNS": "..corpus",
}

__all__ = sorted(_WHERE)


__getattr__ = lazy_getattr(__name__, _WHERE, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
