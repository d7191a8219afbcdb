"""Incidents: messages about the same problem in the same place within a time window.

Thirty people writing about one burst pipe are one incident for the agency. :func:`find_incidents`
groups the rows of a scored archive so:

1. **Text** — each message is cleaned (lowercase, ё→е, markup, digits and punctuation dropped,
   the names of towns/districts/settlements that the scored ``locations`` point at masked out,
   so that a shared town name does not make unrelated messages look alike) and turned into two
   hashed TF-IDF vectors: pymorphy3 lemmas (stop words dropped; «воды», «воду» → «вода») and
   character 3–4-grams inside words (typos: «вады»); the score is 0.7 × lemma cosine + 0.3 ×
   character cosine, on the first ``max_chars`` characters.
2. **Blocking** (never all pairs) — rows are compared only inside one municipality (the scored
   ``municipality``; unknown places form their own block) and only with rows at most ``window``
   apart: time is cut into buckets of ``window`` and each bucket is compared with itself and the
   previous one. A block with a bucket of more than ``block_cap`` rows (a big city at scale) is
   split further by topic group, then by topic. Cost grows with rows × rows-in-a-window-of-a-block, not rows².
3. **Score** — + ``street_bonus`` when both name the same street, − ``group_penalty`` when both
   have a different topic group.
4. **Linking** — a pair is a link when it scores ≥ ``strong``, or ≥ ``threshold`` and each is
   among the other's ``neighbours`` best partners (a short generic message cannot bridge two
   groups); rows without a municipality link only at ``unknown_threshold``. Links are merged
   strongest first (Kruskal), refusing a merge that would make an incident last longer than
   ``max_span`` (default 2 × window).
5. **Pruning** — members of an incident whose cosine with the incident's centroid is below
   ``prune_threshold`` leave it, and both parts are linked again from their own pairs (cuts
   chains such as water → pipe → heating → lighting in a big city).
6. **Attaching** — a message left alone (or in a pair) joins a large incident (≥
   ``attach_min_size``) within the window when its cosine with the incident's centroid reaches
   ``attach_threshold`` (same municipality) or ``attach_unplaced_threshold`` (a message naming no
   town: no municipality, or one guessed from a street name alone).

Every input row gets an ``incident`` id (``INC-000001`` is the largest; a message with no
partner is an incident of size 1) and ``incident_size``; rows with an ``error`` or no time get none.

**Memory** — no matrix of all texts is ever held. One pass (10,000 rows at a time) keeps each
row's words as ids into one vocabulary (about 5 bytes per distinct word of a row) and the
archive's document frequencies; vectors are made when needed, for one bucket of a block and the
previous one (pairs), or for a batch of incidents (pruning, attaching, the table), and dropped.
Pairs are ranked as they arrive and only undecided ones are held; labels are integer codes.
The vectors of a row are bit for bit those of one global matrix, so the incidents are the same.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import CorpusError
from ._data import clean_label, is_true, parse_times, parse_window, read_timed, text_column

__all__ = ["Incident", "Incidents", "find_incidents", "write_incidents", "register", "MASKED_KINDS"]

log = logging.getLogger("curnlp")

#: Location kinds whose mentions are masked before text similarity (streets are kept: same street is a signal).
MASKED_KINDS = ("region", "district", "city", "city_okrug", "settlement")
_NON_LETTERS = re.compile(r"[^a-zа-я]+")
_CHUNK = 10_000  # rows read, masked and cut into words at a time
_BATCH = 20_000  # rows whose vectors are made together when incidents are checked
_VECTOR_ROWS = 10_000  # rows whose intermediate count and n-gram matrices exist at once
_URLS = re.compile(r"(?:https?://|www\.)\S+|\[(?:club|id|public)\d+\|([^\]]*)\]|<[^>]{1,200}>")


@dataclass(frozen=True)
class Incident:
    """One incident (a row of the incident table)."""

    id: str
    size: int
    first: str
    last: str
    municipality: str | None
    street: str | None
    topic: str | None
    group: str | None
    group_name: str | None
    needs_review: float
    representative: str
    places: str | None = None

    def to_dict(self) -> dict:
        """A JSON-serializable dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Incidents:
    """The result of :func:`find_incidents`.

    ``rows``: every input row (same order) plus ``incident`` and ``incident_size``;
    ``table``: one row per incident of at least ``min_size`` messages, largest first.
    """

    rows: pd.DataFrame = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    params: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)

    def top(self, k: int = 10) -> tuple[Incident, ...]:
        """The ``k`` largest incidents as dataclasses."""
        return tuple(Incident(**{f: _plain(r["incident" if f == "id" else f]) for f in Incident.__dataclass_fields__})
                     for r in self.table.head(k).to_dict("records"))

    def to_dict(self) -> dict:
        """JSON-serializable summary: parameters, counts and the incident table."""
        return {"params": self.params, "stats": self.stats,
                "incidents": [{k: _plain(v) for k, v in r.items()} for r in self.table.to_dict("records")]}


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    return value


# ---------------------------------------------------------------------------------------
# Text features
# ---------------------------------------------------------------------------------------

def _parse_locations(cell: Any) -> list:
    if isinstance(cell, str):
        if len(cell) < 5 or not cell.startswith("[{"):
            return []
        try:
            value = json.loads(cell)
        except ValueError:
            return []
        return value if isinstance(value, list) else []
    if isinstance(cell, (list, tuple, np.ndarray)):
        return list(cell)
    return []


def _mask_and_streets(texts: Sequence[Any], locations: Sequence[Any] | None,
                      max_chars: int) -> tuple[list[str], list, list[bool]]:
    """Texts with town/district/settlement mentions blanked out, cut to ``max_chars``; first street
    (its normal form, as printed) per row; whether the row names a street but no town (its
    municipality, if any, was guessed from the street)."""
    out: list[str] = []
    streets: list = []
    weak: list[bool] = []
    for i, text in enumerate(texts):
        text = text if isinstance(text, str) else ("" if text is None or text is pd.NA else str(text))
        street = None
        spans: list = []
        if locations is not None:
            locs = _parse_locations(locations[i])
            if locs:
                for loc in locs:
                    if not isinstance(loc, dict):
                        continue
                    kind = loc.get("kind")
                    if kind in MASKED_KINDS and isinstance(loc.get("start"), int) and isinstance(loc.get("end"), int):
                        spans.append((loc["start"], loc["end"]))
                    elif kind == "street" and street is None and loc.get("normal"):
                        street = str(loc["normal"])
                if spans:
                    chars = list(text)
                    for s, e in spans:
                        if 0 <= s < e <= len(chars):
                            chars[s:e] = " " * (e - s)
                    text = "".join(chars)
        out.append(text[:max_chars])
        streets.append(street)
        weak.append(street is not None and not spans)
    return out, streets, weak


