"""Retraining and evaluation: ``train``, ``cross_validate``, ``evaluate`` and their Report.

Cross-validation is grouped: messages whose clean text is identical (case and spacing
aside) always fall in the same fold, so a duplicate never sits on both sides. With a
time column, ``scheme="forward"`` trains on the earlier messages and judges on the later
ones (expanding window, several origins), which is how a model is used.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import logging
import os
import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from .corpus import LabelledCorpus, format_time, load_corpus, read_table, time_column
from . import overlap as _overlap
from .errors import CorpusError
from .features import MessageRecord
from .language import language_counts
from .metrics import accuracy_at_coverage, coverage_curve, expected_calibration_error, threshold_for_accuracy
from .models import TARGETS, RoutingClassifier
from .normalize import normalize
from .places import Region, extract_locations, load_region, resolve_municipality

__all__ = ["train", "cross_validate", "evaluate", "Report", "TargetReport", "prepare", "forward_splits",
           "agency_shares"]

log = logging.getLogger("curnlp")

#: Accuracy the routed (not flagged) messages must reach when the review threshold is chosen.
REVIEW_ACCURACY = 0.85


@dataclass
class Prepared:
    """Messages turned into classifier records once, with their municipality."""

    records: list[MessageRecord]
    municipalities: list[str | None]
    groups: np.ndarray  # duplicate groups for grouped folds
    #: False where nothing is left of a message after cleaning (no word or number)
    has_words: np.ndarray | None = None
    #: positions in the validated corpus of the rows kept (None: all)
    kept: np.ndarray | None = None


def _load_region(region: Region | str | os.PathLike[str] | None) -> Region | None:
    """A region pack, or None for "no pack" (no locations, no municipality)."""
    return None if region is None else load_region(region)


def prepare(texts: Sequence[str], region: Region | str | None = None, progress: bool = False) -> Prepared:
    """Normalize, locate and resolve every text into a classifier record.

    With ``region=None`` no gazetteer is used: no locations are looked for and every
    record's municipality is None (the agency model then learns from the text alone).
    """
    from .router import to_record
    reg = _load_region(region)
    records, munis, words = [], [], []
    iterator: Iterable[str] = texts
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(texts, desc="preparing", unit="msg")
    for text in iterator:
        doc = normalize(text)
        place = resolve_municipality(extract_locations(doc, reg), reg) if reg is not None else None
        records.append(to_record(doc, place))
        munis.append(place.name if place else None)
        words.append(any(t.kind != "punct" for t in doc.tokens))
    keys = [" ".join(r.text.lower().split()) for r in records]
    return Prepared(records, munis, pd.factorize(pd.Series(keys, dtype=object))[0], np.array(words, dtype=bool))


def _prepare_corpus(corpus: LabelledCorpus, region: Region | None, progress: bool
                    ) -> tuple[LabelledCorpus, Prepared]:
    """:func:`prepare` the corpus and drop the rows that have no words after cleaning
    (markup only, punctuation only), noting them in ``corpus.problems``."""
    prepared = prepare(corpus.texts, region, progress)
    keep = prepared.has_words
    if keep is None or keep.all():
        return corpus, prepared
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        raise CorpusError("no message has any word left after cleaning (markup, links and punctuation removed)")
    problems = corpus.problems + [f"{int((~keep).sum())} row(s) with no words after cleaning (markup or "
                                  "punctuation only) were skipped"]
    corpus = LabelledCorpus([corpus.texts[i] for i in idx], {t: [v[i] for i in idx] for t, v in corpus.labels.items()},
                            corpus.columns, corpus.sha256, problems)
    prepared = Prepared([prepared.records[i] for i in idx], [prepared.municipalities[i] for i in idx],
                        pd.factorize(prepared.groups[idx])[0], keep[idx], idx)
    return corpus, prepared


# ---------------------------------------------------------------------------- reports

@dataclass
class TargetReport:
    """Held-out predictions of one target and their metrics (rows with a true label only)."""

    target: str
    y_true: np.ndarray
    y_pred: np.ndarray
    confidence: np.ndarray
    municipality: np.ndarray
    #: the message texts (for error analysis), when known
    text: np.ndarray | None = None
    #: whether the true label is among the three most probable, when known
    top3: np.ndarray | None = None

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
        top3 = {} if self.top3 is None else {"top3_accuracy": float(np.mean(self.top3))}
        return {
            "n": int(self.n),
            "accuracy": float(self.correct.mean()),
            **top3,
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
        """The ``k`` most frequent (true, predicted) mistakes with their count and the
        share of the true class's messages they take."""
        wrong = ~self.correct
        pairs = pd.DataFrame({"true": self.y_true[wrong], "predicted": self.y_pred[wrong]})
        if pairs.empty:
            return pd.DataFrame({"true": [], "predicted": [], "count": [], "share_of_true": []})
        out = pairs.value_counts().rename("count").reset_index().head(k)
        support = pd.Series(self.y_true).value_counts()
        out["share_of_true"] = out["count"] / out["true"].map(support).to_numpy()
        return out

    def errors(self, k: int = 20) -> pd.DataFrame:
        """The ``k`` most confident mistakes: text (when known), true and predicted label,
        confidence and municipality."""
        wrong = np.flatnonzero(~self.correct)
        wrong = wrong[np.argsort(-self.confidence[wrong], kind="stable")][:k]
        out = pd.DataFrame({"true": self.y_true[wrong], "predicted": self.y_pred[wrong],
                            "confidence": self.confidence[wrong], "municipality": self.municipality[wrong]})
        if self.text is not None:
            out.insert(0, "text", self.text[wrong])
        return out

    def calibration(self, bins: int = 10) -> pd.DataFrame:
        """Reliability table: per equal-width confidence bin, the messages, their mean
        confidence and their accuracy (a calibrated model has accuracy ≈ confidence)."""
        edges = np.linspace(0, 1, bins + 1)
        which = np.minimum((self.confidence * bins).astype(int), bins - 1)
        rows = []
        for b in range(bins):
            mask = which == b
            rows.append({"bin": f"{edges[b]:.1f}–{edges[b + 1]:.1f}", "low": edges[b], "high": edges[b + 1],
                         "count": int(mask.sum()),
                         "confidence": float(self.confidence[mask].mean()) if mask.any() else np.nan,
                         "accuracy": float(self.correct[mask].mean()) if mask.any() else np.nan})
        return pd.DataFrame(rows)


