"""Retraining and evaluation: ``train``, ``cross_validate``, ``evaluate`` and their Report.

Cross-validation is grouped: messages whose clean text is identical (case and spacing
aside) always fall in the same fold, so a duplicate never sits on both sides.
"""
from __future__ import annotations

import base64
import html
import io
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from .corpus import LabelledCorpus, load_corpus
from .errors import CorpusError
from .features import MessageRecord
from .locations import extract_locations
from .metrics import accuracy_at_coverage, coverage_curve, expected_calibration_error, threshold_for_accuracy
from .models import TARGETS, RoutingClassifier
from .normalize import normalize
from .regions import Region, load_region, resolve_municipality

__all__ = ["train", "cross_validate", "evaluate", "Report", "TargetReport", "prepare"]

log = logging.getLogger("curnlp")

#: Accuracy the routed (not flagged) messages must reach when the review threshold is chosen.
REVIEW_ACCURACY = 0.85


@dataclass
class Prepared:
    """Messages turned into classifier records once, with their municipality."""

    records: list[MessageRecord]
    municipalities: list[str | None]
    groups: np.ndarray  # duplicate groups for grouped folds


def prepare(texts: Sequence[str], region: Region | str | None = "kursk", progress: bool = False) -> Prepared:
    """Normalize, locate and resolve every text into a classifier record."""
    from .router import to_record
    reg = load_region(region or "kursk")
    records, munis = [], []
    iterator: Iterable[str] = texts
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(texts, desc="preparing", unit="msg")
    for text in iterator:
        doc = normalize(text)
        place = resolve_municipality(extract_locations(doc, reg), reg)
        records.append(to_record(doc, place))
        munis.append(place.name if place else None)
    keys = [" ".join(r.text.lower().split()) for r in records]
    return Prepared(records, munis, pd.factorize(pd.Series(keys))[0])


# ---------------------------------------------------------------------------- reports

@dataclass
class TargetReport:
    """Held-out predictions of one target and their metrics (rows with a true label only)."""

    target: str
    y_true: np.ndarray
    y_pred: np.ndarray
    confidence: np.ndarray
    municipality: np.ndarray

    @property
    def n(self) -> int:
        return len(self.y_true)

    @property
    def correct(self) -> np.ndarray:
        return self.y_true == self.y_pred

    def metrics(self) -> dict[str, float]:
        """accuracy, weighted/macro F1, ECE, accuracy at 80% coverage, and the threshold
        giving 85% accuracy on routed messages with its coverage."""
        if self.n == 0:
            return {"n": 0}
        threshold, coverage = threshold_for_accuracy(self.confidence, self.correct, REVIEW_ACCURACY)
        return {
            "n": int(self.n),
            "accuracy": float(self.correct.mean()),
            "weighted_f1": float(f1_score(self.y_true, self.y_pred, average="weighted", zero_division=0)),
            "macro_f1": float(f1_score(self.y_true, self.y_pred, average="macro", zero_division=0)),
            "ece": expected_calibration_error(self.confidence, self.correct),
            "accuracy_at_80_coverage": accuracy_at_coverage(self.confidence, self.correct, 0.8),
            "threshold_for_85_accuracy": threshold,
            "coverage_at_85_accuracy": coverage,
        }

    def per_class(self) -> pd.DataFrame:
        labels = sorted(set(self.y_true) | set(self.y_pred))
        p, r, f, s = precision_recall_fscore_support(self.y_true, self.y_pred, labels=labels, zero_division=0)
        return (pd.DataFrame({"target": self.target, "label": labels, "precision": p, "recall": r, "f1": f,
                              "support": s}).sort_values("support", ascending=False, kind="stable")
                .reset_index(drop=True))

    def confused_pairs(self, k: int = 10) -> pd.DataFrame:
        wrong = ~self.correct
        pairs = pd.DataFrame({"true": self.y_true[wrong], "predicted": self.y_pred[wrong]})
        return (pairs.value_counts().rename("count").reset_index().head(k))


