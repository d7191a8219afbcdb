"""Routing the cells of one chunk into result tuples (in the parent or in a worker).

One result tuple per cell, one value per :data:`OUTPUT_COLUMNS`. A cell that cannot be
routed (empty, not text, too long) gets a message in ``error`` and empty predictions;
:func:`score_values` never raises for a bad value.
"""
from __future__ import annotations

import functools
import inspect
import json
import logging
import math
from typing import Any, Sequence

from ..errors import InvalidInput, describe

__all__ = ["OUTPUT_COLUMNS", "ADDED_TYPES", "DEFAULT_MAX_CHARS", "DEFAULT_CHUNK_SIZE", "Result", "score_values",
           "error_result"]

log = logging.getLogger("curnlp")

#: Columns added to every row, in this order (``group_name``: the region pack's name of the group code).
OUTPUT_COLUMNS = ("topic", "topic_confidence", "group", "group_name", "agency", "agency_confidence",
                  "needs_review", "review_reasons", "region", "municipality", "locations", "error")
#: Arrow types of :data:`OUTPUT_COLUMNS` in Parquet and XLSX outputs.
ADDED_TYPES = ("string", "float64", "string", "string", "string", "float64", "bool_", "string", "string",
               "string", "string", "string")
#: Rows per chunk (one unit of reading, routing, writing and checkpointing).
DEFAULT_CHUNK_SIZE = 1000
#: Messages longer than this many characters get an error (not a silent truncation).
DEFAULT_MAX_CHARS = 100_000
_EMPTY_RESULT = (None,) * (len(OUTPUT_COLUMNS) - 1)

Result = tuple  # one value per OUTPUT_COLUMNS


def _result_of(routing: Any) -> Result:
    topic, group, agency = routing.topic, routing.group, routing.agency
    locations = json.dumps([loc.to_dict() for loc in routing.locations], ensure_ascii=False)
    return (topic.label if topic else None, round(topic.confidence, 4) if topic else None,
            group.label if group else None, getattr(routing, "group_name", None),
            agency.label if agency else None, round(agency.confidence, 4) if agency else None,
            bool(routing.needs_review), ";".join(routing.review_reasons) or None, routing.region,
            routing.municipality, locations, None)


def error_result(message: str) -> Result:
    """The result of a row that could not be routed: no predictions, ``message`` in ``error``."""
    return (*_EMPTY_RESULT, message)


def _precheck(value: object, max_chars: int) -> str | None:
    """Why ``value`` cannot be routed, or None."""
    if not isinstance(value, str):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "no text: the cell is empty"
        return f"not text: {describe(value)}"
    # an empty or no-word text is routed: a Routing flagged no_words (needs_review, no labels)
    if len(value) > max_chars:
        return f"too long: {len(value):,} characters, more than max-chars {max_chars:,}"
    return None


@functools.lru_cache(maxsize=32)
def _accepts_cached(function: Any, name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _accepts(method: Any, name: str) -> bool:
    """Whether ``method`` (bound) takes a keyword ``name``."""
    return _accepts_cached(getattr(method, "__func__", method), name)


def score_values(router: Any, values: Sequence[object], *, max_chars: int = DEFAULT_MAX_CHARS,
                 batch_size: int = 256, times: Sequence[object] | None = None) -> list[Result]:
    """Route ``values`` with ``router``; one result tuple per value (see :data:`OUTPUT_COLUMNS`).

    ``times`` (one per value, None or empty = now) routes each message as of its time
    (:meth:`Router.route_many` ``times=``). Never raises for a bad value: it gets an error
    message instead. A failure inside the router on a batch (an unreadable time, a bug) is
    retried message by message so only the culprit gets the error.
    """
    results: list[Result | None] = [None] * len(values)
    todo: list[int] = []
    for i, value in enumerate(values):
        problem = _precheck(value, max_chars)
        if problem is None:
            todo.append(i)
        else:
            results[i] = error_result(problem)
    texts = [values[i] for i in todo]
    when = None if times is None else [times[i] for i in todo]  # the router reads an empty cell as now
    # the scored file has no evidence column: skip computing it when the Router can
    extra = {"evidence": False} if _accepts(router.route_many, "evidence") else {}
    try:
        routed: list[Any] = router.route_many(texts, batch_size=batch_size, errors="return",
                                              **({} if when is None else {"times": when}), **extra)
    except Exception as exc:  # an unreadable time or a bug on some message: isolate it, keep the rest
        # a bad value (an unreadable time) is the row's error, said in its error cell: no traceback
        log.log(logging.DEBUG if isinstance(exc, InvalidInput) else logging.WARNING,
                "curnlp: routing a batch of %d failed (%s); retrying one by one", len(texts), exc,
                exc_info=not isinstance(exc, InvalidInput))
        routed = []
        for k, text in enumerate(texts):
            try:
                one = {} if when is None else {"times": [when[k]]}
                routed.extend(router.route_many([text], errors="return", **one, **extra))
            except InvalidInput as exc:
                routed.append(exc)
            except Exception as exc:  # noqa: BLE001 -- recorded in the row
                log.exception("curnlp: routing failed on a message")
                routed.append(RuntimeError(f"internal error: {type(exc).__name__}: {exc}"))
    for i, item in zip(todo, routed):
        results[i] = error_result(str(item)) if isinstance(item, BaseException) else _result_of(item)
    return results  # type: ignore[return-value]
