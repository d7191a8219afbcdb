"""Stage 3c: a fitted :class:`curnlp.models.RoutingClassifier` as plain numpy arrays,
which is what the router runs.

Training needs scikit-learn; routing does not. Importing scikit-learn (and the parts of
scipy it pulls in) takes longer than everything else a service loads, so a bundle
also stores the classifier compiled into a :class:`Predictor`: the TF-IDF vocabularies
and idf weights, the linear models' weights (transposed: one row per feature, so a
message's few features are a gather), the calibration constants, the topic→group
hierarchy and the periods. Unpickling it imports numpy and this module only.

The predictor computes exactly what :meth:`RoutingClassifier.predict_explained` computes
(the same features in the same columns, the same decision rule); the tests compare the
two on the corpus. Bundles whose vectorizer it cannot mirror (a custom transformer, a
tokenizer function) have no predictor and are served by the classifier itself.

>>> from curnlp.models import RoutingClassifier
>>> from curnlp.normalize import normalize
>>> from curnlp.pipeline import to_record
>>> from curnlp.sample import messages
>>> rows = messages(64)
>>> records = [to_record(normalize(text), None) for text, *_ in rows]
>>> classifier = RoutingClassifier().fit(records, agency=[r[3] for r in rows])
>>> predictor = Predictor.from_classifier(classifier)
>>> record = to_record(normalize("Не вывозят мусор, баки переполнены"), None)
>>> predictor.predict([record])[0]["agency"].label == classifier.predict([record])[0]["agency"].label
True
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .errors import InvalidInput
from .layout import AgencyLayout
from .records import OTHER, MessageRecord, Period, as_records, char_doc, lemma_doc, period_of

__all__ = ["Prediction", "Predictor", "NotCompilable", "compile_bundle"]

#: rows whose feature x class products are summed at once (bounds the temporary memory)
_CHUNK = 64


def _plain(value: Any) -> Any:
    """``value`` with np.memmap arrays (also inside a dict) viewed as plain ndarrays."""
    if isinstance(value, np.memmap):
        return np.asarray(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class NotCompilable(TypeError):
    """The classifier uses a part the predictor cannot mirror (it is served as it is)."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """One target's decision: ``label``, its calibrated ``confidence`` and the
    runners-up as ``[(label, probability), ...]``, most probable first."""

    label: str
    confidence: float
    alternatives: list[tuple[str, float]]

    def to_dict(self) -> dict:
        return {"label": self.label, "confidence": round(self.confidence, 4),
                "alternatives": [[label, round(p, 4)] for label, p in self.alternatives]}


# ------------------------------------------------------------------ calibration maths
# shared with curnlp.models, which fits the constants these functions apply

def softmax(d: np.ndarray, t: float) -> np.ndarray:
    """Row-wise softmax of decision values ``d`` at temperature ``1 / t``."""
    z = d * t
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


def apply_top1(proba: np.ndarray, ab: tuple[float, float]) -> np.ndarray:
    """Replace each row's top probability by its Platt-scaled value; rescale the rest."""
    a, b = ab
    if (a, b) == (1.0, 0.0):
        return proba
    out = proba.copy()
    j = proba.argmax(axis=1)
    r = np.arange(len(proba))
    top = proba[r, j]
    new = 1.0 / (1.0 + np.exp(-(a * logit(top) + b)))
    rest = np.where(top < 1, (1 - new) / np.maximum(1 - top, 1e-12), 0.0)
    out *= rest[:, None]
    out[r, j] = new
    out /= out.sum(axis=1, keepdims=True)
    return out


def recalibrated(proba: np.ndarray, ab: tuple[float, float] | None) -> np.ndarray:
    """A further top-1 Platt scaling (:meth:`RoutingClassifier.recalibrate`) that never
    changes the decision: the top probability stays at least as high as the runner-up."""
    if ab is None or proba.shape[1] < 2:
        return proba
    part = np.partition(proba, -2, axis=1)
    top, second = part[:, -1], part[:, -2]
    floor = second / np.maximum(1 - top + second, 1e-12)
    a, b = ab
    new = np.maximum(1.0 / (1.0 + np.exp(-(a * logit(top) + b))), floor)
    out = proba * np.where(top < 1, (1 - new) / np.maximum(1 - top, 1e-12), 0.0)[:, None]
    r = np.arange(len(proba))
    out[r, proba.argmax(axis=1)] = new
    return out / out.sum(axis=1, keepdims=True)


