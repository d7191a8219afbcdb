"""Linking the rows of a scored archive into incidents: scored pairs inside blocks of place and
time, mutual nearest neighbours, Kruskal merging with a longest span, pruning of chains and
attaching of lone messages to large incidents (the method: :mod:`curnlp.analytics.incidents`)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import vectors as _vectors
from .vectors import TextStore, batches, used_columns

__all__ = ["LinkStream", "link_block", "attach"]


class _Forest:
    """Union-find (Python lists: faster than numpy for scalar access) with each set's first/last time."""

    def __init__(self, times: np.ndarray, streets: np.ndarray | None = None, authors: np.ndarray | None = None,
                 houses: np.ndarray | None = None) -> None:
        self.parent = list(range(len(times)))
        self.first = times.tolist()
        self.last = times.tolist()
        # the one street a set's messages name (0: none yet): two sets naming different streets
        # stay apart even when a message naming none is close to both
        self.street = streets.tolist() if streets is not None else [0] * len(times)
        self.house = houses.tolist() if houses is not None else [0] * len(times)
        # each set's authors (0: unknown): two sets holding one author's messages join only on one
        # street (a batch one person sends about many places is not one incident)
        self.authors = [{a} if a else set() for a in authors.tolist()] if authors is not None else None

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
        sa, sb = self.street[ra], self.street[rb]
        if sa and sb and sa != sb:
            return False
        ha, hb = self.house[ra], self.house[rb]
        if ha and hb and ha != hb:
            return False
        if self.authors is not None and self.authors[ra] & self.authors[rb] and not (sa and sa == sb):
            return False
        self.parent[rb] = ra
        self.first[ra], self.last[ra] = first, last
        self.street[ra] = sa or sb
        self.house[ra] = ha or hb
        if self.authors is not None:
            self.authors[ra] |= self.authors[rb]
        return True

    def roots(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)


