"""Held-out predictions and their figures: :class:`TargetReport` per target and the
:class:`Report` that :func:`~curnlp.training.evaluate` and :func:`~curnlp.training.cross_validate`
return (summary, per-class table, confused pairs, calibration, plots, HTML)."""
from __future__ import annotations

import base64
import io
import math
import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_fscore_support

from ..analytics import _html as H
from ..metrics import accuracy_at_coverage, coverage_curve, expected_calibration_error, threshold_for_accuracy

#: Accuracy the routed (not flagged) messages must reach when the review threshold is chosen.
REVIEW_ACCURACY = 0.85

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
    folds, rows, seconds). ``str(report)`` prints the summary in Russian, one line per
    target; in Jupyter the report shows as a Russian table. The data frames (``summary_frame``,
    ``to_frame``, ``confused_pairs``...) keep English column names: they are for code.

    Examples
    --------
    >>> from curnlp.sample import sample_archive
    >>> from curnlp.training import cross_validate
    >>> report = cross_validate(sample_archive(64), text="Текст обращения", agency="Исполнитель", folds=2)
    >>> report.metric("accuracy", "agency") > 0.8          # also str(report): every figure per target
    True
    >>> report.to_frame().columns.tolist()                # per-class table
    ['target', 'label', 'precision', 'recall', 'f1', 'support']
    >>> report.confused_pairs("agency").columns.tolist()  # the most frequent mistakes
    ['true', 'predicted', 'count', 'share_of_true']
    >>> fig = report.plot_calibration()                   # reliability diagram (a matplotlib Figure)

    ``report.to_html("report.html")`` writes everything in one self-contained Russian page.
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
        frame = pd.DataFrame(self.summary()).T.rename_axis("target")
        if "n" in frame:  # a count, not a float of the mixed-type transpose
            frame["n"] = frame["n"].fillna(0).astype(int)
        return frame

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

    def overlap_warning(self) -> str | None:
        """The Russian warning that some evaluated rows were in the training data
        (:mod:`curnlp.overlap`), or None when the figures are held-out."""
        rows = self.info.get("training_overlap_rows")
        if not rows:
            return None
        return (f"ВНИМАНИЕ: {_share(self.info.get('training_overlap'))} этих строк ({H.n(rows)}) были в обучающих "
                "данных — цифры завышены, это не проверка на новых сообщениях")

    def __str__(self) -> str:
        """One compact Russian line per target (counts as integers, shares in percents)."""
        rows = []
        width = max((len(_target_name(t)) for t in self.targets), default=0)
        for t, m in self.summary().items():
            if m.get("n"):
                top3 = f"  в тройке {_share(m['top3_accuracy'])}" if "top3_accuracy" in m else ""
                rows.append(f"{_target_name(t):{width}}  n={H.n(m['n'])}  верных {_share(m['accuracy'])}{top3}  "
                            f"F1 взв. {_decimal(m['weighted_f1'])}  F1 макро {_decimal(m['macro_f1'])}  "
                            f"ECE {_share(m['ece'])}  верных при охвате 80% {_share(m['accuracy_at_80_coverage'])}  "
                            f"порог для 85% верных {_decimal(m['threshold_for_85_accuracy'], 2)} "
                            f"(охват {_share(m['coverage_at_85_accuracy'])})")
        if self.overlap_warning():
            rows.append(self.overlap_warning())
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        return f'<p class="note">{H.e(_describe_info(self.info))}</p>' + self._summary_table()

    def _summary_table(self) -> str:
        summary = self.summary()
        shown = [k for k in _METRICS if any(k in m for m in summary.values())]
        rows = [(_target_name(t), *(_format_metric(k, m.get(k)) for k in shown)) for t, m in summary.items()]
        return f'<div class="wide">{H.table(["Что", *(_METRICS[k] for k in shown)], rows)}</div>'

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
                    ax.text(j, i, _decimal(m[i, j], 2), ha="center", va="center", fontsize=6,
                            color="white" if m[i, j] > 0.6 else "black")
        short = [_short(label) for label in labels]
        ax.set_xticks(range(len(labels) + 1), short + ["(прочие)"], rotation=75, ha="right", fontsize=7)
        ax.set_yticks(range(len(labels)), short, fontsize=7)
        ax.set_xlabel("предсказано")
        ax.set_ylabel("верно")
        ax.set_title(f"{_target_name(r.target)}: ошибки среди {len(labels)} самых частых классов (доли по строкам)")
        fig.colorbar(image, ax=ax, fraction=0.04)
        fig.tight_layout()
        return fig

    def plot_coverage(self, target: str | None = None, ax=None):
        """Accuracy against coverage for each target (or one), with the 85% line. Returns the Figure."""
        fig, ax = _axes(ax, (6.5, 4.5))
        for t in [self._target(target).target] if target else list(self.targets):
            curve = self.coverage(t)
            ax.plot(curve["coverage"], curve["accuracy"], label=_target_name(t))
        ax.axhline(REVIEW_ACCURACY, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("охват (доля сообщений, распределённых автоматически)")
        ax.set_ylabel("доля верных среди распределённых")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.01)
        ax.legend()
        ax.set_title("Доля верных и охват")
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
        ax.set_ylabel("доля сообщений")
        ax.set_ylim(0, 1)
        ax.set_title("Доли меток во времени (равные блоки сообщений)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        return fig

    def plot_calibration(self, target: str | None = None, bins: int = 10, ax=None):
        """Reliability diagram: accuracy against mean confidence per confidence bin for each
        target (or one); the diagonal is perfect calibration, the legend gives the ECE and
        the marker area the number of messages in the bin. Returns the Figure."""
        fig, ax = _axes(ax, (5.5, 5))
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="идеальная калибровка")
        for t in [self._target(target).target] if target else list(self.targets):
            r = self.targets[t]
            table = r.calibration(bins).dropna()
            ece = expected_calibration_error(r.confidence, r.correct)
            ax.plot(table["confidence"], table["accuracy"], marker="o", ms=3, label=f"{_target_name(t)} (ECE {_share(ece)})")
            ax.scatter(table["confidence"], table["accuracy"], s=300 * table["count"] / max(r.n, 1), alpha=0.3)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("средняя уверенность в интервале")
        ax.set_ylabel("доля верных в интервале")
        ax.set_title("Калибровка (диаграмма надёжности)")
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        return fig

    def to_html(self, path: str | os.PathLike[str]) -> str:
        """Write a self-contained Russian HTML page in the style of the other curnlp reports:
        the summary, the accuracy–coverage and calibration charts, per target a confusion
        matrix, the most frequent mistakes, the calibration table, the accuracy per
        municipality and the per-class table (charts inline as base64 PNG). Returns the path."""
        parts = ["<h1>Оценка модели curnlp</h1>", f'<p class="note">{H.e(_describe_info(self.info))}</p>']
        if self.overlap_warning():  # curnlp.overlap: not held-out figures
            parts.append(f'<div class="alert">{H.e(self.overlap_warning())}</div>')
        summary = self.summary()
        parts.append('<div class="kpi">' + "".join(
            f"<div><b>{_share(m['accuracy'])}</b>{H.e(_target_name(t))}: доля верных из {H.n(m['n'])}</div>"
            for t, m in summary.items() if m.get("n")) + "</div>")
        parts += ["<h2>Сводка</h2>", self._summary_table(), f'<p class="note">{H.e(_LEGEND)}</p>',
                  H.img(_b64(self.plot_coverage()), "Доля верных и охват"),
                  H.img(_b64(self.plot_calibration()), "Калибровка")]
        if self.shares is not None:
            parts += ["<h2>Метки во времени</h2>", H.img(_b64(self.plot_shares()), "Доли меток во времени")]
        if self.periods:
            parts.append("<h3>Периоды устойчивой разметки</h3>" + H.table(
                ["Период", "С", "По", "Строк", "Метки, доля которых отличается"],
                [(i, p["start"], p["end"], H.n(p["rows"]), "; ".join(f"{k} {_share(v)}" for k, v in p["labels"].items()))
                 for i, p in enumerate(self.periods, 1)], numeric_to=4))
        for t, r in self.targets.items():
            name = _target_name(t)
            parts += [f"<h2>{H.e(name)}</h2>", H.img(_b64(self.plot_confusion(t)), f"{name}: матрица ошибок")]
            pairs = r.confused_pairs()
            parts.append(f"<h3>{H.e(name)}: частые ошибки</h3>" + H.table(
                ["Верно", "Предсказано", "Сообщений", "Доля от верного класса"],
                [(a, b, H.n(c), _share(x)) for a, b, c, x in pairs.itertuples(index=False)], numeric_from=2))
            parts.append(f"<h3>{H.e(name)}: калибровка</h3>" + H.table(
                ["Уверенность", "Сообщений", "Средняя уверенность", "Доля верных"],
                [(row.bin.replace(".", ","), H.n(row.count), _share(row.confidence), _share(row.accuracy))
                 for row in r.calibration().itertuples(index=False)]))
            munis = self.by_municipality(t)
            parts.append(f"<h3>{H.e(name)}: по муниципалитетам</h3>" + H.table(
                ["Муниципалитет", "n", "Доля верных", "Средняя уверенность"],
                [(m, H.n(row.count), _share(row.accuracy), _share(row.confidence))
                 for m, row in zip(munis.index, munis.itertuples(index=False))]))
            parts.append(f"<h3>{H.e(name)}: по классам</h3>" + H.table(
                ["Класс", "Точность", "Полнота", "F1", "n"],
                [(row.label, _share(row.precision), _share(row.recall), _decimal(row.f1), H.n(row.support))
                 for row in r.per_class().itertuples(index=False)]))
        H.write_page(H.page("Оценка модели curnlp", parts), path)
        return str(path)