def group_proba(p_topic, p_group, n_groups: int, direct_pos, topic_group_matrix, group_mix: float) -> np.ndarray:
    """Group probabilities: the direct group model (its classes at ``direct_pos``) mixed
    with the topic probabilities summed per group (``group_mix`` : ``1 - group_mix``)."""
    out = np.zeros((p_group.shape[0], n_groups))
    out[:, direct_pos] = p_group
    if p_topic is None or topic_group_matrix is None:
        return out
    agg = p_topic @ topic_group_matrix
    mass = agg.sum(axis=1, keepdims=True)
    agg = np.where(mass > 0, agg / np.maximum(mass, 1e-12), out)
    return group_mix * out + (1 - group_mix) * agg


def reported(proba: dict[str, np.ndarray], classes: dict[str, Sequence], topic_group_index,
             agency_allowed: np.ndarray | None = None, agency_own: np.ndarray | None = None
             ) -> dict[str, np.ndarray]:
    """The distribution each target's label is chosen from and reported with: the calibrated
    probabilities without the merged rare class (:data:`~curnlp.records.OTHER`, never a
    decision) and, for the topic, without the topics of the other groups than the chosen
    one (the group agrees with the topic by the choice of distribution). Probabilities are
    not renormalized: a label's confidence stays its calibrated probability, and the label
    is the argmax of the distribution its alternatives come from. ``agency_allowed`` (a bool
    per row and agency class, from :class:`curnlp.territory.Territories`) takes out the
    agencies of other municipalities than the message's."""
    out = {}
    for t, p in proba.items():
        names = classes[t]
        other = next((j for j, c in enumerate(names) if c == OTHER), None) if len(names) > 1 else None
        if other is not None:
            p = p.copy()
            p[:, other] = 0.0
        out[t] = p
    if agency_allowed is not None and "agency" in out:
        p = out["agency"]
        moved = np.where(agency_allowed, 0.0, p).sum(axis=1)
        out["agency"] = p = np.where(agency_allowed, p, 0.0)
        if agency_own is not None:
            rows = np.flatnonzero(agency_own >= 0)
            p[rows, agency_own[rows]] += moved[rows]
    if "topic" in out and "group" in out and topic_group_index is not None:
        chosen = out["group"].argmax(axis=1)
        allowed = (topic_group_index[None, :] == chosen[:, None]) | (topic_group_index[None, :] < 0)
        out["topic"] = np.where(allowed, out["topic"], 0.0)
    return out


