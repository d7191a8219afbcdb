"""Update a bundle from corrections: retrain on its training rows plus the new ones.

:func:`update` learns from the rows the bundle was trained on and the labelled rows
given, with the same columns, region, options and time column (so it routes as of the
newest convention), chooses the review threshold by the bundle's promise
(:mod:`curnlp.live.promise`) on the forward-in-time predictions of the new rows, and
records its lineage. The training rows come from

* the bundle itself, when it keeps them (``keep_rows=True``; stored as ``rows.joblib``,
  zlib-compressed, listed and checksummed in the manifest like every model file). The
  texts are citizens' messages, i.e. personal data: a bundle that keeps its rows is a
  personal-data store and must be handled (access, retention, deletion requests) like the
  archive itself; never ship one. A bundle without kept rows holds only 64-bit hashes of
  the texts (``training.row_hashes``), from which no text can be read back;
* or ``base=``: the original archive, checked against those row hashes (every training
  row must be found in it; rows it has beyond them are dropped).

An update is one full fit (no cross-validation): the same rows give the same model as
``curnlp.train`` (the tests check predictions match).
"""
from __future__ import annotations

import ast
import logging
import math
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["update", "rows_of", "keep_rows", "held_out_of"]

log = logging.getLogger("curnlp")

#: lineage entries kept in the manifest (the latest ones)
LINEAGE = 50


def _frame(data: Any, cols: Mapping[str, str] | None = None, time_col: str | None = None):
    """``data`` as a DataFrame: a frame, a mapping, a table file, or the service's feedback store
    (an SQLite file written by ``curnlp serve --feedback-db``, whose generic columns ``text``,
    ``topic``, ``group``, ``agency`` and ``time`` are named as the bundle was trained)."""
    import pandas as pd
    from ..corpus import read_table
    if isinstance(data, (pd.DataFrame, dict)):
        return pd.DataFrame(data)
    if _is_sqlite(data):
        from ..service.feedback import read_feedback
        frame = read_feedback(data)
        names = {**(cols or {}), **({"time": time_col} if time_col else {})}
        return frame.rename(columns={k: v for k, v in names.items() if k in frame.columns})
    return read_table(data)


def _is_sqlite(path: Any) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except (OSError, TypeError):
        return False


def _columns(manifest: Mapping[str, Any]) -> tuple[dict[str, str], str | None]:
    """The label/text columns training recorded, and the time column (None without)."""
    from ..errors import IncompatibleModel
    cols = dict((manifest.get("training") or {}).get("columns") or {})
    if "text" not in cols:
        raise IncompatibleModel("the bundle's manifest records no training columns: train it again to update it")
    return cols, (manifest.get("time") or {}).get("column")


def _select(frame, cols: Mapping[str, str], time_col: str | None, what: str):
    from ..corpus import _resolve_column
    from ..errors import CorpusError
    wanted = list(cols.values()) + ([time_col] if time_col else [])
    present = list(frame.columns)
    out = {}
    for name in wanted:
        found = _resolve_column(name, present)
        if found is None:
            if name == cols["text"] or name == time_col:
                raise CorpusError(f"{what}: column {name!r} missing (the bundle was trained with it); "
                                  f"the data has {present}")
            out[name] = [None] * len(frame)  # a label column may be absent: rows without that label
        else:
            out[name] = frame[found].tolist()
    import pandas as pd
    return pd.DataFrame(out)


