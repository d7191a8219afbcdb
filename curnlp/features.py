"""Stage 3a: scikit-learn transformers that turn normalized messages into features.

The estimators in :mod:`curnlp.models` take a sequence of *message records*: a
:class:`MessageRecord` or any mapping with the keys ``lemmas`` (sequence of lemma
strings, as :attr:`curnlp.normalize.Normalized.lemmas`), ``text`` (the clean text,
:attr:`curnlp.normalize.Normalized.clean`) and ``municipality`` (the resolved
municipality as a string, or ``None`` when unknown).

>>> from curnlp.features import MessageRecord, MessageVectorizer
>>> recs = [MessageRecord(("яма", "на", "дорога"), "Яма на дороге", "Курск"),
...         MessageRecord(("не", "гореть", "фонарь"), "Не горит фонарь", None)]
>>> X = MessageVectorizer(min_df=1).fit_transform(recs)
>>> X.shape[0]
2
"""
from __future__ import annotations

import sys
from typing import Any, Sequence

import numpy as np
from scipy import sparse


def _import_sklearn_without_pandas() -> None:
    """Import scikit-learn without letting it import pandas (and pyarrow): memory and
    import time that routing never uses.

    ``sklearn.utils.fixes`` runs ``try: import pandas except ImportError: pd = None`` and
    nothing reads that ``pd`` (checked for scikit-learn 1.9); every other use of pandas in
    scikit-learn imports it when called. So pandas is hidden for the duration of that one
    import and imports normally afterwards. Nothing is done when pandas or scikit-learn is
    already imported.
    """
    if "pandas" in sys.modules or "sklearn.utils.fixes" in sys.modules:
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # makes `import pandas` raise ImportError
    try:
        import sklearn.utils.fixes  # noqa: F401
    finally:
        if "pandas" in sys.modules and sys.modules["pandas"] is None:
            del sys.modules["pandas"]


_import_sklearn_without_pandas()
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .errors import InvalidInput
# the record types are part of this module's API (__all__); they are defined in records.py
# so that routing can use them without importing scikit-learn
from .records import MessageRecord, Period, as_records, char_doc as _char_doc, lemma_doc as _lemma_doc, period_of

__all__ = ["MessageRecord", "as_records", "MunicipalityEncoder", "MessageVectorizer", "Period", "detect_periods",
           "period_of", "recency_weights"]


class MunicipalityEncoder(TransformerMixin, BaseEstimator):
    """One-hot encoding of ``record.municipality``; ``None`` and unseen values give zeros.

    Parameters
    ----------
    min_count : int, default=1
        Municipalities seen fewer times in ``fit`` are ignored.
    """

    def __init__(self, min_count: int = 1):
        self.min_count = min_count

    def fit(self, records, y=None):
        recs = as_records(records)
        counts: dict[str, int] = {}
        for r in recs:
            if r.municipality:
                counts[r.municipality] = counts.get(r.municipality, 0) + 1
        names = sorted(k for k, c in counts.items() if c >= self.min_count)
        self.vocabulary_ = {k: i for i, k in enumerate(names)}
        return self

    def transform(self, records):
        check_is_fitted(self, "vocabulary_")
        recs = as_records(records)
        rows, cols = [], []
        for i, r in enumerate(recs):
            j = self.vocabulary_.get(r.municipality) if r.municipality else None
            if j is not None:
                rows.append(i)
                cols.append(j)
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(recs), len(self.vocabulary_)))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "vocabulary_")
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.get), dtype=object)


class MessageVectorizer(TransformerMixin, BaseEstimator):
    """Sparse features of message records: TF-IDF of lemma word n-grams, TF-IDF of
    character n-grams (``char_wb``) of the clean text, and (optionally) a one-hot
    municipality, stacked side by side (each block L2-normalized, then weighted).

    Feature names (:meth:`get_feature_names_out`) are prefixed ``w:`` (lemma n-gram),
    ``c:`` (character n-gram) and ``m:`` (municipality).

    Parameters
    ----------
    word_ngram_range : tuple, default=(1, 1)
        Lemma unigrams scored best on grouped CV (bigrams lowered topic accuracy).
    char_ngram_range : tuple or None, default=None
        e.g. ``(2, 5)``; ``None`` disables character n-grams (on Kursk they added little
        accuracy for many times the fit time, model size and routing time).
    min_df : int, default=2
    max_char_features : int or None, default=None
    char_weight : float, default=1.0
    municipality_weight : float, default=0.0
        0 leaves the municipality out of the features.
    """

    def __init__(self, word_ngram_range=(1, 1), char_ngram_range=None, min_df=2,
                 max_char_features=None, char_weight=1.0, municipality_weight=0.0):
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_char_features = max_char_features
        self.char_weight = char_weight
        self.municipality_weight = municipality_weight

    def _word(self):
        return TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=tuple(self.word_ngram_range),
                               min_df=self.min_df, sublinear_tf=True, dtype=np.float32)

    def _char(self):
        return TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.char_ngram_range), min_df=self.min_df,
                               sublinear_tf=True, max_features=self.max_char_features, dtype=np.float32)

    def fit(self, records, y=None):
        self.fit_transform(records)
        return self

    def fit_transform(self, records, y=None):
        recs = as_records(records)
        if not recs:
            raise InvalidInput("cannot fit on zero records")
        blocks = []
        self.word_ = self._word()
        blocks.append(self.word_.fit_transform([_lemma_doc(r) for r in recs]))
        self.char_ = None
        if self.char_ngram_range is not None:
            self.char_ = self._char()
            blocks.append(self.char_.fit_transform([_char_doc(r) for r in recs]) * self.char_weight)
        self.municipality_ = None
        if self.municipality_weight:
            self.municipality_ = MunicipalityEncoder().fit(recs)
            blocks.append(self.municipality_.transform(recs) * self.municipality_weight)
        return sparse.hstack(blocks, format="csr", dtype=np.float32)

    def transform(self, records):
        check_is_fitted(self, "word_")
        recs = as_records(records)
        blocks = [self.word_.transform([_lemma_doc(r) for r in recs])]
        if self.char_ is not None:
            blocks.append(self.char_.transform([_char_doc(r) for r in recs]) * self.char_weight)
        if self.municipality_ is not None:
            blocks.append(self.municipality_.transform(recs) * self.municipality_weight)
        return sparse.hstack(blocks, format="csr", dtype=np.float32)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "word_")
        names = ["w:" + n for n in self.word_.get_feature_names_out()]
        if self.char_ is not None:
            names += ["c:" + n for n in self.char_.get_feature_names_out()]
        if self.municipality_ is not None:
            names += ["m:" + n for n in self.municipality_.get_feature_names_out()]
        return np.array(names, dtype=object)