#: Russian names of the summary figures, in the order they are shown.
_METRICS = {"n": "n", "accuracy": "Доля верных", "top3_accuracy": "Верный в тройке лучших",
            "weighted_f1": "F1 взвешенная", "macro_f1": "F1 макро", "ece": "Ошибка калибровки (ECE)",
            "accuracy_at_80_coverage": "Доля верных при охвате 80%",
            "threshold_for_85_accuracy": "Порог для 85% верных", "coverage_at_85_accuracy": "Охват при этом пороге"}
_LEGEND = ("Доля верных — доля сообщений, где предсказание совпало с разметкой. F1 взвешенная учитывает "
           "классы по числу их сообщений, F1 макро — все классы поровну (редкие классы тянут её вниз). "
           "Ошибка калибровки — насколько уверенность модели расходится с долей верных. Охват — доля "
           "сообщений, которые распределяются без проверки человеком: сообщения с уверенностью ниже "
           "порога идут на проверку. Точность класса — доля верных среди отнесённых к нему, полнота — "
           "доля его сообщений, которые модель нашла.")
_TARGET_NAMES = {"topic": "Тема", "group": "Группа", "agency": "Исполнитель"}
_KINDS = {"evaluation": "проверка на размеченном архиве",
          "grouped cross-validation": "перекрёстная проверка (похожие сообщения в одном блоке)",
          "forward cross-validation": "проверка вперёд во времени (обучение на прошлом, проверка на будущем)"}