def rows_of(router: Any, base: Any = None):
    """The rows ``router`` was trained on: kept in it, or ``base`` checked against its row hashes."""
    from .. import overlap as _overlap
    from ..errors import CorpusError
    cols, time_col = _columns(router.manifest)
    if base is None:
        rows = getattr(router, "kept_rows", None)
        if rows is None and router.path is not None and "rows.joblib" in router.manifest.get("files", {}):
            from .. import bundle as _bundle
            rows = _bundle.read_bundle(router.path, names=("rows",)).objects["rows"]
        if rows is None:
            raise CorpusError("this bundle does not keep its training rows: pass base= (the archive it was "
                              "trained on) or train it with keep_rows")
        return _frame(rows)
    frame = _select(_frame(base), cols, time_col, "base")
    stored = (router.manifest.get("training") or {}).get("row_hashes")
    if stored:
        known = _overlap.decode_hashes(stored)
        texts = ["" if not isinstance(t, str) else t for t in frame[cols["text"]].tolist()]
        mine = _overlap._each(texts)
        missing = int((~np.isin(known, mine)).sum())
        if missing:
            raise CorpusError(f"base is not the archive this bundle was trained on: {missing} of {len(known)} "
                              "training rows are not in it")
        inside = np.isin(mine, known)
        if not inside.all():
            log.warning("curnlp: update: %d row(s) of base were not in the training data; dropped", int((~inside).sum()))
            frame = frame[inside].reset_index(drop=True)
    return frame


def keep_rows(router: Any, data: Any) -> Any:
    """Make ``router`` keep ``data`` (its training archive) as its training rows: saved in
    the bundle as ``rows.joblib`` (personal data: see the module doc). Returns ``router``."""
    cols, time_col = _columns(router.manifest)
    router.kept_rows = rows_of(router, data).to_dict(orient="list")
    router.manifest = {**router.manifest, "training": {**router.manifest["training"], "keeps_rows": True}}
    return router


def held_out_of(router: Any, routings: Sequence[Any], truths: Sequence[str | None],
                skip: Sequence[bool] | None = None, times: Sequence[float] | None = None) -> list[list[float]]:
    """``[confidence, correct, time]`` of the deciding target for routings made before the model
    learned their rows (forward-in-time), skipping rows without a true label or a prediction
    (``time`` None without ``times``)."""
    target = router.review_target
    out = []
    for i, (r, truth) in enumerate(zip(routings, truths)):
        pred = getattr(r, target, None) if r is not None else None
        if pred is None or truth is None or (skip is not None and skip[i]):
            continue
        # rounded down: a threshold chosen on these never exceeds the confidence it was chosen on
        out.append([math.floor(float(pred.confidence) * 1e4) / 1e4, int(pred.label == truth),
                    None if times is None else float(times[i])])
    return out


