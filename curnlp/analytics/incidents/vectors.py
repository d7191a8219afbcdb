"""Text vectors of the incident finder: masked texts, every row's words as ids, TF-IDF on demand.

The vectors of any set of rows are exactly the rows of one global TF-IDF matrix of the archive
(document frequencies of the whole archive), which is never held: memory follows the rows whose
vectors are needed at a time, not the archive.
"""
from __future__ import annotations

import json
import re
from typing import Any, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["MASKED_KINDS", "CHUNK", "BATCH", "VECTOR_ROWS", "TextStore", "mask_and_streets", "used_columns",
           "text_vectors", "batches"]

#: Location kinds whose mentions are masked before text similarity (streets are kept: same street is a signal).
MASKED_KINDS = ("region", "district", "city", "city_okrug", "settlement")
CHUNK = 10_000  # rows read, masked and cut into words at a time
BATCH = 20_000  # rows whose vectors are made together when incidents are checked
VECTOR_ROWS = 10_000  # rows whose intermediate count and n-gram matrices exist at once
_NON_LETTERS = re.compile(r"[^a-zа-я]+")
_URLS = re.compile(r"(?:https?://|www\.)\S+|\[(?:club|id|public)\d+\|([^\]]*)\]|<[^>]{1,200}>")


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


def mask_and_streets(texts: Sequence[Any], locations: Sequence[Any] | None,
                      max_chars: int) -> tuple[list[str], list, list[bool], list]:
    """Texts with town/district/settlement mentions blanked out, cut to ``max_chars``; first street
    (its normal form, as printed) per row; whether the row names a street but no town (its
    municipality, if any, was guessed from the street); the house named right after that street
    (its normal form, ``None`` when none)."""
    out: list[str] = []
    streets: list = []
    weak: list[bool] = []
    houses: list = []
    for i, text in enumerate(texts):
        text = text if isinstance(text, str) else ("" if text is None or text is pd.NA else str(text))
        street = house = None
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
                    elif kind == "street" and loc.get("normal"):
                        if street is None:
                            street = str(loc["normal"])
                        elif house is None:
                            house = ""  # another street before a house: the house is not the first street's
                    elif kind == "house" and street is not None and house is None and loc.get("normal"):
                        house = str(loc["normal"])
                if spans:
                    chars = list(text)
                    for s, e in spans:
                        if 0 <= s < e <= len(chars):
                            chars[s:e] = " " * (e - s)
                    text = "".join(chars)
        out.append(text[:max_chars])
        streets.append(street)
        weak.append(street is not None and not spans)
        houses.append(house or None)
    return out, streets, weak, houses


def _preprocess(text: str) -> str:
    text = _URLS.sub(" ", text.lower().replace("ё", "е"))
    return _NON_LETTERS.sub(" ", text).strip()


def _stop_lemmas() -> frozenset[str]:
    from importlib import resources
    words = (resources.files("curnlp") / "data" / "stopwords_ru.txt").read_text(encoding="utf-8").split()
    return frozenset(w for w in words if not w.startswith("#")) - {"нет", "без"}


class TextStore:
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

    def finish(self) -> "TextStore":
        """Close the archive: word → n-gram and word → lemma matrices, document frequencies."""
        from sklearn.feature_extraction.text import HashingVectorizer

        from ...morph import lemma
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
        self.grams = used_columns(self.grams.tocsr())  # the hashed columns no word has: gone (order kept)
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
        for start in range(0, self.n, CHUNK):
            D = self.counts_of(np.arange(start, min(self.n, start + CHUNK)))
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
        for start in range(0, max(1, len(rows)), VECTOR_ROWS):  # the intermediate products of few rows at a time
            D = self.counts_of(rows[start:start + VECTOR_ROWS])
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
        return used_columns(X) if compact else X


def used_columns(X: sp.csr_matrix) -> sp.csr_matrix:
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
    store = TextStore(n_features, word_weight)
    store.add(texts)
    store.finish()
    return store.vectors(np.arange(store.n))



def batches(sizes: np.ndarray, cap: int) -> list[slice]:
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