def _pairs(Xa: sp.csr_matrix, Xb: sp.csr_matrix, rows: np.ndarray, cand: np.ndarray, hours: np.ndarray,
           window_h: float, threshold: float, streets: np.ndarray, groups: np.ndarray, street_bonus: float,
           group_penalty: float, authors: np.ndarray | None = None, houses: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scored pairs (i, j, score) between ``rows`` (vectors ``Xa``) and candidate rows ``cand``
    (vectors ``Xb``), i > j in order; ``rows`` and ``cand`` index the other arrays.

    Two messages naming different streets, or different houses of one street (``houses``: street
    and house codes, 0: none), never pair (outages on four streets are four incidents); two by one author (``authors``, 0: unknown) pair only when they name the same
    street."""
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
    keep = (s >= threshold) & ~(both & (si != sj))
    if houses is not None:
        hi_, hj = houses[i], houses[j]
        keep &= ~((hi_ != 0) & (hj != 0) & (hi_ != hj))
    if authors is not None:
        ai, aj = authors[i], authors[j]
        one = (ai != 0) & (ai == aj)
        keep &= ~one | (both & (si == sj))
    return i[keep], j[keep], s[keep]


class LinkStream:
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


def _outliers(store: TextStore, rows: np.ndarray, roots: np.ndarray, threshold: float,
              batch_rows: int | None = None) -> np.ndarray:
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
    for part in batches(np.array([len(m) for m in incidents]), batch_rows or _vectors.BATCH):
        batch = np.sort(np.concatenate(incidents[part]))
        X = store.vectors(rows[batch])
        for members in incidents[part]:
            sims, _ = _centroid_sims(X, np.searchsorted(batch, members))
            out[members[sims < threshold]] = True
    return out




def link_block(store: TextStore, rows: np.ndarray, bucket: np.ndarray, roots: np.ndarray, hours: np.ndarray,
                window_h: float, span_h: float, threshold: float, strong: float, neighbours: int,
                unknown_threshold: float, prune_threshold: float, streets: np.ndarray, groups: np.ndarray,
                muni: np.ndarray, street_bonus: float, group_penalty: float,
                authors: np.ndarray | None = None, houses: np.ndarray | None = None) -> tuple[int, int, int]:
    """Link the rows of one block (global indexes ``rows``, ascending; the other arrays are theirs):
    pairs within a bucket and with the previous bucket, links, Kruskal, pruning. Writes ``roots``
    of ``rows``; returns (pairs compared, links, rows pruned). The block's vectors are made here
    and dropped on return."""
    local = np.argsort(bucket, kind="stable")  # by bucket, then row
    bs, starts = np.unique(bucket[local], return_index=True)
    stream = LinkStream(muni, strong, neighbours, unknown_threshold)
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
            cand, X = np.concatenate([prev, part]), used_columns(sp.vstack([X_prev, X_part], format="csr"))
        else:
            cand, X = part, used_columns(X_part)
        prev_b, prev, X_prev = b, part, X_part
        if len(cand) < 2:
            continue
        compared += len(part) * len(cand)
        offset = len(cand) - len(part)
        for start in range(0, len(part), 2000):
            i, j, s = _pairs(X[offset + start:offset + start + 2000], X, part[start:start + 2000], cand, hours,
                             window_h, threshold, streets, groups, street_bonus, group_penalty, authors, houses)
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
    forest = _Forest(hours, streets, authors, houses)
    links = pruned = 0
    # links within one street (or between messages naming none) first, then a message naming a
    # street joins a street-less set: the street-less core of a town-wide outage stays one
    # incident instead of being claimed piecemeal by the streets its messages happen to reach first
    mixed = (streets[I_] == 0) != (streets[J_] == 0)
    order = np.lexsort((-S_, mixed))
    I_, J_, S_ = I_[order], J_[order], S_[order]
    for a, b in zip(I_.tolist(), J_.tolist()):
        links += forest.union(a, b, span_h)
    # a chain (water -> pipe -> heating -> lighting) is cut: members far from their incident's
    # centroid leave it, and both parts are linked again from their own pairs
    outlier = _outliers(store, rows, forest.roots(), prune_threshold)
    if outlier.any():
        forest = _Forest(hours, streets, authors, houses)
        links = 0
        same = outlier[I_] == outlier[J_]
        for a, b in zip(I_[same].tolist(), J_[same].tolist()):
            links += forest.union(a, b, span_h)
        pruned = int(outlier.sum())
    roots[rows] = rows[forest.roots()]
    return compared, links, pruned



def attach(store: TextStore, roots: np.ndarray, valid: np.ndarray, muni: np.ndarray, weak: np.ndarray,
            hours: np.ndarray, window_h: float, span_h: float, threshold: float, unplaced_threshold: float,
            min_size: int, batch_rows: int | None = None, streets: np.ndarray | None = None,
            authors: np.ndarray | None = None, houses: np.ndarray | None = None) -> int:
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
    # the street an incident names (its members name at most one: see _Forest); a message naming
    # another street does not join it
    inc_street = np.zeros(len(groups), dtype=np.int64)
    inc_house = np.zeros(len(groups), dtype=np.int64)
    for k, members in enumerate(groups):
        if streets is not None:
            named = streets[members][streets[members] != 0]
            inc_street[k] = named[0] if len(named) else 0
        if houses is not None:
            named = houses[members][houses[members] != 0]
            inc_house[k] = named[0] if len(named) else 0
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
    for part in batches(weight, batch_rows or _vectors.BATCH):
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
            if streets is not None and inc_street[k]:
                same = same[(streets[same] == 0) | (streets[same] == inc_street[k])]
                other = other[(streets[other] == 0) | (streets[other] == inc_street[k])]
            if houses is not None and inc_house[k]:
                same = same[(houses[same] == 0) | (houses[same] == inc_house[k])]
                other = other[(houses[other] == 0) | (houses[other] == inc_house[k])]
            if authors is not None:  # an author already in the incident joins it only on its street
                present = np.setdiff1d(authors[members], [0])
                if len(present):
                    ok_same = ~np.isin(authors[same], present) | ((streets[same] != 0) & (streets[same] == inc_street[k])
                                                                  if streets is not None else False)
                    ok_other = ~np.isin(authors[other], present) | ((streets[other] != 0) & (streets[other] == inc_street[k])
                                                                    if streets is not None else False)
                    same, other = same[ok_same], other[ok_other]
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