def _options(training: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in (training.get("options") or {}).items():
        try:
            out[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            log.warning("curnlp: update: training option %s=%s cannot be restored; default used", k, v)
    return out


def _time_span(values: Sequence[Any], router: Any) -> list[str] | None:
    from ..corpus import format_time, parse_times
    kind = (router.manifest.get("time") or {}).get("kind")
    if not kind or not len(values):
        return None
    t, _ = parse_times(list(values), "time")
    return [format_time(float(t.min()), kind), format_time(float(t.max()), kind)]


def update(router: Any, data: Any, *, base: Any = None, keep: bool | None = None,
           held_out: Sequence[Sequence[float]] | None = None, change_time: float | None = None,
           delta: float = 0.2, **train_options: Any) -> Any:
    """A new Router trained on ``router``'s training rows plus the labelled rows of ``data``.

    Parameters
    ----------
    router : Router
    data : DataFrame or path
        New labelled rows, with the columns the bundle was trained on (``manifest["training"]["columns"]``
        and the time column).
    base : DataFrame or path, optional
        The archive the bundle was trained on, when the bundle does not keep its rows.
    keep : bool, optional
        Keep the rows in the new bundle (default: as the parent did).
    held_out : list of [confidence, correct], optional
        The new rows' forward-in-time predictions when already known (the replay has them);
        else the new rows are routed by ``router`` here.
    change_time : float, optional
        A detected change of convention (parsed time): recorded in ``manifest["live"]`` and,
        when the classifier supports it, the start of a new labelling period.
    delta : float
        Risk level of the promise (:func:`curnlp.live.promise.choose_threshold`).
    **train_options
        Override training options (``C``, ...).
    """
    import pandas as pd

    import curnlp
    from .promise import WINDOW, promise_of
    cols, time_col = _columns(router.manifest)
    monitor = getattr(router, "monitor", None)
    if change_time is None and monitor is not None and monitor.active:
        change_time = monitor.change_time
    old = rows_of(router, base)
    new = _select(_frame(data, cols, time_col), cols, time_col, "data")
    if held_out is None:
        held_out = _route_held_out(router, new, cols, time_col)
    rows = pd.concat([old, new], ignore_index=True)
    training = router.manifest.get("training") or {}
    live = dict(router.manifest.get("live") or {})
    changes = list(live.get("change_times") or [])
    if change_time is not None and (not changes or change_time > changes[-1]):
        changes.append(float(change_time))
    options = {**_options(training), **train_options}
    if changes and "change_times" in _classifier_params():
        options["change_times"] = tuple(changes)
    accuracy = float(router.manifest.get("review_accuracy", 0.85))
    labels = {t: cols[t] for t in ("topic", "group", "agency") if t in cols}
    trained = curnlp.train(rows, text=cols["text"], **labels, region=router.region, time=time_col,
                           folds=0, forward_folds=0, random_state=int(training.get("random_state", 0)),
                           min_examples=int(training.get("min_examples", 2)), rare=training.get("rare", "other"),
                           review_accuracy=accuracy, **options)
    history = (list(router.manifest.get("promise_history") or []) + [list(h) for h in held_out])[-WINDOW:]
    promise = promise_of(history, accuracy, delta, trained.review_threshold, since=changes[-1] if changes else None)
    lineage = list((router.manifest.get("lineage") or {}).get("history") or [])[-(LINEAGE - 1):]
    entry = {"parent": router.id, "rows_added": int(len(new)), "rows_total": int(len(rows)),
             "added_time_range": _time_span(new[time_col].tolist(), trained) if time_col else None,
             "threshold": promise["threshold"]}
    manifest = dict(trained.manifest)
    manifest.update({"review_threshold": promise["threshold"], "promise": promise, "promise_history": history,
                     "lineage": {**entry, "history": lineage + [entry]},
                     "live": {**live, "change_times": changes}})
    trained.manifest = manifest
    trained.review_threshold = float(promise["threshold"])
    trained.monitor = monitor
    if monitor is not None:
        if monitor.active:  # caught up once the rows after the change are enough to learn it
            monitor.caught_up(_rows_since(rows[time_col].tolist(), monitor.change_time)
                              if time_col and monitor.change_time is not None else len(new))
        monitor.expect(promise.get("overall_accuracy"))
    manifest["live"]["monitor"] = None if trained.monitor is None else trained.monitor.to_dict()
    if keep if keep is not None else (getattr(router, "kept_rows", None) is not None
                                       or (router.manifest.get("training") or {}).get("keeps_rows")):
        trained.kept_rows = rows.to_dict(orient="list")
        trained.manifest["training"] = {**trained.manifest["training"], "keeps_rows": True}
    return trained


def _rows_since(values: Sequence[Any], since: float) -> int:
    from ..corpus import parse_times
    t, _ = parse_times(list(values), "time")
    return int((t >= since).sum())


def _classifier_params() -> set[str]:
    from ..models import RoutingClassifier
    return set(RoutingClassifier().get_params())


def _route_held_out(router: Any, new, cols: Mapping[str, str], time_col: str | None) -> list[list[float]]:
    """Route the new rows with the parent model (as of their times) and pair confidence and correctness."""
    target = router.review_target
    if target not in cols:
        return []
    texts = ["" if not isinstance(t, str) else t for t in new[cols["text"]].tolist()]
    times = new[time_col].tolist() if time_col else None
    routings = router.without_entities().route_many(texts, times=times, evidence=False)  # labels only
    truths = [None if not isinstance(v, str) or not v.strip() else v.strip() for v in new[cols[target]].tolist()]
    parsed = router._times(times, len(texts)) if times is not None else None
    return held_out_of(router, routings, truths, times=parsed)