@dataclass
class Report:
    """What :func:`evaluate` and :func:`cross_validate` return.

    ``targets`` maps each evaluated target to its :class:`TargetReport` (held-out labels,
    predictions, confidences and municipalities); ``info`` holds facts of the run (kind,
    folds, rows, seconds). ``str(report)`` prints the summary; in Jupyter the report shows
    as a table.

    Examples
    --------
    >>> report = cross_validate(df, text="text", group="group", agency="agency")  # doctest: +SKIP
    >>> print(report)                            # accuracy, F1, ECE, coverage per target
    >>> report.to_frame()                        # per-class precision / recall / F1 / support
    >>> report.confused_pairs("agency")          # the most frequent mistakes
    >>> report.plot_calibration()                # reliability diagram
    >>> report.to_html("report.html")            # everything in one self-contained page
    """

    targets: dict[str, TargetReport]
    info: dict[str, Any] = field(default_factory=dict)
    #: with a time column: share of each frequent label (agency, else group/topic) per time block
    shares: pd.DataFrame | None = None
    #: with a time column and a trained model: the periods of stable labelling it found
    periods: list[dict[str, Any]] | None = None

    def summary(self) -> dict[str, dict[str, float]]:
        """``{target: metrics}`` (see :meth:`TargetReport.metrics`)."""
        return {t: r.metrics() for t, r in self.targets.items()}

    def summary_frame(self) -> pd.DataFrame:
        """:meth:`summary` as a table: one row per target."""
        return pd.DataFrame(self.summary()).T.rename_axis("target")

    def metric(self, name: str, target: str = "agency") -> float:
        """One figure, e.g. ``report.metric("accuracy", "group")``."""
        return self._target(target).metrics()[name]

    def to_frame(self) -> pd.DataFrame:
        """Per-class precision, recall, F1 and support for every target."""
        return pd.concat([r.per_class() for r in self.targets.values()], ignore_index=True)

    def _target(self, target: str | None) -> TargetReport:
        if target is None:
            target = next(t for t in ("agency", "group", "topic") if t in self.targets)
        if target not in self.targets:
            raise KeyError(f"no {target!r} in this report; it has {list(self.targets)}")
        return self.targets[target]

    def confused_pairs(self, target: str | None = None, k: int = 10) -> pd.DataFrame:
        """The ``k`` most frequent (true, predicted) mistakes of ``target`` (default: the agency,
        else the last target present)."""
        return self._target(target).confused_pairs(k)

    def errors(self, target: str | None = None, k: int = 20) -> pd.DataFrame:
        """The ``k`` most confident mistakes of ``target`` (see :meth:`TargetReport.errors`)."""
        return self._target(target).errors(k)

    def calibration(self, target: str | None = None, bins: int = 10) -> pd.DataFrame:
        """Reliability table of ``target`` (see :meth:`TargetReport.calibration`)."""
        return self._target(target).calibration(bins)

    def by_municipality(self, target: str | None = None) -> pd.DataFrame:
        """Accuracy, count and mean confidence of ``target`` per resolved municipality
        (``(не определено)`` = none resolved, always the case without a region pack)."""
        r = self._target(target)
        frame = pd.DataFrame({"municipality": pd.Series(r.municipality, dtype=object).fillna("(не определено)"),
                              "correct": r.correct, "confidence": r.confidence})
        out = frame.groupby("municipality").agg(count=("correct", "size"), accuracy=("correct", "mean"),
                                                confidence=("confidence", "mean"))
        return out.sort_values("count", ascending=False, kind="stable")

    def coverage(self, target: str | None = None) -> pd.DataFrame:
        """The accuracy–coverage curve: routing only messages with confidence ≥ threshold."""
        r = self._target(target)
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
        if self.info.get("training_overlap_rows"):  # see curnlp.overlap
            rows.append(f"WARNING: {self.info['training_overlap']:.0%} of these rows ({self.info['training_overlap_rows']:,}) "
                        "were in the training data: the figures are not held-out")
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        return (f"<p>{html.escape(_describe_info(self.info))}</p>"
                + self.summary_frame().to_html(float_format="%.3f"))

    # -- plots (matplotlib figures built without pyplot: no global state, any backend) --
    def plot_confusion(self, target: str | None = None, top: int = 12, ax=None):
        """Confusion matrix of the ``top`` most frequent true classes (rows normalized);
        predictions outside them fall in the last column. Returns the Figure."""
        r = self._target(target)
        labels = list(pd.Series(r.y_true).value_counts().index[:top])
        index = {label: i for i, label in enumerate(labels)}
        m = np.zeros((len(labels), len(labels) + 1))
        for t, p in zip(r.y_true, r.y_pred):
            if t in index:
                m[index[t], index.get(p, len(labels))] += 1
        m = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
        fig, ax = _axes(ax, (9, 7.5))
        image = ax.imshow(m, cmap="Blues", vmin=0, vmax=1)
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                if m[i, j] >= 0.05:
                    ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if m[i, j] > 0.6 else "black")
        short = [_short(label) for label in labels]
        ax.set_xticks(range(len(labels) + 1), short + ["(прочие)"], rotation=75, ha="right", fontsize=7)
        ax.set_yticks(range(len(labels)), short, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{r.target}: confusion of the {len(labels)} most frequent classes (row-normalized)")
        fig.colorbar(image, ax=ax, fraction=0.04)
        fig.tight_layout()
        return fig

    def plot_coverage(self, target: str | None = None, ax=None):
        """Accuracy against coverage for each target (or one), with the 85% line. Returns the Figure."""
        fig, ax = _axes(ax, (6.5, 4.5))
        for t in [self._target(target).target] if target else list(self.targets):
            curve = self.coverage(t)
            ax.plot(curve["coverage"], curve["accuracy"], label=t)
        ax.axhline(REVIEW_ACCURACY, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("coverage (share of messages routed automatically)")
        ax.set_ylabel("accuracy of routed messages")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.01)
        ax.legend()
        ax.set_title("accuracy–coverage")
        fig.tight_layout()
        return fig

    def plot_shares(self, ax=None):
        """Stacked shares of the most frequent agencies (or groups/topics) over time, in
        equal blocks of messages: conventions (an umbrella agency replacing committees for
        a while) show as bands that come and go. Needs a time column. Returns the Figure."""
        if self.shares is None:
            raise ValueError("this report has no time column: pass time=COLUMN to cross_validate/train")
        fig, ax = _axes(ax, (10, 5))
        x = np.arange(len(self.shares))
        bottom = np.zeros(len(x))
        for label in self.shares.columns:
            values = self.shares[label].to_numpy()
            ax.bar(x, values, bottom=bottom, width=0.9, label=_short(str(label), 45))
            bottom += values
        ax.set_xticks(x, list(self.shares.index), rotation=75, ha="right", fontsize=7)
        ax.set_ylabel("share of messages")
        ax.set_ylim(0, 1)
        ax.set_title("label shares over time (equal blocks of messages)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        return fig

    def plot_calibration(self, target: str | None = None, bins: int = 10, ax=None):
        """Reliability diagram: accuracy against mean confidence per confidence bin for each
        target (or one); the diagonal is perfect calibration, the legend gives the ECE and
        the marker area the number of messages in the bin. Returns the Figure."""
        fig, ax = _axes(ax, (5.5, 5))
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="perfect")
        for t in [self._target(target).target] if target else list(self.targets):
            r = self.targets[t]
            table = r.calibration(bins).dropna()
            ece = expected_calibration_error(r.confidence, r.correct)
            ax.plot(table["confidence"], table["accuracy"], marker="o", ms=3, label=f"{t} (ECE {ece:.3f})")
            ax.scatter(table["confidence"], table["accuracy"], s=300 * table["count"] / max(r.n, 1), alpha=0.3)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("mean confidence in bin")
        ax.set_ylabel("accuracy in bin")
        ax.set_title("calibration (reliability diagram)")
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        return fig

    def to_html(self, path: str | os.PathLike[str]) -> str:
        """Write a self-contained HTML report: the summary, the accuracy–coverage and
        calibration charts, per target a confusion matrix, the most-confused pairs, the
        per-class table and the accuracy per municipality (PNG charts inline as base64).
        Returns the path."""
        parts = ["<h1>curnlp evaluation</h1>", f"<p>{html.escape(_describe_info(self.info))}</p>",
                 "<h2>summary</h2>", self.summary_frame().to_html(float_format="%.3f"),
                 _png(self.plot_coverage()), _png(self.plot_calibration())]
        if self.shares is not None:
            parts += ["<h2>labels over time</h2>", _png(self.plot_shares())]
        if self.periods:
            parts.append("<h3>periods of stable labelling</h3>" + pd.DataFrame(
                [{"start": p["start"], "end": p["end"], "rows": p["rows"],
                  "labels that differ": "; ".join(f"{k} {v:.0%}" for k, v in p["labels"].items())}
                 for p in self.periods]).to_html(index=False))
        if self.info.get("training_overlap_rows"):  # curnlp.overlap: not held-out figures
            parts.insert(1, f"<p><strong>{html.escape(str(self).splitlines()[-1])}</strong></p>")
        for t, r in self.targets.items():
            parts.append(f"<h2>{html.escape(t)}</h2>")
            parts.append(_png(self.plot_confusion(t)))
            parts.append(f"<h3>{html.escape(t)}: most confused pairs</h3>"
                         + r.confused_pairs().to_html(index=False, float_format="%.3f"))
            parts.append(f"<h3>{html.escape(t)}: calibration</h3>"
                         + r.calibration().drop(columns=["low", "high"]).to_html(index=False, float_format="%.3f"))
            parts.append(f"<h3>{html.escape(t)}: per municipality</h3>"
                         + self.by_municipality(t).to_html(float_format="%.3f"))
            parts.append(f"<h3>{html.escape(t)}: per class</h3>"
                         + r.per_class().to_html(index=False, float_format="%.3f"))
        page = ("<!doctype html><html><head><meta charset='utf-8'><title>curnlp report</title>"
                "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px}"
                "td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}</style></head><body>"
                + "\n".join(parts) + "</body></html>")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
        return str(path)


def _describe_info(info: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in info.items())


def _axes(ax, figsize):
    """(figure, axes): the given axes' figure, or a new pyplot-free Figure."""
    if ax is not None:
        return ax.figure, ax
    import sys
    from matplotlib.figure import Figure
    if "ipykernel" in sys.modules:  # let Jupyter's inline backend register its Figure display
        try:
            import matplotlib.pyplot  # noqa: F401
        except Exception:  # pragma: no cover - display only
            pass
    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def _png(fig, dpi: int = 90) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return f'<img alt="chart" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _short(label: str, width: int = 40) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


# ------------------------------------------------------------------------ the API

def _corpus(data, text, topic, group, agency, min_examples, rare) -> LabelledCorpus:
    """The validated corpus for training: every label column must have two classes or more."""
    corpus = load_corpus(data, text=text, topic=topic, group=group, agency=agency,
                         min_examples=min_examples, rare=rare)
    for target, values in corpus.labels.items():
        distinct = {v for v in values if v is not None}
        if len(distinct) < 2:
            raise CorpusError(f"label column {corpus.columns[target]!r} ({target}) has a single class "
                              f"{next(iter(distinct))!r}" + (" after merging the rare classes" if rare == "other" else "")
                              + f": nothing to learn; drop {target}= or lower min_examples")
    return corpus


def _check_options(options: Mapping[str, Any]) -> None:
    valid = sorted(set(RoutingClassifier().get_params()) - {"random_state"})
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise TypeError(f"unknown option(s) {unknown}; RoutingClassifier takes {valid}")


_prepared_cache: dict[tuple, tuple[LabelledCorpus, Prepared]] = {}


def _prepared(corpus: LabelledCorpus, region: Region | None, progress: bool) -> tuple[LabelledCorpus, Prepared]:
    """:func:`_prepare_corpus`, remembered for the last two corpora, so that ``train`` after
    ``cross_validate`` on the same data does not normalize everything again."""
    digest = hashlib.sha256("\x1e".join(corpus.texts).encode("utf-8")).hexdigest()
    key = (digest, corpus.sha256, None if region is None else (region.name, region.source, id(region)))
    hit = _prepared_cache.get(key)
    if hit is None:
        hit = _prepare_corpus(corpus, region, progress)
        while len(_prepared_cache) >= 2:
            _prepared_cache.pop(next(iter(_prepared_cache)))
        _prepared_cache[key] = hit
    return hit


def _target_report(target: str, truth: Sequence[str | None], pred: Sequence[str], conf: Sequence[float],
                   munis: Sequence[str | None], texts: Sequence[str] | None = None,
                   top3: Sequence[bool] | None = None) -> TargetReport:
    has = np.array([t is not None for t in truth], dtype=bool)
    return TargetReport(target, np.asarray(truth, dtype=object)[has].astype(str),
                        np.asarray(pred, dtype=object)[has].astype(str), np.asarray(conf, dtype=float)[has],
                        np.asarray(munis, dtype=object)[has],
                        None if texts is None else np.asarray(texts, dtype=object)[has],
                        None if top3 is None else np.asarray(top3, dtype=bool)[has])


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
        proba = clf.predict_proba(test_recs, as_of)
        out = clf.predict_labels(test_recs, as_of)
        tested[test_idx] = True
        for t in corpus.labels:
            if t in out:  # a fold whose training rows carry no label of t predicts nothing for it
                pred[t][test_idx] = out[t]
                conf[t][test_idx] = out[t + "_confidence"]
                best = clf.classes_[t][np.argsort(-proba[t], axis=1, kind="stable")[:, :3]]
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


@dataclass
class _Timed:
    """The time column of a training run: parsed values (aligned with the prepared rows),
    their kind and the column name as found."""

    values: np.ndarray
    kind: str
    column: str

    def format(self, value: float) -> str:
        return format_time(value, self.kind)


def _load_training_data(data, text, topic, group, agency, min_examples, rare, time_col, reg, progress
                        ) -> tuple[LabelledCorpus, Prepared, _Timed | None]:
    """Validated corpus, prepared rows and (with ``time_col``) the parsed times of the rows kept."""
    timed = None
    if time_col is not None:
        if not isinstance(time_col, str):
            raise CorpusError(f"time= must be a column name (str), got {type(time_col).__name__}")
        frame = read_table(data) if isinstance(data, (str, os.PathLike)) else data
        if not isinstance(frame, pd.DataFrame):
            raise CorpusError(f"expected a pandas DataFrame or a file path, got {type(data).__name__}")
        values, kind, found = time_column(frame, time_col, text)
        timed = _Timed(values, kind, found)
        data = frame
    corpus = _corpus(data, text, topic, group, agency, min_examples, rare)
    corpus, prepared = _prepared(corpus, reg, progress)
    if timed is not None and prepared.kept is not None:
        timed = _Timed(timed.values[prepared.kept], timed.kind, timed.column)
    for problem in corpus.problems:
        log.warning("curnlp: %s", problem)
    return corpus, prepared, timed


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
    >>> report = cross_validate("appeals.csv", text="Текст Сообщения", topic="Тематика",
    ...                         group="Категория", agency="Ответственное лицо",
    ...                         region="kursk")                           # doctest: +SKIP
    >>> print(report)                                                    # doctest: +SKIP
    >>> forward = cross_validate("appeals.csv", ..., time="id", scheme="forward")  # doctest: +SKIP
    """
    _check_options(options)
    if folds is None:
        folds = 4 if scheme == "forward" else 5
    corpus, prepared, timed = _load_training_data(data, text, topic, group, agency, min_examples, rare, time,
                                                  _load_region(region), progress)
    report = _cross_validate_prepared(corpus, prepared, folds, random_state, options, progress,
                                      None if timed is None else timed.values, scheme, test_size)
    return report if timed is None else _timeline(report, corpus, timed)


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
    >>> router = train("export.xlsx", text="Текст обращения", group="Категория",
    ...                agency="Муниципалитет", folds=5)                  # doctest: +SKIP
    >>> router.save("models/belgorod")                                   # doctest: +SKIP
    """
    from .router import Router
    _check_options(options)
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


def _fast(router):
    """The router without named entities (they play no part in the labels evaluated)."""
    from .router import Router
    if isinstance(router, Router) and router.entities:
        return Router(router.model, router.manifest, region=router.region, entities=False,
                      max_length=router.max_length, path=router.path)
    return router


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
    >>> report = evaluate(curnlp.load("models/belgorod"), "held_out.csv", text="Текст обращения",
    ...                   agency="Муниципалитет")                      # doctest: +SKIP
    >>> report.to_html("report.html")                                  # doctest: +SKIP
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
    fast = _fast(router)
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