_INFO = {"model": "модель", "folds": "блоков", "rows": "строк", "refused": "не обработано",
         "test_size": "доля проверочного блока", "time_column": "столбец времени", "random_state": "зерно"}
_HIDDEN = {"kind", "training_overlap", "training_overlap_rows", "time_aware", "seconds"}


def _target_name(target: str) -> str:
    return _TARGET_NAMES.get(target, target)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _share(value: Any) -> str:
    """A share in percents with a decimal comma (``91,3%``), ``—`` when unknown."""
    return "—" if _missing(value) else H.pct(float(value), 1)


def _decimal(value: Any, digits: int = 3) -> str:
    """A number in [0, 1] that is not a share of messages (F1, a threshold) with a decimal comma."""
    return "—" if _missing(value) else f"{float(value):.{digits}f}".replace(".", ",")


def _format_metric(name: str, value: Any) -> str:
    if name == "n":
        return H.n(value or 0)
    if name in ("weighted_f1", "macro_f1"):
        return _decimal(value)
    if name == "threshold_for_85_accuracy":
        return _decimal(value, 2)
    return _share(value)


def _describe_info(info: Mapping[str, Any]) -> str:
    """The facts of the run in Russian words, e.g. «проверка на размеченном архиве; модель
    a7f0…; строк: 358; не обработано: 0; 12,5 с»."""
    words = [_KINDS.get(str(info["kind"]), str(info["kind"]))] if "kind" in info else []
    for key, value in info.items():
        if key in _HIDDEN:
            continue
        if key in ("rows", "refused", "folds"):
            value = H.n(value)
        elif key == "test_size" and isinstance(value, float) and value < 1:
            value = _share(value)
        words.append(f"модель {value}" if key == "model" else f"{_INFO.get(key, key)}: {value}")
    if info.get("time_aware"):
        words.append("с учётом времени")
    if "seconds" in info:
        words.append(f"{_decimal(info['seconds'], 1)} с")
    return "; ".join(words)


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


def _b64(fig) -> str:
    """A report figure as base64 PNG (at the report's resolution, not the analytics pages')."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _short(label: str, width: int = 40) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _target_report(target: str, truth: Sequence[str | None], pred: Sequence[str], conf: Sequence[float],
                   munis: Sequence[str | None], texts: Sequence[str] | None = None,
                   top3: Sequence[bool] | None = None) -> TargetReport:
    has = np.array([t is not None for t in truth], dtype=bool)
    return TargetReport(target, np.asarray(truth, dtype=object)[has].astype(str),
                        np.asarray(pred, dtype=object)[has].astype(str), np.asarray(conf, dtype=float)[has],
                        np.asarray(munis, dtype=object)[has],
                        None if texts is None else np.asarray(texts, dtype=object)[has],
                        None if top3 is None else np.asarray(top3, dtype=bool)[has])