def decide(proba: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Chosen class index per row and target: the argmax of each :func:`reported` distribution."""
    return {t: p.argmax(axis=1) for t, p in proba.items()}


def predictions(proba: dict[str, np.ndarray], idx: dict[str, np.ndarray], classes: dict[str, Sequence],
                top: int) -> list[dict[str, Prediction]]:
    """:class:`Prediction` s per row: the chosen label, its probability, the next ``top - 1``."""
    n = len(next(iter(proba.values()))) if proba else 0
    rows = np.arange(n)
    columns = {}
    for t, p in proba.items():
        names = classes[t] if isinstance(classes[t], list) else [str(c) for c in classes[t]]
        order = np.argsort(-p, axis=1, kind="stable")[:, :top]
        chosen = idx[t]
        labels = [names[j] for j in chosen.tolist()]
        confidence = p[rows, chosen].tolist()
        if top > 1 and order.shape[1] >= top:
            # runners-up: the first top - 1 classes of ``order`` other than the chosen one
            # (a stable sort puts the chosen class, where it is among them, last)
            alt = np.take_along_axis(order, np.argsort(order == chosen[:, None], axis=1, kind="stable")[:, :top - 1],
                                     axis=1)
            alt_names = np.asarray(names, dtype=object)[alt].tolist()
            alt_p = np.take_along_axis(p, alt, axis=1).tolist()
            columns[t] = [Prediction(label, conf, [(n_, q_) for n_, q_ in zip(a, q) if q_ > 0])
                          for label, conf, a, q in zip(labels, confidence, alt_names, alt_p)]
        else:  # fewer classes than asked for, or none
            columns[t] = [
                Prediction(label, conf, [(names[m], float(q)) for m, q in zip(o, p_o) if m != j and q > 0][:top - 1])
                for label, j, conf, o, p_o in zip(labels, chosen.tolist(), confidence, order.tolist(),
                                                  np.take_along_axis(p, order, axis=1).tolist())]
    return [{t: columns[t][i] for t in proba} for i in range(n)]


def top_contributions(indices: np.ndarray, values: np.ndarray, weights: np.ndarray, k: int,
                      name) -> list[tuple[str, float]]:
    """The ``k`` largest positive value × weight products as ``[(name(index), product)]``."""
    contrib = values * weights
    order = np.argsort(-contrib, kind="stable")[:k]  # ties: the earlier feature first
    return [(name(int(indices[i])), float(contrib[i])) for i in order if contrib[i] > 0]


def _top_columns(V: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of the ``k`` largest values, largest first, ties: the earlier
    column first (what a stable sort gives, without sorting whole rows)."""
    k = min(k, V.shape[1])
    if k == 0:
        return np.zeros((len(V), 0), dtype=np.int64)
    part = np.argpartition(-V, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(V, part, axis=1)
    top = np.take_along_axis(part, np.lexsort((part, -values), axis=1), axis=1)
    # rows where the k-th value is tied with a column left out: the partition chose among
    # equals arbitrarily, so those rows (rare) are sorted whole
    kth = values.min(axis=1, keepdims=True)
    tied = (V == kth).sum(axis=1) != (values == kth).sum(axis=1)
    if tied.any():
        top[tied] = np.argsort(-V[tied], axis=1, kind="stable")[:, :k]
    return top


# ------------------------------------------------------------------ sparse rows

@dataclass(frozen=True, slots=True)
class Rows:
    """Sparse rows in CSR form (``indptr``, ``indices``, ``data``) without scipy."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.indptr[i], self.indptr[i + 1]
        return self.indices[a:b], self.data[a:b]

    @classmethod
    def stack(cls, rows: Sequence[tuple[np.ndarray, np.ndarray]], dtype) -> "Rows":
        sizes = np.fromiter((len(i) for i, _ in rows), dtype=np.int64, count=len(rows))
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        if not rows or not indptr[-1]:
            return cls(indptr, np.zeros(0, np.int64), np.zeros(0, dtype))
        return cls(indptr, np.concatenate([i for i, _ in rows]).astype(np.int64, copy=False),
                   np.concatenate([v for _, v in rows]).astype(dtype, copy=False))

    @classmethod
    def hstack(cls, blocks: Sequence["Rows"]) -> "Rows":
        """Blocks of the same rows side by side (their columns already offset)."""
        return cls.stack([(np.concatenate([b.row(i)[0] for b in blocks]), np.concatenate([b.row(i)[1] for b in blocks]))
                          for i in range(len(blocks[0]))], blocks[0].data.dtype)

    def dot(self, weights_t: np.ndarray) -> np.ndarray:
        """``rows @ weights_t`` for ``weights_t`` of shape (features, classes)."""
        n, c = len(self), weights_t.shape[1]
        out = np.zeros((n, c), dtype=np.result_type(self.data.dtype, weights_t.dtype))
        for lo in range(0, n, _CHUNK):
            hi = min(n, lo + _CHUNK)
            a, b = self.indptr[lo], self.indptr[hi]
            if a == b:
                continue
            starts = self.indptr[lo:hi] - a
            filled = np.flatnonzero(self.indptr[lo + 1:hi + 1] > self.indptr[lo:hi])
            prod = weights_t[self.indices[a:b]] * self.data[a:b, None]
            out[lo + filled] = np.add.reduceat(prod, starts[filled], axis=0)
        return out


# ------------------------------------------------------------------ text features

class _Tfidf:
    """A fitted ``TfidfVectorizer`` (word or char_wb analyzer) as a vocabulary and idf."""

    def __init__(self, vec: Any, docs):
        p = vec.get_params()
        unsupported = {k: p[k] for k in ("tokenizer", "preprocessor", "strip_accents", "vocabulary")
                       if p.get(k) is not None}
        if p["analyzer"] not in ("word", "char_wb") or unsupported or p.get("input") != "content" \
                or p.get("norm") not in ("l2", None) or p["analyzer"] == "word" and p.get("stop_words"):
            raise NotCompilable(f"a TfidfVectorizer with analyzer={p['analyzer']!r} {unsupported or ''}")
        self.docs = docs  # record -> the document this block reads (lemma_doc or char_doc)
        self.analyzer = p["analyzer"]
        self.token_pattern = re.compile(p["token_pattern"]) if self.analyzer == "word" else None
        self.lowercase = bool(p["lowercase"])
        self.ngram_range = tuple(p["ngram_range"])
        self.binary, self.sublinear, self.norm = bool(p["binary"]), bool(p["sublinear_tf"]), p["norm"]
        self.vocabulary = dict(vec.vocabulary_)
        self.idf = np.asarray(vec.idf_, np.float32) if p["use_idf"] else None

    def _terms(self, doc: str) -> list[str]:
        if self.lowercase:
            doc = doc.lower()
        lo, hi = self.ngram_range
        if self.analyzer == "word":
            # "\S+" (curnlp's pattern: lemmas joined by spaces) splits as str.split() does, in C
            tokens = doc.split() if self.token_pattern.pattern == r"\S+" else self.token_pattern.findall(doc)
            if hi == 1:
                return tokens
            out = list(tokens) if lo == 1 else []
            for n in range(max(lo, 2), min(hi, len(tokens)) + 1):
                out += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
            return out
        out = []
        for w in re.sub(r"\s\s+", " ", doc).split():
            w = " " + w + " "
            for n in range(lo, hi + 1):
                if len(w) <= n:  # a short word counts once, whole
                    out.append(w)
                    break
                out += [w[i:i + n] for i in range(len(w) - n + 1)]
        return out

    def rows(self, docs: Sequence[str]) -> Rows:
        """TF-IDF rows of ``docs``, as ``TfidfVectorizer.transform`` computes them."""
        vocab = self.vocabulary
        ids = [[j for j in map(vocab.get, self._terms(doc)) if j is not None] for doc in docs]
        width = max(len(self.vocabulary), 1)
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        keys = np.repeat(np.arange(len(ids), dtype=np.int64) * width, lengths)
        keys += np.fromiter((j for row in ids for j in row), dtype=np.int64, count=int(lengths.sum()))
        keys, counts = np.unique(keys, return_counts=True)  # sorted: by row, then column
        row_of, indices = np.divmod(keys, width)
        indptr = np.searchsorted(row_of, np.arange(len(ids) + 1))
        val = counts.astype(np.float32)
        if self.binary:
            val[:] = 1
        if self.sublinear:
            val = np.log(val) + np.float32(1)
        if self.idf is not None:
            val *= self.idf[indices]
        if self.norm == "l2" and len(val):
            # as scikit-learn does it: float32 squares summed in float64, divided in float64
            filled = np.flatnonzero(np.diff(indptr))
            norms = np.ones(len(ids))
            norms[filled] = np.sqrt(np.add.reduceat((val * val).astype(np.float64), indptr[filled]))
            val = (val / np.repeat(norms, np.diff(indptr))).astype(np.float32)
        return Rows(indptr, indices, val)


class _TextFeatures:
    """A fitted :class:`curnlp.features.MessageVectorizer`: blocks side by side."""

    def __init__(self, vectorizer: Any):
        from .features import MessageVectorizer  # compiling runs at training time: scikit-learn is there
        if type(vectorizer) is not MessageVectorizer:
            raise NotCompilable(f"vectorizer {type(vectorizer).__name__}")
        self.blocks: list[tuple[_Tfidf, float, int]] = []
        offset = 0
        for vec, docs, weight in ((vectorizer.word_, lemma_doc, 1.0),
                                  (getattr(vectorizer, "char_", None), char_doc, vectorizer.char_weight)):
            if vec is not None:
                self.blocks.append((_Tfidf(vec, docs), float(weight), offset))
                offset += len(vec.vocabulary_)
        enc = getattr(vectorizer, "municipality_", None)
        self.municipality = None
        if enc is not None:
            self.municipality = (dict(enc.vocabulary_), float(vectorizer.municipality_weight), offset)
            offset += len(enc.vocabulary_)
        self.width = offset

    def rows(self, recs: Sequence[MessageRecord]) -> Rows:
        blocks = []
        for tfidf, weight, offset in self.blocks:
            r = tfidf.rows([tfidf.docs(rec) for rec in recs])
            blocks.append(Rows(r.indptr, r.indices + offset, r.data * np.float32(weight) if weight != 1.0 else r.data))
        if self.municipality is not None:
            vocab, weight, offset = self.municipality
            cols = [vocab.get(rec.municipality) if rec.municipality else None for rec in recs]
            has = np.array([c is not None for c in cols], dtype=np.int64)
            blocks.append(Rows(np.concatenate([[0], np.cumsum(has)]),
                               np.array([offset + c for c in cols if c is not None], dtype=np.int64),
                               np.full(int(has.sum()), weight, np.float32)))
        return blocks[0] if len(blocks) == 1 else Rows.hstack(blocks)


# ------------------------------------------------------------------ the predictor

class _Linear:
    """One head: weights (features x classes), intercepts, temperature, top-1 calibration."""

    def __init__(self, head: Any):
        self.classes = np.asarray(head.classes_)
        self.weights_t = np.ascontiguousarray(np.asarray(head.coef_, np.float32).T)
        self.intercept = np.asarray(head.intercept_, np.float64)
        self.temperature = float(head.temperature_)
        self.top1 = tuple(float(v) for v in head.top1_)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({k: _plain(v) for k, v in state.items()})

    def proba(self, rows: Rows) -> np.ndarray:
        return self.proba_from(rows.dot(self.weights_t))

    def proba_from(self, decision: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from decision values without the intercept."""
        d = decision.astype(np.float64) + self.intercept
        return apply_top1(softmax(d, self.temperature), self.top1)


class Predictor:
    """What a fitted :class:`~curnlp.models.RoutingClassifier` computes, from numpy arrays
    only. Build it with :meth:`from_classifier`; it offers the classifier's prediction
    methods (``predict``, ``predict_proba``, ``predict_explained``, ``explain``) with the
    same arguments and results, and its ``targets_``, ``classes_`` and ``periods_``."""

    def __init__(self) -> None:  # use from_classifier
        self.targets_: tuple[str, ...] = ()

    @classmethod
    def from_classifier(cls, clf: Any) -> "Predictor":
        """Compile a fitted classifier (its arrays are copied; later changes to it, such as
        :meth:`~curnlp.models.RoutingClassifier.recalibrate`, need a new predictor).

        Raises NotCompilable when the classifier's vectorizer is not a
        :class:`~curnlp.features.MessageVectorizer` of word / char_wb TF-IDF blocks."""
        if not hasattr(clf, "heads_"):
            raise InvalidInput("the classifier is not fitted")
        self = cls()
        self.text = _TextFeatures(clf.vectorizer_)
        self.heads = {t: _Linear(h) for t, h in clf.heads_.items()}
        self.targets_ = tuple(clf.targets_)
        self.classes_ = {t: np.asarray(c) for t, c in clf.classes_.items()}
        self.periods_: list[Period] | None = list(clf.periods_) if getattr(clf, "periods_", None) else None
        self.recalibration = dict(getattr(clf, "recalibration_", {}) or {})
        self.text_names = [str(n) for n in clf.text_feature_names_]
        if "group" in self.heads:
            self.group_classes = np.asarray(clf.group_classes_)
            self.group_direct_pos = np.asarray(clf.group_direct_pos_)
            self.topic_group_index = clf.topic_group_index_
            self.topic_group_matrix = clf.topic_group_matrix_
            self.group_mix = float(clf.group_mix)
            self.group_top1 = tuple(float(v) for v in clf.group_top1_)
        else:
            self.topic_group_index = None
        if "agency" in self.heads:
            self.municipalities = dict(clf.municipality_.vocabulary_)
            self.municipality_names = [str(n) for n in clf.municipality_.get_feature_names_out()]
            self.municipality_weight = float(clf.municipality_weight)
            self.stack_target = clf.stack_target_
            self.stack_weight = float(clf.stack_weight)
            self.period_weight = float(clf.period_weight) if clf._periodic() else 0.0
            self.period_text = bool(clf.period_text)
            self.stack_names = ([] if self.stack_target is None else
                                [str(c) for c in (self.group_classes if self.stack_target == "group"
                                                  else self.heads["topic"].classes)])
            width = self.heads["agency"].weights_t.shape[0]
            if width != self._agency_width():
                raise NotCompilable(f"the agency model has {width} features, the layout gives {self._agency_width()}")
        return self

    def __getstate__(self) -> dict:
        # derived caches are rebuilt on first use, not pickled
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict) -> None:
        # a memory-mapped bundle gives np.memmap arrays, whose indexing runs Python code:
        # view them as plain ndarrays (no copy)
        self.__dict__.update({k: _plain(v) for k, v in state.items()})
        for tfidf, _, _ in self.text.blocks:
            tfidf.idf = _plain(tfidf.idf)

    def _class_names(self) -> dict[str, list[str]]:
        names = self.__dict__.get("_names")
        if names is None:
            names = self.__dict__["_names"] = {t: [str(c) for c in v] for t, v in self.classes_.items()}
        return names

    def __repr__(self) -> str:
        return f"Predictor(targets={self.targets_}, periods={len(self.periods_) if self.periods_ else 0})"

    # -- agency feature layout (curnlp.layout, shared with RoutingClassifier) -------------
    def _layout(self) -> AgencyLayout:
        cached = self.__dict__.get("_layout_cache")
        if cached is None:
            cached = self.__dict__["_layout_cache"] = AgencyLayout(
                text=self.text.width, municipalities=len(self.municipalities),
                municipality_block=bool(self.municipality_weight),
                stacked=len(self.stack_names) if self.stack_target else 0,
                periods=len(self.periods_) if self.period_weight and self.periods_ else 0,
                period_text=self.period_text)
        return cached

    def _agency_offsets(self) -> tuple[int, int, int, int]:
        """Columns where the municipality, the stacked probabilities, the interactions
        and the period slots start."""
        return self._layout().offsets()

    def _period_slot(self) -> int:
        return self._layout().period_slot()

    def _agency_width(self) -> int:
        return self._layout().width()

    def _agency_name(self, i: int) -> str:
        """Feature ``i``'s name, as :meth:`RoutingClassifier._feature_name` gives it."""
        return self._layout().name(i, self.text_names, self.municipality_names, self.stack_target, self.stack_names)

    # -- prediction ---------------------------------------------------------------------
    def period_index(self, times, n: int) -> np.ndarray | None:
        """The period of each time (``times=None``: the latest), or None without periods."""
        if not (self.periods_ and len(self.periods_) > 1 and "agency" in self.heads and self.period_weight):
            return None
        return period_of(times, self.periods_, n)

    def _agency_decision(self, X: Rows, munis: np.ndarray, S: np.ndarray | None, pidx: np.ndarray | None
                         ) -> np.ndarray:
        """Decision values of the agency model (intercepts apart): the features of
        :meth:`RoutingClassifier._agency_features` times the weights, grouped so the dense
        parts are a few matrix products (rows with the same municipality or period share a
        weight block): text, municipality one-hot, stacked probabilities, municipality ×
        them, and the copy of bias, municipality and stacked probabilities in the row's
        period slot."""
        W = self.heads["agency"].weights_t
        muni_at, stack_at, inter_at, periods_at = self._agency_offsets()
        k, nm = len(self.stack_names), len(self.municipalities)
        d = Rows(X.indptr, X.indices, X.data.astype(np.float64)).dot(W)
        placed = np.flatnonzero(munis >= 0)
        if self.municipality_weight:
            d[placed] += self.municipality_weight * W[muni_at + munis[placed]]
        Ssw = None if S is None else S * self.stack_weight
        if Ssw is not None:
            d += Ssw @ W[stack_at:inter_at].astype(np.float64)
            for m in np.unique(munis[placed]):
                rows = np.flatnonzero(munis == m)
                at = inter_at + m * k
                d[rows] += Ssw[rows] @ W[at:at + k].astype(np.float64)
        if pidx is not None and self.period_weight:
            pw = self.period_weight
            for period in np.unique(pidx):
                rows = np.flatnonzero(pidx == period)
                at = periods_at + int(period) * self._period_slot()
                if self.period_text:
                    sub = Rows.stack([X.row(i) for i in rows], np.float64)
                    d[rows] += pw * sub.dot(W[at:at + self.text.width])
                    at += self.text.width
                d[rows] += pw * W[at].astype(np.float64)
                there = rows[munis[rows] >= 0]
                d[there] += pw * W[at + 1 + munis[there]]
                if Ssw is not None:
                    d[rows] += (Ssw[rows] * pw) @ W[at + 1 + nm:at + 1 + nm + k].astype(np.float64)
        return d

    def _forward(self, recs: list[MessageRecord], times=None):
        """Probabilities per target, the text rows, and a function giving a row's agency
        features (for explanations)."""
        X = self.text.rows(recs)
        out = {}
        if "topic" in self.heads:
            out["topic"] = self.heads["topic"].proba(X)
        if "group" in self.heads:
            p = group_proba(out.get("topic"), self.heads["group"].proba(X), len(self.group_classes),
                            self.group_direct_pos, self.topic_group_matrix, self.group_mix)
            out["group"] = apply_top1(p, self.group_top1)
        context = {"X": X, "munis": None, "S": None, "pidx": None}
        if "agency" in self.heads:
            S = out[self.stack_target] if self.stack_target is not None else None
            pidx = self.period_index(times, len(recs))
            munis = np.array([self.municipalities.get(r.municipality, -1) if r.municipality else -1 for r in recs],
                             dtype=np.int64)
            out["agency"] = self.heads["agency"].proba_from(self._agency_decision(X, munis, S, pidx))
            context.update(munis=munis, S=S, pidx=pidx)
        return {t: recalibrated(p, self.recalibration.get(t)) for t, p in out.items()}, context

    def _evidence(self, target: str, context: dict, labels: Sequence[str], k: int) -> list[list[tuple[str, float]]]:
        """Per row, the ``k`` largest positive value × weight products towards its label
        (the agency features of :meth:`_agency_decision` for the agency, the text otherwise), for all
        rows at once: every candidate product is one column of a padded matrix."""
        head = self.heads[target]  # for "group": the direct group model's weights
        j = np.searchsorted(head.classes, labels)
        if (j >= len(head.classes)).any() or not (head.classes[np.minimum(j, len(head.classes) - 1)] == labels).all():
            raise InvalidInput(f"unknown {target} label among {sorted(set(labels))[:3]!r}")
        W, X = head.weights_t, context["X"]
        n = len(X)
        lengths = np.diff(X.indptr)
        width = max(int(lengths.max()) if n else 0, 1)
        row_of = np.repeat(np.arange(n), lengths)
        pos = np.arange(len(X.indices)) - np.repeat(X.indptr[:-1], lengths)

        def padded(indices: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            V = np.full((n, width), -np.inf)
            I = np.zeros((n, width), dtype=np.int64)
            V[row_of, pos], I[row_of, pos] = values, indices
            return V, I

        text = X.data.astype(np.float64)
        # the text features are float32 for the text models, float64 inside the agency's
        blocks = [padded(X.indices, (text if target == "agency" else X.data) * W[X.indices, j[row_of]])]
        if target == "agency":
            blocks += self._agency_evidence(W, context, j, padded, text, row_of)
        V = np.hstack([v for v, _ in blocks])
        I = np.hstack([i for _, i in blocks])
        top = _top_columns(V, k)
        values, indices = np.take_along_axis(V, top, axis=1).tolist(), np.take_along_axis(I, top, axis=1).tolist()
        if target != "agency":
            name = self.text_names
            return [[(name[i], v) for i, v in zip(ri, rv) if v > 0] for ri, rv in zip(indices, values)]
        names = self.__dict__.setdefault("_agency_names", {})  # feature index -> name, filled as asked
        return [[(names[i] if i in names else names.setdefault(i, self._agency_name(i)), v)
                 for i, v in zip(ri, rv) if v > 0] for ri, rv in zip(indices, values)]

    def _agency_evidence(self, W, context, j, padded, text, row_of) -> list[tuple[np.ndarray, np.ndarray]]:
        """Candidate products of the agency features beyond the text (see :meth:`_agency_decision`)."""
        munis, S, pidx = context["munis"], context["S"], context["pidx"]
        muni_at, stack_at, inter_at, periods_at = self._agency_offsets()
        k, nm = len(self.stack_names), len(self.municipalities)
        n = len(j)
        placed = munis >= 0
        m = np.where(placed, munis, 0)
        out = []

        def column(index: np.ndarray, value: np.ndarray, where: np.ndarray) -> None:
            out.append((np.where(where, value, -np.inf)[:, None], index[:, None]))

        def at_placed(index: np.ndarray) -> np.ndarray:  # rows with no municipality read column 0 (masked)
            return np.where(placed.reshape((n,) + (1,) * (index.ndim - 1)), index, 0)

        if self.municipality_weight:
            column(muni_at + m, self.municipality_weight * W[at_placed(muni_at + m), j].astype(np.float64), placed)
        Ssw = None if S is None else S * self.stack_weight
        cls = np.arange(k)[None, :]
        if Ssw is not None:
            index = stack_at + np.broadcast_to(cls, (n, k))
            out.append((np.where(Ssw != 0, Ssw * W[index, j[:, None]], -np.inf), index))
            index = inter_at + m[:, None] * k + cls
            out.append((np.where((Ssw != 0) & placed[:, None], Ssw * W[at_placed(index), j[:, None]], -np.inf),
                        index))
        if pidx is not None and self.period_weight:
            pw = self.period_weight
            at = periods_at + pidx.astype(np.int64) * self._period_slot()
            if self.period_text:
                out.append(padded(at[row_of] + context["X"].indices,
                                  text * pw * W[at[row_of] + context["X"].indices, j[row_of]]))
                at = at + self.text.width
            column(at, pw * W[at, j].astype(np.float64), np.ones(n, dtype=bool))
            column(at + 1 + m, pw * W[at_placed(at + 1 + m), j].astype(np.float64), placed)
            if Ssw is not None:
                index = at[:, None] + 1 + nm + cls
                out.append((np.where(Ssw != 0, Ssw * pw * W[index, j[:, None]], -np.inf), index))
        return out

    def predict_proba(self, records, times=None) -> dict[str, np.ndarray]:
        """Calibrated probabilities per target (see :meth:`RoutingClassifier.predict_proba`)."""
        return self._forward(as_records(records), times)[0]

    def predict(self, records, top: int = 3, times=None) -> list[dict[str, Prediction]]:
        """Per record, ``{target: Prediction}`` (see :meth:`RoutingClassifier.predict`)."""
        return [preds for preds, _ in self.predict_explained(records, k=0, top=top, times=times)]

    def predict_explained(self, records, k: int = 5, top: int = 3, explain: Sequence[str] = ("agency", "topic"),
                          times=None, agency_allowed: np.ndarray | None = None, agency_own: np.ndarray | None = None
                          ) -> list[tuple[dict[str, Prediction], dict[str, list[tuple[str, float]]]]]:
        """Predictions and, for the targets in ``explain``, the ``k`` features that
        contributed most to each predicted label (one pass); ``agency_allowed``: see
        :func:`reported`."""
        recs = as_records(records)
        proba, context = self._forward(recs, times)
        shown = reported(proba, self._class_names(), self.topic_group_index, agency_allowed, agency_own)
        preds = predictions(shown, decide(shown), self._class_names(), top)
        evidence = {t: self._evidence(t, context, [p[t].label for p in preds], k)
                    for t in explain if k > 0 and t in proba and recs}
        return [(p, {t: e[i] for t, e in evidence.items()}) for i, p in enumerate(preds)]

    def explain(self, record, target: str, k: int = 5, label: str | None = None, time=None
                ) -> list[tuple[str, float]]:
        """The ``k`` features with the largest positive contribution to ``label`` (default:
        the predicted one) for one record (see :meth:`RoutingClassifier.explain`)."""
        if target not in self.heads:
            raise InvalidInput(f"target {target!r} was not fitted; have {self.targets_}")
        recs = as_records([record])
        proba, context = self._forward(recs, None if time is None else [time])
        if label is None:
            label = self.classes_[target][decide(reported(proba, self._class_names(), self.topic_group_index))[target][0]]
        return self._evidence(target, context, [str(label)], k)[0]


def compile_bundle(directory) -> "Predictor":
    """Add ``predictor.joblib`` to a bundle that has only its classifier (written by an
    older curnlp): the router then loads without scikit-learn. The classifier file is
    left as it is. Raises NotCompilable for a classifier the predictor cannot mirror."""
    from . import bundle
    predictor = Predictor.from_classifier(bundle.read_bundle(directory, names=("classifier",)).objects["classifier"])
    bundle.add_objects(directory, {"predictor": predictor})
    return predictor
