"""``evaluate``: route a labelled archive with a Router and compare with its labels."""
from __future__ import annotations

import logging
import os
import time as _time
from typing import Any

import pandas as pd

from .. import overlap as _overlap
from ..corpus import load_corpus, read_table, time_column
from ..errors import CorpusError
from ..models import TARGETS
from .cross_validation import _timeline
from .prepare import _Timed
from .report import Report, _target_report

log = logging.getLogger("curnlp")


def evaluate(router, data: pd.DataFrame | str | os.PathLike[str], *, text: str | None = None,
             topic: str | None = None, group: str | None = None, agency: str | None = None,
             batch_size: int = 256, progress: bool = False, time: str | None = None) -> Report:
    """Route every message of a labelled archive with ``router`` and compare with the labels.

    Column arguments are those of :func:`train`. Labels the router does not predict are
    ignored; messages the router refuses (nothing left after cleaning) count as wrong
    with confidence 0; labels the router never saw count as wrong. ``time``: a column of
    dates or numbers; each message is routed as of its time (for a bundle trained with a
    time column) and the report gets the label shares over time.

    Examples
    --------
    >>> import curnlp
    >>> from curnlp.sample import sample_archive
    >>> df = sample_archive(160)
    >>> router = curnlp.train(df.iloc[:120], text="Текст обращения", agency="Исполнитель")
    >>> report = evaluate(router, df.iloc[120:], text="Текст обращения", agency="Исполнитель")
    >>> report.info["rows"], round(report.metric("accuracy"), 2)
    (40, 1.0)
    """
    if not hasattr(router, "route_many") or not hasattr(router, "targets"):
        raise TypeError(f"expected a curnlp Router, got {type(router).__name__}")
    timed = None
    if time is not None:
        data = read_table(data) if isinstance(data, (str, os.PathLike)) else data
        if not isinstance(data, pd.DataFrame):
            raise CorpusError(f"expected a pandas DataFrame or a file path, got {type(data).__name__}")
        timed = _Timed(*time_column(data, time, text))
    corpus = load_corpus(data, text=text, topic=topic, group=group, agency=agency, rare="keep")
    usable = [t for t in TARGETS if t in corpus.labels and t in router.targets]
    if not usable:
        raise CorpusError(f"none of the label columns {list(corpus.labels)} is predicted by this router "
                          f"(it predicts {list(router.targets)})")
    ignored = [t for t in corpus.labels if t not in router.targets]
    if ignored:
        log.warning("curnlp: the router does not predict %s; those labels are ignored", ignored)
    fast = router.without_entities() if hasattr(router, "without_entities") else router  # labels only
    t0 = _time.perf_counter()
    routings: list[Any] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(corpus), desc="routing", unit="msg")
    for start in range(0, len(corpus), batch_size):
        chunk = corpus.texts[start:start + batch_size]
        when = None
        if timed is not None and (router.manifest.get("time") or {}).get("kind") == timed.kind:
            when = timed.values[start:start + batch_size].tolist()
        routings.extend(fast.route_many(chunk, batch_size=batch_size, errors="return", times=when))
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.close()
    munis = [getattr(r, "municipality", None) for r in routings]
    targets = {}
    for t in usable:
        preds = [getattr(r, t, None) for r in routings]
        targets[t] = _target_report(t, corpus.labels[t], [p.label if p else "" for p in preds],
                                    [p.confidence if p else 0.0 for p in preds], munis, corpus.texts)
    refused = sum(isinstance(r, Exception) for r in routings)
    info = {"kind": "evaluation", "model": router.id, "rows": len(corpus), "refused": refused,
            "seconds": round(_time.perf_counter() - t0, 1)}
    overlap = _overlap.training_overlap(getattr(router, "manifest", {}) or {}, corpus.texts, corpus.sha256)
    if overlap is not None:  # evaluated rows seen in training: the figures are not held-out
        info["training_overlap"] = round(overlap["share"], 4)
        info["training_overlap_rows"] = overlap["rows"]
        if _overlap.overlap_warning(overlap):
            log.warning("curnlp: %s", _overlap.overlap_warning(overlap))
    report = Report(targets, info)
    return report if timed is None else _timeline(report, corpus, timed)

