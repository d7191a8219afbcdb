"""``train``: a Router from a labelled archive, with its manifest (labels, metrics,
review threshold chosen forward in time, periods, the pipeline's stages)."""
from __future__ import annotations

import json
import logging
import os
import time as _time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import overlap as _overlap
from ..errors import CorpusError
from ..language import language_counts
from ..metrics import expected_calibration_error, threshold_for_accuracy
from ..models import RoutingClassifier
from ..pipeline import Pipeline
from ..places import Region
from .cross_validation import _cross_validate_prepared, _periods_manifest, forward_splits
from .prepare import _load_region, _load_training_data, check_options
from .report import REVIEW_ACCURACY

log = logging.getLogger("curnlp")


def _region_manifest(reg: Region | None) -> dict[str, Any]:
    """The manifest entries naming the region pack; a pack that is not shipped with curnlp
    is embedded (``region_pack``) so the bundle loads anywhere."""
    if reg is None:
        return {"region": None}
    out: dict[str, Any] = {"region": reg.name}
    if not reg.source.startswith("curnlp.places:"):
        try:
            out["region_pack"] = json.loads(Path(reg.source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CorpusError(f"cannot embed the region pack {reg.source!r} in the bundle: {exc}") from exc
    return out


def train(data: pd.DataFrame | str | os.PathLike[str], *, text: str | None = None, topic: str | None = None,
          group: str | None = None, agency: str | None = None,
          region: Region | str | os.PathLike[str] | None = None, folds: int = 0, random_state: int = 0,
          min_examples: int = 2, rare: str = "other", review_accuracy: float = REVIEW_ACCURACY,
          progress: bool = False, time: str | None = None, forward_folds: int = 4, forward_test_size: float = 0.1,
          **options: Any):
    """Train a Router on a labelled archive.

    Parameters
    ----------
    data : DataFrame or path
        The archive (CSV in UTF-8 or cp1251 with any delimiter, TSV, JSONL, Parquet, XLSX).
    text, topic, group, agency : str
        Column names (matched up to case and spacing); ``text`` defaults to a common
        name such as «Текст обращения». Any non-empty subset of the label columns:
        ``group`` + ``agency`` or ``agency`` alone work for regions without fine topics.
        Rows may lack some labels (they are skipped for that target).
    region : str, path, Region or None
        Region pack (``"kursk"`` or a JSON file, see ``curnlp/places/regions/README.md``) used to
        find the municipality of each message, which the agency model uses. ``None``
        (default): no pack; no locations, municipality None, text-only models. A pack
        read from a file is embedded in the bundle's manifest.
    folds : int
        When ≥ 2, run grouped cross-validation first, store its metrics in the bundle
        manifest and choose the review threshold on it (else on inner out-of-fold values).
    min_examples, rare
        Classes with fewer than ``min_examples`` rows are merged into «другое»
        (``rare="other"``), kept (``"keep"``) or refused (``"error"``).
    review_accuracy : float
        The review threshold is the lowest confidence at which the routed messages
        reach this accuracy on held-out predictions.
    progress : bool
        tqdm progress bars (on stderr).
    time : str or None
        A column of dates/datetimes (ISO, ``15.03.2021``, with or without a time) or of
        numbers that grow with time (an ``id``). The model then finds the periods of
        stable agency labelling (``manifest["time"]["periods"]``), learns each period's
        convention and routes as of the latest one (``Router.route(text, time=...)``
        routes as of another date); the review threshold and the confidence calibration
        are chosen on forward-in-time held-out predictions (``forward_folds`` blocks of
        ``forward_test_size`` of the archive, each predicted by a model trained on the
        earlier messages). Unreadable or empty values raise :class:`CorpusError`.
    **options
        Passed to :class:`curnlp.models.RoutingClassifier` (``C``, ``class_weight``,
        ``municipality_weight``, ...).

    Returns
    -------
    Router
        Ready to route; ``router.save(dir)`` writes the bundle; what the validation found
        is in ``router.manifest["training"]["problems"]`` (and logged as warnings).

    Raises
    ------
    CorpusError
        The data cannot be used: missing columns, no texts, no labels, a single class, ...

    Examples
    --------
    >>> import os, tempfile
    >>> from curnlp.sample import sample_archive
    >>> router = train(sample_archive(), text="Текст обращения", topic="Тематика", group="Категория",
    ...                agency="Исполнитель", region="kursk")
    >>> router.route("Не горят фонари на ул. Ленина").agency.label
    'Комитет ЖКХ города Курска'
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     os.path.basename(router.save(os.path.join(tmp, "bundle")))
    'bundle'
    """
    from ..router import Router
    check_options(options)
    if not 0 < review_accuracy <= 1:
        raise ValueError(f"review_accuracy must be in (0, 1], not {review_accuracy!r}")
    t0 = _time.perf_counter()
    reg = _load_region(region)
    if reg is None:
        log.info("curnlp: no region pack: municipality features are off (pass region='kursk' or a pack file)")
    corpus, prepared, timed = _load_training_data(data, text, topic, group, agency, min_examples, rare, time, reg,
                                                  progress)
    times = None if timed is None else timed.values
    report = forward = None
    if folds:
        report = _cross_validate_prepared(corpus, prepared, folds, random_state, options, progress, times)
        log.info("curnlp: cross-validation\n%s", report)
    if timed is not None and forward_folds:
        forward = _cross_validate_prepared(corpus, prepared, forward_folds, random_state, options, progress, times,
                                           "forward", forward_test_size)
        log.info("curnlp: forward-in-time cross-validation\n%s", forward)
    classifier = RoutingClassifier(**{"random_state": random_state, **options}).fit(
        prepared.records, **corpus.labels, times=times)
    review_target = next(t for t in ("agency", "group", "topic") if t in classifier.targets_)
    review: dict[str, Any] = {}
    if forward is not None:
        # calibration and threshold on forward-in-time held-out predictions: what tomorrow looks like
        held_out = forward.targets[review_target]
        same = _same_convention(classifier, times, forward_folds, forward_test_size,
                                corpus.labels[review_target])
        if same.sum() < 30:  # too few to choose on: use every forward prediction
            same[:] = True
        conf, ok = held_out.confidence[same], held_out.correct[same]
        ab = classifier.recalibrate(review_target, conf, ok)
        confidence = classifier.recalibrated_confidence(review_target, conf)
        threshold, coverage = threshold_for_accuracy(confidence, ok, review_accuracy)
        review = {"review_chosen_on": "forward", "review_forward_rows": int(same.sum()),
                  "review_forward_rows_after_a_convention_change": int((~same).sum()),
                  "review_recalibration": [round(ab[0], 4), round(ab[1], 4)],
                  "review_ece_forward_raw": expected_calibration_error(conf, ok),
                  "review_ece_forward_recalibrated_in_sample": expected_calibration_error(confidence, ok)}
    elif report is not None:
        held_out = report.targets[review_target]
        threshold, coverage = threshold_for_accuracy(held_out.confidence, held_out.correct, review_accuracy)
        review = {"review_chosen_on": "grouped"}
    else:
        confidence, correct = classifier.oof_confidence(review_target)
        threshold, coverage = threshold_for_accuracy(confidence, correct, review_accuracy)
        review = {"review_chosen_on": "inner"}
    resolved = [m for m in prepared.municipalities if m is not None]
    manifest = {
        **_region_manifest(reg),
        "pipeline": Pipeline(reg).config(),
        "targets": list(classifier.targets_),
        "labels": {t: [str(c) for c in classifier.classes_[t]] for t in classifier.targets_},
        "topic_to_group": dict(classifier.topic_to_group_),
        "review_target": review_target,
        "review_threshold": threshold,
        "review_accuracy": review_accuracy,
        "review_coverage_held_out": coverage,
        **review,
        "training": {"rows": len(corpus), "sha256": corpus.sha256, "columns": corpus.columns,
                     "row_hashes": _overlap.encode_hashes(_overlap.text_hashes(corpus.texts)),  # evaluate's overlap
                     "problems": corpus.problems, "random_state": random_state,
                     "min_examples": min_examples, "rare": rare,
                     "municipality_resolved": round(len(resolved) / max(len(corpus), 1), 3),
                     "options": {k: repr(v) for k, v in options.items()},
                     "seconds": round(_time.perf_counter() - t0, 1)},
        "metrics": ({"cross_validation": report.summary(), **report.info} if report is not None else None),
        "languages": language_counts(r.text for r in prepared.records),  # the router routes these (not withheld)
    }
    if forward is not None:
        manifest["metrics"] = {**(manifest["metrics"] or {}), "forward": {**forward.summary(), **forward.info}}
    if timed is not None:
        manifest["time"] = {"column": timed.column, "kind": timed.kind,
                            "first": timed.format(float(times.min())), "last": timed.format(float(times.max())),
                            "periods": _periods_manifest(classifier, timed),
                            "routes_as_of": "the latest period unless a time is given"}
    log.info("curnlp: trained %s on %d messages in %.1f s", "/".join(classifier.targets_), len(corpus),
             _time.perf_counter() - t0)
    return Router(classifier, manifest, region=reg, entities=True)


def _same_convention(classifier: RoutingClassifier, times: np.ndarray, folds: int, test_size: float,
                     labels: Sequence[str | None]) -> np.ndarray:
    """Per forward held-out prediction (rows with a label, in report order): True when the row
    lies in the same period (as the whole archive shows) as the end of its training data.
    The review threshold is chosen on those: a convention that changes after training makes
    even confident decisions wrong, which no threshold can foresee; retraining fixes it."""
    splits = forward_splits(times, folds, test_size)
    period = classifier.period_index(times, len(times))
    tested = np.sort(np.concatenate([test for _, test in splits]))
    same = np.ones(len(times), dtype=bool)
    if period is not None:
        for train_idx, test_idx in splits:
            last = period[train_idx[np.argmax(times[train_idx])]]
            same[test_idx] = period[test_idx] == last
    return np.array([same[i] for i in tested if labels[i] is not None], dtype=bool)