@dataclass
class Report:
    """What :func:`evaluate` and :func:`cross_validate` return.

    ``targets`` maps each evaluated target to its :class:`TargetReport`; ``info`` holds
    facts of the run (folds, rows, seconds). ``str(report)`` prints the summary table.
    """

    targets: dict[str, TargetReport]
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, float]]:
        """``{target: metrics}`` (see :meth:`TargetReport.metrics`)."""
        return {t: r.metrics() for t, r in self.targets.items()}

    def to_frame(self) -> pd.DataFrame:
        """Per-class precision, recall, F1 and support for every target."""
        return pd.concat([r.per_class() for r in self.targets.values()], ignore_index=True)

    def by_municipality(self, target: str = "agency") -> pd.DataFrame:
        """Accuracy and count of ``target`` per resolved municipality (None = unresolved)."""
        r = self.targets[target]
        frame = pd.DataFrame({"municipality": pd.Series(r.municipality).fillna("(не определено)"),
                              "correct": r.correct})
        return (frame.groupby("municipality")["correct"].agg(["count", "mean"])
                .rename(columns={"mean": "accuracy"}).sort_values("count", ascending=False))

    def coverage(self, target: str = "agency") -> pd.DataFrame:
        """The accuracy–coverage curve: routing only messages with confidence ≥ threshold."""
        r = self.targets[target]
        cov, acc, thr = coverage_curve(r.confidence, r.correct)
        return pd.DataFrame({"coverage": cov, "accuracy": acc, "threshold": thr})

    def __str__(self) -> str:
        rows = []
        for t, m in self.summary().items():
            if m.get("n"):
                rows.append(f"{t:7} n={m['n']:5d}  acc {m['accuracy']:.3f}  wF1 {m['weighted_f1']:.3f}  "
                            f"mF1 {m['macro_f1']:.3f}  ECE {m['ece']:.3f}  acc@80%cov "
                            f"{m['accuracy_at_80_coverage']:.3f}  thr@85% {m['threshold_for_85_accuracy']:.2f} "
                            f"(cov {m['coverage_at_85_accuracy']:.2f})")
        return "\n".join(rows)

    # -- plots -------------------------------------------------------------
    def plot_confusion(self, target: str = "agency", top: int = 12, ax=None):
        """Confusion matrix of the ``top`` most frequent true classes (rows normalized)."""
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        r = self.targets[target]
        labels = list(pd.Series(r.y_true).value_counts().index[:top])
        index = {label: i for i, label in enumerate(labels)}
        m = np.zeros((len(labels), len(labels) + 1))
        for t, p in zip(r.y_true, r.y_pred):
            if t in index:
                m[index[t], index.get(p, len(labels))] += 1
        m = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 7.5))
        ax.imshow(m, cmap="Blues", vmin=0, vmax=1)
        short = [_short(label) for label in labels]
        ax.set_xticks(range(len(labels) + 1), short + ["(прочие)"], rotation=75, ha="right", fontsize=7)
        ax.set_yticks(range(len(labels)), short, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{target}: confusion of the {len(labels)} most frequent classes (row-normalized)")
        ax.figure.tight_layout()
        return ax.figure

    def plot_coverage(self, target: str | None = None, ax=None):
        """Accuracy against coverage for each target (or one), with the 85% line."""
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4.5))
        for t in [target] if target else list(self.targets):
            curve = self.coverage(t)
            ax.plot(curve["coverage"], curve["accuracy"], label=t)
        ax.axhline(REVIEW_ACCURACY, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("coverage (share of messages routed automatically)")
        ax.set_ylabel("accuracy of routed messages")
        ax.set_ylim(0, 1.01)
        ax.legend()
        ax.set_title("accuracy–coverage")
        ax.figure.tight_layout()
        return ax.figure

    def to_html(self, path: str | os.PathLike[str]) -> str:
        """Write a self-contained HTML report (tables + PNG charts inline); returns the path."""
        import matplotlib.pyplot as plt
        parts = [f"<h1>curnlp evaluation</h1><p>{html.escape(str(self.info))}</p>",
                 pd.DataFrame(self.summary()).T.to_html(float_format="%.3f")]
        figures = [self.plot_coverage()] + [self.plot_confusion(t) for t in self.targets]
        for fig in figures:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=90)
            plt.close(fig)
            parts.append(f'<img alt="chart" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">')
        for t, r in self.targets.items():
            parts.append(f"<h2>{html.escape(t)}: most confused pairs</h2>" + r.confused_pairs().to_html(index=False))
            parts.append(f"<h2>{html.escape(t)}: per class</h2>" + r.per_class().to_html(index=False,
                                                                                       float_format="%.3f"))
        page = ("<!doctype html><html><head><meta charset='utf-8'><title>curnlp report</title>"
                "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px}"
                "td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>" + "".join(parts) + "</body></html>")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
        return str(path)