def _preprocess(text: str) -> str:
    text = _URLS.sub(" ", text.lower().replace("ё", "е"))
    return _NON_LETTERS.sub(" ", text).strip()


def _stop_lemmas() -> frozenset[str]:
    from importlib import resources
    words = (resources.files("curnlp") / "data" / "stopwords_ru.txt").read_text(encoding="utf-8").split()
    return frozenset(w for w in words if not w.startswith("#")) - {"нет", "без"}


class _TextStore:
    """Every row's words as ids into one vocabulary (with counts: 5 bytes per distinct word of a
    row), built in one pass over the texts; TF-IDF vectors of any set of rows on demand.

    Rows' vectors are ``word_weight`` × lemma TF-IDF ⊕ the rest × character 3–4-gram TF-IDF (inside
    words; catches typos the lemmatizer does not), with the document frequencies of the whole
    archive: the vectors of a block of rows are exactly the rows of the one global matrix, which is
    never held. Each distinct word is lemmatized (pymorphy3) and cut into n-grams once."""

    def __init__(self, n_features: int = 2 ** 20, word_weight: float = 0.7) -> None:
        self.n_features, self.word_weight = n_features, word_weight
        self.vocab: dict[str, int] = {}
        self._indices: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []

    def add(self, texts: Sequence[str]) -> None:
        """Append rows (texts already masked and cut)."""
        vocab = self.vocab
        indptr, indices = [0], []
        for text in texts:
            for word in _preprocess(text).split():
                j = vocab.get(word)
                if j is None:
                    j = vocab[word] = len(vocab)
                indices.append(j)
            indptr.append(len(indices))
        D = sp.csr_matrix((np.ones(len(indices), dtype=np.float32), np.asarray(indices, dtype=np.int64),
                           np.asarray(indptr, dtype=np.int64)), shape=(len(texts), max(1, len(vocab))))
        D.sum_duplicates()  # per row: sorted word ids, summed counts (as the one global matrix had)
        self._indices.append(D.indices.astype(np.int32))
        self._counts.append(D.data.astype(np.uint16))
        self._lengths.append(np.diff(D.indptr))

    def finish(self) -> "_TextStore":
        """Close the archive: word → n-gram and word → lemma matrices, document frequencies."""
        from sklearn.feature_extraction.text import HashingVectorizer

        from ..morph import lemma
        self.indices = np.concatenate(self._indices) if self._indices else np.zeros(0, np.int32)
        self.counts = np.concatenate(self._counts) if self._counts else np.zeros(0, np.uint16)
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
        self._indices, self._counts, self._lengths = [], [], []
        self.indptr = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        self.n = len(lengths)
        words = list(self.vocab)
        self.vocab = {}  # not needed any more: free its strings
        self.grams = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 4), n_features=self.n_features,
                                       alternate_sign=False, norm=None, dtype=np.float32).transform(words or [""])
        self.grams = _compact(self.grams.tocsr())  # the hashed columns no word has: gone (order kept)
        stop = _stop_lemmas()
        lemma_ids: dict[str, int] = {}
        rows, cols = [], []
        for i, word in enumerate(words):
            lem = lemma(word) if len(word) > 1 else ""
            if lem and lem not in stop:
                rows.append(i)
                cols.append(lemma_ids.setdefault(lem, len(lemma_ids)))
        self.lemmas = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                                    shape=(max(1, len(words)), max(1, len(lemma_ids))))
        # document frequencies, a chunk of rows at a time; idf exactly as TfidfTransformer.fit
        dfc = np.zeros(self.grams.shape[1], dtype=np.int64)
        dfw = np.zeros(self.lemmas.shape[1], dtype=np.int64)
        for start in range(0, self.n, _CHUNK):
            D = self.counts_of(np.arange(start, min(self.n, start + _CHUNK)))
            dfc += np.bincount((D @ self.grams).indices, minlength=len(dfc))
            dfw += np.bincount((D @ self.lemmas).indices, minlength=len(dfw))
        self._idf_c, self._idf_w = self._idf(dfc), self._idf(dfw)
        return self

    def _idf(self, df: np.ndarray) -> np.ndarray:
        """Smoothed idf, exactly as ``TfidfTransformer(sublinear_tf=True).fit`` computes it (float32)."""
        dff = df.astype(np.float32)
        dff += 1.0
        idf = np.full_like(dff, fill_value=self.n + 1, dtype=np.float32)
        idf /= dff
        np.log(idf, out=idf)
        idf += 1.0
        return idf

    @staticmethod
    def _tfidf(X: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        """``normalize(TfidfTransformer(sublinear_tf=True).transform(X))`` with the archive's idf, in
        place: the same operations without the per-call validation (vectors are made per bucket)."""
        from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2
        np.log(X.data, X.data)
        X.data += 1.0
        X.data *= idf[X.indices]
        inplace_csr_row_normalize_l2(X)  # the transformer's norm="l2" ...
        inplace_csr_row_normalize_l2(X)  # ... and the normalize() after it, as the single matrix had
        return X

    def nonempty(self) -> np.ndarray:
        """Rows with at least one word (a message with no letters links to nothing)."""
        return np.diff(self.indptr) > 0

    def counts_of(self, rows: np.ndarray) -> sp.csr_matrix:
        """Document × word counts of ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, lengths = self.indptr[rows], np.diff(self.indptr)[rows]
        indptr = np.r_[0, np.cumsum(lengths)]
        take = np.arange(indptr[-1]) - np.repeat(indptr[:-1] - starts, lengths)
        return sp.csr_matrix((self.counts[take].astype(np.float32), self.indices[take].astype(np.int64), indptr),
                             shape=(len(rows), self.grams.shape[0]))

    def vectors(self, rows: np.ndarray, compact: bool = True) -> sp.csr_matrix:
        """Rows (in the order given) whose dot products are the similarity; only the columns these
        rows use (``compact``), else all columns (vectors made apart can then be stacked)."""
        w = self.word_weight
        parts = []
        for start in range(0, max(1, len(rows)), _VECTOR_ROWS):  # the intermediate products of few rows at a time
            D = self.counts_of(rows[start:start + _VECTOR_ROWS])
            Xc = self._tfidf(D @ self.grams, self._idf_c)
            Xw = self._tfidf(D @ self.lemmas, self._idf_w)
            # [sqrt(w) Xw | sqrt(1 - w) Xc] row by row (what sp.hstack does, without its overhead)
            nw, nc = np.diff(Xw.indptr), np.diff(Xc.indptr)
            indptr = np.r_[0, np.cumsum(nw + nc)].astype(np.int64)
            pos_w = np.arange(Xw.nnz) + np.repeat(indptr[:-1] - Xw.indptr[:-1], nw)
            pos_c = np.arange(Xc.nnz) + np.repeat(indptr[:-1] + nw - Xc.indptr[:-1], nc)
            data = np.empty(Xw.nnz + Xc.nnz, dtype=np.float32)
            indices = np.empty(Xw.nnz + Xc.nnz, dtype=np.int32)
            data[pos_w], data[pos_c] = Xw.data * np.sqrt(w), Xc.data * np.sqrt(1 - w)
            indices[pos_w], indices[pos_c] = Xw.indices, Xc.indices + Xw.shape[1]
            part = sp.csr_matrix((data, indices, indptr), shape=(len(nw), Xw.shape[1] + Xc.shape[1]))
            part.sort_indices()  # the single matrix's rows had sorted columns: same order of every sum
            parts.append(part)
            del D, Xc, Xw
        X = parts[0] if len(parts) == 1 else sp.vstack(parts, format="csr")
        del parts
        return _compact(X) if compact else X


def _compact(X: sp.csr_matrix) -> sp.csr_matrix:
    """``X`` with the columns no row uses dropped (every later product is cheaper); the kept
    columns keep their order, so products are unchanged."""
    mask = np.zeros(X.shape[1], dtype=bool)
    mask[X.indices] = True
    used = np.flatnonzero(mask)
    remap = np.zeros(X.shape[1], dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    return sp.csr_matrix((X.data, remap[X.indices], X.indptr), shape=(X.shape[0], max(1, len(used))))


def text_vectors(texts: Sequence[str], n_features: int = 2 ** 20, word_weight: float = 0.7) -> sp.csr_matrix:
    """Rows whose dot product is ``word_weight`` × cosine of lemma TF-IDF + the rest × cosine of
    character 3–4-gram TF-IDF (all rows at once: small archives and tests)."""
    store = _TextStore(n_features, word_weight)
    store.add(texts)
    store.finish()
    return store.vectors(np.arange(store.n))


# ---------------------------------------------------------------------------------------
# Linking
# ---------------------------------------------------------------------------------------

class _Forest:
    """Union-find (Python lists: faster than numpy for scalar access) with each set's first/last time."""

    def __init__(self, times: np.ndarray) -> None:
        self.parent = list(range(len(times)))
        self.first = times.tolist()
        self.last = times.tolist()

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def union(self, a: int, b: int, max_span: float) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        first = min(self.first[ra], self.first[rb])
        last = max(self.last[ra], self.last[rb])
        if last - first > max_span:
            return False
        self.parent[rb] = ra
        self.first[ra], self.last[ra] = first, last
        return True

    def roots(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)


def _pairs(Xa: sp.csr_matrix, Xb: sp.csr_matrix, rows: np.ndarray, cand: np.ndarray, hours: np.ndarray,
           window_h: float, threshold: float, streets: np.ndarray, groups: np.ndarray, street_bonus: float,
           group_penalty: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scored pairs (i, j, score) between ``rows`` (vectors ``Xa``) and candidate rows ``cand``
    (vectors ``Xb``), i > j in order; ``rows`` and ``cand`` index the other arrays."""
    low = threshold - street_bonus  # nothing below this can reach the threshold
    sims = (Xa @ Xb.T).tocoo()
    keep = sims.data >= low
    i, j, s = rows[sims.row[keep]], cand[sims.col[keep]], sims.data[keep]
    keep = (i > j) & (np.abs(hours[i] - hours[j]) <= window_h)
    i, j, s = i[keep], j[keep], s[keep].astype(np.float64)
    si, sj = streets[i], streets[j]
    both = (si != 0) & (sj != 0)
    s = s + np.where(both & (si == sj), street_bonus, 0.0)
    gi, gj = groups[i], groups[j]
    s = s - np.where((gi != 0) & (gj != 0) & (gi != gj), group_penalty, 0.0)
    keep = s >= threshold
    return i[keep], j[keep], s[keep]


class _LinkStream:
    """Which candidate pairs become links: a strong pair (>= ``strong``) when among the
    ``neighbours`` best partners of one side; a weaker one (>= threshold) only when each side is
    among the other's best (mutual nearest neighbours: a short generic message cannot bridge two
    unrelated groups); rows with no municipality link only at ``unknown_threshold``
    (near-duplicates: the place cannot be confirmed).

    Pairs arrive bucket by bucket; only those one of whose rows may still get partners are held:
    when a row is complete (no later bucket can pair with it) its pairs are ranked (by score, ties
    in arrival order, its pairs as the first row before those as the second), and a pair whose two
    rows are ranked is kept as a link or dropped. The links are those of ranking all the block's
    pairs at once."""

    def __init__(self, muni: np.ndarray, strong: float, neighbours: int, unknown_threshold: float) -> None:
        self.muni, self.strong, self.neighbours, self.unknown = muni, strong, neighbours, unknown_threshold
        self.pool: list[tuple[np.ndarray, ...]] = []
        self.kept: list[tuple[np.ndarray, ...]] = []
        self.seq = 0

    def add(self, i: np.ndarray, j: np.ndarray, s: np.ndarray) -> None:
        seq = np.arange(self.seq, self.seq + len(s), dtype=np.int64)
        self.seq += len(s)
        unknown = np.full(len(s), -1, dtype=np.int8)
        self.pool.append((i, j, s, seq, unknown, unknown.copy()))

    def complete(self, done: np.ndarray) -> None:
        """Rows ``done`` (a mask; each row once) have all their pairs: rank them, keep or drop the
        pairs now decided."""
        if not self.pool:
            return
        i, j, s, seq, ri, rj = (np.concatenate(c) for c in zip(*self.pool))
        a, b = done[i], done[j]
        node = np.concatenate([i[a], j[b]])
        if len(node):
            score = np.concatenate([s[a], s[b]])
            # by score; ties: all pairs as first row (in arrival order), then all as second row
            side = np.concatenate([np.zeros(int(a.sum()), np.int8), np.ones(int(b.sum()), np.int8)])
            order = np.lexsort((np.concatenate([seq[a], seq[b]]), side, -score, node))
            sorted_nodes = node[order]
            starts = np.r_[0, np.flatnonzero(np.diff(sorted_nodes)) + 1]
            first = np.repeat(starts, np.diff(np.r_[starts, len(node)]))
            rank = np.empty(len(node), dtype=np.int64)
            rank[order] = np.arange(len(node)) - first
            best = (rank < self.neighbours).astype(np.int8)
            ri[a], rj[b] = best[: int(a.sum())], best[int(a.sum()):]
        fin = (ri >= 0) & (rj >= 0)
        fi, fj = ri[fin] == 1, rj[fin] == 1
        fs = s[fin]
        keep = ((fs >= self.strong) & (fi | fj)) | (fi & fj)
        keep &= (self.muni[i[fin]] != 0) | (fs >= self.unknown)
        self.kept.append((i[fin][keep], j[fin][keep], fs[keep], seq[fin][keep]))
        rest = ~fin
        self.pool = [(i[rest], j[rest], s[rest], seq[rest], ri[rest], rj[rest])] if rest.any() else []

    def links(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The links (i, j, score) in the order the pairs arrived (call when every row is complete)."""
        if not self.kept:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        i, j, s, seq = (np.concatenate(c) for c in zip(*self.kept))
        order = np.argsort(seq, kind="stable")
        return i[order], j[order], s[order]


def _centroid_sims(X: sp.csr_matrix, members: np.ndarray, others: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Cosines of ``members`` (and ``others``) with the centroid of ``members``, from Gram sums
    (never a dense centroid of a million hashed columns)."""
    Xm = X[members]
    gram = Xm @ Xm.T
    rowsum = np.asarray(gram.sum(axis=1)).ravel()
    norm = float(np.sqrt(max(rowsum.sum(), 1e-12)))
    other = None
    if others is not None and len(others):
        other = np.asarray((X[others] @ Xm.T).sum(axis=1)).ravel() / norm
    return rowsum / norm, other


def _outliers(store: _TextStore, rows: np.ndarray, roots: np.ndarray, threshold: float,
              batch_rows: int = _BATCH) -> np.ndarray:
    """Which of ``rows`` (global indexes; ``roots`` their local incident roots) are members of
    incidents of 3+ messages whose cosine with their incident's centroid is below ``threshold``.
    Incidents are taken in batches of about ``batch_rows`` members (their vectors made together)."""
    out = np.zeros(len(roots), dtype=bool)
    if threshold <= 0 or not len(roots):
        return out
    _, inv, counts = np.unique(roots, return_inverse=True, return_counts=True)
    local = np.flatnonzero(counts[inv] >= 3)
    if not len(local):
        return out
    local = local[np.argsort(roots[local], kind="stable")]
    incidents = np.split(local, np.flatnonzero(np.diff(roots[local])) + 1)
    for part in _batches(np.array([len(m) for m in incidents]), batch_rows):
        batch = np.sort(np.concatenate(incidents[part]))
        X = store.vectors(rows[batch])
        for members in incidents[part]:
            sims, _ = _centroid_sims(X, np.searchsorted(batch, members))
            out[members[sims < threshold]] = True
    return out




def _codes(values: pd.Series, strip: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the labels ``clean_label(values)`` (right-stripped of ``strip``), 0 for
    missing or empty, and the labels by code. Only the distinct values are cleaned (a column
    of a million rows is not copied)."""
    raw, uniques = pd.factorize(values)  # missing: -1
    labels = clean_label(pd.Series(np.asarray(uniques, dtype=object), dtype="string"))
    if strip:
        labels = labels.str.rstrip(strip)
    codes, names = pd.factorize(labels.fillna("").to_numpy(dtype=object))
    names = np.asarray(names, dtype=object)
    empty = np.flatnonzero(names == "")
    final = np.r_[codes + 1, 0].astype(np.int32)  # the last: missing
    if len(empty):
        final[final == empty[0] + 1] = 0
    return final[raw], np.r_[np.array([""], dtype=object), names]


def _link_block(store: _TextStore, rows: np.ndarray, bucket: np.ndarray, roots: np.ndarray, hours: np.ndarray,
                window_h: float, span_h: float, threshold: float, strong: float, neighbours: int,
                unknown_threshold: float, prune_threshold: float, streets: np.ndarray, groups: np.ndarray,
                muni: np.ndarray, street_bonus: float, group_penalty: float) -> tuple[int, int, int]:
    """Link the rows of one block (global indexes ``rows``, ascending; the other arrays are theirs):
    pairs within a bucket and with the previous bucket, links, Kruskal, pruning. Writes ``roots``
    of ``rows``; returns (pairs compared, links, rows pruned). The block's vectors are made here
    and dropped on return."""
    local = np.argsort(bucket, kind="stable")  # by bucket, then row
    bs, starts = np.unique(bucket[local], return_index=True)
    stream = _LinkStream(muni, strong, neighbours, unknown_threshold)
    done = np.zeros(len(rows), dtype=bool)
    completed = 0  # buckets whose rows are ranked
    compared = 0
    prev_b, prev, X_prev = None, None, None
    for b, part in zip(bs.tolist(), np.split(local, starts[1:])):
        m = int(np.searchsorted(bs, b - 1))  # rows of buckets before b - 1 get no more partners
        if m > completed:
            done[:] = False
            done[local[starts[completed]:starts[m]]] = True
            stream.complete(done)
            completed = m
        X_part = store.vectors(rows[part], compact=False)  # only this bucket's and the previous one's held
        if prev_b == b - 1:
            cand, X = np.concatenate([prev, part]), _compact(sp.vstack([X_prev, X_part], format="csr"))
        else:
            cand, X = part, _compact(X_part)
        prev_b, prev, X_prev = b, part, X_part
        if len(cand) < 2:
            continue
        compared += len(part) * len(cand)
        offset = len(cand) - len(part)
        for start in range(0, len(part), 2000):
            i, j, s = _pairs(X[offset + start:offset + start + 2000], X, part[start:start + 2000], cand, hours,
                             window_h, threshold, streets, groups, street_bonus, group_penalty)
            if len(i):
                stream.add(i, j, s)
        del X
    del X_prev
    done[:] = False
    done[local[starts[completed]:] if len(bs) else local] = True
    stream.complete(done)
    I_, J_, S_ = stream.links()
    if not len(I_):
        return compared, 0, 0
    forest = _Forest(hours)
    links = pruned = 0
    order = np.argsort(-S_, kind="stable")
    I_, J_, S_ = I_[order], J_[order], S_[order]
    for a, b in zip(I_.tolist(), J_.tolist()):
        links += forest.union(a, b, span_h)
    # a chain (water -> pipe -> heating -> lighting) is cut: members far from their incident's
    # centroid leave it, and both parts are linked again from their own pairs
    outlier = _outliers(store, rows, forest.roots(), prune_threshold)
    if outlier.any():
        forest = _Forest(hours)
        links = 0
        same = outlier[I_] == outlier[J_]
        for a, b in zip(I_[same].tolist(), J_[same].tolist()):
            links += forest.union(a, b, span_h)
        pruned = int(outlier.sum())
    roots[rows] = rows[forest.roots()]
    return compared, links, pruned


def _batches(sizes: np.ndarray, cap: int) -> list[slice]:
    """Consecutive slices of items whose ``sizes`` add up to about ``cap`` (at least one item each)."""
    out, start, total = [], 0, 0
    for k, s in enumerate(sizes.tolist()):
        if total and total + s > cap:
            out.append(slice(start, k))
            start, total = k, 0
        total += s
    if start < len(sizes):
        out.append(slice(start, len(sizes)))
    return out


def _attach(store: _TextStore, roots: np.ndarray, valid: np.ndarray, muni: np.ndarray, weak: np.ndarray,
            hours: np.ndarray, window_h: float, span_h: float, threshold: float, unplaced_threshold: float,
            min_size: int, batch_rows: int = _BATCH) -> int:
    """Second pass: a message left alone (or in a pair) joins a large incident when it is within
    ``window`` of it and similar to the incident's centroid (the centroid of twenty «нет воды»
    messages is a better judge than any one of them): at ``threshold`` in the same municipality
    (the first such incident, in the order of their roots); at ``unplaced_threshold`` when the
    message names no town (no municipality, or one guessed from a street name alone), to the best
    such incident anywhere. Changes ``roots`` in place.

    Incidents are taken in time order, in batches: the vectors of a batch's members and of the
    small rows within its time range are made together and dropped after it (memory follows the
    rows of a few windows, not the archive)."""
    idx = np.flatnonzero(valid)
    if not len(idx) or threshold >= 1:
        return 0
    sizes = pd.Series(roots[idx]).value_counts()
    big = sizes[sizes >= min_size].index.to_numpy()
    small_mask = np.isin(roots[idx], sizes[sizes <= 2].index.to_numpy())
    if not len(big) or not small_mask.any():
        return 0
    small = idx[small_mask]
    small = small[np.argsort(hours[small], kind="stable")]
    small_h = hours[small]
    unplaced_small = (muni[small] == 0) | weak[small]
    in_big = idx[np.isin(roots[idx], big)]
    in_big = in_big[np.argsort(roots[in_big], kind="stable")]
    groups = [m for m in np.split(in_big, np.flatnonzero(np.diff(roots[in_big])) + 1) if muni[m[0]] != 0]
    if not groups:
        return 0
    lo = np.empty(len(groups))
    hi = np.empty(len(groups))
    for k, members in enumerate(groups):
        first, last = hours[members].min(), hours[members].max()
        lo[k], hi[k] = max(first - window_h, last - span_h), min(last + window_h, first + span_h)
    # the outcome does not depend on the order incidents are looked at: a same-municipality row
    # goes to the first incident (by root) that reaches threshold, an unplaced one to the most
    # similar (ties: the first by root); so incidents are taken in time order here
    n = len(roots)
    same_rank = np.full(n, len(groups), dtype=np.int64)
    best_sim = np.zeros(n)
    best_rank = np.full(n, -1, dtype=np.int64)
    order = np.argsort(lo, kind="stable")
    weight = np.array([len(groups[k]) for k in order]) + np.searchsorted(small_h, hi[order], "right") - \
        np.searchsorted(small_h, lo[order], "left")
    for part in _batches(weight, batch_rows):
        ranks = order[part]
        places = np.unique(muni[[groups[k][0] for k in ranks]])
        a, b = np.searchsorted(small_h, lo[ranks].min(), "left"), np.searchsorted(small_h, hi[ranks].max(), "right")
        cand = small[a:b][unplaced_small[a:b] | np.isin(muni[small[a:b]], places)]
        rows = np.unique(np.concatenate([cand] + [groups[k] for k in ranks]))
        X = store.vectors(rows)
        for k in sorted(ranks.tolist()):
            members = groups[k]
            place = muni[members[0]]
            sel = small[np.searchsorted(small_h, lo[k], "left"):np.searchsorted(small_h, hi[k], "right")]
            same = sel[muni[sel] == place]
            other = sel[unplaced_small[np.searchsorted(small_h, lo[k], "left"):np.searchsorted(small_h, hi[k], "right")]]
            if not len(same) and not len(other):
                continue
            both = np.concatenate([same, other])
            _, sims_all = _centroid_sims(X, np.searchsorted(rows, members), np.searchsorted(rows, both))
            if len(same):
                hit = same[sims_all[: len(same)] >= threshold]
                same_rank[hit] = np.minimum(same_rank[hit], k)
            if len(other):
                sims = sims_all[len(same):]
                better = (sims >= unplaced_threshold) & ((sims > best_sim[other])
                                                         | ((sims == best_sim[other]) & (k < best_rank[other])))
                best_sim[other[better]] = sims[better]
                best_rank[other[better]] = k
    root_of = np.array([roots[m[0]] for m in groups], dtype=np.int64)
    taken = np.flatnonzero(same_rank < len(groups))
    roots[taken] = root_of[same_rank[taken]]
    hit = np.flatnonzero(best_rank >= 0)
    hit = hit[same_rank[hit] == len(groups)]
    roots[hit] = root_of[best_rank[hit]]
    return len(taken) + len(hit)


def find_incidents(data: pd.DataFrame | str | os.PathLike[str], *, text_column_name: str | None = None,
                   time_column_name: str | None = None, window: str | pd.Timedelta | float = "48h",
                   threshold: float = 0.15, strong: float = 0.35, neighbours: int = 10,
                   unknown_threshold: float = 0.5, attach_threshold: float = 0.2, attach_unplaced_threshold: float = 0.3,
                   attach_min_size: int = 5, prune_threshold: float = 0.2,
                   max_span: str | pd.Timedelta | float | None = None,
                   min_size: int = 2, block_cap: int = 1000, street_bonus: float = 0.1,
                   group_penalty: float = 0.05, max_chars: int = 400) -> Incidents:
    """Group the rows of a scored archive into incidents (see the module docstring for the method).

    Parameters
    ----------
    data : DataFrame or path
        A scored archive (output of ``curnlp score``): the message text, a time column and the
        routing columns ``topic``, ``group``, ``municipality`` (``locations`` used when present).
    text_column_name, time_column_name : str, optional
        Columns with the text and the time (default: detected by name and content).
    window : "48h", "2d", Timedelta or hours
        Two messages are linked only when at most this far apart.
    threshold : float
        Minimum link score (see the module docstring), for mutual nearest neighbours.
    strong : float
        A pair scoring this much is linked even when not mutual nearest neighbours.
    neighbours : int
        How many best partners of a row count as its nearest neighbours.
    unknown_threshold : float
        Rows with no municipality link only this strongly (near-duplicates).
    attach_threshold, attach_min_size : float, int
        Second pass: a lone message (or a pair's member) joins an incident of at least
        ``attach_min_size`` messages of its municipality within the window when its cosine with
        the incident's centroid reaches ``attach_threshold`` (1 turns the pass off).
    prune_threshold : float
        After linking, a member of an incident of 3+ whose cosine with the incident's centroid is
        below this leaves it (cuts chains); the members left out are linked among themselves.
    attach_unplaced_threshold : float
        The same for a message that names no town (no municipality, or one inferred from a street
        name alone): it joins the most similar large incident within the window at this cosine.
    max_span : optional
        Longest duration of one incident (default: 2 × window).
    min_size : int
        Smallest incident listed in the table (every row still gets an id).

    Raises
    ------
    CorpusError
        Not a scored archive, no time column, or bad parameters.
    """
    t0 = time.perf_counter()
    df, source, tcol = read_timed(data, time_column_name)
    xcol = text_column(df, text_column_name)
    window_td = parse_window(window)
    span_td = parse_window(max_span) if max_span is not None else 2 * window_td
    if not 0 < threshold <= 1:
        raise CorpusError(f"threshold must be in (0, 1], not {threshold}")
    window_h, span_h = window_td / pd.Timedelta(hours=1), span_td / pd.Timedelta(hours=1)

    n = len(df)
    times = parse_times(df[tcol])
    valid = times.notna().to_numpy().copy()
    if "error" in df.columns:
        valid &= clean_label(df["error"]).isna().to_numpy()
    # one pass over the texts, a chunk at a time: masked words into the store, first street, weak place
    store = _TextStore()
    street_key: dict[str, int] = {"": 0}
    street_name: dict[str, int] = {"": 0}
    streets = np.zeros(n, dtype=np.int32)
    street_names = np.zeros(n, dtype=np.int32)
    weak = np.zeros(n, dtype=bool)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        locs = df["locations"].iloc[start:stop].to_numpy() if "locations" in df.columns else None
        texts, streets_list, weak_list = _mask_and_streets(df[xcol].iloc[start:stop].to_numpy(), locs, max_chars)
        store.add(texts)
        del texts, locs
        weak[start:stop] = weak_list
        for k, s in enumerate(streets_list, start):
            if s is not None:
                streets[k] = street_key.setdefault(s.lower().replace("ё", "е"), len(street_key))
                street_names[k] = street_name.setdefault(s, len(street_name))
    street_labels = np.array(list(street_name), dtype=object)
    muni, muni_labels = _codes(df["municipality"], strip="?")
    none = (np.zeros(n, dtype=np.int32), np.array([""], dtype=object))
    groups, group_labels = _codes(df["group"]) if "group" in df.columns else none
    topic_codes, topic_labels = _codes(df["topic"]) if "topic" in df.columns else none
    t_read = time.perf_counter()

    store.finish()
    valid &= store.nonempty()  # a message with no letters links to nothing
    t_vec = time.perf_counter()

    hours = np.zeros(n)
    hours[valid] = (times[valid] - times[valid].min()).dt.total_seconds().to_numpy() / 3600.0
    idx = np.flatnonzero(valid)
    bucket = np.floor(hours[idx] / window_h).astype(np.int64)
    # a block with a bucket over block_cap rows (a big city at scale) is split by topic group, then
    # by topic; whole blocks are split so that buckets still line up in time
    key = muni[idx].astype(np.int64)
    split_blocks = 0
    for extra in (groups[idx], topic_codes[idx]):
        frame = pd.DataFrame({"k": key, "b": bucket})
        sizes = frame.groupby(["k", "b"])["k"].transform("size").to_numpy()
        crowded = np.unique(key[sizes > block_cap])
        if not len(crowded):
            break
        split_blocks += len(crowded)
        key = np.where(np.isin(key, crowded), key * (int(extra.max()) + 2) + extra + 1, key * (int(extra.max()) + 2))
        key = pd.factorize(key)[0].astype(np.int64)
    roots = np.arange(n, dtype=np.int64)
    compared = links = pruned = 0
    order = np.argsort(key, kind="stable")
    for block in np.split(order, np.flatnonzero(np.diff(key[order])) + 1):
        rows = idx[block]  # ascending: local order is global order
        c, l, p = _link_block(store, rows, bucket[block], roots, hours[rows], window_h, span_h, threshold,
                              strong, neighbours, unknown_threshold, prune_threshold, streets[rows], groups[rows],
                              muni[rows], street_bonus, group_penalty)
        compared, links, pruned = compared + c, links + l, pruned + p
    t_pairs = time.perf_counter()
    attached = _attach(store, roots, valid, muni, weak, hours, window_h, span_h, attach_threshold,
                       attach_unplaced_threshold, attach_min_size)
    t_link = time.perf_counter()

    # number incidents: largest first, then earliest
    comp = pd.DataFrame({"root": roots[idx], "i": idx, "h": hours[idx]})
    agg = comp.groupby("root").agg(size=("i", "size"), first=("h", "min"))
    del comp
    agg = agg.sort_values(["size", "first"], ascending=[False, True])
    number = pd.Series(np.arange(1, len(agg) + 1), index=agg.index)
    inc_no = np.zeros(n, dtype=np.int64)
    inc_no[idx] = number.reindex(roots[idx]).to_numpy()
    inc_size = np.zeros(n, dtype=np.int64)
    inc_size[idx] = agg["size"].reindex(roots[idx]).to_numpy()
    width = max(6, len(str(len(agg))))
    ids = "INC-" + pd.Series(inc_no, index=df.index).astype("string").str.zfill(width)
    ids = ids.mask(inc_no == 0)

    rows = df.copy(deep=False)  # copy-on-write: the caller's frame is not changed, nor its texts copied
    rows["incident"] = ids
    rows["incident_size"] = pd.array(np.where(inc_no > 0, inc_size, 0), dtype="Int64").astype("Int64")
    rows.loc[inc_no == 0, "incident_size"] = pd.NA

    table = _table(rows, inc_no, inc_size, store, times, topic_codes, topic_labels, groups, group_labels, muni,
                   muni_labels, street_names, street_labels, df[xcol], min_size)
    t_end = time.perf_counter()
    stats = {"rows": n, "linked_rows": int(valid.sum()), "incidents": int(len(agg)),
             "incidents_min_size": int(len(table)), "rows_in_listed_incidents": int(table["size"].sum()) if len(table) else 0,
             "pairs_compared": int(compared), "links": int(links), "pruned": pruned, "attached": int(attached), "blocks_split_by_group": split_blocks,
             "seconds": {"read": round(t_read - t0, 2), "vectors": round(t_vec - t_read, 2),
                         "pairs": round(t_pairs - t_vec, 2), "link": round(t_link - t_pairs, 2),
                         "table": round(t_end - t_link, 2), "total": round(t_end - t0, 2)}}
    params = {"text_column": xcol, "time_column": tcol, "window": str(window_td), "max_span": str(span_td),
              "threshold": threshold, "strong": strong, "neighbours": neighbours,
              "unknown_threshold": unknown_threshold,
              "attach_threshold": attach_threshold, "prune_threshold": prune_threshold,
              "attach_unplaced_threshold": attach_unplaced_threshold, "attach_min_size": attach_min_size, "min_size": min_size, "block_cap": block_cap, "street_bonus": street_bonus,
              "group_penalty": group_penalty, "max_chars": max_chars}
    log.info("curnlp incidents: %s rows -> %s incidents (%s of >= %s) in %.1f s", n, len(agg), len(table),
             min_size, t_end - t0)
    return Incidents(rows=rows, table=table, params=params, stats=stats)


def _take(values: pd.Series, rows: np.ndarray) -> list:
    """``values`` at positions ``rows`` (an Arrow column is not joined into one copy first, as
    ``Series.take`` does with a column read in chunks)."""
    if hasattr(values.array, "__arrow_array__"):
        import pyarrow as pa
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")  # Arrow takes sorted positions without a copy of the column
        column = values.array.__arrow_array__()
        out: list = [None] * len(rows)
        for a in range(0, len(rows), 1000):  # a few at a time: Arrow's buffers stay small
            part = order[a:a + 1000]
            for k, v in zip(part.tolist(), column.take(pa.array(rows[part])).to_pylist()):
                out[k] = v
        return out
    return list(values.iloc[rows].to_numpy())


def _modes(m: pd.DataFrame, column: str) -> pd.Series:
    """Most frequent non-empty ``column`` code (0: empty) per incident ``no`` (vectorized; ties: first seen)."""
    pairs = m[["no", column]]
    pairs = pairs[pairs[column] != 0]
    counts = pairs.groupby(["no", column], sort=False).size().rename("c").reset_index()
    counts = counts.sort_values(["no", "c"], ascending=[True, False], kind="stable").drop_duplicates("no")
    return counts.set_index("no")[column]


def _table(rows: pd.DataFrame, inc_no: np.ndarray, inc_size: np.ndarray, store: _TextStore, times: pd.Series,
           topics: np.ndarray, topic_labels: np.ndarray, groups: np.ndarray, group_labels: np.ndarray,
           muni: np.ndarray, muni_labels: np.ndarray, streets: np.ndarray, street_labels: np.ndarray,
           texts: pd.Series, min_size: int, batch_rows: int = _BATCH) -> pd.DataFrame:
    columns = ["incident", "size", "first", "last", "municipality", "street", "topic", "group", "group_name",
               "needs_review", "representative", "places"]
    members = np.flatnonzero((inc_no > 0) & (inc_size >= max(1, min_size)))
    if not len(members):
        return pd.DataFrame(columns=columns)
    # representative: the member closest to its incident's centroid; incidents in batches of about
    # batch_rows members (their vectors made together and dropped)
    closeness = np.zeros(len(members))
    by_no = np.argsort(inc_no[members], kind="stable")
    nos, starts, counts = np.unique(inc_no[members][by_no], return_index=True, return_counts=True)
    for part in _batches(counts, batch_rows):
        pos = np.sort(by_no[starts[part.start]:starts[part.stop - 1] + counts[part.stop - 1]])
        rows_b = members[pos]
        X = store.vectors(rows_b)
        _, inv = np.unique(inc_no[rows_b], return_inverse=True)
        A = sp.csr_matrix((np.ones(len(rows_b), dtype=np.float32), (inv, np.arange(len(rows_b)))),
                          shape=(inv.max() + 1, len(rows_b)))
        C = A @ X
        for a in range(0, len(rows_b), 2000):  # each member times its centroid: a copy per member, so few at a time
            closeness[pos[a:a + 2000]] = np.asarray(X[a:a + 2000].multiply(C[inv[a:a + 2000]]).sum(axis=1)).ravel()
        del X, C, A
    review = is_true(rows["needs_review"]).to_numpy() if "needs_review" in rows.columns else np.zeros(len(rows), bool)
    from ._data import place_mentions
    m = pd.DataFrame({"no": inc_no[members], "t": times.to_numpy()[members], "municipality": muni[members],
                      "street": streets[members], "topic": topics[members], "group": groups[members],
                      "review": review[members], "close": closeness, "row": members})
    best = m.loc[m.groupby("no")["close"].idxmax(), ["no", "row"]].set_index("no")["row"]
    g = m.groupby("no")
    table = pd.DataFrame({
        "size": g.size(), "first": g["t"].min(), "last": g["t"].max(),
        "municipality": _modes(m, "municipality"), "street": _modes(m, "street"),
        "topic": _modes(m, "topic"), "group": _modes(m, "group"), "needs_review": g["review"].mean().round(3),
    })
    for c, labels in (("municipality", muni_labels), ("street", street_labels), ("topic", topic_labels),
                      ("group", group_labels)):
        codes = table[c].to_numpy()
        table[c] = pd.Series([labels[int(k)] if k == k else None for k in codes], index=table.index, dtype=object)
    best_rows = best.reindex(table.index).to_numpy()
    table["representative"] = [" ".join(str(t).split())[:500].strip() for t in _take(texts, best_rows)]
    if "locations" in rows.columns:
        places = {}
        largest = set(g.size().sort_values(ascending=False).index[:2000])  # the rest: not printed anywhere
        for no, grp in m[m["no"].isin(largest)].groupby("no")["row"]:
            c = Counter(p for cell in _take(rows["locations"], grp.to_numpy()[:200])
                        for p in place_mentions(cell))
            places[no] = "; ".join(p for p, _ in c.most_common(3))
        table["places"] = pd.Series(places)
    else:
        table["places"] = ""
    if "group_name" in rows.columns:
        raw, uniques = pd.factorize(rows["group_name"])  # cleaned by distinct value, as in _codes
        cleaned = clean_label(pd.Series(np.asarray(uniques, dtype=object), dtype="string")).to_numpy(dtype=object)
        name = raw[members]
        gn = pd.DataFrame({"g": groups[members], "n": name})
        gn = gn[(name >= 0)]
        gn = gn[pd.notna(cleaned[gn["n"].to_numpy()])].drop_duplicates("g")
        gn["n"] = cleaned[gn["n"].to_numpy()]
        names = dict(zip(group_labels[gn["g"].to_numpy()], gn["n"]))
        table["group_name"] = table["group"].map(lambda x: names.get(x))
    else:
        table["group_name"] = None
    width = max(6, len(str(int(inc_no.max()))))
    table["incident"] = [f"INC-{k:0{width}d}" for k in table.index]
    table = table.sort_values(["size", "first"], ascending=[False, True]).reset_index(drop=True)
    for c in ("municipality", "street", "topic", "group"):
        table[c] = table[c].replace("", None)
    return table[columns]


# ---------------------------------------------------------------------------------------
# Files and command line
# ---------------------------------------------------------------------------------------

_FORMULA = re.compile(r"^[=+\-@\t\r]")


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` as CSV, JSONL, Parquet or XLSX (by extension; XLSX strings never become formulas)."""
    p = Path(path)
    suffix = p.suffix.lower()
    tmp = p.with_name(p.name + ".tmp")
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M:%S")
    if suffix in (".parquet", ".pq"):
        out.to_parquet(tmp, index=False)
    elif suffix in (".jsonl", ".ndjson"):
        out.to_json(tmp, orient="records", lines=True, force_ascii=False)
    elif suffix == ".xlsx":
        from openpyxl import Workbook
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("incidents")
        ws.append([str(c) for c in out.columns])
        from openpyxl.cell import WriteOnlyCell
        for record in out.itertuples(index=False):
            cells = []
            for v in record:
                v = _plain(v)
                cell = WriteOnlyCell(ws, value=v)
                if isinstance(v, str) and _FORMULA.match(v):
                    cell.data_type = "s"  # a citizen's "=..." stays text
                cells.append(cell)
            ws.append(cells)
        wb.save(tmp)
    else:
        out.to_csv(tmp, index=False, sep="\t" if suffix in (".tsv", ".tab") else ",")
    os.replace(tmp, p)


def table_path(output: str | os.PathLike[str]) -> Path:
    """Default incident-table path next to the rows output: ``out.csv`` → ``out.incidents.csv``."""
    p = Path(output)
    return p.with_name(f"{p.stem}.incidents{p.suffix or '.csv'}")


def write_incidents(data: pd.DataFrame | str | os.PathLike[str], output: str | os.PathLike[str],
                    table: str | os.PathLike[str] | None = None, **options: Any) -> Incidents:
    """Find incidents and write the rows (with ``incident``) to ``output`` and the table next to it."""
    result = find_incidents(data, **options)
    write_table(result.rows, output)
    write_table(result.table, table or table_path(output))
    return result


def _cmd_incidents(args: argparse.Namespace) -> int:
    table = args.table or table_path(args.output)
    extra = {"threshold": args.threshold} if args.threshold is not None else {}
    result = write_incidents(args.scored, args.output, table, text_column_name=args.text_column,
                             time_column_name=args.time_column, window=args.window, max_span=args.max_span,
                             min_size=args.min_size, **extra)
    if not args.quiet:
        s = result.stats
        print(f"curnlp incidents: {s['rows']:,} rows, {s['incidents_min_size']:,} incidents of >= {args.min_size} "
              f"messages holding {s['rows_in_listed_incidents']:,} rows, in {s['seconds']['total']:.1f} s "
              f"-> {args.output}, {table}", file=sys.stderr)
    return 0


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``incidents`` subcommand to ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser("incidents", help="group messages about one problem in one place and time into incidents",
                              description="Link messages of a scored archive about the same problem in the same "
                                          "municipality within a time window. Writes every row with an 'incident' "
                                          "id, and an incident table (size, first/last time, place, topic, a "
                                          "representative message).")
    p.add_argument("scored", help="output of curnlp score (.csv, .jsonl, .parquet, .xlsx)")
    p.add_argument("-o", "--output", required=True, help="rows with incident ids (.csv, .jsonl, .parquet, .xlsx)")
    p.add_argument("--table", help="incident table to write (default: OUTPUT with .incidents before the extension)")
    p.add_argument("--time-column", help="column with the message time (default: detected)")
    p.add_argument("--text-column", help="column with the message text (default: detected)")
    p.add_argument("--window", default="48h", help="longest gap between linked messages (default 48h; e.g. 24h, 3d)")
    p.add_argument("--max-span", help="longest incident (default: 2 x window)")
    p.add_argument("--threshold", type=float, help="minimum link score, 0-1 (default 0.15; higher: smaller, "
                                                   "purer incidents)")
    p.add_argument("--min-size", type=int, default=2, help="smallest incident in the table (default 2)")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary line")
    p.set_defaults(func=_cmd_incidents)
    return p