# ------------------------------------------------------------------------ time periods

def _counts(labels: np.ndarray, vocab: dict[str, int]) -> np.ndarray:
    out = np.zeros(len(vocab) + 1)
    for v in labels:
        out[vocab.get(v, len(vocab))] += 1
    return out


def detect_periods(times: Sequence[float], labels: Sequence[Any], *, blocks: int = 20, min_rows: int = 40,
                   alpha: float = 1e-4, max_periods: int = 6, top: int = 12) -> list[Period]:
    """Split an archive into periods of stable labelling: the rows sorted by time are cut
    into up to ``blocks`` equal blocks (at least ``min_rows`` each); adjacent segments are
    merged, most similar first (chi-square test of their label counts on the ``top`` most
    frequent labels, the rest pooled), while they are alike (p > ``alpha``) or there are
    more than ``max_periods``. One period means no change was found.

    >>> t = np.arange(400); y = np.where((t < 200) & (t % 2 == 0), "umbrella", "committee " + (t % 3).astype(str))
    >>> [p.rows for p in detect_periods(t, y)]
    [200, 200]
    """
    from scipy.stats import chi2_contingency
    t = np.asarray(times, dtype=float)
    y = np.asarray([None if v is None else str(v) for v in labels], dtype=object)
    has = np.array([v is not None for v in y]) & np.isfinite(t)
    t, y = t[has], y[has]
    if len(t) == 0:
        raise InvalidInput("no labelled row with a time")
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    n = len(t)
    k = int(max(1, min(blocks, n // max(min_rows, 1))))
    # block edges at equal counts, never splitting equal times
    cuts = sorted({int(np.searchsorted(t, t[int(round(i * n / k))], side="left")) for i in range(1, k)} - {0, n})
    edges = [0, *cuts, n]
    values, freq = np.unique(y, return_counts=True)
    vocab = {v: i for i, v in enumerate(values[np.argsort(-freq, kind="stable")][:top])}
    segs = [(edges[i], edges[i + 1], _counts(y[edges[i]:edges[i + 1]], vocab)) for i in range(len(edges) - 1)]

    def pvalue(a, b) -> float:
        table = np.vstack([a[2], b[2]])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            return 1.0
        return float(chi2_contingency(table)[1])

    while len(segs) > 1:
        ps = [pvalue(segs[i], segs[i + 1]) for i in range(len(segs) - 1)]
        i = int(np.argmax(ps))
        if ps[i] <= alpha and len(segs) <= max_periods:
            break
        a, b = segs[i], segs[i + 1]
        segs[i:i + 2] = [(a[0], b[1], a[2] + b[2])]
    total = _counts(y, vocab)
    names = list(vocab) + ["(other)"]
    out = []
    for lo, hi, c in segs:
        share = c / c.sum()
        rest = (total - c) / max((total - c).sum(), 1)
        diff = share - rest if len(segs) > 1 else np.zeros_like(share)
        changed = {names[j]: float(share[j]) for j in np.argsort(-np.abs(diff)) if abs(diff[j]) >= 0.05 and j < len(vocab)}
        out.append(Period(float(t[lo]), float(t[hi - 1]), int(hi - lo), changed))
    return out


def recency_weights(times: Sequence[float], half_life: float | None) -> np.ndarray:
    """Sample weights halving every ``half_life`` (a fraction of the rows, by time rank)
    before the latest row: ``0.5 ** ((1 - rank) / half_life)``; ``None`` gives ones."""
    t = np.asarray(times, dtype=float)
    if not half_life or len(t) < 2:
        return np.ones(len(t))
    from scipy.stats import rankdata
    rank = (rankdata(t, method="max") - 1) / (len(t) - 1)
    return 0.5 ** ((1.0 - rank) / float(half_life))