def _short(label: str, width: int = 40) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


# ------------------------------------------------------------------------ the API

def _corpus(data, text, topic, group, agency, min_examples, rare) -> LabelledCorpus:
    return load_corpus(data, text=text, topic=topic, group=group, agency=agency,
                       min_examples=min_examples, rare=rare)


def _target_report(target: str, truth: Sequence[str | None], pred: Sequence[str], conf: Sequence[float],
                   munis: Sequence[str | None]) -> TargetReport:
    has = np.array([t is not None for t in truth])
    return TargetReport(target, np.asarray(truth, dtype=object)[has].astype(str),
                        np.asarray(pred, dtype=object)[has].astype(str), np.asarray(conf, dtype=float)[has],
                        np.asarray(munis, dtype=object)[has])


def _folds(prepared: Prepared, folds: int, random_state: int):
    n_groups = len(np.unique(prepared.groups))
    if folds < 2 or folds > n_groups:
        raise CorpusError(f"cannot make {folds} folds from {n_groups} distinct texts")
    return GroupKFold(folds, shuffle=True, random_state=random_state).split(prepared.records, groups=prepared.groups)


def _cross_validate_prepared(corpus: LabelledCorpus, prepared: Prepared, folds: int, random_state: int,
                             options: Mapping[str, Any], progress: bool = False) -> Report:
    n = len(corpus)
    pred = {t: np.empty(n, dtype=object) for t in corpus.labels}
    conf = {t: np.zeros(n) for t in corpus.labels}
    t0 = time.perf_counter()
    splits = list(_folds(prepared, folds, random_state))
    if progress:
        from tqdm.auto import tqdm
        splits = tqdm(splits, desc="cross-validation", unit="fold")
    for train_idx, test_idx in splits:
        labels = {t: [v[i] for i in train_idx] for t, v in corpus.labels.items()}
        clf = RoutingClassifier(random_state=random_state, **options).fit(
            [prepared.records[i] for i in train_idx], **labels)
        out = clf.predict_labels([prepared.records[i] for i in test_idx])
        for t in corpus.labels:
            pred[t][test_idx] = out[t]
            conf[t][test_idx] = out[t + "_confidence"]
    targets = {t: _target_report(t, corpus.labels[t], pred[t], conf[t], prepared.municipalities)
               for t in TARGETS if t in corpus.labels}
    return Report(targets, {"kind": "grouped cross-validation", "folds": folds, "rows": n,
                            "random_state": random_state, "seconds": round(time.perf_counter() - t0, 1)})


def cross_validate(data: pd.DataFrame | str | os.PathLike[str], *, text: str | None = None,
                   topic: str | None = None, group: str | None = None, agency: str | None = None,
                   region: Region | str | None = "kursk", folds: int = 5, random_state: int = 0,
                   min_examples: int = 2, rare: str = "other", progress: bool = False, **options: Any) -> Report:
    """Grouped k-fold cross-validation of the routing models on a labelled archive.

    Parameters are those of :func:`train`; ``folds`` is the number of folds. Every
    message is predicted once, by the model of the fold that did not see it.

    Examples
    --------
    >>> report = cross_validate("appeals.csv", text="Текст Сообщения", topic="Тематика",
    ...                         group="Категория", agency="Ответственное лицо")   # doctest: +SKIP
    >>> print(report)                                                          # doctest: +SKIP
    """
    corpus = _corpus(data, text, topic, group, agency, min_examples, rare)
    prepared = prepare(corpus.texts, region, progress)
    return _cross_validate_prepared(corpus, prepared, folds, random_state, options, progress)


