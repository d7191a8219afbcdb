"""Cross-validation: grouped k-fold (identical texts in one fold) and forward in time
(train on the earlier messages, judge on the later ones: how a model is used)."""
from __future__ import annotations

import os
import time as _time
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from ..corpus import LabelledCorpus, format_time
from ..errors import CorpusError
from ..models import TARGETS, RoutingClassifier
from ..places import Region
from .prepare import Prepared, _load_region, _load_training_data, _Timed, check_options
from .report import Report, _target_report


def forward_splits(times: Sequence[float], folds: int = 4, test_size: float = 0.1
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train-on-earlier / test-on-later splits with an expanding window: the latest
    ``folds × test_size`` of the rows (by time; ties stay together) are cut into ``folds``
    consecutive blocks; each block is predicted by a model trained on every earlier row.
    ``folds=1, test_size=0.2``: the earliest 80% against the latest 20%."""
    t = np.asarray(times, dtype=float)
    n = len(t)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 1:
        raise CorpusError(f"folds must be an integer ≥ 1 for the forward scheme, not {folds!r}")
    if not 0 < test_size * folds < 1:
        raise CorpusError(f"folds × test_size must be in (0, 1), not {folds} × {test_size}")
    order = np.argsort(t, kind="stable")
    st = t[order]
    out = []
    for f in range(folds):
        lo = int(round(n * (1 - test_size * (folds - f))))
        hi = int(round(n * (1 - test_size * (folds - f - 1))))
        lo = int(np.searchsorted(st, st[min(lo, n - 1)], side="left"))  # equal times on one side
        hi = n if hi >= n else int(np.searchsorted(st, st[hi], side="left"))
        if lo < 1 or hi <= lo:
            raise CorpusError(f"cannot make {folds} forward folds of {test_size:.0%} from {n} rows "
                              f"with {len(np.unique(t))} distinct times")
        out.append((order[:lo], order[lo:hi]))
    return out


def _folds(prepared: Prepared, folds: int, random_state: int):
    n_groups = len(np.unique(prepared.groups))
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise CorpusError(f"folds must be an integer ≥ 2, not {folds!r}")
    if folds > n_groups:
        raise CorpusError(f"cannot make {folds} folds from {n_groups} distinct texts; use fewer folds")
    return GroupKFold(folds, shuffle=True, random_state=random_state).split(prepared.records, groups=prepared.groups)


def _cross_validate_prepared(corpus: LabelledCorpus, prepared: Prepared, folds: int, random_state: int,
                             options: Mapping[str, Any], progress: bool = False, times: np.ndarray | None = None,
                             scheme: str = "grouped", test_size: float = 0.1) -> Report:
    """Held-out predictions of every row a split tests. ``scheme="grouped"``: grouped
    k-fold (with ``times`` the models are time-aware and each message is predicted as of
    its own time); ``"forward"``: :func:`forward_splits` on ``times`` (predicted as of the
    end of the training data, as tomorrow's messages are); rows no split tests (the
    earliest ones) are left out of the report."""
    n = len(corpus)
    pred = {t: np.full(n, "", dtype=object) for t in corpus.labels}
    conf = {t: np.zeros(n) for t in corpus.labels}
    top3 = {t: np.zeros(n, dtype=bool) for t in corpus.labels}
    tested = np.zeros(n, dtype=bool)
    t0 = _time.perf_counter()
    if scheme == "forward":
        if times is None:
            raise CorpusError("scheme='forward' needs a time column: pass time=COLUMN")
        splits = forward_splits(times, folds, test_size)
    elif scheme == "grouped":
        splits = list(_folds(prepared, folds, random_state))
    else:
        raise CorpusError(f"scheme must be 'grouped' or 'forward', not {scheme!r}")
    if progress:
        from tqdm.auto import tqdm
        splits = tqdm(splits, desc=f"{scheme} cross-validation", unit="fold")
    for train_idx, test_idx in splits:
        labels = {t: [v[i] for i in train_idx] for t, v in corpus.labels.items()}
        clf = RoutingClassifier(**{"random_state": random_state, **options}).fit(
            [prepared.records[i] for i in train_idx], **labels,
            times=None if times is None else times[train_idx])
        as_of = times[test_idx] if times is not None and scheme == "grouped" else None
        test_recs = [prepared.records[i] for i in test_idx]
        shown = clf._reported(clf.predict_proba(test_recs, as_of))  # top-3 among the labels it can give
        out = clf.predict_labels(test_recs, as_of)
        tested[test_idx] = True
        for t in corpus.labels:
            if t in out:  # a fold whose training rows carry no label of t predicts nothing for it
                pred[t][test_idx] = out[t]
                conf[t][test_idx] = out[t + "_confidence"]
                best = clf.classes_[t][np.argsort(-shown[t], axis=1, kind="stable")[:, :3]]
                top3[t][test_idx] = [corpus.labels[t][i] in set(b) for i, b in zip(test_idx, best)]
    keep = np.flatnonzero(tested)

    def sub(values):
        return [values[i] for i in keep]
    targets = {t: _target_report(t, sub(corpus.labels[t]), pred[t][keep], conf[t][keep],
                                 sub(prepared.municipalities), sub(corpus.texts), top3[t][keep])
               for t in TARGETS if t in corpus.labels}
    info: dict[str, Any] = {"kind": f"{scheme} cross-validation", "folds": folds, "rows": int(len(keep))}
    if scheme == "forward":
        info["test_size"] = test_size
    info.update({"time_aware": times is not None, "random_state": random_state,
                 "seconds": round(_time.perf_counter() - t0, 1)})
    return Report(targets, info)


def agency_shares(times: Sequence[float], labels: Sequence[str | None], blocks: int = 20, top: int = 8,
                  kind: str = "number") -> pd.DataFrame:
    """Share of each of the ``top`` most frequent labels (the rest: «(прочие)») in ``blocks``
    consecutive, equally large blocks of rows ordered by time; indexed by the block's
    first and last time (formatted per ``kind``)."""
    frame = pd.DataFrame({"t": np.asarray(times, dtype=float), "y": list(labels)}).dropna()
    frame = frame.sort_values("t", kind="stable").reset_index(drop=True)
    common = frame["y"].value_counts().index[:top]
    frame["y"] = frame["y"].where(frame["y"].isin(common), "(прочие)")
    frame["block"] = np.minimum(np.arange(len(frame)) * blocks // max(len(frame), 1), blocks - 1)
    shares = pd.crosstab(frame["block"], frame["y"], normalize="index")
    bounds = frame.groupby("block")["t"].agg(["min", "max"])
    shares.index = pd.Index([f"{format_time(lo, kind)} – {format_time(hi, kind)}" for lo, hi in bounds.to_numpy()],
                            name="time")
    order = [c for c in common if c in shares.columns] + [c for c in shares.columns if c not in common]
    return shares[order]


def _timeline(report: Report, corpus: LabelledCorpus, timed: _Timed, classifier: RoutingClassifier | None = None
              ) -> Report:
    target = next((t for t in ("agency", "group", "topic") if t in corpus.labels), None)
    if target is not None:
        report.shares = agency_shares(timed.values, corpus.labels[target], kind=timed.kind)
        report.info["time_column"] = timed.column
    if classifier is not None and classifier.periods_:
        report.periods = _periods_manifest(classifier, timed)
    return report


def _periods_manifest(classifier: RoutingClassifier, timed: _Timed) -> list[dict[str, Any]]:
    return [{**p.to_dict(), "start": timed.format(p.start), "end": timed.format(p.end)} for p in classifier.periods_]


def cross_validate(data: pd.DataFrame | str | os.PathLike[str], *, text: str | None = None,
                   topic: str | None = None, group: str | None = None, agency: str | None = None,
                   region: Region | str | os.PathLike[str] | None = None, folds: int | None = None,
                   random_state: int = 0, min_examples: int = 2, rare: str = "other", progress: bool = False,
                   time: str | None = None, scheme: str = "grouped", test_size: float = 0.1,
                   **options: Any) -> Report:
    """Cross-validation of the routing models on a labelled archive.

    Parameters are those of :func:`train`. ``scheme="grouped"`` (default): ``folds``-fold
    (default 5) grouped k-fold; messages whose text is identical (case and spacing aside)
    fall in the same fold; every message is predicted once, by the model of the fold that
    did not see it (with ``time``, the models are time-aware and predict each message as
    of its own time). ``scheme="forward"`` (needs ``time``): the latest
    ``folds × test_size`` of the archive (default 4 × 10%) in consecutive blocks, each
    predicted by a model trained on everything earlier, as of the end of its training
    data; ``folds=1, test_size=0.2`` is "earliest 80% against latest 20%". With ``time``
    the report also has ``shares`` (label shares over time, :meth:`Report.plot_shares`).

    Returns
    -------
    Report
        Held-out accuracy, weighted/macro F1, calibration (ECE), accuracy–coverage per
        target, per-class table, confused pairs, plots and ``to_html``.

    Examples
    --------
    >>> from curnlp.sample import sample_archive
    >>> df = sample_archive(96)
    >>> report = cross_validate(df, text="Текст обращения", group="Категория", agency="Исполнитель", folds=3)
    >>> sorted(report.targets), report.info["rows"]
    (['agency', 'group'], 96)
    >>> forward = cross_validate(df, text="Текст обращения", agency="Исполнитель", time="Дата", scheme="forward")
    >>> forward.info["kind"], forward.info["rows"]
    ('forward cross-validation', 38)
    """
    check_options(options)
    if folds is None:
        folds = 4 if scheme == "forward" else 5
    corpus, prepared, timed = _load_training_data(data, text, topic, group, agency, min_examples, rare, time,
                                                  _load_region(region), progress)
    report = _cross_validate_prepared(corpus, prepared, folds, random_state, options, progress,
                                      None if timed is None else timed.values, scheme, test_size)
    return report if timed is None else _timeline(report, corpus, timed)


