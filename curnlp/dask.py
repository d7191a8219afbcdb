"""Scoring Dask DataFrames partition by partition (optional extra ``curnlp[dask]``).

>>> import dask.dataframe as dd                              # doctest: +SKIP
>>> from curnlp.dask import score_dataframe                 # doctest: +SKIP
>>> ddf = dd.read_parquet("archive/*.parquet")              # doctest: +SKIP
>>> score_dataframe(ddf, "Текст обращения").to_parquet("scored/")  # doctest: +SKIP

Each worker process loads the bundle once (a module-level cache keyed by bundle path and
options) and reuses it for every partition it gets; only the bundle path travels with
the task graph, never the models. The added columns are those of ``curnlp score``
(:data:`curnlp.batch.OUTPUT_COLUMNS`) with the same values, so a Dask run equals
``score_file`` on the same rows.
"""
from __future__ import annotations

import os
import threading
from typing import Any

try:
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "curnlp.dask needs Dask, an optional dependency: pip install 'curnlp[dask]' "
        f"(import failed: {exc})") from exc

import pandas as pd

from .batch.values import DEFAULT_MAX_CHARS, OUTPUT_COLUMNS, score_values
from .batch.workers import limit_threads as _limit_threads

__all__ = ["score_dataframe", "score_partition", "OUTPUT_COLUMNS"]

_ROUTERS: dict[tuple[str, bool, int], Any] = {}
_LOCK = threading.Lock()
_DTYPES = {"topic": object, "topic_confidence": "float64", "group": object, "group_name": object, "agency": object,
           "agency_confidence": "float64", "needs_review": object, "review_reasons": object, "region": object,
           "municipality": object,
           "locations": object, "error": object}


def _router(path: str, entities: bool, max_chars: int) -> Any:
    """The Router of this process for ``path``, loaded on first use."""
    key = (path, entities, max_chars)
    router = _ROUTERS.get(key)
    if router is None:
        with _LOCK:
            router = _ROUTERS.get(key)
            if router is None:
                from .router import Router
                if not _ROUTERS:
                    _limit_threads()
                router = _ROUTERS[key] = Router.load(path, entities=entities, max_length=max_chars)
    return router


def _empty_frame(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t, index=index) for c, t in _DTYPES.items()})


def score_partition(frame: pd.DataFrame, text_column: str, *, model: str, entities: bool = True,
                    max_chars: int = DEFAULT_MAX_CHARS, batch_size: int = 256) -> pd.DataFrame:
    """Score one pandas partition: ``frame`` plus the :data:`OUTPUT_COLUMNS`.

    Input columns named like an output column are renamed ``NAME_input``, as ``curnlp score`` does.
    """
    collisions = {c: f"{c}_input" for c in frame.columns if c in OUTPUT_COLUMNS}
    if not len(frame):
        base = frame.rename(columns=collisions)
        return pd.concat([base, _empty_frame(frame.index)], axis=1)
    results = score_values(_router(model, entities, max_chars), frame[text_column].tolist(),
                           max_chars=max_chars, batch_size=batch_size)
    added = pd.DataFrame.from_records(results, columns=list(OUTPUT_COLUMNS), index=frame.index)
    for column, dtype in _DTYPES.items():
        added[column] = added[column].astype(dtype)
    return pd.concat([frame.rename(columns=collisions), added], axis=1)


def score_dataframe(ddf: "dd.DataFrame", text_column: str, *, model: str | os.PathLike[str] | None = None,
                    entities: bool = True, max_chars: int = DEFAULT_MAX_CHARS, batch_size: int = 256) -> "dd.DataFrame":
    """Add the routing columns to a Dask DataFrame, lazily, partition by partition.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
    text_column : str
        Column with the message.
    model : path, optional
        Bundle directory (default: the shipped model). It must be readable at the same
        path by every worker.
    entities : bool
        Run NER; ``False`` is the fast mode.
    max_chars : int
        Longer messages get an error instead of being routed.

    Returns
    -------
    dask.dataframe.DataFrame
        ``ddf``'s columns plus :data:`OUTPUT_COLUMNS`; call ``.compute()`` or write it out.
    """
    from .errors import CorpusError
    from .router import DEFAULT_MODEL
    if text_column not in ddf.columns:
        raise CorpusError(f"text column {text_column!r} not in the DataFrame; its columns are {list(ddf.columns)}")
    path = str(model if model is not None else DEFAULT_MODEL)
    from .bundle import read_manifest
    read_manifest(path)  # fail here, not in a worker, when there is no bundle
    meta = score_partition(ddf._meta, text_column, model=path, entities=entities, max_chars=max_chars)
    return ddf.map_partitions(score_partition, text_column, model=path, entities=entities, max_chars=max_chars,
                              batch_size=batch_size, meta=meta)