def train(data: pd.DataFrame | str | os.PathLike[str], *, text: str | None = None, topic: str | None = None,
          group: str | None = None, agency: str | None = None, region: Region | str | None = "kursk",
          folds: int = 0, random_state: int = 0, min_examples: int = 2, rare: str = "other",
          review_accuracy: float = REVIEW_ACCURACY, progress: bool = False, **options: Any):
    """Train a Router on a labelled archive.

    Parameters
    ----------
    data : DataFrame or path
        The archive (CSV, JSONL, Parquet, XLSX).
    text, topic, group, agency : str
        Column names; any non-empty subset of the label columns.
    region : Region or str
        Region pack for locations and municipality (default ``"kursk"``).
    folds : int
        When ≥ 2, run grouped cross-validation first and store its metrics in the
        bundle manifest (and choose the review threshold on it).
    min_examples, rare
        Handling of classes with too few rows (see :func:`curnlp.corpus.load_corpus`).
    review_accuracy : float
        The review threshold is the lowest confidence at which the routed messages
        reach this accuracy on held-out predictions.
    **options
        Passed to :class:`curnlp.models.RoutingClassifier` (``C``, ``class_weight``, ...).

    Returns
    -------
    Router
        Ready to route; ``router.save(dir)`` writes the bundle.
    """
    from .router import Router
    t0 = time.perf_counter()
    corpus = _corpus(data, text, topic, group, agency, min_examples, rare)
    for problem in corpus.problems:
        log.warning("curnlp: %s", problem)
    reg = load_region(region or "kursk")
    prepared = prepare(corpus.texts, reg, progress)
    report = None
    if folds:
        report = _cross_validate_prepared(corpus, prepared, folds, random_state, options, progress)
        log.info("curnlp: cross-validation\n%s", report)
    classifier = RoutingClassifier(random_state=random_state, **options).fit(prepared.records, **corpus.labels)
    review_target = next(t for t in ("agency", "group", "topic") if t in classifier.targets_)
    if report is not None:
        held_out = report.targets[review_target]
        threshold, coverage = threshold_for_accuracy(held_out.confidence, held_out.correct, review_accuracy)
    else:
        confidence, correct = classifier.oof_confidence(review_target)
        threshold, coverage = threshold_for_accuracy(confidence, correct, review_accuracy)
    manifest = {
        "region": reg.name,
        "targets": list(classifier.targets_),
        "labels": {t: [str(c) for c in classifier.classes_[t]] for t in classifier.targets_},
        "topic_to_group": dict(classifier.topic_to_group_),
        "review_target": review_target,
        "review_threshold": threshold,
        "review_accuracy": review_accuracy,
        "review_coverage_held_out": coverage,
        "training": {"rows": len(corpus), "sha256": corpus.sha256, "columns": corpus.columns,
                     "problems": corpus.problems, "random_state": random_state,
                     "options": {k: repr(v) for k, v in options.items()},
                     "seconds": round(time.perf_counter() - t0, 1)},
        "metrics": ({"cross_validation": report.summary(), **report.info} if report is not None else None),
    }
    return Router(classifier, manifest, region=reg, entities=True)


def evaluate(router, data: pd.DataFrame | str | os.PathLike[str], *, text: str | None = None,
             topic: str | None = None, group: str | None = None, agency: str | None = None,
             batch_size: int = 256) -> Report:
    """Route every message of a labelled archive with ``router`` and compare with the labels.

    Labels the router does not predict are ignored; messages the router refuses
    (empty after cleaning) count as wrong with confidence 0.
    """
    corpus = load_corpus(data, text=text, topic=topic, group=group, agency=agency, rare="keep")
    t0 = time.perf_counter()
    routings = router.route_many(corpus.texts, batch_size=batch_size, errors="return")
    targets = {}
    munis = [getattr(r, "municipality", None) for r in routings]
    for t in TARGETS:
        if t not in corpus.labels or t not in router.targets:
            continue
        preds = [getattr(r, t, None) for r in routings]
        targets[t] = _target_report(t, corpus.labels[t], [p.label if p else "" for p in preds],
                                    [p.confidence if p else 0.0 for p in preds], munis)
    if not targets:
        raise CorpusError(f"none of the label columns matches the router's targets {router.targets}")
    return Report(targets, {"kind": "evaluation", "model": router.id, "rows": len(corpus),
                            "seconds": round(time.perf_counter() - t0, 1)})
